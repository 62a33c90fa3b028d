/**
 * Read-ahead for the doctor's scan of a big store. Worker threads list and read the run
 * folders the scan is about to visit (each run's folder, meta.yaml, and everything under
 * metrics/, params/ and tags/), in the scan's own order, while the main thread checks what
 * has already arrived. The kernel work (openat, read, getdents: over half of the scan's
 * CPU) then runs on the other core instead of in between the checks.
 *
 * The scan stays synchronous and decides everything itself: this only answers "what would
 * listing this folder / reading this file give?" for paths inside the run the scan is at,
 * and the scan falls back to the filesystem for anything else (so a read-ahead that is
 * late, wrong about what is a run, or dead costs time, never a different answer). Results
 * are keyed by path, never by completion order. Memory is bounded: workers stay at most
 * WINDOW runs and BUDGET_KB of bytes ahead of the scan.
 *
 * Why threads and not fs.promises / fs.readFile: each libuv request is a round trip to the
 * main thread (open, fstat, read, close: four for one small file), and on the 2-core VM the
 * bench runs on that overhead cost more CPU than the reads themselves (a 10,000-run scan
 * went from ~3 s to 5–10 s of CPU). A worker does the same synchronous calls the scan would
 * and hands over a chunk of runs at a time.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The worker module: beside this one when running from dist/; when the doctor runs from its
 * TypeScript source (the tests), the built copy (`npm test` builds first; Node 20 cannot
 * start a worker from a .ts file).
 */
const WORKER_URL = ((): URL => {
  const here = new URL('./prefetch-worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../../dist/doctor/prefetch-worker.js', import.meta.url);
})();

export interface Ent {
  name: string;
  isDir: boolean;
  isFile: boolean;
  /** a symbolic link (isDir/isFile say what it points at) */
  isLink?: boolean;
}

/** A metric file whose every line countFastLines accepted (so its bytes were not kept). */
export interface FastLines {
  lines: number;
  /** the last byte is a newline */
  terminated: boolean;
}

/** What the workers found in one run folder, by path (as the scan builds it). */
export interface RunFiles {
  lists: Map<string, Ent[] | NodeJS.ErrnoException>;
  files: Map<string, Buffer | NodeJS.ErrnoException>;
  /** metric files already checked (not in `files`) */
  fast: Map<string, FastLines>;
}

export interface PrefetchOptions {
  /** worker threads (default: one per spare core, at most 2; 0 disables read-ahead) */
  workers?: number;
}

/** Slots of the Int32Array the scan and the workers share. */
export const SLOT = {
  /** next plan index no one has claimed */
  NEXT: 0,
  /** bumped after every message a worker posts */
  SEQ: 1,
  /** the plan index the scan is at: workers stay within WINDOW of it */
  SCAN_AT: 2,
  /** 1: the scan is over */
  STOP: 3,
  /** bytes read by workers (KiB, rounded up per run) */
  PRODUCED_KB: 4,
  /** bytes the scan has taken or dropped */
  CONSUMED_KB: 5,
};
const { NEXT, SEQ, SCAN_AT, STOP, CONSUMED_KB } = SLOT;

/** Runs a worker claims at once (one message each). */
const CHUNK = 8;
/** How far ahead of the scan workers may read, in runs and in bytes. */
const WINDOW = 128;
const BUDGET_KB = 64 * 1024;
/** Give up waiting for a run a worker claimed after this long (and read it here). */
const STALL_MS = 10_000;

/**
 * Since the last reset (for tests): runs the scan got from workers, runs it read itself, and
 * runs that arrived after a run later in the plan had.
 */
export const readAheadCounts = { fromWorkers: 0, here: 0, late: 0 };

/**
 * One run folder as a worker sends it, flattened (few objects to clone): `l` holds (folder,
 * names joined by '/', one kind letter per name: d, f, o) or (folder, null, error); `f`
 * holds (file, offset in the chunk's buffer, length) or (file, null, error); `c` holds
 * (metric file, lines, 1 when it ends in a newline) for files countFastLines accepted.
 * Errors are `code` NUL `message`.
 */
interface WorkerRun {
  i: number;
  kb: number;
  l: (string | null)[];
  f: (string | number | null)[];
  c: (string | number)[];
}

interface ChunkMessage {
  error?: string;
  runs?: WorkerRun[];
  buf?: ArrayBuffer;
}

export class Prefetch {
  private readonly sh: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly index = new Map<string, number>();
  private readonly ready = new Map<number, { kb: number; files: RunFiles }>();
  /** the plan index taken last; what arrives for it or below it is dropped */
  private at = -1;
  private dead = false;
  /** the highest plan index that has arrived */
  private highest = -1;

  constructor(plan: string[], workers: number) {
    plan.forEach((dir, i) => this.index.set(dir, i));
    this.sh = new Int32Array(new SharedArrayBuffer(Object.keys(SLOT).length * 4));
    for (let w = 0; w < workers; w++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_URL, {
        workerData: { plan, shared: this.sh.buffer, slot: SLOT, port: port2, chunk: CHUNK, window: WINDOW, budgetKb: BUDGET_KB },
        transferList: [port2],
      });
      worker.unref();
      // a worker that fails reports it by message; this only keeps an 'error' event from throwing
      worker.on('error', () => {});
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /**
   * Worker threads for a scan that plans `runs` runs: two on two cores or more, from 3,000
   * runs on. Measured on the 2-core bench VM (wall, no workers → two): 10,000 runs 2.3-2.8 s
   * → 1.95-2.2 s; 4,000 runs 1.1-1.3 s → 1.05-1.2 s; 2,000 and 1,000 runs no gain. Each
   * worker costs ~40 ms to start and ~20 MB; one worker was never faster than none (the scan
   * then waits for it), and more than two has not been measured.
   */
  static workersFor(runs: number, opts: PrefetchOptions): number {
    if (opts.workers !== undefined) return opts.workers;
    return runs >= Prefetch.fromRuns && availableParallelism() >= 2 ? 2 : 0;
  }

  /** the store size from which a scan reads ahead (a test lowers it to read ahead on a small store) */
  static fromRuns = 3000;

  /**
   * What the workers read in run folder `dir`, waiting for it when a worker is on it; undefined
   * when `dir` is not in the plan, is behind the scan, or no worker has claimed it yet (the
   * scan then reads it itself, and the workers skip it).
   */
  take(dir: string): RunFiles | undefined {
    const k = this.index.get(dir);
    if (k === undefined || k <= this.at || this.dead) {
      readAheadCounts.here++;
      return undefined;
    }
    this.drain();
    this.drop(this.at, k);
    this.at = k;
    Atomics.store(this.sh, SCAN_AT, k);
    Atomics.notify(this.sh, SCAN_AT);
    const since = performance.now();
    for (;;) {
      const got = this.ready.get(k);
      if (got) {
        this.ready.delete(k);
        Atomics.add(this.sh, CONSUMED_KB, got.kb);
        readAheadCounts.fromWorkers++;
        return got.files;
      }
      const next = Atomics.load(this.sh, NEXT);
      if (next <= k) {
        // no worker has got this far: claim it (the workers skip what lies before it) and read it here
        if (Atomics.compareExchange(this.sh, NEXT, next, k + 1) !== next) continue;
        readAheadCounts.here++;
        return undefined;
      }
      // a worker is on it
      const seq = Atomics.load(this.sh, SEQ);
      if (this.drain()) continue;
      if (this.dead || performance.now() - since > STALL_MS) {
        readAheadCounts.here++;
        return undefined;
      }
      Atomics.wait(this.sh, SEQ, seq, 100);
    }
  }

  /** Stop the workers; nothing read ahead is kept. */
  close(): void {
    Atomics.store(this.sh, STOP, 1);
    Atomics.notify(this.sh, SCAN_AT);
    for (const p of this.ports) p.close();
    for (const w of this.workers) void w.terminate();
    this.ready.clear();
  }

  /** Forget what arrived for plan indexes from..to-1 (the scan went past them). */
  private drop(from: number, to: number): void {
    for (let i = Math.max(from, 0); i < to && this.ready.size > 0; i++) {
      const r = this.ready.get(i);
      if (r) {
        this.ready.delete(i);
        Atomics.add(this.sh, CONSUMED_KB, r.kb);
      }
    }
  }

  /** Take every message waiting on the ports; true when there was one. */
  private drain(): boolean {
    let any = false;
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        any = true;
        this.accept(m.message as ChunkMessage);
      }
    }
    return any;
  }

  private accept(msg: ChunkMessage): void {
    if (msg.error !== undefined || !msg.runs || !msg.buf) {
      // a worker failed: the scan reads everything itself from here on
      this.dead = true;
      return;
    }
    const buf = msg.buf;
    for (const r of msg.runs) {
      if (r.i < this.highest) readAheadCounts.late++;
      else this.highest = r.i;
      if (r.i < this.at) {
        Atomics.add(this.sh, CONSUMED_KB, r.kb);
        continue;
      }
      const files: RunFiles = { lists: new Map(), files: new Map(), fast: new Map() };
      const l = r.l;
      for (let j = 0; j < l.length; j += 3) {
        const names = l[j + 1];
        const kinds = l[j + 2]!;
        if (names === null || names === undefined) {
          files.lists.set(l[j]!, fsError(kinds));
          continue;
        }
        const ents: Ent[] = [];
        if (kinds.length > 0) {
          const split = names.split('/');
          for (let q = 0; q < split.length; q++) {
            const c = kinds.charCodeAt(q);
            // d f o: a folder, a file, other; D F O: a symlink to one
            const ent: Ent = { name: split[q]!, isDir: c === 100 || c === 68, isFile: c === 102 || c === 70 };
            if (c < 97) ent.isLink = true;
            ents.push(ent);
          }
        }
        files.lists.set(l[j]!, ents);
      }
      const f = r.f;
      for (let j = 0; j < f.length; j += 3) {
        const off = f[j + 1];
        files.files.set(f[j] as string, off === null ? fsError(f[j + 2] as string) : Buffer.from(buf, off as number, f[j + 2] as number));
      }
      const c = r.c;
      for (let j = 0; j < c.length; j += 3) files.fast.set(c[j] as string, { lines: c[j + 1] as number, terminated: c[j + 2] === 1 });
      this.ready.set(r.i, { kb: r.kb, files });
    }
  }
}

/** An fs error as the worker saw it (`code` NUL `message`). */
function fsError(s: string): NodeJS.ErrnoException {
  const cut = s.indexOf('\0');
  const e = new Error(s.slice(cut + 1)) as NodeJS.ErrnoException;
  if (cut > 0) e.code = s.slice(0, cut);
  return e;
}
