/**
 * The models a run logged, for `runs describe`: its `mlflow.log-model.history` tag merged
 * with MLmodel files found among its artifacts, plus (MLflow 3) the logged models its
 * `outputs/` point to. Everything is read where it is on this machine; artifacts on
 * remote storage just contribute nothing.
 */
import path from 'node:path';
import { isResolved, resolveFolder } from '../store/artifacts/location.js';
import { runArtifactRoot } from '../store/artifacts/local.js';
import { readMLmodel, runLoggedModels, type LoggedModelSummary } from '../store/mlmodel.js';
import { listLoggedModels } from '../store/file/registry-read.js';
import type { RunEntry, Store } from '../store/file/store.js';
import type { KeyValue } from '../store/types.js';

/** Logged models of a run, sorted by artifact path (MLflow 3 models as `models:/<id>`). */
export function runModelSummaries(store: Store, run: RunEntry, tags: KeyValue[], cwd = path.dirname(store.root)): LoggedModelSummary[] {
  const ctx = { root: store.root, cwd };
  const history = tags.find((t) => t.key === 'mlflow.log-model.history')?.value;
  let root: string | undefined;
  try {
    const r = runArtifactRoot(run, ctx);
    if (!r.missing) root = r.path;
  } catch {
    root = undefined;
  }
  const out = runLoggedModels(history, root);
  const outputs = store.readRunOutputs(run);
  if (outputs.length > 0) {
    const logged = new Map(listLoggedModels(run.exp.dir, []).map((m) => [m.model_id, m]));
    for (const o of outputs) {
      const m = logged.get(o.model_id);
      const folder = m
        ? resolveFolder(m.artifact_location, ctx, { path: path.join(m.dir, 'artifacts'), suffix: [m.model_id, 'artifacts'], anyway: true })
        : undefined;
      const info = folder && isResolved(folder) ? readMLmodel(folder.path) : undefined;
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
