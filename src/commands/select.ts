/**
 * Choosing and ordering runs for a listing: filter, order-by, max-results.
 */
import { UsageError } from '../errors.js';
import type { ExperimentEntry, RunEntry, Store } from '../store/store.js';
import type { ViewType } from '../store/types.js';

export interface SelectOptions {
  experiments?: string[];
  view: ViewType;
  maxResults?: number;
}

/** The experiments a run listing covers: the named ones (ids or names), else all active ones. */
export function resolveExperiments(store: Store, names: string[] | undefined): ExperimentEntry[] {
  if (names && names.length > 0) return names.map((n) => store.getExperiment(n));
  return store.listExperiments('active');
}

/** MLflow's natural order: start_time DESC, ties by run_id ASC; missing start times last. */
export function naturalOrder(a: RunEntry, b: RunEntry): number {
  const sa = a.info.start_time;
  const sb = b.info.start_time;
  if (sa !== sb) {
    if (sa === null) return 1;
    if (sb === null) return -1;
    return sb - sa;
  }
  return a.info.run_id < b.info.run_id ? -1 : a.info.run_id > b.info.run_id ? 1 : 0;
}

/** Runs of the chosen experiments in the view, ordered and cut to maxResults. */
export function selectRuns(store: Store, opts: SelectOptions): RunEntry[] {
  if (opts.maxResults !== undefined && (!Number.isInteger(opts.maxResults) || opts.maxResults < 1 || opts.maxResults > 50000)) {
    throw new UsageError(`--max-results must be a whole number from 1 to 50000, got ${opts.maxResults}`);
  }
  const exps = resolveExperiments(store, opts.experiments);
  const runs = store.listRuns(exps, opts.view).sort(naturalOrder);
  return opts.maxResults !== undefined ? runs.slice(0, opts.maxResults) : runs;
}
