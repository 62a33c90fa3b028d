/**
 * Reading the file model registry (`<root>/models/`, spec §9) and the MLflow 3 entities
 * that live inside experiments: logged models (`<exp>/models/m-*`, §13.2) and traces
 * (`<exp>/traces/*`, §13.3). The `aliases` keys inside meta.yaml files are stale caches;
 * the `aliases/` folder is authoritative.
 */
import path from 'node:path';
import { NotFoundError } from '../../errors.js';
import { validateModelName } from '../registry-rules.js';
import { isDirectory, listDir, listKeyFiles, readText } from './fsread.js';
import { isLater } from './metrics.js';
import { parsePyFloat, parsePyInt } from '../pyfloat.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { yamlInt64Lenient, yamlString } from './yaml-values.js';
import type { Int64 } from '../int64.js';

/** A registry timestamp, or null when the file has none. */
function ms(v: Int64 | undefined): Int64 | null {
  return v ?? null;
}
import type { KeyValue, Problem } from '../types.js';
import type { LoggedModel, LoggedModelMetric, ModelVersion, RegisteredModel, TraceInfo } from '../backend.js';

/** A registry version of the file store: the interface's record plus its folder. */
export interface FileModelVersion extends ModelVersion {
  /** folder on disk */
  dir: string;
}

export interface FileRegisteredModel extends RegisteredModel {
  latest_versions: FileModelVersion[];
  dir: string;
}

export interface FileLoggedModel extends LoggedModel {
  dir: string;
}

export interface FileTraceInfo extends TraceInfo {
  dir: string;
}

const MODEL_STATUS = ['UNSPECIFIED', 'PENDING', 'READY', 'FAILED'];

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
export function readModelVersions(modelDir: string, problems: Problem[], includeDeleted = false): FileModelVersion[] {
  const aliasesDir = path.join(modelDir, 'aliases');
  const aliasByVersion = new Map<string, string[]>();
  for (const a of (listDir(aliasesDir) ?? []).filter((e) => e.isFile)) {
    const r = readText(path.join(aliasesDir, a.name), 'tag');
    if (r.ok) aliasByVersion.set(r.text.trim(), [...(aliasByVersion.get(r.text.trim()) ?? []), a.name]);
  }
  const out: FileModelVersion[] = [];
  for (const e of listDir(modelDir) ?? []) {
    const m = /^version-(\d+)$/.exec(e.name);
    if (!e.isDir || !m) continue;
    const dir = path.join(modelDir, e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const stage = (yamlString(map['current_stage']) ?? null) ?? 'None';
    if (stage === 'Deleted_Internal' && !includeDeleted) continue;
    const version = m[1]!;
    out.push({
      name: (yamlString(map['name']) ?? null) ?? path.basename(modelDir),
      version,
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      current_stage: stage,
      description: (yamlString(map['description']) ?? null),
      source: (yamlString(map['source']) ?? null) ?? '',
      run_id: (yamlString(map['run_id']) ?? null),
      status: (yamlString(map['status']) ?? null) ?? 'READY',
      status_message: (yamlString(map['status_message']) ?? null),
      user_id: (yamlString(map['user_id']) ?? null),
      run_link: (yamlString(map['run_link']) ?? null),
      storage_location: (yamlString(map['storage_location']) ?? null),
      aliases: (aliasByVersion.get(version) ?? []).sort(),
      tags: readKv(path.join(dir, 'tags')),
      dir,
    });
  }
  return out.sort((a, b) => Number(a.version) - Number(b.version));
}

/** Every registered model in the store's registry, with versions, aliases and tags. */
export function listRegisteredModels(root: string, problems: Problem[] = []): FileRegisteredModel[] {
  return listRegisteredModelsIn(root, modelDirs(root), problems);
}

function listRegisteredModelsIn(root: string, names: string[], problems: Problem[]): FileRegisteredModel[] {
  const out: FileRegisteredModel[] = [];
  for (const name of names) {
    const dir = path.join(root, 'models', name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const versions = readModelVersions(dir, problems);
    const aliases: { alias: string; version: string }[] = [];
    for (const v of versions) for (const a of v.aliases) aliases.push({ alias: a, version: v.version });
    // latest version per stage, as MLflow's latest_versions
    const latest = new Map<string, FileModelVersion>();
    for (const v of versions) {
      const cur = latest.get(v.current_stage);
      if (!cur || Number(v.version) > Number(cur.version)) latest.set(v.current_stage, v);
    }
    out.push({
      name: (yamlString(map['name']) ?? null) ?? name,
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      description: (yamlString(map['description']) ?? null),
      tags: readKv(path.join(dir, 'tags')),
      aliases: aliases.sort((a, b) => (a.alias < b.alias ? -1 : 1)),
      latest_versions: [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)),
      dir,
    });
  }
  return out;
}

/** MLflow 3 logged models of one experiment folder (`<exp>/models/m-*`). */
export function listLoggedModels(expDir: string, problems: Problem[] = []): FileLoggedModel[] {
  const out: FileLoggedModel[] = [];
  for (const e of listDir(path.join(expDir, 'models')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'models', e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const rawStatus = yamlInt64Lenient(map['status']);
    const st = rawStatus === undefined ? null : Number(rawStatus);
    out.push({
      model_id: (yamlString(map['model_id']) ?? null) ?? e.name,
      name: (yamlString(map['name']) ?? null) ?? '',
      experiment_id: (yamlString(map['experiment_id']) ?? null) ?? path.basename(expDir),
      source_run_id: (yamlString(map['source_run_id']) ?? null),
      model_type: (yamlString(map['model_type']) ?? null),
      status: st !== null ? (MODEL_STATUS[st] ?? String(st)) : ((yamlString(map['status']) ?? null) ?? 'UNSPECIFIED'),
      lifecycle_stage: (yamlString(map['lifecycle_stage']) ?? null) ?? 'active',
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      artifact_location: (yamlString(map['artifact_location']) ?? null) ?? '',
      status_message: (yamlString(map['status_message']) ?? null),
      dir,
    });
  }
  return out.sort((a, b) => (a.model_id < b.model_id ? -1 : 1));
}

/**
 * Latest metric values of a logged model (`<model>/metrics/<key>`, lines
 * `<ts> <value> <step> <run_id> [<dataset_name> <dataset_digest>]`), one per key and
 * dataset group, chosen by the largest (step, timestamp, value) as for runs (§13.2).
 * Malformed lines are skipped and reported.
 */
export function readLoggedModelMetrics(modelDir: string, problems: Problem[] = []): LoggedModelMetric[] {
  const dir = path.join(modelDir, 'metrics');
  const out = new Map<string, LoggedModelMetric>();
  for (const key of listKeyFiles(dir).sort()) {
    const file = path.join(dir, key);
    const r = readText(file, 'metric');
    if (!r.ok) continue;
    let lineNo = 0;
    for (const raw of r.text.split('\n')) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      const f = line.split(' ');
      const ts = parsePyInt(f[0] ?? '');
      const value = parsePyFloat(f[1] ?? '');
      const step = parsePyInt(f[2] ?? '');
      if ((f.length !== 4 && f.length !== 6) || ts === undefined || value === undefined || step === undefined) {
        problems.push({ code: 'metric-malformed', path: file, message: `${file} line ${lineNo}: expected <ts> <value> <step> <run_id> [<dataset> <digest>]` });
        continue;
      }
      const m: LoggedModelMetric = {
        key,
        value,
        timestamp: ts,
        step,
        run_id: f[3] ?? null,
        dataset_name: f.length === 6 ? f[4]! : null,
        dataset_digest: f.length === 6 ? f[5]! : null,
      };
      const group = `${key}\u0000${m.dataset_name ?? ''}\u0000${m.dataset_digest ?? ''}`;
      const prev = out.get(group);
      if (!prev || isLater(prev, m)) out.set(group, m);
    }
  }
  return [...out.values()];
}

/** Params of a logged model (`<model>/params/<key>`), sorted by key. */
export function readLoggedModelParams(modelDir: string): KeyValue[] {
  return readKv(path.join(modelDir, 'params'));
}

/** Tags of a logged model (`<model>/tags/<key>`), sorted by key. */
export function readLoggedModelTags(modelDir: string): KeyValue[] {
  return readKv(path.join(modelDir, 'tags'));
}

// ------------------------------------------------------------------ registered-model lookup

/**
 * Check a registered-model name as MLflow 2.12's file registry does (non-empty, no path
 * separator, no `%`), plus what a folder name cannot be (`.`, `..`, NUL). Throws UsageError.
 */

/** `<root>/models/<name>` (the name validated first). */
export function registeredModelDir(root: string, name: string): string {
  validateModelName(name);
  return path.join(root, 'models', name);
}

/** Names of every registered model (folder names under `<root>/models`). */
export function listRegisteredModelNames(root: string): string[] {
  return modelDirs(root);
}

/**
 * One registered model by exact name, with its versions. Throws NotFoundError (MLflow's
 * wording, plus the names that do exist) when there is none.
 */
export function getRegisteredModel(root: string, name: string, problems: Problem[] = []): FileRegisteredModel {
  const dir = registeredModelDir(root, name);
  if (isDirectory(dir)) {
    const all = listRegisteredModelsIn(root, [name], problems);
    if (all[0]) return all[0];
  }
  const names = modelDirs(root);
  const near = names.filter((n) => n.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(n.toLowerCase()));
  const list = (near.length ? near : names).slice(0, 10);
  throw new NotFoundError(
    `Registered Model with name=${name} not found` + (list.length ? `; ${near.length ? 'did you mean' : 'models'}: ${list.join(', ')}` : '; the registry is empty'),
    'model-not-found',
  );
}

/** Traces of one experiment folder (`<exp>/traces/<request_id>/trace_info.yaml`). */
export function listTraces(expDir: string, problems: Problem[] = []): FileTraceInfo[] {
  const out: FileTraceInfo[] = [];
  for (const e of listDir(path.join(expDir, 'traces')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'traces', e.name);
    const map = readMap(path.join(dir, 'trace_info.yaml'), problems);
    if (!map) continue;
    out.push({
      request_id: (yamlString(map['request_id']) ?? null) ?? e.name,
      experiment_id: (yamlString(map['experiment_id']) ?? null) ?? path.basename(expDir),
      timestamp_ms: ms(yamlInt64Lenient(map['timestamp_ms'])),
      execution_time_ms: ms(yamlInt64Lenient(map['execution_time_ms'])),
      status: (yamlString(map['status']) ?? null) ?? 'UNSPECIFIED',
      dir,
    });
  }
  return out.sort((a, b) => (a.request_id < b.request_id ? -1 : 1));
}
