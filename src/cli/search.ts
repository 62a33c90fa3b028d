/**
 * Wiring for `runs best`. (The filter and order-by options of `runs ls` are in read.ts,
 * next to the rest of that command.)
 */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { createContext } from './context.js';
import { choice, collect, parseView } from './options.js';

const BEST_FORMATS = ['table', 'id', 'json'] as const;

interface BestOptions {
  metric: string;
  min?: boolean;
  max?: boolean;
  experiment?: string[];
  view: 'active' | 'deleted' | 'all';
  filter?: string;
  format: (typeof BEST_FORMATS)[number];
}

export function registerSearch(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list, inspect and compare runs');
  runs
    .command('best')
    .description('the run with the lowest (--min) or highest (--max) latest value of a metric; NaN and missing never win')
    .requiredOption('--metric <key>', 'metric key, e.g. val_loss')
    .option('--min', 'lowest value wins')
    .option('--max', 'highest value wins')
    .option('-e, --experiment <id-or-name>', 'experiment id or name (repeatable; default: all active)', collect)
    .option('--view <view>', 'runs to consider: active, deleted or all', parseView, 'active')
    .option('--filter <expr>', 'only runs matching this filter (same language as runs ls)')
    .option('--format <format>', `output: ${BEST_FORMATS.join('|')} (id prints only the run id)`, choice(BEST_FORMATS), 'table')
    .addHelpText(
      'after',
      [
        '',
        'Ties are broken as --order-by "metrics.<key> ASC|DESC" breaks them: newest run first, then run id.',
        'No qualifying run: a message on stderr and exit status 1.',
        '',
        'Examples:',
        '  mlr runs best -e sweep --metric val_loss --min',
        "  RUN=$(mlr runs best -e sweep --metric val_acc --max --filter \"params.optimizer = 'adam'\" --format id)",
      ].join('\n'),
    )
    .action(async (opts: BestOptions, cmd: Command) => {
      if (Boolean(opts.min) === Boolean(opts.max)) {
        throw new UsageError('runs best needs exactly one of --min or --max (which direction is better)');
      }
      const ctx = createContext(cmd);
      const { bestRun } = await import('../commands/search.js');
      const store = await ctx.reader();
      const best = await bestRun(store, {
        metric: opts.metric,
        direction: opts.min ? 'min' : 'max',
        experiments: opts.experiment,
        view: opts.view,
        filter: opts.filter,
      });
      ctx.flushProblems();
      if (opts.format === 'id') {
        await ctx.out(best.run.info.run_id + '\n');
        return;
      }
      const views = await import('../render/views.js');
      if (opts.format === 'json') {
        await ctx.out(views.renderJson(views.runJson(store.loadRun(best.run), best.run.problems)));
        return;
      }
      const { buildRunTable } = await import('../commands/run-table.js');
      const { queryColumns } = await import('../commands/search.js');
      const base = ['run_id', 'run_name', 'experiment', 'status'].map((a) => ({ key: a, kind: 'attr' as const, name: a }));
      const seen = new Set(base.map((c) => c.key));
      const columns = [...base, ...queryColumns(best.query).filter((c) => !seen.has(c.key))];
      await ctx.out(views.renderRunTable(buildRunTable(store, [best.run], columns), 'table', ctx.mode));
    });
}
