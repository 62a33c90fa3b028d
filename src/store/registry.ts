/**
 * Reading the file model registry (`<root>/models/`, spec §9) and the MLflow 3 entities
 * that live inside experiments: logged models (`<exp>/models/m-*`, §13.2) and traces
 * (`<exp>/traces/*`, §13.3). The `aliases` keys inside meta.yaml files are stale caches;
 * the `aliases/` folder is authoritative.
 */
import path from 'node:path';
import { listDir, listKeyFiles, readText } from './fsread.js';
import { isYamlMap, parseYaml, type YamlMap, type YamlValue } from './yaml.js';
import type { KeyValue, Problem } from './types.js';

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number | null;
  last_updated_timestamp: number | null;
  current_stage: string;
  description: string | null;
  source: string;
  run_id: string | null;
  status: string;
  status_message: string | null;
  user_id: string | null;
  run_link: string | null;
  storage_location: string | null;
  aliases: string[];
  tags: KeyValue[];
  /** folder on disk */
  dir: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number | null;
  last_updated_timestamp: number | null;
  description: string | null;
  tags: KeyValue[];
  aliases: { alias: string; version: string }[];
  latest_versions: ModelVersion[];
  dir: string;
}

export interface LoggedModel {
  model_id: string;
  name: string;
  experiment_id: string;
  source_run_id: string | null;
  model_type: string | null;
  status: string;
  lifecycle_stage: string;
  creation_timestamp: number | null;
  last_updated_timestamp: number | null;
  artifact_location: string;
  dir: string;
}

export interface TraceInfo {
  request_id: string;
  experiment_id: string;
  timestamp_ms: number | null;
  execution_time_ms: number | null;
  status: string;
  dir: string;
}

const MODEL_STATUS = ['UNSPECIFIED', 'PENDING', 'READY', 'FAILED'];

function str(v: YamlValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return null;
}
function int(v: YamlValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function readMap(file: string, problems: Problem[]): YamlMap | undefined {
  const r = readText(file, 'meta');
  if (!r.ok) {
    if (!r.missing) problems.push({ code: 'registry-unreadable', path: file, message: `${file}: ${r.error}` });
    return undefined;
  }
  const p = parseYaml(r.text);
  if (!isYamlMap(p.value)) {
    problems.push({ code: 'registry-meta-unparsable', path: file, message: `${file} is not valid YAML` });
    return undefined;
  }
  return p.value;
}

function readKv(dir: string): KeyValue[] {
  return listKeyFiles(dir)
    .sort()
    .flatMap((key) => {
      const r = readText(path.join(dir, key), 'tag');
      return r.ok ? [{ key, value: r.text }] : [];
    });
}

/** Registered-model folder names under `<root>/models` (names may contain anything but `/`). */
function modelDirs(root: string): string[] {
  return (listDir(path.join(root, 'models')) ?? []).filter((e) => e.isDir).map((e) => e.name).sort();
}

/** Read every version of a model, deleted ones (`Deleted_Internal`) excluded unless asked. */
export function readModelVersions(modelDir: string, problems: Problem[], includeDeleted = false): ModelVersion[] {
  const aliasesDir = path.join(modelDir, 'aliases');
  const aliasByVersion = new Map<string, string[]>();
  for (const a of (listDir(aliasesDir) ?? []).filter((e) => e.isFile)) {
    const r = readText(path.join(aliasesDir, a.name), 'tag');
    if (r.ok) aliasByVersion.set(r.text.trim(), [...(aliasByVersion.get(r.text.trim()) ?? []), a.name]);
  }
  const out: ModelVersion[] = [];
  for (const e of listDir(modelDir) ?? []) {
    const m = /^version-(\d+)$/.exec(e.name);
    if (!e.isDir || !m) continue;
    const dir = path.join(modelDir, e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const stage = str(map['current_stage']) ?? 'None';
    if (stage === 'Deleted_Internal' && !includeDeleted) continue;
    const version = m[1]!;
    out.push({
      name: str(map['name']) ?? path.basename(modelDir),
      version,
      creation_timestamp: int(map['creation_timestamp']),
      last_updated_timestamp: int(map['last_updated_timestamp']),
      current_stage: stage,
      description: str(map['description']),
      source: str(map['source']) ?? '',
      run_id: str(map['run_id']),
      status: str(map['status']) ?? 'READY',
      status_message: str(map['status_message']),
      user_id: str(map['user_id']),
      run_link: str(map['run_link']),
      storage_location: str(map['storage_location']),
      aliases: (aliasByVersion.get(version) ?? []).sort(),
      tags: readKv(path.join(dir, 'tags')),
      dir,
    });
  }
  return out.sort((a, b) => Number(a.version) - Number(b.version));
}

/** Every registered model in the store's registry, with versions, aliases and tags. */
export function listRegisteredModels(root: string, problems: Problem[] = []): RegisteredModel[] {
  const out: RegisteredModel[] = [];
  for (const name of modelDirs(root)) {
    const dir = path.join(root, 'models', name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const versions = readModelVersions(dir, problems);
    const aliases: { alias: string; version: string }[] = [];
    for (const v of versions) for (const a of v.aliases) aliases.push({ alias: a, version: v.version });
    // latest version per stage, as MLflow's latest_versions
    const latest = new Map<string, ModelVersion>();
    for (const v of versions) {
      const cur = latest.get(v.current_stage);
      if (!cur || Number(v.version) > Number(cur.version)) latest.set(v.current_stage, v);
    }
    out.push({
      name: str(map['name']) ?? name,
      creation_timestamp: int(map['creation_timestamp']),
      last_updated_timestamp: int(map['last_updated_timestamp']),
      description: str(map['description']),
      tags: readKv(path.join(dir, 'tags')),
      aliases: aliases.sort((a, b) => (a.alias < b.alias ? -1 : 1)),
      latest_versions: [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)),
      dir,
    });
  }
  return out;
}

/** MLflow 3 logged models of one experiment folder (`<exp>/models/m-*`). */
export function listLoggedModels(expDir: string, problems: Problem[] = []): LoggedModel[] {
  const out: LoggedModel[] = [];
  for (const e of listDir(path.join(expDir, 'models')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'models', e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const st = int(map['status']);
    out.push({
      model_id: str(map['model_id']) ?? e.name,
      name: str(map['name']) ?? '',
      experiment_id: str(map['experiment_id']) ?? path.basename(expDir),
      source_run_id: str(map['source_run_id']),
      model_type: str(map['model_type']),
      status: st !== null ? (MODEL_STATUS[st] ?? String(st)) : (str(map['status']) ?? 'UNSPECIFIED'),
      lifecycle_stage: str(map['lifecycle_stage']) ?? 'active',
      creation_timestamp: int(map['creation_timestamp']),
      last_updated_timestamp: int(map['last_updated_timestamp']),
      artifact_location: str(map['artifact_location']) ?? '',
      dir,
    });
  }
  return out.sort((a, b) => (a.model_id < b.model_id ? -1 : 1));
}

/** Traces of one experiment folder (`<exp>/traces/<request_id>/trace_info.yaml`). */
export function listTraces(expDir: string, problems: Problem[] = []): TraceInfo[] {
  const out: TraceInfo[] = [];
  for (const e of listDir(path.join(expDir, 'traces')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'traces', e.name);
    const map = readMap(path.join(dir, 'trace_info.yaml'), problems);
    if (!map) continue;
    out.push({
      request_id: str(map['request_id']) ?? e.name,
      experiment_id: str(map['experiment_id']) ?? path.basename(expDir),
      timestamp_ms: int(map['timestamp_ms']),
      execution_time_ms: int(map['execution_time_ms']),
      status: str(map['status']) ?? 'UNSPECIFIED',
      dir,
    });
  }
  return out.sort((a, b) => (a.request_id < b.request_id ? -1 : 1));
}
