/**
 * runs ls / describe and metrics history: return data, never print.
 */
import type { Metric } from '../store/types.js';
import type { RunEntry, Store } from '../store/file/store.js';
import { selectRuns, type SelectOptions } from './select.js';
import { runModelSummaries } from './run-models.js';
import type { LoggedModelSummary } from '../store/mlmodel.js';

export type ListRunsOptions = SelectOptions;

/** The runs a listing shows, in order. */
export function listRuns(store: Store, opts: ListRunsOptions): RunEntry[] {
  return selectRuns(store, opts);
}

/** One run, fully loaded, in MLflow's REST shape, plus the models it logged (MLmodel flavors). */
export function describeRun(
  store: Store,
  id: string,
  cwd?: string,
): ReturnType<Store['loadRun']> & { entry: RunEntry; models: LoggedModelSummary[] } {
  const entry = store.findRun(id);
  const run = store.loadRun(entry);
  return { ...run, entry, models: runModelSummaries(store, entry, run.data.tags, cwd) };
}

/** A metric's full history in file order, streamed as one array of lines per read chunk. */
export function metricHistory(store: Store, id: string, key: string): { run: RunEntry; chunks: AsyncGenerator<Metric[]> } {
  const run = store.findRun(id);
  return { run, chunks: store.metricHistoryChunks(run, key) };
}
