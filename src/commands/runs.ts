/**
 * runs ls / describe and metrics history: return data, never print.
 */
import type { Metric } from '../store/types.js';
import type { RunEntry, Store } from '../store/store.js';
import { UsageError } from '../errors.js';
import { compileQuery, sortByKey, type CompiledQuery } from '../search/index.js';
import { computeAggregates, parseAggregateOrderBy, sortByAggregates, type AggregateOrder } from './aggregates.js';
import { MAX_RESULTS_LIMIT, resolveExperiments, searchRuns, selectRuns, type SelectOptions } from './select.js';

export type ListRunsOptions = SelectOptions;

/** The runs a listing shows, in order. */
export function listRuns(store: Store, opts: ListRunsOptions): RunEntry[] {
  return selectRuns(store, opts);
}

export interface OrderedListOptions {
  experiments?: string[];
  view: SelectOptions['view'];
  maxResults?: number;
  filter?: string;
  /** MLflow keys (`metrics.val_loss DESC`) and metric aggregates (`min(metrics.val_loss)`), mixed */
  orderBy?: string[];
}

export interface CompiledListing {
  query: CompiledQuery;
  /** per --order-by clause: its aggregate order, or undefined for a plain MLflow key */
  aggregates: (AggregateOrder | undefined)[];
}

/**
 * Compile --filter and --order-by (usage errors surface here, before the store is read).
 * Aggregate clauses are recognised by their call syntax; everything else is MLflow's.
 */
export function compileListing(opts: Pick<OrderedListOptions, 'filter' | 'orderBy'>): CompiledListing {
  const clauses = opts.orderBy ?? [];
  const aggregates = clauses.map((c) => parseAggregateOrderBy(c));
  const query = compileQuery({ filter: opts.filter, orderBy: clauses.filter((_, i) => !aggregates[i]) });
  return { query, aggregates };
}

/**
 * Runs for a listing: filtered, ordered and cut. Without aggregate clauses this is MLflow's
 * search exactly. With them, every clause is one stable pass from the last to the first, as
 * MLflow applies order_by, so plain keys and aggregates mix in the order given.
 */
export async function listRunsOrdered(store: Store, opts: OrderedListOptions, compiled = compileListing(opts)): Promise<RunEntry[]> {
  const { query, aggregates } = compiled;
  if (!aggregates.some(Boolean)) return selectRuns(store, { experiments: opts.experiments, view: opts.view, maxResults: opts.maxResults, query });
  if (opts.maxResults !== undefined && (opts.maxResults < 1 || opts.maxResults > MAX_RESULTS_LIMIT)) {
    throw new UsageError(`--max-results must be a whole number from 1 to ${MAX_RESULTS_LIMIT}, got ${opts.maxResults}`);
  }
  const entries = store.listRuns(resolveExperiments(store, opts.experiments), opts.view);
  // filter only, natural order; the plain keys' values are loaded for the passes below
  let out = searchRuns(store, entries, { ...query, order: [] });
  const specs = aggregates.flatMap((a) => (a ? [a.spec] : []));
  const values = await computeAggregates(
    store,
    out.map((r) => r.entry),
    specs,
  );
  let plainIndex = query.order.length - 1;
  for (let i = aggregates.length - 1; i >= 0; i--) {
    const agg = aggregates[i];
    if (agg) {
      const byEntry = new Map(out.map((r) => [r.entry, r]));
      out = sortByAggregates(
        out.map((r) => r.entry),
        [agg],
        values,
      ).map((e) => byEntry.get(e)!);
    } else {
      out = sortByKey(out, query.order[plainIndex--]!);
    }
  }
  const runs = out.map((r) => r.entry);
  return opts.maxResults !== undefined ? runs.slice(0, opts.maxResults) : runs;
}

/** One run, fully loaded, in MLflow's REST shape. */
export function describeRun(store: Store, id: string): ReturnType<Store['loadRun']> & { entry: RunEntry } {
  const entry = store.findRun(id);
  return { ...store.loadRun(entry), entry };
}

/** A metric's full history in file order (streamed). */
export function metricHistory(store: Store, id: string, key: string): { run: RunEntry; lines: AsyncGenerator<Metric> } {
  const run = store.findRun(id);
  return { run, lines: store.metricHistory(run, key) };
}
