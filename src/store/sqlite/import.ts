/**
 * Importing records with their own ids and times into an MLflow database (`mlr migrate`):
 * the rows MLflow's SqlAlchemyStore would hold for them, each call in one BEGIN IMMEDIATE
 * transaction, so a killed migration leaves whole runs or none.
 *
 * - experiments keep their id (an integer: MLflow's SQL store numbers experiments; the
 *   18-digit ids of a file store fit in its INTEGER column), name, location, times, lifecycle;
 * - runs keep id, name, user, status, times, lifecycle and artifact URI; the columns the REST
 *   shape does not carry get what MLflow's create_run writes ('UNKNOWN', '');
 * - metrics: every line as a row (NaN as 0 with is_nan, ±inf as ±1.7976931348623157e308; an
 *   exact duplicate line is one row, as the primary key allows), latest_metrics by MLflow's
 *   (step, timestamp, value) rule;
 * - dataset inputs: datasets reused by (experiment, name, digest), new input rows; MLflow 3
 *   model outputs as RUN_OUTPUT → MODEL_OUTPUT input rows (schemas with `inputs.step`);
 * - MLflow 3 logged models (schemas that have them): logged_models with its status as the
 *   integer MLflow stores, logged_model_params / _tags, and every metric line as a
 *   logged_model_metrics row (a NaN as NULL, as SQLite stores it).
 */
import { StateError, UsageError } from '../../errors.js';
import type { ImportedLoggedModel, ImportedModel, ImportedRun, TrackingImporter } from '../backend.js';
import { newRunId } from '../names.js';
import { loggedModelStatusToInt, type Experiment } from '../types.js';
import { writeTransaction, type MlflowDb } from './db.js';
import { storedMetricValue } from './write.js';

const big = (v: number | bigint | null | undefined): bigint | null => (v === null || v === undefined ? null : BigInt(v));

const INSERT_METRICS = 'INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES';
/** metric rows bound per INSERT (6 parameters each, far under SQLite's 32,766) */
const METRIC_ROWS = 64;

/** A run of a RunBatch: everything but its metric lines, which are rows `from` to `to` of the batch. */
export interface BatchRun extends Omit<ImportedRun, 'metrics'> {
  /** removed first (`replace`) */
  replace: boolean;
  from: number;
  to: number;
  /** the row of each of its metrics that latest_metrics gets */
  latest: number[];
}

/**
 * Runs to import, their metric lines as columns of stored values (NaN as 0 with is_nan,
 * ±inf as ±1.7976931348623157e308, steps and timestamps as int64): a few typed arrays the
 * writer thread takes over whole, instead of a hundred thousand small objects to copy.
 */
export interface RunBatch {
  runs: BatchRun[];
  /** the one buffer under the five columns (handed over, and back for the next batch) */
  buffer: ArrayBuffer;
  /** the metric keys; `key` holds an index into it */
  keys: string[];
  key: Uint32Array;
  value: Float64Array;
  isNan: Uint8Array;
  ts: BigInt64Array;
  step: BigInt64Array;
}

/** Bytes of the columns of one metric row. */
const ROW_BYTES = 8 + 8 + 8 + 4 + 1;

const toInt64 = (v: number | bigint, what: string, runId: string): bigint => {
  const n = BigInt(v);
  if (BigInt.asIntN(64, n) !== n) throw new RangeError(`run ${runId}: metric ${what} ${n} does not fit in a 64-bit integer`);
  return n;
};

/** `spare`: a buffer of an earlier batch to fill again when it is big enough (ROW_BYTES a row). */
export function encodeRuns(runs: readonly ImportedRun[], replace: ReadonlySet<string>, spare?: ArrayBuffer): RunBatch {
  let rows = 0;
  for (const r of runs) rows += r.metrics.length;
  // a new one with room to spare, so that the next batches (a few runs more or longer) fit in it
  const buffer = spare && spare.byteLength >= rows * ROW_BYTES ? spare : new ArrayBuffer(Math.ceil(Math.max(64, rows) * 1.25) * ROW_BYTES);
  // 8-byte columns first: every view starts aligned
  const cap = Math.floor(buffer.byteLength / ROW_BYTES);
  const b: RunBatch = {
    runs: [],
    buffer,
    keys: [],
    value: new Float64Array(buffer, 0, rows),
    ts: new BigInt64Array(buffer, 8 * cap, rows),
    step: new BigInt64Array(buffer, 16 * cap, rows),
    key: new Uint32Array(buffer, 24 * cap, rows),
    isNan: new Uint8Array(buffer, 28 * cap, rows),
  };
  const keyIndex = new Map<string, number>();
  let at = 0;
  for (const r of runs) {
    const { metrics, ...rest } = r;
    const runId = r.info.run_id;
    const from = at;
    // MLflow's _compare_metrics over the stored values: (step, timestamp, value) greatest wins
    const latest = new Map<number, number>();
    for (const m of metrics) {
      let k = keyIndex.get(m.key);
      if (k === undefined) {
        k = b.keys.length;
        keyIndex.set(m.key, k);
        b.keys.push(m.key);
      }
      const { value, isNan } = storedMetricValue(m.value);
      // numbers are safe integers (Int64): only a bigint can be out of range
      const ts = typeof m.timestamp === 'number' ? BigInt(m.timestamp) : toInt64(m.timestamp, 'timestamp', runId);
      const step = typeof m.step === 'number' ? BigInt(m.step) : toInt64(m.step, 'step', runId);
      b.key[at] = k;
      b.value[at] = value;
      b.isNan[at] = isNan;
      b.ts[at] = ts;
      b.step[at] = step;
      const cur = latest.get(k);
      if (cur === undefined || step > b.step[cur]! || (step === b.step[cur]! && (ts > b.ts[cur]! || (ts === b.ts[cur]! && value > b.value[cur]!))))
        latest.set(k, at);
      at++;
    }
    b.runs.push({ ...rest, replace: replace.has(runId), from, to: at, latest: [...latest.values()] });
  }
  return b;
}

function expId(id: string): bigint {
  if (!/^\d{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n) {
    throw new UsageError(`experiment id '${id}' is not an integer: MLflow's SQL store numbers experiments`, 'bad-experiment-id');
  }
  return BigInt(id);
}

export class SqliteImporter implements TrackingImporter {
  readonly existed: boolean;
  readonly loggedModels: boolean;
  private readonly db: MlflowDb;
  /** ends the backend's read snapshot: a read lock held across a write would block its commit */
  private readonly beforeWrite: () => void;

  constructor(db: MlflowDb, existed: boolean, beforeWrite: () => void = () => {}) {
    this.db = db;
    this.beforeWrite = beforeWrite;
    this.existed = existed;
    this.loggedModels = db.has('logged_models');
    // a batch of runs is ~100k metric rows: with SQLite's default 2 MB page cache the
    // indexes' dirty pages spill to the file mid-transaction (a journal sync each time);
    // 32 MB holds the ~21 MB a batch of 120,000 rows dirties (64 MB was no faster, and
    // 40 MB more of the process once the writer thread had its own heap: 300 → 265 MB);
    // a connection's cache size changes nothing in the file
    db.sql.pragma('cache_size = -32768');
    // a multi-row INSERT keeps a statement journal (to undo itself alone on an error): in
    // memory, not a temp file written and read back by the kernel
    db.sql.pragma('temp_store = MEMORY');
  }

  async importExperiment(e: Experiment, replace: boolean): Promise<void> {
    const db = this.db;
    const id = expId(e.experiment_id);
    this.beforeWrite();
    writeTransaction(db, () => {
      const times = db.has('experiments', 'creation_time');
      const have = db.stmt('SELECT 1 FROM experiments WHERE experiment_id = ?').get(id);
      if (have && !replace) throw new StateError(`experiment ${e.experiment_id} already exists`, 'experiment-exists');
      const clash = db.stmt('SELECT experiment_id FROM experiments WHERE name = ? AND experiment_id != ?').get(e.name, id) as
        { experiment_id: bigint } | undefined;
      if (clash) throw new StateError(`experiment name '${e.name}' is taken by experiment ${clash.experiment_id} in the target`, 'experiment-name-taken');
      if (have) {
        db.stmt(
          `UPDATE experiments SET name = ?, artifact_location = ?, lifecycle_stage = ?${times ? ', creation_time = ?, last_update_time = ?' : ''} WHERE experiment_id = ?`,
        ).run(e.name, e.artifact_location, e.lifecycle_stage, ...(times ? [big(e.creation_time), big(e.last_update_time)] : []), id);
        db.stmt('DELETE FROM experiment_tags WHERE experiment_id = ?').run(id);
      } else {
        db.stmt(
          `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage${times ? ', creation_time, last_update_time' : ''}) VALUES (?, ?, ?, ?${times ? ', ?, ?' : ''})`,
        ).run(id, e.name, e.artifact_location, e.lifecycle_stage, ...(times ? [big(e.creation_time), big(e.last_update_time)] : []));
      }
      const tag = db.stmt('INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)');
      for (const t of e.tags) tag.run(t.key, t.value, id);
    });
  }

  private deleteRun(runId: string): void {
    const db = this.db;
    for (const t of ['metrics', 'latest_metrics', 'params', 'tags']) db.stmt(`DELETE FROM ${t} WHERE run_uuid = ?`).run(runId);
    if (db.has('inputs')) {
      const mine = "((destination_type = 'RUN' AND destination_id = ?) OR (source_type = 'RUN_OUTPUT' AND source_id = ?))";
      const inputs = db.stmt(`SELECT input_uuid FROM inputs WHERE ${mine}`).all(runId, runId) as { input_uuid: string }[];
      for (const i of inputs) db.stmt('DELETE FROM input_tags WHERE input_uuid = ?').run(i.input_uuid);
      db.stmt(`DELETE FROM inputs WHERE ${mine}`).run(runId, runId);
    }
    db.stmt('DELETE FROM runs WHERE run_uuid = ?').run(runId);
  }

  private insertRun(r: BatchRun, b: RunBatch): void {
    const db = this.db;
    const i = r.info;
    const deleted = db.has('runs', 'deleted_time');
    db.stmt(
      'INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, ' +
        `source_version, lifecycle_stage, artifact_uri, experiment_id${deleted ? ', deleted_time' : ''}) ` +
        `VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', ?, ?, ?${deleted ? ', ?' : ''})`,
    ).run(
      i.run_id,
      i.run_name,
      i.user_id,
      i.status,
      big(i.start_time),
      big(i.end_time),
      i.lifecycle_stage,
      i.artifact_uri,
      expId(i.experiment_id),
      ...(deleted ? [i.lifecycle_stage === 'deleted' ? big(r.deletedTime) : null] : []),
    );
    const param = db.stmt('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
    for (const p of r.params) param.run(p.key, p.value, i.run_id);
    const tag = db.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
    for (const t of r.tags) tag.run(t.key, t.value, i.run_id);
    this.insertMetrics(r, b);
    if (r.inputs.length > 0) this.insertInputs(r);
    // MLflow 3 records a run's model outputs as inputs rows: RUN_OUTPUT (the run) → MODEL_OUTPUT (the model)
    if (r.outputs && r.outputs.length > 0 && db.has('inputs', 'step')) {
      const out = db.stmt(
        "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, 'RUN_OUTPUT', ?, 'MODEL_OUTPUT', ?, ?)",
      );
      for (const x of r.outputs) out.run(newRunId(), i.run_id, x.model_id, BigInt(x.step));
    }
  }

  /** The run's rows `r.from` to `r.to` of the batch's columns, then its latest_metrics rows. */
  private insertMetrics(r: BatchRun, b: RunBatch): void {
    const db = this.db;
    const runId = r.info.run_id;
    // METRIC_ROWS rows per statement: one better-sqlite3 call binds them all, where a call per
    // row cost as much as SQLite's own work for it (600,000 rows: 2.1 s → 1.7 s)
    const many = db.stmt(`${INSERT_METRICS} ${Array(METRIC_ROWS).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
    const one = db.stmt(`${INSERT_METRICS} (?, ?, ?, ?, ?, ?)`);
    const { keys, key, value, isNan, ts, step } = b;
    const args: unknown[] = new Array(METRIC_ROWS * 6);
    let i = r.from;
    for (; i + METRIC_ROWS <= r.to; i += METRIC_ROWS) {
      for (let j = 0, a = 0; j < METRIC_ROWS; j++, a += 6) {
        const k = i + j;
        args[a] = keys[key[k]!];
        args[a + 1] = value[k];
        args[a + 2] = ts[k];
        args[a + 3] = runId;
        args[a + 4] = step[k];
        args[a + 5] = isNan[k];
      }
      many.run(args);
    }
    for (; i < r.to; i++) one.run(keys[key[i]!], value[i], ts[i], runId, step[i], isNan[i]);
    const add = db.stmt('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)');
    for (const l of r.latest) add.run(keys[key[l]!], value[l], ts[l], step[l], isNan[l], runId);
  }

  private insertInputs(r: BatchRun): void {
    const db = this.db;
    if (!db.has('datasets') || !db.has('inputs') || !db.has('input_tags')) {
      throw new StateError(`${db.path}: this database (alembic head ${db.head}) predates MLflow's dataset tables (2.4)`, 'no-dataset-tables');
    }
    const exp = expId(r.info.experiment_id);
    const seen = new Set<string>();
    for (const input of r.inputs) {
      const d = input.dataset;
      const k = `${d.name}\u0000${d.digest}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const found = db.stmt('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?').get(exp, d.name, d.digest) as
        { dataset_uuid: string } | undefined;
      let datasetUuid = found?.dataset_uuid;
      if (!datasetUuid) {
        datasetUuid = newRunId();
        db.stmt(
          'INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(datasetUuid, exp, d.name, d.digest, d.source_type, d.source, d.schema ?? null, d.profile ?? null);
      }
      const inputUuid = newRunId();
      db.stmt("INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) VALUES (?, 'DATASET', ?, 'RUN', ?)").run(
        inputUuid,
        datasetUuid,
        r.info.run_id,
      );
      const tag = db.stmt('INSERT OR REPLACE INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)');
      for (const t of input.tags) tag.run(inputUuid, t.key, t.value);
    }
  }

  async importRuns(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<void> {
    this.importBatch(encodeRuns(runs, replace));
  }

  /**
   * The batch in one transaction; when that fails, each of its runs in its own. The error
   * message of each run not written, by id (what migrate reports for it).
   */
  importBatchEach(b: RunBatch): Map<string, string> {
    const failed = new Map<string, string>();
    try {
      this.importBatch(b);
    } catch {
      for (const r of b.runs) {
        try {
          this.importBatch({ ...b, runs: [r] });
        } catch (e) {
          failed.set(r.info.run_id, e instanceof Error ? e.message : String(e));
        }
      }
    }
    return failed;
  }

  /** importRuns of runs `encodeRuns` packed (what the writer thread is sent), in one transaction. */
  importBatch(b: RunBatch): void {
    this.beforeWrite();
    writeTransaction(this.db, () => {
      for (const r of b.runs) {
        if (r.replace) this.deleteRun(r.info.run_id);
        this.insertRun(r, b);
      }
    });
  }

  async importModel(m: ImportedModel, replace: boolean): Promise<void> {
    const db = this.db;
    if (!db.has('registered_models')) throw new StateError(`${db.path} has no model registry tables`, 'no-registry');
    const name = m.model.name;
    this.beforeWrite();
    writeTransaction(db, () => {
      const have = db.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(name);
      if (have && !replace) throw new StateError(`registered model '${name}' already exists`, 'model-exists');
      if (have) {
        if (db.has('registered_model_aliases')) db.stmt('DELETE FROM registered_model_aliases WHERE name = ?').run(name);
        db.stmt('DELETE FROM model_version_tags WHERE name = ?').run(name);
        db.stmt('DELETE FROM model_versions WHERE name = ?').run(name);
        db.stmt('DELETE FROM registered_model_tags WHERE name = ?').run(name);
        db.stmt('DELETE FROM registered_models WHERE name = ?').run(name);
      }
      db.stmt('INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)').run(
        name,
        big(m.model.creation_timestamp),
        big(m.model.last_updated_timestamp),
        m.model.description,
      );
      for (const t of m.model.tags) db.stmt('INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, ?)').run(t.key, t.value, name);
      const storage = db.has('model_versions', 'storage_location');
      for (const v of m.versions) {
        db.stmt(
          'INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link' +
            `${storage ? ', storage_location' : ''}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${storage ? ', ?' : ''})`,
        ).run(
          name,
          BigInt(v.version),
          big(v.creation_timestamp),
          big(v.last_updated_timestamp),
          v.description,
          v.user_id,
          v.current_stage,
          v.source,
          v.run_id,
          v.status,
          v.status_message,
          v.run_link,
          ...(storage ? [v.storage_location] : []),
        );
        for (const t of v.tags)
          db.stmt('INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)').run(t.key, t.value, name, BigInt(v.version));
      }
      if (db.has('registered_model_aliases')) {
        for (const a of m.model.aliases)
          db.stmt('INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)').run(a.alias, BigInt(a.version), name);
      }
    });
  }

  async importLoggedModels(models: readonly ImportedLoggedModel[], replace: ReadonlySet<string>): Promise<void> {
    const db = this.db;
    if (!this.loggedModels) throw new StateError(`${db.path} (alembic head ${db.head}) predates MLflow 3's logged-model tables`, 'no-logged-model-tables');
    this.beforeWrite();
    writeTransaction(db, () => {
      for (const x of models) {
        const m = x.model;
        const exp = expId(m.experiment_id);
        if (replace.has(m.model_id)) {
          for (const t of ['logged_model_metrics', 'logged_model_params', 'logged_model_tags', 'logged_models']) {
            if (db.has(t)) db.stmt(`DELETE FROM ${t} WHERE model_id = ?`).run(m.model_id);
          }
        }
        db.stmt(
          'INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, ' +
            'lifecycle_stage, model_type, source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          m.model_id,
          exp,
          m.name,
          m.artifact_location,
          big(m.creation_timestamp) ?? 0n,
          big(m.last_updated_timestamp) ?? big(m.creation_timestamp) ?? 0n,
          loggedModelStatusToInt(m.status),
          m.lifecycle_stage,
          m.model_type,
          m.source_run_id,
          m.status_message,
        );
        const param = db.stmt('INSERT OR REPLACE INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)');
        for (const p of x.params) param.run(m.model_id, exp, p.key, p.value);
        const tag = db.stmt('INSERT OR REPLACE INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?)');
        for (const t of x.tags) tag.run(m.model_id, exp, t.key, t.value);
        const metric = db.stmt(
          'INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, ' +
            'dataset_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        for (const l of x.metrics) {
          if (l.run_id === null)
            throw new StateError(`logged model ${m.model_id}: metric '${l.key}' names no run, which MLflow's SQL store requires`, 'metric-no-run');
          const dataset =
            l.dataset_name !== null && l.dataset_digest !== null && db.has('datasets')
              ? ((
                  db
                    .stmt('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?')
                    .get(exp, l.dataset_name, l.dataset_digest) as { dataset_uuid: string } | undefined
                )?.dataset_uuid ?? null)
              : null;
          metric.run(
            m.model_id,
            l.key,
            BigInt(l.timestamp),
            BigInt(l.step),
            Number.isNaN(l.value) ? null : l.value,
            exp,
            l.run_id,
            dataset,
            l.dataset_name,
            l.dataset_digest,
          );
        }
      }
    });
  }

  async close(): Promise<void> {}
}
