/**
 * MLflow's SQLite database (`sqlite:///mlflow.db`) as a Backend: the modules of this folder
 * (read.ts, query.ts, write.ts, registry*.ts) behind the store interface.
 *
 * Reading opens the file read-only and reads every call of a command inside one read
 * transaction, so a command sees one state of the database while MLflow may be writing to
 * it; refresh() ends that snapshot (the next read starts a new one), and every write ends
 * it first so that a read after a write sees the write. Writing opens a second connection
 * (created, with MLflow 2.12's schema, when the file does not exist) and runs each
 * operation in one short BEGIN IMMEDIATE transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import type {
  ArtifactRepository,
  Backend,
  BatchInput,
  CreatedRun,
  CreateRunOptions,
  ExperimentEntry,
  FullRun,
  LoadNeeds,
  MetricInput,
  MetricTail,
  ModelRegistry,
  RunEntry,
  RunSearch,
  SearchedRun,
  TrackingImporter,
  TrackingReader,
  TrackingWriter,
} from '../backend.js';
import { checkMaxResults, MAX_RESULTS_LIMIT } from '../max-results.js';
import type { DatasetInput, Experiment, KeyValue, Metric, Problem, RunInfo, RunStatus, SearchableRun, ViewType } from '../types.js';
import { openForRead, type MlflowDb } from './db.js';
import * as read from './read.js';
import { openOrCreate } from './schema.js';
import * as write from './write.js';
import { int64OrNull } from './rows.js';
import type { Int64 } from '../int64.js';

/** `mlr migrate` into SQLite writes on a thread of its own from this many runs on (importer). */
const THREAD_FROM_RUNS = 1000;

export interface SqliteBackendOptions {
  /** absolute path of the database file */
  file: string;
  /** the artifact root for new experiments (MLflow's default: `<cwd>/mlruns`) */
  artifactRoot: string;
  cwd: string;
  describe: string;
  trackingUri: string;
  now?: () => number;
  warn?: (message: string) => void;
  truncate?: boolean;
  /** the V8 limits of migrate's writer thread (import-pipe.ts; tests: a thread that runs out of memory) */
  writerLimits?: import('node:worker_threads').ResourceLimits;
  /** migrate writes on a thread from this many runs on (default THREAD_FROM_RUNS; tests: 0, a thread for any store) */
  threadFromRuns?: number;
}

const entry = (experiment: Experiment): ExperimentEntry => ({ experiment, broken: false, problems: [] });

const toMap = (kv: readonly KeyValue[] | undefined): Map<string, string> => new Map((kv ?? []).map((p) => [p.key, p.value]));

/** `Iterable<string> | 'all' | undefined` as the keys argument of read.ts's loaders. */
function keysOf(k: Iterable<string> | 'all' | undefined): string[] | undefined {
  return k === 'all' || k === undefined ? undefined : [...k];
}

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly trackingUri: string;
  readonly file: string;
  readonly opts: SqliteBackendOptions;
  private rdb?: MlflowDb;
  private wdb?: MlflowDb;
  /** writer threads importer() started, closed with the backend */
  private readonly importers: TrackingImporter[] = [];
  private readerP?: SqliteReader;
  private writerP?: SqliteWriter;
  private registryP?: import('./registry-backend.js').SqliteRegistry;
  private artifactsP?: Promise<ArtifactRepository>;

  constructor(opts: SqliteBackendOptions) {
    this.opts = opts;
    this.file = opts.file;
    this.description = opts.describe;
    this.trackingUri = opts.trackingUri;
  }

  /** The read connection, inside a read transaction (a snapshot until refresh()). */
  readDb(): MlflowDb {
    if (!this.rdb) {
      if (!fs.existsSync(this.file)) throw new NotFoundError(`no MLflow database at ${this.description}: the file does not exist`, 'store-not-found');
      this.rdb = openForRead(this.file, this.opts.warn ? { warn: this.opts.warn } : {});
    }
    if (!this.rdb.sql.inTransaction) this.rdb.sql.exec('BEGIN');
    return this.rdb;
  }

  /** The write connection (the database is created when it does not exist); ends the read snapshot first. */
  writeDb(): MlflowDb {
    this.refresh();
    this.wdb ??= openOrCreate(this.file, { artifactRoot: this.opts.artifactRoot, ...(this.opts.now ? { now: this.opts.now } : {}) });
    return this.wdb;
  }

  writeCtx(): write.WriteContext {
    return {
      ...(this.opts.now ? { now: this.opts.now } : {}),
      ...(this.opts.warn ? { warn: this.opts.warn } : {}),
      ...(this.opts.truncate !== undefined ? { truncate: this.opts.truncate } : {}),
    };
  }

  async reader(): Promise<TrackingReader> {
    this.readerP ??= new SqliteReader(this);
    this.readDb();
    return this.readerP;
  }

  /** A new snapshot: the reader then sees every change committed since. */
  async freshReader(): Promise<TrackingReader> {
    this.refresh();
    return this.reader();
  }

  async writer(): Promise<TrackingWriter> {
    this.writerP ??= new SqliteWriter(this);
    return this.writerP;
  }

  async registry(): Promise<ModelRegistry> {
    // loaded when asked for: a log-metric never compiles the registry's SQL
    if (!this.registryP) {
      const { SqliteRegistry } = await import('./registry-backend.js');
      this.registryP ??= new SqliteRegistry(this);
    }
    return this.registryP;
  }

  artifacts(): Promise<ArtifactRepository> {
    // MLflow's default artifact root for a SQLite store is ./mlruns beside it: a moved or
    // committed project finds its artifacts there when the recorded absolute path is gone
    this.artifactsP ??= import('../artifacts/repository.js').then(({ LocalArtifactRepository }) => {
      const root = path.join(path.dirname(this.file), 'mlruns');
      return new LocalArtifactRepository({
        ctx: { root, cwd: this.opts.cwd },
        runFolder: (run) => ({
          path: path.join(root, run.info.experiment_id, run.info.run_id, 'artifacts'),
          usable: fs.existsSync(path.join(root, run.info.experiment_id)),
        }),
        loggedModelDir: (m) => path.join(root, m.experiment_id, 'models', m.model_id),
        experimentLocation: (run) => run.exp.experiment.artifact_location,
      });
    });
    return this.artifactsP;
  }

  /**
   * The importer of `mlr migrate`: SqliteImporter on a writer thread (import-pipe.ts), or in
   * this thread for fewer than THREAD_FROM_RUNS runs (a thread costs ~130 ms to start, more
   * than the overlap wins on a small store). The database is created (or checked) here
   * first, so what cannot be opened fails here.
   */
  async importer(opts: { runs?: number } = {}): Promise<TrackingImporter> {
    const existed = fs.existsSync(this.file) && fs.statSync(this.file).size > 0;
    const db = this.writeDb();
    if (opts.runs !== undefined && opts.runs < (this.opts.threadFromRuns ?? THREAD_FROM_RUNS)) {
      const { SqliteImporter } = await import('./import.js');
      return new SqliteImporter(db, existed, () => this.refresh());
    }
    const { PipedImporter } = await import('./import-pipe.js');
    const imp = new PipedImporter(db.path, existed, db.has('logged_models'), () => this.refresh(), {
      ...(this.opts.writerLimits ? { resourceLimits: this.opts.writerLimits } : {}),
    });
    this.importers.push(imp);
    return imp;
  }

  /** Whether the database has MLflow 3's logged-model tables (one mlr creates has MLflow 2.12's schema: no). */
  async holdsLoggedModels(): Promise<boolean> {
    if (!fs.existsSync(this.file) || fs.statSync(this.file).size === 0) return false;
    return this.readDb().has('logged_models');
  }

  /** End the read snapshot; the next read starts a new one. */
  refresh(): void {
    if (this.rdb?.sql.inTransaction) this.rdb.sql.exec('COMMIT');
  }

  async close(): Promise<void> {
    // what a writer thread was sent is committed (or not) whole before the connections close
    for (const imp of this.importers.splice(0)) await imp.close();
    this.refresh();
    this.rdb?.close();
    this.wdb?.close();
    this.rdb = undefined;
    this.wdb = undefined;
  }
}

class SqliteReader implements TrackingReader {
  readonly problems: Problem[] = [];
  readonly strays: Problem[] = [];
  private readonly b: SqliteBackend;
  private readonly exps = new Map<string, ExperimentEntry>();

  constructor(b: SqliteBackend) {
    this.b = b;
  }

  private get db(): MlflowDb {
    return this.b.readDb();
  }

  /** One entry object per experiment id within a snapshot (runs point at their experiment's). */
  private exp(e: Experiment): ExperimentEntry {
    const have = this.exps.get(e.experiment_id);
    if (have) {
      have.experiment = e;
      return have;
    }
    const x = entry(e);
    this.exps.set(e.experiment_id, x);
    return x;
  }

  private expById(id: string): ExperimentEntry {
    return this.exps.get(id) ?? this.exp(read.getExperiment(this.db, id));
  }

  private runEntry(info: RunInfo, exp?: ExperimentEntry): RunEntry {
    return { info, exp: exp ?? this.expById(info.experiment_id), broken: false, problems: [] };
  }

  async listExperiments(view: ViewType = 'active'): Promise<ExperimentEntry[]> {
    return read.listExperiments(this.db, view).map((e) => this.exp(e));
  }

  async getExperiment(idOrName: string): Promise<ExperimentEntry> {
    const e = read.findExperiment(this.db, idOrName) ?? read.findExperimentByName(this.db, idOrName);
    if (e) return this.exp(e);
    const names = read
      .listExperiments(this.db, 'active')
      .map((x) => `${x.name} (${x.experiment_id})`)
      .sort();
    throw new NotFoundError(
      `no experiment with id or name '${idOrName}' in ${this.b.description}` + (names.length ? `; experiments: ${names.join(', ')}` : ''),
      'experiment-not-found',
    );
  }

  async loadExperimentTags(e: ExperimentEntry): Promise<ExperimentEntry> {
    return e; // read with the experiment
  }

  async estimateRuns(): Promise<number> {
    // the connection reads integers as BigInt (int64 exactness)
    return Number((this.db.sql.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number | bigint }).n);
  }

  async listRuns(exps: readonly ExperimentEntry[], view: ViewType = 'active'): Promise<RunEntry[]> {
    const byId = new Map(exps.map((e) => [e.experiment.experiment_id, e]));
    return read.listRunInfos(this.db, [...byId.keys()], view).map((i) => this.runEntry(i, byId.get(i.experiment_id)));
  }

  /**
   * MLflow's search pushed into SQL (query.ts translates the filter, mlr's OR / IN
   * extensions included, and the order-by); then each run's values for the query's keys in
   * one query per kind, for the callers that order or show them.
   */
  async searchRuns(search: RunSearch): Promise<SearchedRun[]> {
    checkMaxResults(search.maxResults);
    // the filter parser and the SQL it becomes: loaded by the commands that search, not by a write
    const { searchRunInfos } = await import('./query.js');
    const db = this.db;
    const byId = new Map(search.experiments.map((e) => [e.experiment.experiment_id, e]));
    const q = search.query;
    const infos: RunInfo[] = [];
    const pageSize = Math.min(search.maxResults ?? MAX_RESULTS_LIMIT, MAX_RESULTS_LIMIT);
    for (let offset = 0; ; offset += pageSize) {
      const page = searchRunInfos(db, {
        experimentIds: [...byId.keys()],
        ...(q?.predicate ? { filter: q.predicate } : {}),
        orderBy: search.unordered || !q ? [] : q.order,
        view: search.view,
        maxResults: pageSize,
        offset,
      });
      infos.push(...page);
      if (page.length < pageSize || search.maxResults !== undefined) break;
    }
    const ids = infos.map((i) => i.run_id);
    const needs = q?.needs;
    const data = needs
      ? read.loadRunData(db, ids, { params: [...needs.params], tags: [...needs.tags], metrics: [...needs.metrics] })
      : new Map<string, FullRun['data']>();
    const inputs = needs?.datasets ? read.loadDatasetInputs(db, ids) : undefined;
    return infos.map((info): SearchedRun => {
      const d = data.get(info.run_id);
      return {
        info,
        metrics: new Map((d?.metrics ?? []).map((m) => [m.key, m.value])),
        params: toMap(d?.params),
        tags: toMap(d?.tags),
        datasets: inputs?.get(info.run_id) ?? [],
        entry: this.runEntry(info, byId.get(info.experiment_id)),
      };
    });
  }

  async findRun(idOrPrefix: string): Promise<RunEntry> {
    const want = idOrPrefix.trim();
    if (!/^[a-zA-Z0-9][\w-]*$/.test(want)) throw new UsageError(`'${idOrPrefix}' is not a run id`, 'bad-run-id');
    const exact = read.findRunInfo(this.db, want);
    if (exact) return this.runEntry(exact);
    if (want.length < 6) throw new UsageError(`run id prefix '${want}' is too short: give at least 6 characters`, 'run-prefix-short');
    const rows = this.db
      .stmt('SELECT run_uuid, experiment_id FROM runs WHERE substr(run_uuid, 1, length(?)) = ? ORDER BY run_uuid LIMIT 10')
      .all(want, want) as {
      run_uuid: string;
      experiment_id: bigint;
    }[];
    if (rows.length === 0) throw new NotFoundError(`run '${want}' not found in ${this.b.description}`, 'run-not-found');
    if (rows.length > 1) {
      const list = rows.map((r) => `${r.run_uuid} (experiment ${String(r.experiment_id)})`).join(', ');
      throw new UsageError(`run id prefix '${want}' is ambiguous: ${list}`, 'run-prefix-ambiguous');
    }
    return this.runEntry(read.getRunInfo(this.db, rows[0]!.run_uuid));
  }

  readParams(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return toMap(read.loadParams(this.db, [run.info.run_id], keysOf(keys)).get(run.info.run_id));
  }

  readTags(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return toMap(read.loadTags(this.db, [run.info.run_id], keysOf(keys)).get(run.info.run_id));
  }

  readLatestMetrics(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, Metric> {
    return new Map((read.loadLatestMetrics(this.db, [run.info.run_id], keysOf(keys)).get(run.info.run_id) ?? []).map((m) => [m.key, m]));
  }

  deletedTime(run: RunEntry): Int64 | null {
    if (run.info.lifecycle_stage !== 'deleted' || !this.db.has('runs', 'deleted_time')) return null;
    const row = this.db.stmt('SELECT deleted_time FROM runs WHERE run_uuid = ?').get(run.info.run_id) as { deleted_time: bigint | null } | undefined;
    return int64OrNull(row?.deleted_time ?? null);
  }

  listParamKeys(run: RunEntry): string[] {
    return [...this.readParams(run).keys()];
  }

  storedKeys(run: RunEntry, kind: 'metrics' | 'params' | 'tags'): string[] {
    return kind === 'metrics' ? this.listMetricKeys(run) : kind === 'params' ? this.listParamKeys(run) : [...this.readTags(run).keys()];
  }

  listMetricKeys(run: RunEntry): string[] {
    return (this.db.stmt('SELECT key FROM latest_metrics WHERE run_uuid = ? ORDER BY key').all(run.info.run_id) as { key: string }[]).map((r) => r.key);
  }

  readDatasetInputs(run: RunEntry): DatasetInput[] {
    return read.loadDatasetInputs(this.db, [run.info.run_id]).get(run.info.run_id) ?? [];
  }

  readRunOutputs(run: RunEntry): { model_id: string; step: number | bigint }[] {
    const db = this.db;
    // MLflow 3 records a run's model outputs as inputs rows: RUN_OUTPUT (the run) → MODEL_OUTPUT (the model)
    if (!db.has('inputs', 'step')) return [];
    const rows = db
      .stmt("SELECT destination_id, step FROM inputs WHERE source_type = 'RUN_OUTPUT' AND source_id = ? ORDER BY destination_id")
      .all(run.info.run_id) as { destination_id: string; step: bigint | null }[];
    return rows.map((r) => ({ model_id: r.destination_id, step: int64OrNull(r.step) ?? 0 }));
  }

  loadRun(run: RunEntry): FullRun {
    const full = read.getRun(this.db, run.info.run_id) as FullRun;
    const outputs = this.readRunOutputs(run);
    return outputs.length > 0 ? { ...full, outputs: { model_outputs: outputs } } : full;
  }

  loadSearchable(run: RunEntry, needs: LoadNeeds): SearchableRun {
    const keys = (k: Iterable<string> | 'all' | undefined): Iterable<string> | 'all' => k ?? [];
    return {
      info: run.info,
      metrics: new Map([...this.readLatestMetrics(run, keys(needs.metrics))].map(([k, m]) => [k, m.value])),
      params: this.readParams(run, keys(needs.params)),
      tags: this.readTags(run, keys(needs.tags)),
      datasets: needs.datasets ? this.readDatasetInputs(run) : [],
    };
  }

  metricHistory(run: RunEntry, key: string): AsyncGenerator<Metric[]> {
    const db = this.db;
    const has = db.stmt('SELECT 1 FROM metrics WHERE run_uuid = ? AND +key = ? LIMIT 1').get(run.info.run_id, key);
    if (!has) {
      const known = this.listMetricKeys(run);
      throw new NotFoundError(`run ${run.info.run_id} has no metric '${key}'` + (known.length ? `; metrics: ${known.join(', ')}` : ''), 'metric-not-found');
    }
    const chunks = read.metricHistory(db, run.info.run_id, key);
    return (async function* () {
      yield* chunks;
    })();
  }

  tailMetric(run: RunEntry, key: string): MetricTail {
    let last = -1n;
    return {
      poll: async () => {
        // a new snapshot: what was logged since the last poll
        this.b.refresh();
        const rows = this.db
          .stmt('SELECT rowid AS rid, key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? AND rowid > ? ORDER BY rowid')
          .all(run.info.run_id, key, last) as { rid: bigint; value: number; timestamp: bigint; step: bigint; is_nan: unknown }[];
        if (rows.length > 0) last = rows[rows.length - 1]!.rid;
        const lines = rows.map((r) => ({
          key,
          value: r.is_nan === 1 || r.is_nan === 1n || r.is_nan === true ? NaN : Number(r.value),
          timestamp: int64OrNull(r.timestamp) ?? 0,
          step: int64OrNull(r.step) ?? 0,
        }));
        return { reset: false, lines };
      },
    };
  }
}

class SqliteWriter implements TrackingWriter {
  private readonly b: SqliteBackend;

  constructor(b: SqliteBackend) {
    this.b = b;
  }

  private get db(): MlflowDb {
    return this.b.writeDb();
  }

  /** An experiment id from an id or a name, on the write connection (what is there now). */
  private expId(idOrName: string): string {
    const e = read.findExperiment(this.db, idOrName) ?? read.findExperimentByName(this.db, idOrName);
    if (!e) throw new NotFoundError(`no experiment with id or name '${idOrName}' in ${this.b.description}`, 'experiment-not-found');
    return e.experiment_id;
  }

  /** A run id from an id or a unique prefix. */
  private runId(ref: string): string {
    const want = ref.trim();
    if (read.findRunInfo(this.db, want)) return want;
    if (!/^[a-zA-Z0-9][\w-]*$/.test(want)) throw new UsageError(`'${ref}' is not a run id`, 'bad-run-id');
    if (want.length < 6) throw new UsageError(`run id prefix '${want}' is too short: give at least 6 characters`, 'run-prefix-short');
    const rows = this.db.stmt('SELECT run_uuid FROM runs WHERE substr(run_uuid, 1, length(?)) = ? LIMIT 2').all(want, want) as { run_uuid: string }[];
    if (rows.length === 0) throw new NotFoundError(`run '${want}' not found in ${this.b.description}`, 'run-not-found');
    if (rows.length > 1) throw new UsageError(`run id prefix '${want}' is ambiguous`, 'run-prefix-ambiguous');
    return rows[0]!.run_uuid;
  }

  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {}) {
    const db = this.db;
    const existing = read.findExperimentByName(db, name);
    if (existing?.lifecycle_stage === 'active') return { experiment_id: existing.experiment_id, created: false };
    if (existing) {
      throw new StateError(
        `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete it with mlr gc.`,
        'experiment-exists-deleted',
      );
    }
    const location = opts.artifactLocation !== undefined ? path.resolve(this.b.opts.cwd, opts.artifactLocation) : undefined;
    const id = write.createExperiment(
      db,
      name,
      this.b.opts.artifactRoot,
      {
        ...(location !== undefined ? { artifactLocation: /^[a-z][a-z0-9+.-]*:/i.test(opts.artifactLocation!) ? opts.artifactLocation! : location } : {}),
        ...(opts.tags ? { tags: opts.tags } : {}),
        ...(opts.experimentId !== undefined ? { experimentId: opts.experimentId } : {}),
      },
      this.b.writeCtx(),
    );
    return { experiment_id: id, created: true };
  }

  async renameExperiment(idOrName: string, newName: string): Promise<string> {
    const id = this.expId(idOrName);
    write.renameExperiment(this.db, id, newName, this.b.writeCtx());
    return id;
  }

  async deleteExperiment(idOrName: string): Promise<string> {
    const id = this.expId(idOrName);
    if (id === '0') throw new StateError("Cannot delete the default experiment '0'. This is an internally reserved experiment.", 'default-experiment');
    write.deleteExperiment(this.db, id, this.b.writeCtx());
    return id;
  }

  async restoreExperiment(idOrName: string): Promise<string> {
    const id = this.expId(idOrName);
    write.restoreExperiment(this.db, id, this.b.writeCtx());
    return id;
  }

  async setExperimentTag(idOrName: string, key: string, value: string): Promise<string> {
    const id = this.expId(idOrName);
    write.setExperimentTag(this.db, id, key, value);
    return id;
  }

  async deleteExperimentTag(idOrName: string, key: string): Promise<string> {
    const id = this.expId(idOrName);
    write.deleteExperimentTag(this.db, id, key);
    return id;
  }

  async createRun(opts: CreateRunOptions): Promise<CreatedRun> {
    const expId = this.expId(opts.experiment ?? '0');
    const tags = [...(opts.tags ?? [])];
    if (opts.parentRunId !== undefined) {
      if (tags.some((t) => t.key === 'mlflow.parentRunId')) {
        throw new UsageError('give the parent run either with --parent or as the mlflow.parentRunId tag, not both', 'parent-conflict');
      }
      tags.push({ key: 'mlflow.parentRunId', value: this.runId(opts.parentRunId) });
    }
    const info = write.createRun(
      this.db,
      {
        experimentId: expId,
        tags,
        ...(opts.runName !== undefined ? { runName: opts.runName } : {}),
        ...(opts.startTime !== undefined ? { startTime: opts.startTime } : {}),
        ...(opts.userId !== undefined ? { userId: opts.userId } : {}),
        ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
      },
      this.b.writeCtx(),
    );
    return { run_id: info.run_id, experiment_id: info.experiment_id, run_name: info.run_name, artifact_uri: info.artifact_uri };
  }

  async endRun(run: string, status: RunStatus = 'FINISHED', endTime?: number | bigint): Promise<string> {
    return this.updateRun(run, { status, endTime: endTime ?? (this.b.opts.now ?? Date.now)() });
  }

  async updateRun(run: string, u: { status?: RunStatus; endTime?: number | bigint | null; runName?: string }): Promise<string> {
    const id = this.runId(run);
    write.updateRunInfo(this.db, id, {
      ...(u.status !== undefined ? { status: u.status } : {}),
      ...(u.endTime !== undefined && u.endTime !== null ? { endTime: u.endTime } : {}),
      ...(u.runName !== undefined ? { runName: u.runName } : {}),
    });
    return id;
  }

  async deleteRun(run: string): Promise<string> {
    const id = this.runId(run);
    write.deleteRun(this.db, id, this.b.writeCtx());
    return id;
  }

  async restoreRun(run: string): Promise<string> {
    const id = this.runId(run);
    write.restoreRun(this.db, id, this.b.writeCtx());
    return id;
  }

  async renameRun(run: string, name: string): Promise<string> {
    if (name === '') throw new UsageError('a run name cannot be empty', 'bad-name');
    return this.updateRun(run, { runName: name });
  }

  async logMetrics(run: string, metrics: MetricInput[]): Promise<string> {
    const id = this.runId(run);
    write.logMetrics(this.db, id, metrics);
    return id;
  }

  async logParams(run: string, params: KeyValue[]): Promise<string> {
    const id = this.runId(run);
    const seen = new Map<string, string>();
    for (const p of params) {
      const prev = seen.get(p.key);
      if (prev !== undefined && prev !== p.value) {
        throw new UsageError(`param '${p.key}' is given twice with different values ('${prev}' and '${p.value}')`, 'param-twice');
      }
      seen.set(p.key, p.value);
    }
    const db = this.db;
    // one transaction: all params or none (better-sqlite3 nests the per-param ones as savepoints)
    db.sql
      .transaction(() => {
        for (const p of params) write.logParam(db, id, p.key, p.value, this.b.writeCtx());
      })
      .immediate();
    return id;
  }

  async setTags(run: string, tags: KeyValue[]): Promise<string> {
    const id = this.runId(run);
    const db = this.db;
    db.sql
      .transaction(() => {
        for (const t of tags) write.setTag(db, id, t.key, t.value, this.b.writeCtx());
      })
      .immediate();
    return id;
  }

  async deleteTag(run: string, key: string): Promise<string> {
    const id = this.runId(run);
    write.deleteTag(this.db, id, key);
    return id;
  }

  async logBatch(run: string, batch: BatchInput): Promise<string> {
    const id = this.runId(run);
    write.logBatch(this.db, id, batch, this.b.writeCtx());
    return id;
  }

  async logInputs(run: string, inputs: DatasetInput[]): Promise<string> {
    const id = this.runId(run);
    write.logInputs(this.db, id, inputs);
    return id;
  }
}
