/**
 * The store's only door to the filesystem for reading. Small files are read
 * synchronously: on a warm page cache that is the cheapest way to read thousands of
 * tiny files, and it keeps the reader simple. Every open is counted per kind of file so
 * tests can prove a command read only what it needed.
 */
import { fsReason } from '../fs-errors.js';
import fs from 'node:fs';
import path from 'node:path';

export type FileKind = 'meta' | 'param' | 'tag' | 'metric' | 'input' | 'other';

/** Opens per kind since the last reset (tests use it to check lazy reading). */
export const openCounts: Record<FileKind, number> = { meta: 0, param: 0, tag: 0, metric: 0, input: 0, other: 0 };

export function resetOpenCounts(): void {
  for (const k of Object.keys(openCounts) as FileKind[]) openCounts[k] = 0;
}

/**
 * `path.join(dir, name)` for a normalised `dir` and a `name` that is a readdir entry or a key
 * `isSafeKeyPath` accepted: on POSIX that is plain concatenation, which the reader does
 * ~40,000 times for a 10,000-run listing (path.join's normalising was 7 % of its CPU).
 */
export const joinPath: (dir: string, name: string) => string =
  path.sep === '/' ? (dir, name) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`) : path.join;

export type ReadResult = { ok: true; text: string } | { ok: false; missing: boolean; error: string };

/**
 * Read a UTF-8 file; a missing file or any other error is returned, never thrown. `src`: the
 * file opened already (by the parse cache, which took its signature from it; left open), or
 * its bytes (read ahead, read-ahead.ts).
 * `size`: its size in that signature, so the read needs no second fstat (readFileSync of a
 * descriptor makes one: 10,000 of them were ~5 % of a server's first search).
 */
export function readText(file: string, kind: FileKind, src?: number | Buffer, size?: number): ReadResult {
  openCounts[kind]++;
  if (typeof src === 'object') return { ok: true, text: src.toString('utf8') };
  try {
    return { ok: true, text: src !== undefined && size !== undefined ? readFd(src, size) : fs.readFileSync(src ?? file, 'utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // a key that is a folder here (`model` when `model/depth` exists) is not a value
    const missing = err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR';
    return { ok: false, missing, error: describeFsError(err) };
  }
}

/** The buffer readFd reads into (reads are synchronous); one grown past this is not kept. */
let fdBuf: Buffer | undefined;
const FD_BUF_KEEP = 1 << 20;

/**
 * The text of the open file `fd` whose size was `size` a moment ago: read to its end all the
 * same (it may have grown), one read() when it has not.
 */
function readFd(fd: number, size: number): string {
  let buf = fdBuf && fdBuf.length > size ? fdBuf : Buffer.allocUnsafe(Math.max(size + 1, 4096));
  if (buf.length <= FD_BUF_KEEP) fdBuf = buf;
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    const got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) break;
    n += got;
    // short of the room asked for: at the end (a regular file's read fills what it can)
    if (n < buf.length && n >= size) break;
  }
  return buf.toString('utf8', 0, n);
}

/** Bytes read at a time by readTextPieces unless told: a metric file of any size costs about this much memory. */
export const PIECE_BYTES = 1 << 20;
/** The longest line readTextPieces holds whole (unless told); a longer one is passed to `onLongLine` (its start only) and skipped. */
const MAX_LINE_BYTES = 16 << 20;
/** The buffer readTextPieces reads into when `pieceBytes` is the default: one for the process (reads are synchronous). */
let shared: Buffer | undefined;

/**
 * Read a UTF-8 file in pieces of about `pieceBytes`, each cut after a line break (the last
 * one holds the rest), so no string is ever larger than a piece, whatever the file's size
 * (a whole 600 MB file is past V8's string limit, and costs twice its size in memory).
 * UTF-8 never uses the byte of `\n` inside a character, so the pieces decode exactly as
 * the whole text would. A line longer than MAX_LINE_BYTES goes to `onLongLine` with its
 * first bytes, and is skipped. Errors are returned as readText returns them.
 */
export function readTextPieces(
  file: string,
  kind: FileKind,
  onText: (text: string) => void,
  onLongLine: (start: string, maxBytes: number) => void,
  pieceBytes = PIECE_BYTES,
  maxLineBytes = MAX_LINE_BYTES,
  fd?: number | Buffer,
  size?: number,
): { ok: true } | { ok: false; missing: boolean; error: string } {
  return readBytePieces(
    file,
    kind,
    (b, s, e) => onText(b.toString('utf8', s, e)),
    (start, max) => onLongLine(start.toString('utf8'), max),
    pieceBytes,
    maxLineBytes,
    fd,
    size,
  );
}

/**
 * The pieces of readTextPieces as bytes: `onBytes(buf, start, end)` gets whole lines (the
 * last one without its line break only at the end of the file), valid until it returns.
 * The doctor checks metric files byte by byte with it (a bad line's bytes are reported as
 * they are, not as UTF-8 would decode them). `opened`: the file opened already (left open),
 * or its bytes (read ahead, read-ahead.ts: a small file, passed on whole);
 * `size`: its size then, so a read that reaches it and comes back short is taken as the end,
 * without one more read to see 0 bytes (a syscall per file saved on a server's first search).
 */
export function readBytePieces(
  file: string,
  kind: FileKind,
  onBytes: (buf: Buffer, start: number, end: number) => void,
  onLongLine: (start: Buffer, maxBytes: number) => void,
  pieceBytes = PIECE_BYTES,
  maxLineBytes = MAX_LINE_BYTES,
  opened?: number | Buffer,
  size?: number,
): { ok: true } | { ok: false; missing: boolean; error: string } {
  openCounts[kind]++;
  // the whole file, read ahead (small: no line in it is too long to hold)
  if (typeof opened === 'object') {
    if (opened.length > 0) onBytes(opened, 0, opened.length);
    return { ok: true };
  }
  let fd: number;
  try {
    fd = opened ?? fs.openSync(file, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, missing: isAbsent(err), error: describeFsError(err) };
  }
  try {
    let buf = pieceBytes === PIECE_BYTES ? (shared ??= Buffer.allocUnsafe(PIECE_BYTES)) : Buffer.allocUnsafe(pieceBytes);
    let have = 0; // bytes in buf: the start of a line the last read cut, then what was read
    let skipping = false; // inside a line too long to hold, until its line break
    let total = 0;
    for (;;) {
      if (have === buf.length) {
        // one line fills the buffer: a bigger one, up to the longest line held whole
        if (buf.length >= maxLineBytes) {
          onLongLine(buf.subarray(0, Math.min(200, have)), maxLineBytes);
          skipping = true;
          have = 0;
        } else {
          const bigger = Buffer.allocUnsafe(Math.max(buf.length + 1, Math.min(buf.length * 2, maxLineBytes)));
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
      }
      const room = buf.length - have;
      const n = fs.readSync(fd, buf, have, room, null);
      total += n;
      // a read short of the room asked for, with `size` bytes read: the end, without one more read
      const atEnd = n === 0 || (size !== undefined && n < room && total >= size);
      let from = 0;
      const end = have + n;
      if (skipping && n > 0) {
        const nl = buf.indexOf(10, have);
        if (nl < 0 || nl >= end) {
          have = 0;
          if (atEnd) return { ok: true };
          continue;
        }
        skipping = false;
        from = nl + 1;
      }
      if (atEnd) {
        if (end > from && !skipping) onBytes(buf, from, end);
        return { ok: true };
      }
      const last = buf.lastIndexOf(10, end - 1);
      if (last >= from) {
        onBytes(buf, from, last + 1);
        from = last + 1;
      }
      // keep the cut line at the start of the buffer for the next read
      buf.copy(buf, 0, from, end);
      have = end - from;
    }
  } catch (e) {
    // a key that is a folder here (`model` when `model/depth` exists) is not a value, as in readText
    const err = e as NodeJS.ErrnoException;
    return { ok: false, missing: err.code === 'EISDIR', error: describeFsError(err) };
  } finally {
    if (opened === undefined) fs.closeSync(fd);
  }
}

/**
 * A file's whole text as latin1 (a char a byte) when it is at most `maxBytes`, read at once
 * through one descriptor (open, fstat, read, close); `text` undefined when it is bigger (the
 * caller streams it). A missing file, or one that is not a file, is `missing`; other errors
 * are returned as readText returns them.
 */
export function readSmallLatin1(file: string, kind: FileKind, maxBytes: number): { ok: true; text?: string } | { ok: false; missing: boolean; error: string } {
  openCounts[kind]++;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, missing: isAbsent(err), error: describeFsError(err) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: true, error: 'not a file' };
    return st.size > maxBytes ? { ok: true } : { ok: true, text: fs.readFileSync(fd, 'latin1') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, missing: err.code === 'EISDIR', error: describeFsError(err) };
  } finally {
    fs.closeSync(fd);
  }
}

/** One short phrase for an fs error (no stack, no errno noise). */
export function describeFsError(err: NodeJS.ErrnoException): string {
  return fsReason(err, 'read');
}

export interface DirEntry {
  name: string;
  isDir: boolean;
  isFile: boolean;
  /** the entry is a symbolic link (isDir/isFile say what it points at) */
  isLink?: boolean;
}

/** List a directory (symlinks followed); undefined when it does not exist or cannot be read. */
export function listDir(dir: string): DirEntry[] | undefined {
  const r = listDirOrError(dir);
  return Array.isArray(r) ? r : undefined;
}

/** List a directory (symlinks followed), or return the fs error (ENOENT, EACCES, …). */
export function listDirOrError(dir: string): DirEntry[] | NodeJS.ErrnoException {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  return ents.map((d) => {
    if (d.isSymbolicLink()) {
      try {
        const st = fs.statSync(path.join(dir, d.name));
        return { name: d.name, isDir: st.isDirectory(), isFile: st.isFile(), isLink: true };
      } catch {
        return { name: d.name, isDir: false, isFile: false, isLink: true };
      }
    }
    return { name: d.name, isDir: d.isDirectory(), isFile: d.isFile() };
  });
}

// a missing path is an answer, not a thrown error (each one cost a run lookup ~50 µs)
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** Called for a folder that exists but cannot be listed (EACCES, EPERM, EIO…): its keys are unknown. */
export type ListError = (dir: string, reason: string) => void;

/** True for a listing error that means "there is no such folder" (nothing to report). */
function isAbsent(e: NodeJS.ErrnoException): boolean {
  return e.code === 'ENOENT' || e.code === 'ENOTDIR';
}

/**
 * Every regular file below `dir`, as `/`-joined keys relative to it (params, tags and
 * metrics with `/` in their key are nested folders). Empty folders contribute nothing; a
 * folder that exists but cannot be listed goes to `onError` (and contributes nothing).
 * A symlinked folder is not walked into, as MLflow's os.walk does not (followlinks=False):
 * `ln -s . metrics/loop` would otherwise list every key again under loop/loop/… .
 */
export function listKeyFiles(dir: string, onError?: ListError): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    const ents = listDirOrError(d);
    if (!Array.isArray(ents)) {
      if (!isAbsent(ents)) onError?.(d, describeFsError(ents));
      return;
    }
    for (const e of ents) {
      if (e.isDir) {
        if (!e.isLink) walk(path.join(d, e.name), prefix + e.name + '/');
      } else if (e.isFile) out.push(prefix + e.name);
    }
  };
  walk(dir, '');
  return out;
}

/** True when `key` names a file inside its folder (no `..`, no absolute path, no empty segment). */
export function isSafeKeyPath(key: string): boolean {
  if (key === '' || key.startsWith('/') || key.includes('\0')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * `listKeyFiles` in the order the folder keeps its entries (readdir order, unsorted) and
 * walked as Python's os.walk walks it — a folder's files, then each sub-folder — which is
 * the order MLflow's file store lists params, tags and metrics in. (fs.readdirSync sorts
 * its answer; fs.opendirSync does not.)
 */
export function listKeyFilesStored(dir: string, onError?: ListError): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    let h: fs.Dir;
    try {
      h = fs.opendirSync(d);
    } catch (e) {
      if (!isAbsent(e as NodeJS.ErrnoException)) onError?.(d, describeFsError(e as NodeJS.ErrnoException));
      return;
    }
    const dirs: string[] = [];
    try {
      for (let e = h.readSync(); e !== null; e = h.readSync()) {
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        if (e.isSymbolicLink()) {
          try {
            const st = fs.statSync(joinPath(d, e.name));
            // a symlinked folder is neither a key nor walked into (os.walk, followlinks=False)
            if (st.isDirectory()) continue;
            isFile = st.isFile();
          } catch {
            continue;
          }
        }
        if (isDir) dirs.push(e.name);
        else if (isFile) out.push(prefix + e.name);
      }
    } finally {
      h.closeSync();
    }
    for (const name of dirs) walk(joinPath(d, name), prefix + name + '/');
  };
  walk(dir, '');
  return out;
}
