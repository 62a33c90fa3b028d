/**
 * The REST backend through its interface: following a metric (what `plot --follow` polls),
 * int64 steps and -0.0 through the wire, and https with MLflow's TLS variables against a
 * real TLS server with a self-signed certificate (made by openssl; skipped without it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestBackend } from '../../src/store/rest/backend.js';
import { mlr, tempDir } from '../helpers.js';
import { serveCopy, type TestServer } from '../server/helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await serveCopy();
});
afterAll(async () => {
  await server.stop();
});

describe('RestBackend', () => {
  it('tailMetric returns what was logged since the last poll', async () => {
    const b = new RestBackend({ uri: server.url, env: {}, cwd: process.cwd() });
    const w = await b.writer();
    const run = await w.createRun({ experiment: '0', runName: 'follow', startTime: 1700000000000 });
    await w.logMetrics(run.run_id, [{ key: 'loss', value: 1, timestamp: 1700000000001, step: 0 }]);
    const r = await b.freshReader();
    const tail = r.tailMetric(await r.findRun(run.run_id), 'loss');
    expect(await tail.poll()).toEqual({ reset: false, lines: [{ key: 'loss', value: 1, timestamp: 1700000000001, step: 0 }] });
    expect(await tail.poll()).toEqual({ reset: false, lines: [] });
    await w.logMetrics(run.run_id, [
      { key: 'loss', value: -0, timestamp: 1700000000002, step: 9007199254740993n },
      { key: 'loss', value: NaN, timestamp: 1700000000003, step: 2 },
    ]);
    const next = await tail.poll();
    expect(next.lines).toHaveLength(2);
    expect(next.lines[0]!.step).toBe(9007199254740993n);
    expect(Object.is(next.lines[0]!.value, -0)).toBe(true);
    expect(next.lines[1]!.value).toBeNaN();
    await b.close();
  });

  it('a run id prefix is found by listing (MLflow has no prefix search)', async () => {
    const b = new RestBackend({ uri: server.url, env: {}, cwd: process.cwd() });
    const r = await b.reader();
    expect((await r.findRun('d6105782')).info.run_id).toBe('d61057829b7b4f24b7a65344cc35e18e');
    await expect(r.findRun('d61')).rejects.toThrow(/too short/);
    await expect(r.findRun('ffffffffff')).rejects.toThrow(/not found/);
    await b.close();
  });
});

describe('mlr server --auth', () => {
  it('right, wrong and missing credentials', async () => {
    const s = await serveCopy(undefined, { auth: { username: 'ana', password: 's3cret' } });
    try {
      const args = ['--tracking-uri', s.url, 'runs', 'ls', '-e', 'Default', '--format', 'ids'];
      const right = await mlr(args, { env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 's3cret' } });
      expect({ code: right.code, stderr: right.stderr, lines: right.stdout.trim().split('\n').length }).toEqual({ code: 0, stderr: '', lines: 3 });
      const wrong = await mlr(args, { env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'nope' } });
      expect(wrong).toEqual({
        code: 1,
        stdout: '',
        stderr: `mlr: the tracking server at ${s.url} answered 401 Unauthorized: it refused the username and password in MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD\n`,
      });
      const missing = await mlr(args);
      expect(missing).toEqual({
        code: 1,
        stdout: '',
        stderr: `mlr: the tracking server at ${s.url} answered 401 Unauthorized: it needs credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)\n`,
      });
    } finally {
      await s.stop();
    }
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('https', () => {
  let tls: https.Server;
  let url = '';
  let cert = '';
  beforeAll(async () => {
    const dir = tempDir('tls');
    const key = path.join(dir, 'key.pem');
    cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    tls = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ experiments: [{ experiment_id: '0', name: 'Default', artifact_location: 'mlflow-artifacts:/0', lifecycle_stage: 'active' }] }));
      req.resume();
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    tls.closeAllConnections();
    await new Promise((r) => tls.close(r));
  });

  it('refuses an unknown certificate with a hint, accepts it with MLFLOW_TRACKING_SERVER_CERT_PATH or MLFLOW_TRACKING_INSECURE_TLS', async () => {
    const bad = await mlr(['--tracking-uri', url, 'experiments', 'ls', '--format', 'tsv']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      new RegExp(
        `^mlr: cannot connect to the tracking server at ${url.replace(/\./g, '\\.')}: TLS: .*\\(set MLFLOW_TRACKING_SERVER_CERT_PATH to its CA, or MLFLOW_TRACKING_INSECURE_TLS=true\\)\\n$`,
      ),
    );
    for (const env of [{ MLFLOW_TRACKING_SERVER_CERT_PATH: cert }, { MLFLOW_TRACKING_INSECURE_TLS: 'true' }] as Record<string, string>[]) {
      const ok = await mlr(['--tracking-uri', url, 'experiments', 'ls', '--format', 'tsv'], { env });
      expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
      expect(ok.stdout).toContain('Default');
    }
  });
});
