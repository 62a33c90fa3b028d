/**
 * Artifacts through a tracking server, as MLflow's client reaches them: a run whose
 * artifact_uri is `mlflow-artifacts:/…` through the artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/<path>`: GET downloads, PUT uploads, a listing);
 * any other run through the tracking API's `artifacts/list` and the server's
 * `/get-artifact` (what MLflow's UI downloads through). Uploads need the proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import type { ArtifactEntry, ArtifactLocation, ArtifactOwner, ArtifactRepository, RunEntry } from '../backend.js';
import { normalizeArtifactPath } from '../artifacts/local.js';
import { validateArtifactPath } from '../artifacts/upload.js';
import { arr, int64, obj, str } from './entities.js';
import type { RestClient } from './http.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/** The path below the proxy of a `mlflow-artifacts:` URI, or undefined for another scheme. */
function proxied(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  return m ? (m[1] ?? '').replace(/^\/+|\/+$/g, '') : undefined;
}

const encodePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

function describe(owner: ArtifactOwner): string {
  return 'run' in owner ? `run ${owner.run.info.run_id}` : 'loggedModel' in owner ? `logged model ${owner.loggedModel.model_id}` : `'${owner.uri}'`;
}

export class RestArtifacts implements ArtifactRepository {
  private readonly c: RestClient;
  private readonly cwd: string;

  constructor(c: RestClient, cwd: string) {
    this.c = c;
    this.cwd = cwd;
  }

  private recorded(owner: ArtifactOwner): string {
    return 'run' in owner ? owner.run.info.artifact_uri : 'uri' in owner ? owner.uri : owner.loggedModel.artifact_location;
  }

  /** Direct children of `rel`, paths relative to the owner's root. */
  private async children(owner: ArtifactOwner, rel: string): Promise<ArtifactEntry[]> {
    const uri = this.recorded(owner);
    const px = proxied(uri);
    if (px !== undefined) {
      const r = await this.c.callPath('GET', PROXY, { query: { path: join(px, rel) }, idempotent: true });
      return arr(r['files']).map((f) => {
        const o = obj(f);
        const isDir = o['is_dir'] === true;
        const size = int64(o['file_size']);
        return { path: join(rel, str(o['path']).split('/').pop()!), is_dir: isDir, file_size: isDir ? null : size === null ? 0 : Number(size) };
      });
    }
    if (!('run' in owner))
      throw new UsageError(
        `the artifacts of ${describe(owner)} are at ${uri}, which mlr reads through a tracking server only when it is a mlflow-artifacts: URI`,
        'remote-artifacts',
      );
    const r = await this.c.call('GET', 'artifacts/list', { query: { run_id: owner.run.info.run_id, path: rel || undefined }, idempotent: true });
    return arr(r['files']).map((f) => {
      const o = obj(f);
      const isDir = o['is_dir'] === true;
      const size = int64(o['file_size']);
      return { path: str(o['path']), is_dir: isDir, file_size: isDir ? null : size === null ? 0 : Number(size) };
    });
  }

  async locate(owner: ArtifactOwner): Promise<ArtifactLocation> {
    const recorded = this.recorded(owner);
    const px = proxied(recorded);
    const where = px !== undefined ? `${this.c.base}${PROXY}/${encodePath(px)}` : `${this.c.base} (artifacts/list of ${describe(owner)})`;
    const missing = (await this.children(owner, '')).length === 0;
    return { recorded, where, how: 'remote', missing };
  }

  async stat(owner: ArtifactOwner, rel: string): Promise<ArtifactEntry | undefined> {
    const p = normalizeArtifactPath(rel);
    if (p === '') return { path: '', is_dir: true, file_size: null };
    const parent = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
    return (await this.children(owner, parent)).find((e) => e.path === p);
  }

  async list(owner: ArtifactOwner, rel: string, recursive = false): Promise<ArtifactEntry[]> {
    const p = normalizeArtifactPath(rel);
    if (p !== '') {
      const st = await this.stat(owner, p);
      if (!st) throw new NotFoundError(`${describe(owner)} has no artifact '${p}'`, 'artifact-not-found');
      if (!st.is_dir) return [st];
    }
    const out: ArtifactEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
      const kids = (await this.children(owner, dir)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      for (const k of kids) {
        out.push(k);
        if (recursive && k.is_dir) await walk(k.path);
      }
    };
    await walk(p);
    return out;
  }

  async open(owner: ArtifactOwner, rel: string) {
    const p = normalizeArtifactPath(rel);
    if (p === '') throw new UsageError("give the path of a file inside the run's artifacts (see mlr artifacts ls)", 'artifact-is-dir');
    const st = await this.stat(owner, p);
    if (!st) throw new NotFoundError(`${describe(owner)} has no artifact '${p}'`, 'artifact-not-found');
    if (st.is_dir) throw new UsageError(`'${p}' is a folder of ${describe(owner)}'s artifacts: use mlr artifacts ls or mlr artifacts get`, 'artifact-is-dir');
    const px = proxied(this.recorded(owner));
    const a =
      px !== undefined
        ? await this.c.stream(`${PROXY}/${encodePath(join(px, p))}`)
        : await this.c.stream('/get-artifact', { path: p, run_uuid: (owner as { run: RunEntry }).run.info.run_id });
    return { size: Number.isFinite(a.size) ? a.size : (st.file_size ?? 0), stream: a.stream };
  }

  async download(owner: ArtifactOwner, rel: string, outDir: string) {
    const p = normalizeArtifactPath(rel);
    const st = p === '' ? undefined : await this.stat(owner, p);
    if (p !== '' && !st) throw new NotFoundError(`${describe(owner)} has no artifact '${p}'`, 'artifact-not-found');
    const dest = p === '' ? outDir : path.join(outDir, ...p.split('/'));
    const files = st && !st.is_dir ? [st] : (await this.list(owner, p, true)).filter((e) => !e.is_dir);
    if (p === '' && files.length === 0) throw new NotFoundError(`${describe(owner)} has no artifacts`, 'artifact-not-found');
    for (const f of files) {
      const target = path.join(outDir, ...f.path.split('/'));
      if (fs.existsSync(target)) throw new StateError(`${target} already exists; mlr does not overwrite`, 'artifact-exists');
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const { stream } = await this.open(owner, f.path);
      await pipeline(stream, fs.createWriteStream(target, { flags: 'wx' }));
    }
    return { dest, files: files.length };
  }

  async upload(run: RunEntry, source: string, artifactPath: string) {
    const rel = validateArtifactPath(artifactPath);
    const px = proxied(run.info.artifact_uri);
    if (px === undefined) {
      throw new UsageError(
        `run ${run.info.run_id} keeps its artifacts at ${run.info.artifact_uri}, which a tracking server cannot upload to (only mlflow-artifacts: URIs go through its proxy)`,
        'remote-artifacts',
      );
    }
    const src = path.resolve(this.cwd, source);
    if (!fs.existsSync(src)) throw new UsageError(`no such file or folder: ${source}`, 'artifact-not-found');
    const base = join(px, rel, path.basename(src));
    const put = async (file: string, target: string): Promise<void> => {
      const size = fs.statSync(file).size;
      await this.c.callPath('PUT', `${PROXY}/${encodePath(target)}`, { idempotent: false, upload: fs.createReadStream(file), size });
    };
    const walk = async (dir: string, target: string): Promise<void> => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full, join(target, e.name));
        else if (e.isFile()) await put(full, join(target, e.name));
      }
    };
    if (fs.statSync(src).isDirectory()) await walk(src, base);
    else await put(src, base);
    return { dest: `${run.info.artifact_uri.replace(/\/+$/, '')}/${join(rel, path.basename(src))}` };
  }

  async readText(owner: ArtifactOwner, rel: string, maxBytes = 1 << 20): Promise<string | undefined> {
    let s;
    try {
      s = await this.open(owner, rel);
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof UsageError) return undefined;
      throw e;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of s.stream) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= maxBytes) {
        s.stream.destroy();
        break;
      }
    }
    return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  }

  async localPath(): Promise<string | undefined> {
    return undefined;
  }
}
