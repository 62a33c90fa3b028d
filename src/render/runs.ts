/**
 * One run as text: MLflow's REST Run JSON (`runs describe --format json`, `runs ls --format
 * json`) and the key/value view of `runs describe`.
 */
import type { Problem, Run } from '../store/types.js';
import { formatDuration, formatIso, formatNumberFull, formatNumberShort, jsonNumber } from './format.js';
import type { OutputMode } from './output.js';
import { renderPairs } from './pairs.js';

/** A run in MLflow's REST shape for JSON output: non-finite metrics as strings. */
export function runJson(run: Run & { outputs?: unknown }, problems: Problem[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {
    info: run.info,
    data: {
      metrics: run.data.metrics.map((m) => ({ key: m.key, value: jsonNumber(m.value), timestamp: m.timestamp, step: m.step })),
      params: run.data.params,
      tags: run.data.tags,
    },
    inputs: run.inputs,
  };
  if (run.outputs) out['outputs'] = run.outputs;
  if (problems.length > 0) out['mlr_problems'] = problems;
  return out;
}

export function renderRunDescription(
  run: Run & { outputs?: unknown; models?: { artifact_path: string; flavors: string[]; mlflow_version: string | null }[] },
  problems: Problem[],
  mode: OutputMode,
  opts: { full?: boolean } = {},
): string {
  const i = run.info;
  const pairs: [string, string][] = [
    ['run_id', i.run_id],
    ['run_name', i.run_name],
    ['experiment_id', i.experiment_id],
    ['status', i.status],
    ['lifecycle_stage', i.lifecycle_stage],
    ['user_id', i.user_id],
    ['start_time', formatIso(i.start_time)],
    ['end_time', formatIso(i.end_time)],
    ['duration', formatDuration(i.start_time, i.end_time)],
    ['artifact_uri', i.artifact_uri],
  ];
  for (const m of run.data.metrics) {
    pairs.push([`metrics.${m.key}`, `${mode.tty ? formatNumberShort(m.value, 6) : formatNumberFull(m.value)} (step ${m.step})`]);
  }
  for (const p of run.data.params) pairs.push([`params.${p.key}`, p.value]);
  for (const t of run.data.tags) pairs.push([`tags.${t.key}`, t.value]);
  for (const d of run.inputs.dataset_inputs) {
    const ctx = d.tags.find((t) => t.key === 'mlflow.data.context')?.value;
    pairs.push(['dataset', `${d.dataset.name} (digest ${d.dataset.digest}${ctx ? `, ${ctx}` : ''})`]);
  }
  // models the run logged (log-model history tag, MLmodel files, MLflow 3 outputs): their flavors
  for (const m of run.models ?? []) {
    pairs.push([`model ${m.artifact_path || '.'}`, (m.flavors.join(', ') || '-') + (m.mlflow_version ? ` (mlflow ${m.mlflow_version})` : '')]);
  }
  for (const p of problems) pairs.push(['problem', p.message]);
  // on a TTY, multi-line values (notes, JSON tags) are shown on one line (renderPairs)
  return renderPairs(pairs, mode, { collapse: !opts.full });
}
