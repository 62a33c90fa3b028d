/**
 * runs describe and metrics history: return data, never print.
 */
import type { Metric } from '../store/types.js';
import type { ArtifactRepository, FullRun, ModelRegistry, RunEntry, TrackingReader } from '../store/backend.js';
import { runModelSummaries } from './run-models.js';
import type { Problem, ViewType } from '../store/types.js';
import type { ColumnSpec, RunTable } from './run-table.js';
import type { LoggedModelSummary } from '../store/mlmodel.js';

/** One run, fully loaded, in MLflow's REST shape, plus the models it logged (MLmodel flavors). */
export async function describeRun(
  store: TrackingReader,
  registry: ModelRegistry,
  artifacts: ArtifactRepository,
  id: string,
): Promise<FullRun & { entry: RunEntry; models: LoggedModelSummary[] }> {
  const entry = await store.findRun(id);
  const run = store.loadRun(entry);
  return { ...run, entry, models: await runModelSummaries(store, registry, artifacts, entry, run.data.tags) };
}

/** A metric's full history in logged order, streamed as one array of lines per chunk. */
export async function metricHistory(store: TrackingReader, id: string, key: string): Promise<{ run: RunEntry; chunks: AsyncGenerator<Metric[]> }> {
  const run = await store.findRun(id);
  return { run, chunks: store.metricHistory(run, key) };
}

export interface RunsListOptions {
  experiments?: readonly string[];
  view: ViewType;
  filter?: string;
  orderBy?: readonly string[];
  maxResults?: number;
  /** `--columns` entries; the default columns when absent */
  columns?: readonly string[];
  spark?: readonly string[];
  onlyChanged?: boolean;
  keep?: readonly string[];
  drop?: readonly string[];
  tree?: boolean;
  /** what is printed: run ids, MLflow's Run JSON, or a table (aligned for a terminal or not) */
  output: 'ids' | 'json' | 'table' | 'aligned-table';
}

/** What `runs ls` prints, as data: ids, full runs, or a table. */
export type RunsListing = { kind: 'ids'; ids: string[] } | { kind: 'json'; runs: { run: FullRun; problems: Problem[] }[] } | { kind: 'table'; table: RunTable };

/**
 * `mlr runs ls`: the runs of the experiments in the view, filtered and ordered as MLflow
 * does (order-by may name aggregates), with the columns asked for (or the default ones),
 * aggregate and sparkline values, --only-changed/--keep/--drop and the --tree order. A bad
 * filter or order-by is a usage error before the store is read.
 */
export async function listRuns(reader: () => Promise<TrackingReader>, o: RunsListOptions): Promise<RunsListing> {
  const controls = await import('./table-controls.js');
  const query = await controls.compileAggregateQuery(o.filter, o.orderBy);
  const store = await reader();
  let selected = await controls.selectRunsWithAggregates(store, { experiments: o.experiments, view: o.view, maxResults: o.maxResults, query });
  const tree = o.tree ? controls.buildTree(store, selected) : undefined;
  if (tree) selected = tree.map((t) => t.run);
  if (o.output === 'ids') return { kind: 'ids', ids: selected.map((r) => r.info.run_id) };
  if (o.output === 'json') return { kind: 'json', runs: selected.map((r) => ({ run: store.loadRun(r), problems: r.problems })) };
  const { buildRunTable, defaultColumns, parseColumn } = await import('./run-table.js');
  const aligned = o.output === 'aligned-table';
  // sparklines come right after the attributes and the query's keys (before the metric
  // and param columns a narrow terminal drops)
  const spark = controls.sparkColumns(o.spark);
  let columns: ColumnSpec[] = o.columns
    ? o.columns.filter((c) => c.trim() !== '').map(parseColumn)
    : defaultColumns(store, selected, aligned, [...query.columns, ...spark]);
  columns = [...columns, ...spark.filter((c) => !columns.some((x) => x.key === c.key))];
  if (tree && !aligned && !columns.some((c) => c.key === 'tags.mlflow.parentRunId')) {
    // piped: no indentation, so say who the parent is
    columns = [...columns, parseColumn('tags.mlflow.parentRunId')];
  }
  let table = buildRunTable(store, selected, columns, await controls.aggregateValues(store, selected, columns));
  table = controls.applyColumnControls(table, { onlyChanged: o.onlyChanged, keep: o.keep, drop: o.drop });
  if (tree && aligned) table = controls.indentTree(table, tree);
  return { kind: 'table', table };
}

export interface RunsPageOptions {
  experiments?: readonly string[];
  view: ViewType;
  filter?: string;
  orderBy?: readonly string[];
  /** first row of the page (0-based) */
  offset: number;
  /** rows in the page */
  limit: number;
}

/** The default columns of `runs ls` over every run matching the query (piped, as the viewer's runs endpoint chooses a page's). */
export async function runColumns(reader: () => Promise<TrackingReader>, o: Omit<RunsPageOptions, 'offset' | 'limit'>): Promise<ColumnSpec[]> {
  const controls = await import('./table-controls.js');
  const query = await controls.compileAggregateQuery(o.filter, o.orderBy);
  const store = await reader();
  const selected = await controls.selectRunsWithAggregates(store, { experiments: o.experiments, view: o.view, query });
  const { defaultColumns } = await import('./run-table.js');
  return defaultColumns(store, selected, false, query.columns);
}
