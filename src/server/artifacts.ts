/**
 * Artifacts over HTTP: `artifacts/list` of the tracking API, `/get-artifact` (what MLflow's
 * UI downloads through), and the artifact proxy `/api/2.0/mlflow-artifacts/artifacts/<path>`
 * that MLflow's client uses for `mlflow-artifacts:` URIs (GET downloads, PUT uploads —
 * streamed to a temporary file beside the target and renamed into place — DELETE, and a
 * listing). Every path is checked as MLflow's validate_path_is_safe checks it, and then
 * again after resolving symlinks: nothing outside the artifact root is ever read or written.
 */
import { createReadStream, createWriteStream, promises as fsp, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { ArtifactEntry, RunEntry } from '../store/backend.js';
import { listArtifacts, type ArtifactRoot } from '../store/artifacts/local.js';
import { HANDLED, type RequestContext, type Route } from './context.js';
import { ApiError, invalidParameter, notFound } from './errors.js';
import { runById } from './tracking.js';

/** MLflow's validate_path_is_safe: percent-decoded, no `#`, no `..` segment, not absolute, no backslash. */
function validatePathIsSafe(p: string): string {
  let decoded = p;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      throw invalidParameter('Invalid path');
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (
    decoded.includes('#') ||
    decoded.includes('\0') ||
    decoded.includes('\\') ||
    decoded.split('/').includes('..') ||
    decoded.startsWith('/') ||
    /^[A-Za-z]:/.test(decoded) ||
    /^file:/i.test(decoded)
  ) {
    throw invalidParameter('Invalid path');
  }
  return decoded;
}

function segments(rel: string): string[] {
  return rel.split('/').filter((s) => s !== '' && s !== '.');
}

/** `rel` under `root`, refusing (as "Invalid path") anything whose real location is outside the root. */
function inside(root: string, rel: string): string {
  const full = path.join(root, ...segments(rel));
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return full; // no root yet: nothing below it exists either
  }
  // the deepest part of the path that exists must resolve inside the root
  let probe = full;
  for (;;) {
    try {
      const real = realpathSync(probe);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw invalidParameter('Invalid path');
      return full;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const parent = path.dirname(probe);
      if (parent === probe || probe === root) return full;
      probe = parent;
    }
  }
}

const TEXT_NAMES = new Set(['MLmodel', 'MLproject']);
const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.yaml': 'application/x-yaml',
  '.yml': 'application/x-yaml',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.py': 'text/x-python',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
};

/** MLflow's _guess_mime_type: by extension, known MLflow text files as text/plain, else octet-stream. */
function mimeType(file: string): string {
  const base = path.basename(file);
  if (TEXT_NAMES.has(base)) return 'text/plain';
  return MIME[path.extname(base).toLowerCase()] ?? 'application/octet-stream';
}

/** Send a local file as an attachment (MLflow's _response_with_file_attachment_headers). */
async function sendFile(c: RequestContext, full: string, name: string): Promise<typeof HANDLED> {
  let st;
  try {
    st = statSync(full);
  } catch {
    throw notFound(`No such file or directory: '${name}'`);
  }
  if (!st.isFile()) throw invalidParameter(`'${name}' is a directory, not a file`);
  c.res.writeHead(200, {
    'Content-Type': mimeType(full),
    'Content-Length': st.size,
    'Content-Disposition': `attachment; filename=${path.basename(full)}`,
    'X-Content-Type-Options': 'nosniff',
  });
  await pipeline(createReadStream(full), c.res);
  return HANDLED;
}

/** MLflow's `mlflow-artifacts:` URI → the path below the destination (`<exp>/<run>/artifacts`), or undefined. */
function proxiedPath(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  if (!m) return undefined;
  return (m[1] ?? '').replace(/^\/+/, '');
}

/** A run's artifacts are served from the artifact destination (MLflow's _is_servable_proxied_run_artifact_root). */
function proxiedRunRoot(c: RequestContext, run: RunEntry): string | undefined {
  const dest = c.services.artifactsDestination;
  if (dest === undefined) return undefined;
  const p = proxiedPath(run.info.artifact_uri);
  return p === undefined ? undefined : inside(dest, p);
}

/** artifacts/list: direct children of `rel`, paths relative to the run's artifact root. */
export async function listRunArtifacts(c: RequestContext, run: RunEntry, rel: string | undefined): Promise<Record<string, unknown>[]> {
  const safe = rel === undefined ? '' : segments(validatePathIsSafe(rel)).join('/');
  const proxied = proxiedRunRoot(c, run);
  let entries: ArtifactEntry[];
  if (proxied !== undefined) {
    const root: ArtifactRoot = { path: proxied, how: 'recorded', recorded: run.info.artifact_uri, missing: false };
    inside(proxied, safe);
    entries = listArtifacts(root, safe, false);
  } else {
    const repo = await c.artifacts();
    try {
      entries = await repo.list({ run }, safe);
    } catch (e) {
      // MLflow lists nothing for a path (or a root) that is not there
      if ((e as { code?: string }).code === 'artifact-not-found' || (e as { exitCode?: number }).exitCode === 2) entries = [];
      else throw e;
    }
  }
  return entries.map((e) => ({ path: e.path, is_dir: e.is_dir, file_size: e.is_dir ? undefined : (e.file_size ?? undefined) }));
}

/** GET /get-artifact?path=&run_uuid= (and run_id=): one file of a run's artifacts. */
export async function getArtifact(c: RequestContext): Promise<unknown> {
  const { full, rel } = await artifactFile(c);
  return sendFile(c, full, rel);
}

/**
 * The local file behind `?run_id=&path=` (get-artifact's and the viewer's preview): checked
 * to stay inside the run's artifact root (or the proxied destination).
 */
export async function artifactFile(c: RequestContext): Promise<{ full: string; rel: string }> {
  const runId = c.query.get('run_id') || c.query.get('run_uuid');
  const p = c.query.get('path');
  if (p === null) throw invalidParameter("Missing value for required parameter 'path'.");
  const rel = segments(validatePathIsSafe(p)).join('/');
  const reader = await c.reader();
  const run = await runById(reader, runId ?? '');
  const proxied = proxiedRunRoot(c, run);
  if (proxied !== undefined) return { full: inside(proxied, rel), rel };
  const repo = await c.artifacts();
  const local = await repo.localPath({ run }, rel);
  if (local === undefined) throw notFound(`No such file or directory: '${rel}'`);
  const root = await repo.localPath({ run }, '');
  return { full: root === undefined ? local : inside(root, rel), rel };
}

function destination(c: RequestContext): string {
  const dest = c.services.artifactsDestination;
  if (dest === undefined) {
    throw new ApiError('ENDPOINT_NOT_FOUND', 'This server does not serve artifacts (it was started with --no-serve-artifacts)', 503);
  }
  return dest;
}

/** GET /mlflow-artifacts/artifacts/<path>: download. */
async function downloadProxied(c: RequestContext): Promise<unknown> {
  const dest = destination(c);
  const rel = segments(validatePathIsSafe(c.tail)).join('/');
  return sendFile(c, inside(dest, rel), rel);
}

/** PUT /mlflow-artifacts/artifacts/<path>: upload, streamed to disk, at most --max-artifact-size bytes. */
async function uploadProxied(c: RequestContext): Promise<unknown> {
  const dest = destination(c);
  const rel = segments(validatePathIsSafe(c.tail)).join('/');
  if (rel === '') throw invalidParameter('Invalid path');
  const limit = c.services.maxArtifactSize;
  const declared = Number(c.req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    c.req.resume();
    throw new ApiError(
      'INVALID_PARAMETER_VALUE',
      `Artifact size is too large: ${declared} bytes; this server takes at most ${limit} bytes (--max-artifact-size)`,
      413,
    );
  }
  const target = inside(dest, rel);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  inside(dest, rel); // again, now that the folders exist
  const tmp = path.join(path.dirname(target), `.mlr-upload-${randomBytes(6).toString('hex')}`);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new ApiError('INVALID_PARAMETER_VALUE', `Artifact size is too large: over ${limit} bytes (--max-artifact-size)`, 413));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(c.req, counter, createWriteStream(tmp, { flags: 'wx' }));
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (e instanceof ApiError) {
      c.req.resume();
      throw e;
    }
    throw e;
  }
  return {};
}

/** DELETE /mlflow-artifacts/artifacts/<path>. */
async function deleteProxied(c: RequestContext): Promise<unknown> {
  const dest = destination(c);
  const rel = segments(validatePathIsSafe(c.tail)).join('/');
  if (rel === '') throw invalidParameter('Invalid path');
  await fsp.rm(inside(dest, rel), { recursive: true, force: true });
  return {};
}

/** GET /mlflow-artifacts/artifacts?path=: direct children, by base name. */
async function listProxied(c: RequestContext): Promise<unknown> {
  const dest = destination(c);
  const p = c.query.get('path');
  const rel = p === null ? '' : segments(validatePathIsSafe(p)).join('/');
  const root: ArtifactRoot = { path: dest, how: 'recorded', recorded: dest, missing: false };
  inside(dest, rel);
  const files = listArtifacts(root, rel, false).map((e) => ({
    path: e.path.slice(e.path.lastIndexOf('/') + 1),
    is_dir: e.is_dir,
    file_size: e.is_dir ? undefined : (e.file_size ?? undefined),
  }));
  return { files: files.length ? files : undefined };
}

/** Routes of the artifact proxy, matched on the path after `/mlflow-artifacts/artifacts`. */
export const PROXY_ROUTES: Route[] = [
  { method: 'GET', path: '', write: false, handler: listProxied },
  { method: 'GET', path: '*', write: false, handler: downloadProxied },
  { method: 'PUT', path: '*', write: true, handler: uploadProxied },
  { method: 'DELETE', path: '*', write: true, handler: deleteProxied },
];
