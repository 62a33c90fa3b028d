/**
 * runs ls / describe and metrics history: return data, never print.
 */
import type { Metric } from '../store/types.js';
import type { RunEntry, Store } from '../store/store.js';
import { selectRuns, type SelectOptions } from './select.js';

export type ListRunsOptions = SelectOptions;

/** The runs a listing shows, in order. */
export function listRuns(store: Store, opts: ListRunsOptions): RunEntry[] {
  return selectRuns(store, opts);
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
