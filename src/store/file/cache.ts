/**
 * What a long-running process (`mlr server`) keeps of the files it parsed, so that a warm
 * search costs a stat per file instead of a read and a parse — and never answers from a
 * file that changed since.
 *
 * Each entry remembers the file's stat signature (inode, size, mtime, ctime) taken BEFORE
 * the file was read, so the content is at least as new as the signature. A file whose mtime
 * is younger than RACY_MS when it is read may still change within the same timestamp tick
 * (file times are coarse: a tick of the kernel clock, a second on some file systems), so
 * such an entry is used once and re-read next time — git's "racily clean" rule. A change by
 * the CLI, another process, MLflow or an editor therefore always shows on the next read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Watch, WatchTree } from './watch.js';
import type { ReadAhead } from './read-ahead.js';
import { TEMP_PREFIX } from './atomic.js';
import { LOCK_NAME } from './lock.js';

/** A file modified less than this long before it was read is not trusted from the cache. */
export const RACY_MS = 2000;
/** Entries kept at most (a store of 100,000 runs has about 200,000 hot files). */
const MAX_ENTRIES = 500_000;
/** memoized answers kept at most (each holds a search's matching runs) */
const MAX_MEMOS = 64;

interface Entry {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  stable: boolean;
  /** the folder's watch when the entry was taken (before the stat), and its generation then */
  watch: Watch | undefined;
  gen: number;
  kind: string;
  value: unknown;
  /** Date.now() before the file was read, and this process's writes by then (see trustForThisTurn) */
  readAt: number;
  writes: number;
}

/** A file read ahead (read-ahead.ts): offered to the cache with the signature taken before its read. */
export interface OfferedFile {
  file: string;
  isFile(): boolean;
  /** Date.now() before it was read */
  readAt: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  bytes: Buffer;
}

export class ParseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  /** change notification for the folders of cached files (watch.ts); none: validate by stat */
  readonly watches: WatchTree | undefined;
  /** reads answered from the cache / parsed anew (for tests and --verbose) */
  hits = 0;
  misses = 0;
  /** hits answered by a watch, without a stat; memo() answers given from memory */
  watchHits = 0;
  memoHits = 0;
  /** false from a write by this process until the loop has read the events it caused */
  private quiet = true;
  private writes = 0;
  /** bumped by every read no watch covers: a memo computed meanwhile is not kept */
  private tainted = 0;
  private readonly memos = new Map<string, { changes: number; value: unknown }>();
  /** per kind and folder, what folder() made of it and the folder's watch generation then */
  private readonly folders = new Map<string, { watch: Watch; gen: number; value: unknown }>();
  /** per checkedDir key, the folder's inode, stat signature (when old enough to trust) and entries when its check last passed */
  private readonly checked = new Map<string, { ino: number; sig: string | undefined; names: string }>();

  /** this turn of the event loop reads as if there were no cache (bypassForThisTurn) */
  private bypass = false;
  /** entries read after this are used without a check, for this turn (trustForThisTurn) */
  private trustAfter = Infinity;
  /** the background fill under way (fillLater) */
  private filling: Promise<void> | undefined;

  /** the thread that reads a search's files ahead of it, when this process has one */
  readonly readAhead: ReadAhead | undefined;

  constructor(now: () => number = Date.now, watches?: WatchTree, readAhead?: ReadAhead) {
    this.now = now;
    this.watches = watches;
    this.readAhead = readAhead;
  }

  /**
   * The value `compute` made of `file` the last time, when the file has not changed since;
   * otherwise `compute()` anew (remembered unless it returns undefined). `kind` keeps two
   * parses of one file apart. A missing file is never cached. `compute` gets the file
   * opened when the cache opened it, and its size then (it must read through that descriptor,
   * and not close it).
   *
   * `offered`: the file's bytes and signature read ahead (read-ahead.ts), used instead of
   * reading it: an entry made from them is as good as one made by reading the file here,
   * since the signature was taken before the bytes were read.
   */
  through<T>(file: string, kind: string, compute: (src?: number | Buffer, size?: number) => T | undefined, offered?: OfferedFile): T | undefined {
    if (this.bypass) {
      this.tainted++;
      return compute();
    }
    const e = this.entries.get(file);
    // made (with its generation read) before the stat below, so any later change bumps it;
    // bytes read ahead may be older than the folder's watch, so their entry gets none (and
    // is checked by stat next time)
    const live = this.watches?.watch(path.dirname(file));
    const w = offered ? undefined : live;
    if (e && w && this.quiet && e.watch === w && w.alive && e.gen === w.gen && e.kind === kind) {
      this.hits++;
      this.watchHits++;
      return e.value as T;
    }
    if (e && e.readAt > this.trustAfter && e.writes === this.writes && e.kind === kind) {
      this.hits++;
      // good for this search; a memo of it only while a watch has seen the file since
      if (!(live && e.watch === live && e.gen === live.gen)) this.tainted++;
      return e.value as T;
    }
    const gen = w?.gen ?? 0;
    let st: Pick<fs.Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs' | 'isFile'> | undefined;
    // a file never read: opened at once, its signature taken from the descriptor (fstat)
    // and `compute` reading through it — one path lookup, where a stat then a read made two
    let fd: number | undefined;
    const readAt = offered ? offered.readAt : Date.now();
    try {
      if (offered) st = offered;
      else if (e) st = fs.statSync(file, { throwIfNoEntry: false });
      else {
        fd = fs.openSync(file, 'r');
        st = fs.fstatSync(fd);
      }
    } catch {
      st = undefined;
    }
    try {
      // no watch on the folder: the read is tainted unless the folder is missing and its parent
      // watched (covers); a file there means the folder exists, so that check is only made
      // (an existsSync) for a missing file — 10,000 of them cost a first search ~0.2 s
      if (!w && this.watches && (st !== undefined || !this.watches.covers(path.dirname(file)))) this.tainted++;
      if (!st || !st.isFile()) {
        this.entries.delete(file);
        return compute();
      }
      if (e && e.stable && e.kind === kind && e.ino === st.ino && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs) {
        this.hits++;
        e.watch = w;
        e.gen = gen;
        return e.value as T;
      }
      this.misses++;
      const value = offered ? compute(offered.bytes) : fd !== undefined ? compute(fd, st.size) : compute();
      if (value === undefined) {
        this.entries.delete(file);
        return value;
      }
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      // the file's age when it was read (bytes read ahead were read before this moment)
      const age = this.now() - (offered ? Date.now() - offered.readAt : 0) - Math.max(st.mtimeMs, st.ctimeMs);
      this.entries.set(file, {
        ino: st.ino,
        size: st.size,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
        stable: age > RACY_MS,
        watch: w,
        gen,
        kind,
        value,
        readAt,
        writes: this.writes,
      });
      return value;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** Whether `file` has an entry (fresh or not): read-ahead reads only files without one. */
  has(file: string): boolean {
    return this.entries.has(file);
  }

  /**
   * Reads for the rest of this turn of the event loop go to the files, as without a cache,
   * and keep nothing: for a search that would have to read most of its files anyway (a
   * server's first), whose answer then costs what the CLI's does instead of that plus
   * making 20,000 entries; fillLater() makes them once it is answered. The search and what
   * its caller does with the runs (a server sorts and pages them) run on in the same turn,
   * promise after promise; the bypass ends at the next tick, before the loop takes up
   * anything else.
   */
  bypassForThisTurn(): void {
    if (!this.bypass) process.nextTick(() => (this.bypass = false));
    this.bypass = true;
  }

  /**
   * Every entry of a file read after `after` (a Date.now() taken once a request had come in)
   * is used as it is, without a stat, for the rest of this turn of the event loop — unless
   * this process writes meanwhile: what it says is no older than the request, which is all a
   * stat would prove. The search and what its caller does with the runs run on in the same
   * turn, promise after promise; the trust ends at the next tick, before the loop takes up
   * anything else (a tick that comes sooner only costs stats).
   */
  trustForThisTurn(after: number): void {
    if (this.trustAfter === Infinity) process.nextTick(() => (this.trustAfter = Infinity));
    this.trustAfter = Math.min(this.trustAfter, after);
  }

  /**
   * Run `fill` (which offers files read ahead) after this turn, one at a time; fillDone()
   * waits for it. A failed fill only leaves entries unmade.
   */
  fillLater(fill: () => Promise<void>): void {
    const prev = this.filling ?? Promise.resolve();
    const p: Promise<void> = prev
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(fill)
      .catch(() => undefined)
      .finally(() => {
        if (this.filling === p) this.filling = undefined;
      });
    this.filling = p;
  }

  /** The background fill under way, if any (a search waits for it rather than read the same files). */
  fillDone(): Promise<void> | undefined {
    return this.filling;
  }

  /**
   * What `compute` made of the folder `dir` (its listing, the files in it) the last time, while
   * the folder's watch has had no event since (a file in it added, removed or rewritten bumps
   * it) and this process has not just written; otherwise `compute()` anew. Kept only when a
   * live watch covered `dir` before compute() read it and compute() says `keep` (it read no
   * sub-folder, which the folder's watch does not see, and met no error to report again).
   * Without a watch nothing is kept: there is no stat of a folder that shows a file rewritten.
   */
  folder<T>(dir: string, kind: string, compute: () => { value: T; keep: boolean }): T {
    const key = `${kind}\0${dir}`;
    const w = this.watches?.watch(dir);
    const e = this.folders.get(key);
    if (e && w && this.quiet && e.watch === w && w.alive && e.gen === w.gen) {
      this.hits++;
      this.watchHits++;
      return e.value as T;
    }
    const gen = w?.gen ?? 0;
    const wasQuiet = this.quiet;
    const { value, keep } = compute();
    if (w && keep && wasQuiet) {
      if (this.folders.size >= MAX_ENTRIES) this.folders.clear();
      this.folders.set(key, { watch: w, gen, value });
    } else this.folders.delete(key);
    return value;
  }

  /** folder()'s kept value for `dir` when it is still good, without computing anything. */
  folderHit<T>(dir: string, kind: string): T | undefined {
    const w = this.watches?.watch(dir);
    const e = this.folders.get(`${kind}\0${dir}`);
    if (e && w && this.quiet && e.watch === w && w.alive && e.gen === w.gen) {
      this.hits++;
      this.watchHits++;
      return e.value as T;
    }
    return undefined;
  }

  /**
   * This process has just written into the store: the inotify events of that write are
   * queued in the kernel but not read yet (the loop reads them in its next poll phase), so
   * watches are not trusted — files are checked by stat — until two loop turns later.
   */
  noteWrite(): void {
    if (!this.watches) return;
    this.quiet = false;
    const n = ++this.writes;
    setImmediate(() =>
      setImmediate(() => {
        if (this.writes === n) this.quiet = true;
      }),
    );
  }

  /** A folder about to be listed or read from: tainted unless a watch covers it. */
  track(dir: string): void {
    if (this.watches && !this.watches.covers(dir)) this.tainted++;
  }

  /** A read no watch covers (a folder walked recursively, a rare fallback). */
  taint(): void {
    this.tainted++;
  }

  /**
   * `compute()`'s last answer for `key` when nothing it read can have changed since: every
   * file and folder it read was covered by a watch (through() and track(), no taint()), no
   * watched folder has had an event since, and this process has not written meanwhile.
   * Without watches, always `compute()`. `compute` must read the store only through this
   * cache's tracked paths (FileStore does, for experiments and run searches).
   */
  async memo<T>(key: string, compute: () => Promise<T>, opts: { settle?: boolean } = {}): Promise<T> {
    const w = this.watches;
    if (!w) return compute();
    // only at a request's first memo: the watches the previous requests asked for, not those this one queued
    if (opts.settle) w.settle();
    const hit = this.memos.get(key);
    if (hit && this.quiet && hit.changes === w.changes) {
      this.memoHits++;
      return hit.value as T;
    }
    const changes = w.changes;
    const tainted = this.tainted;
    const wasQuiet = this.quiet;
    const value = await compute();
    if (wasQuiet && this.quiet && changes === w.changes && tainted === this.tainted) {
      if (this.memos.size >= MAX_MEMOS) this.memos.delete(this.memos.keys().next().value!);
      this.memos.set(key, { changes, value });
    } else this.memos.delete(key);
    return value;
  }

  /**
   * `check()` (which throws when `dir` is not usable as it is), skipped while `dir` holds
   * the entries it last passed with: a long-running process opening its store per request
   * checks the root again only once an entry in it was added, removed or renamed.
   *
   * The folder's stat signature says so for the price of a stat. Where it has moved, or is
   * too young to trust (changed less than RACY_MS before: a change within the same
   * timestamp tick would not show), the folder is listed: the same names and kinds as at the
   * last check that passed, without the store lock's files (`.mlr-lock`, its stale copies,
   * `.mlr-tmp-*`: every locked write creates and removes them, so the root's signature of a
   * store being written to is never old, issue 15), skip the check too. A folder holding
   * `meta.yaml` is always checked (a file renamed over another keeps the names).
   */
  checkedDir(key: string, dir: string, check: () => void): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    const sig = st?.isDirectory() ? `${st.ino} ${st.mtimeMs} ${st.ctimeMs}` : undefined;
    const last = this.checked.get(key);
    if (sig !== undefined && last?.sig === sig) return;
    const stable = st !== undefined && this.now() - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS;
    // listed before the check, so what the check saw is at least as new as the listing
    const names = sig !== undefined ? entryNames(dir) : undefined;
    if (last && names !== undefined && last.ino === st!.ino && last.names === names) {
      last.sig = stable ? sig : undefined;
      return;
    }
    this.checked.delete(key);
    check();
    if (st && sig !== undefined && names !== undefined) this.checked.set(key, { ino: st.ino, sig: stable ? sig : undefined, names });
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * A folder's entries as one string (names and whether each is a folder, sorted), without
 * the store lock's files; undefined when it cannot be listed or holds a `meta.yaml`.
 */
function entryNames(dir: string): string | undefined {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const e of ents) {
    const n = e.name;
    if (n === 'meta.yaml') return undefined;
    if (n === LOCK_NAME || n.startsWith(TEMP_PREFIX) || n.startsWith(`${LOCK_NAME}.stale-`)) continue;
    out.push(`${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'}${n}`);
  }
  return out.sort().join('\0');
}
