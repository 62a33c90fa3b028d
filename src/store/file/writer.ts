/**
 * The file store behind the TrackingWriter interface. A logging call (log-metric,
 * log-param, set-tag, delete-tag) loads only RunWriter (run-writes.ts); everything else
 * loads the full StoreWriter (writes.ts). Filesystem failures become one-line errors.
 */
import type { BatchInput, CreatedRun, CreateRunOptions, MetricInput, TrackingWriter } from '../backend.js';
import type { DatasetInput, KeyValue, RunStatus } from '../types.js';
import { asWriteError } from '../fs-errors.js';
import { RUN_NAME_TAG, RunWriter, type WriterOptions } from './run-writes.js';
import type { StoreWriter } from './writes.js';
import { existsSync } from 'node:fs';
import { deferSyncs, flushSyncs, type PendingSyncs } from './atomic.js';

/**
 * A request's writes made durable once, at its end: the fsyncs its deferSyncs scope noted,
 * all at once, before the call returns (see deferSyncs in atomic.ts; issue 15).
 */
async function durable<T>(p: Promise<{ value: T; syncs: PendingSyncs }>): Promise<T> {
  const { value, syncs } = await p;
  await flushSyncs(syncs);
  return value;
}

/** `fn`'s writes with their fsyncs deferred, then made at once (durable). */
function durably<T>(fn: () => T): Promise<T> {
  return durable(Promise.resolve(deferSyncs(fn)));
}

/** Runs `fn`, turning a filesystem error into a one-line StateError (see asWriteError). */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asWriteError(e);
  }
}

export class FileTrackingWriter implements TrackingWriter {
  private readonly opts: WriterOptions;
  private light?: RunWriter;
  private full?: StoreWriter;

  constructor(opts: WriterOptions) {
    this.opts = opts;
  }

  /** guarded, then the parse cache told that this process wrote (see ParseCache.noteWrite). */
  private guarded<T>(fn: () => T | Promise<T>): Promise<T> {
    const cache = this.opts.cache;
    if (!cache) return guarded(fn);
    return guarded(fn).finally(() => cache.noteWrite());
  }

  private runWriter(): RunWriter {
    this.light ??= new RunWriter(this.opts);
    return this.light;
  }

  private async storeWriter(): Promise<StoreWriter> {
    if (!this.full) {
      const { StoreWriter } = await import('./writes.js');
      this.full = new StoreWriter(this.opts);
    }
    return this.full;
  }

  /**
   * A StoreWriter call that takes the store lock. In a long-running process the lock is
   * taken first, without blocking the event loop (withLockAsync; the call's own withLock then
   * finds it held); a command lets the call lock for itself.
   */
  private async locking<T>(fn: (w: StoreWriter) => T): Promise<T> {
    const w = await this.storeWriter();
    // a store not created yet has no room for the lock file: the call creates the folder
    // first, then locks for itself (`mlr server` over a new store, once, at start-up)
    // the call's fsyncs made once, at its end, after the lock is let go (see durable)
    if (!this.opts.asyncLock || !existsSync(this.opts.root)) return durably(() => fn(w));
    // loaded here: a logging command never takes the lock, and pays for no module it does not use
    const { withLockAsync } = await import('./lock.js');
    return durable(withLockAsync(this.opts.root, () => deferSyncs(() => fn(w))));
  }

  createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {}) {
    return this.guarded(() => this.locking((w) => w.createExperiment(name, opts)));
  }
  renameExperiment(idOrName: string, newName: string) {
    return this.guarded(() => this.locking((w) => w.renameExperiment(idOrName, newName)));
  }
  deleteExperiment(idOrName: string) {
    return this.guarded(() => this.locking((w) => w.deleteExperiment(idOrName)));
  }
  restoreExperiment(idOrName: string) {
    return this.guarded(() => this.locking((w) => w.restoreExperiment(idOrName)));
  }
  setExperimentTag(idOrName: string, key: string, value: string) {
    return this.guarded(async () => (await this.storeWriter()).setExperimentTag(idOrName, key, value));
  }
  deleteExperimentTag(idOrName: string, key: string) {
    return this.guarded(async () => (await this.storeWriter()).deleteExperimentTag(idOrName, key));
  }

  createRun(opts: CreateRunOptions): Promise<CreatedRun> {
    return this.guarded(async () => {
      const w = await this.storeWriter();
      return durably(() => w.createRun(opts));
    });
  }
  endRun(run: string, status?: RunStatus, endTime?: number) {
    return this.guarded(() => this.locking((w) => w.endRun(run, status, endTime)));
  }
  updateRun(run: string, update: { status?: RunStatus; endTime?: number | null; runName?: string }) {
    return this.guarded(() => this.locking((w) => w.updateRun(run, update)));
  }
  deleteRun(run: string) {
    return this.guarded(() => this.locking((w) => w.deleteRun(run)));
  }
  restoreRun(run: string) {
    return this.guarded(() => this.locking((w) => w.restoreRun(run)));
  }
  renameRun(run: string, name: string) {
    return this.guarded(() => this.locking((w) => w.renameRun(run, name)));
  }

  logMetrics(run: string, metrics: MetricInput[]) {
    return this.guarded(() => this.runWriter().logMetrics(run, metrics));
  }
  logParams(run: string, params: KeyValue[]) {
    return this.guarded(() => durably(() => this.runWriter().logParams(run, params)));
  }
  setTags(run: string, tags: KeyValue[], opts: { durable?: boolean } = {}) {
    // renaming through mlflow.runName rewrites meta.yaml: only the full writer does that
    if (tags.some((t) => t.key === RUN_NAME_TAG)) return this.guarded(() => this.locking((w) => w.setTags(run, tags)));
    return this.guarded(() => durably(() => this.runWriter().setTags(run, tags, opts.durable ?? true)));
  }
  deleteTag(run: string, key: string) {
    return this.guarded(() => this.runWriter().deleteTag(run, key));
  }
  logBatch(run: string, batch: BatchInput) {
    // a batch that renames the run rewrites meta.yaml under the lock
    if (batch.tags?.some((t) => t.key === RUN_NAME_TAG)) return this.guarded(() => this.locking((w) => w.logBatch(run, batch)));
    return this.guarded(async () => {
      const w = await this.storeWriter();
      return durably(() => w.logBatch(run, batch));
    });
  }
  logInputs(run: string, inputs: DatasetInput[]) {
    return this.guarded(() => this.locking((w) => w.logInputs(run, inputs)));
  }
}
