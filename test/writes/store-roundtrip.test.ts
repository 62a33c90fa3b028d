/**
 * Writes against the store MLflow 2.12 wrote (fixtures/mlruns = shared/conformance/search):
 * the store stays readable, untouched runs read back identically, and delete/restore follow
 * MLflow's rules (spec §3.5, §4.1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { copyStore, mlr, readTree } from '../helpers.js';

let store: string;
beforeEach(() => {
  store = copyStore();
});

const run = (args: string[], env: Record<string, string> = {}) => mlr(['--store', store, ...args], { cwd: path.dirname(store), env });
const ok = async (args: string[], env: Record<string, string> = {}) => {
  const r = await run(args, env);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.stdout;
};
type RunJson = {
  info: { run_id: string };
  data: { metrics: { key: string; value: unknown; step: number }[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
};
const allRuns = async (): Promise<Map<string, RunJson>> => {
  const list = JSON.parse(await ok(['runs', 'ls', '--view', 'all', '--format', 'json'])) as RunJson[];
  return new Map(list.map((r) => [r.info.run_id, r]));
};

const SWEEP = '234684999513866976';
const OLD = '577419433840892238';

describe('logging into a store MLflow wrote', () => {
  it('changes only the runs written to, and they read back with the new data', async () => {
    const before = await allRuns();
    const [a, b] = [...before.keys()].filter((id) => !JSON.stringify(before.get(id)).includes('"deleted"')).slice(0, 2) as [string, string];
    await ok(['log-metric', a, 'mlr_metric', '-1.5e-7', '--step', '4', '--timestamp', '1700000000000']);
    await ok(['log-param', b, 'mlr/param', 'x y']);
    await ok(['set-tag', b, 'mlr.tag', 'yes']);
    const after = await allRuns();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [id, r] of before) if (id !== a && id !== b) expect(after.get(id), id).toEqual(r);
    expect(after.get(a)!.data.metrics).toContainEqual({ key: 'mlr_metric', value: -1.5e-7, step: 4, timestamp: 1700000000000 });
    expect(after.get(b)!.data.params).toContainEqual({ key: 'mlr/param', value: 'x y' });
    expect(after.get(b)!.data.tags).toContainEqual({ key: 'mlr.tag', value: 'yes' });
    const file = fs
      .readdirSync(store)
      .map((e) => path.join(store, e, a, 'metrics', 'mlr_metric'))
      .find((p) => fs.existsSync(p))!;
    expect(fs.readFileSync(file, 'utf8')).toBe('1700000000000 -1.5e-07 4\n');
  });

  it('appends to an existing metric file MLflow wrote without touching its lines', async () => {
    const dir = path.join(store, SWEEP);
    const runId = fs.readdirSync(dir).find((r) => fs.existsSync(path.join(dir, r, 'metrics', 'val_loss')))!;
    const file = path.join(dir, runId, 'metrics', 'val_loss');
    const old = fs.readFileSync(file, 'utf8');
    await ok(['log-metric', runId, 'val_loss', 'inf', '--step', '999', '--timestamp', '1800000000000']);
    expect(fs.readFileSync(file, 'utf8')).toBe(old + '1800000000000 inf 999\n');
    const r = JSON.parse(await ok(['runs', 'describe', runId, '--format', 'json'])) as RunJson;
    expect(r.data.metrics.find((m) => m.key === 'val_loss')).toMatchObject({ value: 'Infinity', step: 999 });
  });

  it('renames a run: tag and meta.yaml run_name, nothing else in meta.yaml', async () => {
    const runId = fs
      .readdirSync(path.join(store, SWEEP))
      .find((r) => /^[0-9a-f]{32}$/.test(r) && fs.readFileSync(path.join(store, SWEEP, r, 'meta.yaml'), 'utf8').includes('lifecycle_stage: active'))!;
    const meta = path.join(store, SWEEP, runId, 'meta.yaml');
    const old = fs.readFileSync(meta, 'utf8');
    await ok(['runs', 'rename', runId, 'renamed by mlr']);
    expect(fs.readFileSync(meta, 'utf8')).toBe(old.replace(/^run_name: .*$/m, 'run_name: renamed by mlr'));
    expect(fs.readFileSync(path.join(store, SWEEP, runId, 'tags', 'mlflow.runName'), 'utf8')).toBe('renamed by mlr');
  });
});

describe('deleting and restoring experiments (spec §3.5)', () => {
  it('restores a deleted experiment: folder moved back, every run active again without deleted_time', async () => {
    const oldMeta = fs.readFileSync(path.join(store, '.trash', OLD, 'meta.yaml'), 'utf8');
    const runId = fs.readdirSync(path.join(store, '.trash', OLD)).find((r) => r !== 'meta.yaml')!;
    const oldRun = fs.readFileSync(path.join(store, '.trash', OLD, runId, 'meta.yaml'), 'utf8');
    await ok(['experiments', 'restore', 'old-exp']);
    expect(fs.existsSync(path.join(store, '.trash', OLD))).toBe(false);
    const meta = fs.readFileSync(path.join(store, OLD, 'meta.yaml'), 'utf8');
    const t = Number(/^last_update_time: (\d+)$/m.exec(meta)![1]);
    expect(t).toBeGreaterThan(Date.now() - 60_000);
    expect(meta).toBe(oldMeta.replace(/^last_update_time: \d+$/m, `last_update_time: ${t}`).replace('lifecycle_stage: deleted', 'lifecycle_stage: active'));
    expect(fs.readFileSync(path.join(store, OLD, runId, 'meta.yaml'), 'utf8')).toBe(
      oldRun.replace(/^deleted_time: \d+\n/m, '').replace('lifecycle_stage: deleted', 'lifecycle_stage: active'),
    );
    expect((await ok(['runs', 'ls', '-e', 'old-exp', '--format', 'ids'])).trim()).toBe(runId);
  });

  it('deletes an experiment: active runs get one deleted_time, runs deleted before keep theirs; restore revives all', async () => {
    const dir = path.join(store, SWEEP);
    const runs = fs.readdirSync(dir).filter((r) => /^[0-9a-f]{32}$/.test(r));
    const before = new Map(runs.map((r) => [r, fs.readFileSync(path.join(dir, r, 'meta.yaml'), 'utf8')]));
    const wasDeleted = runs.filter((r) => before.get(r)!.includes('lifecycle_stage: deleted'));
    expect(wasDeleted.length).toBe(4);
    await ok(['experiments', 'delete', 'sweep']);
    const trash = path.join(store, '.trash', SWEEP);
    expect(fs.existsSync(dir)).toBe(false);
    const expMeta = fs.readFileSync(path.join(trash, 'meta.yaml'), 'utf8');
    expect(expMeta).toMatch(/^lifecycle_stage: deleted$/m);
    expect(expMeta).toMatch(/\ntags:\n {2}\S/); // the stale copy of the experiment's tags
    const deletedTimes = new Set<string>();
    for (const r of runs) {
      const now = fs.readFileSync(path.join(trash, r, 'meta.yaml'), 'utf8');
      if (wasDeleted.includes(r)) expect(now, r).toBe(before.get(r));
      else {
        expect(now).toMatch(/^lifecycle_stage: deleted$/m);
        deletedTimes.add(/^deleted_time: (\d+)$/m.exec(now)![1]!);
        expect(now.replace(/^deleted_time: \d+\n/m, '').replace('lifecycle_stage: deleted', 'lifecycle_stage: active')).toBe(before.get(r));
      }
    }
    expect(deletedTimes.size).toBe(1);
    expect(/^last_update_time: (\d+)$/m.exec(expMeta)![1]).toBe([...deletedTimes][0]);
    // runs of a deleted experiment take no writes
    const r = await run(['log-metric', runs.find((x) => !wasDeleted.includes(x))!, 'm', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must be in 'active' lifecycle_stage/);

    await ok(['experiments', 'restore', SWEEP]);
    for (const r2 of runs) {
      const now = fs.readFileSync(path.join(dir, r2, 'meta.yaml'), 'utf8');
      expect(now, r2).toMatch(/^lifecycle_stage: active$/m);
      expect(now, r2).not.toMatch(/deleted_time/);
    }
  });

  it('leaves the rest of the store byte-identical', async () => {
    const before = readTree(store);
    await ok(['experiments', 'delete', 'nlp models']);
    await ok(['experiments', 'restore', 'nlp models']);
    const after = readTree(store);
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    // only meta.yaml files of that experiment and its runs changed
    for (const k of changed) expect(k).toMatch(/^146381941577740080\/(?:[0-9a-f]{32}\/)?meta\.yaml$/);
    expect(changed).toContain('146381941577740080/meta.yaml');
  });
});
