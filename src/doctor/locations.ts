/**
 * Artifact locations: where a recorded `artifact_location` / `artifact_uri` points on this
 * machine, whether that is stale, and what the current place is in the form the store's
 * other experiments use (`file:///abs/...`, `/abs/...`, `./mlruns/...`, `mlflow-artifacts:/...`).
 */
import { DRIVE_RE, SCHEME_RE } from '../store/uri.js';
import fs from 'node:fs';
import path from 'node:path';
import { encodePathForUri } from '../store/root.js';

export type LocationForm = 'file-uri' | 'plain' | 'remote';

/** The form of a recorded location: a file: URI, a plain path (POSIX, Windows, relative), or remote. */
export function formOf(loc: string): LocationForm {
  if (DRIVE_RE.test(loc) || loc.startsWith('\\\\')) return 'plain';
  const m = SCHEME_RE.exec(loc);
  if (!m) return 'plain';
  return m[1]!.toLowerCase() === 'file' ? 'file-uri' : 'remote';
}

/**
 * The local path a location names (relative ones resolved against the folder holding the
 * store, where `mlflow` ran for `./mlruns` to be this store), or undefined for remote URIs
 * (s3:, gs:, mlflow-artifacts:, dbfs:, hdfs:, wasbs:, …) which the doctor leaves alone.
 */
export function localPathOf(loc: string, root: string): string | undefined {
  const form = formOf(loc);
  if (form === 'remote') return undefined;
  let p = loc;
  if (form === 'file-uri') {
    let rest = loc.slice(loc.indexOf(':') + 1);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      rest = slash < 0 ? '/' : rest.slice(slash);
    }
    rest = rest.split(/[?#]/)[0]!;
    try {
      p = decodeURIComponent(rest);
    } catch {
      p = rest;
    }
    // file:///C:/Users/... is a Windows drive path
    if (/^\/[a-zA-Z]:[\\/]/.test(p)) p = p.slice(1);
  }
  if (DRIVE_RE.test(p) || p.startsWith('\\\\')) return p;
  return path.isAbsolute(p) ? p : path.resolve(path.dirname(root), p);
}

/** The location with `\` as `/` and no trailing slash, for comparing its tail. */
function normalTail(loc: string): string {
  return loc.replace(/\\/g, '/').replace(/\/+$/, '');
}

/** True when `loc` ends with the path segments `tail` (e.g. `0` or `<run>/artifacts`). */
export function endsWithSegments(loc: string, tail: string): boolean {
  const n = normalTail(loc);
  return n === tail || n.endsWith('/' + tail) || n.endsWith(':' + tail);
}

/** Strip `/<tail>` from a location, keeping its form (scheme, host, encoding). */
export function stripSegments(loc: string, tail: string): string {
  const trimmed = loc.replace(/[\\/]+$/, '');
  return trimmed.slice(0, trimmed.length - tail.length - 1);
}

/** The store root written in a form: a file: URI (percent-encoded like MLflow) or a plain path. */
export function rootInForm(root: string, form: LocationForm): string {
  return form === 'file-uri' ? 'file://' + encodePathForUri(root) : root;
}

/** Existence checks with a cache of parent folders (a moved store fails at the same prefix every time). */
export class ExistsCache {
  private readonly dirs = new Map<string, boolean>();

  exists(p: string): boolean {
    return fs.existsSync(p);
  }

  /** Whether `p` exists, answering "no" without a stat when its parent `prefix` is known missing. */
  existsUnder(prefix: string, p: string): boolean {
    let known = this.dirs.get(prefix);
    if (known === undefined) {
      known = fs.existsSync(prefix);
      this.dirs.set(prefix, known);
    }
    return known && fs.existsSync(p);
  }
}

/** True when `p` is the store root or inside it (also through a symlinked root). */
export function isInside(root: string, p: string): boolean {
  const inside = (base: string): boolean => {
    const r = path.relative(base, path.resolve(p));
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  };
  return inside(root) || inside(realRoot(root));
}

const realRoots = new Map<string, string>();
function realRoot(root: string): string {
  let r = realRoots.get(root);
  if (r === undefined) {
    try {
      r = fs.realpathSync(root);
    } catch {
      r = root;
    }
    realRoots.set(root, r);
  }
  return r;
}

/** True when `p` names `expected` (a place inside the store that may not exist, e.g. a trashed experiment's home). */
function samePlace(root: string, p: string, expected: string): boolean {
  const a = path.resolve(p);
  if (a === path.resolve(expected)) return true;
  const rel = path.relative(root, expected);
  return a === path.join(realRoot(root), rel);
}

/** True when two paths name the same folder (symlinks resolved). */
function sameDir(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** How the store's experiments write their artifact locations, learned from the healthy ones. */
export interface ArtifactRoots {
  /** `<prefix>` of healthy local locations `<prefix>/<id>` that name the experiment's own folder */
  local?: string;
  /** most common `<prefix>` of remote locations `<prefix>/<id>` (mlflow-artifacts:, s3:, …) */
  remote?: string;
  /** the most common form among local locations, healthy or not (file-uri when none) */
  localForm: LocationForm;
}

function mostCommon(counts: Map<string, number>): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [k, c] of counts) {
    if (c > n) {
      best = k;
      n = c;
    }
  }
  return best;
}

/** Learn the store's artifact-location convention from `(folder, dir, location)` of its experiments. */
export function learnArtifactRoots(root: string, exps: { folder: string; dir: string; location: string | undefined }[]): ArtifactRoots {
  const local = new Map<string, number>();
  const remote = new Map<string, number>();
  const forms = new Map<string, number>();
  for (const e of exps) {
    const loc = e.location;
    if (!loc) continue;
    const form = formOf(loc);
    if (form !== 'remote') forms.set(form, (forms.get(form) ?? 0) + 1);
    if (!endsWithSegments(loc, e.folder)) continue;
    const prefix = stripSegments(loc, e.folder);
    if (form === 'remote') {
      remote.set(prefix, (remote.get(prefix) ?? 0) + 1);
      continue;
    }
    const lp = localPathOf(loc, root);
    if (lp !== undefined && (sameDir(lp, e.dir) || samePlace(root, lp, path.join(root, e.folder)))) local.set(prefix, (local.get(prefix) ?? 0) + 1);
  }
  const r: ArtifactRoots = { localForm: (mostCommon(forms) as LocationForm | undefined) ?? 'file-uri' };
  const l = mostCommon(local);
  if (l !== undefined) r.local = l;
  const m = mostCommon(remote);
  if (m !== undefined) r.remote = m;
  return r;
}

/**
 * The first folder between the store root and `p` (both excluded) that is a symlink, as a
 * store-relative path; undefined when there is none. A repair must never write through one:
 * the change would land in the folder the link points at.
 */
export function linkOnPath(root: string, p: string): string | undefined {
  const rel = path.relative(root, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  let at = root;
  for (let i = 0; i < parts.length - 1; i++) {
    at = path.join(at, parts[i]!);
    try {
      if (fs.lstatSync(at).isSymbolicLink()) return parts.slice(0, i + 1).join('/');
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Whether something (a file, a folder, a symlink, even a dangling one) is at `p`. */
export function present(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
