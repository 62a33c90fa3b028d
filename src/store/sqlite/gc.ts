/**
 * `mlr gc` on an MLflow database: what `mlflow gc --backend-store-uri sqlite:///…` deletes,
 * with MLflow's SQL store's rules (sqlalchemy_store.py `_get_deleted_runs`,
 * `_hard_delete_run`, `_hard_delete_experiment`; cli.py `gc`):
 * - a deleted run is old enough when `deleted_time <= now - older_than`; a run with no
 *   deleted_time (deleted before MLflow recorded it, or a schema without the column) never
 *   is, so a blanket gc keeps it (the file store counts it as old: MLflow's two stores differ);
 * - a deleted experiment is old enough when `last_update_time < now - older_than`;
 * - purging an experiment purges every one of its runs.
 *
 * Rows go with what they belong to: the rows of every table whose foreign key points at the
 * run or the experiment (params, metrics, latest_metrics, tags, experiment_tags, datasets,
 * logged models, traces… — read from the schema, so every era works), and the run's `inputs`
 * and `input_tags` (which have no foreign key). MLflow's ORM cascade leaves those inputs
 * behind; mlr does not. One BEGIN IMMEDIATE transaction per run or experiment.
 *
 * Local artifacts: a per-run folder (`…/<run_id>/artifacts`) is deleted before the run's rows
 * (as mlflow gc does), so an interrupted gc completes on re-run; remote ones are reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError } from '../../errors.js';
import { folderSize } from '../artifacts/local.js';
import { isResolved, resolveFolder, type ResolveContext } from '../artifacts/location.js';
import type { ExternalArtifacts, GcOptions, GcPlan, GcResult, RegistryReference, TrashItem } from '../file/housekeeping.js';
import type { Int64 } from '../int64.js';
import type { Experiment } from '../types.js';
import { writeTransaction, type MlflowDb } from './db.js';
import { findExperiment, findExperimentByName, listExperiments } from './read.js';
import { idText, int64OrNull } from './rows.js';

interface RunRow {
  run_uuid: string;
  name: string | null;
  experiment_id: bigint;
  lifecycle_stage: string;
  artifact_uri: string | null;
  deleted_time: bigint | null;
}

function runRows(db: MlflowDb, where: string, ...args: unknown[]): RunRow[] {
  const deleted = db.has('runs', 'deleted_time') ? 'r.deleted_time' : 'NULL AS deleted_time';
  return db
    .stmt(`SELECT r.run_uuid, r.name, r.experiment_id, r.lifecycle_stage, r.artifact_uri, ${deleted} FROM runs r WHERE ${where} ORDER BY r.run_uuid`)
    .all(...args) as RunRow[];
}

/** The local folder MLflow's artifact repository would delete for this run, when mlr may delete it. */
function runArtifacts(run: RunRow, ctx: ResolveContext): ExternalArtifacts | undefined {
  const uri = run.artifact_uri ?? '';
  if (uri === '') return undefined;
  const inStore = path.join(path.dirname(ctx.root), 'mlruns', idText(run.experiment_id), run.run_uuid, 'artifacts');
  const r = resolveFolder(uri, ctx, { path: inStore, suffix: [run.run_uuid, 'artifacts'] });
  if (!isResolved(r)) {
    if ('remote' in r && r.remote) return { uri, bytes: 0, note: `artifacts at ${uri} are on remote storage and are not deleted by mlr` };
    return undefined; // already gone: nothing to delete
  }
  const segs = r.path.split(path.sep).filter(Boolean);
  if (segs[segs.length - 1] !== 'artifacts' || segs[segs.length - 2] !== run.run_uuid) {
    return { uri, bytes: 0, note: `artifacts at ${r.path} are not a per-run folder (<run_id>/artifacts) and are left alone` };
  }
  return { uri, path: r.path, bytes: folderSize(r.path) };
}

function runItem(db: MlflowDb, run: RunRow, names: Map<string, string>, ctx: ResolveContext): TrashItem {
  const ext = runArtifacts(run, ctx);
  const deleted = int64OrNull(run.deleted_time);
  const expId = idText(run.experiment_id);
  return {
    kind: 'run',
    id: run.run_uuid,
    name: run.name ?? '',
    experiment_id: expId,
    experiment_name: names.get(expId) ?? '',
    deleted_time: deleted,
    dir: db.path,
    size: ext?.bytes ?? 0,
    external: ext ? [ext] : [],
    notes: deleted === null && run.lifecycle_stage === 'deleted' ? ['no deleted_time recorded'] : [],
  };
}

function experimentItem(db: MlflowDb, e: Experiment, ctx: ResolveContext): TrashItem {
  const runs = runRows(db, 'r.experiment_id = ?', BigInt(e.experiment_id));
  const external = runs.map((r) => runArtifacts(r, ctx)).filter((x): x is ExternalArtifacts => x !== undefined);
  return {
    kind: 'experiment',
    id: e.experiment_id,
    name: e.name,
    experiment_id: e.experiment_id,
    experiment_name: e.name,
    deleted_time: e.last_update_time,
    dir: db.path,
    size: external.reduce((a, x) => a + x.bytes, 0),
    runs: runs.length,
    external,
    notes: e.last_update_time === null ? ['no deletion time recorded'] : [],
  };
}

const lt = (a: Int64, b: number): boolean => (typeof a === 'bigint' ? a < BigInt(Math.trunc(b)) : a < b);
const le = (a: Int64, b: number): boolean => (typeof a === 'bigint' ? a <= BigInt(Math.trunc(b)) : a <= b);

/** A run by id or unique id prefix (any lifecycle stage). */
function findRun(db: MlflowDb, ref: string): RunRow {
  const exact = runRows(db, 'r.run_uuid = ?', ref);
  if (exact[0]) return exact[0];
  const byPrefix = runRows(db, 'substr(r.run_uuid, 1, length(?)) = ?', ref, ref);
  if (byPrefix.length > 1) throw new StateError(`run prefix '${ref}' is ambiguous: ${byPrefix.map((r) => r.run_uuid).join(', ')}`, 'ambiguous-run');
  if (!byPrefix[0]) throw new NotFoundError(`Run with id=${ref} not found`, 'run-not-found');
  return byPrefix[0];
}

/** A deleted experiment by id or name. */
function findDeleted(db: MlflowDb, ref: string): Experiment | undefined {
  const e = findExperiment(db, ref) ?? findExperimentByName(db, ref);
  return e?.lifecycle_stage === 'deleted' ? e : undefined;
}

/**
 * Decide what gc deletes, with the file store's selector rules (naming runs or experiments
 * limits gc to exactly those; refusals before anything is deleted, with MLflow's wording)
 * and MLflow's SQL store's age rules (see the head of this file).
 */
export function planSqliteGc(db: MlflowDb, ctx: ResolveContext, o: GcOptions): GcPlan {
  const threshold = o.now - (o.olderThanMs ?? 0);
  const age = o.olderThanText ?? '';
  const given = o.olderThanMs !== undefined;
  const named = (o.runs?.length ?? 0) > 0 || (o.experiments?.length ?? 0) > 0;
  const kept: GcPlan['kept'] = [];
  const names = new Map(listExperiments(db, 'all').map((e) => [e.experiment_id, e.name]));
  const oldRun = (r: RunRow): boolean => r.deleted_time !== null && le(int64OrNull(r.deleted_time)!, threshold);
  const oldExperiment = (e: Experiment): boolean => !given || (e.last_update_time !== null && lt(e.last_update_time, threshold));

  const exps: Experiment[] = [];
  if (o.experiments && o.experiments.length > 0) {
    const bad: string[] = [];
    for (const ref of o.experiments) {
      const e = findDeleted(db, ref);
      if (!e) {
        const any = findExperiment(db, ref) ?? findExperimentByName(db, ref);
        if (!any) throw new NotFoundError(`no experiment with id or name '${ref}'`, 'experiment-not-found');
        bad.push(any.experiment_id);
        continue;
      }
      if (given && (e.last_update_time === null || !lt(e.last_update_time, threshold))) {
        throw new StateError(
          `Experiments ['${e.experiment_id}'] are not older than the required age. Only experiments older than ${age} can be deleted.`,
          'too-young',
        );
      }
      if (!exps.some((x) => x.experiment_id === e.experiment_id)) exps.push(e);
    }
    if (bad.length) {
      throw new StateError(
        `Experiments [${bad.map((b) => `'${b}'`).join(', ')}] are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.`,
        'not-deleted',
      );
    }
  } else if (!named) {
    for (const e of listExperiments(db, 'deleted')) {
      if (oldExperiment(e)) exps.push(e);
      else {
        kept.push({
          item: experimentItem(db, e, ctx),
          reason: e.last_update_time === null ? 'no deletion time recorded (name it with --experiment to purge it)' : `deleted less than ${age} ago`,
        });
      }
    }
  }
  const purged = new Set(exps.map((e) => e.experiment_id));

  const runs: RunRow[] = [];
  if (o.runs && o.runs.length > 0) {
    for (const ref of o.runs) {
      const r = findRun(db, ref);
      if (r.lifecycle_stage !== 'deleted') {
        throw new StateError(
          `Run ${r.run_uuid} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`,
          'not-deleted',
        );
      }
      if (given && !oldRun(r)) {
        throw new StateError(`Run ${r.run_uuid} is not older than the required age. Only runs older than ${age} can be deleted.`, 'too-young');
      }
      if (!purged.has(idText(r.experiment_id)) && !runs.some((x) => x.run_uuid === r.run_uuid)) runs.push(r);
    }
  } else if (!named) {
    for (const r of runRows(db, "r.lifecycle_stage = 'deleted'")) {
      if (purged.has(idText(r.experiment_id))) continue; // goes with its experiment
      if (oldRun(r)) runs.push(r);
      else {
        kept.push({
          item: runItem(db, r, names, ctx),
          reason: r.deleted_time === null ? 'no deleted_time recorded (name it with --run to purge it)' : `deleted less than ${age} ago`,
        });
      }
    }
  }

  const byId = (a: TrashItem, b: TrashItem): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const items = [...runs.map((r) => runItem(db, r, names, ctx)), ...exps.map((e) => experimentItem(db, e, ctx)).sort(byId)];
  const gone = new Set(runs.map((r) => r.run_uuid));
  for (const e of exps) for (const r of runRows(db, 'r.experiment_id = ?', BigInt(e.experiment_id))) gone.add(r.run_uuid);
  const registry: RegistryReference[] = [];
  if (db.has('model_versions')) {
    const rows = db
      .stmt(
        "SELECT name, version, run_id, current_stage FROM model_versions WHERE run_id IS NOT NULL AND current_stage IS NOT 'Deleted_Internal' ORDER BY name, version",
      )
      .all() as { name: string; version: bigint; run_id: string; current_stage: string | null }[];
    for (const v of rows) {
      if (gone.has(v.run_id)) registry.push({ model: v.name, version: String(v.version), run_id: v.run_id, stage: v.current_stage ?? 'None' });
    }
  }
  kept.sort((a, b) => (a.item.kind !== b.item.kind ? (a.item.kind === 'experiment' ? -1 : 1) : byId(a.item, b.item)));
  return { items, kept, registry };
}

// ------------------------------------------------------------------ deleting rows

interface ForeignKey {
  /** the referencing table and its columns */
  table: string;
  from: string[];
  /** the referenced columns */
  to: string[];
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Every foreign key of the schema, by referenced table. */
function foreignKeys(db: MlflowDb): Map<string, ForeignKey[]> {
  const rows = db.sql
    .prepare(
      'SELECT m.name AS t, p.id AS id, p.seq AS seq, p."table" AS parent, p."from" AS c, p."to" AS pc FROM sqlite_master m, pragma_foreign_key_list(m.name) p WHERE m.type = \'table\' ORDER BY m.name, p.id, p.seq',
    )
    .all() as { t: string; id: bigint; parent: string; c: string; pc: string | null }[];
  const byKey = new Map<string, { parent: string; fk: ForeignKey }>();
  for (const r of rows) {
    const k = `${r.t}\0${r.id}`;
    let e = byKey.get(k);
    if (!e) byKey.set(k, (e = { parent: r.parent, fk: { table: r.t, from: [], to: [] } }));
    e.fk.from.push(r.c);
    e.fk.to.push(r.pc ?? '');
  }
  const out = new Map<string, ForeignKey[]>();
  for (const { parent, fk } of byKey.values()) {
    if (fk.to.some((c) => c === '')) {
      // REFERENCES t without columns: the parent's primary key
      const pk = db.sql.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(parent) as { name: string }[];
      fk.to = pk.map((p) => p.name);
    }
    let list = out.get(parent);
    if (!list) out.set(parent, (list = []));
    list.push(fk);
  }
  return out;
}

/** Delete the rows of `table` matching `where`, and first (depth first) every row that references them. */
function deleteCascading(db: MlflowDb, fks: Map<string, ForeignKey[]>, table: string, where: string, args: unknown[], depth = 0): void {
  if (depth > 8) throw new StateError(`foreign keys of ${table} nest too deep to delete safely`, 'gc-schema');
  for (const fk of fks.get(table) ?? []) {
    if (fk.table === table) continue; // a self-reference goes with the rows themselves
    const cols = (c: string[]): string => (c.length === 1 ? q(c[0]!) : `(${c.map(q).join(', ')})`);
    deleteCascading(db, fks, fk.table, `${cols(fk.from)} IN (SELECT ${fk.to.map(q).join(', ')} FROM ${q(table)} WHERE ${where})`, args, depth + 1);
  }
  db.sql.prepare(`DELETE FROM ${q(table)} WHERE ${where}`).run(...args);
}

/** The run's rows, its inputs (datasets and logged models it used or produced) and their tags. */
function deleteRunRows(db: MlflowDb, fks: Map<string, ForeignKey[]>, runId: string): void {
  if (db.has('inputs')) {
    const mine = "((destination_type = 'RUN' AND destination_id = ?) OR (source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id = ?))";
    if (db.has('input_tags')) db.stmt(`DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM inputs WHERE ${mine})`).run(runId, runId);
    db.stmt(`DELETE FROM inputs WHERE ${mine}`).run(runId, runId);
  }
  deleteCascading(db, fks, 'runs', 'run_uuid = ?', [runId]);
}

/** Remove a folder, and its parent when that is left empty (the `<run_id>/` of `<run_id>/artifacts`). */
function removeArtifacts(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  const parent = path.dirname(dir);
  try {
    if (fs.readdirSync(parent).length === 0) fs.rmdirSync(parent);
  } catch {
    // already gone, or not ours to tidy
  }
}

/** Delete exactly the plan's items (runs, then experiments): artifacts first, then rows, one transaction each. */
export function applySqliteGc(db: MlflowDb, plan: GcPlan): GcResult {
  const result: GcResult = { deleted: [], failed: [] };
  const fks = foreignKeys(db);
  for (const item of plan.items) {
    // restored since the plan was made (another process): left alone, artifacts and all
    const stillDeleted = (): void => {
      const stage = item.kind === 'run' ? runRows(db, 'r.run_uuid = ?', item.id)[0]?.lifecycle_stage : findExperiment(db, item.id)?.lifecycle_stage;
      if (stage !== undefined && stage !== 'deleted') throw new StateError(`${item.kind} ${item.id} was restored meanwhile; left alone`, 'not-deleted');
    };
    try {
      stillDeleted();
      for (const x of item.external) if (x.path) removeArtifacts(x.path);
      writeTransaction(db, () => {
        stillDeleted();
        if (item.kind === 'run') deleteRunRows(db, fks, item.id);
        else {
          const id = BigInt(item.id);
          for (const r of runRows(db, 'r.experiment_id = ?', id)) deleteRunRows(db, fks, r.run_uuid);
          deleteCascading(db, fks, 'experiments', 'experiment_id = ?', [id]);
        }
      });
      result.deleted.push(item);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      result.failed.push({ item, error: err.code && err.path ? `${err.code}: ${err.path}` : err.message });
    }
  }
  return result;
}
