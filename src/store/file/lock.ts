/**
 * A short-lived exclusive lock between mlr processes, used where a check-then-create must
 * not race (two `mlr experiments create same-name` → one experiment).
 *
 * The lock is a plain file in the store root (`<root>/.mlr-lock`):
 * MLflow ignores stray files at the root, and nothing mlr keeps is ever a folder there.
 * A lock whose owner is dead (same host, pid gone) is broken at once; one whose owner cannot
 * be checked (another host, or no owner line) is broken once older than `staleMs`.
 *
 * The lock is published with its content already in it (write.ts createExclusive: a
 * `.mlr-tmp-*` file hard-linked into place, O_EXCL where there are no hard links), without
 * fsync: a lock means nothing after a crash. A holder killed at any instant therefore
 * leaves either no lock or a lock naming a dead pid, never an empty one that only age could
 * break.
 */
import { readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { StateError } from '../../errors.js';
import { createExclusive } from './atomic.js';

export const LOCK_NAME = '.mlr-lock';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function ownerState(text: string): 'alive' | 'dead' | 'unknown' {
  const [pidText, host] = text.split('\n');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return 'unknown';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'alive';
  }
}

function tryBreakStale(lockPath: string, staleMs: number): void {
  let text: string;
  let mtime: number;
  try {
    text = readFileSync(lockPath, 'utf8');
    mtime = statSync(lockPath).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  // a lock file is written in one small write right after creation; an empty one that is
  // young may be mid-creation, so only age breaks it
  // a live owner on this host is never broken by age (doctor --fix and gc may hold the lock
  // for a long time); age only breaks locks of other hosts and empty ones
  const owner = ownerState(text);
  if (owner === 'alive') return;
  if (owner !== 'dead' && Date.now() - mtime < staleMs) return;
  // rename first so two processes cannot both break the same lock and then both create one
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return;
  }
  try {
    const again = readFileSync(aside, 'utf8');
    if (again !== text) {
      // we moved a fresh lock taken after our check: put it back if the name is still free
      try {
        renameSync(aside, lockPath);
        return;
      } catch {
        // fall through and drop it
      }
    }
  } catch {
    // ignore
  }
  try {
    unlinkSync(aside);
  } catch {
    // ignore
  }
}

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

/**
 * Lock files this process holds through withLockAsync while its (synchronous) section runs:
 * a withLock inside that section (StoreWriter and the registry writers lock for themselves)
 * runs at once instead of waiting for a lock its own process holds.
 */
const held = new Set<string>();
/** per lock file, the last of this process's withLockAsync callers in line (FIFO) */
const queues = new Map<string, Promise<void>>();

interface Attempt {
  lockPath: string;
  me: string;
  deadline: number;
  staleMs: number;
  /** the next pause before trying again, ms */
  wait: number;
}

function attempt(dir: string, opts: LockOptions): Attempt {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return {
    lockPath: `${dir}/${LOCK_NAME}`,
    me: `${process.pid}\n${hostname()}\n${Date.now()}-${randomBytes(4).toString('hex')}\n`,
    deadline: Date.now() + timeoutMs,
    // below timeoutMs, so a lock nobody can vouch for is broken before a waiter gives up
    staleMs: opts.staleMs ?? 10_000,
    wait: 2,
  };
}

/**
 * One try: true when the lock is ours; otherwise a stale lock is broken (for the next try)
 * and the pause before it returned, or StateError once past the deadline.
 */
function tryOnce(a: Attempt): number | true {
  if (createExclusive(a.lockPath, a.me, { durable: false })) return true;
  tryBreakStale(a.lockPath, a.staleMs);
  if (Date.now() > a.deadline) {
    let owner = '';
    try {
      owner = readFileSync(a.lockPath, 'utf8').split('\n')[0] ?? '';
    } catch {
      // ignore
    }
    throw new StateError(
      `the store is locked by another mlr process${owner ? ` (pid ${owner})` : ''}: ${a.lockPath}. ` + 'If no mlr command is running, delete that file.',
      'locked',
    );
  }
  const pause = a.wait + Math.random() * a.wait;
  a.wait = Math.min(a.wait * 2, 50);
  return pause;
}

function release(a: Attempt): void {
  try {
    if (readFileSync(a.lockPath, 'utf8') === a.me) unlinkSync(a.lockPath);
  } catch {
    // already broken by someone who thought it stale
  }
}

/** `fn()` while `a` is held: marked held for this process's nested withLock calls, released after. */
function holding<T>(a: Attempt, fn: () => T): T {
  held.add(a.lockPath);
  try {
    return fn();
  } finally {
    held.delete(a.lockPath);
    release(a);
  }
}

/**
 * Run `fn` while holding `<dir>/.mlr-lock`; throws StateError after `timeoutMs`. Waits by
 * sleeping the thread: for one-shot commands. A long-running process (`mlr server`) uses
 * withLockAsync, which takes the same lock file without blocking its event loop.
 */
export function withLock<T>(dir: string, fn: () => T, opts: LockOptions = {}): T {
  const a = attempt(dir, opts);
  // inside this process's own withLockAsync section: the lock is already ours
  if (held.has(a.lockPath)) return fn();
  for (;;) {
    const r = tryOnce(a);
    if (r === true) break;
    sleepMs(r);
  }
  return holding(a, fn);
}

/**
 * withLock for a long-running process: the same lock file, taken with the same protocol (so
 * it excludes the CLI's withLock and other processes), but waited for with timers, so the
 * event loop keeps serving meanwhile. Callers in one process queue in order and only the
 * first in line tries the file. `fn` must be synchronous: the lock is released when it
 * returns, and every withLock it calls runs at once (the lock is already held).
 */
export async function withLockAsync<T>(dir: string, fn: () => T, opts: LockOptions = {}): Promise<T> {
  const lockPath = `${dir}/${LOCK_NAME}`;
  const before = queues.get(lockPath);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  queues.set(lockPath, mine);
  try {
    await before;
    const a = attempt(dir, opts);
    for (;;) {
      const r = tryOnce(a);
      if (r === true) break;
      await new Promise((resolve) => setTimeout(resolve, r));
    }
    return holding(a, fn);
  } finally {
    if (queues.get(lockPath) === mine) queues.delete(lockPath);
    done();
  }
}
