/**
 * `mlr run -- <command> [args…]`: create a run, run the command with MLFLOW_RUN_ID,
 * MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID set (so MLflow inside logs to the same
 * run), then end the run FINISHED (exit 0), FAILED (other exit) or KILLED (SIGINT/SIGTERM/
 * SIGHUP, or the command killed by a signal), and report the command's exit code.
 *
 * Signals: SIGTERM and SIGHUP are forwarded to the command. SIGINT is forwarded too,
 * except the first one while a terminal is attached: Ctrl-C already reached the whole
 * foreground process group, command included, and a second copy would interrupt its
 * clean-up (a second SIGINT is forwarded).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { RunStatus } from '../store/types.js';
import { commandLine } from './source.js';
import { runsCreate, type RunsCreateOptions } from './create.js';
import type { WriteContext } from './write.js';

export interface RunCommandOptions extends Omit<RunsCreateOptions, 'sourceName'> {
  command: string[];
  /** the tracking URI the command gets (absolute, so a chdir in the command is harmless) */
  trackingUri: string;
  /** true when a terminal is attached (decides the first-SIGINT rule) */
  interactive: boolean;
  /** progress lines for stderr (run id, final status) */
  info: (message: string) => void;
  warn: (message: string) => void;
  /** where the command's stdio goes: inherited when these are the process's own, else piped */
  io: CommandIO;
}

/** The streams and signals the wrapped command is attached to. */
export interface CommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** true when the streams are this process's own (the child inherits the file descriptors) */
  inheritable: boolean;
  signals: {
    on(sig: (typeof FORWARDED)[number], handler: () => void): void;
    off(sig: (typeof FORWARDED)[number], handler: () => void): void;
  };
}

export interface RunCommandResult {
  run_id: string;
  status: RunStatus;
  /** what mlr should exit with: the command's code, 128+n when killed by signal n */
  exitCode: number;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runCommand(ctx: WriteContext, opts: RunCommandOptions): Promise<RunCommandResult> {
  const [cmd, ...args] = opts.command;
  if (!cmd) throw new Error('runCommand: empty command');
  const run = runsCreate(ctx, { ...opts, sourceName: commandLine(opts.command) });
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    MLFLOW_RUN_ID: run.run_id,
    MLFLOW_TRACKING_URI: opts.trackingUri,
    MLFLOW_EXPERIMENT_ID: run.experiment_id,
  };
  // the experiment name could point elsewhere than the id we just used
  delete env['MLFLOW_EXPERIMENT_NAME'];

  let signalled: NodeJS.Signals | undefined;
  let sigints = 0;
  const io = opts.io;
  const child = spawn(cmd, args, { stdio: io.inheritable ? 'inherit' : ['ignore', 'pipe', 'pipe'], env, cwd: ctx.cwd });
  child.stdout?.pipe(io.stdout, { end: false });
  child.stderr?.pipe(io.stderr, { end: false });
  const handlers = new Map<(typeof FORWARDED)[number], () => void>();
  for (const sig of FORWARDED) {
    const h = (): void => {
      signalled ??= sig;
      if (sig === 'SIGINT' && opts.interactive && sigints++ === 0) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    handlers.set(sig, h);
    io.signals.on(sig, h);
  }
  // printed once signals are handled, so whoever waits for this line may signal us
  opts.info(`run ${run.run_id} (${run.run_name}) in experiment ${run.experiment_id}`);
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    // piped: 'close', so everything the command printed has reached our streams first
    child.once(io.inheritable ? 'exit' : 'close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
  });
  for (const [sig, h] of handlers) io.signals.off(sig, h);

  let exitCode: number;
  let status: RunStatus;
  if (outcome.error) {
    const notFound = outcome.error.code === 'ENOENT';
    opts.warn(notFound ? `command not found: ${cmd}` : `cannot run ${cmd}: ${outcome.error.code ?? outcome.error.message}`);
    exitCode = notFound ? 127 : 126;
    status = 'FAILED';
  } else if (outcome.signal) {
    exitCode = 128 + (constants.signals[outcome.signal] ?? 0);
    status = 'KILLED';
  } else {
    exitCode = outcome.code ?? 1;
    status = signalled ? 'KILLED' : exitCode === 0 ? 'FINISHED' : 'FAILED';
  }
  try {
    ctx.writer.endRun(run.run_id, status);
    opts.info(`run ${run.run_id} ${status}`);
  } catch (e) {
    opts.warn(`could not end run ${run.run_id}: ${(e as Error).message}`);
  }
  return { run_id: run.run_id, status, exitCode };
}
