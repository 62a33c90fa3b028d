/**
 * Read-ahead for a long-running process's parse cache (cache.ts): a thread that reads the
 * files a search is about to parse, while the main thread parses what has arrived.
 *
 * A server's first search over a big store reads every run's meta.yaml and the metric files
 * it orders or filters by: 20,000 small files over 10,000 runs. Read one by one on the main
 * thread (open, fstat, read, close) that is over half of the search, and it blocks the event
 * loop all the while. Here the kernel work runs on another core, and the main thread only
 * waits between chunks, so other requests are answered in between.
 *
 * Why a thread and not fs.promises: each libuv request is a round trip to the main thread
 * (four for one small file), which on a 2-core machine costs more than the reads themselves
 * (doctor/prefetch.ts measured the same for the doctor's scan).
 *
 * What arrives is only ever offered to the cache, with the signature the thread took before
 * it read: the cache keeps it as if it had read the file itself. A thread that fails or is
 * slow costs time, never a different answer: the search reads anything it was not given.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MetricFileSummary } from './metrics.js';

/** `len` of a file that is not there (ENOENT, ENOTDIR) */
export const AHEAD_MISSING = -1;
/** `len` of a file the thread did not read: not a regular file, too big, unreadable */
export const AHEAD_SKIPPED = -2;
/** `len` of a metric file the thread summarized: its summary is in `summaries` */
export const AHEAD_SUMMARY = -3;

export interface AheadJob {
  id: number;
  /** the plan's folders, each ending in a NUL (one string clones far faster than 10,000) */
  dirs: string;
  names: string[];
  want: Uint8Array;
  metric: boolean[];
  chunk: number;
  maxBytes: number;
}

/**
 * What to read: in each folder, the names wanted (the folder, a separator, the name), folder
 * by folder; `files` is that list of paths, as the caller keys them (it is not sent).
 */
export interface AheadPlan {
  dirs: string[];
  /** names to read in every folder ('meta.yaml', 'metrics/val_loss') */
  names: string[];
  /** per folder and name (dirs.length × names.length, folder by folder): 1 to read it */
  want: Uint8Array;
  /** per name: a metric file, summarized by the thread (MetricSummarizer) */
  metric: boolean[];
  files: string[];
}

/** From the main thread: chunks of a job taken so far, or a job it no longer wants. */
export type AheadAck = { job: number; took: number } | { cancel: number };

/** One chunk of a job: files[from .. from + len.length), their bytes one after another in `data`. */
export interface AheadChunk {
  job: number;
  from?: number;
  /** Date.now() in the thread before it read the chunk's first file */
  at?: number;
  /** per file: ino, size, mtimeMs, ctimeMs */
  sig?: Float64Array;
  /** per file: bytes in `data`, or AHEAD_MISSING / AHEAD_SKIPPED / AHEAD_SUMMARY */
  len?: Int32Array;
  data?: ArrayBuffer;
  /** per file: the summary of a metric file (AHEAD_SUMMARY) */
  summaries?: (MetricFileSummary | undefined)[];
  done?: boolean;
}

/** A file the thread read: its signature (taken before the read) and its bytes, or a metric file's summary. */
export interface AheadFile {
  file: string;
  /** Date.now() before it was read (its chunk's start) */
  readAt: number;
  /** always true (the thread reads only regular files): an AheadFile serves as a stat */
  isFile(): boolean;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  bytes: Buffer;
  summary?: MetricFileSummary;
}

const EMPTY = Buffer.alloc(0);
const isFile = (): boolean => true;

/**
 * The worker module: beside this one when running from dist/; from the TypeScript source
 * (the tests), the built copy (Node 20 cannot start a worker from a .ts file).
 */
const WORKER_URL = ((): URL => {
  const here = new URL('./read-ahead-worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../../../dist/store/file/read-ahead-worker.js', import.meta.url);
})();

export interface ReadAheadOptions {
  /** files per chunk (default 256) */
  chunk?: number;
  /** a file bigger than this is left to the reader (default 256 KiB) */
  maxBytes?: number;
  /** fewer files than this are not worth a round trip: read() yields nothing (default 500) */
  minFiles?: number;
}

export class ReadAhead {
  private worker: Worker | undefined;
  private failed = false;
  private jobs = 0;
  private active = 0;
  private readonly chunk: number;
  private readonly maxBytes: number;
  readonly minFiles: number;
  /** files handed over, and chunks (for tests) */
  files = 0;
  chunks = 0;

  constructor(opts: ReadAheadOptions = {}) {
    this.chunk = opts.chunk ?? 256;
    this.maxBytes = opts.maxBytes ?? 256 << 10;
    this.minFiles = opts.minFiles ?? 500;
  }

  /** The thread, started at the first job; undefined where it cannot start (then nothing is read ahead). */
  private thread(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      const w = new Worker(WORKER_URL);
      w.unref();
      w.on('error', () => void this.stop());
      w.on('exit', () => {
        if (this.worker === w) void this.stop();
      });
      this.worker = w;
    } catch {
      this.failed = true;
    }
    return this.worker;
  }

  /** No thread from now on: reads under way end (with what they had), later ones yield nothing. */
  private async stop(): Promise<void> {
    this.failed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const l of this.listeners) l({ job: -1, done: true });
    if (w) await w.terminate();
  }

  private readonly listeners = new Set<(m: AheadChunk) => void>();

  /**
   * The files of `plan` the thread read, in order, as they arrive (missing and skipped ones
   * are left out; metric files summarized). Nothing when there are fewer than minFiles or the
   * thread is not there.
   * The bytes are valid until the next chunk is asked for.
   */
  async *read(plan: AheadPlan): AsyncGenerator<AheadFile> {
    const { files } = plan;
    if (files.length < this.minFiles) return;
    const w = this.thread();
    if (!w) return;
    const id = ++this.jobs;
    const queue: AheadChunk[] = [];
    let wake: (() => void) | undefined;
    const onChunk = (m: AheadChunk): void => {
      if (m.job !== id && m.job !== -1) return;
      queue.push(m);
      wake?.();
    };
    w.on('message', onChunk);
    this.listeners.add(onChunk);
    // held while a job runs: a process with nothing else to do still waits for it
    if (this.active++ === 0) w.ref();
    let done = false;
    try {
      const job: AheadJob = {
        id,
        dirs: plan.dirs.join('\0') + '\0',
        names: plan.names,
        want: plan.want,
        metric: plan.metric,
        chunk: this.chunk,
        maxBytes: this.maxBytes,
      };
      w.postMessage(job);
      let took = 0;
      for (;;) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const m = queue.shift()!;
        if (m.done) {
          done = true;
          return;
        }
        this.worker?.postMessage({ job: id, took: ++took } satisfies AheadAck);
        this.chunks++;
        const data = Buffer.from(m.data!);
        const { sig, len, summaries } = m as Required<AheadChunk>;
        let at = 0;
        for (let i = 0; i < len.length; i++) {
          const n = len[i]!;
          const summarized = n === AHEAD_SUMMARY;
          if (n < 0 && !summarized) continue;
          this.files++;
          yield {
            file: files[m.from! + i]!,
            readAt: m.at!,
            isFile,
            ino: sig[i * 4]!,
            size: sig[i * 4 + 1]!,
            mtimeMs: sig[i * 4 + 2]!,
            ctimeMs: sig[i * 4 + 3]!,
            ...(summarized ? { bytes: EMPTY, summary: summaries[i]! } : { bytes: data.subarray(at, at + n) }),
          };
          if (!summarized) at += n;
        }
      }
    } finally {
      // given up before the end (the consumer stopped): the thread moves on to the next job
      if (!done) this.worker?.postMessage({ cancel: id } satisfies AheadAck);
      this.listeners.delete(onChunk);
      w.off('message', onChunk);
      if (--this.active === 0) w.unref();
    }
  }

  /** Stop the thread: reads under way end (with what they had), later ones yield nothing. */
  close(): Promise<void> {
    return this.stop();
  }
}
