/**
 * Where a run's artifacts go on this machine, and copying files there (spec §8).
 *
 * A run's `artifact_uri` is absolute and frozen at creation, so a store copied from
 * another machine points at paths that do not exist here; MLflow then silently recreates
 * the old absolute tree. mlr instead writes to the store's own `<run>/artifacts` when the
 * recorded location is missing but has the standard `<exp>/<run>/artifacts` shape, and
 * says so; it refuses remote URIs and missing custom locations rather than guess.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { StateError, UsageError } from '../../errors.js';
import { copyArtifactTree } from './copy.js';
import type { RunInfo } from '../types.js';
import { localPathOfUri, uriScheme } from '../uri.js';
import { pathNotUnique, posixNormpath } from '../validate.js';

export interface ArtifactTarget {
  /** local folder the run's artifacts live in */
  dir: string;
  /** set when mlr used the store's own folder instead of the recorded location */
  note?: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Where a backend keeps a run's artifacts inside the store when the recorded location is gone. */
export interface InStoreFolder {
  /** `<run folder>/artifacts` (file store), `<db folder>/mlruns/<exp>/<run>/artifacts` (SQLite) */
  path: string;
  /** whether writing there is sound (the file store: the run folder exists) */
  usable: boolean;
}

/** The local folder for a run's artifacts (see the module comment for the fallback rule). */
export function resolveArtifactDir(info: RunInfo, inStoreFolder: InStoreFolder, experimentLocation: string, cwd: string): ArtifactTarget {
  const run = { info };
  const uri = run.info.artifact_uri;
  const inStore = inStoreFolder.path;
  if (uri === '') return { dir: inStore, note: `run ${run.info.run_id} records no artifact_uri; using ${inStore}` };
  const local = localPathOfUri(uri, cwd);
  if (local === undefined) {
    throw new StateError(
      `run ${run.info.run_id} stores artifacts at '${uri}' (${uriScheme(uri) || 'remote'}), which mlr cannot write to: only local file stores are supported`,
      'remote-artifacts',
    );
  }
  const resolved = path.resolve(local);
  if (resolved === path.resolve(inStore) || isDir(resolved)) return { dir: resolved };
  const tail = `/${run.info.experiment_id}/${run.info.run_id}/artifacts`;
  if (uri.replace(/\/+$/, '').endsWith(tail) && inStoreFolder.usable) {
    return {
      dir: inStore,
      note: `artifact_uri ${uri} does not exist on this machine (the store was moved or copied); writing to ${inStore}`,
    };
  }
  const expLocal = localPathOfUri(experimentLocation, cwd);
  if (expLocal !== undefined && isDir(expLocal)) return { dir: resolved };
  throw new StateError(
    `run ${run.info.run_id} stores artifacts at '${uri}', which does not exist on this machine; nothing was copied`,
    'artifact-location-missing',
  );
}

/** Check an --artifact-path: relative, no `..`, no empty or `.` segments. */
export function validateArtifactPath(p: string): string {
  if (p === '' || p === '.') return '';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed.startsWith('/') || pathNotUnique(trimmed) || posixNormpath(trimmed).split('/').includes('..')) {
    throw new UsageError(`invalid artifact path '${p}': give a relative path inside the run's artifacts, without '..'`, 'bad-artifact-path');
  }
  return trimmed;
}

/**
 * Copy a file, or a folder with everything in it, to `<artifacts>/<artifactPath>/<name>`
 * (existing files are overwritten, as MLflow does; the bytes are copied, never a link, and
 * nothing is written through a link inside the artifacts). Returns the destination path.
 */
export function copyArtifact(source: string, target: ArtifactTarget, artifactPath: string): string {
  const src = path.resolve(source);
  if (!existsSync(src)) throw new UsageError(`no such file or folder: ${source}`, 'artifact-not-found');
  const destDir = artifactPath ? path.join(target.dir, ...artifactPath.split('/')) : target.dir;
  const dest = path.join(destDir, path.basename(src));
  if (statSync(src).isDirectory() && (dest === src || dest.startsWith(src + path.sep))) {
    throw new UsageError(`cannot copy ${source} into itself (${dest})`, 'artifact-into-itself');
  }
  copyArtifactTree(src, dest, { root: target.dir, overwrite: true });
  return dest;
}
