/**
 * Servers for the tests: `mlr server`'s startServer in-process on 127.0.0.1 and a free
 * port, over a fresh copy of a store, and a small HTTP client written from MLflow's REST
 * docs (JSON bodies for POST/PATCH/DELETE, query strings for GET).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { copyStore } from '../helpers.js';
import type { Backend } from '../../src/store/backend.js';

export interface TestServer extends RunningServer {
  /** the store root served */
  root: string;
  /** the artifact destination (mlartifacts/ beside the store) */
  artifacts: string;
  /** the backend served (opened with longLived) */
  backend: Backend;
  call(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** close the server and remove the temporary store */
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Query string as MLflow's client builds one: repeated keys for lists. */
function queryString(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else if (v !== undefined) p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function request(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const url = route.startsWith('/') ? base + route : `${base}/api/2.0/mlflow/${route}`;
  const init: RequestInit = { method, headers: { ...headers } };
  let target = url;
  if (method === 'GET' && body !== undefined) target += queryString(body as Record<string, unknown>);
  else if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
  }
  const r = await fetch(target, init);
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** Serve a fresh copy of `src` (default: fixtures/mlruns), artifacts proxied as `mlflow server` does. */
export async function serveCopy(src?: string, opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const root = copyStore(src);
  return serveRoot(root, opts, true);
}

export async function serveRoot(root: string, opts: Partial<ServerOptions> = {}, removeAfter = false): Promise<TestServer> {
  const loc = resolveTrackingUri(root, {}, path.dirname(root));
  const backend = await openBackend({ ...loc, artifactRoot: 'mlflow-artifacts:/' }, { cwd: path.dirname(root), longLived: true });
  const artifacts = path.join(path.dirname(root), 'mlartifacts');
  const s = await startServer({ backend, host: '127.0.0.1', port: 0, artifactsDestination: artifacts, ...opts });
  return {
    ...s,
    root,
    artifacts,
    backend,
    call: (method, route, body, headers) => request(s.url, method, route, body, headers),
    async stop() {
      await s.close();
      if (removeAfter) fs.rmSync(path.dirname(root), { recursive: true, force: true });
    },
  };
}
