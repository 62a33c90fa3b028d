/**
 * Wiring for the write commands (issue 4). Command modules are imported inside actions so
 * start-up stays cheap; a log-metric call must stay well under 120 ms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { createContext, type Context } from './context.js';
import { collect, positiveInt } from './options.js';
import type { WriteContext } from '../commands/write.js';
import type { RunFlags } from './run-args.js';

/** The write commands' context: the backend's writer (its reader and artifacts on demand). */
async function writeContext(ctx: Context): Promise<WriteContext> {
  return {
    writer: await ctx.writer(),
    resolveRun: (ref) => ctx.runId(ref),
    env: ctx.env,
    cwd: ctx.cwd,
    now: Date.now,
    reader: () => ctx.reader(),
    artifacts: () => ctx.artifacts(),
  };
}

/** Everything a readable stream holds, as UTF-8 text. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Find a command group the read wiring registered, or make it. */
function group(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const RUN_REF = 'run id, unique prefix, unique run name or latest~N';
const RUN_ARG = 'run id, unique prefix, unique run name or latest~N (default: $MLFLOW_RUN_ID)';

export function registerWrite(program: Command): void {
  const experiments = group(program, 'experiments', 'list, inspect and change experiments');

  experiments
    .command('create')
    .description('create an experiment and print its id (prints the existing id if one of that name is active)')
    .argument('<name>', 'experiment name')
    .option('--artifact-location <uri>', 'where its runs keep artifacts (default: <store>/<id>)')
    .option('--tag <key=value>', 'experiment tag (repeatable)', collect)
    .addHelpText('after', '\nExamples:\n  mlr experiments create sweep --tag owner=ana\n  EXP=$(mlr experiments create nightly)')
    .action(async (name: string, opts: { artifactLocation?: string; tag?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { experimentsCreate } = await import('../commands/write.js');
      const r = await experimentsCreate(w, name, {
        ...(opts.artifactLocation !== undefined ? { artifactLocation: opts.artifactLocation } : {}),
        tags: opts.tag ?? [],
      });
      if (!r.created) ctx.info(`experiment '${name}' already exists`);
      await ctx.out(r.experiment_id + '\n');
    });

  experiments
    .command('rename')
    .description('rename an experiment')
    .argument('<id-or-name>', 'experiment id or name')
    .argument('<new-name>', 'new name')
    .action(async (ref: string, newName: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      await w.writer.renameExperiment(ref, newName);
    });

  experiments
    .command('delete')
    .description("delete an experiment and its runs (moved to .trash/, restorable; MLflow's soft delete)")
    .argument('<id-or-name>', 'experiment id or name')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      await w.writer.deleteExperiment(ref);
    });

  experiments
    .command('restore')
    .description('restore a deleted experiment and every run in it')
    .argument('<id-or-name>', 'experiment id or name')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      await w.writer.restoreExperiment(ref);
    });

  experiments
    .command('set-tag')
    .description('set an experiment tag')
    .argument('<id-or-name>', 'experiment id or name')
    .argument('<key>', 'tag key')
    .argument('<value>', 'tag value')
    .action(async (ref: string, key: string, value: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      await w.writer.setExperimentTag(ref, key, value);
    });

  const runs = group(program, 'runs', 'list, inspect and change runs');

  runs
    .command('create')
    .description('create a run (status RUNNING) and print its id')
    .option('-e, --experiment <id-or-name>', 'experiment (default: $MLFLOW_EXPERIMENT_NAME, $MLFLOW_EXPERIMENT_ID, else 0)')
    .option('-n, --name <run-name>', 'run name (default: a random adjective-noun-N)')
    .option('--tag <key=value>', 'run tag (repeatable)', collect)
    .option('--parent <run>', 'parent run (sets mlflow.parentRunId)')
    .option('--start-time <ms>', 'start time in ms since the epoch (default: now)')
    .addHelpText('after', '\nExample:\n  RUN=$(mlr runs create -e sweep --name lr-0.01 --tag team=core)')
    .action(async (opts: { experiment?: string; name?: string; tag?: string[]; parent?: string; startTime?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { runsCreate } = await import('../commands/create.js');
      const run = await runsCreate(w, {
        ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        tags: opts.tag ?? [],
        ...(opts.parent !== undefined ? { parent: await ctx.runId(opts.parent) } : {}),
        ...(opts.startTime !== undefined ? { startTime: opts.startTime } : {}),
      });
      await ctx.out(run.run_id + '\n');
    });

  runs
    .command('end')
    .description('end a run: set its status and end time')
    .argument('[run]', RUN_ARG)
    .option('--status <status>', 'FINISHED, FAILED or KILLED', 'FINISHED')
    .option('--end-time <ms>', 'end time in ms since the epoch (default: now)')
    .action(async (run: string | undefined, opts: { status: string; endTime?: string }, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { runsEnd } = await import('../commands/write.js');
      await runsEnd(w, run, opts);
    });

  runs
    .command('delete')
    .description("delete a run (MLflow's soft delete: marked deleted, restorable)")
    .argument('<run>', RUN_REF)
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      await w.writer.deleteRun(await ctx.runId(run));
    });

  runs
    .command('restore')
    .description('restore a deleted run')
    .argument('<run>', RUN_REF)
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      await w.writer.restoreRun(await ctx.runId(run, { view: 'deleted' }));
    });

  runs
    .command('rename')
    .description('rename a run')
    .argument('<run>', RUN_REF)
    .argument('<name>', 'new run name')
    .action(async (run: string, name: string, _o: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      await w.writer.renameRun(await ctx.runId(run), name);
    });

  program
    .command('log-metric')
    .usage('[options] [run] <key> <value>')
    .description('log one metric value (appends a line; nan, inf and -inf are accepted)')
    .argument('[args...]', '[run] <key> <value>')
    .option('--step <n>', 'step (an integer, default 0)')
    .option('--timestamp <ms>', 'time in ms since the epoch (default: now)')
    .allowUnknownOption()
    .addHelpText('after', '\nExamples:\n  mlr log-metric "$RUN" val_loss 0.231 --step 3\n  MLFLOW_RUN_ID=$RUN mlr log-metric loss -inf')
    .action(async (args: string[], opts: { step?: string; timestamp?: string }, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { logMetric } = await import('../commands/write.js');
      await logMetric(w, args, opts);
    });

  program
    .command('log-metrics')
    .usage('[options] [run] <key>=<value>...')
    .description('log several metrics at one step and timestamp')
    .argument('[args...]', '[run] <key>=<value>...')
    .option('--step <n>', 'step (an integer, default 0)')
    .option('--timestamp <ms>', 'time in ms since the epoch (default: now)')
    .allowUnknownOption()
    .addHelpText('after', '\nExample:\n  mlr log-metrics "$RUN" loss=0.41 acc=0.87 --step 12')
    .action(async (args: string[], opts: { step?: string; timestamp?: string }, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { logMetrics } = await import('../commands/write.js');
      await logMetrics(w, args, opts);
    });

  program
    .command('log-param')
    .usage('[run] <key> <value>')
    .description('log a param (params are immutable: a different value for a logged key is refused)')
    .argument('[args...]', '[run] <key> <value>')
    .addHelpText('after', '\nExample:\n  mlr log-param "$RUN" lr 0.01')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { logParam } = await import('../commands/write.js');
      await logParam(w, args);
    });

  program
    .command('log-params')
    .usage('[run] <key>=<value>...')
    .description('log several params')
    .argument('[args...]', '[run] <key>=<value>...')
    .addHelpText('after', '\nExample:\n  mlr log-params "$RUN" bs=32 opt=adam')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { logParams } = await import('../commands/write.js');
      await logParams(w, args);
    });

  program
    .command('set-tag')
    .usage('[run] <key> <value>')
    .description('set a run tag (mlflow.runName also renames the run)')
    .argument('[args...]', '[run] <key> <value>')
    .addHelpText('after', '\nExample:\n  mlr set-tag "$RUN" git.sha "$(git rev-parse HEAD)"')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { setTag } = await import('../commands/write.js');
      await setTag(w, args);
    });

  program
    .command('delete-tag')
    .usage('[run] <key>')
    .description('delete a run tag')
    .argument('[args...]', '[run] <key>')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      const { deleteTag } = await import('../commands/write.js');
      await deleteTag(w, args);
    });

  program
    .command('log-batch')
    .description("log metrics, params and tags from a JSON body shaped like MLflow's REST runs/log-batch")
    .argument('[run]', RUN_ARG + "; else the body's run_id")
    .requiredOption('--file <path>', "JSON file, or '-' for stdin")
    .addHelpText(
      'after',
      '\nExample:\n  echo \'{"metrics":[{"key":"acc","value":0.5,"timestamp":1700000000000,"step":0}],"params":[{"key":"layers","value":"3"}]}\' \\\n    | mlr log-batch "$RUN" --file -',
    )
    .action(async (run: string | undefined, opts: { file: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      let text: string;
      try {
        // the invocation's stdin and folder, not fd 0 and process.cwd() (the CLI also runs in-process)
        text = opts.file === '-' ? await readAll(ctx.io.stdin) : readFileSync(path.resolve(ctx.cwd, opts.file), 'utf8');
      } catch (e) {
        throw new UsageError(
          `cannot read ${opts.file === '-' ? 'stdin' : opts.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          'bad-file',
        );
      }
      const w = await writeContext(ctx);
      const { logBatch } = await import('../commands/write.js');
      await logBatch(w, run, text);
    });

  program
    .command('log-artifact')
    .usage('[options] [run] <path>')
    .description("copy a file or a folder into the run's artifacts")
    .argument('[args...]', '[run] <path>')
    .option('--artifact-path <dir>', 'folder inside the artifacts to put it in')
    .addHelpText(
      'after',
      '\nExamples:\n  mlr log-artifact "$RUN" notes.txt --artifact-path docs\n  mlr log-artifact "$RUN" outputs/   # copied as artifacts/outputs/',
    )
    .action(async (args: string[], opts: { artifactPath?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { logArtifact } = await import('../commands/write.js');
      const r = await logArtifact(w, args, opts);
      if (r.note) ctx.warn(r.note);
      ctx.info(`copied to ${r.dest}`);
    });

  program
    .command('run')
    .usage('[options] [project-dir]   (an MLproject entry point)\n       mlr run [options] -- <command> [args...]')
    .description('run an MLproject entry point (as mlflow run --env-manager local), or a command after --, inside a new run; --sweep runs a grid as child runs')
    .argument('[args...]', 'the project folder (default .), or the command and its arguments after --')
    .option('-e <name>', 'without --: the entry point (default main); with --: the experiment (id or name)')
    .option('--entry-point <name>', 'entry point of the MLproject (default main)')
    .option('-P, --param <key=value>', 'parameter (repeatable); undeclared ones are passed as --key value; with -- they fill {key} in the command', collect)
    .option('--experiment <id-or-name>', 'an existing experiment (default: $MLFLOW_EXPERIMENT_NAME, $MLFLOW_EXPERIMENT_ID, else 0)')
    .option('--experiment-name <name>', 'experiment by name, created if missing (as mlflow run)')
    .option('--experiment-id <id>', 'experiment by id')
    .option('-n, --name <run-name>', 'run name (default: a random adjective-noun-N)')
    .option('--run-name <run-name>', 'the same as --name (as mlflow run)')
    .option('--tag <key=value>', 'run tag (repeatable)', collect)
    .option('--parent <run>', 'parent run (sets mlflow.parentRunId)')
    .option('--env-manager <name>', 'only local: mlr runs in the current environment, it builds no conda/virtualenv/docker one', (v: string) => {
      if (v !== 'local')
        throw new InvalidArgumentError('mlr runs projects in the current environment only: use local (it builds no conda, virtualenv or docker environment).');
      return v;
    })
    .option('--sweep <key=v1,v2,...>', 'run one child run per combination of values (repeatable: a grid)', collect)
    .option('--sweep-file <file>', 'a YAML grid (grid: {key: [values]}) and/or explicit runs (runs: [{key: value}])')
    .option('-j, --jobs <n>', 'sweep runs at most n children at once (default 1)', positiveInt)
    .option('--dry-run', 'print the resolved command(s), params and tags; create nothing')
    .addHelpText(
      'after',
      [
        '',
        'Without --, the MLproject file of the folder is read (any case), parameters are resolved as',
        'mlflow run does and the entry point runs with bash -c in the project folder. With --, the command',
        'runs as given in this folder. The run ends FINISHED when the command exits 0, FAILED otherwise,',
        "KILLED on SIGINT/SIGTERM; mlr exits with the command's exit code (a sweep: 0 when all finished, else 1).",
        '',
        'Examples:',
        '  mlr run . -e train -P lr=0.01 --experiment-name demo',
        '  mlr run -e sweep --name baseline -- python train.py --lr 0.01',
        '  mlr run -e train --sweep lr=0.1,0.01,0.001 --sweep bs=16,32 -j 2',
        '  mlr run --sweep-file grid.yaml -j 4 -- python train.py --lr {lr} --bs {bs}',
      ].join('\n'),
    )
    .action(async (args: string[], flags: RunFlags, cmd: Command) => {
      const ctx = createContext(cmd);
      const { runMainOptions } = await import('./run-args.js');
      const opts = runMainOptions(args, ctx.io.argv, flags);
      if (opts.parent !== undefined) opts.parent = await ctx.runId(opts.parent);
      const w = await writeContext(ctx);
      const { runMain } = await import('../commands/run-main.js');
      const r = await runMain(w, opts, {
        trackingUri: (await ctx.backend()).trackingUri,
        interactive: Boolean(ctx.io.stdin.isTTY),
        io: ctx.io,
        info: (m) => {
          if (!ctx.globals.quiet) ctx.note(m);
        },
        warn: (m) => ctx.warn(m),
      });
      if (r.kind === 'dry-run') {
        const { renderDryRun } = await import('../render/dry-run.js');
        await ctx.out(renderDryRun(r.dryRun));
        return;
      }
      ctx.setExitCode(r.exitCode);
    });
}
