/**
 * Tracking URI → store root (spec mlruns-format §1). Pure: the caller passes the
 * environment and working directory.
 */
import { DRIVE_RE, SCHEME_RE } from './uri.js';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface StoreLocation {
  /** which backend: the file store (a folder), MLflow's SQLite database, a tracking server */
  kind: 'file' | 'sqlite' | 'rest';
  /** absolute path of the store root (file store), of the database (SQLite); '' for a server */
  root: string;
  /** the artifact root MLflow would use for new experiments (a URI or a plain path) */
  artifactRoot: string;
  /** where the URI came from, for messages */
  origin: '--tracking-uri' | 'MLFLOW_TRACKING_URI' | 'default';
  /** the URI as given */
  uri: string;
}

/** Percent-encode a POSIX path the way Python's pathlib `as_uri()` does (keeps `/`). */
export function encodePathForUri(p: string): string {
  return Array.from(new TextEncoder().encode(p))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9_.~\-/]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
    })
    .join('');
}

function decodePercent(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new UsageError(`invalid percent-encoding in file URI path '${p}'`, 'bad-uri');
  }
}

/** Whether a tracking URI names a SQLite database (`sqlite:` or `sqlite+driver:`). */
export function isSqliteUri(uri: string): boolean {
  return /^sqlite(\+[a-z0-9_]+)?:/i.test(uri);
}

/**
 * The file a `sqlite:` URI names, as SQLAlchemy reads it: `sqlite:///relative/mlflow.db`
 * (relative to `cwd`) and `sqlite:////abs/mlflow.db`. A query string (`?mode=ro`) is
 * dropped. In-memory databases (`sqlite://`, `:memory:`) are refused: nothing would persist.
 */
export function sqlitePathFromUri(uri: string, cwd: string): string {
  const m = /^sqlite(?:\+[a-z0-9_]+)?:\/\/(.*)$/is.exec(uri);
  if (!m) throw new UsageError(`not a SQLite tracking URI: '${uri}' (expected sqlite:///path/to/mlflow.db)`, 'bad-uri');
  let rest = m[1]!;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  // what follows "sqlite://" is "/<database>"; an empty database is SQLAlchemy's in-memory one
  const database = rest.startsWith('/') ? rest.slice(1) : rest;
  if (database === '' || database === ':memory:') {
    throw new UsageError(`'${uri}' is an in-memory database; give a file: sqlite:///mlflow.db`, 'bad-uri');
  }
  if (rest !== '' && !rest.startsWith('/')) {
    throw new UsageError(`'${uri}' has a host part; SQLite URIs are sqlite:///relative/path or sqlite:////absolute/path`, 'bad-uri');
  }
  return path.resolve(cwd, database);
}

/**
 * Resolve the store location: `uri` (from --tracking-uri) wins, then MLFLOW_TRACKING_URI,
 * then `./mlruns`. Plain paths and `file:` URIs are the file store, `sqlite:` URIs MLflow's
 * SQLite database (new experiments' artifacts under `<cwd>/mlruns`, MLflow's default),
 * `http:`/`https:` a tracking server; any other scheme is a usage error (exit 2).
 */
export function resolveTrackingUri(uri: string | undefined, env: Record<string, string | undefined>, cwd: string): StoreLocation {
  let origin: StoreLocation['origin'] = '--tracking-uri';
  let given = uri;
  if (given === undefined || given === '') {
    given = env['MLFLOW_TRACKING_URI'];
    origin = 'MLFLOW_TRACKING_URI';
  }
  if (given === undefined || given === '') {
    const root = path.join(cwd, 'mlruns');
    return { kind: 'file', root, artifactRoot: 'file://' + encodePathForUri(root), origin: 'default', uri: './mlruns' };
  }
  const scheme = SCHEME_RE.exec(given);
  if (!scheme || DRIVE_RE.test(given)) {
    const root = path.resolve(cwd, given);
    return { kind: 'file', root, artifactRoot: root, origin, uri: given };
  }
  if (isSqliteUri(given)) {
    return { kind: 'sqlite', root: sqlitePathFromUri(given, cwd), artifactRoot: path.join(cwd, 'mlruns'), origin, uri: given };
  }
  if (/^https?$/i.test(scheme[1]!)) {
    // a tracking server: the REST backend (src/store/rest/)
    return { kind: 'rest', root: '', artifactRoot: '', origin, uri: given };
  }
  if (scheme[1]!.toLowerCase() !== 'file') {
    throw new UsageError(
      `tracking URI '${given}' uses the '${scheme[1]}' scheme, which mlr does not support: ` +
        `mlr reads MLflow's file store (a path or a file: URI), its SQLite database (sqlite:///mlflow.db) and tracking servers (http:// or https://)`,
      'unsupported-scheme',
    );
  }
  const rest = given.slice(scheme[0].length);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    const p = slash < 0 ? '/' : rest.slice(slash);
    if (host !== '' && host !== 'localhost' && host !== '127.0.0.1' && host !== '.') {
      throw new UsageError(`'${given}' is not a valid file URI: host '${host}' is not this machine (use file:///path)`, 'bad-uri');
    }
    const root = decodePercent(p.split(/[?#]/)[0]!);
    // file:///abs and file://localhost/abs are kept verbatim as the artifact root
    return { kind: 'file', root: path.resolve(root), artifactRoot: given, origin, uri: given };
  }
  const p = decodePercent(rest.split(/[?#]/)[0]!);
  if (p.startsWith('/')) {
    return { kind: 'file', root: path.resolve(p), artifactRoot: 'file://' + rest, origin, uri: given };
  }
  // relative file URI: the artifact root is not normalised (file:../x → file:///cwd/../x)
  return {
    kind: 'file',
    root: path.resolve(cwd, p),
    artifactRoot: 'file://' + encodePathForUri(cwd) + '/' + rest,
    origin,
    uri: given,
  };
}
