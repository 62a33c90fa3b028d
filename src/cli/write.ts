/**
 * Wiring for the write commands (issue 4). Command modules are imported inside actions so
 * start-up stays cheap; a log-metric call must stay well under 120 ms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { createContext, type Context } from './context.js';
import { collect } from './options.js';
import type { LogContext, WriteContext } from '../commands/write.js';

/** Everything a stream gives until it ends, as UTF-8 text. */
async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Wrap a writer so filesystem errors (read-only store, full disk) become one-line errors. */
function guard<T extends object>(writer: T, asWriteError: (e: unknown) => unknown): T {
  return new Proxy(writer, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        try {
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (e) {
          throw asWriteError(e);
        }
      };
    },
  });
}

function writerOptions(ctx: Context) {
  const loc = ctx.location();
  const truncate = !/^(false|0)$/i.test(ctx.env['MLFLOW_TRUNCATE_LONG_VALUES'] ?? 'true');
  return { root: loc.root, artifactRoot: loc.artifactRoot, cwd: ctx.cwd, warn: (m: string) => ctx.warn(m), truncate };
}

/** Context with the full StoreWriter. */
async function writeContext(ctx: Context): Promise<WriteContext> {
  const { StoreWriter, asWriteError } = await import('../store/writer.js');
  return { writer: guard(new StoreWriter(writerOptions(ctx)), asWriteError), env: ctx.env, cwd: ctx.cwd, now: Date.now };
}

/** Context with the light RunWriter: log-metric & co. load only what they use. */
async function logContext(ctx: Context): Promise<LogContext> {
  const { RunWriter, asWriteError } = await import('../store/run-writer.js');
  return { writer: guard(new RunWriter(writerOptions(ctx)), asWriteError), env: ctx.env, cwd: ctx.cwd, now: Date.now };
}

/** Find a command group the read wiring registered, or make it. */
function group(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const RUN_ARG = 'run id or unique prefix (default: $MLFLOW_RUN_ID)';

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
      const r = experimentsCreate(w, name, { ...(opts.artifactLocation !== undefined ? { artifactLocation: opts.artifactLocation } : {}), tags: opts.tag ?? [] });
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
      w.writer.renameExperiment(ref, newName);
    });

  experiments
    .command('delete')
    .description("delete an experiment and its runs (moved to .trash/, restorable; MLflow's soft delete)")
    .argument('<id-or-name>', 'experiment id or name')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.deleteExperiment(ref);
    });

  experiments
    .command('restore')
    .description('restore a deleted experiment and every run in it')
    .argument('<id-or-name>', 'experiment id or name')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.restoreExperiment(ref);
    });

  experiments
    .command('set-tag')
    .description('set an experiment tag')
    .argument('<id-or-name>', 'experiment id or name')
    .argument('<key>', 'tag key')
    .argument('<value>', 'tag value')
    .action(async (ref: string, key: string, value: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.setExperimentTag(ref, key, value);
    });

  const runs = group(program, 'runs', 'list, inspect and change runs');

  runs
    .command('create')
    .description('create a run (status RUNNING) and print its id')
    .option('-e, --experiment <id-or-name>', 'experiment (default: $MLFLOW_EXPERIMENT_NAME, $MLFLOW_EXPERIMENT_ID, else 0)')
    .option('--name <run-name>', 'run name (default: a random adjective-noun-N)')
    .option('--tag <key=value>', 'run tag (repeatable)', collect)
    .option('--parent <run>', 'parent run (sets mlflow.parentRunId)')
    .option('--start-time <ms>', 'start time in ms since the epoch (default: now)')
    .addHelpText('after', '\nExample:\n  RUN=$(mlr runs create -e sweep --name lr-0.01 --tag team=core)')
    .action(async (opts: { experiment?: string; name?: string; tag?: string[]; parent?: string; startTime?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { runsCreate } = await import('../commands/create.js');
      const run = runsCreate(w, {
        ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        tags: opts.tag ?? [],
        ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
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
      runsEnd(w, run, opts);
    });

  runs
    .command('delete')
    .description("delete a run (MLflow's soft delete: marked deleted, restorable)")
    .argument('<run>', 'run id or unique prefix')
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.deleteRun(run);
    });

  runs
    .command('restore')
    .description('restore a deleted run')
    .argument('<run>', 'run id or unique prefix')
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.restoreRun(run);
    });

  runs
    .command('rename')
    .description('rename a run')
    .argument('<run>', 'run id or unique prefix')
    .argument('<name>', 'new run name')
    .action(async (run: string, name: string, _o: unknown, cmd: Command) => {
      const w = await writeContext(createContext(cmd));
      w.writer.renameRun(run, name);
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
      const w = await logContext(createContext(cmd));
      const { logMetric } = await import('../commands/write.js');
      logMetric(w, args, opts);
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
      const w = await logContext(createContext(cmd));
      const { logMetrics } = await import('../commands/write.js');
      logMetrics(w, args, opts);
    });

  program
    .command('log-param')
    .usage('[run] <key> <value>')
    .description('log a param (params are immutable: a different value for a logged key is refused)')
    .argument('[args...]', '[run] <key> <value>')
    .addHelpText('after', '\nExample:\n  mlr log-param "$RUN" lr 0.01')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await logContext(createContext(cmd));
      const { logParam } = await import('../commands/write.js');
      logParam(w, args);
    });

  program
    .command('log-params')
    .usage('[run] <key>=<value>...')
    .description('log several params')
    .argument('[args...]', '[run] <key>=<value>...')
    .addHelpText('after', '\nExample:\n  mlr log-params "$RUN" bs=32 opt=adam')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await logContext(createContext(cmd));
      const { logParams } = await import('../commands/write.js');
      logParams(w, args);
    });

  program
    .command('set-tag')
    .usage('[run] <key> <value>')
    .description('set a run tag (mlflow.runName also renames the run)')
    .argument('[args...]', '[run] <key> <value>')
    .addHelpText('after', '\nExample:\n  mlr set-tag "$RUN" git.sha "$(git rev-parse HEAD)"')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      // mlflow.runName also rewrites meta.yaml, which needs the full writer
      const w = args.slice(-2, -1)[0] === 'mlflow.runName' ? await writeContext(ctx) : await logContext(ctx);
      const { setTag } = await import('../commands/write.js');
      setTag(w, args);
    });

  program
    .command('delete-tag')
    .usage('[run] <key>')
    .description('delete a run tag')
    .argument('[args...]', '[run] <key>')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const w = await logContext(createContext(cmd));
      const { deleteTag } = await import('../commands/write.js');
      deleteTag(w, args);
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
        throw new UsageError(`cannot read ${opts.file === '-' ? 'stdin' : opts.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'bad-file');
      }
      const w = await writeContext(ctx);
      const { logBatch } = await import('../commands/write.js');
      logBatch(w, run, text);
    });

  program
    .command('log-artifact')
    .usage('[options] [run] <path>')
    .description("copy a file or a folder into the run's artifacts")
    .argument('[args...]', '[run] <path>')
    .option('--artifact-path <dir>', 'folder inside the artifacts to put it in')
    .addHelpText('after', '\nExamples:\n  mlr log-artifact "$RUN" notes.txt --artifact-path docs\n  mlr log-artifact "$RUN" outputs/   # copied as artifacts/outputs/')
    .action(async (args: string[], opts: { artifactPath?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { logArtifact } = await import('../commands/write.js');
      const r = logArtifact(w, args, opts);
      if (r.note) ctx.warn(r.note);
      ctx.info(`copied to ${r.dest}`);
    });

  program
    .command('run')
    .usage('[options] -- <command> [args...]')
    .description('run a command inside a new run: MLFLOW_RUN_ID etc. are set for it, and the run ends with its outcome')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-e, --experiment <id-or-name>', 'experiment (default: $MLFLOW_EXPERIMENT_NAME, $MLFLOW_EXPERIMENT_ID, else 0)')
    .option('--name <run-name>', 'run name (default: a random adjective-noun-N)')
    .option('--tag <key=value>', 'run tag (repeatable)', collect)
    .option('--parent <run>', 'parent run (sets mlflow.parentRunId)')
    .addHelpText(
      'after',
      '\nThe run ends FINISHED when the command exits 0, FAILED otherwise, KILLED on SIGINT/SIGTERM;\nmlr exits with the command\'s exit code.\n\nExample:\n  mlr run -e sweep --name baseline -- python train.py --lr 0.01',
    )
    .action(async (command: string[], opts: { experiment?: string; name?: string; tag?: string[]; parent?: string }, cmd: Command) => {
      if (!createContext(cmd).io.argv.includes('--')) {
        throw new UsageError('put the command after --: mlr run [options] -- <command> [args…]', 'run-needs-dashdash');
      }
      const ctx = createContext(cmd);
      const w = await writeContext(ctx);
      const { runCommand } = await import('../commands/run.js');
      const r = await runCommand(w, {
        command,
        ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        tags: opts.tag ?? [],
        ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
        trackingUri: ctx.location().artifactRoot,
        interactive: Boolean(ctx.io.stdin.isTTY),
        io: ctx.io,
        info: (m) => {
          if (!ctx.globals.quiet) ctx.note(m);
        },
        warn: (m) => ctx.warn(m),
      });
      ctx.setExitCode(r.exitCode);
    });
}
