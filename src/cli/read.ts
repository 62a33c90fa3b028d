/**
 * Wiring for the read-only commands: experiments ls/describe, runs ls/describe/diff,
 * metrics history. Command modules are imported inside actions so start-up stays cheap.
 */
import type { Command } from 'commander';
import { createContext } from './context.js';
import { choice, collect, maxResults, parseView, precisionInt } from './options.js';

const LIST_FORMATS = ['table', 'json', 'csv', 'tsv'] as const;
const EXPERIMENT_FORMATS = ['table', 'json', 'csv', 'tsv', 'md'] as const;
const RUN_FORMATS = ['table', 'json', 'csv', 'tsv', 'md', 'ids'] as const;
const DIFF_FORMATS = ['table', 'json', 'tsv', 'md'] as const;

export function registerRead(program: Command): void {
  const experiments = program.command('experiments').alias('exp').description('list and inspect experiments');

  experiments
    .command('ls')
    .alias('list')
    .description('list experiments (MLflow order: newest first)')
    .option('--view <view>', 'active, deleted or all', parseView, 'active')
    .option('--format <format>', `output format: ${EXPERIMENT_FORMATS.join('|')} (md: a Markdown table)`, choice(EXPERIMENT_FORMATS), 'table')
    .addHelpText('after', '\nExamples:\n  mlr experiments ls\n  mlr experiments ls --view all --format json')
    .action(async (opts: { view: 'active' | 'deleted' | 'all'; format: (typeof EXPERIMENT_FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { listExperiments } = await import('../commands/experiments.js');
      const { renderExperiments } = await import('../render/experiments.js');
      const entries = await listExperiments(await ctx.reader(), opts.view);
      ctx.flushProblems();
      await ctx.out(renderExperiments(entries, opts.format, ctx.mode));
    });

  experiments
    .command('describe')
    .description('show one experiment: fields, tags, run counts')
    .argument('<id-or-name>', 'experiment id or name')
    .option('--format <format>', 'json or table', choice(['json', 'table'] as const), 'table')
    .addHelpText('after', '\nExample:\n  mlr experiments describe sweep --format json')
    .action(async (idOrName: string, opts: { format: 'json' | 'table' }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { describeExperiment } = await import('../commands/experiments.js');
      const { renderExperimentDescription } = await import('../render/experiments.js');
      const d = await describeExperiment(await ctx.reader(), await ctx.registry(), idOrName);
      ctx.flushProblems();
      await ctx.out(renderExperimentDescription(d, opts.format, ctx.mode));
    });

  const runs = program.command('runs').description('list, inspect and compare runs');

  runs
    .command('ls')
    .alias('list')
    .description('list runs of all active experiments, or of the ones named (MLflow order: newest first)')
    .option('-e, --experiment <id-or-name>', 'experiment id or name (repeatable)', collect)
    .option('--view <view>', 'runs to show: active, deleted or all', parseView, 'active')
    .option('--filter <expr>', 'MLflow search filter, e.g. "metrics.val_loss < 0.3 and params.optimizer = \'adam\'" (also OR, parentheses, IN lists)')
    .option(
      '--order-by <clause>',
      'sort key and direction, e.g. "metrics.val_loss ASC" or "min(metrics.val_loss) ASC" (repeatable; the first dominates)',
      collect,
    )
    .option('--max-results <n>', 'show at most n runs (1-50000)', maxResults)
    .option('--columns <list>', 'comma-separated columns, e.g. run_id,run_name,params.lr,metrics.val_loss,min(metrics.val_loss),tags.team')
    .option('--spark <metric>', 'add a sparkline column of a metric history (repeatable)', collect)
    .option('--only-changed', 'hide metric/param/tag columns whose value is the same on every run')
    .option('--keep <regex>', 'always show columns whose key matches; hide other metric/param/tag columns (repeatable)', collect)
    .option('--drop <regex>', 'hide columns whose key matches (repeatable)', collect)
    .option('--precision <n>', 'significant digits for numbers in the table (CSV/TSV/JSON keep full precision)', precisionInt)
    .option('--tree', 'show child runs under their parent (tag mlflow.parentRunId)')
    .option('--format <format>', `output format: ${RUN_FORMATS.join('|')}`, choice(RUN_FORMATS), 'table')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  mlr runs ls -e sweep --max-results 20',
        '  mlr runs ls -e sweep --filter "metrics.val_acc > 0.9 and params.optimizer = \'adam\'" --order-by "metrics.val_loss ASC"',
        "  mlr runs ls --filter \"tags.team IN ('vision', 'nlp') OR status = 'FAILED'\" --format csv > runs.csv",
        '  mlr runs ls -e sweep --columns "run_name,min(metrics.val_loss),argmin(metrics.val_loss)" --order-by "min(metrics.val_loss)"',
        '  mlr runs ls -e sweep --spark metrics.val_loss --only-changed --drop "^tags\\."',
        '  mlr runs ls --format ids | head -1',
      ].join('\n'),
    )
    .action(
      async (
        opts: {
          experiment?: string[];
          view: 'active' | 'deleted' | 'all';
          filter?: string;
          orderBy?: string[];
          maxResults?: number;
          columns?: string;
          spark?: string[];
          onlyChanged?: boolean;
          keep?: string[];
          drop?: string[];
          precision?: number;
          tree?: boolean;
          format: (typeof RUN_FORMATS)[number];
        },
        cmd: Command,
      ) => {
        const ctx = createContext(cmd);
        ctx.page();
        const { listRuns } = await import('../commands/runs.js');
        const aligned = ctx.mode.tty && opts.format === 'table';
        const listing = await listRuns(() => ctx.reader(), {
          experiments: opts.experiment,
          view: opts.view,
          filter: opts.filter,
          orderBy: opts.orderBy,
          maxResults: opts.maxResults,
          columns: opts.columns?.split(',') ?? ctx.config().columns?.value,
          spark: opts.spark,
          onlyChanged: opts.onlyChanged,
          keep: opts.keep,
          drop: opts.drop,
          tree: opts.tree,
          output: opts.format === 'ids' ? 'ids' : opts.format === 'json' ? 'json' : aligned ? 'aligned-table' : 'table',
        });
        ctx.flushProblems();
        const shown = listing.kind === 'ids' ? listing.ids.length : listing.kind === 'json' ? listing.runs.length : listing.table.rows.length;
        // an empty table on a terminal looks like a broken command; a pipe gets only the data (issue 11)
        if (shown === 0 && ctx.mode.tty) ctx.note(opts.filter !== undefined ? 'no runs match the filter' : 'no runs match');
        if (listing.kind === 'ids') return ctx.out(listing.ids.map((id) => id + '\n').join(''));
        if (listing.kind === 'json') {
          const [{ renderJson }, { runJson }] = await Promise.all([import('../render/table.js'), import('../render/runs.js')]);
          return ctx.out(renderJson(listing.runs.map((r) => runJson(r.run, r.problems))));
        }
        if (opts.format === 'ids' || opts.format === 'json') return;
        const { renderRunTable } = await import('../render/run-table.js');
        await ctx.out(renderRunTable(listing.table, opts.format, ctx.mode, { precision: opts.precision }));
      },
    );

  runs
    .command('describe')
    .alias('show')
    .description('show one run: info, latest metrics, params, tags, dataset inputs')
    .argument('<run>', 'run id, a unique prefix of at least 6 characters, a unique run name, or latest / latest~N')
    .option('--format <format>', 'json (MLflow REST Run) or table', choice(['json', 'table'] as const), 'table')
    .option('--full', 'on a terminal, show long values whole (they are cut to three lines)')
    .addHelpText('after', '\nExample:\n  mlr runs describe 0fcd845b --format json | jq .data.metrics')
    .action(async (id: string, opts: { format: 'json' | 'table'; full?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { describeRun } = await import('../commands/runs.js');
      const [{ renderJson }, { renderRunDescription, runJson }] = await Promise.all([import('../render/table.js'), import('../render/runs.js')]);
      const run = await describeRun(await ctx.reader(), await ctx.registry(), await ctx.artifacts(), await ctx.runId(id));
      ctx.flushProblems();
      await ctx.out(
        opts.format === 'json' ? renderJson(runJson(run, run.entry.problems)) : renderRunDescription(run, run.entry.problems, ctx.mode, { full: opts.full }),
      );
    });

  runs
    .command('diff')
    .description('compare runs side by side: attributes, params, latest metrics (with the change for two runs) and tags')
    .argument('<runs...>', 'two or more runs: ids, unique prefixes, unique names, latest~N')
    .option('--only-changed', 'show only rows whose values differ')
    .option('--precision <n>', 'significant digits for numbers on a terminal', precisionInt)
    .option('--format <format>', `output format: ${DIFF_FORMATS.join('|')} (table is tab-separated when piped)`, choice(DIFF_FORMATS), 'table')
    .addHelpText('after', '\nExamples:\n  mlr runs diff 65035d79 0fcd845b\n  mlr runs diff 65035d79 0fcd845b 43599031 --only-changed --format json')
    .action(async (ids: string[], opts: { onlyChanged?: boolean; precision?: number; format: (typeof DIFF_FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { diffRuns } = await import('../commands/diff.js');
      const { renderDiff } = await import('../render/diff.js');
      const refs = await Promise.all(ids.map((id) => ctx.runId(id)));
      const d = await diffRuns(await ctx.reader(), refs, { onlyChanged: opts.onlyChanged });
      ctx.flushProblems();
      await ctx.out(renderDiff(d, opts.format, ctx.mode, { precision: opts.precision }));
    });

  const metrics = program.command('metrics').description('metric histories');
  metrics
    .command('history')
    .description('every logged value of one metric of a run, in file order (streamed)')
    .argument('<run>', 'run id, unique prefix, unique run name or latest~N')
    .argument('<key>', 'metric key')
    .option('--format <format>', `output format: ${LIST_FORMATS.join('|')}`, choice(LIST_FORMATS), 'table')
    .addHelpText('after', '\nExample:\n  mlr metrics history 0fcd845b val_loss --format csv')
    .action(async (id: string, key: string, opts: { format: (typeof LIST_FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { metricHistory } = await import('../commands/runs.js');
      const { renderHistory } = await import('../render/history.js');
      const { chunks } = await metricHistory(await ctx.reader(), await ctx.runId(id), key);
      for await (const text of renderHistory(chunks, opts.format, ctx.mode)) await ctx.out(text);
      ctx.flushProblems();
    });
}
