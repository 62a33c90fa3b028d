/**
 * `mlr run --sweep` end to end: a parent run and nested children, really run N at a time
 * (checked from the children's own clock readings in a shared file), a failing child, a
 * sweep file, and Ctrl-C (a real SIGINT to the built binary).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, mlr } from '../helpers.js';
import { makeWork, metaField, startedRuns, storedRuns, type StoredRun, type Work } from './helpers.js';

const works: Work[] = [];
afterEach(() => {
  for (const w of works.splice(0)) fs.rmSync(w.dir, { recursive: true, force: true });
});
function work(files?: Record<string, string>): Work {
  const w = makeWork({ git: false, ...(files ? { files } : {}) });
  works.push(w);
  return w;
}

const STATUS: Record<string, string> = { '1': 'RUNNING', '3': 'FINISHED', '4': 'FAILED', '5': 'KILLED' };
const status = (r: StoredRun) => STATUS[metaField(r.meta, 'status')!];
const parentOf = (runs: StoredRun[]) => runs.find((r) => !r.tags['mlflow.parentRunId'])!;
const childrenOf = (runs: StoredRun[], parent: StoredRun) => runs.filter((r) => r.tags['mlflow.parentRunId'] === parent.id);

/** The most intervals [start, end] that overlap at one instant. */
function mostAtOnce(log: string): number {
  const events = log
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([what, , t]) => ({ t: Number(t), d: what === 'start' ? 1 : -1 }))
    .sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.d));
  return most;
}

// Each child waits (up to 10 s) until `jobs` children have started, then naps: with -j N the
// sweep must reach exactly N at once however slowly a loaded machine starts them, and a
// sweep that ran more than N at once shows more.
const SLEEPER = `import sys, time
def stamp(what):
    with open(sys.argv[1], "a") as f:
        f.write(f"{what} {sys.argv[2]} {time.time_ns()}\\n")
stamp("start")
deadline = time.time() + 10
while time.time() < deadline and open(sys.argv[1]).read().count("start") < int(sys.argv[3]):
    time.sleep(0.02)
time.sleep(0.2); stamp("end")
`;

describe('sweeps', () => {
  it.each([1, 2, 4])('runs 4 children with -j %i, at most that many at once', async (jobs) => {
    const w = work({
      'sleeper.py': SLEEPER,
      MLproject: 'entry_points:\n  nap:\n    parameters: {i: int, log: path, jobs: int}\n    command: "python3 sleeper.py {log} {i} {jobs}"\n',
    });
    const log = path.join(w.dir, 'times.log');
    fs.writeFileSync(log, '');
    const r = await mlr(
      ['run', 'proj', '-e', 'nap', '--sweep', 'i=1,2,3,4', '-P', `log=${log}`, '-P', `jobs=${jobs}`, '-j', String(jobs), '--run-name', 'naps'],
      { cwd: w.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(mostAtOnce(fs.readFileSync(log, 'utf8'))).toBe(jobs);
    const runs = storedRuns(w.store);
    const parent = parentOf(runs);
    const children = childrenOf(runs, parent);
    expect(runs).toHaveLength(5);
    expect(metaField(parent.meta, 'run_name')).toBe('naps');
    expect(status(parent)).toBe('FINISHED');
    expect(children.map((c) => [metaField(c.meta, 'run_name'), c.params['i'], status(c)]).sort()).toEqual([
      ['i=1', '1', 'FINISHED'],
      ['i=2', '2', 'FINISHED'],
      ['i=3', '3', 'FINISHED'],
      ['i=4', '4', 'FINISHED'],
    ]);
    // children are project runs like any other; the parent runs nothing
    for (const c of children)
      expect(c.tags).toMatchObject({ 'mlflow.source.type': 'PROJECT', 'mlflow.project.entryPoint': 'nap', 'mlflow.project.backend': 'local' });
    expect(parent.tags['mlflow.project.backend']).toBeUndefined();
    expect(parent.params).toEqual({});
    expect(r.stderr).toMatch(new RegExp(`^mlr: sweep run ${parent.id} FINISHED: 4 of 4 runs finished$`, 'm'));
  });

  it('ends the parent FAILED when a child fails, runs the others, exits 1', async () => {
    const w = work();
    const r = await mlr(['--store', w.store, 'run', '--sweep', 'code=0,3,0', '--', 'sh', '-c', 'exit {code}'], { cwd: w.dir });
    expect(r.code).toBe(1);
    const runs = storedRuns(w.store);
    const parent = parentOf(runs);
    expect(status(parent)).toBe('FAILED');
    expect(
      childrenOf(runs, parent)
        .map((c) => [c.params['code'], status(c)])
        .sort(),
    ).toEqual([
      ['0', 'FINISHED'],
      ['0', 'FINISHED'],
      ['3', 'FAILED'],
    ]);
    expect(r.stderr).toMatch(/^mlr: sweep run [0-9a-f]{32} FAILED: 2 of 3 runs finished$/m);
  });

  it('takes a sweep file, and shows the sweep as a tree', async () => {
    const w = work();
    fs.writeFileSync(path.join(w.dir, 'grid.yaml'), 'grid:\n  lr: [0.1, 0.01]\nruns:\n  - {lr: 1e-3}\n');
    const r = await mlr(['--store', w.store, 'run', '--sweep-file', 'grid.yaml', '--name', 'grid', '--', 'echo', '{lr}'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('0.1\n0.01\n1e-3\n');
    const tree = await mlr(['--store', w.store, 'runs', 'ls', '--tree', '--columns', 'run_name,status,params.lr', '--order-by', 'params.lr'], {
      cwd: w.dir,
      env: { MLR_FORCE_TTY: '1', COLUMNS: '80' },
    });
    expect(tree.stdout.replace(/ +$/gm, '')).toBe(
      ['Name        Status    lr', 'grid        FINISHED  -', '├─ lr=0.01  FINISHED  0.01', '├─ lr=0.1   FINISHED  0.1', '└─ lr=1e-3  FINISHED  1e-3', ''].join(
        '\n',
      ),
    );
  });

  it('checks every combination before creating a run', async () => {
    const w = work();
    const r = await mlr(['run', 'proj', '-e', 'train', '--sweep', 'data=proj/src,/nonexistent'], { cwd: w.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mlr: Got value /nonexistent for parameter data, but no such file or directory was found.\n');
    expect(fs.existsSync(w.store)).toBe(false);
  });

  it('refuses a key both swept and fixed', async () => {
    const w = work();
    const r = await mlr(['run', 'proj', '-e', 'train', '--sweep', 'lr=1,2', '-P', 'lr=3'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlr: 'lr' is both swept and fixed with -P\n");
  });

  it('lists every child with --dry-run and creates nothing', async () => {
    const w = work();
    const r = await mlr(['run', 'proj', '-e', 'generate_data', '--sweep', 'n_samples=1,2', '-j', '2', '--dry-run'], {
      cwd: w.dir,
      env: { MLFLOW_TRACKING_USERNAME: 'ana' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^(sweep|run|command)/.test(l))).toEqual([
      'sweep: 2 runs, 2 at a time, in experiment 0',
      'run 1 of 2 (n_samples=1)',
      "command: python3 -c 'print(1, 20)'",
      'run 2 of 2 (n_samples=2)',
      "command: python3 -c 'print(2, 20)'",
    ]);
    expect(r.stdout).toContain('  mlflow.parentRunId: (the sweep run)\n');
    expect(fs.existsSync(w.store)).toBe(false);
  });
});

describe('Ctrl-C during a sweep', () => {
  it('forwards SIGINT to the running children, waits, marks them and the parent KILLED, starts no more', async () => {
    const w = work();
    const child = spawn(process.execPath, [BIN, '--store', w.store, 'run', '--sweep', 's=1,2,3,4', '-j', '2', '--', 'sleep', '30'], {
      cwd: w.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (startedRuns(stderr).length === 2) resolve();
      }),
    );
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000); // the sleeps got the signal
    const runs = storedRuns(w.store);
    const parent = parentOf(runs);
    const children = childrenOf(runs, parent);
    expect(status(parent)).toBe('KILLED');
    expect(children.map((c) => [c.params['s'], status(c)]).sort()).toEqual([
      ['1', 'KILLED'],
      ['2', 'KILLED'],
    ]);
    for (const c of children) expect(metaField(c.meta, 'end_time')).toMatch(/^\d+$/);
    expect(stderr).toMatch(new RegExp(`mlr: sweep run ${parent.id} KILLED: 0 of 4 runs finished\\n$`));
  });
});
