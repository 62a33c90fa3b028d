/**
 * A sync killed in the middle (SIGKILL, the built CLI as a child process) and run again
 * leaves the server with every metric line exactly once, in logged order.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { BIN, cleanEnv, mlr, tempDir } from '../helpers.js';
import { serveRoot, type TestServer } from '../server/helpers.js';

let server: TestServer;
let source = '';
let batches = 0;
const KEYS = 20;
const LINES = 1000;

beforeAll(async () => {
  const work = tempDir('killed');
  const root = path.join(work, 'server-store');
  const sb = await openBackend(resolveTrackingUri(root, {}, work), { cwd: work });
  await (await sb.writer()).createExperiment('Default', { experimentId: '0' });
  await sb.close();
  server = await serveRoot(root, { log: (line) => void (line.startsWith('POST /api/2.0/mlflow/runs/log-batch') && batches++) });
  source = path.join(work, 'mlruns');
  const b = await openBackend(resolveTrackingUri(source, {}, work), { cwd: work });
  const w = await b.writer();
  await w.createExperiment('Default', { experimentId: '0' });
  const run = await w.createRun({ experiment: '0', runName: 'long', startTime: 1700000000000 });
  for (let k = 0; k < KEYS; k++) {
    const metrics = Array.from({ length: LINES }, (_, i) => ({ key: `m${k}`, value: i / 7, timestamp: 1700000000000 + i, step: i }));
    await w.logMetrics(run.run_id, metrics);
  }
  await b.close();
});
afterAll(async () => {
  await server.stop();
});

describe('a killed sync', () => {
  it('resumes without a duplicate line', async () => {
    const child = spawn(process.execPath, [BIN, 'sync', '--from', source, '--to', server.url], { env: cleanEnv(), stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    // kill it once a few of its 20 batches are in
    while (batches < 3) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(batches).toBeLessThan(KEYS);
    // what the server holds now: whole batches (each is written whole), a prefix of the history
    const found = await mlr(['--tracking-uri', server.url, 'runs', 'ls', '--filter', `tags.\`mlr.source_run_id\` LIKE '%'`, '--format', 'ids']);
    const target = found.stdout.trim();
    expect(target).toMatch(/^[0-9a-f]{32}$/);
    let held = 0;
    for (let k = 0; k < KEYS; k++) {
      const h = await mlr(['--tracking-uri', server.url, 'metrics', 'history', target, `m${k}`, '--format', 'json']);
      if (h.code === 0) held += (JSON.parse(h.stdout) as unknown[]).length;
    }
    expect(held % LINES).toBe(0);
    expect(held).toBeGreaterThanOrEqual(3 * LINES);
    const again = await mlr(['sync', '--from', source, '--to', server.url, '--format', 'json']);
    expect(again.code).toBe(0);
    const [row] = (JSON.parse(again.stdout) as { runs: { action: string; target_run_id: string; metric_lines: number }[] }).runs;
    expect(row).toMatchObject({ action: 'updated', target_run_id: target, metric_lines: KEYS * LINES - held });
    for (let k = 0; k < KEYS; k++) {
      const h = JSON.parse((await mlr(['--tracking-uri', server.url, 'metrics', 'history', row!.target_run_id, `m${k}`, '--format', 'json'])).stdout) as {
        step: number;
      }[];
      expect(h.map((m) => m.step)).toEqual(Array.from({ length: LINES }, (_, i) => i));
    }
  });
});
