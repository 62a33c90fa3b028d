/**
 * `mlr server`: MLflow's tracking REST API over any mlr backend, on node:http.
 *
 * One more front end beside the CLI: a request is parsed into the fields MLflow's handler
 * reads, answered through the same store interface the commands use (same writers, same
 * lock, so the CLI and the server can write one store at once), and rendered as MLflow
 * renders it. Safe by default: loopback only unless told otherwise, HTTP basic auth with a
 * constant-time compare, --read-only, JSON bodies capped at 1 MB, uploads streamed to disk
 * under --max-artifact-size, header/idle timeouts for slow clients, and a graceful close
 * that lets requests in flight finish.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Backend } from '../store/backend.js';
import { VERSION } from '../program.js';
import { PROXY_ROUTES, getArtifact } from './artifacts.js';
import { HANDLED, RequestContext, type Route, type ServerServices } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { pyJson } from './pyjson.js';
import { REGISTRY_ROUTES } from './registry.js';
import { parseBody, queryFields } from './request.js';
import { TRACKING_ROUTES } from './tracking.js';
import { uiRoute, type UiAssets } from './ui.js';
import { drain } from '../store/file/watch.js';

export interface ServerOptions {
  /** the backend to serve, opened with `longLived` (see store/open.ts) */
  backend: Backend;
  host?: string;
  /** 0 picks a free port */
  port?: number;
  readOnly?: boolean;
  /** HTTP basic auth credentials every request must carry */
  auth?: { username: string; password: string };
  /** where `mlflow-artifacts:` artifacts live; undefined: artifacts are not served */
  artifactsDestination?: string;
  /** largest artifact upload, bytes (default 5 GiB) */
  maxArtifactSize?: number;
  /** largest JSON body, bytes (default 1 MiB) */
  maxBodyBytes?: number;
  /** one line per request (method, path, status, milliseconds) */
  log?: (line: string) => void;
  now?: () => number;
  /** ms to receive a request's headers (default 20 s) */
  headersTimeoutMs?: number;
  /** ms a connection may sit idle mid-request before it is dropped (default 60 s) */
  idleTimeoutMs?: number;
  /** `mlr ui`: also serve the web viewer's page and its /ajax-api/mlr/ endpoints */
  ui?: UiAssets;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** stop accepting, let requests in flight finish (at most `graceMs`), then close */
  close(graceMs?: number): Promise<void>;
}

const API_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];
const PROXY_PREFIXES = ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts'];
const JSON_TYPE = 'application/json';

const ROUTES = new Map<string, Route[]>();
for (const r of [...TRACKING_ROUTES, ...REGISTRY_ROUTES]) ROUTES.set(r.path, [...(ROUTES.get(r.path) ?? []), r]);

/** A route for a request path: the handler, the API path, and the artifact path for the proxy. */
function match(method: string, pathname: string): { route?: Route; apiPath: string; tail: string; known: boolean } {
  for (const prefix of API_PREFIXES) {
    if (pathname.startsWith(prefix)) {
      const apiPath = pathname.slice(prefix.length).replace(/\/+$/, '');
      const routes = ROUTES.get(apiPath) ?? [];
      return { route: routes.find((r) => r.method === method), apiPath, tail: '', known: routes.length > 0 };
    }
  }
  for (const prefix of PROXY_PREFIXES) {
    if (pathname === prefix || pathname === prefix + '/' || pathname.startsWith(prefix + '/')) {
      const tail = pathname.slice(prefix.length + 1);
      const kind = tail === '' ? '' : '*';
      const routes = PROXY_ROUTES.filter((r) => r.path === kind);
      return { route: routes.find((r) => r.method === method), apiPath: pathname, tail, known: routes.length > 0 };
    }
  }
  if (pathname === '/get-artifact' || pathname === '/ajax-api/2.0/mlflow/get-artifact') {
    return { route: { method: 'GET', path: pathname, write: false, handler: getArtifact }, apiPath: pathname, tail: '', known: true };
  }
  return { apiPath: pathname, tail: '', known: false };
}

function sendJson(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length, ...headers });
  res.end(body);
}

function sendError(res: http.ServerResponse, e: ApiError): void {
  sendJson(res, e.status, pyJson({ error_code: e.errorCode, message: e.message }), e.headers);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Basic auth as MLflow's client sends it (MLFLOW_TRACKING_USERNAME/PASSWORD), compared in constant time. */
function authorized(header: string | undefined, want: { username: string; password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  // hash both sides so that the compare takes the same time whatever the lengths
  const ok = timingSafeEqual(digest(given), digest(`${want.username}:${want.password}`));
  return ok && m !== null;
}

/** Read a request body up to `limit` bytes (413 beyond, without buffering the rest). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new ApiError('INVALID_PARAMETER_VALUE', `Request body too large: ${declared} bytes; the limit is ${limit} bytes`, 413));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new ApiError('INVALID_PARAMETER_VALUE', `Request body too large: more than ${limit} bytes`, 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Start serving; resolves once listening. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const services: ServerServices = {
    backend: o.backend,
    artifactsDestination: o.artifactsDestination === undefined ? undefined : path.resolve(o.artifactsDestination),
    maxArtifactSize: o.maxArtifactSize ?? 5 * 1024 ** 3,
    now: o.now ?? Date.now,
  };
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;
  let inFlight = 0;
  let closing = false;
  const idle: (() => void)[] = [];

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    res.on('finish', () => o.log?.(`${method} ${url.pathname}${url.search} ${res.statusCode} ${(performance.now() - t0).toFixed(1)} ms`));
    try {
      if (o.auth && !authorized(req.headers.authorization, o.auth)) {
        req.resume();
        throw new ApiError(
          'UNAUTHENTICATED',
          'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
          401,
          {
            'WWW-Authenticate': 'Basic realm="mlflow"',
          },
        );
      }
      if (closing) {
        req.resume();
        throw new ApiError('TEMPORARILY_UNAVAILABLE', 'The server is shutting down', 503, { Connection: 'close' });
      }
      const p = url.pathname;
      if (method === 'GET' && p === '/health') {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('OK');
        return;
      }
      if (method === 'GET' && p === '/version') {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(VERSION);
        return;
      }
      if (o.ui) {
        const file = method === 'GET' ? o.ui.files.get(p) : undefined;
        if (file) {
          req.resume();
          // the page is small and changes with each build: always revalidated, never stale
          res.writeHead(200, {
            'Content-Type': file.type,
            'Content-Length': file.body.length,
            'Cache-Control': 'no-cache',
            'X-Content-Type-Options': 'nosniff',
          });
          res.end(file.body);
          return;
        }
        const ui = uiRoute(p);
        if (ui) {
          req.resume();
          if (method !== 'GET') throw new ApiError('ENDPOINT_NOT_FOUND', `${method} is not an allowed method for ${p}`, 404);
          const ctx = new RequestContext({ req, res, route: p, tail: '', query: url.searchParams, raw: {}, bodyBytes: 0, services });
          const out = await ui(ctx);
          if (out !== HANDLED) sendJson(res, 200, JSON.stringify(out), { 'Cache-Control': 'no-store' });
          return;
        }
      }
      const m = match(method, p);
      if (!m.route) {
        req.resume();
        throw new ApiError(
          'ENDPOINT_NOT_FOUND',
          m.known
            ? `${method} is not an allowed method for ${p}`
            : `No API endpoint at ${p}: this server implements MLflow's tracking and model registry REST API 2.0`,
          404,
        );
      }
      const route = m.route;
      if (route.write && o.readOnly) {
        req.resume();
        throw new ApiError('PERMISSION_DENIED', `This server is read-only (--read-only): ${method} ${p} would change the store`, 403);
      }
      let raw: Record<string, unknown> = {};
      let bodyBytes = 0;
      if (method === 'GET') raw = queryFields(url.searchParams);
      else if (method !== 'PUT') {
        if (method === 'POST') {
          const type = req.headers['content-type'];
          if (type === undefined) throw new ApiError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
          if (type.split(';')[0]!.trim().toLowerCase() !== JSON_TYPE)
            throw new ApiError('INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
        }
        const body = await readBody(req, maxBody);
        bodyBytes = body.length;
        raw = parseBody(body.toString('utf8'));
      }
      // the file store's watches (store/file/watch.ts) must have read every change made
      // before this request arrived: let the loop read what the kernel queued
      await drain();
      const ctx = new RequestContext({ req, res, route: m.apiPath, tail: m.tail, query: url.searchParams, raw, bodyBytes, services });
      const out = await route.handler(ctx);
      if (out === HANDLED) return;
      sendJson(res, 200, pyJson(out, 2));
    } catch (e) {
      const err = toApiError(e);
      if (err.status >= 500 && o.log) o.log(`error in ${method} ${url.pathname}: ${(e as Error)?.stack ?? String(e)}`);
      sendError(res, err);
    }
  };

  const headersTimeout = o.headersTimeoutMs ?? 20_000;
  const server = http.createServer({ headersTimeout, requestTimeout: 0, connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    inFlight++;
    // an idle-mid-request client is dropped (uploads stream, so there is no total deadline)
    req.setTimeout(o.idleTimeoutMs ?? 60_000, () => req.destroy());
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) for (const f of idle.splice(0)) f();
    });
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 5000, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    async close(graceMs = 10_000) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => idle.push(resolve)), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
