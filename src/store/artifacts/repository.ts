/**
 * Artifacts on this machine behind the ArtifactRepository interface: the recorded
 * `artifact_uri` when it exists here, else the backend's in-store folder (the virtual
 * re-root of location.ts). Used by every backend whose artifacts are local folders (the
 * file store, and MLflow's SQLite store with its default `./mlruns` artifact root).
 */
import fs from 'node:fs';
import path from 'node:path';
import { StateError, UsageError } from '../../errors.js';
import { fsReason } from '../fs-errors.js';
import type { ArtifactEntry, ArtifactLocation, ArtifactOwner, ArtifactRepository, LoggedModel, RunEntry } from '../backend.js';
import type { RunInfo } from '../types.js';
import {
  copyArtifact as copyOut,
  listArtifacts,
  loggedModelArtifactRoot,
  normalizeArtifactPath,
  requireArtifact,
  runArtifactRoot,
  type ArtifactRoot,
} from './local.js';
import { isResolved, resolveFolder, type ResolveContext } from './location.js';
import { copyArtifact as copyIn, resolveArtifactDir, validateArtifactPath, type InStoreFolder } from './upload.js';

/** What a backend tells the repository about where its records keep artifacts. */
export interface LocalArtifactHost {
  /** the store root (relative locations resolve against its parent) and the working folder */
  ctx: ResolveContext;
  /** the in-store artifact folder of a run, for the re-root */
  runFolder(run: RunEntry): InStoreFolder;
  /** the in-store folder of a logged model (its artifacts are in `artifacts/` below it) */
  loggedModelDir(model: LoggedModel): string;
  /** the run's experiment's artifact_location (decides whether a missing run folder may be created) */
  experimentLocation(run: RunEntry): string;
}

function describe(owner: ArtifactOwner): string {
  return 'run' in owner ? `run ${owner.run.info.run_id}` : 'loggedModel' in owner ? `logged model ${owner.loggedModel.model_id}` : `'${owner.uri}'`;
}

export class LocalArtifactRepository implements ArtifactRepository {
  private readonly host: LocalArtifactHost;

  constructor(host: LocalArtifactHost) {
    this.host = host;
  }

  /** The local root of an owner's artifacts (an empty `missing` root when there is none). */
  root(owner: ArtifactOwner): ArtifactRoot {
    if ('run' in owner) return runArtifactRoot(owner.run.info as RunInfo, this.host.runFolder(owner.run).path, this.host.ctx);
    if ('uri' in owner) {
      const r = resolveFolder(owner.uri, this.host.ctx);
      if (isResolved(r)) return { ...r, missing: false };
      if (r.remote) throw new UsageError(r.reason, 'remote-artifacts');
      return { path: '', how: 'recorded', recorded: owner.uri, missing: true, note: r.reason };
    }
    const m = owner.loggedModel;
    return loggedModelArtifactRoot(this.host.loggedModelDir(m), m.artifact_location, m.model_id, this.host.ctx);
  }

  async locate(owner: ArtifactOwner): Promise<ArtifactLocation> {
    const r = this.root(owner);
    const how = r.how === 'mlartifacts' ? 'reroot' : r.how;
    return { recorded: r.recorded, where: r.path, how, missing: r.missing, ...(r.note ? { note: r.note } : {}) };
  }

  async list(owner: ArtifactOwner, rel: string, recursive = false): Promise<ArtifactEntry[]> {
    const p = normalizeArtifactPath(rel);
    const root = this.root(owner);
    // a path that does not exist is an error; an empty or absent root just lists nothing
    if (p !== '') requireArtifact(root, p, describe(owner));
    return listArtifacts(root, p, recursive);
  }

  async stat(owner: ArtifactOwner, rel: string): Promise<ArtifactEntry | undefined> {
    const p = normalizeArtifactPath(rel);
    const root = this.root(owner);
    if (root.missing) return undefined;
    const full = p === '' ? root.path : path.join(root.path, ...p.split('/'));
    try {
      const st = fs.statSync(full);
      return { path: p, is_dir: st.isDirectory(), file_size: st.isDirectory() ? null : st.size };
    } catch {
      return undefined;
    }
  }

  async open(owner: ArtifactOwner, rel: string) {
    const p = normalizeArtifactPath(rel);
    if (p === '') throw new UsageError("give the path of a file inside the run's artifacts (see mlr artifacts ls)", 'artifact-is-dir');
    const hit = requireArtifact(this.root(owner), p, describe(owner));
    if (hit.stat.isDirectory()) {
      throw new UsageError(`'${p}' is a folder of ${describe(owner)}'s artifacts: use mlr artifacts ls or mlr artifacts get`, 'artifact-is-dir');
    }
    return { size: hit.stat.size, stream: fs.createReadStream(hit.full) };
  }

  async download(owner: ArtifactOwner, rel: string, outDir: string) {
    const p = normalizeArtifactPath(rel);
    const hit = requireArtifact(this.root(owner), p, describe(owner));
    const dest = p === '' ? outDir : path.join(outDir, ...p.split('/'));
    return { dest, files: copyOut(hit.full, dest) };
  }

  async upload(run: RunEntry, source: string, artifactPath: string) {
    const rel = validateArtifactPath(artifactPath);
    const target = resolveArtifactDir(run.info, this.host.runFolder(run), this.host.experimentLocation(run), this.host.ctx.cwd);
    let dest: string;
    try {
      dest = copyIn(path.resolve(this.host.ctx.cwd, source), target, rel);
    } catch (e) {
      if (e instanceof UsageError || e instanceof StateError) throw e;
      throw new StateError(`cannot copy ${source} into the artifacts of run ${run.info.run_id}: ${fsReason(e, 'write')}`, 'write-failed');
    }
    return { dest, ...(target.note ? { note: target.note } : {}) };
  }

  async localPath(owner: ArtifactOwner, rel: string): Promise<string | undefined> {
    const root = this.root(owner);
    if (root.missing) return undefined;
    const p = normalizeArtifactPath(rel);
    return p === '' ? root.path : path.join(root.path, ...p.split('/'));
  }

  async readText(owner: ArtifactOwner, rel: string, maxBytes = 1 << 20): Promise<string | undefined> {
    const root = this.root(owner);
    if (root.missing) return undefined;
    const p = normalizeArtifactPath(rel);
    const full = p === '' ? root.path : path.join(root.path, ...p.split('/'));
    let fd: number | undefined;
    try {
      fd = fs.openSync(full, 'r');
      if (!fs.fstatSync(fd).isFile()) return undefined;
      const buf = Buffer.alloc(maxBytes);
      const n = fs.readSync(fd, buf, 0, maxBytes, 0);
      return buf.toString('utf8', 0, n);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}
