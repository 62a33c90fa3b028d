/**
 * Artifact locations (spec mlruns-format §8): turning a recorded `artifact_uri`,
 * `artifact_location` or registry `source` into a folder on this machine.
 *
 * Recorded locations are absolute and frozen when written, so a store that was moved,
 * rsynced or committed still points at the machine it was written on. When the recorded
 * folder does not exist here but the same artifacts sit inside the current store
 * (`<root>/<exp>/<run>/artifacts`, `<root>/<exp>/models/<model_id>/artifacts`), they are
 * read from there instead: a read-only "virtual re-root" that writes nothing and says so.
 */
import { DRIVE_RE, SCHEME_RE } from '../uri.js';
import path from 'node:path';
import { isDirectory } from '../file/fsread.js';

/** What a recorded location string is, before looking at the disk. */
export type ParsedLocation =
  { kind: 'local'; path: string } | { kind: 'relative'; path: string } | { kind: 'remote'; scheme: string } | { kind: 'invalid'; reason: string };

/**
 * Percent-decode like Python's `urllib.parse.unquote`: valid `%XX` escapes become bytes,
 * anything else is kept, and the bytes are read as UTF-8 (bad sequences become U+FFFD).
 */
export function unquotePath(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length;) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    bytes.push(...enc.encode(ch));
    i += ch.length;
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}

/**
 * Classify a recorded location: a local absolute path (plain, `file:///…`,
 * `file://localhost/…`, `file:/…`, percent-decoded), a relative one (`./mlruns/1`,
 * `file:./mlruns/1`), a remote URI (`s3://…`, `mlflow-artifacts:/…`, `file://otherhost/…`),
 * or nothing usable. Windows paths (`C:\…`, `file:///C:/…`) come back as local paths; they
 * do not exist on another OS, so the re-root applies to them.
 */
export function parseLocation(uri: string): ParsedLocation {
  if (uri === '') return { kind: 'invalid', reason: 'no artifact location is recorded' };
  if (DRIVE_RE.test(uri)) return { kind: 'local', path: uri };
  const m = SCHEME_RE.exec(uri);
  if (!m) return path.isAbsolute(uri) ? { kind: 'local', path: uri } : { kind: 'relative', path: uri };
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'file') return { kind: 'remote', scheme };
  let rest = uri.slice(m[0].length).split(/[?#]/)[0]!;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host !== 'localhost' && host !== '127.0.0.1' && host !== '.') {
      return { kind: 'remote', scheme: `file://${host}` };
    }
    rest = slash < 0 ? '/' : rest.slice(slash);
  }
  const p = unquotePath(rest);
  // file:///C:/x → C:/x (a Windows drive path, never found here)
  if (/^\/[a-zA-Z]:\//.test(p)) return { kind: 'local', path: p.slice(1) };
  return p.startsWith('/') ? { kind: 'local', path: p } : { kind: 'relative', path: p };
}

/** Path segments of a recorded local path, splitting on `/` and (Windows) `\`. */
export function pathSegments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** How a location was resolved, for --verbose and JSON. */
type Resolution = 'recorded' | 'relative' | 'reroot' | 'mlartifacts';

export interface ResolvedFolder {
  /** the folder on this machine */
  path: string;
  how: Resolution;
  /** the recorded string, verbatim */
  recorded: string;
  /** a sentence for --verbose when the folder is not the recorded one */
  note?: string;
}

/** Where a recorded location cannot be read from; `reason` is a full sentence. */
export interface UnreachableFolder {
  recorded: string;
  remote: boolean;
  reason: string;
}

export interface ResolveContext {
  /** absolute store root */
  root: string;
  /** working directory for relative locations */
  cwd: string;
}

/**
 * Resolve a recorded location to a local folder. `inStore` is where the same folder lives
 * inside the current store (the re-root target), and `suffix` the trailing segments that
 * identify it in a recorded path (e.g. `[<run_id>, 'artifacts']`). The recorded folder
 * wins when it exists; then a relative one (against the working directory, then against
 * the folder holding the store); then the in-store folder, when the recorded path ends
 * with `suffix` or `inStoreAnyway` says the in-store copy is real.
 */
export function resolveFolder(
  recorded: string,
  ctx: ResolveContext,
  inStore?: { path: string; suffix: string[]; anyway?: boolean },
): ResolvedFolder | UnreachableFolder {
  const parsed = parseLocation(recorded);
  if (parsed.kind === 'remote' && parsed.scheme === 'mlflow-artifacts') {
    // `mlflow server` keeps proxied artifacts in ./mlartifacts by default: when that folder
    // sits next to the store (a committed or copied project), read it from there
    const rest = recorded.replace(/^mlflow-artifacts:(\/\/[^/]*)?/i, '');
    const rel = pathSegments(unquotePath(rest));
    for (const base of [path.dirname(ctx.root), ctx.cwd]) {
      const p = path.join(base, 'mlartifacts', ...rel);
      if (rel.length > 0 && isDirectory(p)) {
        return { path: p, how: 'mlartifacts', recorded, note: `'${recorded}' is served by an MLflow server; reading its default local destination ${p}` };
      }
    }
  }
  if (parsed.kind === 'remote') {
    return {
      recorded,
      remote: true,
      reason: `'${recorded}' is on remote storage (${parsed.scheme}), which mlr cannot reach: use MLflow's client or the storage's own tools`,
    };
  }
  if (parsed.kind === 'invalid') {
    if (inStore && isDirectory(inStore.path)) {
      return { path: inStore.path, how: 'reroot', recorded, note: `${parsed.reason}; reading ${inStore.path}` };
    }
    return { recorded, remote: false, reason: parsed.reason };
  }
  if (parsed.kind === 'local' && isDirectory(parsed.path)) return { path: parsed.path, how: 'recorded', recorded };
  if (parsed.kind === 'relative') {
    for (const base of [ctx.cwd, path.dirname(ctx.root)]) {
      const p = path.resolve(base, parsed.path);
      if (isDirectory(p)) {
        return { path: p, how: 'relative', recorded, note: `relative artifact location '${recorded}' resolved against ${base}` };
      }
    }
  }
  if (inStore && isDirectory(inStore.path)) {
    const segs = pathSegments(parsed.path);
    const tail = segs.slice(-inStore.suffix.length);
    const matches = tail.length === inStore.suffix.length && tail.every((s, i) => s === inStore.suffix[i]);
    if (matches || inStore.anyway) {
      return {
        path: inStore.path,
        how: 'reroot',
        recorded,
        note: `recorded artifact location ${recorded} does not exist on this machine; reading ${inStore.path} instead (virtual re-root, nothing written)`,
      };
    }
  }
  const where =
    parsed.kind === 'relative' ? `relative location '${recorded}' was not found from ${ctx.cwd} or ${path.dirname(ctx.root)}` : `${parsed.path} does not exist`;
  return { recorded, remote: false, reason: where };
}

export function isResolved(r: ResolvedFolder | UnreachableFolder): r is ResolvedFolder {
  return (r as ResolvedFolder).path !== undefined;
}
