/**
 * The part of the writer a one-shot logging call needs (log-metric, log-param, set-tag,
 * delete-tag): find an active run, append metric lines with one O_APPEND write, create
 * params exclusively, replace tags atomically. Kept apart from StoreWriter so that these
 * commands load as few modules as possible (each costs start-up time).
 *
 * Never prints and never reads the environment: the clock, warnings and the
 * MLFLOW_TRUNCATE_LONG_VALUES switch come in through WriterOptions.
 */
import { fsReason } from '../fs-errors.js';
import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { formatPyFloat } from '../pyfloat.js';
import { FileStore, type FileRunEntry } from './store.js';
import type { KeyValue } from '../types.js';
import { validateKeyName, validateMetric, validateParam, type MetricInput, type ValidMetric } from '../validate.js';
import { appendLine, atomicWriteFile, createExclusive, ensureDir, ensureDirBelow } from './atomic.js';
import type { ParseCache } from './cache.js';
import { refuseMisplacedWrite } from './root-check.js';

/** How long a writer whose run folder vanished waits for a `runs mv` to finish rewriting it (ms). */
const RELOCATE_WAIT_MS = 5000;
const RELOCATE_WAIT_SERVER_MS = 100;

export interface WriterOptions {
  /** absolute store root */
  root: string;
  /** artifact root for new experiments (the tracking URI made absolute, see root.ts) */
  artifactRoot: string;
  /** working directory, for relative --artifact-location values */
  cwd: string;
  /** clock in ms (default Date.now) */
  now?: () => number;
  /** warnings (truncated values, skipped broken runs) */
  warn?: (message: string) => void;
  /** MLFLOW_TRUNCATE_LONG_VALUES: cut over-long param/tag values (default true) */
  truncate?: boolean;
  /** parsed files kept by a long-running process (`mlr server`): finding a run costs stats, not parses */
  cache?: ParseCache;
  /** a long-running process (`mlr server`): take the store lock without blocking the event loop (lock.ts withLockAsync) */
  asyncLock?: boolean;
}

export const RUN_NAME_TAG = 'mlflow.runName';

/** A write's filesystem error about a key's file, in words (see fs-errors.ts). */
export function fsMessage(e: unknown): string {
  return fsReason(e, 'key');
}

/** A write's StateError that keeps the fs error as its cause (atRun looks for ENOENT). */
function writeFailed(message: string, cause: unknown): StateError {
  return Object.assign(new StateError(message, 'write-failed'), { cause });
}

export class RunWriter {
  readonly root: string;
  readonly artifactRoot: string;
  protected readonly cwd: string;
  protected readonly now: () => number;
  protected readonly warn: (m: string) => void;
  protected readonly truncate: boolean;
  protected readonly cache: ParseCache | undefined;
  /** how long relocate() waits for a move to finish (ms) */
  private readonly relocateWait: number;

  constructor(opts: WriterOptions) {
    this.cache = opts.cache;
    this.relocateWait = opts.asyncLock ? RELOCATE_WAIT_SERVER_MS : RELOCATE_WAIT_MS;
    this.root = opts.root;
    this.artifactRoot = opts.artifactRoot;
    this.cwd = opts.cwd;
    this.now = opts.now ?? Date.now;
    this.warn = opts.warn ?? (() => {});
    this.truncate = opts.truncate ?? true;
  }

  /** Open the existing store for writing (NotFoundError when missing); `.trash/` is created if missing. */
  open(): FileStore {
    // a long-running process checks again only when the root folder has changed
    if (this.cache) this.cache.checkedDir('write', this.root, () => this.checkRoot());
    else this.checkRoot();
    return new FileStore(this.root, this.cache);
  }

  private checkRoot(): void {
    refuseMisplacedWrite(this.root, this.cwd, existsSync(this.root) && FileStore.looksLikeStore(this.root));
    if (!existsSync(this.root)) throw new NotFoundError(`no MLflow store at ${this.root}: the folder does not exist`, 'store-not-found');
    if (!statSync(this.root).isDirectory()) throw new UsageError(`${this.root} is not a folder`, 'store-not-a-folder');
    // refuse to scatter folders into something that is not a store (`--store ~/project`
    // instead of `~/project/mlruns`); an empty folder is fine
    FileStore.open(this.root);
    ensureDir(path.join(this.root, '.trash'));
  }

  /** A run by id (or unique prefix) whose run and experiment are both active; MLflow's check_run_is_active. */
  activeRun(idOrPrefix: string): FileRunEntry {
    const store = this.open();
    const run = store.findRun(idOrPrefix);
    this.checkActive(run);
    return run;
  }

  protected checkActive(run: FileRunEntry): void {
    const metaProblem = run.problems.find((p) => /meta-(missing|empty|unparsable|unreadable)$/.test(p.code) || p.code === 'run-experiment-mismatch');
    if (metaProblem) {
      throw new StateError(`run ${run.info.run_id} is broken: ${metaProblem.message}; run 'mlr doctor'`, 'broken-run');
    }
    if (run.info.lifecycle_stage !== 'active') {
      throw new StateError(`The run ${run.info.run_id} must be in 'active' lifecycle_stage.`, 'run-deleted');
    }
    if (run.exp.inTrash || run.exp.experiment.lifecycle_stage !== 'active') {
      throw new StateError(
        `The run ${run.info.run_id} belongs to the deleted experiment ${run.exp.experiment.experiment_id}; restore the experiment first`,
        'experiment-deleted',
      );
    }
  }

  /**
   * `fn()` (which reads `run.dir`), once more after following the run when its folder
   * vanished meanwhile: `runs mv` moved it (the entry is pointed at the new folder, once the
   * move has rewritten its meta.yaml) — or a StateError when the run is gone. Never recreates the old folder (issue 11 #25).
   */
  protected atRun<T>(run: FileRunEntry, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!this.relocate(run, e)) throw e;
      return fn();
    }
  }

  private relocate(run: FileRunEntry, e: unknown): boolean {
    const cause = e instanceof StateError ? e.cause : e;
    if ((cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT' || existsSync(run.dir)) return false;
    // a move renames the folder, then rewrites its meta.yaml's experiment_id (under the store
    // lock, which a logging call does not load): wait out that short window — in a
    // long-running process (asyncLock) at most RELOCATE_WAIT_SERVER_MS, since the wait
    // blocks its event loop, and a window that long is a move that was killed half-way
    const limit = this.relocateWait;
    let found = new FileStore(this.root).findRunOrUndefined(run.info.run_id);
    for (let waited = 0; found && waited < limit && found.problems.some((p) => p.code === 'run-experiment-mismatch'); waited += 10) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      found = new FileStore(this.root).findRunOrUndefined(run.info.run_id);
    }
    if (!found || found.dir === run.dir) {
      throw new StateError(`run ${run.info.run_id} is gone from ${run.dir} (moved or deleted while logging); not written`, 'run-vanished');
    }
    this.checkActive(found);
    run.dir = found.dir;
    run.exp = found.exp;
    return true;
  }

  protected writeRunTag(runDir: string, key: string, value: string, durable = true): void {
    const file = path.join(runDir, 'tags', key);
    try {
      ensureDirBelow(runDir, path.dirname(file));
      atomicWriteFile(file, value, { tempDir: runDir, durable });
    } catch (e) {
      throw writeFailed(`cannot set tag '${key}': ${fsMessage(e)}`, e);
    }
  }

  /** Append metric lines (grouped per key into one write each, in the order given). */
  protected appendMetrics(run: FileRunEntry, metrics: ValidMetric[]): void {
    const byKey = new Map<string, string>();
    for (const m of metrics) byKey.set(m.key, (byKey.get(m.key) ?? '') + `${m.timestamp} ${formatPyFloat(m.value)} ${m.step}\n`);
    for (const [key, lines] of byKey) {
      this.atRun(run, () => {
        const file = path.join(run.dir, 'metrics', key);
        try {
          ensureDirBelow(run.dir, path.dirname(file));
          appendLine(file, lines);
        } catch (e) {
          throw writeFailed(`cannot log metric '${key}': ${fsMessage(e)}`, e);
        }
      });
    }
  }

  /** Validate metrics (timestamp defaults to now, step to 0). */
  protected validMetrics(metrics: MetricInput[]): ValidMetric[] {
    const known = new Set<string>();
    return metrics.map((m) => validateMetric(m, known));
  }

  logMetrics(idOrPrefix: string, metrics: MetricInput[]): string {
    const valid = this.validMetrics(metrics);
    const run = this.activeRun(idOrPrefix);
    this.appendMetrics(run, valid);
    return run.info.run_id;
  }

  /** Params are immutable: a new value for an existing key is refused (before anything is written). */
  protected checkParams(run: FileRunEntry, params: KeyValue[]): KeyValue[] {
    const todo: KeyValue[] = [];
    for (const p of params) {
      const current = this.readParam(run, p.key);
      if (current === undefined) todo.push(p);
      else this.compareParam(run, p, current);
    }
    return todo;
  }

  /** The stored value as MLflow compares it (text mode: universal newlines), or undefined. */
  protected readParam(run: FileRunEntry, key: string): string | undefined {
    const file = path.join(run.dir, 'params', key);
    try {
      // a new key (the usual case) costs a stat, not a thrown ENOENT
      if (statSync(file, { throwIfNoEntry: false }) === undefined) return undefined;
      return readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new StateError(`cannot log param '${key}': ${fsMessage(e)}`, 'write-failed');
    }
  }

  protected compareParam(run: FileRunEntry, p: KeyValue, current: string): void {
    if (current !== p.value) {
      throw new StateError(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${current}' ` +
          `for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`,
        'param-changed',
      );
    }
  }

  protected writeParams(run: FileRunEntry, params: KeyValue[]): void {
    for (const p of params) {
      const created = this.atRun(run, () => {
        const file = path.join(run.dir, 'params', p.key);
        try {
          ensureDirBelow(run.dir, path.dirname(file));
          // exclusive: two processes logging one new param cannot both "win"
          return createExclusive(file, p.value, { tempDir: run.dir });
        } catch (e) {
          throw writeFailed(`cannot log param '${p.key}': ${fsMessage(e)}`, e);
        }
      });
      if (!created) this.compareParam(run, p, this.readParam(run, p.key) ?? '');
    }
  }

  protected validParams(params: KeyValue[]): KeyValue[] {
    return params.map((p) => ({ key: p.key, value: validateParam(p.key, p.value, { truncate: this.truncate, warn: this.warn }) }));
  }

  /** log_param for each pair: all validated and checked against existing values first. */
  logParams(idOrPrefix: string, params: KeyValue[]): string {
    const valid = this.validParams(params);
    const seen = new Map<string, string>();
    for (const p of valid) {
      const prev = seen.get(p.key);
      if (prev !== undefined && prev !== p.value) {
        throw new UsageError(`param '${p.key}' is given twice with different values ('${prev}' and '${p.value}')`, 'param-twice');
      }
      seen.set(p.key, p.value);
    }
    const run = this.activeRun(idOrPrefix);
    this.writeParams(run, this.checkParams(run, valid));
    return run.info.run_id;
  }

  /** set_tag (no length limits, as MLflow's file store); mlflow.runName also renames the run. */
  setTags(idOrPrefix: string, tags: KeyValue[], durable = true): string {
    for (const t of tags) validateKeyName('tag', t.key);
    const run = this.activeRun(idOrPrefix);
    this.applyTags(run, tags, durable);
    return run.info.run_id;
  }

  protected applyTags(run: FileRunEntry, tags: KeyValue[], durable = true): void {
    for (const t of tags) {
      if (t.key === RUN_NAME_TAG) this.setRunName(run, t.value);
      else this.atRun(run, () => this.writeRunTag(run.dir, t.key, t.value, durable));
    }
  }

  deleteTag(idOrPrefix: string, key: string): string {
    validateKeyName('tag', key);
    const run = this.activeRun(idOrPrefix);
    const file = path.join(run.dir, 'tags', key);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) throw new NotFoundError(`No tag with name: ${key} in run with id ${run.info.run_id}`, 'tag-not-found');
    unlinkSync(file);
    return run.info.run_id;
  }

  /** Renaming rewrites meta.yaml: StoreWriter does it; this class only refuses. */
  protected setRunName(_run: FileRunEntry, _name: string): void {
    throw new Error('internal: setting mlflow.runName needs StoreWriter');
  }
}
