/**
 * The models a run logged, for `runs describe`: its `mlflow.log-model.history` tag merged
 * with MLmodel files found among its artifacts, plus (MLflow 3) the logged models its
 * `outputs/` point to. Everything is read where it is on this machine; artifacts on
 * remote storage just contribute nothing.
 */
import type { ArtifactRepository, ModelRegistry, RunEntry, TrackingReader } from '../store/backend.js';
import { readMLmodel, runLoggedModels, type LoggedModelSummary } from '../store/mlmodel.js';
import type { KeyValue } from '../store/types.js';

/** Logged models of a run, sorted by artifact path (MLflow 3 models as `models:/<id>`). */
export async function runModelSummaries(
  store: TrackingReader,
  registry: ModelRegistry,
  artifacts: ArtifactRepository,
  run: RunEntry,
  tags: KeyValue[],
): Promise<LoggedModelSummary[]> {
  const history = tags.find((t) => t.key === 'mlflow.log-model.history')?.value;
  const out = await runLoggedModels(history, artifacts, { run });
  const outputs = store.readRunOutputs(run);
  if (outputs.length > 0) {
    const logged = new Map((await registry.listLoggedModels(run.exp)).map((m) => [m.model_id, m]));
    for (const o of outputs) {
      const m = logged.get(o.model_id);
      const info = m ? await readMLmodel(artifacts, { loggedModel: m }) : undefined;
      out.push({
        artifact_path: `models:/${o.model_id}`,
        flavors: info?.flavors ?? [],
        mlflow_version: info?.mlflow_version ?? null,
        model_uuid: info?.model_uuid ?? null,
        utc_time_created: info?.utc_time_created ?? null,
        from: ['MLmodel'],
      });
    }
  }
  return out;
}
