/**
 * MLflow's search_runs evaluated in this process, over runs a backend can load key by key:
 * the file store's way of answering a search (it reads only the files a clause needs, as the
 * clause needs them), and any backend's fallback for what it cannot push down.
 */
import { checkMaxResults } from './max-results.js';
import { applyQuery, filterRuns } from '../search/index.js';
import { compareNatural } from '../search/order-by.js';
import type { RunSearch, SearchedRun, TrackingReader } from './backend.js';

/**
 * The runs of `search.experiments` in the view, filtered, ordered as MLflow orders them
 * and cut to maxResults, loading through `reader.loadSearchable` only what the query needs.
 */
export async function searchLocally(reader: TrackingReader, search: RunSearch): Promise<SearchedRun[]> {
  checkMaxResults(search.maxResults);
  const entries = await reader.listRuns(search.experiments, search.view);
  const q = search.query;
  const loaded = entries.map((entry): SearchedRun => ({ ...reader.loadSearchable(entry, q?.needs ?? {}), entry }));
  if (search.unordered) return q ? [...filterRuns(loaded, q)] : loaded;
  if (!q || (!q.predicate && q.order.length === 0)) {
    loaded.sort(compareNatural);
    return search.maxResults !== undefined ? loaded.slice(0, search.maxResults) : loaded;
  }
  return applyQuery(loaded, q, search.maxResults);
}
