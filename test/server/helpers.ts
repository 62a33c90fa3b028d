/**
 * Servers for the tests: `mlr server`'s startServer in-process on 127.0.0.1 and a free
 * port, over a fresh copy of a store, and a small HTTP client written from MLflow's REST
 * docs (JSON bodies for POST/PATCH/DELETE, query strings for GET).
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import type { SignalName } from '../../src/cli/io.js';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { BIN, copyStore } from '../helpers.js';
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

/** Polls `f` every 20 ms until it gives a value; throws after `ms`. */
export async function until<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `mlr <argv>` in-process as a long-running command (`server`, `ui`): what it has printed so
 * far, its exit code to come, and the invocation's signals (`stop` sends SIGTERM).
 */
export function startCli(argv: string[], cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const signals = new EventEmitter();
  const done = runCli({
    argv,
    env: {},
    cwd,
    stdin: Readable.from([]),
    stdout,
    stderr,
    signals: { on: (s: SignalName, h: () => void) => signals.on(s, h), off: (s: SignalName, h: () => void) => signals.off(s, h) },
    inheritable: false,
  });
  return { out: () => out, err: () => err, done, signals, stop: () => signals.emit('SIGTERM') };
}

/**
 * The built `mlr <args>` (a `server` command) as a child process, for tests whose own process
 * blocks while a doc's commands run: its MLFLOW_TRACKING_URI, and `stop`, which waits for it.
 */
export async function serverChild(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^MLFLOW_TRACKING_URI=(\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`mlr server exited with ${code}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    },
  };
}
