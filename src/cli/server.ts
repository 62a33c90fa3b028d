/**
 * Wiring for `mlr server`: options → startServer (src/server) → the URL to paste, then
 * serve until SIGINT/SIGTERM (through the invocation's signals, so tests can stop it).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { createContext } from './context.js';

/** 127.0.0.0/8, ::1, localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** `user:password` (the password may contain ':'). */
export function parseAuth(v: string): { username: string; password: string } {
  const i = v.indexOf(':');
  if (i <= 0 || i === v.length - 1) throw new UsageError(`--auth takes user:password, got '${v.replace(/:.*/, ':…')}'`, 'bad-auth');
  return { username: v.slice(0, i), password: v.slice(i + 1) };
}

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return Number(v);
}

/** `500M`, `2G`, `1048576`: bytes. */
export function byteSize(v: string): number {
  const m = /^(\d+)([KMGT]i?B?|B)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected a size in bytes, optionally with K, M, G or T (e.g. 500M).');
  const unit = (m[2] ?? '').toUpperCase()[0];
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : unit === 'T' ? 1024 ** 4 : 1;
  return Number(m[1]) * mult;
}

interface ServerFlags {
  host: string;
  port: number;
  readOnly?: boolean;
  auth?: string | false;
  artifactsDestination?: string;
  serveArtifacts: boolean;
  maxArtifactSize?: number;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description("serve MLflow's tracking REST API over the store, for MLflow's Python client and every tool that speaks MLflow")
    .option('--host <host>', 'address to bind (a non-loopback one needs --auth or --no-auth)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', port, 5000)
    .option('--read-only', 'refuse every write with 403 PERMISSION_DENIED')
    .option('--auth <user:password>', 'require HTTP basic auth (also MLR_SERVER_AUTH); MLflow clients send MLFLOW_TRACKING_USERNAME/PASSWORD')
    .option('--no-auth', 'serve a non-loopback address without authentication')
    .option('--artifacts-destination <dir>', "where mlflow-artifacts: artifacts are kept (default: mlartifacts/ beside the store, which 'mlr artifacts' reads)")
    .option('--no-serve-artifacts', 'do not proxy artifacts (new experiments then log artifacts into the store)')
    .option('--max-artifact-size <bytes>', 'largest artifact upload (default 5G)', byteSize)
    .addHelpText(
      'after',
      '\nExamples:\n  mlr server --store ./mlruns\n  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py\n  mlr server --host 0.0.0.0 --auth ana:s3cret --read-only',
    )
    .action((flags: ServerFlags, cmd: Command) => serve(flags, cmd));

  program
    .command('ui')
    .description('browse the store in a web page: runs table, charts, compare, artifacts, models (served on this machine; prints the URL)')
    .option('--host <host>', 'address to bind (a non-loopback one needs --auth or --no-auth)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', port, 5000)
    .option('--open', "open the page in the desktop's browser")
    .option('--read-only', 'refuse every write through the API with 403 PERMISSION_DENIED')
    .option('--auth <user:password>', 'require HTTP basic auth (also MLR_SERVER_AUTH)')
    .option('--no-auth', 'serve a non-loopback address without authentication')
    .option('--artifacts-destination <dir>', 'where mlflow-artifacts: artifacts are kept (default: mlartifacts/ beside the store)')
    .option('--no-serve-artifacts', 'do not proxy artifacts')
    .addHelpText('after', '\nExamples:\n  mlr ui --store ./mlruns\n  mlr ui --store sqlite:///mlflow.db --port 8080 --open\n  mlr ui --read-only --port 0')
    .action((flags: ServerFlags & { open?: boolean }, cmd: Command) => serve(flags, cmd, { open: Boolean(flags.open) }));
}

/** Hands the URL to the desktop (xdg-open, open, start); a failure is a warning, the server goes on. */
function openBrowser(url: string, warn: (m: string) => void): void {
  void import('node:child_process').then(({ spawn }) => {
    const [cmd, args] =
      process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
    try {
      const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
      child.on('error', () => warn(`could not open a browser (${cmd as string}); open ${url} yourself`));
      child.unref();
    } catch {
      warn(`could not open a browser; open ${url} yourself`);
    }
  });
}

/** Both commands: open the backend, start the server (with the viewer for `mlr ui`), serve until a signal. */
async function serve(flags: ServerFlags, cmd: Command, ui?: { open: boolean }): Promise<void> {
  const ctx = createContext(cmd);
  const path = await import('node:path');
  const fs = await import('node:fs');
  const authText = flags.auth === false ? undefined : (flags.auth ?? (ctx.env['MLR_SERVER_AUTH'] || undefined));
  const auth = authText === undefined ? undefined : parseAuth(authText);
  if (!isLoopback(flags.host)) {
    if (!auth && flags.auth !== false) {
      throw new UsageError(
        `--host ${flags.host} makes the store reachable from other machines: give --auth user:password (or set MLR_SERVER_AUTH), or --no-auth to serve it without authentication`,
        'needs-auth',
      );
    }
    ctx.warn(`serving on ${flags.host}, reachable from other machines, over plain HTTP${auth ? '' : ' and WITHOUT authentication'}`);
  }
  const loc = ctx.location();
  const serveArtifacts = flags.serveArtifacts !== false;
  const root = loc.kind === 'file' ? loc.root : undefined;
  const destination = serveArtifacts ? path.resolve(ctx.cwd, flags.artifactsDestination ?? path.join(path.dirname(root ?? ctx.cwd), 'mlartifacts')) : undefined;
  const { openBackend, describeLocation } = await import('../store/open.js');
  // as `mlflow server --serve-artifacts`: new experiments keep artifacts behind the proxy
  const backend = await openBackend(serveArtifacts ? { ...loc, artifactRoot: 'mlflow-artifacts:/' } : loc, {
    cwd: ctx.cwd,
    warn: (m) => ctx.warn(m),
    truncate: !/^(false|0)$/i.test(ctx.env['MLFLOW_TRUNCATE_LONG_VALUES'] ?? 'true'),
    longLived: true,
  });
  if (root !== undefined && !fs.existsSync(root) && !flags.readOnly) {
    // as MLflow's file store does for a new root: the folder and its Default experiment
    await (await backend.writer()).createExperiment('Default', { experimentId: '0' });
    ctx.note(`created a new store at ${root}`);
  }
  await backend.freshReader(); // fails now, not on the first request, when there is no store
  const { startServer } = await import('../server/index.js');
  let assets;
  if (ui) {
    const { defaultUiDir, loadUiAssets } = await import('../server/ui.js');
    const dir = defaultUiDir();
    if (dir === undefined) throw new UsageError('the web viewer is not built (dist/ui/index.html is missing): run npm run build', 'ui-not-built');
    assets = loadUiAssets(dir);
    await (await import('../server/ui.js')).warmUp(backend);
  }
  const server = await startServer({
    backend,
    host: flags.host,
    port: flags.port,
    readOnly: Boolean(flags.readOnly),
    ...(auth ? { auth } : {}),
    ...(destination !== undefined ? { artifactsDestination: destination } : {}),
    ...(flags.maxArtifactSize !== undefined ? { maxArtifactSize: flags.maxArtifactSize } : {}),
    ...(ctx.globals.verbose ? { log: (line: string) => ctx.io.stderr.write(`mlr: ${line}\n`) } : {}),
    ...(assets ? { ui: assets } : {}),
  });
  if (ui) {
    // the store as the user knows it: relative to the folder they are in, when it is below it
    const rel = loc.root ? path.relative(ctx.cwd, loc.root) : '';
    const where = loc.root === '' ? loc.uri : rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? `./${rel}` : loc.root;
    ctx.note(`viewing ${where}${flags.readOnly ? ' (read-only)' : ''}; MLflow's REST API is served at the same address`);
    ctx.note('press Ctrl-C to stop');
    await ctx.out(`${server.url}/\n`);
    if (ui.open) openBrowser(`${server.url}/`, (m) => ctx.warn(m));
  } else {
    ctx.note(`serving ${describeLocation(loc)} at ${server.url}${flags.readOnly ? ' (read-only)' : ''}${destination ? `; artifacts in ${destination}` : ''}`);
    ctx.note('press Ctrl-C to stop');
    await ctx.out(`MLFLOW_TRACKING_URI=${server.url}\n`);
    if (auth) await ctx.out(`MLFLOW_TRACKING_USERNAME=${auth.username}\nMLFLOW_TRACKING_PASSWORD=<the password given to --auth>\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      ctx.io.signals.off('SIGINT', stop);
      ctx.io.signals.off('SIGTERM', stop);
      ctx.note('stopping: letting requests in flight finish');
      void server.close().then(resolve);
    };
    ctx.io.signals.on('SIGINT', stop);
    ctx.io.signals.on('SIGTERM', stop);
  });
  await backend.close();
}
