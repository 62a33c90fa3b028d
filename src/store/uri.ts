/**
 * The small part of MLflow's URI handling that writes need (mlflow/utils/uri.py): joining
 * artifact URIs, making a user-given artifact location absolute, and turning a local
 * artifact URI back into a path.
 */
/** A URI's scheme and its colon (`file:`, `s3:`, `mlflow-artifacts:`). */
export const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
/** A Windows drive path (`C:\\…`, `C:/…`, `C:`): a path, not a URI with scheme `c`. */
export const DRIVE_RE = /^[a-zA-Z]:([\\/]|$)/;

/** The URI scheme, lower-cased, or '' for a plain path (a Windows drive path counts as plain). */
export function uriScheme(uri: string): string {
  if (DRIVE_RE.test(uri)) return '';
  const m = SCHEME_RE.exec(uri);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * MLflow's `append_to_uri_path`: join path segments onto a URI or plain path with `/`,
 * keeping scheme and host, never normalising `..` (`file:///a/b/../mlruns/1` + `r` →
 * `file:///a/b/../mlruns/1/r`).
 */
export function appendToUriPath(uri: string, ...parts: string[]): string {
  let out = uri;
  for (const part of parts) {
    const p = part.replace(/^\/+/, '');
    if (p === '') continue;
    out = out === '' ? p : out.endsWith('/') ? out + p : `${out}/${p}`;
  }
  return out;
}

/** pathlib's join of an absolute cwd and a relative path: drops `.` and empty segments, keeps `..`. */
function joinLikePathlib(cwd: string, rel: string): string {
  const segs = [...cwd.split('/'), ...rel.split('/')].filter((s) => s !== '' && s !== '.');
  return '/' + segs.join('/');
}

/**
 * MLflow's `resolve_uri_if_local` (2.11+): a relative local path or relative `file:` URI
 * given as an artifact location is made absolute against the working directory; anything
 * else is kept verbatim.
 */
export function resolveUriIfLocal(uri: string, cwd: string): string {
  const scheme = uriScheme(uri);
  if (scheme === '') return uri.startsWith('/') || DRIVE_RE.test(uri) ? uri : joinLikePathlib(cwd, uri);
  if (scheme !== 'file') return uri;
  const rest = uri.slice(uri.indexOf(':') + 1);
  if (rest.startsWith('/')) return uri;
  return `file://${joinLikePathlib(cwd, decodeURIComponent(rest))}`;
}

/**
 * The local path a `file:` URI or plain path points to, or undefined for remote URIs
 * (s3:, gs:, dbfs:, mlflow-artifacts:, …) and `file:` URIs naming another host.
 */
export function localPathOfUri(uri: string, cwd: string): string | undefined {
  const scheme = uriScheme(uri);
  if (scheme === '') return uri.startsWith('/') ? uri : joinLikePathlib(cwd, uri);
  if (scheme !== 'file') return undefined;
  let rest = uri.slice(uri.indexOf(':') + 1).split(/[?#]/)[0]!;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host !== 'localhost' && host !== '127.0.0.1' && host !== '.') return undefined;
    rest = slash < 0 ? '/' : rest.slice(slash);
  }
  let p: string;
  try {
    p = decodeURIComponent(rest);
  } catch {
    p = rest;
  }
  return p.startsWith('/') ? p : joinLikePathlib(cwd, p);
}
