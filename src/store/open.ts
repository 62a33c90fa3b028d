/**
 * Opening the backend a tracking URI names. Each backend's module is imported only when
 * chosen, so a command pays for the one it uses.
 */
import type { Backend } from './backend.js';
import type { StoreLocation } from './root.js';

export interface OpenOptions {
  cwd: string;
  now?: () => number;
  warn?: (message: string) => void;
  /** MLFLOW_TRUNCATE_LONG_VALUES (default true) */
  truncate?: boolean;
  /** the environment (a tracking server's credentials, timeouts and retries: MLFLOW_TRACKING_*, MLFLOW_HTTP_*) */
  env?: Record<string, string | undefined>;
  /** a long-running process (`mlr server`): keep parsed files across freshReader() calls */
  longLived?: boolean;
}

/** How a location is named in messages: the path and where it came from. */
export function describeLocation(l: StoreLocation): string {
  return l.origin === 'default' ? `${l.root} (the default ./mlruns; set --store or MLFLOW_TRACKING_URI)` : `${l.root} (from ${l.origin})`;
}

/** The backend for a resolved location (not yet opened: its parts open on first use). */
export async function openBackend(loc: StoreLocation, opts: OpenOptions): Promise<Backend> {
  if (loc.kind === 'rest') {
    const { RestBackend } = await import('./rest/backend.js');
    return new RestBackend({
      uri: loc.uri,
      env: opts.env ?? {},
      cwd: opts.cwd,
      describe: `${loc.uri.replace(/\/+$/, '')}${loc.origin === 'MLFLOW_TRACKING_URI' ? ' (from MLFLOW_TRACKING_URI)' : ''}`,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }
  if (loc.kind === 'sqlite') {
    const { SqliteBackend } = await import('./sqlite/backend.js');
    return new SqliteBackend({
      file: loc.root,
      artifactRoot: loc.artifactRoot,
      cwd: opts.cwd,
      describe: `${loc.uri}${loc.origin === 'MLFLOW_TRACKING_URI' ? ' (from MLFLOW_TRACKING_URI)' : ''}`,
      // absolute (sqlite:////abs/mlflow.db), so a child that changes folder still finds it
      trackingUri: `sqlite:///${loc.root}`,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
      ...(opts.truncate !== undefined ? { truncate: opts.truncate } : {}),
    });
  }
  const { FileBackend } = await import('./file/backend.js');
  // a long-running process: parsed files kept, validated by inotify watches (stat where none)
  // and a thread that reads a cold search's files ahead of it
  const cache = opts.longLived
    ? new (await import('./file/cache.js')).ParseCache(
        opts.now,
        new (await import('./file/watch.js')).WatchTree(loc.root),
        new (await import('./file/read-ahead.js')).ReadAhead(),
      )
    : undefined;
  return new FileBackend({
    ...(cache ? { cache, asyncLock: true } : {}),
    root: loc.root,
    artifactRoot: loc.artifactRoot,
    cwd: opts.cwd,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.warn ? { warn: opts.warn } : {}),
    ...(opts.truncate !== undefined ? { truncate: opts.truncate } : {}),
    describe: describeLocation(loc),
    trackingUri: loc.artifactRoot,
  });
}
