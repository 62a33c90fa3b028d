/**
 * Every write MLflow's file store does, producing the same files (spec §3–§8, §11), plus
 * the safety MLflow lacks: meta.yaml replaced atomically, metric lines appended with one
 * O_APPEND write, params created exclusively, read-modify-write of meta files and
 * create-by-name serialised by a lock file in the store root.
 *
 * The writer never prints and never reads the environment: the clock, warnings, and the
 * MLFLOW_TRUNCATE_LONG_VALUES switch come in through WriterOptions.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { withLock } from './lock.js';
import { newExperimentId, newRunId, randomRunName } from '../names.js';
import { fsMessage, RunWriter, RUN_NAME_TAG } from './run-writes.js';
import { yamlInt64, yamlString as str } from './yaml-values.js';
import { refuseMisplacedWrite } from './root-check.js';
import { FileStore, type FileExperimentEntry, type FileRunEntry } from './store.js';
import { statusFromInt, statusToInt, type DatasetInput, type KeyValue, type RunStatus } from '../types.js';
import type { BatchInput, CreatedRun, CreateRunOptions } from '../backend.js';
import { appendToUriPath, resolveUriIfLocal } from '../uri.js';
import { validateBatchLimits, validateBatchTag, validateExperimentName, validateKeyName } from '../validate.js';
import { atomicWriteFile, createExclusive, ensureDir } from './atomic.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { dumpYaml, type DumpValue } from './yaml-dump.js';

export type { BatchInput, CreatedRun, CreateRunOptions } from '../backend.js';

/** Experiment ids mlr accepts for a new folder (MLflow's own are digits; migrated ones too). */
const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\w-]{0,63}$/;
/** Run ids mlr accepts for a new folder (uuid4 hex as MLflow makes them, or other safe ids). */
const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,63}$/;

const DEFAULT_EXPERIMENT_ID = '0';

/** A run's meta.yaml as read for a rewrite. */
interface RunMeta {
  entry: FileRunEntry;
  map: YamlMap;
  file: string;
}

export class StoreWriter extends RunWriter {
  // ------------------------------------------------------------------ store

  /**
   * Open the store for writing. When the root folder does not exist and `create` is set,
   * create it with the Default experiment '0' as MLflow does (an existing folder, even an
   * empty one, gets no Default experiment). `.trash/` is created if missing.
   */
  override open(create = false): FileStore {
    if (!existsSync(this.root) && create) {
      refuseMisplacedWrite(this.root, this.cwd, false);
      mkdirSync(path.dirname(this.root), { recursive: true });
      let made = false;
      try {
        mkdirSync(this.root);
        made = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (made) this.writeNewExperiment(DEFAULT_EXPERIMENT_ID, 'Default', undefined);
    }
    return super.open();
  }

  protected lock<T>(fn: () => T): T {
    return withLock(this.root, fn);
  }

  // ------------------------------------------------------------------ experiments

  /** meta.yaml of a new experiment, exactly as MLflow writes it (no `tags` key). */
  protected writeNewExperiment(id: string, name: string, artifactLocation: string | undefined): string {
    const dir = path.join(this.root, id);
    mkdirSync(dir); // throws EEXIST when the id is taken
    const time = this.now();
    const location = artifactLocation ? resolveUriIfLocal(artifactLocation, this.cwd) : appendToUriPath(this.artifactRoot, id);
    const meta = {
      artifact_location: location,
      creation_time: time,
      experiment_id: id,
      last_update_time: time,
      lifecycle_stage: 'active',
      name,
    };
    if (!createExclusive(path.join(dir, 'meta.yaml'), dumpYaml(meta))) {
      throw new StateError(`${path.join(dir, 'meta.yaml')} already exists`, 'exists');
    }
    return dir;
  }

  protected nameConflict(store: FileStore, name: string, exceptId?: string): void {
    const same = store.allExperiments().filter((e) => e.experiment.name === name && e.experiment.experiment_id !== exceptId);
    const active = same.find((e) => e.experiment.lifecycle_stage === 'active');
    if (active) throw new StateError(`Experiment '${name}' already exists.`, 'experiment-exists');
    if (same.length > 0) {
      throw new StateError(
        `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently ` +
          "delete the experiment from the .trash folder (under tracking server's root folder) in order to use this " +
          'experiment name again.',
        'experiment-exists-deleted',
      );
    }
  }

  /**
   * Create an experiment, or return the id of the active experiment that already has this
   * name (`created: false`) — so concurrent creators of one name all get the same id.
   * A deleted experiment of that name is an error, as in MLflow.
   */
  createExperiment(
    name: string,
    opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {},
  ): { experiment_id: string; created: boolean } {
    validateExperimentName(name);
    if (opts.experimentId !== undefined && !EXPERIMENT_ID_RE.test(opts.experimentId)) {
      throw new UsageError(`invalid experiment id '${opts.experimentId}'`, 'bad-experiment-id');
    }
    for (const t of opts.tags ?? []) validateKeyName('tag', t.key);
    if (opts.artifactLocation !== undefined && opts.artifactLocation.startsWith('runs:')) {
      throw new UsageError(`Artifact location cannot be a runs:/ URI: '${opts.artifactLocation}'`, 'bad-artifact-location');
    }
    this.open(true);
    return this.lock(() => {
      const store = new FileStore(this.root);
      const existing = store.allExperiments().find((e) => e.experiment.name === name && e.experiment.lifecycle_stage === 'active');
      if (existing) return { experiment_id: existing.experiment.experiment_id, created: false };
      this.nameConflict(store, name);
      const wanted = opts.experimentId;
      if (wanted !== undefined && (existsSync(path.join(this.root, wanted)) || existsSync(path.join(this.root, '.trash', wanted)))) {
        throw new StateError(`Experiment with id '${wanted}' already exists.`, 'experiment-exists');
      }
      for (let attempt = 0; ; attempt++) {
        const id = wanted ?? newExperimentId();
        if (wanted === undefined && existsSync(path.join(this.root, '.trash', id))) continue;
        let dir: string;
        try {
          dir = this.writeNewExperiment(id, name, opts.artifactLocation);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST' && wanted === undefined && attempt < 10) continue;
          throw e;
        }
        for (const t of opts.tags ?? []) this.writeExperimentTag(dir, t.key, t.value);
        return { experiment_id: id, created: true };
      }
    });
  }

  protected writeExperimentTag(expDir: string, key: string, value: string): void {
    const file = path.join(expDir, 'tags', key);
    try {
      ensureDir(path.dirname(file));
      atomicWriteFile(file, value, { tempDir: expDir });
    } catch (e) {
      throw new StateError(`cannot set experiment tag '${key}': ${fsMessage(e)}`, 'write-failed');
    }
  }

  /** The experiment's meta.yaml as a map, refusing to rewrite a broken one. */
  protected readExperimentMeta(e: FileExperimentEntry): YamlMap {
    const file = path.join(e.dir, 'meta.yaml');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new StateError(`experiment ${e.experiment.experiment_id}: ${file} cannot be read; run 'mlr doctor'`, 'broken-experiment');
    }
    const parsed = parseYaml(text);
    if (!isYamlMap(parsed.value) || e.broken) {
      throw new StateError(
        `experiment ${e.experiment.experiment_id}: ${file} is broken (${e.problems[0]?.message ?? 'not a YAML mapping'}); run 'mlr doctor'`,
        'broken-experiment',
      );
    }
    return parsed.value;
  }

  /** Rewrite an experiment's meta.yaml the way MLflow's overwrite_yaml does: all fields plus a stale `tags` copy. */
  protected rewriteExperimentMeta(
    store: FileStore,
    e: FileExperimentEntry,
    dir: string,
    changes: { name?: string; lifecycle_stage?: string },
    time = this.now(),
  ): void {
    const map = this.readExperimentMeta(e);
    store.loadExperimentTags(e);
    const tags: Record<string, string> = {};
    for (const t of e.experiment.tags) tags[t.key] = t.value;
    const meta: Record<string, DumpValue> = {
      artifact_location: str(map['artifact_location']) ?? null,
      creation_time: yamlInt64(map['creation_time']) ?? null,
      experiment_id: e.experiment.experiment_id,
      last_update_time: time,
      lifecycle_stage: changes.lifecycle_stage ?? e.experiment.lifecycle_stage,
      name: changes.name ?? e.experiment.name,
      tags,
    };
    atomicWriteFile(path.join(dir, 'meta.yaml'), dumpYaml(meta));
  }

  /** An experiment by id or name from a fresh read of the store. */
  protected experiment(store: FileStore, idOrName: string): FileExperimentEntry {
    return store.getExperiment(idOrName);
  }

  renameExperiment(idOrName: string, newName: string): string {
    validateExperimentName(newName);
    const store0 = this.open();
    const id = this.experiment(store0, idOrName).experiment.experiment_id;
    return this.lock(() => {
      const store = new FileStore(this.root);
      const e = this.experiment(store, id);
      this.nameConflict(store, newName);
      if (e.experiment.lifecycle_stage !== 'active') {
        throw new StateError(`Cannot rename experiment in non-active lifecycle stage. Current stage: ${e.experiment.lifecycle_stage}`, 'experiment-deleted');
      }
      this.rewriteExperimentMeta(store, e, e.dir, { name: newName });
      return e.experiment.experiment_id;
    });
  }

  /**
   * MLflow's delete: every active run marked deleted, the experiment's meta.yaml rewritten
   * (lifecycle_stage deleted), then the folder moved into .trash/. A delete or restore
   * stopped between the rewrite and the move (kill -9, power loss) leaves a deleted
   * experiment outside .trash/ that MLflow can neither delete nor restore: this finishes
   * the move (marking any run a half-done restore had reactivated).
   */
  deleteExperiment(idOrName: string): string {
    const store0 = this.open();
    const found = this.experiment(store0, idOrName);
    const id = found.experiment.experiment_id;
    if (id === DEFAULT_EXPERIMENT_ID) {
      throw new StateError(`Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally reserved experiment.`, 'default-experiment');
    }
    return this.lock(() => {
      const store = new FileStore(this.root);
      const e = store.allExperiments().find((x) => x.experiment.experiment_id === id && !x.inTrash);
      if (!e) throw new NotFoundError(`Could not find experiment with ID ${id}`, 'experiment-not-found');
      const halfDone = e.experiment.lifecycle_stage === 'deleted';
      const trashDir = path.join(this.root, '.trash', id);
      if (existsSync(trashDir)) {
        throw new StateError(`cannot delete experiment ${id}: ${trashDir} already exists (an older deleted experiment with the same id)`, 'trash-conflict');
      }
      this.readExperimentMeta(e);
      if (halfDone) this.warn(`experiment ${id} was left half-deleted (meta.yaml says deleted, the folder is not in .trash): finishing the delete`);
      // MLflow stamps the runs and the experiment with one deletion time; finishing, the
      // experiment's (the runs a stopped delete marked have it already)
      const stamped = e.experiment.last_update_time;
      const time = halfDone && typeof stamped === 'number' ? stamped : this.now();
      for (const run of store.listRuns([e], 'active')) {
        const meta = this.tryRunMeta(run);
        if (!meta) continue;
        this.writeRunMeta(meta, { lifecycle_stage: 'deleted', deleted_time: time });
      }
      if (!halfDone) this.rewriteExperimentMeta(store, e, e.dir, { lifecycle_stage: 'deleted' }, time);
      renameSync(e.dir, trashDir);
      return id;
    });
  }

  /**
   * MLflow's restore: the folder moved out of .trash/, its deleted runs marked active, the
   * meta.yaml rewritten (lifecycle_stage active). A deleted experiment found outside .trash/
   * (a delete stopped before its move, or a restore stopped after it) is restored where it
   * is: the same steps less the move.
   */
  restoreExperiment(idOrName: string): string {
    const store0 = this.open();
    const found = this.experiment(store0, idOrName);
    const id = found.experiment.experiment_id;
    return this.lock(() => {
      const store = new FileStore(this.root);
      const activeDir = path.join(this.root, id);
      const all = store.allExperiments();
      const halfDone = all.find((x) => x.experiment.experiment_id === id && !x.inTrash && x.experiment.lifecycle_stage === 'deleted');
      const e = all.find((x) => x.experiment.experiment_id === id && x.inTrash) ?? halfDone;
      if (!e) throw new NotFoundError(`Could not find deleted experiment with ID ${id}`, 'experiment-not-found');
      if (e.inTrash && existsSync(activeDir)) {
        throw new StateError(`Cannot restore experiment with ID ${id}. An experiment with same ID already exists.`, 'experiment-exists');
      }
      const clash = all.find((x) => x !== e && x.experiment.name === e.experiment.name && x.experiment.lifecycle_stage === 'active');
      if (clash) {
        throw new StateError(
          `Cannot restore experiment ${id}: the active experiment ${clash.experiment.experiment_id} is also named '${e.experiment.name}'; rename one of them first`,
          'experiment-exists',
        );
      }
      this.readExperimentMeta(e);
      if (e.inTrash) renameSync(e.dir, activeDir);
      else this.warn(`experiment ${id} was left half-deleted (meta.yaml says deleted, the folder is not in .trash): restoring it where it is`);
      const restored = new FileStore(this.root);
      const re = restored.allExperiments().find((x) => x.experiment.experiment_id === id && !x.inTrash)!;
      for (const run of restored.listRuns([re], 'deleted')) {
        const meta = this.tryRunMeta(run);
        if (!meta) continue;
        this.writeRunMeta(meta, { lifecycle_stage: 'active', deleted_time: undefined });
      }
      this.rewriteExperimentMeta(restored, re, activeDir, { lifecycle_stage: 'active' });
      return id;
    });
  }

  setExperimentTag(idOrName: string, key: string, value: string): string {
    validateKeyName('tag', key);
    const store = this.open();
    const e = this.experiment(store, idOrName);
    if (e.experiment.lifecycle_stage !== 'active') {
      throw new StateError(`The experiment ${e.experiment.experiment_id} must be in the 'active' lifecycle_stage to set tags`, 'experiment-deleted');
    }
    this.writeExperimentTag(e.dir, key, value);
    return e.experiment.experiment_id;
  }

  // ------------------------------------------------------------------ runs

  /**
   * Create a run: meta.yaml (status RUNNING), metrics/, params/, artifacts/, and the tags
   * (mlflow.runName always, mlflow.parentRunId for a child run, plus the given ones).
   */
  createRun(opts: CreateRunOptions): CreatedRun {
    const tags = [...(opts.tags ?? [])];
    for (const t of tags) validateKeyName('tag', t.key);
    const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (opts.runName && tagName && opts.runName !== tagName) {
      throw new UsageError(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
          `(run_name='${opts.runName}', mlflow.runName='${tagName}').`,
        'run-name-conflict',
      );
    }
    if (opts.startTime !== undefined && (!Number.isSafeInteger(opts.startTime) || (opts.startTime as number) < 0)) {
      throw new UsageError(`invalid start time ${opts.startTime}: expected milliseconds since the epoch`, 'bad-time');
    }
    const store = this.open(true);
    const e = this.experiment(store, opts.experiment ?? DEFAULT_EXPERIMENT_ID);
    const expId = e.experiment.experiment_id;
    if (e.experiment.lifecycle_stage !== 'active') {
      throw new StateError(`Could not create run under non-active experiment with ID ${expId}.`, 'experiment-deleted');
    }
    if (e.broken) {
      throw new StateError(`experiment ${expId} is broken (${e.problems[0]?.message}); run 'mlr doctor'`, 'broken-experiment');
    }
    if (opts.parentRunId !== undefined) {
      const parent = store.findRun(opts.parentRunId);
      if (tags.some((t) => t.key === 'mlflow.parentRunId')) {
        throw new UsageError('give the parent run either with --parent or as the mlflow.parentRunId tag, not both', 'parent-conflict');
      }
      tags.push({ key: 'mlflow.parentRunId', value: parent.info.run_id });
    }
    const runName = opts.runName || tagName || randomRunName();
    if (!tagName) tags.push({ key: RUN_NAME_TAG, value: runName });
    const location = str(this.readExperimentMeta(e)['artifact_location']) ?? appendToUriPath(this.artifactRoot, expId);
    if (opts.runId !== undefined) {
      if (!RUN_ID_RE.test(opts.runId)) throw new UsageError(`invalid run id '${opts.runId}'`, 'bad-run-id');
      if (store.findRunOrUndefined(opts.runId)) throw new StateError(`a run with id ${opts.runId} already exists`, 'run-exists');
    }
    for (let attempt = 0; ; attempt++) {
      const runId = opts.runId ?? newRunId();
      const dir = path.join(e.dir, runId);
      try {
        mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && opts.runId === undefined && attempt < 5) continue;
        throw err;
      }
      const artifactUri = appendToUriPath(location, runId, 'artifacts');
      const meta = persistedRunInfo({
        artifact_uri: artifactUri,
        end_time: null,
        experiment_id: expId,
        lifecycle_stage: 'active',
        run_id: runId,
        run_name: runName,
        start_time: opts.startTime ?? this.now(),
        status: statusToInt('RUNNING'),
        user_id: opts.userId ?? 'unknown',
      });
      // meta.yaml first: from here on the run is valid at every step, like MLflow's own order
      createExclusive(path.join(dir, 'meta.yaml'), dumpYaml(meta));
      for (const sub of ['metrics', 'params', 'artifacts']) ensureDir(path.join(dir, sub));
      for (const t of tags) this.writeRunTag(dir, t.key, t.value);
      return { run_id: runId, experiment_id: expId, run_name: runName, artifact_uri: artifactUri };
    }
  }

  /** Read a run's meta.yaml for rewriting; refuses a broken one. */
  protected runMeta(run: FileRunEntry): RunMeta {
    const file = path.join(run.dir, 'meta.yaml');
    const fail = (why: string): never => {
      throw new StateError(`run ${run.info.run_id}: ${file} ${why}; run 'mlr doctor'`, 'broken-run');
    };
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      fail('cannot be read');
    }
    const parsed = parseYaml(text);
    if (!isYamlMap(parsed.value)) return fail('is not valid YAML');
    const map = parsed.value;
    const status = map['status'];
    if (status !== undefined && status !== null && (typeof status !== 'number' || !statusFromInt(status))) fail(`has an invalid status '${String(status)}'`);
    const stage = map['lifecycle_stage'];
    if (stage !== undefined && stage !== 'active' && stage !== 'deleted') fail(`has an invalid lifecycle_stage '${String(stage)}'`);
    const exp = str(map['experiment_id']);
    if (exp !== run.exp.experiment.experiment_id) fail(`records experiment_id '${exp}' but is in experiment ${run.exp.experiment.experiment_id}`);
    for (const k of ['start_time', 'end_time', 'user_id'] as const) if (!(k in map)) fail(`has no '${k}'`);
    return { entry: run, map, file };
  }

  /** runMeta for bulk operations: a broken run is skipped with a warning instead. */
  protected tryRunMeta(run: FileRunEntry): RunMeta | undefined {
    try {
      return this.runMeta(run);
    } catch (e) {
      this.warn(`${(e as Error).message} (left unchanged)`);
      return undefined;
    }
  }

  /** Rewrite a run's meta.yaml with changes, as MLflow's _overwrite_run_info writes it. */
  protected writeRunMeta(
    meta: RunMeta,
    changes: { status?: number; end_time?: number | null; run_name?: string; lifecycle_stage?: string; deleted_time?: number | undefined },
    /** no folder above the run's is moved in this scope: the old meta.yaml may be freed later (AtomicWriteOptions.freeLater) */
    freeLater = false,
  ): void {
    const m = meta.map;
    const runId = meta.entry.info.run_id;
    const dict = persistedRunInfo({
      artifact_uri: str(m['artifact_uri']) ?? null,
      end_time: 'end_time' in changes ? changes.end_time! : (yamlInt64(m['end_time']) ?? null),
      experiment_id: meta.entry.exp.experiment.experiment_id,
      lifecycle_stage: changes.lifecycle_stage ?? (str(m['lifecycle_stage']) === 'deleted' ? 'deleted' : 'active'),
      run_id: runId,
      run_name: changes.run_name ?? str(m['run_name']) ?? null,
      start_time: yamlInt64(m['start_time']) ?? null,
      status: changes.status ?? (typeof m['status'] === 'number' ? m['status'] : statusToInt('RUNNING')),
      user_id: str(m['user_id']) ?? null,
    });
    if ('deleted_time' in changes) {
      if (changes.deleted_time !== undefined) dict['deleted_time'] = changes.deleted_time;
    } else if (m['deleted_time'] !== undefined && m['deleted_time'] !== null && dict['lifecycle_stage'] === 'deleted') {
      dict['deleted_time'] = yamlInt64(m['deleted_time']) ?? null;
    }
    atomicWriteFile(meta.file, dumpYaml(dict), { freeLater });
  }

  /** Set a run's status and end time (MLflow's set_terminated / update_run_info). */
  endRun(idOrPrefix: string, status: RunStatus = 'FINISHED', endTime?: number): string {
    if (endTime !== undefined && (!Number.isSafeInteger(endTime) || endTime < 0)) {
      throw new UsageError(`invalid end time ${endTime}: expected milliseconds since the epoch`, 'bad-time');
    }
    const run = this.activeRun(idOrPrefix);
    this.lock(() => this.writeRunMeta(this.runMeta(run), { status: statusToInt(status), end_time: endTime ?? this.now() }, true));
    return run.info.run_id;
  }

  /** Soft-delete a run: lifecycle_stage deleted and deleted_time (the folder stays). */
  deleteRun(idOrPrefix: string): string {
    const run = this.open().findRun(idOrPrefix);
    this.lock(() => this.writeRunMeta(this.runMeta(run), { lifecycle_stage: 'deleted', deleted_time: this.now() }, true));
    return run.info.run_id;
  }

  restoreRun(idOrPrefix: string): string {
    const run = this.open().findRun(idOrPrefix);
    if (run.exp.inTrash || run.exp.experiment.lifecycle_stage !== 'active') {
      throw new StateError(
        `run ${run.info.run_id} is in the deleted experiment ${run.exp.experiment.experiment_id}; restore the experiment instead`,
        'experiment-deleted',
      );
    }
    this.lock(() => this.writeRunMeta(this.runMeta(run), { lifecycle_stage: 'active', deleted_time: undefined }, true));
    return run.info.run_id;
  }

  /** Rename a run: the mlflow.runName tag and run_name in meta.yaml. */
  renameRun(idOrPrefix: string, name: string): string {
    if (name === '') throw new UsageError('a run name cannot be empty', 'bad-name');
    const run = this.activeRun(idOrPrefix);
    this.setRunName(run, name);
    return run.info.run_id;
  }

  protected override setRunName(run: FileRunEntry, name: string): void {
    this.lock(() => {
      const meta = this.runMeta(run);
      this.writeRunTag(run.dir, RUN_NAME_TAG, name);
      this.writeRunMeta(meta, { run_name: name }, true);
    });
  }

  // ------------------------------------------------------------------ run data

  /**
   * log_batch: validated as a whole (limits, keys, values, duplicate params, param
   * conflicts) before anything is written; then params, metrics, tags — MLflow's order.
   */
  logBatch(idOrPrefix: string, batch: BatchInput): string {
    const metricsIn = batch.metrics ?? [];
    const paramsIn = batch.params ?? [];
    const tagsIn = batch.tags ?? [];
    const metrics = this.validMetrics(metricsIn);
    const params = this.validParams(paramsIn);
    const tags = tagsIn.map((t) => ({ key: t.key, value: validateBatchTag(t.key, t.value, { truncate: this.truncate, warn: this.warn }) }));
    validateBatchLimits(
      metrics.length,
      params.map((p) => p.key),
      tags.length,
    );
    const run = this.activeRun(idOrPrefix);
    const newParams = this.checkParams(run, params);
    this.writeParams(run, newParams);
    this.appendMetrics(run, metrics);
    this.applyTags(run, tags);
    return run.info.run_id;
  }

  /** Remove an experiment tag (`<exp>/tags/<key>`); NotFoundError when it is not set. */
  deleteExperimentTag(idOrName: string, key: string): string {
    validateKeyName('tag', key);
    const e = this.experiment(this.open(), idOrName);
    if (e.experiment.lifecycle_stage !== 'active') {
      throw new StateError(`The experiment ${e.experiment.experiment_id} must be in the 'active' lifecycle_stage to delete tags`, 'experiment-deleted');
    }
    const file = path.join(e.dir, 'tags', key);
    if (!existsSync(file)) throw new NotFoundError(`No tag with name: ${key} in experiment with id ${e.experiment.experiment_id}`, 'tag-not-found');
    unlinkSync(file);
    return e.experiment.experiment_id;
  }

  /** MLflow's update_run: status, end time and name, each only when given, in one rewrite. */
  updateRun(idOrPrefix: string, update: { status?: RunStatus; endTime?: number | null; runName?: string }): string {
    if (update.endTime !== undefined && update.endTime !== null && (!Number.isSafeInteger(update.endTime) || update.endTime < 0)) {
      throw new UsageError(`invalid end time ${update.endTime}: expected milliseconds since the epoch`, 'bad-time');
    }
    const run = this.activeRun(idOrPrefix);
    this.lock(() => {
      const meta = this.runMeta(run);
      if (update.runName !== undefined && update.runName !== '') this.writeRunTag(run.dir, RUN_NAME_TAG, update.runName);
      this.writeRunMeta(
        meta,
        {
          ...(update.status !== undefined ? { status: statusToInt(update.status) } : {}),
          ...(update.endTime !== undefined ? { end_time: update.endTime } : {}),
          ...(update.runName !== undefined && update.runName !== '' ? { run_name: update.runName } : {}),
        },
        true,
      );
    });
    return run.info.run_id;
  }

  /**
   * log_inputs as MLflow 2.12's file store writes it (spec §7.3): `<exp>/datasets/<md5(name+digest)>/meta.yaml`
   * once per dataset, and `<run>/inputs/<md5(dataset_id+run_id)>/meta.yaml` per input —
   * `destination_id` a copy of the dataset id, as MLflow writes it.
   */
  logInputs(idOrPrefix: string, inputs: DatasetInput[]): string {
    const run = this.activeRun(idOrPrefix);
    this.lock(() => {
      for (const input of inputs) {
        const d = input.dataset;
        const datasetId = md5(d.name + d.digest);
        const dsDir = path.join(run.exp.dir, 'datasets', datasetId);
        if (!existsSync(path.join(dsDir, 'meta.yaml'))) {
          ensureDir(dsDir);
          const meta: Record<string, DumpValue> = {
            digest: d.digest,
            name: d.name,
            profile: d.profile ?? null,
            schema: d.schema ?? null,
            source: d.source,
            source_type: d.source_type,
          };
          atomicWriteFile(path.join(dsDir, 'meta.yaml'), dumpYaml(meta));
        }
        const inputDir = path.join(run.dir, 'inputs', md5(datasetId + run.info.run_id));
        ensureDir(inputDir);
        const tags: Record<string, DumpValue> = {};
        for (const t of input.tags) tags[t.key] = t.value;
        atomicWriteFile(
          path.join(inputDir, 'meta.yaml'),
          dumpYaml({ destination_id: datasetId, destination_type: 'RUN', source_id: datasetId, source_type: 'DATASET', tags }),
        );
      }
    });
    return run.info.run_id;
  }
}

/** MLflow's _make_persisted_run_info_dict: RunInfo fields plus the legacy placeholders. */
function persistedRunInfo(info: {
  artifact_uri: string | null;
  end_time: number | bigint | null;
  experiment_id: string;
  lifecycle_stage: string;
  run_id: string;
  run_name: string | null;
  start_time: number | bigint | null;
  status: number;
  user_id: string | null;
}): Record<string, DumpValue> {
  return {
    artifact_uri: info.artifact_uri,
    end_time: info.end_time,
    entry_point_name: '',
    experiment_id: info.experiment_id,
    lifecycle_stage: info.lifecycle_stage,
    run_id: info.run_id,
    run_name: info.run_name,
    run_uuid: info.run_id,
    source_name: '',
    source_type: 4,
    source_version: '',
    start_time: info.start_time,
    status: info.status,
    tags: [],
    user_id: info.user_id,
  };
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
