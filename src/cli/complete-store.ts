/**
 * `mlr __complete -- <words…>` with the store behind it: the candidates for the last word,
 * from the store the command line names (else the one mlr would use), read afresh.
 *
 * A shell asks on every TAB, so the binary answers it without commander and without the
 * command modules (src/cli.ts → completeFromBuild): the command tree comes from
 * dist/cli/completion-spec.json, which `npm run build` writes from the program itself
 * (scripts/build-completion.mjs), and a file store is listed by FileStore alone. The
 * in-process CLI (`runCli`, the tests) gets here through the hidden commander command with
 * the live program's spec: one implementation, two ways in.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import type { FileStore } from '../store/file/store.js';
import type { StoreLocation } from '../store/root.js';
import type { Backend } from '../store/backend.js';
import type { CompletionRun } from './complete-cache.js';
import { completeWords, type CompletionSpec } from './complete.js';

interface CompleteOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** --store / --tracking-uri given to mlr itself (before `__complete`) */
  flag?: string | undefined;
  /** the CliIO's backend opener (tests), if any */
  openBackend?: ((location: StoreLocation) => Promise<Backend>) | undefined;
}

/** Where the store is: the line's --store, else mlr's own rule (flag, MLFLOW_TRACKING_URI, mlr.config.json, ./mlruns). */
async function locate(words: readonly string[], opts: CompleteOptions): Promise<StoreLocation> {
  const { resolveTrackingUri } = await import('../store/root.js');
  const at = words.findIndex((w, i) => (w === '--store' || w === '--tracking-uri') && i < words.length - 2);
  const inline = words.find((w) => /^--(store|tracking-uri)=/.test(w));
  const given = at >= 0 ? words[at + 1] : (inline?.replace(/^--[\w-]+=/, '') ?? opts.flag);
  if (given !== undefined || opts.env['MLFLOW_TRACKING_URI']) return resolveTrackingUri(given, opts.env, opts.cwd);
  // as Context.location(): a config's store is relative to the file's folder
  const { loadConfig } = await import('./config.js');
  const fromConfig = loadConfig(opts.cwd, opts.env).store;
  return fromConfig ? resolveTrackingUri(fromConfig.value, {}, path.dirname(fromConfig.file)) : resolveTrackingUri(undefined, opts.env, opts.cwd);
}

/** The candidates for the last of `words`, one per line; a store that cannot be read completes nothing (the shell is no place for errors). */
export async function completeLine(spec: CompletionSpec, words: readonly string[], opts: CompleteOptions): Promise<string> {
  const closers: (() => Promise<void>)[] = [];
  // a file store is read by FileStore itself (what its reader lists); other backends through their reader
  let source: Promise<{ store?: FileStore; reader?: TrackingReader }> | undefined;
  const open = (): Promise<{ store?: FileStore; reader?: TrackingReader }> =>
    (source ??= (async () => {
      const loc = await locate(words, opts);
      if (loc.kind === 'file' && !opts.openBackend) {
        const { FileStore } = await import('../store/file/store.js');
        return { store: FileStore.open(loc.root) };
      }
      let backend: Backend;
      if (opts.openBackend) backend = await opts.openBackend(loc);
      else {
        const { openBackend } = await import('../store/open.js');
        backend = await openBackend(loc, { cwd: opts.cwd, env: opts.env, warn: () => {}, truncate: true });
      }
      closers.push(() => backend.close());
      return { reader: await backend.reader() };
    })());
  const experiments = async (): Promise<string[]> => {
    const s = await open();
    const exps = s.store ? s.store.listExperiments('active') : await s.reader!.listExperiments('active');
    return exps.map((e) => e.experiment.name);
  };
  let newest: Promise<CompletionRun[]> | undefined;
  const runs = (): Promise<CompletionRun[]> =>
    (newest ??= (async () => {
      const s = await open();
      let all: CompletionRun[];
      if (s.store) {
        const store = s.store;
        const { CompletionCache, completionCacheFile } = await import('./complete-cache.js');
        const cache = new CompletionCache(store.root, completionCacheFile(store.root, opts.env));
        all = store.listRunInfos(store.listExperiments('active'), 'active', (exp, folder) =>
          cache.run(exp.dir + path.sep + folder, () => store.readRun(exp, folder)),
        );
        cache.save();
      } else all = await s.reader!.listRuns(await s.reader!.listExperiments('active'), 'active');
      return all.sort((a, b) => Number(b.info.start_time ?? 0) - Number(a.info.start_time ?? 0));
    })());
  let out: string[] = [];
  try {
    out = await completeWords(spec, words, {
      experiments,
      runs: async () => (await runs()).map((r) => ({ id: r.info.run_id, name: r.info.run_name })),
      metricKeys: async () => {
        const s = await open();
        const some = (await runs()).slice(0, 50);
        // the runs may come from completion's cache: the store reads the ones it needs again
        const keys = s.store
          ? some.map((r) => {
              const run = s.store!.findRunOrUndefined(r.info.run_id);
              return run ? s.store!.listMetricKeys(run) : [];
            })
          : await Promise.all(some.map((r) => s.reader!.listMetricKeys(r as RunEntry)));
        return [...new Set(keys.flat())].sort();
      },
    });
  } catch {
    out = [];
  } finally {
    for (const c of closers) await c().catch(() => {});
  }
  return out.map((c) => c + '\n').join('');
}

/**
 * `mlr __complete -- <words…>` from the binary, with the spec the build wrote beside this
 * module: the text to print, or undefined when there is no spec (running from the sources)
 * or the line is not in the scripts' form — the full CLI answers then.
 */
export async function completeFromBuild(argv: readonly string[], env: Record<string, string | undefined>, cwd: string): Promise<string | undefined> {
  if (argv[0] !== '__complete' || argv[1] !== '--') return undefined;
  let spec: CompletionSpec;
  try {
    spec = JSON.parse(fs.readFileSync(new URL('./completion-spec.json', import.meta.url), 'utf8')) as CompletionSpec;
  } catch {
    return undefined;
  }
  return completeLine(spec, argv.slice(2), { env, cwd });
}
