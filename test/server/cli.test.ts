/**
 * `mlr server` as a command, in-process: prints the URL and the MLFLOW_TRACKING_URI line,
 * logs requests with --verbose, refuses a non-loopback address without --auth, and stops
 * on the invocation's SIGTERM once requests in flight have finished.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore } from '../helpers.js';
import { startCli, until } from './helpers.js';

describe('mlr server', () => {
  it('serves, logs each request with --verbose, and stops on SIGTERM', async () => {
    const root = copyStore();
    const t = startCli(['--store', root, '-v', 'server', '--port', '0'], path.dirname(root));
    const done = t.done;
    const url = await until(() => /^MLFLOW_TRACKING_URI=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(t.out())?.[1]);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const r = await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(r.status).toBe(200);
    await until(() => (t.err().includes('GET /api/2.0/mlflow/experiments/get?experiment_id=0 200') ? true : undefined));
    expect(t.err()).toContain(`at ${url}`);
    t.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });

  it('creates a missing store as MLflow does (the folder and its Default experiment)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-new-'));
    const root = path.join(dir, 'mlruns');
    const t = startCli(['--store', root, 'server', '--port', '0'], dir);
    const done = t.done;
    const url = await until(() => /^MLFLOW_TRACKING_URI=(\S+)$/m.exec(t.out())?.[1]);
    const r = (await (await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`)).json()) as {
      experiment: { experiment_id: string };
    };
    expect(r.experiment.experiment_id).toBe('0');
    t.signals.emit('SIGINT');
    expect(await done).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a non-loopback address without --auth, and says how to allow it', async () => {
    const root = copyStore();
    const t = startCli(['--store', root, 'server', '--host', '0.0.0.0', '--port', '0'], path.dirname(root));
    expect(await t.done).toBe(2);
    expect(t.err()).toMatch(/--auth user:password .*MLR_SERVER_AUTH.*--no-auth/);
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });
});
