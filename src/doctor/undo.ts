/**
 * `mlr doctor --undo <backup>`: put back exactly what a `--fix` changed, newest action
 * first. Refuses, changing nothing, when a file the fix wrote has changed since (a run kept
 * logging, someone edited it): undoing then would lose that newer data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlrError, NotFoundError, StateError } from '../errors.js';
import { withLock } from '../store/file/lock.js';
import { atomicCopyFile, fsyncDir } from '../store/file/atomic.js';
import { describeFsError } from '../store/file/fsread.js';
import { DONE_LOG, MANIFEST, moveEntry, sha256File, tempDirFor, writeManifest, type Manifest, type ManifestAction } from './apply.js';
import { linkOnPath, present } from './locations.js';

/** Index of each action the undo has put back (so a stopped undo can resume). */
const UNDONE_LOG = 'undone.log';

export interface UndoResult {
  store: string;
  undone: ManifestAction[];
}

/** Read a backup's manifest (exit 1 with a clear message when it is not one). */
function readManifest(backupDir: string): Manifest {
  const file = path.join(backupDir, MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new NotFoundError(`${backupDir} is not an mlr doctor backup: it has no ${MANIFEST}`, 'backup-not-found');
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new MlrError(`${file} is not valid JSON`, 'backup-corrupt', 1);
  }
  if (m.mlr_doctor_backup !== 1 || !Array.isArray(m.actions) || typeof m.store !== 'string') {
    throw new MlrError(`${file} is not an mlr doctor manifest`, 'backup-corrupt', 1);
  }
  return m;
}

/** Indices of actions listed in a log (the fix's done.log, the undo's undone.log). */
function loggedActions(backupDir: string, m: Manifest, log: string): number[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(backupDir, log), 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<number>();
  for (const line of text.split('\n')) {
    const i = Number(line);
    if (line !== '' && Number.isInteger(i) && i >= 0 && i < m.actions.length) seen.add(i);
  }
  return [...seen].sort((a, b) => a - b);
}

function hashOf(file: string): string | undefined {
  try {
    return sha256File(file);
  } catch {
    return undefined;
  }
}

/** Why an action cannot be undone safely, or undefined. */
function conflict(root: string, a: ManifestAction, backupDir: string): string | undefined {
  for (const rel of a.action === 'move' ? [a.from, a.to] : [a.path]) {
    const link = linkOnPath(root, path.join(root, rel));
    if (link !== undefined) return `${rel} is now reached through the symlink ${link}`;
  }
  switch (a.action) {
    case 'move-out':
      if (present(path.join(root, a.path))) return `${a.path} exists again in the store`;
      if (!present(path.join(backupDir, a.backup))) return `${a.backup} is missing from the backup`;
      return undefined;
    case 'replace':
    case 'create':
      if (hashOf(path.join(root, a.path)) !== a.sha256_after) return `${a.path} changed after the fix`;
      if (a.action === 'replace' && !fs.existsSync(path.join(backupDir, a.backup))) return `${a.backup} is missing from the backup`;
      if (a.action === 'replace' && a.symlink === undefined && hashOf(path.join(backupDir, a.backup)) !== a.sha256_before)
        return `${a.backup} in the backup no longer holds the original bytes`;
      return undefined;
    case 'rewrite-metric': {
      const h = hashOf(path.join(root, a.path));
      if (a.sha256_after === null ? h !== undefined : h !== a.sha256_after) return `${a.path} changed after the fix`;
      if (!fs.existsSync(path.join(backupDir, a.backup))) return `${a.backup} is missing from the backup`;
      return undefined;
    }
    case 'move':
      if (!fs.existsSync(path.join(root, a.to))) return `${a.to} is gone`;
      if (fs.existsSync(path.join(root, a.from))) return `${a.from} exists again`;
      return undefined;
  }
}

/** What an undone action did not put back as it was, or undefined. */
function notRestored(root: string, a: ManifestAction): string | undefined {
  switch (a.action) {
    case 'move-out':
      return present(path.join(root, a.path)) ? undefined : `${a.path} is not back in the store`;
    case 'replace':
    case 'rewrite-metric': {
      const file = path.join(root, a.path);
      if (a.symlink !== undefined) {
        let now: string | undefined;
        try {
          now = fs.readlinkSync(file);
        } catch {
          now = undefined;
        }
        return now === a.symlink ? undefined : `${a.path} is not the symlink to '${a.symlink}' it was`;
      }
      return hashOf(file) === a.sha256_before ? undefined : `${a.path} does not hold its original bytes`;
    }
    case 'create':
      return present(path.join(root, a.path)) ? `${a.path} is still there` : undefined;
    case 'move':
      return present(path.join(root, a.from)) && !present(path.join(root, a.to)) ? undefined : `${a.from} is not back in place of ${a.to}`;
  }
}

/** Put a symlink back at `target` (replacing what is there in one rename). */
function restoreLink(target: string, link: string): void {
  const tmp = path.join(path.dirname(target), `.mlr-tmp-link-${process.pid}-${Date.now()}`);
  fs.symlinkSync(link, tmp);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(target));
}

/** Restore a file from the backup copy, with the copy's permission bits. */
function restoreFile(target: string, copy: string): void {
  // copied by the kernel, never held whole (a metric file can be larger than memory allows)
  atomicCopyFile(target, copy, { tempDir: tempDirFor(target) });
}

/**
 * Undo the fix recorded in `backupDir`. `root` overrides the store path recorded in the
 * manifest (the store was moved since).
 */
export function undoFix(backupDir: string, root?: string): UndoResult {
  const dir = path.resolve(backupDir);
  const m = readManifest(dir);
  if (m.undone_at) throw new StateError(`the fix in ${dir} was already undone at ${m.undone_at}`, 'already-undone');
  const store = path.resolve(root ?? m.store);
  if (!fs.existsSync(store)) throw new NotFoundError(`the store ${store} recorded in the backup does not exist (give it with --store)`, 'store-not-found');
  // an undo that stopped half-way (a permission error…) resumes where it stopped
  const undoneBefore = new Set(loggedActions(dir, m, UNDONE_LOG));
  const done = loggedActions(dir, m, DONE_LOG).filter((i) => !undoneBefore.has(i));
  // a file edited and then moved with its folder (a misplaced run) is checked where it is now
  const whereNow = (rel: string, i: number): string => {
    for (const j of done) {
      const b = m.actions[j]!;
      if (j > i && b.action === 'move' && (rel === b.from || rel.startsWith(b.from + '/'))) rel = b.to + rel.slice(b.from.length);
    }
    return rel;
  };
  const problems = done
    .map((i) => {
      const a = m.actions[i]!;
      return conflict(store, 'path' in a ? { ...a, path: whereNow(a.path, i) } : a, dir);
    })
    .filter((x): x is string => x !== undefined);
  if (problems.length > 0) {
    const list = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    throw new StateError(`cannot undo safely, nothing was changed: ${list}`, 'undo-conflict');
  }
  return withLock(store, () => {
    const undone: ManifestAction[] = [];
    const log = fs.openSync(path.join(dir, UNDONE_LOG), 'a');
    try {
      for (const i of [...done].reverse()) {
        const a = m.actions[i]!;
        try {
          undoOne(store, dir, a);
        } catch (e) {
          const where = 'path' in a ? a.path : a.from;
          throw new MlrError(
            `cannot put back ${where}: ${describeFsError(e as NodeJS.ErrnoException)}. ${undone.length} of ${done.length} changes were put back; fix the cause and run the same --undo again to finish`,
            'undo-failed',
            1,
          );
        }
        fs.writeSync(log, `${i}\n`);
        undone.push(a);
      }
    } finally {
      fs.closeSync(log);
    }
    writeManifest(dir, { ...m, undone_at: new Date().toISOString() });
    // say so when the store is not back as it was (never a silent partial undo)
    const off = done.map((i) => notRestored(store, m.actions[i]!)).filter((x): x is string => x !== undefined);
    if (off.length > 0) {
      const list = off.slice(0, 5).join('; ') + (off.length > 5 ? `; and ${off.length - 5} more` : '');
      throw new MlrError(`undid ${undone.length} changes in ${store}, but not everything is back as it was: ${list}`, 'undo-incomplete', 1);
    }
    return { store, undone };
  });
}

function undoOne(store: string, dir: string, a: ManifestAction): void {
  switch (a.action) {
    case 'move-out':
      moveEntry(path.join(dir, a.backup), path.join(store, a.path));
      break;
    case 'replace':
    case 'rewrite-metric':
      if (a.symlink !== undefined) restoreLink(path.join(store, a.path), a.symlink);
      else restoreFile(path.join(store, a.path), path.join(dir, a.backup));
      break;
    case 'create': {
      const file = path.join(store, a.path);
      fs.unlinkSync(file);
      fsyncDir(path.dirname(file));
      break;
    }
    case 'move':
      fs.renameSync(path.join(store, a.to), path.join(store, a.from));
      fsyncDir(path.dirname(path.join(store, a.from)));
      break;
  }
}
