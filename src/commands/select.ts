/**
 * Choosing and ordering runs for a listing: filter, order-by, max-results.
 */
import { UsageError } from '../errors.js';
import { applyQuery, type CompiledQuery } from '../search/index.js';
import { compareNatural } from '../search/order-by.js';
import type { ExperimentEntry, RunEntry, Store } from '../store/file/store.js';
import type { SearchableRun, ViewType } from '../store/types.js';

/** MLflow's file store refuses max_results above this (spec §6). */
export const MAX_RESULTS_LIMIT = 50000;

export interface SelectOptions {
  experiments?: string[];
  view: ViewType;
  maxResults?: number;
  /** filter and order-by, compiled (src/search); absent: every run, natural order */
  query?: CompiledQuery;
}

/** The experiments a run listing covers: the named ones (ids or names), else all active ones. */
export function resolveExperiments(store: Store, names: string[] | undefined): ExperimentEntry[] {
  if (names && names.length > 0) return names.map((n) => store.getExperiment(n));
  return store.listExperiments('active');
}

/** MLflow's natural order: start_time DESC, ties by run_id ASC; missing start times last. */
export const naturalOrder: (a: RunEntry, b: RunEntry) => number = compareNatural;

/** A loaded run that remembers its store entry. */
export type SearchedRun = SearchableRun & { entry: RunEntry };

/** Each run as the query sees it: its files are read as the filter and order-by ask for them. */
export function loadForQuery(store: Store, entries: RunEntry[], query: CompiledQuery): SearchedRun[] {
  return entries.map((entry): SearchedRun => ({ ...store.loadSearchable(entry, query.needs), entry }));
}

/**
 * Loads what the query needs of each run (only those files, as the filter asks for them),
 * then filters and sorts as MLflow does, keeping the first `limit` (all when undefined).
 */
export function searchRuns(store: Store, entries: RunEntry[], query: CompiledQuery, limit?: number): SearchedRun[] {
  return applyQuery(loadForQuery(store, entries, query), query, limit);
}

/** Runs of the chosen experiments in the view, filtered, ordered and cut to maxResults. */
export function selectRuns(store: Store, opts: SelectOptions): RunEntry[] {
  if (opts.maxResults !== undefined && (!Number.isInteger(opts.maxResults) || opts.maxResults < 1 || opts.maxResults > MAX_RESULTS_LIMIT)) {
    throw new UsageError(`--max-results must be a whole number from 1 to ${MAX_RESULTS_LIMIT}, got ${opts.maxResults}`);
  }
  const exps = resolveExperiments(store, opts.experiments);
  const entries = store.listRuns(exps, opts.view);
  const q = opts.query;
  let runs: RunEntry[];
  if (!q || (!q.predicate && q.order.length === 0)) runs = entries.sort(naturalOrder);
  else return searchRuns(store, entries, q, opts.maxResults).map((r) => r.entry);
  return opts.maxResults !== undefined ? runs.slice(0, opts.maxResults) : runs;
}
