/**
 * `mlr run`: one command for two forms.
 *
 * - With `--`: `mlr run [options] -- <command> [args…]` runs the command as given (no shell)
 *   in the working folder; `-e` is the experiment, as it always was.
 * - Without: `mlr run [PROJECT_DIR] [-e ENTRY] [-P k=v]…` runs an MLproject entry point the
 *   way `mlflow run --env-manager local` does; `-e` is the entry point, as in `mlflow run`.
 *
 * Either form takes `--sweep`/`--sweep-file`: a parent run and one child run per
 * combination. `--dry-run` resolves everything and creates nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { KeyValue, RunStatus } from '../store/types.js';
import type { RunsCreateOptions } from './create.js';
import { loadProject, planProjectRun, projectTags, type LoadedProject } from './project.js';
import { runPlanned, runSweep, type RunPlan, type RunSession } from './run.js';
import { commandLine, systemTags } from './source.js';
import { combineSweeps, comboName, expandSweep, parseSweepFile, parseSweepFlag, unusedSweepKeys, substituteArgs } from './sweep.js';
import { parsePair, type WriteContext } from './write.js';

export interface RunMainOptions {
  /** the command after `--` (the command form), or undefined (the MLproject form) */
  command?: string[];
  /** the project folder (MLproject form; default '.') */
  projectDir?: string;
  /** entry point (MLproject form; default 'main') */
  entryPoint?: string;
  /** -P key=value: MLproject parameters; in the command form, params that also fill {key} */
  params?: string[];
  /** mlr's -e/--experiment: an existing experiment's id or name */
  experiment?: string;
  /** MLflow's --experiment-name: created when missing */
  experimentName?: string;
  /** MLflow's --experiment-id */
  experimentId?: string;
  runName?: string;
  tags?: string[];
  parent?: string;
  sweep?: string[];
  sweepFile?: string;
  /** children run at once in a sweep (default 1) */
  jobs?: number;
  dryRun?: boolean;
}

/** One run as --dry-run shows it. */
export interface DryRunEntry {
  name?: string;
  command: string;
  cwd: string;
  params: KeyValue[];
  tags: KeyValue[];
}

export interface DryRun {
  experiment: string;
  /** set for a sweep */
  parent?: { name?: string; tags: KeyValue[]; jobs: number };
  runs: DryRunEntry[];
}

export type RunMainResult =
  | { kind: 'dry-run'; dryRun: DryRun }
  | { kind: 'run'; run_id: string; status: RunStatus; exitCode: number }
  | { kind: 'sweep'; run_id: string; status: RunStatus; exitCode: number };

/** The experiment option: at most one of -e/--experiment, --experiment-name, --experiment-id. */
function experimentOption(opts: RunMainOptions): { ref?: string; createName?: string } {
  const given = [opts.experiment, opts.experimentName, opts.experimentId].filter((x) => x !== undefined);
  if (given.length > 1)
    throw new UsageError("Specify only one of 'experiment_name' or 'experiment_id' (-e/--experiment, --experiment-name, --experiment-id).", 'experiment-twice');
  if (opts.experimentName !== undefined) return { ref: opts.experimentName, createName: opts.experimentName };
  return { ref: opts.experiment ?? opts.experimentId };
}

/** One run's creation options, its params and its process, before anything exists. */
interface Planned {
  plan: RunPlan;
  display: string;
  systemTags: KeyValue[];
}

/** The plans of the command form: the command once, or once per sweep combination with {key} filled in. */
function planCommand(ctx: WriteContext, command: string[], fixed: KeyValue[], combos: KeyValue[][] | undefined): { parentTags: KeyValue[]; runs: Planned[] } {
  const plan1 = (combo: KeyValue[]): Planned => {
    const argv = substituteArgs(command, combo);
    const display = commandLine(argv);
    const sys = systemTags(ctx.env, ctx.cwd, display);
    return {
      plan: { create: { systemTags: sys }, params: combo, file: argv[0]!, args: argv.slice(1), cwd: ctx.cwd },
      display,
      systemTags: sys,
    };
  };
  if (!combos) return { parentTags: [], runs: [plan1(fixed)] };
  return { parentTags: systemTags(ctx.env, ctx.cwd, commandLine(command)), runs: combos.map((c) => plan1([...fixed, ...c])) };
}

/** The plans of the MLproject form: the entry point once, or once per sweep combination as extra -P values. */
function planProject(
  ctx: WriteContext,
  loaded: LoadedProject,
  entryPoint: string,
  fixed: KeyValue[],
  combos: KeyValue[][] | undefined,
): { parentTags: KeyValue[]; runs: Planned[] } {
  const tags = projectTags(ctx.env, loaded.dir, entryPoint);
  const sys = [...tags, { key: 'mlflow.project.backend', value: 'local' }];
  const plan1 = (given: KeyValue[]): Planned => {
    const r = planProjectRun(loaded, entryPoint, given, ctx.env, ctx.cwd);
    return {
      plan: { create: { systemTags: sys }, params: r.params, file: 'bash', args: ['-c', r.command], cwd: loaded.dir, announce: `command: ${r.command}` },
      display: r.command,
      systemTags: sys,
    };
  };
  if (!combos) return { parentTags: [], runs: [plan1(fixed)] };
  return { parentTags: tags, runs: combos.map((c) => plan1([...fixed, ...c])) };
}

/**
 * `mlr run` in either form. Everything is resolved and checked (project file, entry point,
 * parameters, paths, sweep) before the first run is created.
 */
export async function runMain(ctx: WriteContext, opts: RunMainOptions, session: RunSession): Promise<RunMainResult> {
  const fixed = (opts.params ?? []).map((p) => parsePair(p, '-P key=value'));
  const sweeping = (opts.sweep?.length ?? 0) > 0 || opts.sweepFile !== undefined;
  let combos: KeyValue[][] | undefined;
  if (sweeping) {
    let fileSpec;
    if (opts.sweepFile !== undefined) {
      let text: string;
      try {
        text = readFileSync(path.resolve(ctx.cwd, opts.sweepFile), 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${opts.sweepFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'bad-file');
      }
      fileSpec = parseSweepFile(text, opts.sweepFile);
    }
    combos = expandSweep(combineSweeps((opts.sweep ?? []).map(parseSweepFlag), fileSpec));
    const swept = new Set(combos.flatMap((c) => c.map((kv) => kv.key)));
    const clash = fixed.find((p) => swept.has(p.key));
    if (clash) throw new UsageError(`'${clash.key}' is both swept and fixed with -P`, 'sweep-and-param');
    if (opts.command) {
      for (const k of unusedSweepKeys(opts.command, swept)) session.warn(`sweep parameter '${k}' is not used in the command (write {${k}} where it goes)`);
    }
  }

  let planned: { parentTags: KeyValue[]; runs: Planned[] };
  if (opts.command) {
    if (opts.command.length === 0) throw new UsageError('no command after --: mlr run [options] -- <command> [args…]', 'run-needs-command');
    planned = planCommand(ctx, opts.command, fixed, combos);
  } else {
    const loaded = loadProject(opts.projectDir ?? '.', ctx.cwd);
    for (const w of loaded.project.warnings) session.warn(w);
    planned = planProject(ctx, loaded, opts.entryPoint ?? 'main', fixed, combos);
    for (const n of loaded.notes) session.info(n);
  }

  const exp = experimentOption(opts);
  const userTags = (opts.tags ?? []).map((t) => parsePair(t, '--tag key=value'));
  const childName = (i: number): string | undefined => (combos ? comboName(combos[i]!) : opts.runName);

  if (opts.dryRun) {
    const withUser = (sys: KeyValue[], name: string | undefined, extra: KeyValue[] = []): KeyValue[] => {
      const tags = [...sys.filter((s) => !userTags.some((t) => t.key === s.key)), ...userTags, ...extra];
      return name !== undefined ? [...tags, { key: 'mlflow.runName', value: name }] : tags;
    };
    const parentRef = combos
      ? [{ key: 'mlflow.parentRunId', value: '(the sweep run)' }]
      : opts.parent
        ? [{ key: 'mlflow.parentRunId', value: opts.parent }]
        : [];
    return {
      kind: 'dry-run',
      dryRun: {
        experiment: exp.ref ?? ctx.env['MLFLOW_EXPERIMENT_NAME'] ?? ctx.env['MLFLOW_EXPERIMENT_ID'] ?? '0',
        ...(combos
          ? {
              parent: {
                ...(opts.runName !== undefined ? { name: opts.runName } : {}),
                tags: withUser(planned.parentTags, opts.runName, opts.parent ? [{ key: 'mlflow.parentRunId', value: opts.parent }] : []),
                jobs: opts.jobs ?? 1,
              },
            }
          : {}),
        runs: planned.runs.map((p, i) => {
          const name = childName(i);
          return {
            ...(name !== undefined ? { name } : {}),
            command: p.display,
            cwd: p.plan.cwd,
            params: p.plan.params,
            tags: withUser(p.systemTags, name, parentRef),
          };
        }),
      },
    };
  }

  let experiment = exp.ref;
  if (exp.createName !== undefined) {
    // mlflow run --experiment-name creates the experiment when it does not exist
    const r = await ctx.writer.createExperiment(exp.createName);
    if (r.created) session.info(`experiment '${exp.createName}' created (${r.experiment_id})`);
    experiment = r.experiment_id;
  }
  const common: RunsCreateOptions = { ...(experiment !== undefined ? { experiment } : {}), tags: opts.tags ?? [] };
  const plans = planned.runs.map((p, i): RunPlan => {
    const name = childName(i);
    return {
      ...p.plan,
      create: {
        ...p.plan.create,
        ...common,
        ...(name !== undefined ? { name } : {}),
        ...(!combos && opts.parent !== undefined ? { parent: opts.parent } : {}),
      },
    };
  });
  if (!combos) {
    const r = await runPlanned(ctx, plans[0]!, session);
    return { kind: 'run', ...r };
  }
  const parentCreate: RunsCreateOptions = {
    ...common,
    systemTags: planned.parentTags,
    ...(opts.runName !== undefined ? { name: opts.runName } : {}),
    ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
  };
  const r = await runSweep(ctx, parentCreate, plans, opts.jobs ?? 1, session);
  return { kind: 'sweep', run_id: r.parent.run_id, status: r.status, exitCode: r.exitCode };
}
