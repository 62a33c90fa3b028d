/**
 * Run and logged-model artifacts on local disk: finding the artifact folder (with the
 * virtual re-root of artifact-uri.ts), listing it, and keeping every path argument
 * inside it. Read-only: nothing here writes to the store.
 */
import { copyArtifactTree } from './copy.js';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../../errors.js';
import { isResolved, resolveFolder, type ResolveContext, type ResolvedFolder, type UnreachableFolder } from './location.js';
import { isDirectory, listDir } from '../file/fsread.js';
import type { RunInfo } from '../types.js';
import type { ArtifactEntry } from '../backend.js';

export type { ArtifactEntry } from '../backend.js';

/** An artifact root that can be read, or none at all (never created, or lost in a copy). */
export interface ArtifactRoot extends ResolvedFolder {
  /** true when neither the recorded nor the in-store folder exists: an empty root */
  missing: boolean;
}

function nonEmptyDir(p: string): boolean {
  const ents = listDir(p);
  return ents !== undefined && ents.length > 0;
}

/**
 * Where a run's artifacts are on this machine. Throws MlrError when they are on remote
 * storage. A run with no artifact folder anywhere (git does not keep empty folders) gets
 * an empty root, as MLflow lists nothing for it.
 */
export function runArtifactRoot(info: RunInfo, inStore: string, ctx: ResolveContext): ArtifactRoot {
  const run = { info };
  const r = resolveFolder(run.info.artifact_uri, ctx, {
    path: inStore,
    suffix: [run.info.run_id, 'artifacts'],
    anyway: nonEmptyDir(inStore),
  });
  return rootOrMissing(r, inStore, `run ${run.info.run_id}`);
}

/** Where a logged model's (MLflow 3) artifacts are: `<exp>/models/<id>/artifacts` in the store. */
export function loggedModelArtifactRoot(modelDir: string, recorded: string, modelId: string, ctx: ResolveContext): ArtifactRoot {
  const inStore = path.join(modelDir, 'artifacts');
  const r = resolveFolder(recorded, ctx, { path: inStore, suffix: [modelId, 'artifacts'], anyway: nonEmptyDir(inStore) });
  return rootOrMissing(r, inStore, `logged model ${modelId}`);
}

function rootOrMissing(r: ResolvedFolder | UnreachableFolder, inStore: string, what: string): ArtifactRoot {
  if (isResolved(r)) return { ...r, missing: false };
  if (r.remote) throw new UsageError(`artifacts of ${what}: ${r.reason}`, 'remote-artifacts');
  return {
    path: inStore,
    how: 'reroot',
    recorded: r.recorded,
    missing: true,
    note: `${what} has no artifact folder here: ${r.reason}, and ${inStore} does not exist either`,
  };
}

/**
 * Normalise a user-given artifact path to `a/b/c` ('' = the root). Absolute paths and any
 * `..` segment are refused: no argument may reach outside the artifact root.
 */
export function normalizeArtifactPath(p: string): string {
  if (p.includes('\0')) throw new UsageError(`invalid artifact path '${p}'`, 'bad-artifact-path');
  if (p.startsWith('/')) {
    throw new UsageError(`artifact path '${p}' is absolute: give a path relative to the run's artifact root`, 'bad-artifact-path');
  }
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) {
    throw new UsageError(`artifact path '${p}' leaves the artifact root ('..' is not allowed)`, 'bad-artifact-path');
  }
  return segs.join('/');
}

/** The local file or folder of `rel` under `root` (already normalised), or undefined. */
function artifactStat(root: ArtifactRoot, rel: string): { full: string; stat: fs.Stats } | undefined {
  const full = rel === '' ? root.path : path.join(root.path, ...rel.split('/'));
  try {
    return { full, stat: fs.statSync(full) };
  } catch {
    return undefined;
  }
}

/** `artifactStat` or a NotFoundError naming what the folder does hold. */
export function requireArtifact(root: ArtifactRoot, rel: string, what: string): { full: string; stat: fs.Stats } {
  const hit = root.missing ? undefined : artifactStat(root, rel);
  if (hit) return hit;
  if (rel === '') throw new NotFoundError(`${what} has no artifacts`, 'artifact-not-found');
  const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  const siblings = root.missing ? [] : listArtifacts(root, parent, false).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1) + (e.is_dir ? '/' : ''));
  const hint = siblings.length
    ? `; ${parent ? `'${parent}' holds` : 'the root holds'}: ${siblings.slice(0, 12).join(', ')}${siblings.length > 12 ? ', …' : ''}`
    : '';
  throw new NotFoundError(`${what} has no artifact '${rel}'${hint}`, 'artifact-not-found');
}

function entry(full: string, rel: string): ArtifactEntry {
  try {
    const st = fs.statSync(full);
    return { path: rel, is_dir: st.isDirectory(), file_size: st.isDirectory() ? null : st.size };
  } catch {
    return { path: rel, is_dir: false, file_size: null };
  }
}

const byPath = (a: ArtifactEntry, b: ArtifactEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Artifacts under `rel`: its direct children sorted by path (MLflow's list_artifacts), or,
 * with `recursive`, every descendant depth-first with each folder before its contents.
 * A file path lists just that file. Symlinked folders are followed once (no cycles).
 */
export function listArtifacts(root: ArtifactRoot, rel: string, recursive: boolean): ArtifactEntry[] {
  if (root.missing) return [];
  const top = artifactStat(root, rel);
  if (!top) return [];
  if (!top.stat.isDirectory()) return [{ path: rel, is_dir: false, file_size: top.stat.size }];
  const out: ArtifactEntry[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, prefix: string): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    const kids = (listDir(dir) ?? []).map((e) => entry(path.join(dir, e.name), prefix + e.name)).sort(byPath);
    for (const k of kids) {
      out.push(k);
      if (recursive && k.is_dir) walk(path.join(dir, path.basename(k.path)), k.path + '/');
    }
  };
  walk(top.full, rel === '' ? '' : rel + '/');
  return out;
}

/** Total bytes of the files below a folder (symlinks not followed); 0 when it is missing. */
export function folderSize(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          total += fs.lstatSync(p).size;
        } catch {
          // vanished while walking: nothing to count
        }
      }
    }
  };
  if (isDirectory(dir)) walk(dir);
  return total;
}

/**
 * Copy a file or folder to `dest`, never overwriting: an existing destination file is an
 * error before anything is copied. Returns the number of files copied.
 */
export function copyArtifact(src: string, dest: string): number {
  return copyArtifactTree(src, dest, { root: path.dirname(dest), overwrite: false, hint: 'remove {it} or choose another --out' });
}
