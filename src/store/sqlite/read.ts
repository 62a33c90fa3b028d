/**
 * Reading experiments and runs from an MLflow database, reporting them exactly as MLflow's
 * SqlAlchemyStore does (mlflow/store/tracking/sqlalchemy_store.py, dbmodels/models.py):
 * - experiment ids as strings; artifact locations and URIs as stored;
 * - a run's name from `runs.name`, else from its `mlflow.runName` tag (MLflow ≤ 1.29 left
 *   the column empty);
 * - latest metrics from `latest_metrics`: NaN where `is_nan`, and ±Infinity as the
 *   ±1.7976931348623157e308 they are stored as (MLflow's SQL store reports those numbers);
 * - params, tags and latest metrics of many runs in one query each, ordered by key.
 *
 * Wrap a command's reads in `snapshot()` (db.ts) so they see one state of the file.
 */
import type { Experiment, Metric, Run, RunInfo } from '../types.js';
import { NotFoundError } from '../../errors.js';
import { compareCodePoints } from '../../text-order.js';
import type { DatasetInput, KeyValue, RunStatus, ViewType } from '../types.js';
import type { MlflowDb } from './db.js';
import { float, idText, int64, int64OrNull, isTrue, jsonIntArray, jsonTextArray, textOrNull } from './rows.js';

/** The lifecycle stages a view selects. */
export function viewStages(view: ViewType): string {
  return view === 'active' ? `('active')` : view === 'deleted' ? `('deleted')` : `('active', 'deleted')`;
}

// ------------------------------------------------------------------ experiments

function experimentColumns(db: MlflowDb): string {
  const times = db.has('experiments', 'creation_time') ? 'e.creation_time, e.last_update_time' : 'NULL AS creation_time, NULL AS last_update_time';
  return `e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, ${times}`;
}

interface ExperimentRow {
  experiment_id: bigint;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string;
  creation_time: bigint | null;
  last_update_time: bigint | null;
}

function toExperiment(r: ExperimentRow, tags: KeyValue[]): Experiment {
  return {
    experiment_id: idText(r.experiment_id),
    name: r.name,
    artifact_location: r.artifact_location ?? '',
    lifecycle_stage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creation_time: int64OrNull(r.creation_time),
    last_update_time: int64OrNull(r.last_update_time),
    tags,
  };
}

function experimentTags(db: MlflowDb, ids: string[]): Map<string, KeyValue[]> {
  const out = new Map<string, KeyValue[]>();
  if (!db.has('experiment_tags') || ids.length === 0) return out;
  const rows = db
    .stmt('SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (SELECT value FROM json_each(?)) ORDER BY experiment_id, key')
    .all(jsonIntArray(ids)) as { experiment_id: bigint; key: string; value: string | null }[];
  for (const r of rows) {
    const id = idText(r.experiment_id);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push({ key: r.key, value: r.value ?? '' });
  }
  return out;
}

function withTags(db: MlflowDb, rows: ExperimentRow[]): Experiment[] {
  const tags = experimentTags(
    db,
    rows.map((r) => idText(r.experiment_id)),
  );
  return rows.map((r) => toExperiment(r, tags.get(idText(r.experiment_id)) ?? []));
}

/**
 * Experiments of a view, in MLflow's default search order: creation_time DESC, then
 * experiment_id ASC (databases from before 1.29 have no creation times: id order).
 */
export function listExperiments(db: MlflowDb, view: ViewType = 'active'): Experiment[] {
  const rows = db
    .stmt(
      `SELECT ${experimentColumns(db)} FROM experiments e WHERE e.lifecycle_stage IN ${viewStages(view)} ` +
        `ORDER BY ${db.has('experiments', 'creation_time') ? 'e.creation_time DESC, ' : ''}e.experiment_id ASC`,
    )
    .all() as ExperimentRow[];
  return withTags(db, rows);
}

/** The experiment with this id (any lifecycle stage), or undefined. */
export function findExperiment(db: MlflowDb, id: string): Experiment | undefined {
  if (!/^-?\d{1,19}$/.test(id)) return undefined;
  const row = db.stmt(`SELECT ${experimentColumns(db)} FROM experiments e WHERE e.experiment_id = ?`).get(BigInt(id)) as ExperimentRow | undefined;
  return row ? withTags(db, [row])[0] : undefined;
}

/** The experiment with this id; NotFoundError with MLflow's message when there is none. */
export function getExperiment(db: MlflowDb, id: string): Experiment {
  const e = findExperiment(db, id);
  if (!e) throw new NotFoundError(`No Experiment with id=${id} exists`, 'experiment-not-found');
  return e;
}

/** The experiment with this exact name (any lifecycle stage), or undefined. */
export function findExperimentByName(db: MlflowDb, name: string): Experiment | undefined {
  const row = db.stmt(`SELECT ${experimentColumns(db)} FROM experiments e WHERE e.name = ?`).get(name) as ExperimentRow | undefined;
  return row ? withTags(db, [row])[0] : undefined;
}

// ------------------------------------------------------------------ runs

interface RunRow {
  run_uuid: string;
  name: string | null;
  tag_name: string | null;
  experiment_id: bigint | null;
  user_id: string | null;
  status: string | null;
  start_time: bigint | null;
  end_time: bigint | null;
  artifact_uri: string | null;
  lifecycle_stage: string | null;
}

/**
 * The columns of a RunInfo, from `runs r`. The name tag is looked up only for runs whose
 * name column is empty (runs of MLflow <= 1.29), so a listing costs no probe per run.
 */
export const RUN_INFO_SELECT =
  "SELECT r.run_uuid, r.name, CASE WHEN r.name IS NULL OR r.name = '' THEN " +
  "(SELECT rn.value FROM tags rn WHERE rn.run_uuid = r.run_uuid AND rn.key = 'mlflow.runName') END AS tag_name, " +
  'r.experiment_id, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage FROM runs r';

/** A runs row as MLflow's Run.to_mlflow_entity reports its RunInfo. */
function toRunInfo(r: RunRow): RunInfo {
  return {
    run_id: r.run_uuid,
    run_uuid: r.run_uuid,
    // `if not run_info.run_name: run_name = _get_run_name_from_tags(tags)`
    run_name: r.name || r.tag_name || '',
    experiment_id: idText(r.experiment_id),
    user_id: r.user_id ?? '',
    status: (r.status ?? 'RUNNING') as RunStatus,
    start_time: int64OrNull(r.start_time),
    end_time: int64OrNull(r.end_time),
    artifact_uri: r.artifact_uri ?? '',
    lifecycle_stage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

/** Runs rows for an SQL statement built on RUN_INFO_SELECT. */
export function runInfosOf(rows: unknown[]): RunInfo[] {
  return (rows as RunRow[]).map(toRunInfo);
}

/**
 * RunInfos of the runs of these experiments in a view, in MLflow's natural order
 * (start_time DESC, run_uuid ASC). For filters and other orders, see query.ts.
 */
export function listRunInfos(db: MlflowDb, experimentIds: readonly string[], view: ViewType = 'active'): RunInfo[] {
  const rows = db
    .stmt(
      `${RUN_INFO_SELECT} WHERE r.experiment_id IN (SELECT value FROM json_each(?)) AND r.lifecycle_stage IN ${viewStages(view)} ` +
        'ORDER BY r.start_time DESC, r.run_uuid',
    )
    .all(jsonIntArray(experimentIds));
  return runInfosOf(rows);
}

/** One run's RunInfo, or undefined. */
export function findRunInfo(db: MlflowDb, runId: string): RunInfo | undefined {
  const row = db.stmt(`${RUN_INFO_SELECT} WHERE r.run_uuid = ?`).get(runId);
  return row ? toRunInfo(row as RunRow) : undefined;
}

/** One run's RunInfo; NotFoundError with MLflow's message. */
export function getRunInfo(db: MlflowDb, runId: string): RunInfo {
  const info = findRunInfo(db, runId);
  if (!info) throw new NotFoundError(`Run with id=${runId} not found`, 'run-not-found');
  return info;
}

/** Rows [run_uuid, key, value] grouped by run, each run's sorted by key in code-point order (SQLite's BINARY). */
function groupKeyValues(rows: unknown[][]): Map<string, KeyValue[]> {
  const out = new Map<string, KeyValue[]>();
  for (const r of rows) {
    const id = r[0] as string;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push({ key: r[1] as string, value: (r[2] as string | null) ?? '' });
  }
  for (const list of out.values()) if (list.length > 1) list.sort((a, b) => compareCodePoints(a.key, b.key));
  return out;
}

/**
 * Rows of `sql` (whose first column is run_uuid) for these runs: probing the run_uuid index
 * once per run when they are few, or one sequential scan of `table` filtered here when they
 * are most of it (50,000 index probes cost several times a scan of the same rows).
 */
function rowsOfRuns(db: MlflowDb, table: string, columns: string, runIds: readonly string[], keys?: readonly string[]): unknown[][] {
  if (runIds.length === 0 || keys?.length === 0) return [];
  if (keys && runIds.length < 512) {
    // a few runs (one run's view, a page of a listing): the (key, run_uuid) primary key finds
    // each pair; reading every run's rows of the key and dropping the rest cost 0.1-1 s a call
    return db
      .stmt(`SELECT ${columns} FROM ${table} WHERE key IN (SELECT value FROM json_each(?)) AND run_uuid IN (SELECT value FROM json_each(?))`)
      .raw()
      .all(jsonTextArray(keys), jsonTextArray(runIds)) as unknown[][];
  }
  if (keys) {
    // only the keys a query or a column needs, for many runs: one pass over those keys' rows
    const wanted = new Set(runIds);
    return (db.stmt(`SELECT ${columns} FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`).raw().all(jsonTextArray(keys)) as unknown[][]).filter(
      (r) => wanted.has(r[0] as string),
    );
  }
  const total = runIds.length >= 512 ? Number((db.stmt('SELECT count(*) AS n FROM runs').get() as { n: bigint }).n) : Infinity;
  if (runIds.length * 4 >= total) {
    const wanted = new Set(runIds);
    return (db.stmt(`SELECT ${columns} FROM ${table}`).raw().all() as unknown[][]).filter((r) => wanted.has(r[0] as string));
  }
  return db.stmt(`SELECT ${columns} FROM ${table} WHERE run_uuid IN (SELECT value FROM json_each(?))`).raw().all(jsonTextArray(runIds)) as unknown[][];
}

/** Params of many runs (only `keys` when given), one query, each run's ordered by key. */
export function loadParams(db: MlflowDb, runIds: readonly string[], keys?: readonly string[]): Map<string, KeyValue[]> {
  // no ORDER BY: sorting each run's few keys in JS is cheaper than SQLite's temp b-tree
  return groupKeyValues(rowsOfRuns(db, 'params', 'run_uuid, key, value', runIds, keys));
}

/** Tags of many runs (only `keys` when given), one query, each run's ordered by key. */
export function loadTags(db: MlflowDb, runIds: readonly string[], keys?: readonly string[]): Map<string, KeyValue[]> {
  return groupKeyValues(rowsOfRuns(db, 'tags', 'run_uuid, key, value', runIds, keys));
}

interface MetricRow {
  key: string;
  value: number | bigint;
  timestamp: bigint | null;
  step: bigint;
  is_nan: bigint;
}

/** A metrics / latest_metrics row as MLflow's Metric: NaN where is_nan, the stored value otherwise. */
function toMetric(r: MetricRow): Metric {
  return { key: r.key, value: isTrue(r.is_nan) ? NaN : float(r.value), timestamp: int64(r.timestamp), step: int64(r.step) };
}

/** Latest metrics of many runs (latest_metrics; only `keys` when given), one query, each run's ordered by key. */
export function loadLatestMetrics(db: MlflowDb, runIds: readonly string[], keys?: readonly string[]): Map<string, Metric[]> {
  const out = new Map<string, Metric[]>();
  if (!db.has('latest_metrics')) return out;
  const rows = rowsOfRuns(db, 'latest_metrics', 'run_uuid, key, value, timestamp, step, is_nan', runIds, keys) as [
    string,
    string,
    number | bigint,
    bigint | null,
    bigint,
    bigint,
  ][];
  for (const [id, key, value, timestamp, step, isNan] of rows) {
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(toMetric({ key, value, timestamp, step, is_nan: isNan }));
  }
  for (const list of out.values()) if (list.length > 1) list.sort((a, b) => compareCodePoints(a.key, b.key));
  return out;
}

/** Which keys to load (a kind left out: all of its keys). */
export interface DataKeys {
  params?: readonly string[];
  tags?: readonly string[];
  metrics?: readonly string[];
}

/** Params, tags and latest metrics of many runs (only `keys` where given): three queries whatever the number of runs. */
export function loadRunData(db: MlflowDb, runIds: readonly string[], keys: DataKeys = {}): Map<string, Run['data']> {
  const params = loadParams(db, runIds, keys.params);
  const tags = loadTags(db, runIds, keys.tags);
  const metrics = loadLatestMetrics(db, runIds, keys.metrics);
  const out = new Map<string, Run['data']>();
  for (const id of runIds) out.set(id, { metrics: metrics.get(id) ?? [], params: params.get(id) ?? [], tags: tags.get(id) ?? [] });
  return out;
}

/**
 * Dataset inputs of many runs (MLflow's `_get_run_inputs`): the datasets joined to the
 * runs by `inputs` (destination RUN), each with its input tags. Empty before MLflow 2.4's
 * dataset tables.
 */
export function loadDatasetInputs(db: MlflowDb, runIds: readonly string[]): Map<string, DatasetInput[]> {
  const out = new Map<string, DatasetInput[]>();
  if (!db.has('inputs') || !db.has('datasets') || runIds.length === 0) return out;
  const rows = db
    .stmt(
      'SELECT i.input_uuid, i.destination_id AS run_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, ' +
        'd.dataset_schema, d.dataset_profile FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid ' +
        "WHERE i.destination_type = 'RUN' AND i.destination_id IN (SELECT value FROM json_each(?)) ORDER BY i.destination_id, i.rowid",
    )
    .all(jsonTextArray(runIds)) as {
    input_uuid: string;
    run_uuid: string;
    name: string;
    digest: string;
    dataset_source_type: string;
    dataset_source: string;
    dataset_schema: string | null;
    dataset_profile: string | null;
  }[];
  const tags = new Map<string, KeyValue[]>();
  if (db.has('input_tags') && rows.length > 0) {
    const tagRows = db
      .stmt('SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN (SELECT value FROM json_each(?)) ORDER BY input_uuid, name')
      .all(jsonTextArray(rows.map((r) => r.input_uuid))) as { input_uuid: string; name: string; value: string }[];
    for (const t of tagRows) {
      let list = tags.get(t.input_uuid);
      if (!list) tags.set(t.input_uuid, (list = []));
      list.push({ key: t.name, value: t.value });
    }
  }
  for (const r of rows) {
    let list = out.get(r.run_uuid);
    if (!list) out.set(r.run_uuid, (list = []));
    list.push({
      tags: tags.get(r.input_uuid) ?? [],
      dataset: {
        name: r.name,
        digest: r.digest,
        source_type: r.dataset_source_type,
        source: r.dataset_source,
        schema: textOrNull(r.dataset_schema),
        profile: textOrNull(r.dataset_profile),
      },
    });
  }
  return out;
}

/** Full runs (info, data, inputs) for RunInfos, with four queries in all. */
export function completeRuns(db: MlflowDb, infos: readonly RunInfo[]): Run[] {
  const ids = infos.map((i) => i.run_id);
  const data = loadRunData(db, ids);
  const inputs = loadDatasetInputs(db, ids);
  return infos.map((info) => ({
    info,
    data: data.get(info.run_id) ?? { metrics: [], params: [], tags: [] },
    inputs: { dataset_inputs: inputs.get(info.run_id) ?? [] },
  }));
}

/** One run, as MLflow's get_run reports it; NotFoundError when there is none. */
export function getRun(db: MlflowDb, runId: string): Run {
  return completeRuns(db, [getRunInfo(db, runId)])[0]!;
}

/** Every run of these experiments in a view, complete, in MLflow's natural order. */
export function listRuns(db: MlflowDb, experimentIds: readonly string[], view: ViewType = 'active'): Run[] {
  return completeRuns(db, listRunInfos(db, experimentIds, view));
}

// ------------------------------------------------------------------ metric history

/** How many history rows one step of `metricHistory` reads. */
const HISTORY_CHUNK = 4096;

/**
 * A metric's history, streamed in chunks of up to `chunk` values, in the order MLflow's
 * get_metric_history returns it: its query has no ORDER BY, and SQLite answers it from the
 * covering primary-key index (key, timestamp, step, run_uuid, value, is_nan), so by
 * timestamp, then step, then value. Consume it inside one `snapshot()`.
 */
export function* metricHistory(db: MlflowDb, runId: string, key: string, chunk = HISTORY_CHUNK): Generator<Metric[]> {
  const it = db
    // `+key`: without it SQLite walks the primary-key index over every run's rows of the key
    // (ordered by timestamp already) and filters run_uuid: 30× slower on 1,000 runs, and
    // growing with the store; the run_uuid index finds the run's few hundred rows directly
    .stmt('SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND +key = ? ORDER BY timestamp, step, value, is_nan')
    .iterate(runId, key) as IterableIterator<MetricRow>;
  let batch: Metric[] = [];
  for (const r of it) {
    batch.push(toMetric(r));
    if (batch.length >= chunk) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The whole history of a metric as one array (see metricHistory for the order). */
export function readMetricHistory(db: MlflowDb, runId: string, key: string): Metric[] {
  const out: Metric[] = [];
  for (const batch of metricHistory(db, runId, key)) out.push(...batch);
  return out;
}

/** How many values each metric of a run has logged, by key. */
export function metricHistoryLengths(db: MlflowDb, runId: string): Map<string, number> {
  const rows = db.stmt('SELECT key, count(*) AS n FROM metrics WHERE run_uuid = ? GROUP BY key ORDER BY key').all(runId) as { key: string; n: bigint }[];
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}
