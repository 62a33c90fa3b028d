/**
 * `mlr run -- <command>`: environment for the command, run status from its outcome,
 * signal forwarding, exit code.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN, mlr, tempDir, reap } from '../helpers.js';

let work: string;
let store: string;
beforeEach(async () => {
  work = tempDir('run');
  store = path.join(work, 'mlruns');
  expect((await mlr(['--store', store, 'experiments', 'create', 'x'], { cwd: work })).code).toBe(0);
});

interface RunJson {
  info: { run_id: string; run_name: string; status: string; experiment_id: string; end_time: number | null; user_id: string };
  data: { metrics: { key: string; value: number }[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
}
const describeRun = async (id: string): Promise<RunJson> =>
  JSON.parse((await mlr(['--store', store, 'runs', 'describe', id, '--format', 'json'], { cwd: work })).stdout) as RunJson;
const runIdFrom = (stderr: string) => /^mlr: run ([0-9a-f]{32}) /m.exec(stderr)![1]!;

describe('mlr run', () => {
  it('gives the command MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID, passes its output through, ends FINISHED', async () => {
    const r = await mlr(
      [
        '--store',
        store,
        'run',
        '-e',
        'x',
        '--name',
        'job',
        '--tag',
        'k=v',
        '--',
        'sh',
        '-c',
        'echo "$MLFLOW_RUN_ID|$MLFLOW_EXPERIMENT_ID|$MLFLOW_TRACKING_URI|$1"',
        'sh',
        'arg with space',
      ],
      {
        cwd: work,
        env: { MLFLOW_EXPERIMENT_NAME: 'ignored-by-run' },
      },
    );
    expect(r.code).toBe(0);
    const id = runIdFrom(r.stderr);
    const run = await describeRun(id);
    expect(r.stdout).toBe(`${id}|${run.info.experiment_id}|${store}|arg with space\n`);
    expect(r.stderr).toBe(`mlr: run ${id} (job) in experiment ${run.info.experiment_id}\nmlr: run ${id} FINISHED\n`);
    expect(run.info).toMatchObject({ run_name: 'job', status: 'FINISHED' });
    expect(run.info.end_time).not.toBeNull();
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      k: 'v',
      'mlflow.runName': 'job',
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.name': `sh -c 'echo "$MLFLOW_RUN_ID|$MLFLOW_EXPERIMENT_ID|$MLFLOW_TRACKING_URI|$1"' sh 'arg with space'`,
    });
  });

  it("lets the command log to its run with mlr and MLflow's environment variables alone", async () => {
    const inner = `"${process.execPath}" "${BIN}"`;
    const r = await mlr(
      [
        '--store',
        store,
        'run',
        '-e',
        'x',
        '--',
        'sh',
        '-c',
        `${inner} log-metric loss 0.5 --step 1 && ${inner} log-params lr=0.01 && ${inner} set-tag phase train`,
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const run = await describeRun(runIdFrom(r.stderr));
    expect(run.data.metrics.map((m) => [m.key, m.value])).toEqual([['loss', 0.5]]);
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.tags).toContainEqual({ key: 'phase', value: 'train' });
  });

  it("ends FAILED and exits with the command's code", async () => {
    const r = await mlr(['--store', store, 'run', '--', 'sh', '-c', 'exit 3'], { cwd: work });
    expect(r.code).toBe(3);
    expect((await describeRun(runIdFrom(r.stderr))).info.status).toBe('FAILED');
  });

  it('reports a missing command (exit 127) and ends the run FAILED', async () => {
    const r = await mlr(['--store', store, 'run', '--', 'no-such-command-mlr'], { cwd: work });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^mlr: warning: command not found: no-such-command-mlr$/m);
    expect((await describeRun(runIdFrom(r.stderr))).info.status).toBe('FAILED');
  });

  it('ends KILLED when the command dies from a signal, exiting 128+n', async () => {
    const r = await mlr(['--store', store, 'run', '--', 'sh', '-c', 'kill -9 $$'], { cwd: work });
    expect(r.code).toBe(137);
    expect((await describeRun(runIdFrom(r.stderr))).info.status).toBe('KILLED');
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('forwards %s to the command and ends KILLED', async (sig, code) => {
    const child = reap(spawn(process.execPath, [BIN, '--store', store, 'run', '--', 'sleep', '30'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stderr = '';
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(' in experiment ')) resolve();
      }),
    );
    child.kill(sig);
    const exit = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(exit).toBe(code);
    const run = await describeRun(runIdFrom(stderr));
    expect(run.info.status).toBe('KILLED');
    expect(stderr).toMatch(/ KILLED\n$/);
  });

  it('records the user from MLFLOW_TRACKING_USERNAME', async () => {
    const r = await mlr(['--store', store, 'run', '--', 'true'], { cwd: work, env: { MLFLOW_TRACKING_USERNAME: 'ci-bot' } });
    const run = await describeRun(runIdFrom(r.stderr));
    expect(run.info.user_id).toBe('ci-bot');
    expect(run.data.tags).toContainEqual({ key: 'mlflow.user', value: 'ci-bot' });
  });

  it('is quiet with -q', async () => {
    const r = await mlr(['--store', store, '-q', 'run', '--', 'true'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
