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

/** Run `fn` while holding `<dir>/.mlr-lock`; throws StateError after `timeoutMs`. */
export function withLock<T>(dir: string, fn: () => T, opts: LockOptions = {}): T {
  const lockPath = `${dir}/${LOCK_NAME}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  // below timeoutMs, so a lock nobody can vouch for is broken before a waiter gives up
  const staleMs = opts.staleMs ?? 10_000;
  const me = `${process.pid}\n${hostname()}\n${Date.now()}-${randomBytes(4).toString('hex')}\n`;
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    if (createExclusive(lockPath, me, { durable: false })) break;
    tryBreakStale(lockPath, staleMs);
    if (Date.now() > deadline) {
      let owner = '';
      try {
        owner = readFileSync(lockPath, 'utf8').split('\n')[0] ?? '';
      } catch {
        // ignore
      }
      throw new StateError(
        `the store is locked by another mlr process${owner ? ` (pid ${owner})` : ''}: ${lockPath}. ` + 'If no mlr command is running, delete that file.',
        'locked',
      );
    }
    sleepMs(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return fn();
  } finally {
    try {
      if (readFileSync(lockPath, 'utf8') === me) unlinkSync(lockPath);
    } catch {
      // already broken by someone who thought it stale
    }
  }
}
