/**
 * artifacts ls / get / cat: return data, never print. Read-only on the store.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ResolveContext } from '../store/artifacts/location.js';
import {
  copyArtifact,
  listArtifacts,
  normalizeArtifactPath,
  requireArtifact,
  runArtifactRoot,
  type ArtifactEntry,
  type ArtifactRoot,
} from '../store/artifacts/local.js';
import type { RunEntry, Store } from '../store/file/store.js';

export interface ArtifactListing {
  run: RunEntry;
  root: ArtifactRoot;
  /** the normalised path that was listed ('' = root) */
  path: string;
  entries: ArtifactEntry[];
}

/** Artifacts of a run under `rel` (direct children, or everything with `recursive`). */
export function listRunArtifacts(store: Store, ctx: ResolveContext, runId: string, rel = '', recursive = false): ArtifactListing {
  const run = store.findRun(runId);
  const p = normalizeArtifactPath(rel);
  const root = runArtifactRoot(run, ctx);
  // a path that does not exist is an error; an empty or absent root just lists nothing
  if (p !== '') requireArtifact(root, p, `run ${run.info.run_id}`);
  return { run, root, path: p, entries: listArtifacts(root, p, recursive) };
}

/** The local file behind one artifact of a run, for streaming to stdout. */
export function locateArtifactFile(store: Store, ctx: ResolveContext, runId: string, rel: string): { run: RunEntry; root: ArtifactRoot; file: string; size: number } {
  const run = store.findRun(runId);
  const p = normalizeArtifactPath(rel);
  if (p === '') throw new UsageError('give the path of a file inside the run\'s artifacts (see mlr artifacts ls)', 'artifact-is-dir');
  const root = runArtifactRoot(run, ctx);
  const hit = requireArtifact(root, p, `run ${run.info.run_id}`);
  if (hit.stat.isDirectory()) {
    throw new UsageError(`'${p}' is a folder of run ${run.info.run_id}'s artifacts: use mlr artifacts ls or mlr artifacts get`, 'artifact-is-dir');
  }
  return { run, root, file: hit.full, size: hit.stat.size };
}

export interface DownloadResult {
  run: RunEntry;
  root: ArtifactRoot;
  /** the local file or folder written */
  dest: string;
  files: number;
}

/**
 * Copy an artifact (file or folder) of a run to `<outDir>/<path>`, as MLflow's
 * download_artifacts lays it out ('.' copies the whole root into outDir). Existing files
 * are never overwritten.
 */
export function downloadArtifact(store: Store, ctx: ResolveContext, runId: string, rel: string, outDir: string): DownloadResult {
  const run = store.findRun(runId);
  const p = normalizeArtifactPath(rel);
  const root = runArtifactRoot(run, ctx);
  const hit = requireArtifact(root, p, `run ${run.info.run_id}`);
  const dest = p === '' ? outDir : path.join(outDir, ...p.split('/'));
  const files = copyArtifact(hit.full, dest);
  return { run, root, dest, files };
}
