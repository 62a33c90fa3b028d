/**
 * `mlr run`'s argv → RunMainOptions. The form is decided by `--`: a command after it (the
 * form `mlr run` always had, where -e is the experiment), else an MLproject folder (where
 * -e is the entry point, as in `mlflow run`). Flags that belong to the other form are
 * usage errors rather than silently ignored.
 */
import { UsageError } from '../errors.js';
import type { RunMainOptions } from '../commands/run-main.js';

/** The flags of `mlr run` as commander gives them. */
export interface RunFlags {
  /** -e: without --, the entry point; with --, the experiment */
  e?: string;
  entryPoint?: string;
  param?: string[];
  experiment?: string;
  experimentName?: string;
  experimentId?: string;
  name?: string;
  runName?: string;
  tag?: string[];
  parent?: string;
  envManager?: string;
  sweep?: string[];
  sweepFile?: string;
  jobs?: number;
  dryRun?: boolean;
}

/**
 * `args` are commander's positionals (the words after `--` included, `--` itself dropped);
 * `argv` is the invocation's own argument list, where `--` is still visible.
 */
export function runMainOptions(args: readonly string[], argv: readonly string[], f: RunFlags): RunMainOptions {
  const dashdash = argv.indexOf('--');
  const command = dashdash >= 0 ? args.slice(args.length - (argv.length - dashdash - 1)) : undefined;
  const before = command ? args.slice(0, args.length - command.length) : [...args];
  const wrongForm = (flag: string, form: string): UsageError => new UsageError(`${flag} is for ${form}`, 'run-wrong-form');
  if (command) {
    if (before.length > 0) throw wrongForm(`a project folder ('${before[0]}')`, 'MLproject runs, without --: mlr run [options] [project-dir]');
    if (f.entryPoint !== undefined) throw wrongForm('--entry-point', 'MLproject runs, without --');
    if (f.e !== undefined && f.experiment !== undefined) throw new UsageError('give the experiment once: -e or --experiment', 'experiment-twice');
  } else {
    if (before.length > 1) {
      throw new UsageError(
        'put the command after --: mlr run [options] -- <command> [args…] (without --, mlr run takes one MLproject folder)',
        'run-needs-dashdash',
      );
    }
    if (f.e !== undefined && f.entryPoint !== undefined) throw new UsageError('give the entry point once: -e or --entry-point', 'entry-point-twice');
  }
  if (f.name !== undefined && f.runName !== undefined && f.name !== f.runName)
    throw new UsageError('give the run name once: --name or --run-name', 'name-twice');
  if (f.jobs !== undefined && !f.sweep && f.sweepFile === undefined) throw wrongForm('-j/--jobs', 'sweeps (--sweep or --sweep-file)');
  const experiment = command ? (f.e ?? f.experiment) : f.experiment;
  const runName = f.runName ?? f.name;
  return {
    ...(command ? { command } : { ...(before[0] !== undefined ? { projectDir: before[0] } : {}), entryPoint: f.e ?? f.entryPoint ?? 'main' }),
    params: f.param ?? [],
    ...(experiment !== undefined ? { experiment } : {}),
    ...(f.experimentName !== undefined ? { experimentName: f.experimentName } : {}),
    ...(f.experimentId !== undefined ? { experimentId: f.experimentId } : {}),
    ...(runName !== undefined ? { runName } : {}),
    tags: f.tag ?? [],
    ...(f.parent !== undefined ? { parent: f.parent } : {}),
    ...(f.sweep ? { sweep: f.sweep } : {}),
    ...(f.sweepFile !== undefined ? { sweepFile: f.sweepFile } : {}),
    ...(f.jobs !== undefined ? { jobs: f.jobs } : {}),
    dryRun: Boolean(f.dryRun),
  };
}
