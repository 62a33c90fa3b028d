/**
 * What a handler gets for one request: its fields, and the backend's parts (a fresh reader
 * per request, so no answer is older than the request). Handlers return a JSON-able value
 * (sent as MLflow sends it) or take over the response themselves (artifact downloads).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArtifactRepository, Backend, ModelRegistry, TrackingReader, TrackingWriter } from '../store/backend.js';
import { readFields, type Fields, type Schema } from './request.js';

export interface ServerServices {
  backend: Backend;
  /** where `mlflow-artifacts:` URIs live (MLflow's --artifacts-destination); undefined: not serving artifacts */
  artifactsDestination: string | undefined;
  /** largest artifact upload accepted, in bytes */
  maxArtifactSize: number;
  now: () => number;
}

export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** the path after the API prefix (`runs/get`), or the whole path for the others */
  readonly route: string;
  /** the artifact path of `/mlflow-artifacts/artifacts/<path>` (still percent-encoded as received) */
  readonly tail: string;
  readonly query: URLSearchParams;
  /** the JSON body (POST/PATCH/DELETE) or the query fields (GET) */
  readonly raw: Record<string, unknown>;
  /** the body's length in bytes (log-batch checks MLflow's 1 MB limit on it) */
  readonly bodyBytes: number;
  readonly services: ServerServices;
  private readerP?: Promise<TrackingReader>;

  constructor(init: {
    req: IncomingMessage;
    res: ServerResponse;
    route: string;
    tail: string;
    query: URLSearchParams;
    raw: Record<string, unknown>;
    bodyBytes: number;
    services: ServerServices;
  }) {
    this.req = init.req;
    this.res = init.res;
    this.method = init.req.method ?? 'GET';
    this.route = init.route;
    this.tail = init.tail;
    this.query = init.query;
    this.raw = init.raw;
    this.bodyBytes = init.bodyBytes;
    this.services = init.services;
  }

  /** The request's fields checked against MLflow's schema for the endpoint. */
  fields(schema: Schema): Fields {
    return readFields(this.raw, schema, this.method === 'GET');
  }

  /** The fields of one item of a list (a log-batch metric), checked like the request's. */
  fieldsOf(item: Record<string, unknown>, schema: Schema, _where: string): Fields {
    return readFields(item, schema, false);
  }

  /** A reader that sees the store as it is now (one per request). */
  reader(): Promise<TrackingReader> {
    this.readerP ??= this.services.backend.freshReader();
    return this.readerP;
  }

  writer(): Promise<TrackingWriter> {
    return this.services.backend.writer();
  }

  registry(): Promise<ModelRegistry> {
    return this.services.backend.registry();
  }

  artifacts(): Promise<ArtifactRepository> {
    return this.services.backend.artifacts();
  }
}

type Handler = (c: RequestContext) => Promise<unknown>;

/** A handler's answer when it wrote the response itself. */
export const HANDLED = Symbol('handled');

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** path after `/api/2.0/mlflow/` (and `/ajax-api/2.0/mlflow/`) */
  path: string;
  /** changes the store: refused under --read-only */
  write: boolean;
  handler: Handler;
}
