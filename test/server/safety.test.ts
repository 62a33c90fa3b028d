/**
 * Safe by default: traversal (`..`, absolute, encoded, symlinks out), body and upload size
 * limits, malformed JSON, content types, basic auth (right, wrong, missing), --read-only,
 * unknown endpoints (MLflow's error JSON, never HTML), and keys validated as on the CLI.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCopy, type TestServer } from './helpers.js';

const RUN = 'b92984aba45d4abc95751e11a9134946';

describe('paths never leave the artifact root', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serveCopy();
    fs.mkdirSync(path.join(s.artifacts, '1', 'r', 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(s.artifacts, '1', 'r', 'artifacts', 'ok.txt'), 'fine');
    fs.writeFileSync(path.join(path.dirname(s.root), 'secret.txt'), 'top secret');
    fs.symlinkSync(path.dirname(s.root), path.join(s.artifacts, '1', 'out'));
  });
  afterAll(() => s.stop());

  it('serves what is inside', async () => {
    const r = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/ok.txt`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('fine');
  });

  it.each([
    '../secret.txt',
    '..%2fsecret.txt',
    '%2e%2e/secret.txt',
    '%252e%252e%252fsecret.txt',
    '1/out/secret.txt',
    '1/..%5c..%5csecret.txt',
    '%2fetc%2fpasswd',
  ])('GET %s is refused', async (p) => {
    const r = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${p}`);
    expect([400, 404]).toContain(r.status);
    const text = await r.text();
    expect(text).not.toContain('top secret');
    expect(JSON.parse(text)).toHaveProperty('error_code');
  });

  it('PUT through a symlink or .. is refused and writes nothing', async () => {
    for (const p of ['1/out/planted.txt', '..%2fplanted.txt', '1/%2e%2e/%2e%2e/%2e%2e/planted.txt']) {
      const r = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', body: 'x' });
      // (a client's URL parser may already turn %2e%2e into '..' and leave the API: 404)
      expect([400, 404], p).toContain(r.status);
      if (r.status === 400) expect((await r.json()) as object).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
    }
    expect(fs.existsSync(path.join(path.dirname(s.root), 'planted.txt'))).toBe(false);
  });

  it('artifacts/list and /get-artifact check the path too', async () => {
    const r = await s.call('GET', 'artifacts/list', { run_id: RUN, path: '../../..' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
    const g = await fetch(`${s.url}/get-artifact?run_uuid=${RUN}&path=${encodeURIComponent('../meta.yaml')}`);
    expect(g.status).toBe(400);
  });

  it('metric and param keys are validated as on the CLI', async () => {
    for (const key of ['../x', '/abs', 'a/../b', 'bad:colon']) {
      const r = await s.call('POST', 'runs/log-metric', { run_id: RUN, key, value: 1, timestamp: 1, step: 0 });
      expect(r.status, key).toBe(400);
      expect((r.json as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    const p = await s.call('POST', 'runs/log-parameter', { run_id: RUN, key: '../../escape', value: 'v' });
    expect(p.status).toBe(400);
    expect(fs.existsSync(path.join(s.root, 'escape'))).toBe(false);
  });
});

describe('request limits and malformed requests', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serveCopy(undefined, { maxArtifactSize: 1000 });
  });
  afterAll(() => s.stop());

  it('malformed JSON is a 400 with MLflow error JSON', async () => {
    const r = await s.call('POST', 'runs/log-metric', '{"run_id": ');
    expect(r.status).toBe(400);
    expect((r.json as { error_code: string }).error_code).toBe('MALFORMED_REQUEST');
    const arr = await s.call('POST', 'runs/log-metric', '[1, 2]');
    expect(arr.status).toBe(400);
  });

  it('a POST without a JSON content type is refused as MLflow refuses it', async () => {
    const r = await s.call('POST', 'runs/log-metric', '{}', { 'Content-Type': 'text/plain' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Bad Request. Content-Type must be one of ['application/json']." });
  });

  it('missing and mistyped fields get MLflow’s messages', async () => {
    const r = await s.call('POST', 'runs/log-metric', { run_id: RUN, key: 'k' });
    expect(r.json).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "Missing value for required parameter 'value'. See the API docs for more information about request parameters.",
    });
    const t = await s.call('POST', 'runs/log-metric', { run_id: RUN, key: 'k', value: 'abc', timestamp: 1 });
    expect((t.json as { message: string }).message).toMatch(/^Invalid value "abc" for parameter 'value' supplied/);
  });

  it('a JSON body over 1 MB gets 413 without being read whole', async () => {
    const big = JSON.stringify({ run_id: RUN, key: 'k', value: 'x'.repeat(1_100_000) });
    const r = await s.call('POST', 'runs/log-parameter', big);
    expect(r.status).toBe(413);
    expect((r.json as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('an upload over --max-artifact-size gets 413 and leaves no file', async () => {
    const r = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/big.bin`, { method: 'PUT', body: Buffer.alloc(5000) });
    expect(r.status).toBe(413);
    const dir = path.join(s.artifacts, '1', 'r', 'artifacts');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    // streamed without a length: cut off as it passes the limit
    const chunks = async function* () {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(500);
    };
    const streamed = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/big2.bin`, {
      method: 'PUT',
      body: chunks() as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('unknown endpoints and methods answer ENDPOINT_NOT_FOUND JSON with 404', async () => {
    for (const [m, p] of [
      ['GET', '/api/2.0/mlflow/runs/nope'],
      ['GET', '/'],
      ['GET', '/static-files/index.html'],
      ['DELETE', '/api/2.0/mlflow/runs/get'],
      ['GET', '/api/2.0/mlflow/runs/log-metric'],
    ] as const) {
      const r = await fetch(s.url + p, { method: m });
      expect(r.status, `${m} ${p}`).toBe(404);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(((await r.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
    }
  });

  it('health and version', async () => {
    expect(await (await fetch(`${s.url}/health`)).text()).toBe('OK');
    expect(await (await fetch(`${s.url}/version`)).text()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a client that never finishes its headers is dropped', async () => {
    const slow = await serveCopy(undefined, { headersTimeoutMs: 300 });
    try {
      const port = new URL(slow.url).port;
      const closed = await new Promise<boolean>((resolve) => {
        const sock = net.connect(Number(port), '127.0.0.1', () => sock.write('GET /health HTTP/1.1\r\nHost: x\r\n'));
        sock.resume();
        sock.on('close', () => resolve(true));
        sock.on('error', () => resolve(true));
        setTimeout(() => resolve(false), 5000).unref();
      });
      expect(closed).toBe(true);
    } finally {
      await slow.stop();
    }
  });
});

describe('auth and read-only', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await serveCopy(undefined, { auth: { username: 'ana', password: 's3cr:et' }, readOnly: true });
  });
  afterAll(() => s.stop());
  const basic = (u: string, p: string) => ({ Authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') });

  it('the right credentials pass, wrong or missing ones get 401 with a challenge', async () => {
    const good = await s.call('GET', 'experiments/get', { experiment_id: '0' }, basic('ana', 's3cr:et'));
    expect(good.status).toBe(200);
    for (const h of [basic('ana', 'wrong'), basic('bob', 's3cr:et'), {}, { Authorization: 'Bearer x' }]) {
      const r = await s.call('GET', 'experiments/get', { experiment_id: '0' }, h);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('Basic');
      expect((r.json as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
    }
  });

  it('--read-only refuses every write with 403 PERMISSION_DENIED and changes nothing', async () => {
    const before = fs.readdirSync(s.root).sort();
    const r = await s.call('POST', 'experiments/create', { name: 'nope' }, basic('ana', 's3cr:et'));
    expect(r.status).toBe(403);
    expect((r.json as { error_code: string }).error_code).toBe('PERMISSION_DENIED');
    const m = await s.call('POST', 'runs/log-metric', { run_id: RUN, key: 'k', value: 1, timestamp: 1 }, basic('ana', 's3cr:et'));
    expect(m.status).toBe(403);
    const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/x/y.txt`, { method: 'PUT', body: 'x', headers: basic('ana', 's3cr:et') });
    expect(put.status).toBe(403);
    // searches are POSTs that only read
    const search = await s.call('POST', 'runs/search', { experiment_ids: ['0'] }, basic('ana', 's3cr:et'));
    expect(search.status).toBe(200);
    expect(fs.readdirSync(s.root).sort()).toEqual(before);
  });
});
