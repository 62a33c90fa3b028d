/**
 * What every command action gets: the resolved store, the output mode, and writers for
 * stdout (data) and stderr (warnings). Built once per invocation from global options.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { decideOutputMode, type OutputMode } from '../render/output.js';
import { UsageError } from '../errors.js';
import type { ArtifactRepository, Backend, ModelRegistry, TrackingReader, TrackingWriter } from '../store/backend.js';
import { escapeControls } from '../render/format.js';
import { resolveTrackingUri, type StoreLocation } from '../store/root.js';
import type { Problem } from '../store/types.js';
import type { RunRefScope } from '../commands/run-ref.js';
import { loadConfig, type MlrConfig } from './config.js';
import { PagedOutput, pagerCommand } from './pager.js';
import type { CliIO } from './io.js';
import { colorFlag, invocationOf } from './main.js';

interface GlobalOptions {
  trackingUri?: string;
  store?: string;
  color?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** false with --no-pager (commander's negatable option) */
  pager?: boolean;
}

export interface Context {
  /** the invocation's streams, arguments and signals */
  readonly io: CliIO;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly globals: GlobalOptions;
  readonly mode: OutputMode;
  /** where the store is (resolved, not opened) */
  location(): StoreLocation;
  /** the backend the tracking URI names (its parts open on first use); cached */
  backend(): Promise<Backend>;
  /** the backend's reader, opened (NotFoundError when the store does not exist) */
  reader(): Promise<TrackingReader>;
  writer(): Promise<TrackingWriter>;
  registry(): Promise<ModelRegistry>;
  artifacts(): Promise<ArtifactRepository>;
  /**
   * The file store's root, for the commands that work on its folders (doctor, gc, runs mv,
   * trash); a usage error (exit 2) naming `what` on any other backend.
   */
  fileRoot(what: string): Promise<string>;
  /** write data to stdout, respecting back-pressure */
  out(text: string): Promise<void>;
  /** a warning line on stderr (suppressed by --quiet) */
  warn(message: string): void;
  /** a line on stderr only under --verbose */
  info(message: string): void;
  /** print the store's collected warnings (and strays under --verbose), and `extra` ones a command collected */
  flushProblems(extra?: readonly Problem[]): void;
  /** a line on stderr (not a warning: confirmations, progress) */
  note(message: string): void;
  /** the exit code the invocation ends with (when the command itself succeeds) */
  setExitCode(code: number): void;
  /**
   * The run id a reference names: ids and id prefixes as given (no store read), else a
   * unique run name or `latest~N` in `scope` (src/commands/run-ref.ts).
   */
  runId(ref: string, scope?: RunRefScope): Promise<string>;
  /** mlr.config.json as in force here (project's over user's); read once, on first use */
  config(): MlrConfig;
  /**
   * Let this command's output go through the pager when it is taller than the terminal
   * (a real one only; see pager.ts). Commands with bounded, read-only output call it first.
   */
  page(): void;
}

/** Global options of the invocation, wherever on the command line they were given. */
function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function createContext(cmd: Command): Context {
  const globals = globalsOf(cmd);
  const inv = invocationOf(cmd);
  const io = inv.io;
  const env = io.env;
  const cwd = io.cwd;
  const mode = decideOutputMode({
    isTTY: Boolean(io.stdout.isTTY),
    columns: io.stdout.columns,
    env,
    colorFlag: colorFlag(io.argv),
  });
  let loc: StoreLocation | undefined;
  let config: MlrConfig | undefined;
  let paged: PagedOutput | undefined;
  let backend: Promise<Backend> | undefined;
  let reader: TrackingReader | undefined;
  const printed = new Set<string>();
  let hinted = false;
  const problemLine = (p: Problem): void => {
    if (printed.has(p.message)) return;
    printed.add(p.message);
    io.stderr.write(`mlr: warning: ${escapeControls(p.message)}\n`);
  };
  const ctx: Context = {
    io,
    env,
    cwd,
    globals,
    mode,
    location() {
      if (loc) return loc;
      const flag = globals.trackingUri ?? globals.store;
      // flags, then MLFLOW_TRACKING_URI, then mlr.config.json (relative to its folder), then ./mlruns
      const fromConfig = !flag && !env['MLFLOW_TRACKING_URI'] ? ctx.config().store : undefined;
      loc = fromConfig ? resolveTrackingUri(fromConfig.value, {}, path.dirname(fromConfig.file)) : resolveTrackingUri(flag, env, cwd);
      return loc;
    },
    config() {
      config ??= loadConfig(cwd, env);
      return config;
    },
    backend() {
      backend ??= (async () => {
        if (io.openBackend) return io.openBackend(ctx.location());
        const { openBackend } = await import('../store/open.js');
        const truncate = !/^(false|0)$/i.test(env['MLFLOW_TRUNCATE_LONG_VALUES'] ?? 'true');
        const b = await openBackend(ctx.location(), { cwd, env, warn: (m) => ctx.warn(m), truncate });
        inv.cleanups.push(() => b.close());
        return b;
      })();
      return backend;
    },
    async reader() {
      reader ??= await (await ctx.backend()).reader();
      return reader;
    },
    async writer() {
      return (await ctx.backend()).writer();
    },
    async registry() {
      return (await ctx.backend()).registry();
    },
    async artifacts() {
      return (await ctx.backend()).artifacts();
    },
    async fileRoot(what: string) {
      const l = ctx.location();
      const kind = l.kind === 'file' ? (await ctx.backend()).kind : l.kind;
      if (kind !== 'file') {
        const is = kind === 'sqlite' ? 'a SQLite database' : kind === 'rest' ? 'a tracking server' : `a ${kind} backend`;
        throw new UsageError(`${what} works on a local file store (mlruns/) only; ${l.uri} is ${is}`, 'needs-file-store');
      }
      // these commands rewrite, move and delete the store's folders: an experiment or run
      // folder given as the store would be repaired into nonsense (issue 11 #5)
      const [{ findMisplacement, showPath }, { FileStore }, { existsSync }] = await Promise.all([
        import('../store/file/root-check.js'),
        import('../store/file/store.js'),
        import('node:fs'),
      ]);
      const m = findMisplacement(l.root, showPath(cwd), existsSync(l.root) && FileStore.looksLikeStore(l.root));
      if (m) throw new UsageError(`${what}: ${m.message}`, 'not-a-store-root');
      return l.root;
    },
    page() {
      if (paged || !io.stdout.isTTY || env['MLR_FORCE_TTY'] === '1') return;
      const command = pagerCommand(env, globals.pager === false);
      if (command === undefined) return;
      const rows = io.stdout.rows ?? Number(env['LINES']);
      paged = new PagedOutput(io, command, Number.isInteger(rows) && rows > 1 ? rows - 1 : 23);
      const p = paged;
      inv.cleanups.unshift(() => p.end());
    },
    out(text: string) {
      if (text.length === 0) return Promise.resolve();
      if (paged) return paged.write(text);
      return new Promise<void>((resolve) => {
        if (io.stdout.write(text)) resolve();
        else io.stdout.once('drain', () => resolve());
      });
    },
    warn(message: string) {
      if (!globals.quiet) io.stderr.write(`mlr: warning: ${escapeControls(message)}\n`);
    },
    info(message: string) {
      if (globals.verbose) io.stderr.write(`mlr: ${message}\n`);
    },
    flushProblems(extra: readonly Problem[] = []) {
      const problems = [...(reader?.problems ?? []), ...extra];
      if (!globals.quiet) for (const p of problems) problemLine(p);
      if (globals.verbose) for (const p of reader?.strays ?? []) problemLine(p);
      if (!globals.quiet && problems.length > 0 && !hinted) {
        hinted = true;
        io.stderr.write("mlr: the store has problems MLflow may choke on; 'mlr doctor' explains them and 'mlr doctor --fix' repairs them\n");
      }
    },
    note(message: string) {
      io.stderr.write(`mlr: ${message}\n`);
    },
    setExitCode(code: number) {
      inv.exitCode = code;
    },
    async runId(ref: string, scope?: RunRefScope) {
      // an id needs no search: log-metric in a shell loop must not pay for one
      if (/^[0-9a-f]{6,32}$/.test(ref)) return ref;
      const { resolveRunRef } = await import('../commands/run-ref.js');
      return resolveRunRef(await ctx.reader(), ref, scope);
    },
  };
  return ctx;
}
