/**
 * How the REST backend talks to servers that misbehave: a tiny real HTTP server (no mocks)
 * answers 401, 500, 503, 429, HTML, garbage, or nothing, and counts the requests; the CLI
 * must print one line naming the server and exit 1, retry only what is safe to repeat
 * (reads; writes only when the server did not act: 429/503), and send MLflow's credentials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

type Answer = { status: number; body: string; type?: string; headers?: Record<string, string> } | 'hang' | 'reset';

let servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

/** A server answering each request with the next answer of `script` (the last one repeats). */
async function serve(script: Answer[] | ((seen: Seen, n: number) => Answer)): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const one: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: Buffer.concat(chunks).toString() };
      seen.push(one);
      const a = typeof script === 'function' ? script(one, seen.length - 1) : script[Math.min(seen.length - 1, script.length - 1)]!;
      if (a === 'hang') return;
      if (a === 'reset') return void req.socket.destroy();
      res.writeHead(a.status, { 'Content-Type': a.type ?? 'application/json', ...(a.headers ?? {}) });
      res.end(a.body);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

const FAST = { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0' };
const EXPERIMENTS = JSON.stringify({
  experiments: [{ experiment_id: '0', name: 'Default', artifact_location: 'mlflow-artifacts:/0', lifecycle_stage: 'active' }],
});
const RUN_ID = 'a'.repeat(32);

describe('errors: one line naming the server, exit 1', () => {
  it('connection refused', async () => {
    const { url } = await serve([]);
    servers[0]!.close();
    servers = [];
    await new Promise((r) => setTimeout(r, 20));
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: FAST });
    expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: cannot reach the tracking server at ${url}: connection refused (is the server running?)\n` });
  });

  it('401 without credentials, and with wrong ones', async () => {
    const { url } = await serve([
      { status: 401, body: 'You are not authenticated.', type: 'text/plain', headers: { 'WWW-Authenticate': 'Basic realm="mlflow"' } },
    ]);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: FAST });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlr: the tracking server at ${url} answered 401 Unauthorized: it needs credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)\n`,
    });
    const w = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: { ...FAST, MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'nope' } });
    expect(w.stderr).toBe(
      `mlr: the tracking server at ${url} answered 401 Unauthorized: it refused the username and password in MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD\n`,
    );
    expect(w.code).toBe(1);
  });

  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD, else a bearer MLFLOW_TRACKING_TOKEN', async () => {
    const { url, seen } = await serve([{ status: 200, body: EXPERIMENTS }]);
    expect(
      (
        await mlr(['--tracking-uri', url, 'experiments', 'ls', '--format', 'tsv'], {
          env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'pw:1' },
        })
      ).code,
    ).toBe(0);
    expect(seen[0]!.auth).toBe('Basic ' + Buffer.from('ana:pw:1').toString('base64'));
    expect((await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: { MLFLOW_TRACKING_TOKEN: 'tok' } })).code).toBe(0);
    expect(seen[1]!.auth).toBe('Bearer tok');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/2.0/mlflow/experiments/search' });
  });

  it("an MLflow error answer: the server's error_code and message", async () => {
    const { url } = await serve([{ status: 404, body: JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run '${RUN_ID}' not found` }) }]);
    const r = await mlr(['--tracking-uri', url, 'log-param', RUN_ID, 'lr', '0.1'], { env: FAST });
    expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: Run '${RUN_ID}' not found\n` });
    const { url: u2 } = await serve([
      {
        status: 400,
        body: JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Changing param values is not allowed.\nParam with key=lr was already logged' }),
      },
    ]);
    const p = await mlr(['--tracking-uri', u2, 'log-param', RUN_ID, 'lr', '0.1'], { env: FAST });
    expect(p).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlr: INVALID_PARAMETER_VALUE: Changing param values is not allowed. Param with key=lr was already logged\n',
    });
  });

  it("a search the server refuses is a usage error (exit 2) with the server's reason", async () => {
    const { url, seen } = await serve((req) =>
      req.url.includes('experiments/search')
        ? { status: 200, body: EXPERIMENTS }
        : { status: 400, body: JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid attribute key 'x' specified." }) },
    );
    const r = await mlr(['--tracking-uri', url, 'runs', 'ls', '--filter', "params.x = 'y'"], { env: FAST });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `mlr: ${url} refused the search: INVALID_PARAMETER_VALUE: Invalid attribute key 'x' specified.\n` });
    expect(JSON.parse(seen[1]!.body)).toMatchObject({ experiment_ids: ['0'], filter: "params.`x` = 'y'", run_view_type: 'ACTIVE_ONLY' });
  });

  it('something that is not MLflow: a 404 page, an HTML 200, garbage', async () => {
    const { url } = await serve([{ status: 404, body: '<html>nope</html>', type: 'text/html' }]);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: FAST });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlr: ${url} is not an MLflow tracking server (or the URI has a wrong path): POST ${url}/api/2.0/mlflow/experiments/search answered 404 Not Found\n`,
    });
    const { url: u2 } = await serve([{ status: 200, body: '<!doctype html><title>Grafana</title>', type: 'text/html; charset=utf-8' }]);
    const h = await mlr(['--tracking-uri', u2, 'runs', 'ls'], { env: FAST });
    expect(h).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlr: ${u2} is not an MLflow tracking server: POST ${u2}/api/2.0/mlflow/experiments/search answered text/html that is not MLflow's JSON\n`,
    });
    const { url: u3 } = await serve([{ status: 500, body: '\u0000\u0001garbage', type: 'application/octet-stream' }]);
    const g = await mlr(['--tracking-uri', u3, 'experiments', 'ls'], { env: { ...FAST, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' } });
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(new RegExp(`^mlr: POST ${u3.replace(/[.]/g, '\\.')}/api/2\\.0/mlflow/experiments/search answered 500: .*garbage\\n$`));
  });

  it('a server that does not answer: the timeout (MLFLOW_HTTP_REQUEST_TIMEOUT)', async () => {
    const { url } = await serve(['hang']);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: { ...FAST, MLFLOW_HTTP_REQUEST_TIMEOUT: '0.2' } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: the tracking server at ${url} did not answer within 0.2 s (MLFLOW_HTTP_REQUEST_TIMEOUT)\n` });
  });
});

describe('retries', () => {
  it('a read is retried on 500/502/503/504/429 and on a dropped connection, then succeeds', async () => {
    const { url, seen } = await serve([
      { status: 503, body: 'busy', type: 'text/plain' },
      { status: 502, body: '' },
      'reset',
      { status: 429, body: JSON.stringify({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }), headers: { 'Retry-After': '0' } },
      { status: 500, body: JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'hiccup' }) },
      { status: 200, body: EXPERIMENTS },
    ]);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls', '--format', 'json'], { env: FAST });
    expect({ code: r.code, stderr: r.stderr, ids: (JSON.parse(r.stdout) as { experiment_id: string }[]).map((e) => e.experiment_id) }).toEqual({
      code: 0,
      stderr: '',
      ids: ['0'],
    });
    expect(seen).toHaveLength(6);
  });

  it('gives up after MLFLOW_HTTP_REQUEST_MAX_RETRIES', async () => {
    const { url, seen } = await serve([{ status: 503, body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down for maintenance' }) }]);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: { ...FAST, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3' } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'mlr: TEMPORARILY_UNAVAILABLE: down for maintenance\n' });
    expect(seen).toHaveLength(4);
  });

  it('a definite MLflow error in a 500 is not retried', async () => {
    const { url, seen } = await serve([
      { status: 500, body: JSON.stringify({ error_code: 'INVALID_STATE', message: 'Could not create run under non-active experiment with ID 1.' }) },
    ]);
    const r = await mlr(['--tracking-uri', url, 'experiments', 'ls'], { env: FAST });
    expect(r.stderr).toBe('mlr: INVALID_STATE: Could not create run under non-active experiment with ID 1.\n');
    expect(seen).toHaveLength(1);
  });

  it('log-metric is never sent twice after a 500 or a dropped connection (the server may have logged it)', async () => {
    for (const first of [{ status: 500, body: JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'db hiccup' }) }, 'reset'] as Answer[]) {
      const { url, seen } = await serve([first, { status: 200, body: '{}' }]);
      const r = await mlr(['--tracking-uri', url, 'log-metric', RUN_ID, 'loss', '0.5', '--step', '3', '--timestamp', '1700000000000'], { env: FAST });
      expect(r.code).toBe(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/2.0/mlflow/runs/log-metric' });
      expect(JSON.parse(seen[0]!.body)).toEqual({ run_id: RUN_ID, key: 'loss', value: 0.5, timestamp: 1700000000000, step: 3 });
    }
  });

  it('a write is sent again after 429 or 503 (refused before it was acted on)', async () => {
    const { url, seen } = await serve([
      { status: 429, body: JSON.stringify({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }) },
      { status: 503, body: 'busy', type: 'text/plain' },
      { status: 200, body: '{}' },
    ]);
    const r = await mlr(['--tracking-uri', url, 'log-metric', RUN_ID, 'loss', '0.5', '--step', '9007199254740993', '--timestamp', '1700000000000'], {
      env: FAST,
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(seen).toHaveLength(3);
    // int64 steps beyond 2^53 go out with every digit
    expect(seen[2]!.body).toContain('"step":9007199254740993');
  });
});
