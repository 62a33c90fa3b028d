/**
 * Reading the file model registry (`<root>/models/`, spec §9). The `aliases` keys inside
 * meta.yaml files are stale caches; the `aliases/` folder is authoritative. (MLflow 3's
 * logged models and traces, which live inside experiments, are in logged-models.ts.)
 */
import path from 'node:path';
import { NotFoundError } from '../../errors.js';
import { validateModelName } from '../registry-rules.js';
import { describeFsError, isDirectory, listDirOrError, listKeyFiles, readText, type DirEntry } from './fsread.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { yamlInt64Lenient, yamlString } from './yaml-values.js';
import type { Int64 } from '../int64.js';
import type { KeyValue, Problem } from '../types.js';
import type { ModelVersion, RegisteredModel } from '../backend.js';

/** A registry version of the file store: the interface's record plus its folder. */
export interface FileModelVersion extends ModelVersion {
  /** folder on disk */
  dir: string;
}

export interface FileRegisteredModel extends RegisteredModel {
  latest_versions: FileModelVersion[];
  dir: string;
}

/** A registry timestamp, or null when the file has none. */
export function ms(v: Int64 | undefined): Int64 | null {
  return v ?? null;
}

/** A registry or logged-model meta.yaml as a map; a problem (not an error) when unreadable. */
export function readMap(file: string, problems: Problem[]): YamlMap | undefined {
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

/** The tag-like files under `dir` (tags/, params/), sorted by key. */
export function readKv(dir: string): KeyValue[] {
  return listKeyFiles(dir)
    .sort()
    .flatMap((key) => {
      const r = readText(path.join(dir, key), 'tag');
      return r.ok ? [{ key, value: r.text }] : [];
    });
}

/** A registry folder's entries; one that exists but cannot be listed (permissions) is a problem saying what is left out. */
function listOrProblem(dir: string, problems: Problem[] | undefined, leftOut: string): DirEntry[] {
  const r = listDirOrError(dir);
  if (Array.isArray(r)) return r;
  if (r.code !== 'ENOENT' && r.code !== 'ENOTDIR')
    problems?.push({ code: 'registry-unreadable', path: dir, message: `cannot read ${dir} (${describeFsError(r)}): ${leftOut} left out` });
  return [];
}

/** Registered-model folder names under `<root>/models` (names may contain anything but `/`). */
function modelDirs(root: string, problems?: Problem[]): string[] {
  return listOrProblem(path.join(root, 'models'), problems, 'the registered models in it are')
    .filter((e) => e.isDir)
    .map((e) => e.name)
    .sort();
}

/** Read every version of a model, deleted ones (`Deleted_Internal`) excluded unless asked. */
export function readModelVersions(modelDir: string, problems: Problem[], includeDeleted = false): FileModelVersion[] {
  const aliasesDir = path.join(modelDir, 'aliases');
  const aliasByVersion = new Map<string, string[]>();
  for (const a of listOrProblem(aliasesDir, problems, 'the aliases in it are').filter((e) => e.isFile)) {
    const r = readText(path.join(aliasesDir, a.name), 'tag');
    if (r.ok) aliasByVersion.set(r.text.trim(), [...(aliasByVersion.get(r.text.trim()) ?? []), a.name]);
  }
  const out: FileModelVersion[] = [];
  for (const e of listOrProblem(modelDir, problems, 'the versions in it are')) {
    const m = /^version-(\d+)$/.exec(e.name);
    if (!e.isDir || !m) continue;
    const dir = path.join(modelDir, e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const stage = yamlString(map['current_stage']) ?? 'None';
    if (stage === 'Deleted_Internal' && !includeDeleted) continue;
    const version = m[1]!;
    out.push({
      name: yamlString(map['name']) ?? path.basename(modelDir),
      version,
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      current_stage: stage,
      description: yamlString(map['description']) ?? null,
      source: yamlString(map['source']) ?? '',
      run_id: yamlString(map['run_id']) ?? null,
      status: yamlString(map['status']) ?? 'READY',
      status_message: yamlString(map['status_message']) ?? null,
      user_id: yamlString(map['user_id']) ?? null,
      run_link: yamlString(map['run_link']) ?? null,
      storage_location: yamlString(map['storage_location']) ?? null,
      aliases: (aliasByVersion.get(version) ?? []).sort(),
      tags: readKv(path.join(dir, 'tags')),
      dir,
    });
  }
  return out.sort((a, b) => Number(a.version) - Number(b.version));
}

/** Every registered model in the store's registry, with versions, aliases and tags. */
export function listRegisteredModels(root: string, problems: Problem[] = []): FileRegisteredModel[] {
  return listRegisteredModelsIn(root, modelDirs(root, problems), problems);
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
      name: yamlString(map['name']) ?? name,
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      description: yamlString(map['description']) ?? null,
      tags: readKv(path.join(dir, 'tags')),
      aliases: aliases.sort((a, b) => (a.alias < b.alias ? -1 : 1)),
      latest_versions: [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)),
      dir,
    });
  }
  return out;
}

// ------------------------------------------------------------------ registered-model lookup

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
    `Registered Model with name=${name} not found` +
      (list.length ? `; ${near.length ? 'did you mean' : 'models'}: ${list.join(', ')}` : '; the registry is empty'),
    'model-not-found',
  );
}
