/**
 * Filesystem primitives for writing the store safely. No parsing here; callers build the
 * bytes (dumpYaml, metric lines) and pick the paths.
 *
 * - atomicWriteFile: temp file + fsync + rename + directory fsync, so a crash leaves the
 *   old file or the new one, never an empty or half-written one. MLflow rewrites run
 *   meta.yaml in place, which is how users end up with empty meta.yaml files.
 * - appendLine: one write() on an O_APPEND descriptor, so concurrent writers never tear
 *   or lose lines (no read-modify-write).
 * - createExclusive: publish a complete file under a name only if the name is free.
 *
 * Temp files are named `.mlr-tmp-*` and must never sit where MLflow reads every file as
 * data: inside `params/`, `tags/` or `metrics/` a stray file becomes a key (and a
 * `.mlr-tmp-…` name even fails key validation, breaking the whole run for MLflow). Callers
 * writing there pass `tempDir` = the run (or experiment) directory, where MLflow ignores
 * stray files, and the rename crosses into the sub-folder on the same filesystem.
 */
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fsync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlink,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const TEMP_PREFIX = '.mlr-tmp-';

/**
 * The next temp name's 48-bit number: random at the first, then counting up, so that a
 * process never names two temp files alike (and other processes differ by pid) without
 * asking for random bytes per file (a sync of 1,000 runs creates ~20,000 files).
 */
let tempSeq = -1;

function tempPath(dir: string): string {
  if (tempSeq < 0) tempSeq = randomBytes(6).readUIntBE(0, 6);
  tempSeq = (tempSeq + 1) % 2 ** 48;
  return `${dir}${path.sep}${TEMP_PREFIX}${process.pid}-${tempSeq.toString(16).padStart(12, '0')}`;
}

/** Write all of `buf` to a descriptor (short writes are continued). */
export function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Durability per request instead of per file (issue 15): inside `deferSyncs(fn)` the
 * fsyncs that atomicWriteFile, createExclusive and publishTemp would make are not made but
 * noted (the published files and their folders), and the caller makes them all at once,
 * concurrently, before answering (flushSyncs). Each file is still written whole under a
 * temp name and renamed (or linked) into place, so no reader ever sees a partial file; what
 * moves is the moment the bytes reach the disk: a crash before the flush, while the request
 * is still unanswered, may lose the request's files (a file system without rename ordering
 * may keep a new name with no bytes yet, which `mlr doctor` reports). MLflow's file store
 * never fsyncs at all. A log-batch of 30 tags costs 2–3 fsyncs in flight at once, not 60.
 */
export interface PendingSyncs {
  files: Set<string>;
  dirs: Set<string>;
  /**
   * descriptors of temp files written in the scope, left open for their fsync (an fsync by
   * name opens each file again: a sync of 1,000 runs spent ~1 s of the server in those
   * opens); closed by flushSyncs, or by deferSyncs when the scope throws
   */
  fds: number[];
  /**
   * second names of files replaced in the scope (atomicWriteFile over an existing file), to
   * unlink in the thread pool: the replaced file's last name going away frees its blocks,
   * which on a disk file system waits ~0.3–1 ms for the journal (a file once fsynced), on the
   * event loop when rename() itself drops the last name (issue 15)
   */
  unlinks: string[];
}

/** Descriptors one scope keeps open for flushSyncs; past that, files are fsynced by name. */
const MAX_KEPT_FDS = 256;

let pending: PendingSyncs | undefined;

/** Run the synchronous `fn` with its fsyncs deferred (see PendingSyncs); nested scopes share the outer one. */
export function deferSyncs<T>(fn: () => T): { value: T; syncs: PendingSyncs } {
  if (pending) return { value: fn(), syncs: { files: new Set(), dirs: new Set(), fds: [], unlinks: [] } };
  const mine: PendingSyncs = { files: new Set(), dirs: new Set(), fds: [], unlinks: [] };
  pending = mine;
  try {
    return { value: fn(), syncs: mine };
  } catch (e) {
    for (const fd of mine.fds.splice(0)) closeQuietly(fd);
    for (const p of mine.unlinks.splice(0)) safeUnlink(p);
    throw e;
  } finally {
    pending = undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

/**
 * fsync an open descriptor in the thread pool, then close it (closed whatever the fsync
 * says; an error `ignorable` accepts is none). Only the fsync waits for the disk: the close
 * is made on the event loop, where it costs less than handing it to the pool (each
 * hand-over wakes a thread; on tmpfs those hand-overs were most of a sync's fsync cost).
 */
function fsyncAndClose(fd: number, ignorable: (e: NodeJS.ErrnoException) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (e) => {
      closeQuietly(fd);
      if (e && !ignorable(e)) reject(e);
      else resolve();
    });
  });
}

/** fsync a kept temp file's descriptor, then close it; a platform that cannot fsync it is no error. */
function fsyncFd(fd: number): Promise<void> {
  return fsyncAndClose(fd, (e) => ['EINVAL', 'EPERM'].includes(e.code ?? ''));
}

/** fsync by name: opened here (a path lookup), fsynced in the thread pool (callbacks: a FileHandle costs the event loop more). */
function fsyncPath(p: string): Promise<void> {
  // gone meanwhile (a later write replaced it, a move renamed its folder), or a folder the
  // platform cannot fsync: nothing left to make durable there
  const ignorable = (e: NodeJS.ErrnoException): boolean => ['ENOENT', 'EISDIR', 'EINVAL', 'EPERM', 'EACCES'].includes(e.code ?? '');
  let fd: number;
  try {
    fd = openSync(p, 'r');
  } catch (e) {
    return ignorable(e as NodeJS.ErrnoException) ? Promise.resolve() : Promise.reject(e as Error);
  }
  return fsyncAndClose(fd, ignorable);
}

/**
 * The deferred fsyncs of a scope, files and folders all at once (without blocking the event
 * loop): every name is in place already, so their order does not matter — only that all are
 * done before the request is answered; a journalling file system commits them together.
 */
export async function flushSyncs(s: PendingSyncs): Promise<void> {
  const fds = s.fds.splice(0);
  // every descriptor is closed, even when another fsync fails
  const results = await Promise.allSettled([...fds.map(fsyncFd), ...[...s.files, ...s.dirs].map(fsyncPath), ...s.unlinks.splice(0).map(unlinkQuietly)]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** unlink in the thread pool; a name already gone is fine (a second name of a replaced file: nothing depends on it). */
function unlinkQuietly(p: string): Promise<void> {
  return new Promise((resolve) => unlink(p, () => resolve()));
}

/** fsync a directory so a rename or create in it survives a crash; ignored where unsupported. */
export function fsyncDir(dir: string): void {
  if (pending) {
    pending.dirs.add(dir);
    return;
  }
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // some platforms/filesystems cannot open or fsync a directory (Windows, some FUSE)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Write `data` to a new temp file in `dir` (mode as given, fsynced unless not durable);
 * returns its path, and whether its descriptor was kept for the scope's deferred fsync
 * (otherwise the caller notes the published name in `pending.files`).
 */
function writeTemp(dir: string, data: Buffer, mode: number | undefined, durable = true): { tmp: string; kept: boolean } {
  const tmp = tempPath(dir);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
    writeAll(fd, data);
    if (durable && !pending) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    safeUnlink(tmp);
    throw e;
  }
  if (durable && pending && pending.fds.length < MAX_KEPT_FDS) {
    pending.fds.push(fd); // the inode is fsynced under whatever name it then has
    return { tmp, kept: true };
  }
  closeSync(fd);
  return { tmp, kept: false };
}

function safeUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

export interface AtomicWriteOptions {
  /**
   * Where the temp file goes; must be on the same filesystem as `target`. Defaults to the
   * target's directory. Pass the run/experiment directory for files under params/, tags/,
   * metrics/ (see the module comment).
   */
  tempDir?: string;
  /**
   * false: skip the fsyncs (of the file and of its folder). For files that mean nothing
   * after a crash, such as the store lock (src/store/lock.ts). Default true.
   */
  durable?: boolean;
  /**
   * In a deferred scope, a file this replaces keeps a second name (a temp name in `tempDir`)
   * until flushSyncs unlinks it in the thread pool (PendingSyncs.unlinks). Only for a scope
   * that moves no folder above the file afterwards: the second name would move with it and
   * be left there. Default false.
   */
  freeLater?: boolean;
}

/**
 * Replace (or create) `target` atomically with `data`: temp file, fsync, rename over the
 * target, fsync the directory. An existing target keeps its permission bits. On failure
 * the temp file is removed and the target is untouched.
 */
export function atomicWriteFile(target: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let mode: number | undefined;
  try {
    // a missing target is no exception (throwing one per new file costs more than the stat)
    const st = statSync(target, { throwIfNoEntry: false });
    mode = st === undefined ? undefined : st.mode & 0o7777;
  } catch {
    mode = undefined; // new file: 0666 minus umask, as MLflow's open() gives
  }
  const dir = path.dirname(target);
  const durable = opts.durable ?? true;
  const { tmp, kept } = writeTemp(opts.tempDir ?? dir, buf, mode, durable);
  // in a deferred scope, a file being replaced keeps a second name (a temp name, where a
  // temp file may be) until flushSyncs unlinks it off the event loop (PendingSyncs.unlinks)
  let aside: string | undefined;
  if (opts.freeLater && pending && mode !== undefined) {
    aside = tempPath(opts.tempDir ?? dir);
    try {
      linkSync(target, aside);
    } catch {
      aside = undefined; // gone meanwhile, or no hard links here: rename frees it
    }
  }
  try {
    renameSync(tmp, target);
  } catch (e) {
    safeUnlink(tmp);
    if (aside !== undefined) safeUnlink(aside);
    throw e;
  }
  if (aside !== undefined) pending!.unlinks.push(aside);
  if (durable && pending && !kept) pending.files.add(target);
  if (durable) fsyncDir(dir);
}

/**
 * A new, empty temp file in `dir` (the caller writes it through `fd`, closes it, then
 * publishes it with publishTemp or removes it with dropTemp): for contents too large to
 * hold in memory at once.
 */
export function createTemp(dir: string): { path: string; fd: number } {
  const tmp = tempPath(dir);
  return { path: tmp, fd: openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666) };
}

/**
 * Put a finished temp file (createTemp) in `target`'s place: `mode`, else the target's
 * permission bits (when it exists), fsync, rename, directory fsync — atomicWriteFile
 * without holding the bytes.
 */
export function publishTemp(tmp: string, target: string, mode?: number): void {
  try {
    try {
      chmodSync(tmp, mode ?? statSync(target).mode & 0o7777);
    } catch {
      // a new file keeps the default mode
    }
    if (!pending) {
      const fd = openSync(tmp, constants.O_RDONLY);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, target);
    pending?.files.add(target);
  } catch (e) {
    safeUnlink(tmp);
    throw e;
  }
  fsyncDir(path.dirname(target));
}

/** Remove a temp file that will not be published. */
export function dropTemp(tmp: string): void {
  safeUnlink(tmp);
}

/** atomicWriteFile with the bytes of `source`, copied by the kernel (never held in memory); `source`'s permission bits. */
export function atomicCopyFile(target: string, source: string, opts: AtomicWriteOptions = {}): void {
  const tmp = tempPath(opts.tempDir ?? path.dirname(target));
  let mode: number;
  try {
    copyFileSync(source, tmp, constants.COPYFILE_EXCL);
    mode = statSync(source).mode & 0o7777;
  } catch (e) {
    safeUnlink(tmp);
    throw e;
  }
  publishTemp(tmp, target, mode);
}

/**
 * Create `target` with `data` only if nothing exists under that name (returns false if
 * it does). The file appears complete or not at all: it is written to a temp file and
 * hard-linked into place (link fails if the name is taken); filesystems without hard
 * links fall back to O_EXCL creation.
 */
export function createExclusive(target: string, data: string | Buffer, opts: AtomicWriteOptions = {}): boolean {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(target);
  const durable = opts.durable ?? true;
  const { tmp, kept } = writeTemp(opts.tempDir ?? dir, buf, undefined, durable);
  try {
    linkSync(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      safeUnlink(tmp);
      return false;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
      safeUnlink(tmp);
      throw e;
    }
    safeUnlink(tmp);
    return createExclusiveDirect(target, buf, durable);
  }
  safeUnlink(tmp);
  if (durable && pending && !kept) pending.files.add(target);
  if (durable) fsyncDir(dir);
  return true;
}

function createExclusiveDirect(target: string, buf: Buffer, durable: boolean): boolean {
  let fd: number;
  try {
    fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeAll(fd, buf);
    if (durable && !pending) fsyncSync(fd);
    else if (durable) pending!.files.add(target);
  } catch (e) {
    closeSync(fd);
    safeUnlink(target);
    throw e;
  }
  closeSync(fd);
  if (durable) fsyncDir(path.dirname(target));
  return true;
}

/**
 * Append `line` (which must end with "\n") to `file` with a single write() on an
 * O_APPEND descriptor, creating the file if needed. Nothing is read first: checking the
 * last byte for a torn line would race with other appenders (a concurrent reader can see
 * the file size in the middle of someone else's write) and insert blank lines, which
 * MLflow cannot read. A torn last line is `mlr doctor`'s job.
 */
export function appendLine(file: string, line: string): void {
  const buf = Buffer.from(line, 'utf8');
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o666);
  try {
    const n = writeSync(fd, buf);
    if (n !== buf.length) throw new Error(`short write appending to ${file} (${n} of ${buf.length} bytes)`);
  } finally {
    closeSync(fd);
  }
}

/** mkdir -p; returns nothing, throws on real errors (a file in the way, permissions). */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/**
 * mkdir -p of `dir` below `base`, never creating `base` itself: when `base` is gone (a run
 * folder moved by `runs mv` or purged by gc meanwhile) this throws ENOENT instead of
 * recreating an orphan copy of it (issue 11 #25).
 */
export function ensureDirBelow(base: string, dir: string): void {
  const rel = path.relative(base, dir);
  if (rel === '') {
    statSync(base); // ENOENT when it is gone
    return;
  }
  // there already (the usual case): one stat, where a mkdir per part each threw EEXIST
  try {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
  } catch {
    // a file in the way: the mkdirs below say so
  }
  let cur = base;
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part);
    try {
      mkdirSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
