/**
 * Change notification for the parse cache (cache.ts) of a long-running process: an inotify
 * watch (fs.watch) on each folder whose files the cache holds, so that an unchanged file
 * costs a Map lookup instead of a stat — 20,000 stats are ~0.5 s on a loaded machine.
 *
 * A folder is watched only when every folder above it, up to the store's root, is watched
 * too, so a folder moved, deleted or replaced under any of its ancestors is noticed:
 *
 * - "change" in a folder (a file in it written, its attributes changed): the folder's
 *   generation goes up, and every cache entry taken at an older generation is checked by
 *   stat again (cache.ts).
 * - "rename" in a folder (an entry created, deleted or renamed): the watch of the child of
 *   that name, and everything under it, is dropped; so is the folder's own watch when the
 *   event may be about the folder itself (a self-move or self-delete names the folder).
 * - a watch that errors is dropped with everything under it.
 *
 * A dropped watch is re-created on the next read, which then validates by stat.
 *
 * An event is seen only once the event loop has read it: a reader must let the loop turn
 * once (`await drain()`) after the request that asks arrived and before it trusts a watch,
 * so that a change finished before the request was sent is known by then (the kernel
 * queued its event before the request's bytes arrived; libuv reads every ready descriptor
 * in one poll phase, and setImmediate runs after it).
 *
 * The kernel's event queue is bounded (fs.inotify.max_queued_events): when it overflows,
 * events are lost silently (libuv drops IN_Q_OVERFLOW). An overflow can only happen to a
 * queue that filled up, and libuv reads a queue to the end in one go, so a burst of at
 * least half that many events between two loop turns drops every watch: the next reads
 * validate by stat. Where watches cannot be made (the per-user limit, a file system without
 * inotify) the cache validates by stat, as it did before.
 */
import fs from 'node:fs';
import path from 'node:path';

export class Watch {
  readonly dir: string;
  /** bumped on every change in the folder */
  gen = 0;
  alive = true;
  readonly children = new Map<string, Watch>();
  readonly parent: Watch | undefined;
  watcher: fs.FSWatcher | undefined;

  constructor(dir: string, parent: Watch | undefined) {
    this.dir = dir;
    this.parent = parent;
  }
}

/** ms spent making watches per loop turn in the background */
const TURN_MS = 10;

function queueLimit(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : 16384;
  } catch {
    return 16384;
  }
}

export class WatchTree {
  readonly root: string;
  /** the root with a separator after it: what a folder under it starts with */
  private readonly rootSlash: string;
  private readonly watches = new Map<string, Watch>();
  /** no new watches until some are freed (the per-user limit was hit) */
  private full = false;
  /** watches could not be made at all here (no inotify): stop trying */
  private unsupported = false;
  private burst = 0;
  private burstReset = false;
  private readonly burstLimit: number;
  /** bumped by every event and every dropped watch: unchanged means nothing watched changed */
  changes = 0;
  /** events seen / times every watch was dropped after a burst (for tests) */
  events = 0;
  overflows = 0;

  /** `burstLimit`: events in one loop turn taken as a lost-event overflow (default half the kernel's queue) */
  constructor(root: string, opts: { burstLimit?: number } = {}) {
    const norm = path.normalize(root);
    this.root = norm.length > 1 && norm.endsWith(path.sep) ? norm.slice(0, -1) : norm;
    this.rootSlash = this.root + path.sep;
    this.burstLimit = opts.burstLimit ?? Math.max(64, Math.floor(queueLimit() / 2));
  }

  get size(): number {
    return this.watches.size;
  }

  /**
   * The live watch of `dir`, or undefined when it has none yet: then one is made soon (with
   * its ancestors'), in the background for TURN_MS per loop turn, the rest when the next
   * search starts (settle) — 20,000 watches take ~0.5 s of CPU, which the first request,
   * the one that finds the folders, should not pay on top of reading them.
   */
  watch(dir: string): Watch | undefined {
    const have = this.watches.get(dir);
    if (have) return have;
    if (this.unsupported || this.full) return undefined;
    if (dir !== this.root && !dir.startsWith(this.rootSlash)) return undefined;
    this.pending.add(dir);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => this.pump());
    }
    return undefined;
  }

  private pending = new Set<string>();
  private pumping = false;

  private pump(): void {
    const until = performance.now() + TURN_MS;
    for (const dir of this.pending) {
      this.pending.delete(dir);
      this.make(dir);
      if (performance.now() > until || this.full || this.unsupported) break;
    }
    if (this.unsupported) this.pending.clear();
    if (this.pending.size > 0 && !this.full) setImmediate(() => this.pump());
    else {
      this.pending.clear();
      this.pumping = false;
    }
  }

  /** Make the watch of `dir` now (its parent's first), unless there is one. */
  private make(dir: string): Watch | undefined {
    const have = this.watches.get(dir);
    if (have) return have;
    if (this.unsupported || this.full) return undefined;
    let parent: Watch | undefined;
    if (dir !== this.root) {
      if (!dir.startsWith(this.rootSlash)) return undefined;
      parent = this.make(path.dirname(dir));
      if (!parent) return undefined;
    }
    const w = new Watch(dir, parent);
    try {
      w.watcher = fs.watch(dir, { persistent: false }, (event, name) => this.onEvent(w, event, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') this.full = true;
      else if (code === 'ENOSYS' || code === 'EPERM' || code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') this.unsupported = true;
      return undefined;
    }
    w.watcher.on('error', () => this.drop(w));
    this.watches.set(dir, w);
    parent?.children.set(path.basename(dir), w);
    return w;
  }

  /** Make every pending watch now (before a search that would otherwise validate by stat). */
  settle(): void {
    for (const dir of this.pending) this.make(dir);
    this.pending.clear();
  }

  private onEvent(w: Watch, event: string, name: string | Buffer | null): void {
    if (!w.alive) return;
    this.events++;
    this.changes++;
    if (++this.burst >= this.burstLimit) {
      this.overflows++;
      this.dropAll();
      return;
    }
    if (!this.burstReset) {
      this.burstReset = true;
      setImmediate(() => {
        this.burst = 0;
        this.burstReset = false;
      });
    }
    w.gen++;
    if (event !== 'rename') return;
    const n = name === null ? null : String(name);
    if (n === null || n === path.basename(w.dir)) {
      this.drop(w);
      return;
    }
    const child = w.children.get(n);
    if (child) this.drop(child);
  }

  /** Stop watching `w` and everything under it. */
  drop(w: Watch): void {
    if (!w.alive) return;
    w.alive = false;
    this.changes++;
    for (const c of w.children.values()) this.drop(c);
    w.children.clear();
    try {
      w.watcher?.close();
    } catch {
      // already closed
    }
    if (this.watches.get(w.dir) === w) this.watches.delete(w.dir);
    if (w.parent?.children.get(path.basename(w.dir)) === w) w.parent.children.delete(path.basename(w.dir));
    this.full = false;
  }

  /**
   * Whether what is in `dir` now, and any change to it from now on, is seen: `dir` is
   * watched, or it does not exist and its parent is watched (its creation would be an event
   * there; the parent's watch is checked before the existence).
   */
  covers(dir: string): boolean {
    if (this.watch(dir)) return true;
    if (dir === this.root || !this.watches.has(path.dirname(dir))) return false;
    if (fs.existsSync(dir)) return false;
    this.pending.delete(dir);
    return true;
  }

  dropAll(): void {
    const top = this.watches.get(this.root);
    if (top) this.drop(top);
    for (const w of [...this.watches.values()]) this.drop(w);
  }
}

/** Let the event loop read what the kernel has queued (see the module comment). */
export function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
