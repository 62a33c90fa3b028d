/**
 * Tracking writes with MLflow's SqlAlchemyStore semantics (mlflow/store/tracking/
 * sqlalchemy_store.py): the same rows, values and error messages. Each operation is one
 * short `BEGIN IMMEDIATE` transaction (db.ts writeTransaction); mlr never changes the
 * journal mode. Where MLflow splits an operation over several sessions (log_batch logs
 * params, metrics and tags in three), mlr does it in one transaction, so a failure leaves
 * nothing half-written.
 *
 * Rows MLflow writes that are worth knowing:
 * - a metric NaN is stored as value 0 with is_nan 1, ±Infinity as ±1.7976931348623157e308;
 * - latest_metrics is replaced when (step, timestamp, stored value) is strictly greater;
 * - a run: source_type 'UNKNOWN', '' for source_name / entry_point_name / source_version,
 *   status 'RUNNING', artifact_uri `<experiment artifact_location>/<run_id>/artifacts`;
 * - deleting or restoring an experiment marks *all* its runs deleted / active (and sets /
 *   clears their deleted_time), including runs deleted on their own before.
 */
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { newRunId } from '../names.js';
import type { DatasetInput, Experiment, KeyValue, RunInfo, RunStatus } from '../types.js';
import { appendToUriPath } from '../uri.js';
import {
  pyLen,
  pyRepr,
  pySlice,
  validateBatchLimits,
  validateBatchTag,
  validateKeyName,
  validateLength,
  validateMetric,
  validateParam,
  validateRunId,
  type MetricInput,
  type ValidMetric,
} from '../validate.js';
import { writeTransaction, type MlflowDb } from './db.js';
import { findExperiment, findRunInfo, getRunInfo } from './read.js';
import { resolveRunName, RUN_NAME_TAG } from './run-name.js';

/** What MLflow stores for +Infinity (SQL has no infinities): the largest double. */
const SQL_MAX_FLOAT = 1.7976931348623157e308;

export interface WriteContext {
  /** clock in ms (default Date.now) */
  now?: () => number;
  /** warnings, such as a truncated value */
  warn?: (message: string) => void;
  /** MLFLOW_TRUNCATE_LONG_VALUES: cut over-long param and tag values (default true) */
  truncate?: boolean;
}

const now = (ctx: WriteContext): bigint => BigInt(Math.trunc((ctx.now ?? Date.now)()));

// ------------------------------------------------------------------ checks

function activeExperiment(db: MlflowDb, id: string): Experiment {
  const e = findExperiment(db, id);
  if (!e) throw new NotFoundError(`No Experiment with id=${id} exists`, 'experiment-not-found');
  if (e.lifecycle_stage !== 'active') {
    throw new StateError(`The experiment ${id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`, 'experiment-deleted');
  }
  return e;
}

/** MLflow's `_check_run_is_active` (the run's own lifecycle stage). */
function activeRun(db: MlflowDb, runId: string): RunInfo {
  const info = getRunInfo(db, runId);
  if (info.lifecycle_stage !== 'active') {
    throw new StateError(`The run ${runId} must be in the 'active' state. Current state is ${info.lifecycle_stage}.`, 'run-deleted');
  }
  return info;
}

function expId(id: string): bigint {
  if (!/^-?\d{1,19}$/.test(id)) throw new NotFoundError(`No Experiment with id=${id} exists`, 'experiment-not-found');
  return BigInt(id);
}

/** MLflow's `_validate_experiment_name` (non-empty) with 3.x's 500-character cap. */
function validateName(name: string): void {
  if (name === '') throw new UsageError(`Invalid experiment name: '${name}'`, 'invalid-name');
  if (pyLen(name) > 500) {
    throw new UsageError(`Invalid experiment name: '${pySlice(name, 60)}…'. Experiment name exceeds the maximum length of 500 characters`, 'invalid-name');
  }
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

// ------------------------------------------------------------------ experiments

export interface CreateExperimentOptions {
  /** the experiment's artifact location, already made absolute (default `<artifactRoot>/<id>`) */
  artifactLocation?: string;
  tags?: KeyValue[];
  /** an explicit id (an integer, as the experiments table holds: migrate keeps a file store's ids) */
  experimentId?: string;
}

/**
 * create_experiment: a new integer id (SQLite's next rowid), active, created now; the
 * artifact location defaults to `<artifactRoot>/<id>`. A taken name, even of a deleted
 * experiment, is MLflow's RESOURCE_ALREADY_EXISTS. Returns the id.
 */
export function createExperiment(db: MlflowDb, name: string, artifactRoot: string, opts: CreateExperimentOptions = {}, ctx: WriteContext = {}): string {
  validateName(name);
  for (const t of opts.tags ?? []) validateKeyName('tag', t.key);
  return writeTransaction(db, () => {
    const t = now(ctx);
    const times = db.has('experiments', 'creation_time');
    let id: bigint;
    try {
      const explicit = opts.experimentId;
      if (explicit !== undefined && !/^\d{1,19}$/.test(explicit)) {
        throw new UsageError(`experiment id '${explicit}' is not an integer: MLflow's SQL store numbers experiments`, 'bad-experiment-id');
      }
      if (explicit !== undefined && findExperiment(db, explicit)) throw new StateError(`Experiment with id '${explicit}' already exists.`, 'experiment-exists');
      const cols = `${explicit !== undefined ? 'experiment_id, ' : ''}name, lifecycle_stage, artifact_location${times ? ', creation_time, last_update_time' : ''}`;
      const vals = `${explicit !== undefined ? '?, ' : ''}?, 'active', ?${times ? ', ?, ?' : ''}`;
      const res = db
        .stmt(`INSERT INTO experiments (${cols}) VALUES (${vals})`)
        .run(...(explicit !== undefined ? [BigInt(explicit)] : []), name, opts.artifactLocation ?? null, ...(times ? [t, t] : []));
      id = explicit !== undefined ? BigInt(explicit) : BigInt(res.lastInsertRowid);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StateError(`Experiment(name=${name}) already exists. Error: ${(e as Error).message}`, 'experiment-exists');
      throw e;
    }
    if (!opts.artifactLocation) {
      db.stmt('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(appendToUriPath(artifactRoot, String(id)), id);
    }
    for (const tag of opts.tags ?? []) {
      db.stmt('INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)').run(tag.key, tag.value, id);
    }
    return String(id);
  });
}

function touchExperiment(db: MlflowDb, id: bigint, t: bigint): void {
  if (db.has('experiments', 'last_update_time')) db.stmt('UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?').run(t, id);
}

/** rename_experiment: only an active experiment; a taken name is refused. */
export function renameExperiment(db: MlflowDb, id: string, newName: string, ctx: WriteContext = {}): void {
  validateName(newName);
  writeTransaction(db, () => {
    const e = findExperiment(db, id);
    if (!e) throw new NotFoundError(`No Experiment with id=${id} exists`, 'experiment-not-found');
    if (e.lifecycle_stage !== 'active') throw new StateError('Cannot rename a non-active experiment.', 'experiment-deleted');
    try {
      db.stmt('UPDATE experiments SET name = ? WHERE experiment_id = ?').run(newName, expId(id));
    } catch (err) {
      if (isUniqueViolation(err)) throw new StateError(`Experiment(name=${newName}) already exists. Error: ${(err as Error).message}`, 'experiment-exists');
      throw err;
    }
    touchExperiment(db, expId(id), now(ctx));
  });
}

function setRunsStage(db: MlflowDb, id: bigint, stage: 'active' | 'deleted', t: bigint): void {
  const deletedTime = db.has('runs', 'deleted_time') ? ', deleted_time = ?' : '';
  const args: unknown[] = [stage];
  if (deletedTime) args.push(stage === 'deleted' ? t : null);
  db.stmt(`UPDATE runs SET lifecycle_stage = ?${deletedTime} WHERE experiment_id = ?`).run(...args, id);
}

function setExperimentStage(db: MlflowDb, id: string, from: 'active' | 'deleted', to: 'active' | 'deleted', ctx: WriteContext): void {
  writeTransaction(db, () => {
    const e = findExperiment(db, id);
    if (!e || e.lifecycle_stage !== from) throw new NotFoundError(`No Experiment with id=${id} exists`, 'experiment-not-found');
    const t = now(ctx);
    db.stmt('UPDATE experiments SET lifecycle_stage = ? WHERE experiment_id = ?').run(to, expId(id));
    touchExperiment(db, expId(id), t);
    setRunsStage(db, expId(id), to, t);
  });
}

/** delete_experiment: the experiment and every one of its runs become deleted. */
export function deleteExperiment(db: MlflowDb, id: string, ctx: WriteContext = {}): void {
  setExperimentStage(db, id, 'active', 'deleted', ctx);
}

/** restore_experiment: the experiment and every one of its runs become active again. */
export function restoreExperiment(db: MlflowDb, id: string, ctx: WriteContext = {}): void {
  setExperimentStage(db, id, 'deleted', 'active', ctx);
}

/** set_experiment_tag: only on an active experiment; replaces a tag of that key. */
export function setExperimentTag(db: MlflowDb, id: string, key: string, value: string): void {
  validateKeyName('tag', key);
  validateLength('Tag key', 250, key);
  validateLength('Tag value', 5000, value);
  writeTransaction(db, () => {
    activeExperiment(db, id);
    db.stmt('INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)').run(key, value, expId(id));
  });
}

// ------------------------------------------------------------------ runs

export interface CreateRunOptions {
  experimentId: string;
  /** recorded as user_id (the client passes the mlflow.user tag's value, else 'unknown') */
  userId?: string;
  /** default: now */
  startTime?: number | bigint;
  /** user and system tags (mlflow.user, mlflow.source.*, mlflow.parentRunId, …) */
  tags?: KeyValue[];
  runName?: string;
  /** an explicit run id (migrate and sync keep ids); a fresh uuid4 hex when absent */
  runId?: string;
}

/**
 * create_run as MLflow's SQL store does it: a uuid4-hex run id, the name from `runName`,
 * else the mlflow.runName tag, else a random one (and that tag added when missing),
 * status RUNNING, artifact_uri `<artifact_location>/<run_id>/artifacts`. Returns the RunInfo.
 */
export function createRun(db: MlflowDb, opts: CreateRunOptions, ctx: WriteContext = {}): RunInfo {
  const { runName, tags } = resolveRunName(opts.runName, opts.tags);
  return writeTransaction(db, () => {
    const e = activeExperiment(db, opts.experimentId);
    if (opts.runId !== undefined) {
      if (!/^[a-zA-Z0-9][\w-]{0,31}$/.test(opts.runId)) throw new UsageError(`invalid run id '${opts.runId}'`, 'bad-run-id');
      if (findRunInfo(db, opts.runId)) throw new StateError(`a run with id ${opts.runId} already exists`, 'run-exists');
    }
    const runId = opts.runId ?? newRunId();
    const artifactUri = appendToUriPath(e.artifact_location, runId, 'artifacts');
    const start = opts.startTime === undefined ? now(ctx) : BigInt(opts.startTime);
    const deleted = db.has('runs', 'deleted_time');
    db.stmt(
      'INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, ' +
        `source_version, lifecycle_stage, artifact_uri, experiment_id${deleted ? ', deleted_time' : ''}) ` +
        `VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?${deleted ? ', NULL' : ''})`,
    ).run(runId, runName, opts.userId ?? 'unknown', start, artifactUri, expId(opts.experimentId));
    // one row per key: a key given twice keeps its last value
    const byKey = new Map(tags.map((t) => [t.key, t.value]));
    for (const [key, value] of byKey) db.stmt('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(key, value, runId);
    return getRunInfo(db, runId);
  });
}

export interface RunUpdate {
  status?: RunStatus;
  endTime?: number | bigint;
  /** a new name (also written to the mlflow.runName tag); '' changes nothing, as in MLflow */
  runName?: string;
}

function updateRun(db: MlflowDb, runId: string, u: RunUpdate): void {
  activeRun(db, runId);
  if (u.status !== undefined) db.stmt('UPDATE runs SET status = ? WHERE run_uuid = ?').run(u.status, runId);
  if (u.endTime !== undefined) db.stmt('UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(BigInt(u.endTime), runId);
  if (u.runName) {
    db.stmt('UPDATE runs SET name = ? WHERE run_uuid = ?').run(u.runName, runId);
    db.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(RUN_NAME_TAG, u.runName, runId);
  }
}

/** update_run_info: status, end time and name of an active run. Returns the new RunInfo. */
export function updateRunInfo(db: MlflowDb, runId: string, u: RunUpdate): RunInfo {
  return writeTransaction(db, () => {
    updateRun(db, runId, u);
    return getRunInfo(db, runId);
  });
}

function setRunStage(db: MlflowDb, runId: string, stage: 'active' | 'deleted', ctx: WriteContext): void {
  writeTransaction(db, () => {
    getRunInfo(db, runId);
    const withTime = db.has('runs', 'deleted_time');
    const args: unknown[] = [stage];
    if (withTime) args.push(stage === 'deleted' ? now(ctx) : null);
    db.stmt(`UPDATE runs SET lifecycle_stage = ?${withTime ? ', deleted_time = ?' : ''} WHERE run_uuid = ?`).run(...args, runId);
  });
}

/** delete_run: lifecycle_stage deleted and deleted_time now (where the schema has it). */
export function deleteRun(db: MlflowDb, runId: string, ctx: WriteContext = {}): void {
  setRunStage(db, runId, 'deleted', ctx);
}

/** restore_run: lifecycle_stage active, deleted_time cleared. */
export function restoreRun(db: MlflowDb, runId: string, ctx: WriteContext = {}): void {
  setRunStage(db, runId, 'active', ctx);
}

// ------------------------------------------------------------------ params and tags

function paramConflict(key: string, old: string, runId: string, value: string): StateError {
  return new StateError(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' ` +
      `for run ID='${runId}'. Attempted logging new value '${value}'.`,
    'param-changed',
  );
}

/** log_param: params are immutable; logging the same value again is fine. */
export function logParam(db: MlflowDb, runId: string, key: string, value: string, ctx: WriteContext = {}): void {
  const v = validateParam(key, value, { truncate: ctx.truncate ?? true, warn: ctx.warn });
  writeTransaction(db, () => {
    activeRun(db, runId);
    const old = db.stmt('SELECT value FROM params WHERE run_uuid = ? AND key = ?').get(runId, key) as { value: string } | undefined;
    if (old) {
      if (old.value !== v) throw paramConflict(key, old.value, runId, v);
      return;
    }
    db.stmt('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)').run(key, v, runId);
  });
}

function writeTags(db: MlflowDb, runId: string, tags: KeyValue[]): void {
  for (const t of tags) {
    if (t.key === RUN_NAME_TAG) updateRun(db, runId, { runName: t.value });
    else db.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(t.key, t.value, runId);
  }
}

/** set_tag; mlflow.runName also renames the run (an empty name changes nothing, as in MLflow). */
export function setTag(db: MlflowDb, runId: string, key: string, value: string, ctx: WriteContext = {}): void {
  const v = validateBatchTag(key, value, { truncate: ctx.truncate ?? true, warn: ctx.warn });
  writeTransaction(db, () => {
    activeRun(db, runId);
    writeTags(db, runId, [{ key, value: v }]);
  });
}

/** delete_experiment_tag: MLflow's RESOURCE_DOES_NOT_EXIST when the experiment has no such tag. */
export function deleteExperimentTag(db: MlflowDb, id: string, key: string): void {
  writeTransaction(db, () => {
    const e = activeExperiment(db, id);
    const res = db.stmt('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(BigInt(e.experiment_id), key);
    if (res.changes === 0) throw new NotFoundError(`No tag with name: ${key} in experiment with id ${id}`, 'tag-not-found');
  });
}

/** delete_tag; MLflow's RESOURCE_DOES_NOT_EXIST when the run has no such tag. */
export function deleteTag(db: MlflowDb, runId: string, key: string): void {
  writeTransaction(db, () => {
    activeRun(db, runId);
    const res = db.stmt('DELETE FROM tags WHERE run_uuid = ? AND key = ?').run(runId, key);
    if (res.changes === 0) throw new NotFoundError(`No tag with name: ${key} in run with id ${runId}`, 'tag-not-found');
  });
}

// ------------------------------------------------------------------ metrics

/** A metric as MLflow stores it: NaN → (0, is_nan 1), ±Infinity → ±1.7976931348623157e308. */
export function storedMetricValue(v: number): { value: number; isNan: 0 | 1 } {
  if (Number.isNaN(v)) return { value: 0, isNan: 1 };
  if (v === Infinity) return { value: SQL_MAX_FLOAT, isNan: 0 };
  if (v === -Infinity) return { value: -SQL_MAX_FLOAT, isNan: 0 };
  return { value: v, isNan: 0 };
}

interface LatestRow {
  step: bigint;
  timestamp: bigint | null;
  value: number | bigint;
}

/** MLflow's `_compare_metrics`: (step, timestamp, stored value) strictly greater. */
function isNewer(step: bigint, ts: bigint, value: number, cur: LatestRow): boolean {
  const cs = cur.step;
  const ct = cur.timestamp ?? 0n;
  if (step !== cs) return step > cs;
  if (ts !== ct) return ts > ct;
  return value > Number(cur.value);
}

/** Insert metric rows (an exact duplicate is skipped, as MLflow's retry does) and keep latest_metrics current. */
function insertMetrics(db: MlflowDb, runId: string, metrics: ValidMetric[]): void {
  const insert = db.stmt('INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)');
  const latest = db.stmt('SELECT step, timestamp, value FROM latest_metrics WHERE run_uuid = ? AND key = ?');
  const addLatest = db.stmt('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)');
  const setLatest = db.stmt('UPDATE latest_metrics SET value = ?, timestamp = ?, step = ?, is_nan = ? WHERE run_uuid = ? AND key = ?');
  for (const m of metrics) {
    const { value, isNan } = storedMetricValue(m.value);
    const ts = BigInt(m.timestamp);
    const step = BigInt(m.step);
    const res = insert.run(m.key, value, ts, runId, step, isNan);
    if (res.changes === 0) continue;
    const cur = latest.get(runId, m.key) as LatestRow | undefined;
    if (!cur) addLatest.run(m.key, value, ts, step, isNan, runId);
    else if (isNewer(step, ts, value, cur)) setLatest.run(value, ts, step, isNan, runId, m.key);
  }
}

/** log_metric for each metric (validated first), in one transaction. */
export function logMetrics(db: MlflowDb, runId: string, metrics: MetricInput[]): void {
  const valid = metrics.map((m) => validateMetric(m));
  writeTransaction(db, () => {
    activeRun(db, runId);
    insertMetrics(db, runId, valid);
  });
}

// ------------------------------------------------------------------ batches

export interface Batch {
  metrics?: MetricInput[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

/**
 * log_batch: validated as a whole (MLflow's limits, keys, values, duplicate param keys),
 * then params (a changed value refuses the batch, listing every conflict as MLflow does),
 * metrics, tags, in MLflow's order, all in one transaction.
 */
export function logBatch(db: MlflowDb, runId: string, batch: Batch, ctx: WriteContext = {}): void {
  validateRunId(runId);
  const opts = { truncate: ctx.truncate ?? true, warn: ctx.warn };
  const metrics = (batch.metrics ?? []).map((m) => validateMetric(m));
  const params = (batch.params ?? []).map((p) => ({ key: p.key, value: validateParam(p.key, p.value, opts) }));
  const tags = (batch.tags ?? []).map((t) => ({ key: t.key, value: validateBatchTag(t.key, t.value, opts) }));
  validateBatchLimits(
    metrics.length,
    params.map((p) => p.key),
    tags.length,
  );
  writeTransaction(db, () => {
    activeRun(db, runId);
    if (params.length > 0) {
      const existing = new Map((db.stmt('SELECT key, value FROM params WHERE run_uuid = ?').all(runId) as KeyValue[]).map((p) => [p.key, p.value]));
      const conflicts: string[] = [];
      const fresh: KeyValue[] = [];
      for (const p of params) {
        const old = existing.get(p.key);
        if (old === undefined) fresh.push(p);
        else if (old !== p.value) conflicts.push(`{'key': ${pyRepr(p.key)}, 'old_value': ${pyRepr(old)}, 'new_value': ${pyRepr(p.value)}}`);
      }
      if (conflicts.length > 0) {
        throw new StateError(
          `Changing param values is not allowed. Params were already logged='[${conflicts.join(', ')}]' for run ID='${runId}'.`,
          'param-changed',
        );
      }
      for (const p of fresh) db.stmt('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)').run(p.key, p.value, runId);
    }
    insertMetrics(db, runId, metrics);
    writeTags(db, runId, tags);
  });
}

// ------------------------------------------------------------------ dataset inputs

/** MLflow's dataset and input-tag limits (mlflow/utils/validation.py). */
const DATASET_LIMITS: [keyof DatasetInput['dataset'], string, number][] = [
  ['name', 'Dataset name', 500],
  ['digest', 'Dataset digest', 36],
  ['source_type', 'Dataset source type', 36],
  ['source', 'Dataset source', 65535],
  ['schema', 'Dataset schema', 1048575],
  ['profile', 'Dataset profile', 16777215],
];

/**
 * log_inputs: each dataset (deduplicated by name and digest, the first kept) is reused when
 * a dataset of that name and digest exists — in any experiment, as MLflow's query does —
 * else created in the run's experiment; each new (dataset, run) edge gets an input row and
 * its input tags. An input that already links the dataset to the run is left as it is.
 */
export function logInputs(db: MlflowDb, runId: string, inputs: DatasetInput[]): void {
  for (const input of inputs) {
    for (const [field, label, max] of DATASET_LIMITS) {
      const v = input.dataset[field];
      if (typeof v === 'string') validateLength(label, max, v);
    }
    for (const t of input.tags) {
      validateLength('Input tag key', 255, t.key);
      validateLength('Input tag value', 500, t.value);
    }
  }
  if (!db.has('datasets') || !db.has('inputs') || !db.has('input_tags')) {
    throw new StateError(`${db.path}: this database (alembic head ${db.head}) predates MLflow's dataset tables (2.4)`, 'no-dataset-tables');
  }
  writeTransaction(db, () => {
    const run = activeRun(db, runId);
    const unique = new Map<string, DatasetInput>();
    for (const i of inputs) {
      const k = `${i.dataset.name}\u0000${i.dataset.digest}`;
      if (!unique.has(k)) unique.set(k, i);
    }
    for (const input of unique.values()) {
      const d = input.dataset;
      const found = db.stmt('SELECT dataset_uuid FROM datasets WHERE name = ? AND digest = ? LIMIT 1').get(d.name, d.digest) as
        { dataset_uuid: string } | undefined;
      let datasetUuid = found?.dataset_uuid;
      if (!datasetUuid) {
        datasetUuid = newRunId();
        db.stmt(
          'INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) ' +
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(datasetUuid, BigInt(run.experiment_id), d.name, d.digest, d.source_type, d.source, d.schema ?? null, d.profile ?? null);
      }
      const linked = db
        .stmt("SELECT 1 FROM inputs WHERE source_type = 'DATASET' AND source_id = ? AND destination_type = 'RUN' AND destination_id = ?")
        .get(datasetUuid, runId);
      if (linked) continue;
      const inputUuid = newRunId();
      db.stmt("INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) VALUES (?, 'DATASET', ?, 'RUN', ?)").run(
        inputUuid,
        datasetUuid,
        runId,
      );
      for (const t of input.tags) db.stmt('INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)').run(inputUuid, t.key, t.value);
    }
  });
}
