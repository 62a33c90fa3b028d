/**
 * experiments ls / describe: return data, never print.
 */
import type { ExperimentEntry, ModelRegistry, TrackingReader } from '../store/backend.js';
import type { ViewType } from '../store/types.js';

/** Experiments in the view, in MLflow's default order: creation_time DESC, then id ASC. */
export async function listExperiments(store: TrackingReader, view: ViewType): Promise<ExperimentEntry[]> {
  return [...(await store.listExperiments(view, true))].sort((a, b) => {
    const ta = a.experiment.creation_time;
    const tb = b.experiment.creation_time;
    if (ta !== tb) {
      if (ta === null) return 1;
      if (tb === null) return -1;
      return tb > ta ? 1 : -1;
    }
    const ia = a.experiment.experiment_id;
    const ib = b.experiment.experiment_id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
}

export interface ExperimentDescription {
  entry: ExperimentEntry;
  runs: { active: number; deleted: number; broken: number };
  loggedModels: number;
  traces: number;
}

/** One experiment with counts of its runs, logged models and traces. */
export async function describeExperiment(store: TrackingReader, registry: ModelRegistry, idOrName: string): Promise<ExperimentDescription> {
  const entry = await store.getExperiment(idOrName, true);
  const runs = await store.listRuns([entry], 'all');
  return {
    entry,
    runs: {
      active: runs.filter((r) => r.info.lifecycle_stage === 'active').length,
      deleted: runs.filter((r) => r.info.lifecycle_stage === 'deleted').length,
      broken: runs.filter((r) => r.broken).length,
    },
    loggedModels: (await registry.listLoggedModels(entry)).length,
    traces: (await registry.listTraces(entry)).length,
  };
}
