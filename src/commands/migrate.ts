/**
 * `mlr migrate`: copy experiments, runs, MLflow 3 logged models and the model registry from
 * one store to another through the store interface (any reader → any backend's
 * TrackingImporter), keeping ids, names, times, lifecycle and every metric line. Logged
 * models go where the target can hold them (a folder always; a database whose schema has
 * MLflow 3's tables), else they are counted as not migrated. Registry versions deleted with
 * delete-version (`Deleted_Internal`) are copied too: both MLflow stores keep them, and the
 * next version number counts them.
 *
 * Merging, not overwriting: a record whose id is already in the target with the same
 * content is skipped; with different content it is reported and left alone (`overwrite`
 * replaces it). Runs are written in batches (one transaction each on SQL), so a killed
 * migration resumes where it stopped: what was written compares equal and is skipped.
 * An importer with a pipeline (SQLite's writer thread) writes a batch while the next ones
 * are read; the target is read only once every batch sent has been written. Memory is a
 * few batches of runs, never the whole store. Artifacts are not copied: runs keep their
 * artifact URIs (re-rooted with `artifactRoot`).
 *
 * What the source cannot read (a broken meta.yaml, a torn metric line) is reported in
 * `problems` and skipped; the rest of the run is still migrated.
 */
import type {
  Backend,
  ExperimentEntry,
  ImportedLoggedModel,
  ImportedModel,
  ImportedRun,
  LoggedModel,
  ModelRegistry,
  RunEntry,
  TrackingImporter,
  TrackingReader,
} from '../store/backend.js';
import { MlrError } from '../errors.js';
import { cmpInt64, type Int64 } from '../store/int64.js';
import type { Experiment, Metric } from '../store/types.js';
import { appendToUriPath } from '../store/uri.js';

export type Outcome = 'created' | 'same' | 'differs' | 'replaced' | 'failed';
export const OUTCOMES: readonly Outcome[] = ['created', 'same', 'differs', 'replaced', 'failed'];

type Counts = Record<Outcome, number>;
const zero = (): Counts => ({ created: 0, same: 0, differs: 0, replaced: 0, failed: 0 });

interface MigrateProblem {
  /** experiment, run, model */
  kind: string;
  id: string;
  message: string;
}

export interface MigrateResult {
  dryRun: boolean;
  experiments: Counts;
  runs: Counts;
  models: Counts;
  /** MLflow 3 logged models */
  loggedModels: Counts;
  /** metric lines written (or that would be) */
  metricLines: number;
  /** records reported: unreadable in the source, conflicting in the target, failed to write */
  problems: MigrateProblem[];
  /** records in the target that differ from the source and were left alone */
  conflicts: MigrateProblem[];
  /** MLflow 3 logged models in the source that were not migrated: the target's schema has no tables for them */
  loggedModelsSkipped: number;
  /** the artifact root runs were re-rooted to, if any */
  artifactRoot?: string;
  seconds: number;
}

export interface MigrateOptions {
  overwrite?: boolean;
  dryRun?: boolean;
  /** re-root artifact locations: experiment `<root>/<id>`, runs below it */
  artifactRoot?: string;
  /** runs per transaction (default 200) */
  batchRuns?: number;
  /** called after each batch and experiment: runs handled so far, runs in all (when counted) */
  progress?: (done: number, total: number | undefined) => void;
  /** count the runs first (for a progress bar) */
  countFirst?: boolean;
  clock?: () => number;
}

// ------------------------------------------------------------------ canonical forms

const SQL_MAX = 1.7976931348623157e308;

const i64 = (v: Int64 | null | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** A metric value as both of MLflow's stores can hold it: SQL has no -0, NaN or infinities of its own. */
function metricValueKey(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v >= 1.7976931348623157e308) return 'inf';
  if (v <= -1.7976931348623157e308) return '-inf';
  return v === 0 ? '0' : String(v);
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function canonicalExperiment(e: Experiment): string {
  return JSON.stringify([
    e.experiment_id,
    e.name,
    e.artifact_location,
    e.lifecycle_stage,
    i64(e.creation_time),
    i64(e.last_update_time),
    [...e.tags].sort(byKey).map((t) => [t.key, t.value]),
  ]);
}

function canonicalRun(r: ImportedRun): string {
  const i = r.info;
  const lines = new Set(r.metrics.map((m) => `${m.key}\u0000${i64(m.step)}\u0000${i64(m.timestamp)}\u0000${metricValueKey(m.value)}`));
  return JSON.stringify([
    [i.run_id, i.run_name, i.experiment_id, i.user_id, i.status, i64(i.start_time), i64(i.end_time), i.artifact_uri, i.lifecycle_stage, i64(r.deletedTime)],
    [...r.params].sort(byKey).map((p) => [p.key, p.value]),
    [...new Map(r.tags.map((t) => [t.key, t.value]))].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    [...lines].sort(),
    r.inputs
      .map((x) =>
        JSON.stringify([
          x.dataset.name,
          x.dataset.digest,
          x.dataset.source_type,
          x.dataset.source,
          x.dataset.schema ?? null,
          x.dataset.profile ?? null,
          [...x.tags].sort(byKey),
        ]),
      )
      .sort(),
    (r.outputs ?? []).map((x) => `${x.model_id}\u0000${i64(x.step)}`).sort(),
  ]);
}

function canonicalLoggedModel(x: ImportedLoggedModel): string {
  const m = x.model;
  return JSON.stringify([
    [m.model_id, m.name, m.experiment_id, m.source_run_id, m.model_type, m.status, m.lifecycle_stage, i64(m.creation_timestamp)],
    [i64(m.last_updated_timestamp), m.artifact_location, m.status_message],
    [...x.params].sort(byKey).map((p) => [p.key, p.value]),
    [...x.tags].sort(byKey).map((t) => [t.key, t.value]),
    [
      ...new Set(
        x.metrics.map((l) => JSON.stringify([l.key, i64(l.timestamp), i64(l.step), metricValueKey(l.value), l.run_id, l.dataset_name, l.dataset_digest])),
      ),
    ].sort(),
  ]);
}

function canonicalModel(m: ImportedModel): string {
  const md = m.model;
  return JSON.stringify([
    md.name,
    i64(md.creation_timestamp),
    i64(md.last_updated_timestamp),
    md.description ?? null,
    [...md.tags].sort(byKey),
    [...md.aliases].sort((a, b) => (a.alias < b.alias ? -1 : 1)),
    [...m.versions]
      .sort((a, b) => Number(a.version) - Number(b.version))
      .map((v) => [
        v.version,
        i64(v.creation_timestamp),
        i64(v.last_updated_timestamp),
        v.current_stage,
        v.description ?? null,
        v.source,
        v.run_id,
        v.status,
        v.status_message ?? null,
        v.user_id ?? null,
        v.run_link ?? null,
        [...v.tags].sort(byKey),
      ]),
  ]);
}

// ------------------------------------------------------------------ reading a whole run

/** Everything of one run the source can read; what it cannot (torn lines) lands in reader.problems. */
async function collectRun(reader: TrackingReader, run: RunEntry): Promise<ImportedRun> {
  const params = [...reader.readParams(run, 'all')].map(([key, value]) => ({ key, value }));
  const tags = [...reader.readTags(run, 'all')].map(([key, value]) => ({ key, value }));
  const metrics: Metric[] = [];
  for (const key of reader.listMetricKeys(run)) {
    for await (const chunk of reader.metricHistory(run, key)) for (const m of chunk) metrics.push(m);
  }
  const deletedTime = reader.deletedTime?.(run) ?? null;
  const outputs = reader.readRunOutputs(run);
  return { info: { ...run.info }, deletedTime, params, tags, metrics, inputs: reader.readDatasetInputs(run), ...(outputs.length > 0 ? { outputs } : {}) };
}

function rerootExperiment(e: Experiment, root: string | undefined): Experiment {
  return root === undefined ? e : { ...e, artifact_location: appendToUriPath(root, e.experiment_id) };
}

/** A URI under the experiment's old location, moved under its new one (others as they are). */
function reroot(uri: string, oldLocation: string, newLocation: string): string {
  if (uri === oldLocation) return newLocation;
  if (!uri.startsWith(oldLocation.endsWith('/') ? oldLocation : `${oldLocation}/`)) return uri;
  return appendToUriPath(
    newLocation,
    ...uri
      .slice(oldLocation.length)
      .split('/')
      .filter((p) => p !== ''),
  );
}

function rerootRun(r: ImportedRun, oldLocation: string, newLocation: string): void {
  r.info.artifact_uri = reroot(r.info.artifact_uri, oldLocation, newLocation);
}

/** Runs by start time (none last), then id. */
function byStartTime(a: RunEntry, b: RunEntry): number {
  const x = a.info.start_time;
  const y = b.info.start_time;
  if (x !== y) {
    if (x === null) return 1;
    if (y === null) return -1;
    const c = cmpInt64(x, y);
    if (c !== 0) return c;
  }
  return a.info.run_id < b.info.run_id ? -1 : a.info.run_id > b.info.run_id ? 1 : 0;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The importer can write nothing more: the migration stops with its error instead of a failure per record. */
const stopped = (e: unknown): boolean => e instanceof MlrError && e.code === 'importer-stopped';

/**
 * Runs written with `importer.importRunsEach`, or the same with importRuns: the batch, and
 * when it fails each run alone, to name the run that fails. Settles with the message of
 * each run not written, by id; never rejects (a rejection nobody awaits yet would crash):
 * an importer that stopped comes back as `stopped`.
 */
function writeRuns(importer: TrackingImporter, runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<Written> {
  // not async: a suspended call would keep the batch's rows alive while they are in flight
  if (importer.importRunsEach)
    return importer.importRunsEach(runs, replace).then(
      (failed) => ({ failed }),
      (e: unknown) => ({ stopped: e }),
    );
  return writeRunsOneByOne(importer, runs, replace);
}

type Written = { failed: Map<string, string> } | { stopped: unknown };

async function writeRunsOneByOne(importer: TrackingImporter, runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<Written> {
  try {
    const failed = new Map<string, string>();
    try {
      await importer.importRuns(runs, replace);
    } catch (e) {
      if (stopped(e)) throw e;
      for (const r of runs) {
        try {
          await importer.importRuns([r], replace);
        } catch (e) {
          if (stopped(e)) throw e;
          failed.set(r.info.run_id, errText(e));
        }
      }
    }
    return { failed };
  } catch (e) {
    return { stopped: e };
  }
}

/** A batch of runs handed to the importer (ids and line counts: the rows are the importer's now) and each run's outcome once written. */
interface InFlight {
  runs: { id: string; lines: number }[];
  outcomes: Map<string, Outcome>;
  written: Promise<Written>;
}

// ------------------------------------------------------------------ the migration

/**
 * Migrate `from` into `to`. Never throws for a record: what fails is in `problems`. Throws
 * only when a store cannot be opened at all.
 */
export async function migrate(from: Backend, to: Backend, o: MigrateOptions = {}): Promise<MigrateResult> {
  const clock = o.clock ?? Date.now;
  const started = clock();
  const res: MigrateResult = {
    dryRun: Boolean(o.dryRun),
    experiments: zero(),
    runs: zero(),
    models: zero(),
    loggedModels: zero(),
    metricLines: 0,
    problems: [],
    conflicts: [],
    loggedModelsSkipped: 0,
    ...(o.artifactRoot !== undefined ? { artifactRoot: o.artifactRoot } : {}),
    seconds: 0,
  };
  const batchRuns = o.batchRuns ?? 200;
  const src = await from.reader();
  const problem = (kind: string, id: string, message: string): void => void res.problems.push({ kind, id, message });

  let importer: TrackingImporter | undefined;
  let target: TrackingReader | undefined;
  if (!o.dryRun) {
    if (!to.importer) throw new Error(`${to.description}: this backend cannot import records`);
    importer = await to.importer({ ...(src.estimateRuns ? { runs: await src.estimateRuns() } : {}) });
    target = await to.freshReader();
  } else {
    try {
      target = await to.freshReader();
    } catch {
      target = undefined; // a target that does not exist yet: everything would be created
    }
  }
  const fresh = importer ? !importer.existed : target === undefined;
  // MLflow 3 logged models and the runs' model outputs, where the target's schema has them
  const holdsModels = importer ? importer.loggedModels : ((await to.holdsLoggedModels?.()) ?? false);

  const srcExps = await src.listExperiments('all', true);
  const tgtExps = new Map<string, ExperimentEntry>();
  if (target) for (const e of await target.listExperiments('all', true)) tgtExps.set(e.experiment.experiment_id, e);

  // problems the source reported while listing (broken meta.yaml of experiments and runs)
  const seenProblems = new Set<string>();
  const drainSourceProblems = (kind: string, id: string): void => {
    for (const p of src.problems) {
      const k = `${p.code}\u0000${p.path}\u0000${p.message}`;
      if (seenProblems.has(k)) continue;
      seenProblems.add(k);
      problem(kind, id, p.message);
    }
  };

  let total: number | undefined;
  if (o.countFirst) {
    total = 0;
    for (const e of srcExps) if (!e.broken) total += (await src.listRuns([e], 'all')).length;
  }
  let done = 0;
  const tick = (): void => o.progress?.(done, total);

  // Default experiment first (a new database has one of its own to replace)
  // (and of two experiments with one id — a file store can hold one active, one in .trash — the active one)
  const rank = (e: ExperimentEntry): number => (e.experiment.experiment_id === '0' ? 0 : 2) + (e.experiment.lifecycle_stage === 'active' ? 0 : 1);
  srcExps.sort((a, b) => rank(a) - rank(b));
  const seenIds = new Set<string>();
  const withModels: ExperimentForModels[] = [];

  // an experiment or run skipped below is reported once, by its own line
  const markSeen = (own: readonly { path: string }[]): void => {
    for (const p of src.problems) if (own.some((q) => q.path === p.path)) seenProblems.add(`${p.code}\u0000${p.path}\u0000${p.message}`);
  };
  for (const se of srcExps) if (se.broken) markSeen(se.problems);
  drainSourceProblems('source', '');

  // batches of runs sent to the importer, oldest first, until they are written and counted
  const inFlight: InFlight[] = [];
  const settleOldest = async (): Promise<void> => {
    const b = inFlight.shift()!;
    const w = await b.written;
    if ('stopped' in w) throw w.stopped;
    for (const r of b.runs) {
      const failed = w.failed.get(r.id);
      if (failed !== undefined) {
        problem('run', r.id, `not migrated: ${failed}`);
        b.outcomes.set(r.id, 'failed');
      }
      const out = b.outcomes.get(r.id)!;
      res.runs[out]++;
      if (out !== 'failed') res.metricLines += r.lines;
    }
    done += b.runs.length;
    tick();
  };
  const drain = async (): Promise<void> => {
    while (inFlight.length > 0) await settleOldest();
  };

  for (const se of srcExps) {
    const id = se.experiment.experiment_id;
    if (seenIds.has(id)) {
      problem('experiment', `${id} (deleted)`, `not migrated: the source has another experiment ${id}, which was migrated; an id holds one experiment`);
      res.experiments.failed++;
      continue;
    }
    seenIds.add(id);
    if (se.broken) {
      problem('experiment', id, `not migrated: its meta.yaml cannot be read (${se.problems[0]?.message ?? 'broken'})`);
      res.experiments.failed++;
      continue;
    }
    const oldLocation = se.experiment.artifact_location;
    const exp = rerootExperiment(se.experiment, o.artifactRoot);
    const te = tgtExps.get(id);
    let mergeRuns = true;
    let outcome: Outcome;
    if (!te) outcome = 'created';
    else if (canonicalExperiment(te.experiment) === canonicalExperiment(exp)) outcome = 'same';
    else if (fresh && id === '0')
      outcome = 'created'; // the Default experiment a new store was created with
    else if (o.overwrite) outcome = 'replaced';
    else {
      outcome = 'differs';
      res.conflicts.push({ kind: 'experiment', id, message: describeExperimentDiff(te.experiment, exp) });
      if (te.experiment.name !== exp.name) mergeRuns = false;
    }
    if (importer && (outcome === 'created' || outcome === 'replaced')) {
      await drain();
      try {
        await importer.importExperiment(exp, te !== undefined);
      } catch (e) {
        if (stopped(e)) throw e;
        problem('experiment', id, `not migrated: ${errText(e)}`);
        res.experiments.failed++;
        continue;
      }
    }
    res.experiments[outcome]++;

    // oldest first: a batch's metric rows then land in one stretch of the metrics primary key
    // (key, timestamp, …) instead of all over it — in folder order every batch rewrote most of
    // the index's pages, and a 10,000-run migration grew with the square of its size
    const runs = [...(await src.listRuns([se], 'all'))].sort(byStartTime);
    for (const r of runs) if (r.metaUnreadable) markSeen(r.problems);
    drainSourceProblems('source', '');
    // logged models after every experiment's runs: their metric rows name runs (SQL: a foreign key)
    withModels.push({ source: se, target: te, oldLocation, newLocation: exp.artifact_location, merge: mergeRuns });
    if (!mergeRuns) {
      for (const r of runs)
        res.conflicts.push({ kind: 'run', id: r.info.run_id, message: `not merged: experiment ${id} is '${te!.experiment.name}' in the target` });
      res.runs.differs += runs.length;
      done += runs.length;
      tick();
      continue;
    }
    const existing = new Map<string, RunEntry>();
    if (te && target) {
      await drain(); // the target as every batch sent so far left it
      for (const r of await target.listRuns([te], 'all')) existing.set(r.info.run_id, r);
    }

    let batch: ImportedRun[] = [];
    let batchLines = 0;
    let replace = new Set<string>();
    let outcomes = new Map<string, Outcome>();
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const b: InFlight = {
        runs: batch.map((r) => ({ id: r.info.run_id, lines: r.metrics.length })),
        outcomes,
        written: importer ? writeRuns(importer, batch, replace) : Promise.resolve({ failed: new Map() }),
      };
      batch = [];
      batchLines = 0;
      replace = new Set();
      outcomes = new Map();
      inFlight.push(b);
      // the importer writes this batch while the next is read, up to its pipeline's depth
      while (inFlight.length > (importer?.pipeline ?? 0)) await settleOldest();
    };
    for (const run of runs) {
      const runId = run.info.run_id;
      if (run.metaUnreadable) {
        problem('run', runId, `not migrated: ${run.problems[0]?.message ?? 'its meta.yaml cannot be read'}`);
        res.runs.failed++;
        done++;
        continue;
      }
      let r: ImportedRun;
      try {
        r = await collectRun(src, run);
      } catch (e) {
        problem('run', runId, `not migrated: ${errText(e)}`);
        res.runs.failed++;
        done++;
        continue;
      }
      drainSourceProblems('run', runId);
      if (!holdsModels) delete r.outputs;
      // MLflow's SQL store holds ±inf as ±1.7976931348623157e308: files get inf back
      if (from.kind === 'sqlite' && to.kind !== 'sqlite')
        for (const m of r.metrics) if (Math.abs(m.value) === SQL_MAX) m.value = m.value > 0 ? Infinity : -Infinity;
      if (o.artifactRoot !== undefined) rerootRun(r, oldLocation, exp.artifact_location);
      const have = existing.get(runId);
      if (have && target) {
        let same = false;
        await drain();
        try {
          same = canonicalRun(await collectRun(target, have)) === canonicalRun(r);
        } catch (e) {
          problem('run', runId, `cannot compare with the target's copy: ${errText(e)}`);
        }
        if (same) {
          res.runs.same++;
          done++;
          continue;
        }
        if (!o.overwrite) {
          res.conflicts.push({ kind: 'run', id: runId, message: "differs from the target's run of that id (left as it is; --overwrite replaces it)" });
          res.runs.differs++;
          done++;
          continue;
        }
        replace.add(runId);
        outcomes.set(runId, 'replaced');
      } else {
        outcomes.set(runId, 'created');
      }
      batch.push(r);
      batchLines += r.metrics.length;
      if (batch.length >= batchRuns || batchLines >= 200_000) await flush();
    }
    await flush();
  }
  await drain();

  await migrateLoggedModels(from, to, importer, target !== undefined, holdsModels, withModels, o, res);
  drainSourceProblems('source', '');
  await migrateRegistry(from, to, importer, target !== undefined, o, res);
  drainSourceProblems('source', '');
  res.seconds = (clock() - started) / 1000;
  await importer?.close();
  return res;
}

/** A migrated experiment whose logged models follow its runs. */
interface ExperimentForModels {
  source: ExperimentEntry;
  /** the target's experiment of that id before the migration, if any */
  target: ExperimentEntry | undefined;
  oldLocation: string;
  newLocation: string;
  /** false when the target's experiment of that id is another one (its models are not merged) */
  merge: boolean;
}

async function loggedModelOf(reg: ModelRegistry, m: LoggedModel): Promise<ImportedLoggedModel> {
  const data = await reg.loggedModelData(m, { allMetrics: true });
  return { model: { ...m }, params: data.params, tags: data.tags, metrics: data.metrics };
}

/**
 * MLflow 3 logged models of the migrated experiments, with the same rules as runs (same:
 * skipped; different: reported, `overwrite` replaces), one import call per experiment. A
 * target that cannot hold them (MLflow 2.12's schema) gets none: they are counted.
 */
async function migrateLoggedModels(
  from: Backend,
  to: Backend,
  importer: TrackingImporter | undefined,
  targetExists: boolean,
  holds: boolean,
  exps: readonly ExperimentForModels[],
  o: MigrateOptions,
  res: MigrateResult,
): Promise<void> {
  let srcReg: ModelRegistry;
  try {
    srcReg = await from.registry();
  } catch {
    return; // a store without a registry has no logged models
  }
  const tgtReg = targetExists && holds ? await to.registry() : undefined;
  const problem = (id: string, message: string): void => void res.problems.push({ kind: 'logged model', id, message });
  for (const x of exps) {
    let models: LoggedModel[];
    try {
      models = await srcReg.listLoggedModels(x.source);
    } catch (e) {
      problem('', `the logged models of experiment ${x.source.experiment.experiment_id} cannot be read: ${errText(e)}`);
      continue;
    }
    if (models.length === 0) continue;
    if (!holds) {
      res.loggedModelsSkipped += models.length;
      continue;
    }
    if (!x.merge) {
      for (const m of models) res.conflicts.push({ kind: 'logged model', id: m.model_id, message: `not merged: its experiment is another one in the target` });
      res.loggedModels.differs += models.length;
      continue;
    }
    const have = new Map<string, LoggedModel>();
    if (x.target && tgtReg) for (const m of await tgtReg.listLoggedModels(x.target)) have.set(m.model_id, m);
    const batch: ImportedLoggedModel[] = [];
    const replace = new Set<string>();
    const outcomes = new Map<string, Outcome>();
    for (const m of models) {
      let lm: ImportedLoggedModel;
      try {
        lm = await loggedModelOf(srcReg, m);
      } catch (e) {
        problem(m.model_id, `not migrated: ${errText(e)}`);
        res.loggedModels.failed++;
        continue;
      }
      if (o.artifactRoot !== undefined) lm.model.artifact_location = reroot(lm.model.artifact_location, x.oldLocation, x.newLocation);
      const cur = have.get(m.model_id);
      if (cur && tgtReg) {
        let same = false;
        try {
          same = canonicalLoggedModel(await loggedModelOf(tgtReg, cur)) === canonicalLoggedModel(lm);
        } catch (e) {
          problem(m.model_id, `cannot compare with the target's copy: ${errText(e)}`);
        }
        if (same) {
          res.loggedModels.same++;
          continue;
        }
        if (!o.overwrite) {
          res.conflicts.push({
            kind: 'logged model',
            id: m.model_id,
            message: "differs from the target's logged model of that id (left as it is; --overwrite replaces it)",
          });
          res.loggedModels.differs++;
          continue;
        }
        replace.add(m.model_id);
        outcomes.set(m.model_id, 'replaced');
      } else outcomes.set(m.model_id, 'created');
      batch.push(lm);
    }
    if (importer && batch.length > 0) {
      try {
        await importer.importLoggedModels(batch, replace);
      } catch (e) {
        if (stopped(e)) throw e;
        // one by one, to name the model that fails
        for (const lm of batch) {
          try {
            // itself included: a folder the failed batch wrote before it stopped is rewritten whole
            await importer.importLoggedModels([lm], new Set([...replace, lm.model.model_id]));
          } catch (e) {
            if (stopped(e)) throw e;
            problem(lm.model.model_id, `not migrated: ${errText(e)}`);
            outcomes.set(lm.model.model_id, 'failed');
          }
        }
      }
    }
    for (const lm of batch) res.loggedModels[outcomes.get(lm.model.model_id)!]++;
  }
}

async function migrateRegistry(
  from: Backend,
  to: Backend,
  importer: TrackingImporter | undefined,
  targetExists: boolean,
  o: MigrateOptions,
  res: MigrateResult,
): Promise<void> {
  let models;
  const srcReg = await from.registry();
  try {
    models = await srcReg.listRegisteredModels();
  } catch (e) {
    res.problems.push({ kind: 'registry', id: '', message: `the model registry cannot be read: ${errText(e)}` });
    return;
  }
  const tgtReg = targetExists ? await to.registry() : undefined;
  const have = new Set<string>();
  if (tgtReg && models.length > 0) {
    try {
      for (const m of await tgtReg.listRegisteredModels()) have.add(m.name);
    } catch {
      // a target without registry tables: every model is new (and fails to import, reported)
    }
  }
  for (const m of models) {
    let imported: ImportedModel;
    try {
      imported = { model: m, versions: await srcReg.listModelVersions(m.name, true) };
    } catch (e) {
      res.problems.push({ kind: 'model', id: m.name, message: `not migrated: ${errText(e)}` });
      res.models.failed++;
      continue;
    }
    let outcome: Outcome = 'created';
    if (have.has(m.name) && tgtReg) {
      const cur: ImportedModel = { model: await tgtReg.getRegisteredModel(m.name), versions: await tgtReg.listModelVersions(m.name, true) };
      if (canonicalModel(cur) === canonicalModel(imported)) outcome = 'same';
      else if (o.overwrite) outcome = 'replaced';
      else {
        outcome = 'differs';
        res.conflicts.push({ kind: 'model', id: m.name, message: "differs from the target's model of that name (left as it is; --overwrite replaces it)" });
      }
    }
    if (importer && (outcome === 'created' || outcome === 'replaced')) {
      try {
        await importer.importModel(imported, outcome === 'replaced');
      } catch (e) {
        if (stopped(e)) throw e;
        res.problems.push({ kind: 'model', id: m.name, message: `not migrated: ${errText(e)}` });
        res.models.failed++;
        continue;
      }
    }
    res.models[outcome]++;
  }
}

function describeExperimentDiff(t: Experiment, s: Experiment): string {
  const fields: string[] = [];
  if (t.name !== s.name) fields.push(`name '${t.name}' ≠ '${s.name}'`);
  if (t.artifact_location !== s.artifact_location) fields.push('artifact_location');
  if (t.lifecycle_stage !== s.lifecycle_stage) fields.push(`lifecycle_stage ${t.lifecycle_stage} ≠ ${s.lifecycle_stage}`);
  if (i64(t.creation_time) !== i64(s.creation_time)) fields.push('creation_time');
  if (i64(t.last_update_time) !== i64(s.last_update_time)) fields.push('last_update_time');
  if (fields.length === 0) fields.push('tags');
  return `differs from the target's experiment of that id (${fields.join(', ')}); left as it is (--overwrite replaces it)`;
}
