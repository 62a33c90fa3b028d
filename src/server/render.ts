/**
 * mlr's entities as MLflow's server renders them: the fields each entity's `to_proto` sets,
 * in proto field-number order (which is the order MessageToJson writes), unset fields left
 * out, doubles marked for pyjson.ts. Run data comes in the order the backend keeps it,
 * which for the file store is the order MLflow's own file store answers in (os.walk of the
 * run's folders): params, tags and metrics as MLflow lists them.
 */
import type { ModelVersion, RegisteredModel, RunEntry, TrackingReader } from '../store/backend.js';
import type { DatasetInput, Experiment, Metric, RunInfo } from '../store/types.js';
import { Double } from './pyjson.js';

type Json = Record<string, unknown>;

/** Experiment.to_proto: times only when non-zero, tags only when there are some. */
export function experimentJson(e: Experiment): Json {
  return {
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    last_update_time: e.last_update_time || undefined,
    creation_time: e.creation_time || undefined,
    tags: e.tags.length ? e.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
  };
}

/** RunInfo.to_proto (run_id, field 15, comes last). */
export function runInfoJson(i: RunInfo): Json {
  return {
    run_uuid: i.run_uuid,
    experiment_id: i.experiment_id,
    run_name: i.run_name,
    user_id: i.user_id,
    status: i.status,
    start_time: i.start_time ?? undefined,
    end_time: i.end_time || undefined,
    artifact_uri: i.artifact_uri || undefined,
    lifecycle_stage: i.lifecycle_stage,
    run_id: i.run_id,
  };
}

export function metricJson(m: Metric): Json {
  return { key: m.key, value: new Double(m.value), timestamp: m.timestamp, step: m.step };
}

function datasetInputJson(d: DatasetInput): Json {
  return {
    tags: d.tags.length ? d.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
    dataset: {
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.source_type,
      source: d.dataset.source,
      schema: d.dataset.schema ?? undefined,
      profile: d.dataset.profile ?? undefined,
    },
  };
}

/** Run.to_proto: info, data (metrics with latest values, params, tags) and inputs, as MLflow's get_run returns them. */
export function runJson(reader: TrackingReader, entry: RunEntry): Json {
  const metrics = [...reader.readLatestMetrics(entry, reader.storedKeys(entry, 'metrics')).values()].map(metricJson);
  const params = [...reader.readParams(entry, reader.storedKeys(entry, 'params'))].map(([key, value]) => ({ key, value }));
  const tags = [...reader.readTags(entry, reader.storedKeys(entry, 'tags'))].map(([key, value]) => ({ key, value }));
  const inputs = reader.readDatasetInputs(entry);
  return {
    info: runInfoJson(entry.info),
    data: {
      metrics: metrics.length ? metrics : undefined,
      params: params.length ? params : undefined,
      tags: tags.length ? tags : undefined,
    },
    inputs: { dataset_inputs: inputs.length ? inputs.map(datasetInputJson) : undefined },
  };
}

/** ModelVersion.to_proto. */
export function modelVersionJson(v: ModelVersion): Json {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp ?? undefined,
    last_updated_timestamp: v.last_updated_timestamp ?? undefined,
    user_id: v.user_id ?? undefined,
    current_stage: v.current_stage,
    description: v.description ?? undefined,
    source: v.source,
    run_id: v.run_id ?? undefined,
    status: v.status,
    status_message: v.status_message || undefined,
    tags: v.tags.length ? v.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
    run_link: v.run_link ?? undefined,
    aliases: v.aliases.length ? [...v.aliases] : undefined,
  };
}

/** RegisteredModel.to_proto. */
export function registeredModelJson(m: RegisteredModel): Json {
  return {
    name: m.name,
    creation_timestamp: m.creation_timestamp ?? undefined,
    last_updated_timestamp: m.last_updated_timestamp || undefined,
    description: m.description || undefined,
    latest_versions: m.latest_versions.length ? m.latest_versions.map(modelVersionJson) : undefined,
    tags: m.tags.length ? m.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
    aliases: m.aliases.length ? m.aliases.map((a) => ({ alias: a.alias, version: a.version })) : undefined,
  };
}
