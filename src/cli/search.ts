/**
 * Wiring for `runs best`. (The filter and order-by options of `runs ls` are in read.ts,
 * next to the rest of that command.)
 */
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { MlrConfig } from './config.js';
import { createContext } from './context.js';
import { choice, collect, parseView } from './options.js';

const BEST_FORMATS = ['table', 'id', 'json'] as const;

interface BestOptions {
  metric?: string;
  min?: boolean;
  max?: boolean;
  experiment?: string[];
  view: 'active' | 'deleted' | 'all';
  filter?: string;
  format: (typeof BEST_FORMATS)[number];
  finite?: boolean;
}

export function registerSearch(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list, inspect and compare runs');
  runs
    .command('best')
    .description('the run with the lowest (--min) or highest (--max) latest value of a metric; NaN and missing never win')
    .option('--metric <key>', 'metric key, e.g. val_loss (default: the one metric with a direction in mlr.config.json)')
    .option('--min', "lowest value wins (default: the metric's direction in mlr.config.json)")
    .option('--max', 'highest value wins')
    .option('-e, --experiment <id-or-name>', 'experiment id or name (repeatable; default: all active)', collect)
    .option('--finite', 'skip runs whose value is not finite (±inf); by default they win as MLflow orders them, with a warning')
    .option('--view <view>', 'runs to consider: active, deleted or all', parseView, 'active')
    .option('--filter <expr>', 'only runs matching this filter (same language as runs ls)')
    .option('--format <format>', `output: ${BEST_FORMATS.join('|')} (id prints only the run id)`, choice(BEST_FORMATS), 'table')
    .addHelpText(
      'after',
      [
        '',
        'Ties are broken as --order-by "metrics.<key> ASC|DESC" breaks them: newest run first, then run id.',
        "A winning value of -inf (--min) or inf (--max) is MLflow's answer too, so it wins, with a warning on",
        'stderr; --finite skips those runs. SQL stores keep ±inf as ±1.7976931348623157e308: the same rule.',
        'No qualifying run: a message on stderr and exit status 1.',
        '',
        'Examples:',
        '  mlr runs best -e sweep --metric val_loss --min',
        '  mlr runs best -e sweep          # with {"metrics": {"val_loss": "min"}} in mlr.config.json',
        '  RUN=$(mlr runs best -e sweep --metric val_acc --max --filter "params.optimizer = \'adam\'" --format id)',
      ].join('\n'),
    )
    .action(async (opts: BestOptions, cmd: Command) => {
      const ctx = createContext(cmd);
      const { metric, direction } = bestMetric(opts, ctx.config());
      const { bestRun, isInfinite } = await import('../commands/search.js');
      const store = await ctx.reader();
      const best = await bestRun(store, {
        metric,
        direction,
        experiments: opts.experiment,
        view: opts.view,
        filter: opts.filter,
        ...(opts.finite ? { finite: true } : {}),
      });
      ctx.flushProblems();
      if (isInfinite(best.value)) ctx.warn(infiniteWinner(best.run.info.run_id, metric, best.value));
      if (opts.format === 'id') {
        await ctx.out(best.run.info.run_id + '\n');
        return;
      }
      if (opts.format === 'json') {
        const [{ renderJson }, { runJson }] = await Promise.all([import('../render/table.js'), import('../render/runs.js')]);
        await ctx.out(renderJson(runJson(store.loadRun(best.run), best.run.problems)));
        return;
      }
      const { buildRunTable } = await import('../commands/run-table.js');
      const { queryColumns } = await import('../commands/search.js');
      const base = ['run_id', 'run_name', 'experiment', 'status'].map((a) => ({ key: a, kind: 'attr' as const, name: a }));
      const seen = new Set(base.map((c) => c.key));
      const columns = [...base, ...queryColumns(best.query).filter((c) => !seen.has(c.key))];
      const { renderRunTable } = await import('../render/run-table.js');
      await ctx.out(renderRunTable(buildRunTable(store, [best.run], columns), 'table', ctx.mode));
    });
}

/** The warning for a best run that wins with ±inf (or the number a SQL store keeps for it). */
function infiniteWinner(runId: string, metric: string, value: number): string {
  const key = metric.replace(/^metrics?\./, '');
  const shown = value === Infinity ? 'inf' : value === -Infinity ? '-inf' : `${value} (${value < 0 ? '-inf' : 'inf'} as a SQL store keeps it)`;
  return `run ${runId} wins with ${key} = ${shown}, which is not finite; --finite skips such values`;
}

/** The metric and direction of `runs best`: the flags, else mlr.config.json's "metrics". */
function bestMetric(opts: BestOptions, config: MlrConfig): { metric: string; direction: 'min' | 'max' } {
  if (opts.min && opts.max) throw new UsageError('runs best needs one of --min or --max, not both');
  const known = Object.keys(config.metrics);
  let metric = opts.metric;
  if (metric === undefined) {
    if (known.length === 1) metric = known[0]!;
    else if (known.length === 0)
      throw new UsageError('runs best needs --metric <key> (or a metric direction in mlr.config.json: {"metrics": {"val_loss": "min"}})', 'best-no-metric');
    else throw new UsageError(`runs best needs --metric: mlr.config.json gives directions for ${known.join(', ')}`, 'best-no-metric');
  }
  if (opts.min || opts.max) return { metric, direction: opts.min ? 'min' : 'max' };
  const configured = config.metrics[metric.replace(/^metrics\./, '')];
  if (configured) return { metric, direction: configured.value };
  throw new UsageError(
    `runs best needs --min or --max (which direction is better), or "${metric.replace(/^metrics\./, '')}": "min"|"max" under "metrics" in mlr.config.json`,
    'best-no-direction',
  );
}
