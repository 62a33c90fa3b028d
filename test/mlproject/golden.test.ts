/**
 * Golden test: the `mlflow run --env-manager local` invocations of fixtures/mlproject/README.md
 * replayed with `mlr run` on a fresh git checkout of the same project. Each run mlr records
 * must equal, field by field, the one real MLflow 2.12 recorded (fixtures/mlproject/mlruns):
 * meta.yaml byte for byte, every param and every tag — after replacing run ids, times, the
 * user, the folder the runs were made in and the git commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { GOLDEN_DIR, GOLDEN_STORE, GOLDEN_WORK, makeWork, metaField, startedRuns, storedRuns, type StoredRun, type Work } from './helpers.js';

/** The golden run id of a log: `Run (ID '…')` or `in run with ID '…'`. */
function goldenId(log: string): string {
  const text = fs.readFileSync(path.join(GOLDEN_DIR, `${log}.log`), 'utf8');
  return /run with ID '([0-9a-f]{32})'/.exec(text)![1]!;
}

const EXITS = Object.fromEntries(
  fs
    .readFileSync(path.join(GOLDEN_DIR, 'exits.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => /^(\S+): exit (\d+)$/.exec(l)!.slice(1, 3) as [string, string]),
);

interface Case {
  log: string;
  args: (w: Work) => string[];
  /** mlr's exit code (MLflow's is in exits.txt) */
  code: number;
  stdout: string;
}

const CASES: Case[] = [
  {
    log: '1-train-overrides',
    args: (w) => ['-e', 'train', '-P', 'lr=0.01', '-P', 'extra=5', '-P', `data=${w.proj}/src`],
    code: 0,
    stdout: "train ['--hidden_dims', '[64, 32]', '--lr', '0.01', '--epochs', '50', '--extra', '5']\n",
  },
  { log: '2-generate-defaults', args: () => ['-e', 'generate_data'], code: 0, stdout: '1000 20\n' },
  // MLflow exits 1 for any failed run; mlr passes the command's code on
  { log: '5-failing-sh', args: () => ['-e', 'fail.sh'], code: 3, stdout: '' },
  { log: '6-run-name', args: () => ['-e', 'generate_data', '--run-name', 'my-run', '-P', 'n_samples=5'], code: 0, stdout: '5 20\n' },
];

/** Replace what differs between two machines and two runs by placeholders. */
function normalise(text: string, run: { id: string; exp: string; user: string; work: string; commit: string; name: string }): string {
  return text
    .split(run.id)
    .join('<run-id>')
    .split(run.exp)
    .join('<exp-id>')
    .split(run.work)
    .join('<work>')
    .split(run.commit)
    .join('<commit>')
    .replace(/^(start_time|end_time): \d+$/gm, '$1: <time>')
    .replace(new RegExp(`^user_id: ${run.user}$`, 'm'), 'user_id: <user>')
    .replace(new RegExp(`^run_name: ${run.name}$`, 'm'), 'run_name: <name>');
}

const goldenRuns = storedRuns(GOLDEN_STORE);
const GOLDEN_COMMIT = goldenRuns[0]!.tags['mlflow.source.git.commit']!;

function normalised(r: StoredRun, work: string, commit: string): { meta: string; params: Record<string, string>; tags: Record<string, string> } {
  const name = metaField(r.meta, 'run_name')!;
  const random = /^[a-z]+-[a-z]+-\d+$/.test(name);
  const ctx = { id: r.id, exp: r.exp, user: r.tags['mlflow.user']!, work, commit, name: random ? name : '\0' };
  const kv = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, normalise(v, ctx)]));
  const tags = kv(r.tags);
  tags['mlflow.user'] = '<user>';
  if (random) tags['mlflow.runName'] = '<name>';
  return { meta: normalise(r.meta, ctx), params: kv(r.params), tags };
}

describe('mlr run records what mlflow run --env-manager local records', () => {
  let work: Work;
  const results = new Map<string, { code: number; stdout: string; stderr: string }>();
  beforeAll(async () => {
    work = makeWork();
    // in order, like the recording: the first run creates the experiment
    for (const c of CASES) {
      const r = await mlr(['run', 'proj', ...c.args(work), '--experiment-name', 'projexp'], { cwd: work.dir });
      results.set(c.log, r);
    }
  });
  afterAll(() => fs.rmSync(work.dir, { recursive: true, force: true }));

  it.each(CASES)('$log: the same meta.yaml, params and tags', (c) => {
    const r = results.get(c.log)!;
    expect(r.code, r.stderr).toBe(c.code);
    expect(Number(EXITS[c.log])).toBe(c.code === 0 ? 0 : 1);
    expect(r.stdout).toBe(c.stdout);
    const [id] = startedRuns(r.stderr);
    const mine = storedRuns(work.store).find((x) => x.id === id)!;
    const golden = goldenRuns.find((x) => x.id === goldenId(c.log))!;
    const got = normalised(mine, work.dir, work.commit!);
    const want = normalised(golden, GOLDEN_WORK, GOLDEN_COMMIT);
    expect(got.meta).toBe(want.meta);
    expect(got.params).toEqual(want.params);
    expect(got.tags).toEqual(want.tags);
    // and the normalised values are the real ones
    expect(mine.tags['mlflow.source.git.commit']).toBe(work.commit);
    expect(mine.tags['mlflow.source.name']).toBe(`file://${work.proj}`);
    expect(metaField(mine.meta, 'user_id')).toBe(mine.tags['mlflow.user']);
  });

  it('puts every run in the experiment --experiment-name created, as MLflow did', () => {
    const exps = new Set(storedRuns(work.store).map((r) => r.exp));
    expect(exps.size).toBe(1);
    const [exp] = [...exps];
    const meta = fs.readFileSync(path.join(work.store, exp!, 'meta.yaml'), 'utf8');
    const golden = fs.readFileSync(path.join(GOLDEN_STORE, goldenRuns[0]!.exp, 'meta.yaml'), 'utf8');
    const norm = (t: string, id: string, w: string) =>
      t
        .split(id)
        .join('<exp>')
        .split(w)
        .join('<work>')
        .replace(/_time: \d+/g, '_time: <t>');
    expect(norm(meta, exp!, work.dir)).toBe(norm(golden, goldenRuns[0]!.exp, GOLDEN_WORK));
    expect(results.get('1-train-overrides')!.stderr).toMatch(/^mlr: experiment 'projexp' created \(\d+\)$/m);
  });

  it('prints the resolved command, as MLflow logs it', () => {
    const golden = fs.readFileSync(path.join(GOLDEN_DIR, '1-train-overrides.log'), 'utf8');
    const cmd = /Running command '(.*)' in run/.exec(golden)![1]!;
    expect(results.get('1-train-overrides')!.stderr).toContain(`mlr: command: ${cmd}\n`);
  });
});

describe('outside a git checkout', () => {
  it('records the folder path as mlflow.source.name and no git tags, as MLflow does', async () => {
    const work = makeWork({ git: false });
    try {
      const r = await mlr(['run', 'proj', '-e', 'generate_data'], { cwd: work.dir });
      expect(r.code, r.stderr).toBe(0);
      const [run] = storedRuns(work.store).filter((x) => x.exp === '0');
      expect(run!.tags['mlflow.source.name']).toBe(work.proj);
      expect(Object.keys(run!.tags).filter((k) => k.includes('git'))).toEqual([]);
    } finally {
      fs.rmSync(work.dir, { recursive: true, force: true });
    }
  });
});
