/**
 * Writing the file model registry (`<root>/models/`, spec §9) exactly as MLflow 2.12's
 * registry FileStore does: the same files, the same YAML (dumpYaml), the same sequence of
 * rewrites, so the final bytes match apart from timestamps.
 *
 * MLflow's habits reproduced on purpose:
 * - every change bumps the registered model's `last_updated_timestamp` by rewriting its
 *   meta.yaml from the entity, whose `aliases` map is re-read from the `aliases/` folder;
 * - a version's meta.yaml is rewritten only when the version itself changes (stage,
 *   deletion), and its `aliases` list is then refreshed from `aliases/` (otherwise stale);
 * - setting a version tag bumps the *model's* timestamp, not the version's;
 * - deleting a version keeps its folder with `current_stage: Deleted_Internal`, then
 *   removes its aliases one by one.
 * Unlike MLflow, every meta.yaml is replaced atomically, keys a newer MLflow added to a
 * meta.yaml are kept, and each operation holds the store lock so two concurrent
 * `register` calls cannot pick the same version number.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { fsReason } from '../fs-errors.js';
import { isDirectory, listDir, readText } from './fsread.js';
import { withLock } from './lock.js';
import { validateKeyName } from '../validate.js';
import { atomicWriteFile, createExclusive, ensureDir } from './atomic.js';
import { dumpYaml, type DumpValue } from './yaml-dump.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { registeredModelDir } from './registry-read.js';
import { canonicalStage, parseVersion, validateAlias, validateModelName, validateRegistryTag } from '../registry-rules.js';
import type { ModelStage } from '../backend.js';
import type { KeyValue } from '../types.js';

/** Milliseconds clock; tests pass their own. */
export type Clock = () => number;

/**
 * Run a registry change under the store lock; a filesystem failure (permissions, a full
 * disk, a file where a folder should be) becomes a one-line StateError naming the path.
 */
function locked<T>(root: string, fn: () => T): T {
  try {
    return withLock(root, fn);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && !(e instanceof StateError) && err.syscall !== undefined) {
      throw new StateError(`cannot change the registry: ${err.path ?? root}: ${fsReason(err, 'registry')}`, 'write-failed');
    }
    throw e;
  }
}

// ------------------------------------------------------------------ reading what we rewrite

function readMeta(file: string): YamlMap {
  const r = readText(file, 'meta');
  if (!r.ok) throw new StateError(`cannot read ${file}: ${r.error}`, 'registry-unreadable');
  const p = parseYaml(r.text);
  if (p.errors.length > 0 || !isYamlMap(p.value)) {
    throw new StateError(`${file} is not valid YAML; fix it (mlr doctor) before changing this model`, 'registry-unparsable');
  }
  return p.value;
}

/** alias → version (file contents) from `<model>/aliases/`, sorted by alias. */
function readAliases(modelDir: string): [string, string][] {
  const dir = path.join(modelDir, 'aliases');
  const out: [string, string][] = [];
  for (const e of listDir(dir) ?? []) {
    if (!e.isFile) continue;
    const r = readText(path.join(dir, e.name), 'tag');
    if (r.ok) out.push([e.name, r.text]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Version folder names → numbers, deleted ones included. */
function versionNumbers(modelDir: string): bigint[] {
  const out: bigint[] = [];
  for (const e of listDir(modelDir) ?? []) {
    const m = /^version-(\d+)$/.exec(e.name);
    if (e.isDir && m) out.push(BigInt(m[1]!));
  }
  return out;
}

function modelDirOrThrow(root: string, name: string): string {
  const dir = registeredModelDir(root, name);
  if (!isDirectory(dir)) throw new NotFoundError(`Registered Model with name=${name} not found`, 'model-not-found');
  return dir;
}

/** The version's folder and parsed meta, refusing missing and deleted versions as MLflow does. */
function liveVersion(modelDir: string, name: string, version: string): { dir: string; meta: YamlMap } {
  const dir = path.join(modelDir, `version-${version}`);
  if (!isDirectory(dir)) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`, 'version-not-found');
  const meta = readMeta(path.join(dir, 'meta.yaml'));
  if (meta['current_stage'] === 'Deleted_Internal') {
    throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found (it was deleted)`, 'version-not-found');
  }
  return { dir, meta };
}

// ------------------------------------------------------------------ meta.yaml builders

const MODEL_KEYS = ['aliases', 'creation_timestamp', 'description', 'last_updated_timestamp', 'name'];
const VERSION_KEYS = [
  'aliases',
  'creation_timestamp',
  'current_stage',
  'description',
  'last_updated_timestamp',
  'name',
  'run_id',
  'run_link',
  'source',
  'status',
  'status_message',
  'storage_location',
  'user_id',
  'version',
];

/** MLflow's fields (missing ones as null), keys a newer MLflow wrote kept, `over` applied. */
function entityDict(existing: YamlMap, keys: string[], over: Record<string, DumpValue>): Record<string, DumpValue> {
  const out: Record<string, DumpValue> = {};
  for (const [k, v] of Object.entries(existing)) out[k] = v as DumpValue;
  for (const k of keys) if (!(k in out)) out[k] = null;
  delete out['tags'];
  delete out['latest_versions'];
  return Object.assign(out, over);
}

/** Rewrite `<model>/meta.yaml` as `_save_registered_model_as_meta_file`: aliases from the folder. */
function saveModelMeta(modelDir: string, over: Record<string, DumpValue>): void {
  const file = path.join(modelDir, 'meta.yaml');
  const aliases: Record<string, DumpValue> = {};
  for (const [a, v] of readAliases(modelDir)) aliases[a] = v;
  atomicWriteFile(file, dumpYaml(entityDict(readMeta(file), MODEL_KEYS, { aliases, ...over })));
}

/** Rewrite `<model>/version-N/meta.yaml`; its aliases list is refreshed from the folder. */
function saveVersionMeta(modelDir: string, versionDir: string, meta: YamlMap, over: Record<string, DumpValue>): void {
  const v = path.basename(versionDir).slice('version-'.length);
  const aliases = readAliases(modelDir)
    .filter(([, ver]) => ver === v)
    .map(([a]) => a);
  atomicWriteFile(path.join(versionDir, 'meta.yaml'), dumpYaml(entityDict(meta, VERSION_KEYS, { aliases, ...over })));
}

/** MLflow's `_writeable_value`: the text of a tag or alias file (no trailing newline). */
function writeSmallFile(dir: string, sub: string, key: string, value: string): void {
  const file = path.join(dir, sub, ...key.split('/'));
  ensureDir(path.dirname(file));
  // temp file in the model/version folder, never inside tags/ (a stray file there is a tag)
  atomicWriteFile(file, value, { tempDir: dir });
}

// ------------------------------------------------------------------ operations

export interface CreateModelOptions {
  description?: string | null;
  tags?: KeyValue[];
}

/** create_registered_model: `<root>/models/<name>/meta.yaml`, then one rewrite per tag. */
export function createRegisteredModel(root: string, name: string, opts: CreateModelOptions = {}, now: Clock = Date.now): void {
  validateModelName(name);
  for (const t of opts.tags ?? []) validateRegistryTag(t.key, t.value);
  locked(root, () => {
    const dir = registeredModelDir(root, name);
    if (fs.existsSync(dir)) throw new StateError(`Registered Model (name=${name}) already exists.`, 'model-exists');
    ensureDir(path.join(root, 'models'));
    fs.mkdirSync(dir);
    const t = now();
    const meta = { aliases: {}, creation_timestamp: t, description: opts.description ?? null, last_updated_timestamp: t, name };
    if (!createExclusive(path.join(dir, 'meta.yaml'), dumpYaml(meta))) {
      throw new StateError(`Registered Model (name=${name}) already exists.`, 'model-exists');
    }
    for (const tag of opts.tags ?? []) {
      writeSmallFile(dir, 'tags', tag.key, tag.value);
      saveModelMeta(dir, { last_updated_timestamp: now() });
    }
  });
}

export interface CreateVersionOptions {
  source: string;
  run_id: string | null;
  description?: string | null;
  tags?: KeyValue[];
  run_link?: string | null;
}

/**
 * create_model_version: bump the model's timestamp, create `version-<max+1>` (deleted
 * versions count), write its meta.yaml, rewrite the model's, then set the tags.
 * Returns the new version number.
 */
export function createModelVersion(root: string, name: string, opts: CreateVersionOptions, now: Clock = Date.now): string {
  validateModelName(name);
  for (const t of opts.tags ?? []) validateRegistryTag(t.key, t.value);
  if (opts.source.startsWith('models:')) throw new UsageError('registering from a models:/ URI is not supported; give the run and artifact path', 'bad-source');
  return locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const t = now();
    saveModelMeta(dir, { last_updated_timestamp: t });
    const nums = versionNumbers(dir);
    const version = (nums.length ? nums.reduce((a, b) => (b > a ? b : a)) + 1n : 1n).toString();
    const vdir = path.join(dir, `version-${version}`);
    fs.mkdirSync(vdir);
    const meta: Record<string, DumpValue> = {
      aliases: [],
      creation_timestamp: t,
      current_stage: 'None',
      description: opts.description ?? null,
      last_updated_timestamp: t,
      name,
      run_id: opts.run_id,
      run_link: opts.run_link ?? null,
      source: opts.source,
      status: 'READY',
      status_message: null,
      storage_location: opts.source,
      user_id: null,
      version: Number(version),
    };
    if (!createExclusive(path.join(vdir, 'meta.yaml'), dumpYaml(meta))) {
      throw new StateError(`model version folder ${vdir} already has a meta.yaml`, 'version-exists');
    }
    saveModelMeta(dir, { last_updated_timestamp: t });
    for (const tag of opts.tags ?? []) {
      writeSmallFile(vdir, 'tags', tag.key, tag.value);
      saveModelMeta(dir, { last_updated_timestamp: now() });
    }
    return version;
  });
}

/** set_registered_model_alias: `aliases/<alias>` holds the version; the model is rewritten. */
export function setAlias(root: string, name: string, alias: string, version: string, now: Clock = Date.now): void {
  validateModelName(name);
  validateAlias(alias);
  const v = parseVersion(version);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    liveVersion(dir, name, v);
    writeSmallFile(dir, 'aliases', alias, v);
    saveModelMeta(dir, { last_updated_timestamp: now() });
  });
}

/** delete_registered_model_alias: removes the file if it exists (then rewrites the model). */
export function deleteAlias(root: string, name: string, alias: string, now: Clock = Date.now): boolean {
  validateModelName(name);
  validateAlias(alias);
  return locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    return removeAlias(dir, alias, now);
  });
}

function removeAlias(dir: string, alias: string, now: Clock): boolean {
  const file = path.join(dir, 'aliases', alias);
  if (!fs.existsSync(file)) return false;
  fs.unlinkSync(file);
  saveModelMeta(dir, { last_updated_timestamp: now() });
  return true;
}

/** set_registered_model_tag. */
export function setModelTag(root: string, name: string, key: string, value: string, now: Clock = Date.now): void {
  validateModelName(name);
  validateRegistryTag(key, value);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    writeSmallFile(dir, 'tags', key, value);
    saveModelMeta(dir, { last_updated_timestamp: now() });
  });
}

/** set_model_version_tag: the tag file, then the *model's* timestamp (as MLflow does). */
export function setVersionTag(root: string, name: string, version: string, key: string, value: string, now: Clock = Date.now): void {
  validateModelName(name);
  validateRegistryTag(key, value);
  const v = parseVersion(version);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const { dir: vdir } = liveVersion(dir, name, v);
    writeSmallFile(vdir, 'tags', key, value);
    saveModelMeta(dir, { last_updated_timestamp: now() });
  });
}

/** delete_registered_model_tag / delete_model_version_tag; false when there was no such tag. */
export function deleteTag(root: string, name: string, version: string | undefined, key: string, now: Clock = Date.now): boolean {
  validateModelName(name);
  validateKeyName('tag', key);
  return locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const base = version === undefined ? dir : liveVersion(dir, name, parseVersion(version)).dir;
    const file = path.join(base, 'tags', ...key.split('/'));
    if (!fs.existsSync(file)) return false;
    fs.unlinkSync(file);
    saveModelMeta(dir, { last_updated_timestamp: now() });
    return true;
  });
}

/**
 * transition_model_version_stage. With `archiveExisting` (Staging/Production only), other
 * versions in that stage become Archived first.
 */
export function transitionStage(root: string, name: string, version: string, stage: string, archiveExisting = false, now: Clock = Date.now): ModelStage {
  validateModelName(name);
  const v = parseVersion(version);
  const s = canonicalStage(stage);
  if (archiveExisting && s !== 'Staging' && s !== 'Production') {
    throw new UsageError(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are Staging, Production`,
      'bad-stage',
    );
  }
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const target = liveVersion(dir, name, v);
    const t = now();
    if (archiveExisting) {
      for (const n of versionNumbers(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (n.toString() === v) continue;
        const odir = path.join(dir, `version-${n}`);
        const meta = readMeta(path.join(odir, 'meta.yaml'));
        if (meta['current_stage'] === s) saveVersionMeta(dir, odir, meta, { current_stage: 'Archived', last_updated_timestamp: t });
      }
    }
    saveVersionMeta(dir, target.dir, target.meta, { current_stage: s, last_updated_timestamp: t });
    saveModelMeta(dir, { last_updated_timestamp: t });
  });
  return s;
}

/**
 * delete_model_version: the folder stays, marked Deleted_Internal (hidden from every read),
 * the model is rewritten, then each alias of the version is removed. Returns those aliases.
 */
export function deleteModelVersion(root: string, name: string, version: string, now: Clock = Date.now): string[] {
  validateModelName(name);
  const v = parseVersion(version);
  return locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const target = liveVersion(dir, name, v);
    const aliases = readAliases(dir)
      .filter(([, ver]) => ver === v)
      .map(([a]) => a);
    const t = now();
    saveVersionMeta(dir, target.dir, target.meta, { current_stage: 'Deleted_Internal', last_updated_timestamp: t });
    saveModelMeta(dir, { last_updated_timestamp: t });
    for (const a of aliases) removeAlias(dir, a, now);
    return aliases;
  });
}

/** delete_registered_model: the whole folder, versions and all. */
export function deleteRegisteredModel(root: string, name: string): void {
  validateModelName(name);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    fs.rmSync(dir, { recursive: true });
  });
}

/** update_registered_model: a new description (and timestamp). */
export function updateRegisteredModel(root: string, name: string, description: string, now: Clock = Date.now): void {
  validateModelName(name);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    saveModelMeta(dir, { description, last_updated_timestamp: now() });
  });
}

/** update_model_version: a new description (and the version's timestamp). */
export function updateModelVersion(root: string, name: string, version: string, description: string, now: Clock = Date.now): void {
  validateModelName(name);
  const v = parseVersion(version);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const target = liveVersion(dir, name, v);
    saveVersionMeta(dir, target.dir, target.meta, { description, last_updated_timestamp: now() });
  });
}

/**
 * rename_registered_model as MLflow's file store does it: every version's meta.yaml and the
 * model's get the new name and one timestamp, then the folder is renamed. Refuses a name
 * that is taken.
 */
export function renameRegisteredModel(root: string, name: string, newName: string, now: Clock = Date.now): void {
  validateModelName(name);
  validateModelName(newName);
  locked(root, () => {
    const dir = modelDirOrThrow(root, name);
    const target = registeredModelDir(root, newName);
    if (fs.existsSync(target)) throw new StateError(`Registered Model (name=${newName}) already exists.`, 'model-exists');
    const t = now();
    for (const n of versionNumbers(dir)) {
      const vdir = path.join(dir, `version-${n}`);
      saveVersionMeta(dir, vdir, readMeta(path.join(vdir, 'meta.yaml')), { name: newName, last_updated_timestamp: t });
    }
    saveModelMeta(dir, { name: newName, last_updated_timestamp: t });
    fs.renameSync(dir, target);
  });
}
