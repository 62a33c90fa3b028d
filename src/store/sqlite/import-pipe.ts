/**
 * The SQLite importer of `mlr migrate` on a writer thread: the inserts and commits of one
 * batch of runs (two thirds of a migration's CPU) run on a worker_threads Worker with its
 * own connection while the main thread reads and parses the next batch from the source.
 *
 * Every call is the in-process SqliteImporter's, run by import-worker.ts in the order sent,
 * each in its own BEGIN IMMEDIATE transaction: the same rows, the same transaction
 * boundaries, so a killed migration leaves whole batches or none, as before. A batch of
 * runs goes over as a few typed arrays (import.ts RunBatch), handed over without a copy.
 * `pipeline` tells migrate how many batches it may have in flight (the memory bound); each
 * call's promise settles when its transaction has committed or failed.
 *
 * When the thread itself stops (it could not open the database, ran out of memory), every
 * call still waiting and every later one fails with one StateError, code
 * `importer-stopped`: migrate then stops with that one line instead of a failure per run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { MlrError, StateError } from '../../errors.js';
import type { ImportedLoggedModel, ImportedModel, ImportedRun, TrackingImporter } from '../backend.js';
import type { Experiment } from '../types.js';
import { encodeRuns, type RunBatch } from './import.js';

/** A call the main thread sends the writer thread. */
type WriterCall =
  | { op: 'runs'; batch: RunBatch }
  | { op: 'experiment'; experiment: Experiment; replace: boolean }
  | { op: 'model'; model: ImportedModel; replace: boolean }
  | { op: 'loggedModels'; models: readonly ImportedLoggedModel[]; replace: string[] }
  | { op: 'close' };
export type WriterRequest = WriterCall & { id: number };

/** Its answer: done, or the error the call threw. */
export interface WriterReply {
  id: number;
  /** runs of a batch not written: id, error message */
  failed?: [string, string][];
  /** the batch's buffer, back */
  buffer?: ArrayBuffer;
  error?: { message: string; code?: string; exitCode?: number };
}

/**
 * The worker module: beside this one when running from dist/; from the TypeScript source
 * (the tests), the built copy (`npm test` builds first; Node cannot start a worker from .ts).
 */
const WORKER_URL = ((): URL => {
  const here = new URL('./import-worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../../../dist/store/sqlite/import-worker.js', import.meta.url);
})();

/**
 * Batches of runs in flight: one being written while the next is read, and one more queued
 * so the writer never waits for the reader's slower moments (each ~100k metric rows, ~10 MB).
 */
const PIPELINE = 2;

/**
 * The thread's young generation: what it allocates (statement arguments, int64 reads) dies
 * young, and V8's default (up to 48 MB) only made the process bigger. 10,000 runs: the
 * thread's heap 42 MB → 18 MB, the process 350 MB → 310 MB.
 */
const WRITER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8 };

export interface PipedImporterOptions {
  /** the writer thread's V8 limits (tests: a thread that runs out of memory) */
  resourceLimits?: ResourceLimits;
}

export class PipedImporter implements TrackingImporter {
  readonly existed: boolean;
  readonly loggedModels: boolean;
  readonly pipeline = PIPELINE;
  private readonly file: string;
  private readonly worker: Worker;
  private readonly beforeWrite: () => void;
  private readonly pending = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** buffers of written batches, to fill again: the columns in flight stay a few buffers, never a heap of dead ones */
  private readonly spare: ArrayBuffer[] = [];
  private stopped: StateError | undefined;
  private closed: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  constructor(file: string, existed: boolean, loggedModels: boolean, beforeWrite: () => void, o: PipedImporterOptions = {}) {
    this.file = file;
    this.existed = existed;
    this.loggedModels = loggedModels;
    this.beforeWrite = beforeWrite;
    this.worker = new Worker(WORKER_URL, { workerData: { file, existed }, resourceLimits: o.resourceLimits ?? WRITER_LIMITS });
    // the thread keeps the process alive only while a call waits on it
    this.worker.unref();
    this.worker.on('message', (r: WriterReply) => this.settle(r));
    this.worker.on('error', (e) => this.stop(e.message));
    this.worker.on('messageerror', (e) => this.stop(e.message));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.stop(`it exited (code ${code})`);
        resolve();
      }),
    );
  }

  private settle(r: WriterReply): void {
    if (r.buffer && this.spare.length <= PIPELINE) this.spare.push(r.buffer);
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!r.error) p.resolve(r);
    else p.reject(r.error.code !== undefined ? new MlrError(r.error.message, r.error.code, r.error.exitCode) : new Error(r.error.message));
  }

  /** The thread is gone: every call waiting on it, and every later one, fails with one error. */
  private stop(reason: string): void {
    if (!this.stopped) {
      const why = reason.split('\n')[0]!.trim();
      this.stopped = new StateError(
        `${this.file}: the writer thread stopped (${why}); every batch committed before it is in the database, and re-running migrate resumes`,
        'importer-stopped',
      );
    }
    for (const p of this.pending.values()) p.reject(this.stopped);
    this.pending.clear();
  }

  private call(m: WriterCall, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.closed && m.op !== 'close') return Promise.reject(new StateError(`${this.file}: the importer is closed`, 'importer-stopped'));
    // a read snapshot of the main thread's connection would block the thread's commit
    this.beforeWrite();
    const id = this.nextId++;
    return new Promise<WriterReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id }, transfer);
    });
  }

  async importExperiment(e: Experiment, replace: boolean): Promise<void> {
    await this.call({ op: 'experiment', experiment: e, replace });
  }

  async importRuns(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<void> {
    const failed = await this.importRunsEach(runs, replace);
    for (const message of failed.values()) throw new Error(message);
  }

  /**
   * The runs packed (import.ts encodeRuns) and handed over: its promise settles when the
   * thread has committed them, with the runs it could not write. The rows are the thread's
   * from here on: the caller keeps no copy of a batch in flight.
   */
  importRunsEach(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<Map<string, string>> {
    // not async: a suspended async call would keep `runs` alive until the thread is done
    let failed: Map<string, string>;
    let batch: RunBatch;
    try {
      [batch, failed] = this.encode(runs, replace);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.call({ op: 'runs', batch }, [batch.buffer]).then((r) => {
      for (const [id, message] of r.failed ?? []) failed.set(id, message);
      return failed;
    });
  }

  /** The biggest spare buffer. */
  private takeSpare(): ArrayBuffer | undefined {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) if (best < 0 || this.spare[i]!.byteLength > this.spare[best]!.byteLength) best = i;
    return best < 0 ? undefined : this.spare.splice(best, 1)[0];
  }

  private encode(runs: readonly ImportedRun[], replace: ReadonlySet<string>): [RunBatch, Map<string, string>] {
    const failed = new Map<string, string>();
    let batch: RunBatch;
    try {
      batch = encodeRuns(runs, replace, this.takeSpare());
    } catch {
      // a line SQL cannot hold (an int64 out of range): that run alone is left out
      const ok = runs.filter((r) => {
        try {
          encodeRuns([r], replace);
          return true;
        } catch (e) {
          failed.set(r.info.run_id, (e as Error).message);
          return false;
        }
      });
      batch = encodeRuns(ok, replace);
    }
    return [batch, failed];
  }

  async importModel(m: ImportedModel, replace: boolean): Promise<void> {
    await this.call({ op: 'model', model: m, replace });
  }

  async importLoggedModels(models: readonly ImportedLoggedModel[], replace: ReadonlySet<string>): Promise<void> {
    await this.call({ op: 'loggedModels', models, replace: [...replace] });
  }

  /** Waits for every call sent to commit (or fail), then closes the thread's connection. */
  close(): Promise<void> {
    this.closed ??= this.stopped
      ? Promise.resolve()
      : this.call({ op: 'close' }).then(
          () => {
            this.worker.ref(); // until it has exited
            return this.exited;
          },
          () => {},
        );
    return this.closed;
  }
}
