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

  createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {}) {
    return this.guarded(async () => (await this.storeWriter()).createExperiment(name, opts));
  }
  renameExperiment(idOrName: string, newName: string) {
    return this.guarded(async () => (await this.storeWriter()).renameExperiment(idOrName, newName));
  }
  deleteExperiment(idOrName: string) {
    return this.guarded(async () => (await this.storeWriter()).deleteExperiment(idOrName));
  }
  restoreExperiment(idOrName: string) {
    return this.guarded(async () => (await this.storeWriter()).restoreExperiment(idOrName));
  }
  setExperimentTag(idOrName: string, key: string, value: string) {
    return this.guarded(async () => (await this.storeWriter()).setExperimentTag(idOrName, key, value));
  }
  deleteExperimentTag(idOrName: string, key: string) {
    return this.guarded(async () => (await this.storeWriter()).deleteExperimentTag(idOrName, key));
  }

  createRun(opts: CreateRunOptions): Promise<CreatedRun> {
    return this.guarded(async () => (await this.storeWriter()).createRun(opts));
  }
  endRun(run: string, status?: RunStatus, endTime?: number) {
    return this.guarded(async () => (await this.storeWriter()).endRun(run, status, endTime));
  }
  updateRun(run: string, update: { status?: RunStatus; endTime?: number | null; runName?: string }) {
    return this.guarded(async () => (await this.storeWriter()).updateRun(run, update));
  }
  deleteRun(run: string) {
    return this.guarded(async () => (await this.storeWriter()).deleteRun(run));
  }
  restoreRun(run: string) {
    return this.guarded(async () => (await this.storeWriter()).restoreRun(run));
  }
  renameRun(run: string, name: string) {
    return this.guarded(async () => (await this.storeWriter()).renameRun(run, name));
  }

  logMetrics(run: string, metrics: MetricInput[]) {
    return this.guarded(() => this.runWriter().logMetrics(run, metrics));
  }
  logParams(run: string, params: KeyValue[]) {
    return this.guarded(() => this.runWriter().logParams(run, params));
  }
  setTags(run: string, tags: KeyValue[], opts: { durable?: boolean } = {}) {
    // renaming through mlflow.runName rewrites meta.yaml: only the full writer does that
    if (tags.some((t) => t.key === RUN_NAME_TAG)) return this.guarded(async () => (await this.storeWriter()).setTags(run, tags));
    return this.guarded(() => this.runWriter().setTags(run, tags, opts.durable ?? true));
  }
  deleteTag(run: string, key: string) {
    return this.guarded(() => this.runWriter().deleteTag(run, key));
  }
  logBatch(run: string, batch: BatchInput) {
    return this.guarded(async () => (await this.storeWriter()).logBatch(run, batch));
  }
  logInputs(run: string, inputs: DatasetInput[]) {
    return this.guarded(async () => (await this.storeWriter()).logInputs(run, inputs));
  }
}
