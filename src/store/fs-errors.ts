/**
 * Filesystem errors in people's words, one table for every reader and writer. Some codes
 * mean different things by context: ENOTDIR reading a path is "a parent is not a
 * directory", writing a key `a/b` where `a` is a value it is "part of the key is already a
 * file".
 */
import { StateError } from '../errors.js';

export type FsContext = 'read' | 'write' | 'key' | 'registry' | 'move';

const COMMON: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EXDEV: 'on another filesystem',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

const BY_CONTEXT: Record<FsContext, Record<string, string>> = {
  read: { EISDIR: 'is a directory', ENOTDIR: 'a parent is not a directory' },
  write: { EISDIR: 'it is a folder', ENOTDIR: 'a file is in the way', EEXIST: 'a file is in the way' },
  key: {
    EISDIR: 'a folder of that name exists (keys with "/" are folders)',
    ENOTDIR: 'part of the key is already a file (a key cannot be both a value and a prefix of other keys)',
    EEXIST: 'part of the key is already a file (a key cannot be both a value and a prefix of other keys)',
  },
  registry: { ENOTDIR: 'a file is in the way of a folder', EEXIST: 'a file is in the way of a folder' },
  move: { EXDEV: 'the experiments are on different filesystems' },
};

/** A filesystem error's code in a few words; the code itself when it has no wording. */
export function fsReason(e: unknown, context: FsContext = 'read'): string {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  if (typeof code !== 'string') return err?.message ?? String(e);
  return BY_CONTEXT[context][code] ?? COMMON[code] ?? code;
}

/** True for an error a filesystem call threw (it has an errno code such as EACCES). */
function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!);
}

/**
 * A filesystem error escaping a write (read-only store, disk full, permissions) as a
 * one-line StateError naming the call and the path; anything else is returned unchanged.
 */
export function asWriteError(e: unknown): unknown {
  if (!isFsError(e)) return e;
  const where = e.path ? ` ${e.path}` : '';
  return new StateError(`cannot ${e.syscall ?? 'write'}${where}: ${fsReason(e, 'write')}`, 'write-failed');
}
