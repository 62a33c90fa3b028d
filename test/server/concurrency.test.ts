/**
 * 16 HTTP clients each logging N metric lines to one run while the CLI, in another
 * process, logs to the same run and metric: every line arrives, none is torn, and the
 * file reads back as MLflow's file store would write it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, reap } from '../helpers.js';
import { serveCopy, type TestServer } from './helpers.js';

const RUN = 'b92984aba45d4abc95751e11a9134946';
const CLIENTS = 16;
const PER_CLIENT = 40;
const CLI_CALLS = 10;

let s: TestServer;
beforeAll(async () => {
  s = await serveCopy();
});
afterAll(() => s.stop());

function cli(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    p.on('close', (code) => resolve(code ?? -1));
  });
}

describe('concurrent writers', () => {
  it(`${CLIENTS} clients × ${PER_CLIENT} log-metric plus the CLI: no lost or torn line`, async () => {
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < PER_CLIENT; i++) {
        const r = await s.call('POST', 'runs/log-metric', {
          run_id: RUN,
          key: 'conc',
          value: c + i / 1000,
          timestamp: 1_700_000_000_000 + c * 10_000 + i,
          step: c * 1000 + i,
        });
        expect(r.status, r.text).toBe(200);
      }
    });
    const fromCli = (async () => {
      for (let i = 0; i < CLI_CALLS; i++) {
        expect(
          await cli(['--store', s.root, 'log-metric', RUN, 'conc', String(-i), '--step', String(900_000 + i), '--timestamp', String(1_600_000_000_000 + i)]),
        ).toBe(0);
      }
    })();
    await Promise.all([...clients, fromCli]);
    const file = path.join(s.root, '234684999513866976', RUN, 'metrics', 'conc');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(CLIENTS * PER_CLIENT + CLI_CALLS);
    for (const l of lines) expect(l).toMatch(/^\d+ -?\d+(\.\d+)?(e[+-]\d+)? \d+$/);
    const steps = new Set(lines.map((l) => l.split(' ')[2]));
    expect(steps.size).toBe(lines.length);
    const h = await s.call('GET', 'metrics/get-history', { run_id: RUN, metric_key: 'conc' });
    expect((h.json as { metrics: unknown[] }).metrics).toHaveLength(lines.length);
  });

  it('concurrent params of one key: one value wins, the others are refused as MLflow refuses them', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => s.call('POST', 'runs/log-parameter', { run_id: RUN, key: 'race', value: `v${i}` })));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect((a.json as { message: string }).message).toMatch(/^Changing param values is not allowed/);
  });
});

describe('log-metric requests written together (src/server/metric-queue.ts)', () => {
  const DELETED = '2ee677726ea047b29ffa9fddb9fcf75d';
  const MISSING = 'f'.repeat(32);

  it('requests that arrive together each get their own answer: written, refused alone, or their run missing or deleted', async () => {
    const m = (run: string, value: number, timestamp: number, step: number) =>
      s.call('POST', 'runs/log-metric', { run_id: run, key: 'together', value, timestamp, step });
    const answers = await Promise.all([m(RUN, 1.5, 1000, 1), m(RUN, 2.5, -1, 2), m(MISSING, 3.5, 1000, 3), m(RUN, 4.5, 1001, 4), m(DELETED, 5.5, 1000, 5)]);
    expect(answers.map((a) => [a.status, a.json])).toEqual([
      [200, {}],
      [
        400,
        {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: "Got invalid timestamp -1 for metric 'together' (value=2.5). Timestamp must be a nonnegative long (64-bit integer) ",
        },
      ],
      [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run '${MISSING}' not found` }],
      [200, {}],
      [400, { error_code: 'INVALID_PARAMETER_VALUE', message: `The run ${DELETED} must be in 'active' lifecycle_stage.` }],
    ]);
    expect(fs.readFileSync(path.join(s.root, '234684999513866976', RUN, 'metrics', 'together'), 'utf8')).toBe('1000 1.5 1\n1001 4.5 4\n');
    expect(fs.existsSync(path.join(s.root, '234684999513866976', DELETED, 'metrics', 'together'))).toBe(false);
  });

  it('while another process holds the store lock, the server keeps answering; a write that needs the lock waits for it', async () => {
    const lock = JSON.stringify(path.join(REPO, 'dist', 'store', 'file', 'lock.js'));
    const code = `import { withLock } from ${lock};
withLock(process.argv[1], () => { process.stdout.write('ready\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500); });`;
    const child = reap(spawn(process.execPath, ['--input-type=module', '-e', code, s.root], { stdio: ['ignore', 'pipe', 'inherit'] }));
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const create = s.call('POST', 'experiments/create', { name: 'made-while-locked' }).then((r) => ({ r, at: performance.now() }));
    // the server is not stalled by the waiting create: reads and log-metric are answered meanwhile
    const t0 = performance.now();
    expect((await s.call('GET', '/health')).text).toBe('OK');
    expect((await m1()).status).toBe(200);
    expect((await s.call('GET', 'runs/get', { run_id: RUN })).status).toBe(200);
    const during = performance.now() - t0;
    const done = await create;
    await exited;
    expect(done.r.status, done.r.text).toBe(200);
    // the create waited out the other process's 1.5 s; the other requests did not wait for it
    expect(done.at - t0).toBeGreaterThan(1000);
    expect(during).toBeLessThan(done.at - t0);
    const id = (done.r.json as { experiment_id: string }).experiment_id;
    expect(fs.readFileSync(path.join(s.root, id, 'meta.yaml'), 'utf8')).toContain('name: made-while-locked');
    expect(fs.existsSync(path.join(s.root, '.mlr-lock'))).toBe(false);

    function m1() {
      return s.call('POST', 'runs/log-metric', { run_id: RUN, key: 'while-locked', value: 1, timestamp: 1, step: 0 });
    }
  });
});

describe('graceful shutdown', () => {
  it('an upload in flight when close() is called finishes; new requests are refused', async () => {
    const t = await serveCopy();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const body = async function* () {
      yield Buffer.from('first half,');
      await gate;
      yield Buffer.from('second half');
    };
    const upload = fetch(`${t.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/slow.txt`, {
      method: 'PUT',
      body: body() as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 200));
    const closing = t.close();
    await new Promise((r) => setTimeout(r, 100));
    release();
    expect((await upload).status).toBe(200);
    await closing;
    expect(fs.readFileSync(path.join(t.artifacts, '1', 'r', 'artifacts', 'slow.txt'), 'utf8')).toBe('first half,second half');
    await expect(fetch(`${t.url}/health`)).rejects.toThrow();
    fs.rmSync(path.dirname(t.root), { recursive: true, force: true });
  });
});
