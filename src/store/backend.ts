/**
 * The store interface: what a tracking backend can do, in MLflow's entity shapes. Every
 * command, renderer and search module talks to these interfaces and never to a backend's
 * files, tables or URLs; the file store (src/store/file/), MLflow's SQLite database
 * (src/store/sqlite/) and a remote tracking server (src/store/rest/) implement them.
 *
 * Entity records carry no paths. A backend keeps what it needs to find a record's data
 * (a folder, a row id) to itself.
 *
 * Asynchronous where a backend may have to wait (finding, listing, searching, histories,
 * writes, artifacts); synchronous for the data of a run record already handed out
 * (params, tags, latest metrics): a backend that must fetch them does so before it hands
 * the record out, so that the search evaluator and tables can read them lazily, per key.
 */
import type { Readable } from 'node:stream';
import type { CompiledQuery } from '../search/index.js';
import type { MetricInput } from './validate.js';
import type { Int64 } from './int64.js';
import type { DatasetInput, Experiment, KeyValue, Metric, Problem, Run, RunInfo, RunStatus, SearchableRun, ViewType } from './types.js';

export type { MetricInput } from './validate.js';

type BackendKind = 'file' | 'sqlite' | 'rest' | 'memory';

// ------------------------------------------------------------------ records

/** An experiment as a listing sees it; `broken` when its metadata could not be read whole. */
export interface ExperimentEntry {
  experiment: Experiment;
  broken: boolean;
  problems: Problem[];
}

/** A run as a listing sees it: its info, its experiment, and what was wrong reading it. */
export interface RunEntry {
  info: RunInfo;
  exp: ExperimentEntry;
  broken: boolean;
  /** true when the run's metadata could not be read at all: info holds guesses */
  metaUnreadable?: boolean;
  /** true when the metadata was rebuilt from a damaged copy (doctor's salvage) */
  salvaged?: boolean;
  problems: Problem[];
}

/** A model a run logged (MLflow 3: `outputs.model_outputs`). */
export interface RunOutput {
  model_id: string;
  step: Int64;
}

/** A run in MLflow's REST shape, with the MLflow 3 outputs when it has any. */
export type FullRun = Run & { outputs?: { model_outputs: RunOutput[] } };

/** One run as the search evaluator sees it, and the record it came from. */
export type SearchedRun = SearchableRun & { entry: RunEntry };

/** What a query needs loaded for each run (see src/search). */
export interface LoadNeeds {
  metrics?: Iterable<string> | 'all';
  params?: Iterable<string> | 'all';
  tags?: Iterable<string> | 'all';
  datasets?: boolean;
}

/** A run search: MLflow's search_runs (experiments, view, filter, order-by, max results). */
export interface RunSearch {
  experiments: readonly ExperimentEntry[];
  view: ViewType;
  /** filter and order-by, compiled by src/search; absent: every run, natural order */
  query?: CompiledQuery;
  /** the first n runs of the ordered answer (all when absent) */
  maxResults?: number;
  /** filter only: leave the order to the caller (aggregate order keys are computed after) */
  unordered?: boolean;
}

/** New lines of a metric since the last poll, for `plot --follow` and live views. */
export interface MetricTail {
  /** the lines appended since the last call; `reset` when the history was rewritten (start over) */
  poll(): Promise<{ reset: boolean; lines: Metric[] }>;
}

// ------------------------------------------------------------------ reading

export interface TrackingReader {
  /** warnings collected while reading (broken entries); the CLI prints them to stderr */
  readonly problems: Problem[];
  /** entries skipped as not belonging to the store (printed under --verbose) */
  readonly strays: Problem[];

  /** Experiments in a view; tags only when asked (they cost a read per experiment on files). */
  listExperiments(view?: ViewType, withTags?: boolean): Promise<ExperimentEntry[]>;
  /** By id or name (ids win; active names win over deleted ones); NotFoundError listing what exists. */
  getExperiment(idOrName: string, withTags?: boolean): Promise<ExperimentEntry>;
  /**
   * Fill `experiment.tags` of an entry (once): sorted by key, or in the order the backend
   * keeps them ('stored': the file store's folder order, which is the order MLflow answers in).
   */
  loadExperimentTags(e: ExperimentEntry, order?: 'key' | 'stored'): Promise<ExperimentEntry>;

  /** Runs of the experiments (in that order) whose lifecycle stage is in the view; unordered. */
  listRuns(exps: readonly ExperimentEntry[], view?: ViewType): Promise<RunEntry[]>;
  /**
   * About how many runs the store holds, in every view, without reading them (a folder count,
   * a COUNT(*)): for choosing how to copy them (`mlr migrate`). Absent: unknown.
   */
  estimateRuns?(): Promise<number>;
  /**
   * MLflow's search_runs: filter, order (MLflow's rules, natural order last) and cut. Each
   * backend answers its own best way (files: read only the keys a clause needs, as it
   * needs them; SQL: in the query) and all give the same answer.
   */
  searchRuns(search: RunSearch): Promise<SearchedRun[]>;
  /**
   * A run by full id or a unique prefix (≥ 6 characters), in any experiment, active or
   * deleted. UsageError for an ambiguous or short prefix, NotFoundError when absent.
   */
  findRun(idOrPrefix: string): Promise<RunEntry>;

  /** Params of a run (all, or only the given keys). */
  readParams(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string>;
  /** Tags of a run (all, or only the given keys). */
  readTags(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string>;
  /** Latest value of each metric (all, or the given keys), by MLflow's (step, timestamp, value) rule. */
  readLatestMetrics(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, Metric>;
  listParamKeys(run: RunEntry): string[];
  /**
   * A run's metric, param or tag keys in the order the backend keeps them — for the file
   * store, the folder's own order walked as os.walk walks it, which is the order MLflow's
   * REST API answers in (listParamKeys/listMetricKeys are sorted).
   */
  storedKeys(run: RunEntry, kind: 'metrics' | 'params' | 'tags'): string[];
  listMetricKeys(run: RunEntry): string[];
  readDatasetInputs(run: RunEntry): DatasetInput[];
  /** When a deleted run was deleted (`deleted_time`), where the backend records it; null when not. */
  deletedTime?(run: RunEntry): Int64 | null;
  readRunOutputs(run: RunEntry): RunOutput[];
  /** The whole run in MLflow's REST shape. */
  loadRun(run: RunEntry): FullRun;
  /** The run as the search evaluator sees it, loading keys of `needs` on first use. */
  loadSearchable(run: RunEntry, needs: LoadNeeds): SearchableRun;

  /**
   * Every line of one metric in logged order, streamed as one array per chunk (never the
   * whole history at once). Throws at once (not on the first read) for an invalid key or
   * a run without the metric.
   */
  metricHistory(run: RunEntry, key: string): AsyncGenerator<Metric[]>;
  /**
   * A stamp of one metric's history that changes whenever the history may have (the file
   * store: the file's size, mtime, ctime and inode), so a reader of the whole history can keep
   * what it read until then; undefined where the backend has none or the metric is absent.
   */
  metricHistoryStamp?(run: RunEntry, key: string): string | undefined;
  /** Follow one metric: every poll returns what was logged since the last. */
  tailMetric(run: RunEntry, key: string): MetricTail;
}

// ------------------------------------------------------------------ writing

export interface CreateRunOptions {
  /** experiment id or name (default '0') */
  experiment?: string;
  runName?: string;
  /** user tags and system tags (mlflow.user, mlflow.source.*, …) */
  tags?: KeyValue[];
  parentRunId?: string;
  startTime?: Int64;
  /** recorded as user_id; MLflow takes it from the mlflow.user tag, else 'unknown' */
  userId?: string;
  /** an explicit run id (sync pull, migrate); a fresh uuid4 hex when absent */
  runId?: string;
}

/** The `run_id` of a new run and where its artifacts go. */
export interface CreatedRun {
  run_id: string;
  experiment_id: string;
  run_name: string;
  artifact_uri: string;
}

export interface BatchInput {
  metrics?: MetricInput[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

/**
 * Every write command. Run and experiment references are ids (runs: or unique prefixes);
 * each returns the full id it wrote to. Writes refuse what MLflow refuses, with MLflow's
 * words, and never leave half-written data.
 */
export interface TrackingWriter {
  /** Create an experiment, or return the id of the active one of that name (`created: false`). */
  createExperiment(
    name: string,
    opts?: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string },
  ): Promise<{ experiment_id: string; created: boolean }>;
  renameExperiment(idOrName: string, newName: string): Promise<string>;
  deleteExperiment(idOrName: string): Promise<string>;
  restoreExperiment(idOrName: string): Promise<string>;
  setExperimentTag(idOrName: string, key: string, value: string): Promise<string>;
  deleteExperimentTag(idOrName: string, key: string): Promise<string>;

  createRun(opts: CreateRunOptions): Promise<CreatedRun>;
  /** Set status and end time (now when absent). */
  endRun(run: string, status?: RunStatus, endTime?: number): Promise<string>;
  /** MLflow's update_run: status, end time and name, each only when given. */
  updateRun(run: string, update: { status?: RunStatus; endTime?: number | null; runName?: string }): Promise<string>;
  deleteRun(run: string): Promise<string>;
  restoreRun(run: string): Promise<string>;
  renameRun(run: string, name: string): Promise<string>;

  logMetrics(run: string, metrics: MetricInput[]): Promise<string>;
  logParams(run: string, params: KeyValue[]): Promise<string>;
  /**
   * `durable: false` writes each tag whole (a temp file renamed) without waiting for the
   * disk (fsync), for tags that only cache what another store holds (sync's mlr.synced.<host>).
   */
  setTags(run: string, tags: KeyValue[], opts?: { durable?: boolean }): Promise<string>;
  deleteTag(run: string, key: string): Promise<string>;
  logBatch(run: string, batch: BatchInput): Promise<string>;
  logInputs(run: string, inputs: DatasetInput[]): Promise<string>;
}

// ------------------------------------------------------------------ importing

/**
 * A whole run as a migration carries it from one store to another: its ids, names and
 * times as recorded (not generated), and every metric line.
 */
export interface ImportedRun {
  info: RunInfo;
  /** when the run was deleted, where the source records it */
  deletedTime?: Int64 | null;
  params: KeyValue[];
  tags: KeyValue[];
  /** every line of every metric (any order; SQL keeps one of exact duplicates) */
  metrics: Metric[];
  inputs: DatasetInput[];
  /** MLflow 3 logged models the run produced (`outputs.model_outputs`); kept where the target holds logged models */
  outputs?: RunOutput[];
}

/**
 * A registered model with every version, as a migration carries it: versions deleted with
 * delete-version (`Deleted_Internal`, which MLflow's stores keep) included, so that the
 * target numbers the next version as the source would.
 */
export interface ImportedModel {
  model: RegisteredModel;
  versions: ModelVersion[];
}

/** An MLflow 3 logged model with its params, tags and every metric line, as a migration carries it. */
export interface ImportedLoggedModel {
  model: LoggedModel;
  params: KeyValue[];
  tags: KeyValue[];
  /** every line (file) or row (SQL), not only the latest per key */
  metrics: LoggedModelMetric[];
}

/**
 * Writing records that already exist elsewhere, keeping their ids, names, times and
 * lifecycle (`mlr migrate`; the normal writer generates ids and stamps times). Nothing is
 * validated against MLflow's limits beyond what the target's schema needs: the records
 * were valid where they come from. Each call leaves whole records or none (SQL: one
 * transaction; files: each run folder built aside and renamed into place).
 */
export interface TrackingImporter {
  /** false when the importer created the store (a new database or folder) */
  readonly existed: boolean;
  /** false when the target cannot hold MLflow 3 logged models (MLflow 2.12's schema) */
  readonly loggedModels: boolean;
  /** An experiment with its id, name, location, times, lifecycle and tags; `replace` overwrites one of that id. */
  importExperiment(e: Experiment, replace: boolean): Promise<void>;
  /**
   * Batches of runs the caller may have in flight (importRuns called, not yet settled) while
   * it reads the next; absent: none, each importRuns is awaited before the next read. Calls
   * are carried out in the order made either way.
   */
  readonly pipeline?: number;
  /**
   * Runs into their (already imported) experiments; the ids in `replace` are removed first.
   * Settles when they are written. A StateError with code `importer-stopped` means the
   * importer can write nothing more (every later call fails the same way).
   */
  importRuns(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<void>;
  /**
   * importRuns that leaves out a run it cannot write instead of failing the others (the
   * batch in one transaction; if that fails, each run in its own), settling with the error
   * message of each run left out, by id. Without it the caller does the same with importRuns.
   */
  importRunsEach?(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<Map<string, string>>;
  /** A registered model with its versions, aliases and tags; `replace` overwrites one of that name. */
  importModel(m: ImportedModel, replace: boolean): Promise<void>;
  /**
   * MLflow 3 logged models into their (already imported) experiments, with params, tags and
   * metric lines; the ids in `replace` are removed first. Only when `loggedModels` is true.
   */
  importLoggedModels(models: readonly ImportedLoggedModel[], replace: ReadonlySet<string>): Promise<void>;
  close(): Promise<void>;
}

// ------------------------------------------------------------------ registry

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: Int64 | null;
  last_updated_timestamp: Int64 | null;
  current_stage: string;
  description: string | null;
  source: string;
  run_id: string | null;
  status: string;
  status_message: string | null;
  user_id: string | null;
  run_link: string | null;
  storage_location: string | null;
  aliases: string[];
  tags: KeyValue[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: Int64 | null;
  last_updated_timestamp: Int64 | null;
  description: string | null;
  tags: KeyValue[];
  aliases: { alias: string; version: string }[];
  latest_versions: ModelVersion[];
}

/** An MLflow 3 logged model (`<exp>/models/m-*` on files, `logged_models` in SQL). */
export interface LoggedModel {
  model_id: string;
  name: string;
  experiment_id: string;
  source_run_id: string | null;
  model_type: string | null;
  status: string;
  lifecycle_stage: string;
  creation_timestamp: Int64 | null;
  last_updated_timestamp: Int64 | null;
  artifact_location: string;
  status_message: string | null;
}

/** A logged model's latest metric value for one key and (dataset name, digest) group. */
export interface LoggedModelMetric {
  key: string;
  value: number;
  timestamp: Int64;
  step: Int64;
  run_id: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface TraceInfo {
  request_id: string;
  experiment_id: string;
  timestamp_ms: Int64 | null;
  execution_time_ms: Int64 | null;
  status: string;
}

export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

export interface CreateVersionOptions {
  source: string;
  runId?: string;
  description?: string;
  tags?: KeyValue[];
  runLink?: string;
  userId?: string;
}

/** The model registry: reads and writes (MLflow's registry store). */
export interface ModelRegistry {
  readonly problems: Problem[];
  listRegisteredModels(): Promise<RegisteredModel[]>;
  /** NotFoundError naming the model when absent. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Versions ascending; `Deleted_Internal` ones only when asked. */
  listModelVersions(name: string, includeDeleted?: boolean): Promise<ModelVersion[]>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;

  createRegisteredModel(name: string, opts?: { description?: string; tags?: KeyValue[] }): Promise<void>;
  renameRegisteredModel(name: string, newName: string): Promise<void>;
  updateRegisteredModel(name: string, description: string): Promise<void>;
  deleteRegisteredModel(name: string): Promise<void>;
  /** The new version's number. */
  createModelVersion(name: string, opts: CreateVersionOptions): Promise<string>;
  updateModelVersion(name: string, version: string, description: string): Promise<void>;
  /** The versions it deleted (one, or none when it did not exist). */
  deleteModelVersion(name: string, version: string): Promise<string[]>;
  /** The canonical stage name set. */
  transitionStage(name: string, version: string, stage: string, archiveExisting?: boolean): Promise<ModelStage>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** false when the alias did not exist. */
  deleteAlias(name: string, alias: string): Promise<boolean>;
  setModelTag(name: string, key: string, value: string): Promise<void>;
  setVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  /** A model's tag (no version) or a version's; false when the tag did not exist. */
  deleteTag(name: string, version: string | undefined, key: string): Promise<boolean>;

  /** MLflow 3 logged models of an experiment. */
  listLoggedModels(exp: ExperimentEntry): Promise<LoggedModel[]>;
  /**
   * Params, tags and metrics of a logged model. Metrics: the file store gives the latest
   * value per key and dataset, or every line with `allMetrics`; SQL every row (as MLflow's
   * SQL store's LoggedModel does).
   */
  loggedModelData(model: LoggedModel, opts?: { allMetrics?: boolean }): Promise<{ metrics: LoggedModelMetric[]; params: KeyValue[]; tags: KeyValue[] }>;
  /** MLflow 3 traces of an experiment (counted by experiments describe). */
  listTraces(exp: ExperimentEntry): Promise<TraceInfo[]>;
}

// ------------------------------------------------------------------ artifacts

/** One artifact, as MLflow's FileInfo: path relative to the artifact root, size for files. */
export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  /** bytes; null for folders (and for entries that cannot be stat'ed) */
  file_size: number | null;
}

/** Where the artifacts of a run or a logged model are read from, for --verbose and JSON. */
export interface ArtifactLocation {
  /** what is recorded (`artifact_uri`) */
  recorded: string;
  /** where they are read from here: a local folder, or a URL */
  where: string;
  /** how it was found: as recorded, re-rooted into the store, through a server */
  how: 'recorded' | 'relative' | 'reroot' | 'remote';
  /** true when there is no artifact folder at all (an empty root) */
  missing: boolean;
  /** a sentence for stderr when the location is not the recorded one */
  note?: string;
}

/**
 * The target of an artifact operation: a run's artifacts, a logged model's, or a recorded
 * artifact URI (a registry version's `source` that no run of the store owns).
 */
export type ArtifactOwner = { run: RunEntry } | { loggedModel: LoggedModel } | { uri: string };

export interface ArtifactRepository {
  /** Where the owner's artifacts are; UsageError when they are on storage mlr cannot read. */
  locate(owner: ArtifactOwner): Promise<ArtifactLocation>;
  /** Direct children of `rel` ('' = root), or everything below with `recursive`; NotFoundError for a missing path. */
  list(owner: ArtifactOwner, rel: string, recursive?: boolean): Promise<ArtifactEntry[]>;
  /** A file's size, or undefined when `rel` is missing; `is_dir` for folders. */
  stat(owner: ArtifactOwner, rel: string): Promise<ArtifactEntry | undefined>;
  /** A file's bytes as a stream (NotFoundError when missing, UsageError for a folder). */
  open(owner: ArtifactOwner, rel: string): Promise<{ size: number; stream: Readable }>;
  /** Copy a file or folder to `<outDir>/<rel>` ('' copies the whole root into outDir); never overwrites. */
  download(owner: ArtifactOwner, rel: string, outDir: string): Promise<{ dest: string; files: number }>;
  /** Copy a local file or folder into a run's artifacts under `artifactPath` (the bytes: never a link). */
  upload(run: RunEntry, source: string, artifactPath: string): Promise<{ dest: string; note?: string }>;
  /** A small file's text (MLmodel, a preview), at most `maxBytes`; undefined when there is no such file. */
  readText(owner: ArtifactOwner, rel: string, maxBytes?: number): Promise<string | undefined>;
  /** The local path of an artifact when the artifacts are on this machine; undefined otherwise. */
  localPath(owner: ArtifactOwner, rel: string): Promise<string | undefined>;
}

// ------------------------------------------------------------------ the backend

/**
 * One opened backend. Its parts load on first use (a `log-metric` never loads the
 * registry or the search grammar). `file` is the file store's own layout, for the
 * commands that work on folders (doctor, gc, runs mv, trash); absent on other backends.
 */
export interface Backend {
  readonly kind: BackendKind;
  /** for messages: the folder, database or URL */
  readonly description: string;
  /** the tracking URI a child process (`mlr run`) should log to */
  readonly trackingUri: string;
  reader(): Promise<TrackingReader>;
  /**
   * A reader that sees every change made since the last call, by this process or any other
   * (`reader()` may keep what it read for the whole invocation). A long-running front end
   * (`mlr server`) takes one per request; a backend may answer it from a validated cache.
   */
  freshReader(): Promise<TrackingReader>;
  /**
   * `compute()`'s earlier answer for `key` when the backend can prove that nothing it read
   * has changed since (the file store: every file it read is under an inotify watch that has
   * had no event, and this process has not written); otherwise `compute()`. `compute` must
   * read only through freshReader() readers' experiment and run-search methods. `settle`: a
   * request's first memo (the file store makes the watches earlier requests asked for). Absent:
   * no memo (always compute).
   */
  memo?<T>(key: string, compute: () => Promise<T>, opts?: { settle?: boolean }): Promise<T>;
  writer(): Promise<TrackingWriter>;
  registry(): Promise<ModelRegistry>;
  artifacts(): Promise<ArtifactRepository>;
  /**
   * Writing records with their own ids and times (`mlr migrate`); absent on backends that
   * cannot. `runs`: about how many runs will come (TrackingReader.estimateRuns), when known.
   */
  importer?(opts?: { runs?: number }): Promise<TrackingImporter>;
  /** Whether an import would keep MLflow 3 logged models (the schema has their tables), without creating anything. */
  holdsLoggedModels?(): Promise<boolean>;
  /** Release connections and handles. */
  close(): Promise<void>;
}
