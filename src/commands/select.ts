/**
 * Choosing and ordering runs for a listing: experiments, filter, order-by, max-results.
 */
import type { CompiledQuery } from '../search/index.js';
import type { ExperimentEntry, RunEntry, SearchedRun, TrackingReader } from '../store/backend.js';
import type { ViewType } from '../store/types.js';

export interface SelectOptions {
  experiments?: readonly string[];
  view: ViewType;
  maxResults?: number;
  /** filter and order-by, compiled (src/search); absent: every run, natural order */
  query?: CompiledQuery;
}

/** The experiments a run listing covers: the named ones (ids or names), else all active ones. */
export async function resolveExperiments(store: TrackingReader, names: readonly string[] | undefined): Promise<ExperimentEntry[]> {
  if (names && names.length > 0) {
    const out: ExperimentEntry[] = [];
    for (const n of names) out.push(await store.getExperiment(n));
    return out;
  }
  return store.listExperiments('active');
}

/** Runs of the chosen experiments in the view, filtered, ordered and cut to maxResults, as loaded for the query. */
export async function searchSelected(store: TrackingReader, opts: SelectOptions & { unordered?: boolean }): Promise<SearchedRun[]> {
  const experiments = await resolveExperiments(store, opts.experiments);
  return store.searchRuns({
    experiments,
    view: opts.view,
    ...(opts.query ? { query: opts.query } : {}),
    ...(opts.maxResults !== undefined ? { maxResults: opts.maxResults } : {}),
    ...(opts.unordered ? { unordered: true } : {}),
  });
}

/** Runs of the chosen experiments in the view, filtered, ordered and cut to maxResults. */
export async function selectRuns(store: TrackingReader, opts: SelectOptions): Promise<RunEntry[]> {
  return (await searchSelected(store, opts)).map((r) => r.entry);
}
