/**
 * MLflow's REST JSON (as parsed by parseJsonExact: int64 fields exact) → mlr's entities.
 * The inverse of src/server/render.ts: fields the server left out (proto defaults) come
 * back as the defaults mlr's own backends use.
 */
import type { JsonValue } from '../../json.js';
import type { Int64 } from '../int64.js';
import type { ModelVersion, RegisteredModel } from '../backend.js';
import type { DatasetInput, Experiment, KeyValue, Metric, RunInfo, RunStatus } from '../types.js';
import type { Json } from './http.js';

export const obj = (v: JsonValue | undefined): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v !== 'bigint' ? (v as Json) : {});
export const arr = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);
export const str = (v: JsonValue | undefined, fallback = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : fallback;
const strOrNull = (v: JsonValue | undefined): string | null => (v === undefined || v === null ? null : str(v));

/** An int64 field (a number, a bigint beyond 2^53, or digits in a string as proto-JSON allows). */
export function int64(v: JsonValue | undefined): Int64 | null {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const b = BigInt(v);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
  }
  return null;
}

/** A proto double: a number, or "NaN" / "Infinity" / "-Infinity". */
function double(v: JsonValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return typeof v === 'string' ? Number(v) : NaN;
}

function keyValues(v: JsonValue | undefined): KeyValue[] {
  return arr(v).map((x) => ({ key: str(obj(x)['key']), value: str(obj(x)['value']) }));
}

export function experimentOf(v: JsonValue | undefined): Experiment {
  const e = obj(v);
  return {
    experiment_id: str(e['experiment_id']),
    name: str(e['name']),
    artifact_location: str(e['artifact_location']),
    lifecycle_stage: str(e['lifecycle_stage'], 'active') === 'deleted' ? 'deleted' : 'active',
    creation_time: int64(e['creation_time']),
    last_update_time: int64(e['last_update_time']),
    tags: keyValues(e['tags']),
  };
}

export function runInfoOf(v: JsonValue | undefined): RunInfo {
  const i = obj(v);
  const id = str(i['run_id'] ?? i['run_uuid']);
  return {
    run_id: id,
    run_uuid: str(i['run_uuid'], id),
    run_name: str(i['run_name']),
    experiment_id: str(i['experiment_id']),
    user_id: str(i['user_id']),
    status: str(i['status'], 'RUNNING') as RunStatus,
    start_time: int64(i['start_time']),
    end_time: int64(i['end_time']),
    artifact_uri: str(i['artifact_uri']),
    lifecycle_stage: str(i['lifecycle_stage'], 'active') === 'deleted' ? 'deleted' : 'active',
  };
}

export function metricOf(v: JsonValue | undefined): Metric {
  const m = obj(v);
  return { key: str(m['key']), value: double(m['value']), timestamp: int64(m['timestamp']) ?? 0, step: int64(m['step']) ?? 0 };
}

export function datasetInputsOf(v: JsonValue | undefined): DatasetInput[] {
  return arr(v).map((x) => {
    const d = obj(obj(x)['dataset']);
    return {
      tags: keyValues(obj(x)['tags']),
      dataset: {
        name: str(d['name']),
        digest: str(d['digest']),
        source_type: str(d['source_type']),
        source: str(d['source']),
        schema: strOrNull(d['schema']),
        profile: strOrNull(d['profile']),
      },
    };
  });
}

export function modelVersionOf(v: JsonValue | undefined): ModelVersion {
  const m = obj(v);
  return {
    name: str(m['name']),
    version: str(m['version']),
    creation_timestamp: int64(m['creation_timestamp']),
    last_updated_timestamp: int64(m['last_updated_timestamp']),
    current_stage: str(m['current_stage'], 'None'),
    description: strOrNull(m['description']),
    source: str(m['source']),
    run_id: strOrNull(m['run_id']),
    status: str(m['status'], 'READY'),
    status_message: strOrNull(m['status_message']),
    user_id: strOrNull(m['user_id']),
    run_link: strOrNull(m['run_link']),
    storage_location: strOrNull(m['storage_location']),
    aliases: arr(m['aliases']).map((a) => str(a)),
    tags: keyValues(m['tags']),
  };
}

export function registeredModelOf(v: JsonValue | undefined): RegisteredModel {
  const m = obj(v);
  return {
    name: str(m['name']),
    creation_timestamp: int64(m['creation_timestamp']),
    last_updated_timestamp: int64(m['last_updated_timestamp']),
    description: strOrNull(m['description']),
    tags: keyValues(m['tags']),
    aliases: arr(m['aliases']).map((a) => ({ alias: str(obj(a)['alias']), version: str(obj(a)['version']) })),
    latest_versions: arr(m['latest_versions']).map(modelVersionOf),
  };
}
