/**
 * Running commands inside runs: `mlr run -- <command>`, MLproject entry points and sweeps.
 * A run is created, the command runs with MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and
 * MLFLOW_EXPERIMENT_ID set (so MLflow inside logs to the same run), then the run ends
 * FINISHED (exit 0), FAILED (other exit) or KILLED (SIGINT/SIGTERM/SIGHUP, or the command
 * killed by a signal) — unless the command ended the run itself, as MLflow's
 * _maybe_set_run_terminated allows — and the command's exit code is reported.
 *
 * Signals: SIGTERM and SIGHUP are forwarded to the command. SIGINT is forwarded too,
 * except the first one while a terminal is attached: Ctrl-C already reached the whole
 * foreground process group, command included, and a second copy would interrupt its
 * clean-up (a second SIGINT is forwarded).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { KeyValue, RunStatus } from '../store/types.js';
import type { CreatedRun } from '../store/backend.js';
import { runsCreate, type RunsCreateOptions } from './create.js';
import { runPool } from './sweep.js';
import type { WriteContext } from './write.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Forwarded = (typeof FORWARDED)[number];

/** The streams and signals the wrapped command is attached to. */
interface CommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** true when the streams are this process's own (the child inherits the file descriptors) */
  inheritable: boolean;
  signals: {
    on(sig: Forwarded, handler: () => void): void;
    off(sig: Forwarded, handler: () => void): void;
  };
}

/** What every run of one invocation shares: where the store is, the terminal, the messages. */
export interface RunSession {
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

export interface RunCommandResult {
  run_id: string;
  status: RunStatus;
  /** what mlr should exit with: the command's code, 128+n when killed by signal n */
  exitCode: number;
}

/** One run to create and one process to run in it. */
export interface RunPlan {
  create: RunsCreateOptions;
  /** params logged right after the run is created */
  params: KeyValue[];
  file: string;
  args: string[];
  cwd: string;
  /** a line printed before the run starts (the resolved command of an MLproject run) */
  announce?: string;
}

// ------------------------------------------------------------------ signals

/**
 * One handler per signal on the invocation's signals, fanned out to every running child
 * (a sweep of 16 would otherwise add 16 listeners per signal).
 */
interface SignalHub {
  subscribe(fn: (sig: Forwarded, nth: number) => void): () => void;
  close(): void;
}

function signalHub(signals: CommandIO['signals']): SignalHub {
  const subs = new Set<(sig: Forwarded, nth: number) => void>();
  const counts = new Map<Forwarded, number>();
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => {
      const nth = (counts.get(sig) ?? 0) + 1;
      counts.set(sig, nth);
      for (const fn of [...subs]) fn(sig, nth);
    };
    signals.on(sig, h);
    return [sig, h] as const;
  });
  return {
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    close() {
      for (const [sig, h] of handlers) signals.off(sig, h);
    },
  };
}

// ------------------------------------------------------------------ one child

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
  /** the first signal mlr received while the child ran */
  signalled?: Forwarded;
}

/** Spawn a child, forward signals to it (the first-SIGINT rule), resolve when it exits. */
function superviseChild(
  spec: { file: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv },
  session: RunSession,
  hub: SignalHub,
  started: () => void,
): Promise<ChildOutcome> {
  const io = session.io;
  const child = spawn(spec.file, spec.args, { stdio: io.inheritable ? 'inherit' : ['ignore', 'pipe', 'pipe'], env: spec.env, cwd: spec.cwd });
  child.stdout?.pipe(io.stdout, { end: false });
  child.stderr?.pipe(io.stderr, { end: false });
  let signalled: Forwarded | undefined;
  const unsubscribe = hub.subscribe((sig, nth) => {
    signalled ??= sig;
    if (sig === 'SIGINT' && session.interactive && nth === 1) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
  started();
  return new Promise((resolve) => {
    const done = (o: ChildOutcome): void => {
      unsubscribe();
      resolve({ ...o, ...(signalled ? { signalled } : {}) });
    };
    child.once('error', (error: NodeJS.ErrnoException) => done({ code: null, signal: null, error }));
    // piped: 'close', so everything the command printed has reached our streams first
    child.once(io.inheritable ? 'exit' : 'close', (code: number | null, signal: NodeJS.Signals | null) => done({ code, signal }));
  });
}

const TERMINATED: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

/** The run's status and mlr's exit code from the child's outcome; ends the run unless the child already did. */
async function finishRun(ctx: WriteContext, runId: string, file: string, o: ChildOutcome, session: RunSession): Promise<RunCommandResult> {
  let exitCode: number;
  let status: RunStatus;
  if (o.error) {
    const notFound = o.error.code === 'ENOENT';
    session.warn(notFound ? `command not found: ${file}` : `cannot run ${file}: ${o.error.code ?? o.error.message}`);
    exitCode = notFound ? 127 : 126;
    status = 'FAILED';
  } else if (o.signal) {
    exitCode = 128 + (constants.signals[o.signal] ?? 0);
    status = 'KILLED';
  } else {
    exitCode = o.code ?? 1;
    status = o.signalled ? 'KILLED' : exitCode === 0 ? 'FINISHED' : 'FAILED';
  }
  try {
    // read afresh: the command may have ended its run itself
    const now = (await (await ctx.reader()).findRun(runId)).info.status;
    if (TERMINATED.includes(now)) {
      // MLflow's _maybe_set_run_terminated: the command ended its run itself; keep that
      session.info(`run ${runId} ${now} (ended by the command)`);
      return { run_id: runId, status: now, exitCode };
    }
    await ctx.writer.endRun(runId, status);
    session.info(`run ${runId} ${status}`);
  } catch (e) {
    session.warn(`could not end run ${runId}: ${(e as Error).message}`);
  }
  return { run_id: runId, status, exitCode };
}

/** The environment a command runs with: the invocation's, plus MLflow's run variables. */
function runEnv(ctx: WriteContext, run: CreatedRun, trackingUri: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    MLFLOW_RUN_ID: run.run_id,
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_EXPERIMENT_ID: run.experiment_id,
  };
  // the experiment name could point elsewhere than the id we just used
  delete env['MLFLOW_EXPERIMENT_NAME'];
  return env;
}

/** Create the planned run, log its params, run its process in it and end it. */
async function executeRun(ctx: WriteContext, plan: RunPlan, session: RunSession, hub: SignalHub): Promise<RunCommandResult> {
  const run = await runsCreate(ctx, plan.create);
  if (plan.params.length > 0) {
    try {
      await ctx.writer.logParams(run.run_id, plan.params);
    } catch (e) {
      // never leave a RUNNING run behind (MLflow does, when log_batch fails)
      await ctx.writer.endRun(run.run_id, 'FAILED');
      throw e;
    }
  }
  if (plan.announce) session.info(plan.announce);
  const outcome = await superviseChild({ file: plan.file, args: plan.args, cwd: plan.cwd, env: runEnv(ctx, run, session.trackingUri) }, session, hub, () =>
    // printed once signals are handled, so whoever waits for this line may signal us
    session.info(`run ${run.run_id} (${run.run_name}) in experiment ${run.experiment_id}`),
  );
  return await finishRun(ctx, run.run_id, plan.file, outcome, session);
}

/** Run a plan with its own signal handling (one run per invocation). */
export async function runPlanned(ctx: WriteContext, plan: RunPlan, session: RunSession): Promise<RunCommandResult> {
  const hub = signalHub(session.io.signals);
  try {
    return await executeRun(ctx, plan, session, hub);
  } finally {
    hub.close();
  }
}

// ------------------------------------------------------------------ sweeps

export interface SweepResult {
  parent: CreatedRun;
  status: RunStatus;
  children: RunCommandResult[];
  /** runs never started (after Ctrl-C) */
  skipped: number;
  /** 0 when every child finished, 1 when one did not, 128+n when stopped by signal n */
  exitCode: number;
}

/**
 * A parent run and one nested child run per plan (tag mlflow.parentRunId), at most `jobs`
 * at a time. The parent ends FINISHED when every child did, FAILED otherwise, KILLED when
 * a signal stopped the sweep (the running children get it; no new child starts).
 */
export async function runSweep(ctx: WriteContext, parentCreate: RunsCreateOptions, plans: RunPlan[], jobs: number, session: RunSession): Promise<SweepResult> {
  const hub = signalHub(session.io.signals);
  let stopped: Forwarded | undefined;
  hub.subscribe((sig) => {
    stopped ??= sig;
  });
  try {
    const parent = await runsCreate(ctx, parentCreate);
    session.info(
      `sweep run ${parent.run_id} (${parent.run_name}) in experiment ${parent.experiment_id}: ${plans.length} run${plans.length === 1 ? '' : 's'}, ` +
        `${Math.min(jobs, plans.length)} at a time`,
    );
    const results = await runPool<RunCommandResult | undefined>(
      plans.length,
      jobs,
      async (i): Promise<RunCommandResult | undefined> => {
        const plan = plans[i]!;
        const child = { ...plan, create: { ...plan.create, experiment: parent.experiment_id, parent: parent.run_id } };
        try {
          return await executeRun(ctx, child, session, hub);
        } catch (e) {
          session.warn(`run ${i + 1} of the sweep (${plan.create.name ?? ''}) could not start: ${(e as Error).message}`);
          return undefined;
        }
      },
      () => stopped !== undefined,
    );
    const children = results.flatMap((r) => (r?.value ? [r.value] : []));
    const skipped = results.filter((r) => r === undefined).length;
    const allFinished = results.every((r) => r?.value?.status === 'FINISHED');
    const status: RunStatus = stopped ? 'KILLED' : allFinished ? 'FINISHED' : 'FAILED';
    await ctx.writer.endRun(parent.run_id, status);
    const finished = children.filter((c) => c.status === 'FINISHED').length;
    session.info(`sweep run ${parent.run_id} ${status}: ${finished} of ${plans.length} runs finished`);
    const exitCode = stopped ? 128 + (constants.signals[stopped] ?? 0) : status === 'FINISHED' ? 0 : 1;
    return { parent, status, children, skipped, exitCode };
  } finally {
    hub.close();
  }
}
