/**
 * `mlr gc` on an MLflow database: what `mlflow gc --backend-store-uri sqlite:///…` deletes
 * (runs and experiments in lifecycle stage deleted, MLflow's SQL age rules), with every row
 * that belongs to them and their local per-run artifact folders. Checked row by row against
 * the database before gc: every table equals its old rows less exactly the purged ones.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { cleanTemps, CONFORMANCE_DB, copyDb, corpusDbs, HAS_CONFORMANCE, sha256, sidecars } from './helpers.js';

afterAll(cleanTemps);

// the conformance database (MLflow 2.12): deleted runs of experiment 1 'sweep', and the
// deleted experiment 3 'old-exp' with its one run; all deleted at 1796179999992…1796180003933
const SWEEP_DELETED = [
  '2e56277e242b4f1781cea0317097275b',
  '58d8e62479e04516b5a8f7f3ccb2c19f',
  'ba7ff8402d934b35ab9de2255bfb020e',
  'e4bbcc8ba7a2445c828c54a0d2f00e52',
];
const OLD_EXP_RUN = 'cc172655b3b443658a8071eec3b95662';
const AFTER_ALL_DELETIONS = '1796200000000';

type Rows = Record<string, string[]>;

/** Every row of every table, as sorted JSON lines (bigints as text). */
function allRows(file: string): Rows {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  const out: Rows = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  for (const { name } of tables) {
    out[name] = (db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])
      .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
      .sort();
  }
  db.close();
  return out;
}

/** `before` less the rows that belong to the purged runs and experiments, by the columns that say so. */
function expectedAfter(before: Rows, runs: string[], experiments: string[], inputUuids: string[] = []): Rows {
  const out: Rows = {};
  for (const [table, rows] of Object.entries(before)) {
    out[table] = rows.filter((line) => {
      const r = JSON.parse(line) as Record<string, string | null>;
      if (table === 'runs' && (runs.includes(r['run_uuid']!) || experiments.includes(String(r['experiment_id'])))) return false;
      if (['params', 'metrics', 'latest_metrics', 'tags'].includes(table) && runs.includes(r['run_uuid']!)) return false;
      if (table === 'logged_model_metrics' && runs.includes(r['run_id']!)) return false;
      if (table === 'inputs' && inputUuids.includes(r['input_uuid']!)) return false;
      if (table === 'input_tags' && inputUuids.includes(r['input_uuid']!)) return false;
      if ('experiment_id' in r && experiments.includes(String(r['experiment_id']))) return false;
      return true;
    });
  }
  return out;
}

function sql(file: string, fn: (db: Database.Database) => void): void {
  const db = new Database(file);
  fn(db);
  db.close();
}

function integrity(file: string): { integrity: unknown; foreignKeys: unknown[] } {
  const db = new Database(file, { readonly: true });
  const r = { integrity: db.pragma('integrity_check', { simple: true }), foreignKeys: db.pragma('foreign_key_check') as unknown[] };
  db.close();
  return r;
}

/** A dataset input (with a tag) for `run`, as MLflow 2.x's log_inputs writes it. */
function addDatasetInput(db: Database.Database, run: string, n: number): string {
  const exp = (db.prepare('SELECT experiment_id FROM runs WHERE run_uuid = ?').get(run) as { experiment_id: number }).experiment_id;
  const ds = `d${n}`.padEnd(32, '0');
  const input = `i${n}`.padEnd(32, '0');
  db.prepare(
    "INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source) VALUES (?, ?, 'train', ?, 'local', '{}')",
  ).run(ds, exp, `dg${n}`);
  db.prepare("INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) VALUES (?, 'DATASET', ?, 'RUN', ?)").run(
    input,
    ds,
    run,
  );
  db.prepare("INSERT INTO input_tags (input_uuid, name, value) VALUES (?, 'mlflow.data.context', 'training')").run(input);
  return input;
}

/** A local per-run artifact folder where the database's artifact root puts it (./mlruns beside it). */
function addArtifacts(file: string, exp: string, run: string): string {
  const dir = path.join(path.dirname(file), 'mlruns', exp, run, 'artifacts');
  fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'model', 'model.pkl'), 'weights');
  return dir;
}

const on =
  (file: string, now = AFTER_ALL_DELETIONS) =>
  (...args: string[]) =>
    mlr(['--store', `sqlite:///${file}`, ...args], { env: { MLR_NOW: now } });

describe.skipIf(!HAS_CONFORMANCE)('mlr gc on SQLite (MLflow 2.12 database)', () => {
  it('lists without --yes and leaves the file byte-identical', async () => {
    const file = copyDb(CONFORMANCE_DB);
    const hash = sha256(file);
    const r = await on(file)('gc', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('mlr: would permanently delete 1 experiment and 4 runs (0 B); run again with --yes to delete\n');
    const plan = JSON.parse(r.stdout) as { dry_run: boolean; items: { kind: string; id: string; runs?: number }[]; kept: unknown[]; registry: unknown[] };
    expect(plan.dry_run).toBe(true);
    expect(plan.items.map((i) => [i.kind, i.id, i.runs])).toEqual([...SWEEP_DELETED.map((id) => ['run', id, undefined]), ['experiment', '3', 1]]);
    expect(plan.kept).toEqual([]);
    expect(plan.registry).toEqual([]);
    expect(sha256(file)).toBe(hash);
    expect(sidecars(file)).toEqual([]);
  });

  it('--yes deletes exactly the rows of the deleted runs and experiments, their inputs and their local artifacts', async () => {
    const file = copyDb(CONFORMANCE_DB);
    const active = (() => {
      const db = new Database(file, { readonly: true });
      const id = (
        db.prepare("SELECT run_uuid FROM runs WHERE lifecycle_stage = 'active' AND experiment_id = 1 ORDER BY run_uuid LIMIT 1").get() as { run_uuid: string }
      ).run_uuid;
      db.close();
      return id;
    })();
    const inputs: string[] = [];
    sql(file, (db) => {
      inputs.push(addDatasetInput(db, SWEEP_DELETED[0]!, 1));
      inputs.push(addDatasetInput(db, OLD_EXP_RUN, 2));
      addDatasetInput(db, active, 3); // stays
    });
    const gone = addArtifacts(file, '1', SWEEP_DELETED[1]!);
    const goneExp = addArtifacts(file, '3', OLD_EXP_RUN);
    const kept = addArtifacts(file, '1', active);
    const before = allRows(file);
    // what is deleted is not only what MLflow 2.12 had: the rows under test exist
    expect(before['inputs']).toHaveLength(3);
    expect(before['datasets']).toHaveLength(3);

    const r = await on(file)('gc', '--yes');
    expect(r).toEqual({
      code: 0,
      stdout: [...SWEEP_DELETED.map((id) => `Run with ID ${id} has been permanently deleted.\n`), 'Experiment with ID 3 has been permanently deleted.\n'].join(
        '',
      ),
      stderr: '',
    });
    const after = allRows(file);
    expect(after).toEqual(expectedAfter(before, [...SWEEP_DELETED, OLD_EXP_RUN], ['3'], inputs));
    // the purge is real: rows went from each of these tables
    for (const t of ['runs', 'params', 'metrics', 'latest_metrics', 'tags', 'inputs', 'input_tags', 'datasets', 'experiments']) {
      expect(after[t]!.length, t).toBeLessThan(before[t]!.length);
    }
    expect(integrity(file)).toEqual({ integrity: 'ok', foreignKeys: [] });
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(path.dirname(gone))).toBe(false);
    expect(fs.existsSync(goneExp)).toBe(false);
    expect(fs.existsSync(path.join(kept, 'model', 'model.pkl'))).toBe(true);
    expect(sidecars(file)).toEqual([]);

    // nothing left to do: a second gc deletes nothing
    expect(await on(file)('gc', '--yes')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(allRows(file)).toEqual(after);
  });

  it('--older-than: deleted_time <= now - age for runs, last_update_time < now - age for experiments', async () => {
    const file = copyDb(CONFORMANCE_DB);
    const before = allRows(file);
    const m = on(file, '1796180001000');
    const dry = await m('gc', '--older-than', '1s', '--format', 'json', '-v');
    const plan = JSON.parse(dry.stdout) as { items: { id: string }[]; kept: { kind: string; id: string; reason: string }[] };
    expect(plan.items.map((i) => i.id)).toEqual([SWEEP_DELETED[1], SWEEP_DELETED[2]]);
    expect(plan.kept.map((k) => [k.kind, k.id, k.reason])).toEqual([
      ['experiment', '3', 'deleted less than 1s ago'],
      ['run', SWEEP_DELETED[0], 'deleted less than 1s ago'],
      ['run', OLD_EXP_RUN, 'deleted less than 1s ago'],
      ['run', SWEEP_DELETED[3], 'deleted less than 1s ago'],
    ]);
    expect(allRows(file)).toEqual(before);

    const r = await m('gc', '--older-than', '1s', '--yes');
    expect(r.code).toBe(0);
    expect(allRows(file)).toEqual(expectedAfter(before, [SWEEP_DELETED[1]!, SWEEP_DELETED[2]!], []));

    // a named run that is too young is refused, with MLflow's words, before anything goes
    const young = await m('gc', '--older-than', '1s', '--run', SWEEP_DELETED[3]!, '--yes');
    expect(young).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlr: Run ${SWEEP_DELETED[3]} is not older than the required age. Only runs older than 1s can be deleted.\n`,
    });
    const youngExp = await m('gc', '--older-than', '1s', '-e', 'old-exp', '--yes');
    expect(youngExp.stderr).toBe("mlr: Experiments ['3'] are not older than the required age. Only experiments older than 1s can be deleted.\n");
    expect(youngExp.code).toBe(1);
  });

  it('--run and -e limit gc to exactly what they name; active ones are refused', async () => {
    const file = copyDb(CONFORMANCE_DB);
    const before = allRows(file);
    const m = on(file);
    const r = await m('gc', '--run', SWEEP_DELETED[0]!.slice(0, 8), '--yes');
    expect(r).toEqual({ code: 0, stdout: `Run with ID ${SWEEP_DELETED[0]} has been permanently deleted.\n`, stderr: '' });
    const afterRun = allRows(file);
    expect(afterRun).toEqual(expectedAfter(before, [SWEEP_DELETED[0]!], []));

    const e = await m('gc', '-e', 'old-exp', '--yes');
    expect(e).toEqual({ code: 0, stdout: 'Experiment with ID 3 has been permanently deleted.\n', stderr: '' });
    expect(allRows(file)).toEqual(expectedAfter(afterRun, [OLD_EXP_RUN], ['3']));

    const activeRun = await m('gc', '--run', '9cb14709a2e94de3a07fff0e293a4123', '--yes');
    expect(activeRun).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlr: Run 9cb14709a2e94de3a07fff0e293a4123 is not in `deleted` lifecycle stage. Only runs in `deleted` lifecycle stage can be deleted.\n',
    });
    const activeExp = await m('gc', '-e', 'sweep', '--yes');
    expect(activeExp.stderr).toBe(
      "mlr: Experiments ['1'] are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.\n",
    );
    const missing = await m('gc', '--run', 'ffffffffffff', '--yes');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'mlr: Run with id=ffffffffffff not found\n' });
  });

  it('a deleted run with no deleted_time is kept by a blanket gc (as MLflow SQL store) and purged when named', async () => {
    const file = copyDb(CONFORMANCE_DB);
    sql(file, (db) => db.prepare('UPDATE runs SET deleted_time = NULL WHERE run_uuid = ?').run(SWEEP_DELETED[0]!));
    const before = allRows(file);
    const m = on(file);
    const dry = JSON.parse((await m('gc', '--format', 'json')).stdout) as { items: { id: string }[]; kept: { id: string; reason: string }[] };
    expect(dry.kept).toMatchObject([{ id: SWEEP_DELETED[0], reason: 'no deleted_time recorded (name it with --run to purge it)' }]);
    expect(dry.items.map((i) => i.id)).not.toContain(SWEEP_DELETED[0]);
    await m('gc', '--yes');
    const after = allRows(file);
    expect(after).toEqual(expectedAfter(before, [...SWEEP_DELETED.slice(1), OLD_EXP_RUN], ['3']));
    const named = await m('gc', '--run', SWEEP_DELETED[0]!, '--yes');
    expect(named.code).toBe(0);
    expect(allRows(file)).toEqual(expectedAfter(after, [SWEEP_DELETED[0]!], []));
  });

  it('warns about registered model versions whose run it deletes', async () => {
    const file = copyDb(CONFORMANCE_DB);
    sql(file, (db) => db.prepare("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = 1 WHERE run_uuid = ?").run('9cb14709a2e94de3a07fff0e293a4123'));
    const r = await on(file)('gc', '--run', '9cb14709a2e94de3a07fff0e293a4123');
    expect(r.stderr).toBe(
      "mlr: warning: registered model 'resnet-classifier' version 2 (None) points at run 9cb14709a2e94de3a07fff0e293a4123, which gc would delete\n" +
        'mlr: would permanently delete 1 run (0 B); run again with --yes to delete\n',
    );
  });
});

describe('mlr gc on an MLflow 3 database (logged models, model outputs)', () => {
  const db3 = corpusDbs().find((f) => f.includes('2025-2-productos'));
  it.skipIf(!db3)('purging an experiment takes its logged models, their params/tags/metrics and the runs’ model outputs', async () => {
    const file = copyDb(db3!);
    const runs = (() => {
      const db = new Database(file, { readonly: true });
      const ids = (db.prepare('SELECT run_uuid FROM runs WHERE experiment_id = 1 ORDER BY run_uuid').all() as { run_uuid: string }[]).map((r) => r.run_uuid);
      const inputs = (
        db.prepare('SELECT input_uuid FROM inputs WHERE source_id IN (SELECT run_uuid FROM runs WHERE experiment_id = 1)').all() as { input_uuid: string }[]
      ).map((r) => r.input_uuid);
      db.close();
      return { ids, inputs };
    })();
    expect(runs.ids.length).toBeGreaterThan(0);
    const m = on(file, '1795400000000');
    expect((await m('experiments', 'delete', '1')).code).toBe(0);
    const before = allRows(file);
    expect(before['logged_models']!.length).toBeGreaterThan(0);
    const r = await m('gc', '-e', '1', '--yes');
    expect(r).toEqual({ code: 0, stdout: 'Experiment with ID 1 has been permanently deleted.\n', stderr: '' });
    const after = allRows(file);
    expect(after).toEqual(expectedAfter(before, runs.ids, ['1'], runs.inputs));
    expect(after['logged_models']).toEqual([]);
    expect(after['logged_model_metrics']).toEqual([]);
    expect(integrity(file)).toEqual({ integrity: 'ok', foreignKeys: [] });
  });
});

describe('mlr gc on an MLflow 1.x database (alembic bd07f7e963c5: no deleted_time, no experiment times)', () => {
  const db1 = corpusDbs().find((f) => f.includes('DataTalksClub'));
  it.skipIf(!db1)('a deleted run is kept by a blanket gc (no deleted_time) and purged by name; a deleted experiment goes with its runs', async () => {
    const file = copyDb(db1!);
    const m = on(file, '1795400000000');
    const ids = (() => {
      const db = new Database(file, { readonly: true });
      const runs = db.prepare('SELECT run_uuid, experiment_id FROM runs ORDER BY experiment_id, run_uuid').all() as {
        run_uuid: string;
        experiment_id: number;
      }[];
      db.close();
      return runs;
    })();
    const run = ids[0]!;
    expect((await m('runs', 'delete', run.run_uuid)).code).toBe(0);
    const before = allRows(file);
    const dry = JSON.parse((await m('gc', '--format', 'json')).stdout) as { items: unknown[]; kept: { id: string; reason: string }[] };
    expect(dry.items).toEqual([]);
    expect(dry.kept).toMatchObject([{ id: run.run_uuid, reason: 'no deleted_time recorded (name it with --run to purge it)' }]);
    expect(await m('gc', '--run', run.run_uuid, '--yes')).toEqual({
      code: 0,
      stdout: `Run with ID ${run.run_uuid} has been permanently deleted.\n`,
      stderr: '',
    });
    const afterRun = allRows(file);
    expect(afterRun).toEqual(expectedAfter(before, [run.run_uuid], []));

    const exp = String(run.experiment_id);
    expect((await m('experiments', 'delete', exp)).code).toBe(0);
    const beforeExp = allRows(file);
    const gone = ids.filter((r) => r.experiment_id === run.experiment_id && r.run_uuid !== run.run_uuid).map((r) => r.run_uuid);
    expect(gone.length).toBeGreaterThan(0);
    const r = await m('gc', '--yes');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Experiment with ID ${exp} has been permanently deleted.\n`);
    // the registry's versions of its runs are named (their rows stay: the registry is not gc's)
    expect(r.stderr).toMatch(/^(mlr: warning: registered model '[^']+' version \d+ \(\w+\) points at run [0-9a-f]{32}, which gc deletes\n)+$/);
    expect(allRows(file)).toEqual(expectedAfter(beforeExp, gone, [exp]));
    expect(integrity(file)).toEqual({ integrity: 'ok', foreignKeys: [] });
  });
});
