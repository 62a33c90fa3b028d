/**
 * Wiring for moving runs and housekeeping: runs mv, trash ls / restore / rename, gc.
 */
import type { Command } from 'commander';
import { createContext, type Context } from './context.js';
import { choice, collect } from './options.js';
import { UsageError } from '../errors.js';

const FORMATS = ['table', 'json', 'csv', 'tsv'] as const;

/** The file store's root and the working folder; a usage error on other backends. */
async function fileCtx(ctx: Context, what: string): Promise<{ root: string; cwd: string }> {
  return { root: await ctx.fileRoot(what), cwd: ctx.cwd };
}

/** A confirmation line on stderr: on a terminal, or with --verbose (never in the data). */
function say(ctx: Context, message: string): void {
  if ((ctx.io.stderr.isTTY && !ctx.globals.quiet) || ctx.globals.verbose) ctx.note(message);
}

export function registerHousekeeping(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list, inspect and change runs');

  runs
    .command('mv')
    .alias('move')
    .description('move runs to another experiment: folder, experiment_id, artifact URI (when inside the store) and dataset records, atomically per run')
    .argument('<run...>', 'run ids, unique prefixes, unique run names or latest~N')
    .requiredOption('--to <experiment>', 'target experiment id or name (must be active)')
    .option('--dry-run', 'show what would move and change nothing')
    .option('--format <format>', 'table or json', choice(['table', 'json'] as const), 'table')
    .addHelpText('after', '\nExamples:\n  mlr runs mv 0fcd845b 7d5ddb0d --to sweep-2\n  mlr runs ls -e scratch --format ids | xargs mlr runs mv --to archive')
    .action(async (refs: string[], opts: { to: string; dryRun?: boolean; format: 'table' | 'json' }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { moveRuns } = await import('../commands/housekeeping.js');
      const r = await import('../render/housekeeping.js');
      const ids = await Promise.all(refs.map((ref) => ctx.runId(ref)));
      const m = await moveRuns(await fileCtx(ctx, 'mlr runs mv'), ids, opts.to, { dryRun: opts.dryRun });
      for (const s of m.skipped) ctx.warn(`run ${s.info.run_id} is already in experiment ${s.exp.experiment.experiment_id}; skipped`);
      for (const p of m.plans) for (const w of p.warnings) ctx.warn(`run ${p.run.info.run_id}: ${w}`);
      if (opts.dryRun) {
        await ctx.out(r.renderMoves(m.plans, opts.format, ctx.mode));
        ctx.note(`would move ${m.plans.length} run${m.plans.length === 1 ? '' : 's'}; nothing changed (drop --dry-run to move)`);
        return;
      }
      for (const p of m.done)
        if (p.newArtifactUri !== p.oldArtifactUri) ctx.info(`run ${p.run.info.run_id}: artifact_uri ${p.oldArtifactUri} → ${p.newArtifactUri}`);
      await ctx.out(r.renderMoves(m.done, opts.format, ctx.mode));
      if (m.error) throw m.error;
      say(ctx, `moved ${m.done.length} run${m.done.length === 1 ? '' : 's'} to '${m.plans[0]?.to.experiment.name ?? opts.to}'`);
    });

  const trash = program.command('trash').description('deleted experiments and runs: list, restore, rename');

  trash
    .command('ls')
    .alias('list')
    .description('deleted experiments (in .trash/) and deleted runs, newest deletion first, with age and size')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText('after', '\nExample:\n  mlr trash ls')
    .action(async (opts: { format: (typeof FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { listTrash } = await import('../commands/housekeeping.js');
      const r = await import('../render/housekeeping.js');
      const { items, problems } = await listTrash(await fileCtx(ctx, 'mlr trash'));
      ctx.flushProblems(problems);
      await ctx.out(r.renderTrash(items, opts.format, ctx.mode));
    });

  trash
    .command('restore')
    .description('restore deleted experiments (with their runs) or deleted runs')
    .argument('<id-or-name...>', 'deleted experiment ids or names, or run ids / prefixes')
    .addHelpText('after', '\nExample:\n  mlr trash restore old-sweep 7d5ddb0d')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const { restoreFromTrash } = await import('../commands/housekeeping.js');
      const restored = await restoreFromTrash(await fileCtx(ctx, 'mlr trash restore'), await ctx.writer(), refs);
      for (const x of restored) say(ctx, x.kind === 'experiment' ? `restored experiment '${x.name}' (${x.id})` : `restored run ${x.id}`);
    });

  trash
    .command('rename')
    .description('rename a deleted experiment, freeing its name for a new one without purging it')
    .argument('<deleted-experiment>', 'id or name of the deleted experiment')
    .argument('<new-name>', 'its new name (must not be used by any experiment)')
    .addHelpText('after', '\nExample:\n  mlr trash rename sweep "sweep (deleted 2026-03)" && mlr experiments create sweep')
    .action(async (ref: string, newName: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const { renameInTrash } = await import('../commands/housekeeping.js');
      const r = await renameInTrash(await fileCtx(ctx, 'mlr trash rename'), ref, newName);
      say(ctx, `renamed deleted experiment ${r.id} from '${r.oldName}' to '${newName}'`);
    });

  program
    .command('gc')
    .description('permanently delete deleted runs and experiments, as mlflow gc; without --yes, list what would be deleted and delete nothing')
    .option('--older-than <age>', 'only what was deleted at least this long ago: 30d, 12h, 1d6h30m, 90s')
    .option('-e, --experiment <id-or-name>', 'only this deleted experiment (repeatable; comma lists accepted)', collect)
    .option('--run <id>', 'only this deleted run (repeatable; comma lists accepted)', collect)
    .option('-y, --yes', 'really delete')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText('after', '\nExamples:\n  mlr gc                      # list what would be purged\n  mlr gc --older-than 30d --yes')
    .action(async (opts: { olderThan?: string; experiment?: string[]; run?: string[]; yes?: boolean; format: (typeof FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      const gc = await import('../commands/housekeeping.js');
      const r = await import('../render/housekeeping.js');
      const split = (flag: string, l: string[] | undefined): string[] | undefined => {
        if (l === undefined) return undefined;
        const items = l.flatMap((x) => x.split(',')).map((x) => x.trim());
        // an empty selector is a script's unset variable (`--run "$RUN"`): purging everything
        // instead would be the worst reading of it (issue 11 #24)
        if (items.some((x) => x === '')) {
          const given = l.map((x) => `'${x}'`).join(', ');
          throw new UsageError(
            `${flag} ${given} names no ${flag === '--run' ? 'run' : 'experiment'}: an empty or blank selector is refused (is a variable unset?)`,
            'empty-selector',
          );
        }
        return items;
      };
      // a SQLite database: rows go, as with mlflow gc --backend-store-uri sqlite:///… ; a server: refused
      const loc = ctx.location();
      const where: import('../commands/housekeeping.js').GcTarget =
        loc.kind === 'sqlite' ? { kind: 'sqlite', root: loc.root, cwd: ctx.cwd } : { kind: 'file', ...(await fileCtx(ctx, 'mlr gc')) };
      const { plan, problems } = await gc.planGarbageCollection(where, {
        olderThanMs: opts.olderThan !== undefined ? await gc.parseAge(opts.olderThan) : undefined,
        olderThanText: opts.olderThan,
        experiments: split('--experiment', opts.experiment),
        runs: split('--run', opts.run),
        now: ctx.mode.now,
      });
      ctx.flushProblems(problems);
      for (const x of plan.items) for (const e of x.external) if (e.note) ctx.warn(`${x.kind} ${x.id}: ${e.note}`);
      for (const ref of plan.registry) {
        ctx.warn(
          `registered model '${ref.model}' version ${ref.version} (${ref.stage}) points at run ${ref.run_id}, which gc ${opts.yes ? 'deletes' : 'would delete'}`,
        );
      }
      if (!opts.yes) {
        if (opts.format === 'json') await ctx.out(r.gcJson(plan));
        else await ctx.out(r.renderTrash(plan.items, opts.format, ctx.mode));
        if (plan.kept.length) ctx.info(`kept: ${plan.kept.map((k) => `${k.item.kind} ${k.item.id} (${k.reason})`).join('; ')}`);
        ctx.note(
          plan.items.length
            ? `would permanently delete ${r.gcSummary(plan.items)}; run again with --yes to delete`
            : `nothing to delete${plan.kept.length ? ` (${plan.kept.length} deleted item${plan.kept.length === 1 ? '' : 's'} kept; see --verbose)` : ''}`,
        );
        return;
      }
      const result = await gc.collectGarbage(where, plan);
      await ctx.out(opts.format === 'json' ? r.gcJson(plan, result) : r.gcDeletedLines(result));
      say(ctx, `permanently deleted ${r.gcSummary(result.deleted)}`);
      if (result.failed.length) {
        const { StateError } = await import('../errors.js');
        const what = (f: (typeof result.failed)[number]): string => (where.kind === 'sqlite' ? `${f.item.kind} ${f.item.id}` : f.item.dir);
        throw new StateError(`could not delete ${result.failed.map((f) => `${what(f)} (${f.error})`).join(', ')}`, 'gc-failed');
      }
    });
}
