/**
 * The model registry endpoints (`registered-models/*`, `model-versions/*`): MLflow's
 * handlers over the ModelRegistry interface, answering with the entities MLflow's file
 * registry store returns after each call.
 */
import { NotFoundError } from '../errors.js';
import { matchesModel, parseModelFilter } from '../search/model-filter.js';
import type { ModelRegistry, ModelVersion, RegisteredModel } from '../store/backend.js';
import { canonicalStage } from '../store/registry-rules.js';
import type { RequestContext, Route } from './context.js';
import { invalidParameter, notFound } from './errors.js';
import { modelVersionJson, registeredModelJson } from './render.js';
import { keyValues, type Fields, type Schema } from './request.js';
import { paginate, runById } from './tracking.js';

const nameSchema: Schema = { name: { type: 'string', required: true } };
const versionSchema: Schema = { name: { type: 'string', required: true }, version: { type: 'string', required: true } };

async function model(reg: ModelRegistry, name: string): Promise<RegisteredModel> {
  try {
    return await reg.getRegisteredModel(name);
  } catch (e) {
    if (e instanceof NotFoundError) throw notFound(`Registered Model with name=${name} not found`);
    throw e;
  }
}

async function version(reg: ModelRegistry, name: string, v: string): Promise<ModelVersion> {
  await model(reg, name);
  try {
    return await reg.getModelVersion(name, v);
  } catch (e) {
    if (e instanceof NotFoundError) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    throw e;
  }
}

function tagsMap(tags: { key: string; value: string }[]): Map<string, string> {
  return new Map(tags.map((t) => [t.key, t.value]));
}

function intOf(v: unknown, fallback: number): number {
  return v === undefined ? fallback : Number(v as number | bigint);
}

// ------------------------------------------------------------------ registered models

const createModel = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, tags: { type: 'any', repeated: true }, description: { type: 'string' } });
  const reg = await c.registry();
  const name = f['name'] as string;
  await reg.createRegisteredModel(name, {
    tags: keyValues(f['tags'], 'tags'),
    ...(f['description'] !== undefined ? { description: f['description'] as string } : {}),
  });
  return { registered_model: registeredModelJson(await model(reg, name)) };
};

const getModel = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields(nameSchema);
  return { registered_model: registeredModelJson(await model(await c.registry(), f['name'] as string)) };
};

const renameModel = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, new_name: { type: 'string', required: true } });
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.renameRegisteredModel(f['name'] as string, f['new_name'] as string);
  return { registered_model: registeredModelJson(await model(reg, f['new_name'] as string)) };
};

const updateModel = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, description: { type: 'string' } });
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.updateRegisteredModel(f['name'] as string, (f['description'] as string | undefined) ?? '');
  return { registered_model: registeredModelJson(await model(reg, f['name'] as string)) };
};

const deleteModel = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields(nameSchema);
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.deleteRegisteredModel(f['name'] as string);
  return {};
};

type SortValue = string | number | bigint | null;

/**
 * Sort by MLflow order-by clauses (`key [ASC|DESC]`, `timestamp` meaning
 * last_updated_timestamp), None last in either direction; `tiebreak` clauses are appended
 * unless their key is already ordered by.
 */
function sortByClauses<T>(items: T[], orderBy: string[], allowed: readonly string[], value: (item: T, key: string) => SortValue, tiebreak: string[]): T[] {
  const parse = (o: string): { key: string; asc: boolean } => {
    const m = /^\s*(?:attribute\.)?(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(o);
    const key = m?.[1] === 'timestamp' ? 'last_updated_timestamp' : m?.[1];
    if (!m || !key || !allowed.includes(key)) throw invalidParameter(`Invalid order by key '${o}' specified.`);
    return { key, asc: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  };
  const keys = orderBy.map(parse);
  for (const t of tiebreak.map(parse)) if (!keys.some((k) => k.key === t.key)) keys.push(t);
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const x = value(a, k.key);
      const y = value(b, k.key);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (k.asc ? 1 : -1);
    }
    return 0;
  });
}

/** SearchModelUtils order: name / last_updated_timestamp / creation_timestamp, then name ASC. */
function sortModels(models: RegisteredModel[], orderBy: string[]): RegisteredModel[] {
  return sortByClauses(models, orderBy, ['name', 'last_updated_timestamp', 'creation_timestamp'], (m, k) => m[k as 'name'], ['name ASC']);
}

const searchModels = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    filter: { type: 'string' },
    max_results: { type: 'int64' },
    order_by: { type: 'string', repeated: true },
    page_token: { type: 'string' },
  });
  const max = intOf(f['max_results'], 100);
  if (max > 1000)
    throw invalidParameter(`Invalid value ${max} for parameter 'max_results' supplied. See the API docs for more information about request parameters.`);
  if (max < 1) throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${max}`);
  const filter = (f['filter'] as string | undefined) ?? '';
  const clauses = filter.trim() === '' ? [] : parseModelFilter(filter);
  const all = (await (await c.registry()).listRegisteredModels()).filter((m) => matchesModel(clauses, m.name, tagsMap(m.tags)));
  const { page, next } = paginate(sortModels(all, (f['order_by'] as string[] | undefined) ?? []), f['page_token'] as string | undefined, max);
  return { registered_models: page.length ? page.map(registeredModelJson) : undefined, next_page_token: next };
};

const latestVersions = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, stages: { type: 'string', repeated: true } });
  const reg = await c.registry();
  const m = await model(reg, f['name'] as string);
  const stages = (f['stages'] as string[] | undefined) ?? [];
  let out: ModelVersion[];
  if (stages.length === 0) out = m.latest_versions;
  else {
    const want = new Set(stages.map(canonicalStage));
    const latest = new Map<string, ModelVersion>();
    for (const v of await reg.listModelVersions(m.name)) {
      if (!want.has(v.current_stage as never)) continue;
      const cur = latest.get(v.current_stage);
      if (!cur || Number(v.version) > Number(cur.version)) latest.set(v.current_stage, v);
    }
    out = [...latest.values()];
  }
  return { model_versions: out.length ? out.map(modelVersionJson) : undefined };
};

const setModelTag = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, key: { type: 'string', required: true }, value: { type: 'string' } });
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.setModelTag(f['name'] as string, f['key'] as string, (f['value'] as string | undefined) ?? '');
  return {};
};

const deleteModelTag = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, key: { type: 'string', required: true } });
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.deleteTag(f['name'] as string, undefined, f['key'] as string);
  return {};
};

const setAlias = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, alias: { type: 'string', required: true }, version: { type: 'string', required: true } });
  const reg = await c.registry();
  await version(reg, f['name'] as string, f['version'] as string);
  await reg.setAlias(f['name'] as string, f['alias'] as string, f['version'] as string);
  return {};
};

const deleteAlias = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, alias: { type: 'string', required: true } });
  const reg = await c.registry();
  await model(reg, f['name'] as string);
  await reg.deleteAlias(f['name'] as string, f['alias'] as string);
  return {};
};

const getByAlias = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, alias: { type: 'string', required: true } });
  const reg = await c.registry();
  const m = await model(reg, f['name'] as string);
  const alias = f['alias'] as string;
  const a = m.aliases.find((x) => x.alias === alias);
  if (!a) throw notFound(`Registered model alias ${alias} not found.`);
  return { model_version: modelVersionJson(await version(reg, m.name, a.version)) };
};

// ------------------------------------------------------------------ model versions

/** handlers._validate_source_run / _validate_non_local_source_contains_relative_paths. */
async function validateSource(c: RequestContext, source: string, runId: string | undefined): Promise<void> {
  const invalid = (): never => {
    throw invalidParameter(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
    );
  };
  let decoded = source;
  for (let i = 0; i < 10; i++) {
    const next = decodeURIComponent(decoded.replace(/\+/g, ' '));
    if (next === decoded) break;
    decoded = next;
  }
  if (decoded.includes('\0') || decoded.split('/').includes('..')) invalid();
  const isLocal = !/^[a-z][a-z0-9+.-]*:/i.test(source) || /^file:/i.test(source);
  if (!isLocal) return;
  const local = source.replace(/^file:(\/\/(localhost)?)?/i, '');
  if (runId) {
    const run = await runById(await c.reader(), runId);
    const root = run.info.artifact_uri.replace(/^file:(\/\/(localhost)?)?/i, '').replace(/\/+$/, '');
    if (!/^[a-z][a-z0-9+.-]*:/i.test(root) && (local === root || local.startsWith(root + '/'))) return;
  }
  throw invalidParameter(
    `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
  );
}

const createVersion = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    name: { type: 'string', required: true },
    source: { type: 'string', required: true },
    run_id: { type: 'string' },
    tags: { type: 'any', repeated: true },
    run_link: { type: 'string' },
    description: { type: 'string' },
  });
  const name = f['name'] as string;
  const source = f['source'] as string;
  const runId = (f['run_id'] as string | undefined) || undefined;
  await validateSource(c, source, runId);
  const reg = await c.registry();
  await model(reg, name);
  const v = await reg.createModelVersion(name, {
    source,
    ...(runId ? { runId } : {}),
    tags: keyValues(f['tags'], 'tags'),
    ...(f['run_link'] ? { runLink: f['run_link'] as string } : {}),
    ...(f['description'] !== undefined ? { description: f['description'] as string } : {}),
  });
  return { model_version: modelVersionJson(await version(reg, name, v)) };
};

const getVersion = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields(versionSchema);
  return { model_version: modelVersionJson(await version(await c.registry(), f['name'] as string, f['version'] as string)) };
};

async function onVersion(c: RequestContext, schema: Schema, act: (reg: ModelRegistry, f: Fields) => Promise<unknown>, answer = true): Promise<unknown> {
  const f = c.fields(schema);
  const reg = await c.registry();
  await version(reg, f['name'] as string, f['version'] as string);
  await act(reg, f);
  return answer ? { model_version: modelVersionJson(await version(reg, f['name'] as string, f['version'] as string)) } : {};
}

const updateVersion = (c: RequestContext) =>
  onVersion(c, { ...versionSchema, description: { type: 'string' } }, (reg, f) =>
    reg.updateModelVersion(f['name'] as string, f['version'] as string, (f['description'] as string | undefined) ?? ''),
  );

const transitionStage = (c: RequestContext) =>
  onVersion(c, { ...versionSchema, stage: { type: 'string', required: true }, archive_existing_versions: { type: 'bool' } }, (reg, f) =>
    reg.transitionStage(f['name'] as string, f['version'] as string, f['stage'] as string, (f['archive_existing_versions'] as boolean | undefined) ?? false),
  );

const deleteVersion = (c: RequestContext) =>
  onVersion(c, versionSchema, (reg, f) => reg.deleteModelVersion(f['name'] as string, f['version'] as string), false);

const setVersionTag = (c: RequestContext) =>
  onVersion(
    c,
    { ...versionSchema, key: { type: 'string', required: true }, value: { type: 'string' } },
    (reg, f) => reg.setVersionTag(f['name'] as string, f['version'] as string, f['key'] as string, (f['value'] as string | undefined) ?? ''),
    false,
  );

const deleteVersionTag = (c: RequestContext) =>
  onVersion(
    c,
    { ...versionSchema, key: { type: 'string', required: true } },
    (reg, f) => reg.deleteTag(f['name'] as string, f['version'] as string, f['key'] as string),
    false,
  );

const downloadUri = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields(versionSchema);
  const v = await version(await c.registry(), f['name'] as string, f['version'] as string);
  return { artifact_uri: v.storage_location || v.source };
};

/** SearchModelVersionUtils default order: last_updated_timestamp DESC, name ASC, version_number DESC. */
function sortVersions(versions: ModelVersion[], orderBy: string[]): ModelVersion[] {
  const value = (v: ModelVersion, k: string): SortValue =>
    k === 'version_number' ? Number(v.version) : k === 'name' ? v.name : k === 'creation_timestamp' ? v.creation_timestamp : v.last_updated_timestamp;
  const spec = orderBy.length ? orderBy : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];
  return sortByClauses(versions, spec, ['name', 'version_number', 'last_updated_timestamp', 'creation_timestamp'], value, []);
}

const searchVersions = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    filter: { type: 'string' },
    max_results: { type: 'int64' },
    order_by: { type: 'string', repeated: true },
    page_token: { type: 'string' },
  });
  const max = intOf(f['max_results'], 200_000);
  if (max > 200_000)
    throw invalidParameter(`Invalid value ${max} for parameter 'max_results' supplied. See the API docs for more information about request parameters.`);
  if (max < 1) throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${max}`);
  const filter = (f['filter'] as string | undefined) ?? '';
  const clauses = filter.trim() === '' ? [] : parseModelFilter(filter);
  const reg = await c.registry();
  const versions: ModelVersion[] = [];
  for (const m of await reg.listRegisteredModels()) versions.push(...(await reg.listModelVersions(m.name)));
  const hits = versions.filter((v) => matchesModel(clauses, v.name, tagsMap(v.tags)));
  const { page, next } = paginate(sortVersions(hits, (f['order_by'] as string[] | undefined) ?? []), f['page_token'] as string | undefined, max);
  return { model_versions: page.length ? page.map(modelVersionJson) : undefined, next_page_token: next };
};

export const REGISTRY_ROUTES: Route[] = [
  { method: 'POST', path: 'registered-models/create', write: true, handler: createModel },
  { method: 'GET', path: 'registered-models/get', write: false, handler: getModel },
  { method: 'POST', path: 'registered-models/rename', write: true, handler: renameModel },
  { method: 'PATCH', path: 'registered-models/update', write: true, handler: updateModel },
  { method: 'DELETE', path: 'registered-models/delete', write: true, handler: deleteModel },
  { method: 'GET', path: 'registered-models/search', write: false, handler: searchModels },
  { method: 'POST', path: 'registered-models/get-latest-versions', write: false, handler: latestVersions },
  { method: 'GET', path: 'registered-models/get-latest-versions', write: false, handler: latestVersions },
  { method: 'POST', path: 'registered-models/set-tag', write: true, handler: setModelTag },
  { method: 'DELETE', path: 'registered-models/delete-tag', write: true, handler: deleteModelTag },
  { method: 'POST', path: 'registered-models/alias', write: true, handler: setAlias },
  { method: 'DELETE', path: 'registered-models/alias', write: true, handler: deleteAlias },
  { method: 'GET', path: 'registered-models/alias', write: false, handler: getByAlias },
  { method: 'POST', path: 'model-versions/create', write: true, handler: createVersion },
  { method: 'GET', path: 'model-versions/get', write: false, handler: getVersion },
  { method: 'PATCH', path: 'model-versions/update', write: true, handler: updateVersion },
  { method: 'DELETE', path: 'model-versions/delete', write: true, handler: deleteVersion },
  { method: 'POST', path: 'model-versions/transition-stage', write: true, handler: transitionStage },
  { method: 'GET', path: 'model-versions/search', write: false, handler: searchVersions },
  { method: 'POST', path: 'model-versions/set-tag', write: true, handler: setVersionTag },
  { method: 'DELETE', path: 'model-versions/delete-tag', write: true, handler: deleteVersionTag },
  { method: 'GET', path: 'model-versions/get-download-uri', write: false, handler: downloadUri },
];
