/**
 * Copying artifacts, into a run (`log-artifact`, uploads) and out of it (`artifacts get`):
 * one engine for both. It copies bytes, never links: a symlink in the source is followed
 * (MLflow copies the file it points to, so deleting the original cannot lose the artifact),
 * folders are walked once each (no cycles). It never writes through a link: every folder
 * on the way to a destination file, from `root` down, must be a real folder, and an
 * existing destination must be a regular file — otherwise a link planted inside the
 * artifacts could make a write land outside them. Each file is written to a temporary name
 * beside it and renamed into place, so a killed copy leaves no half-written file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { TEMP_PREFIX } from '../file/atomic.js';

export interface CopyOptions {
  /** the folder nothing may be written outside of (the run's artifact root, the --out folder) */
  root: string;
  /** replace existing files (uploads, as MLflow does) or refuse before copying anything (downloads) */
  overwrite: boolean;
  /** what to do about it, in the refusal: `{it}` is "it" or "them" (default "remove {it} first") */
  hint?: string;
}

interface Step {
  from: string;
  to: string;
  dir: boolean;
}

/** The destination folders from `root` (exclusive) to `dir` (inclusive) that exist: each must be a real folder. */
function checkNoLinks(root: string, target: string): void {
  const rel = path.relative(root, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UsageError(`refusing to write ${target}: it is outside ${root}`, 'artifact-path-escapes');
  }
  let cur = root;
  for (const seg of rel.split(path.sep).filter((s) => s !== '')) {
    cur = path.join(cur, seg);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return; // from here on nothing exists yet: it will be created as real folders
    }
    if (st.isSymbolicLink()) {
      throw new UsageError(`refusing to write through the symbolic link ${cur} (it could point outside the artifacts)`, 'artifact-symlink');
    }
    if (cur !== target && !st.isDirectory()) throw new UsageError(`cannot write ${target}: ${cur} is a file, not a folder`, 'artifact-not-folder');
  }
}

/** Plan the copy of `src` (a file or folder) to `dest`: folders before their contents, names sorted. */
function plan(src: string, dest: string): Step[] {
  const steps: Step[] = [];
  const seen = new Set<string>();
  const walk = (from: string, to: string): void => {
    const st = fs.statSync(from); // follows links: the bytes are copied, not the link
    if (st.isDirectory()) {
      const real = fs.realpathSync(from);
      if (seen.has(real)) return;
      seen.add(real);
      steps.push({ from, to, dir: true });
      for (const name of fs.readdirSync(from).sort()) walk(path.join(from, name), path.join(to, name));
    } else if (st.isFile()) {
      steps.push({ from, to, dir: false });
    } else {
      throw new UsageError(`${from} is neither a file nor a folder`, 'artifact-not-file');
    }
  };
  walk(src, dest);
  return steps;
}

/**
 * Copy a file or folder to `dest` inside `opts.root`; returns the number of files copied.
 * UsageError when the source is missing, a destination is a link or leaves the root, or
 * (without overwrite) a destination file exists — then nothing has been copied.
 */
export function copyArtifactTree(src: string, dest: string, opts: CopyOptions): number {
  let steps: Step[];
  try {
    steps = plan(src, dest);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(
      err.code === 'ENOENT' ? `no such file or folder: ${src}` : `cannot read ${err.path ?? src}: ${err.code ?? err.message}`,
      'artifact-not-found',
    );
  }
  const conflicts: string[] = [];
  for (const s of steps) {
    checkNoLinks(opts.root, s.to);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(s.to);
    } catch {
      st = undefined;
    }
    if (!st) continue;
    if (s.dir ? !st.isDirectory() : !st.isFile()) conflicts.push(s.to);
    else if (!s.dir && !opts.overwrite) conflicts.push(s.to);
  }
  if (conflicts.length > 0) {
    const hint = (opts.hint ?? 'remove {it} first').replace('{it}', conflicts.length === 1 ? 'it' : 'them');
    throw new UsageError(
      conflicts.length === 1
        ? `refusing to overwrite ${conflicts[0]}: ${hint}`
        : `refusing to overwrite ${conflicts.length} existing files (${conflicts.slice(0, 3).join(', ')}${conflicts.length > 3 ? ', …' : ''}): ${hint}`,
      'destination-exists',
    );
  }
  let files = 0;
  for (const s of steps) {
    if (s.dir) {
      fs.mkdirSync(s.to, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(s.to), { recursive: true });
    const tmp = path.join(path.dirname(s.to), `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      fs.copyFileSync(s.from, tmp, fs.constants.COPYFILE_EXCL);
      const st = fs.statSync(s.from);
      fs.utimesSync(tmp, st.atime, st.mtime);
      if (opts.overwrite) fs.renameSync(tmp, s.to);
      else publishExclusive(tmp, s.to);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    files++;
  }
  return files;
}

/** Rename `tmp` to `to` unless `to` exists (a hard link fails on an existing name; where links are missing, check then rename). */
function publishExclusive(tmp: string, to: string): void {
  try {
    fs.linkSync(tmp, to);
    fs.unlinkSync(tmp);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`refusing to overwrite ${to}: it appeared while copying`, 'destination-exists');
  }
  if (fs.existsSync(to)) throw new UsageError(`refusing to overwrite ${to}: it appeared while copying`, 'destination-exists');
  fs.renameSync(tmp, to);
}
