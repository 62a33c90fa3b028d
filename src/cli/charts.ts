/**
 * Wiring for `mlr plot`. The table controls of `runs ls`
 * (--spark, --only-changed, --keep/--drop, --precision, --tree, aggregates) live in read.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { NotFoundError, UsageError } from '../errors.js';
import type { ChartOptions } from '../render/chart.js';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import { createContext, type Context } from './context.js';
import { choice, collect, maxResults, parseView, positiveInt } from './options.js';

const PLOT_FORMATS = ['chart', 'json', 'csv'] as const;
const X_AXES = ['step', 'time', 'relative'] as const;

function smoothWeight(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a number from 0 up to (not including) 1, e.g. 0.6.');
  return n;
}

function integer(v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError('expected a whole number.');
  return Number(v);
}

function chartWidth(v: string): number {
  const n = positiveInt(v);
  if (n < 20) throw new InvalidArgumentError('expected at least 20.');
  return n;
}

function chartHeight(v: string): number {
  const n = positiveInt(v);
  if (n < 2 || n > 500) throw new InvalidArgumentError('expected a whole number from 2 to 500.');
  return n;
}

/** seconds between reads with --follow: 0.05 s (a busy loop below that) up to an hour */
function followInterval(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0.05 && n <= 3600)) throw new InvalidArgumentError('expected seconds from 0.05 to 3600, e.g. 2.');
  return n;
}

interface PlotOpts {
  metric?: string[];
  experiment?: string[];
  view: 'active' | 'deleted' | 'all';
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  x: (typeof X_AXES)[number];
  width?: number;
  height: number;
  smooth: number;
  log?: boolean;
  since?: number;
  format: (typeof PLOT_FORMATS)[number];
  follow?: boolean;
  interval: number;
}

export function registerCharts(program: Command): void {
  program
    .command('plot')
    .description('chart metric histories of runs in the terminal (one line per run and metric)')
    .argument('[runs...]', 'run ids, unique prefixes, unique run names or latest~N (or choose runs with -e / --filter / --order-by / --max-results)')
    .option('-m, --metric <key>', 'metric to plot (repeatable, or comma-separated)', collect)
    .option('-e, --experiment <id-or-name>', 'choose runs from this experiment (repeatable)', collect)
    .option('--view <view>', 'runs to choose from: active, deleted or all', parseView, 'active')
    .option('--filter <expr>', 'choose runs by an MLflow search filter, e.g. "params.optimizer = \'adam\'"')
    .option('--order-by <clause>', 'order the chosen runs, e.g. "metrics.val_loss" or "min(metrics.val_loss)" (repeatable)', collect)
    .option('--max-results <n>', 'plot at most n of the chosen runs (default 10)', maxResults)
    .option('--x <axis>', `x axis: ${X_AXES.join('|')}`, choice(X_AXES), 'step')
    .option('--width <n>', 'chart width in columns (default: the terminal width, 80 when piped)', chartWidth)
    .option('--height <n>', 'rows of the plot area', chartHeight, 15)
    .option('--smooth <weight>', 'TensorBoard-style exponential smoothing, 0 to 0.999', smoothWeight, 0)
    .option('--log', 'logarithmic y axis (values <= 0 are left out)')
    .option('--since <step>', 'only points from this step on', integer)
    .option('--format <format>', `output: ${PLOT_FORMATS.join('|')} (json/csv print the points)`, choice(PLOT_FORMATS), 'chart')
    .option('--follow', 'redraw as new metric lines arrive, until Ctrl-C')
    .option('--interval <seconds>', 'with --follow: seconds between reads of the metric files (runs and their status are read every 4th)', followInterval, 0.5)
    .addHelpText(
      'after',
      '\nExamples:\n  mlr plot 65035d79 0fcd845b --metric val_loss\n' +
        '  mlr plot -e sweep --order-by "min(metrics.val_loss)" --max-results 5 --metric val_loss --smooth 0.6\n' +
        '  mlr plot -e sweep --filter "params.optimizer = \'adam\'" --metric val_loss,train_loss\n' +
        '  mlr plot "$RUN" --metric loss --follow',
    )
    .action(async (ids: string[], opts: PlotOpts, cmd: Command) => {
      const ctx = createContext(cmd);
      const plot = await import('../commands/plot.js');
      const store = await ctx.reader();
      if (opts.follow && opts.format !== 'chart') throw new UsageError('--follow redraws a chart; it cannot be used with --format json or csv');
      if (!opts.follow && cmd.getOptionValueSource('interval') === 'cli') throw new UsageError('--interval sets how often --follow reads; add --follow');
      const selection = {
        ids: await Promise.all(ids.map((id) => ctx.runId(id))),
        experiments: opts.experiment,
        view: opts.view,
        orderBy: opts.orderBy,
        maxResults: opts.maxResults,
        filter: opts.filter,
        envRunId: ctx.env['MLFLOW_RUN_ID'],
      };
      const metrics = plot.parseMetricKeys(opts.metric);
      const byQuery =
        ids.length === 0 && (opts.experiment !== undefined || opts.orderBy !== undefined || opts.maxResults !== undefined || opts.filter !== undefined);
      let targets: import('../commands/plot.js').PlotTarget[];
      let runs: RunEntry[];
      if (opts.follow && byQuery) {
        // followed by a query: runs without the metric take no slot, and new runs join (issue 11 #9)
        targets = await plot.selectQueryTargets(store, selection, metrics);
        runs = [...new Set(targets.map((t) => t.run))];
      } else {
        const sel = await plot.selectPlotRuns(store, selection);
        runs = sel.runs;
        if (ids.length === 0 && opts.maxResults === undefined && sel.total > runs.length) {
          ctx.warn(`plotting the first ${runs.length} of ${sel.total} runs; use --max-results to change`);
        }
        if (runs.length === 0) throw new UsageError('no runs to plot: the query chose none');
        const r = plot.resolveTargets(store, runs, metrics, opts.follow);
        if (r.targets.length === 0) throw new NotFoundError(`nothing to plot: ${r.missing.join('; ')}`, 'plot-nothing');
        for (const m of r.missing) ctx.warn(m);
        targets = r.targets;
      }
      if (opts.format !== 'chart') {
        for await (const chunk of plot.renderSeriesData(store, targets, { since: opts.since, smooth: opts.smooth }, opts.format)) await ctx.out(chunk);
        ctx.flushProblems();
        return;
      }
      const width = opts.width ?? (ctx.mode.tty ? ctx.mode.width : 80);
      const seriesOptions = { x: opts.x, since: opts.since, smooth: opts.smooth, logY: opts.log ?? false, width };
      const chartOptions: ChartOptions = {
        width,
        height: opts.height,
        color: ctx.mode.color,
        logY: opts.log ?? false,
        xLabel: plot.xAxisName(opts.x),
        formatX: plot.xFormatter(opts.x),
        title: plot.plotTitle(runs, metrics),
      };
      const { renderChart } = await import('../render/chart.js');
      if (opts.follow) {
        const watch = {
          stopWhenEnded: !byQuery,
          refresh: () =>
            freshReader(ctx, async (r) =>
              byQuery
                ? plot.selectQueryTargets(r, selection, metrics)
                : plot.resolveTargets(r, await Promise.all(runs.map((x) => r.findRun(x.info.run_id))), metrics, true).targets,
            ),
        };
        await followPlot(ctx, store, targets, seriesOptions, chartOptions, watch, metrics, opts.interval * 1000);
        return;
      }
      const series = await plot.buildChartSeries(store, targets, seriesOptions);
      ctx.flushProblems();
      const hint = plot.sameStepHint(series, opts.x);
      if (hint) ctx.warn(hint);
      await ctx.out(renderChart(series, chartOptions) + '\n');
    });
}

/** `fn` on a reader opened afresh (run records as they are now, not as first read), closed after. */
async function freshReader<T>(ctx: Context, fn: (r: TrackingReader) => Promise<T>): Promise<T> {
  // a backend the caller injected (tests) is the store itself: nothing cached to refresh
  if (ctx.io.openBackend) return fn(await ctx.reader());
  const { openBackend } = await import('../store/open.js');
  const b = await openBackend(ctx.location(), { cwd: ctx.cwd, warn: () => {}, truncate: true });
  try {
    return await fn(await b.reader());
  } finally {
    await b.close();
  }
}

/**
 * Says how to stop, then draws the chart and polls the metric files twice a second, redrawing
 * when lines were appended or (with a query) runs joined, until SIGINT/SIGTERM — or, for runs
 * named by id, until every one that was RUNNING has ended: then the last frame stays and
 * stderr says "run … FINISHED". On a TTY the chart is redrawn in place; piped, each new chart
 * is printed after the previous one.
 */
async function followPlot(
  ctx: Context,
  store: TrackingReader,
  targets: import('../commands/plot.js').PlotTarget[],
  seriesOptions: import('../commands/plot.js').SeriesOptions,
  chartOptions: ChartOptions,
  watch: import('../commands/plot.js').FollowWatch,
  metrics: readonly string[],
  pollMs: number,
): Promise<void> {
  const { followSeries, plotTitle } = await import('../commands/plot.js');
  const { renderChart } = await import('../render/chart.js');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  ctx.io.signals.on('SIGINT', onSignal);
  ctx.io.signals.on('SIGTERM', onSignal);
  // before the first frame: a line printed after it would sit between the chart and the
  // cursor, and each redraw would climb one line short (the title twice, the hint erased)
  ctx.note(
    targets.length === 0
      ? `no run has ${metrics.map((m) => `'${m}'`).join(' or ')} yet; waiting for one (Ctrl-C to stop)`
      : 'following the metric files; Ctrl-C to stop',
  );
  let lastLines = 0;
  try {
    for await (const frame of followSeries(store, targets, seriesOptions, stop.signal, pollMs, watch)) {
      ctx.flushProblems();
      if (frame.series.length > 0) {
        const text = renderChart(frame.series, { ...chartOptions, title: plotTitle(frame.runs, metrics) });
        const clear = ctx.mode.tty && lastLines > 0 ? `\x1b[${lastLines}A\r\x1b[J` : lastLines > 0 ? '\n' : '';
        lastLines = text.split('\n').length;
        await ctx.out(clear + text + '\n');
      }
      for (const run of frame.ended ?? []) {
        ctx.note(
          `run ${run.info.run_name ? `${run.info.run_name} (${run.info.run_id.slice(0, 8)})` : run.info.run_id.slice(0, 8)} ${run.info.status}; stopped following`,
        );
      }
    }
  } finally {
    ctx.io.signals.off('SIGINT', onSignal);
    ctx.io.signals.off('SIGTERM', onSignal);
  }
}
