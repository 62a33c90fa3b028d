/**
 * `mlr server` as a command, in-process: prints the URL and the MLFLOW_TRACKING_URI line,
 * logs requests with --verbose, refuses a non-loopback address without --auth, and stops
 * on the invocation's SIGTERM once requests in flight have finished.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIO, SignalName } from '../../src/cli/io.js';
import { copyStore } from '../helpers.js';

function io(argv: string[], cwd: string): { io: CliIO; out: () => string; err: () => string; signals: EventEmitter } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const signals = new EventEmitter();
  return {
    io: {
      argv,
      env: {},
      cwd,
      stdin: Readable.from([]),
      stdout,
      stderr,
      signals: { on: (s: SignalName, h: () => void) => signals.on(s, h), off: (s: SignalName, h: () => void) => signals.off(s, h) },
      inheritable: false,
    },
    out: () => out,
    err: () => err,
    signals,
  };
}

async function until<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('mlr server', () => {
  it('serves, logs each request with --verbose, and stops on SIGTERM', async () => {
    const root = copyStore();
    const t = io(['--store', root, '-v', 'server', '--port', '0'], path.dirname(root));
    const done = runCli(t.io);
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
    const t = io(['--store', root, 'server', '--port', '0'], dir);
    const done = runCli(t.io);
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
    const t = io(['--store', root, 'server', '--host', '0.0.0.0', '--port', '0'], path.dirname(root));
    expect(await runCli(t.io)).toBe(2);
    expect(t.err()).toMatch(/--auth user:password .*MLR_SERVER_AUTH.*--no-auth/);
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });
});
