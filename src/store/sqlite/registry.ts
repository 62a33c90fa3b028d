/**
 * Reading the model registry and MLflow 3's logged models from an MLflow database, as
 * MLflow's registry SqlAlchemyStore reports them: versions in stage `Deleted_Internal` are
 * hidden, `latest_versions` holds the highest version of each stage, aliases come from
 * `registered_model_aliases` (MLflow ≥ 2.3). Each listing is a fixed number of queries.
 */
import type { ModelVersion, RegisteredModel } from '../backend.js';
import { NotFoundError } from '../../errors.js';
import { LOGGED_MODEL_STATUSES, type KeyValue } from '../types.js';
import type { MlflowDb } from './db.js';
import type { SqlLoggedModel, SqlLoggedModelMetric } from './entities.js';
import { float, idText, int64, int64OrNull, jsonIntArray, jsonTextArray, textOrNull } from './rows.js';

export const STAGE_DELETED_INTERNAL = 'Deleted_Internal';
/** Registered models and versions carrying this tag = 'true' are MLflow 3 prompts. */
const PROMPT_TAG = 'mlflow.prompt.is_prompt';

interface VersionRow {
  name: string;
  version: bigint;
  creation_time: bigint | null;
  last_updated_time: bigint | null;
  description: string | null;
  user_id: string | null;
  current_stage: string | null;
  source: string | null;
  run_id: string | null;
  status: string | null;
  status_message: string | null;
  run_link: string | null;
  storage_location: string | null;
}

function versionColumns(db: MlflowDb): string {
  const opt = (c: string) => (db.has('model_versions', c) ? `v.${c}` : `NULL AS ${c}`);
  return (
    'v.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.current_stage, v.source, ' +
    `v.run_id, v.status, v.status_message, ${opt('run_link')}, ${opt('storage_location')}`
  );
}

function byName<T extends { name: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    let list = out.get(r.name);
    if (!list) out.set(r.name, (list = []));
    list.push(r);
  }
  return out;
}

function aliasesOf(db: MlflowDb, names: string[]): { name: string; alias: string; version: bigint }[] {
  if (!db.has('registered_model_aliases') || names.length === 0) return [];
  return db
    .stmt('SELECT name, alias, version FROM registered_model_aliases WHERE name IN (SELECT value FROM json_each(?)) ORDER BY name, alias')
    .all(jsonTextArray(names)) as { name: string; alias: string; version: bigint }[];
}

function versionTagsOf(db: MlflowDb, names: string[]): Map<string, KeyValue[]> {
  const out = new Map<string, KeyValue[]>();
  if (!db.has('model_version_tags') || names.length === 0) return out;
  const rows = db
    .stmt('SELECT name, version, key, value FROM model_version_tags WHERE name IN (SELECT value FROM json_each(?)) ORDER BY name, version, key')
    .all(jsonTextArray(names)) as { name: string; version: bigint; key: string; value: string | null }[];
  for (const r of rows) {
    const k = `${r.name}\u0000${r.version}`;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push({ key: r.key, value: r.value ?? '' });
  }
  return out;
}

/** Versions (not deleted) of these models, with tags and aliases, ordered by name then version. */
function versionsOf(db: MlflowDb, names: string[], includeDeleted = false): Map<string, ModelVersion[]> {
  if (names.length === 0) return new Map();
  const live = includeDeleted ? '' : `AND (v.current_stage IS NULL OR v.current_stage != '${STAGE_DELETED_INTERNAL}') `;
  const rows = db
    .stmt(`SELECT ${versionColumns(db)} FROM model_versions v WHERE v.name IN (SELECT value FROM json_each(?)) ${live}ORDER BY v.name, v.version`)
    .all(jsonTextArray(names)) as VersionRow[];
  const tags = versionTagsOf(db, names);
  const aliases = new Map<string, string[]>();
  for (const a of aliasesOf(db, names)) {
    const k = `${a.name}\u0000${a.version}`;
    aliases.set(k, [...(aliases.get(k) ?? []), a.alias]);
  }
  const out = new Map<string, ModelVersion[]>();
  for (const [name, list] of byName(rows)) {
    out.set(
      name,
      list.map((r) => {
        const k = `${r.name}\u0000${r.version}`;
        return {
          name: r.name,
          version: String(r.version),
          creation_timestamp: int64OrNull(r.creation_time),
          last_updated_timestamp: int64OrNull(r.last_updated_time),
          current_stage: r.current_stage ?? 'None',
          description: r.description,
          source: r.source ?? '',
          run_id: r.run_id,
          status: r.status ?? 'READY',
          status_message: r.status_message,
          user_id: r.user_id,
          run_link: r.run_link,
          storage_location: r.storage_location,
          aliases: aliases.get(k) ?? [],
          tags: tags.get(k) ?? [],
        };
      }),
    );
  }
  return out;
}

interface ModelRow {
  name: string;
  creation_time: bigint | null;
  last_updated_time: bigint | null;
  description: string | null;
}

function modelsOf(db: MlflowDb, rows: ModelRow[]): RegisteredModel[] {
  const names = rows.map((r) => r.name);
  const versions = versionsOf(db, names);
  const tags = new Map<string, KeyValue[]>();
  if (db.has('registered_model_tags') && names.length > 0) {
    const tagRows = db
      .stmt('SELECT name, key, value FROM registered_model_tags WHERE name IN (SELECT value FROM json_each(?)) ORDER BY name, key')
      .all(jsonTextArray(names)) as { name: string; key: string; value: string | null }[];
    for (const t of tagRows) tags.set(t.name, [...(tags.get(t.name) ?? []), { key: t.key, value: t.value ?? '' }]);
  }
  const aliases = byName(aliasesOf(db, names));
  return rows.map((r) => {
    const vs = versions.get(r.name) ?? [];
    const latest = new Map<string, ModelVersion>();
    for (const v of vs) {
      const cur = latest.get(v.current_stage);
      if (!cur || Number(v.version) > Number(cur.version)) latest.set(v.current_stage, v);
    }
    return {
      name: r.name,
      creation_timestamp: int64OrNull(r.creation_time),
      last_updated_timestamp: int64OrNull(r.last_updated_time),
      description: r.description,
      tags: tags.get(r.name) ?? [],
      aliases: (aliases.get(r.name) ?? []).map((a) => ({ alias: a.alias, version: String(a.version) })),
      latest_versions: [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)),
    };
  });
}

function promptFilter(db: MlflowDb, includePrompts: boolean): string {
  if (includePrompts || !db.has('registered_model_tags')) return '';
  return ` WHERE m.name NOT IN (SELECT name FROM registered_model_tags WHERE key = '${PROMPT_TAG}' AND value = 'true')`;
}

/**
 * Registered models, ordered by name (MLflow's default search order). MLflow 3 prompts
 * (models tagged mlflow.prompt.is_prompt = 'true') are left out unless asked for, as
 * MLflow's search_registered_models does.
 */
export function listRegisteredModels(db: MlflowDb, opts: { includePrompts?: boolean } = {}): RegisteredModel[] {
  if (!db.has('registered_models')) return [];
  const rows = db
    .stmt(
      `SELECT m.name, m.creation_time, m.last_updated_time, m.description FROM registered_models m${promptFilter(db, opts.includePrompts ?? false)} ORDER BY m.name`,
    )
    .all() as ModelRow[];
  return modelsOf(db, rows);
}

/** One registered model; NotFoundError with MLflow's message when there is none. */
export function getRegisteredModel(db: MlflowDb, name: string): RegisteredModel {
  const row = db.has('registered_models')
    ? (db.stmt('SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE name = ?').get(name) as ModelRow | undefined)
    : undefined;
  if (!row) throw new NotFoundError(`Registered Model with name=${name} not found`, 'model-not-found');
  return modelsOf(db, [row])[0]!;
}

/** Every version of one model, by version number: not deleted ones, or with `includeDeleted` all (their rows as MLflow redacted them). */
export function listModelVersions(db: MlflowDb, name: string, includeDeleted = false): ModelVersion[] {
  return db.has('model_versions') ? (versionsOf(db, [name], includeDeleted).get(name) ?? []) : [];
}

/** One model version; NotFoundError with MLflow's message (deleted versions are not found). */
export function getModelVersion(db: MlflowDb, name: string, version: string): ModelVersion {
  const v = listModelVersions(db, name).find((x) => x.version === version);
  if (!v) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`, 'model-version-not-found');
  return v;
}

/** The version an alias points to; MLflow's error when the alias does not exist. */
export function getModelVersionByAlias(db: MlflowDb, name: string, alias: string): ModelVersion {
  const a = aliasesOf(db, [name]).find((x) => x.alias === alias);
  if (!a) throw new NotFoundError(`Registered model alias ${alias} not found.`, 'alias-not-found');
  return getModelVersion(db, name, String(a.version));
}

// ------------------------------------------------------------------ logged models (MLflow 3)

interface LoggedModelRow {
  model_id: string;
  experiment_id: bigint;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: bigint;
  last_updated_timestamp_ms: bigint;
  status: bigint;
  lifecycle_stage: string | null;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
}

function keyValuesBy(db: MlflowDb, table: string, keyCol: string, valueCol: string, ids: string[]): Map<string, KeyValue[]> {
  const out = new Map<string, KeyValue[]>();
  if (!db.has(table)) return out;
  const rows = db
    .stmt(`SELECT model_id, ${keyCol} AS k, ${valueCol} AS v FROM ${table} WHERE model_id IN (SELECT value FROM json_each(?)) ORDER BY model_id, ${keyCol}`)
    .all(jsonTextArray(ids)) as { model_id: string; k: string; v: string }[];
  for (const r of rows) out.set(r.model_id, [...(out.get(r.model_id) ?? []), { key: r.k, value: r.v }]);
  return out;
}

/**
 * MLflow 3 logged models of these experiments (all experiments when omitted), newest
 * first, with tags, params and metric rows. Empty for databases before MLflow 3.
 */
export function listLoggedModels(db: MlflowDb, experimentIds?: readonly string[]): SqlLoggedModel[] {
  if (!db.has('logged_models')) return [];
  const where = experimentIds ? ' WHERE experiment_id IN (SELECT value FROM json_each(?))' : '';
  const stmt = db.stmt(
    'SELECT model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, ' +
      `lifecycle_stage, model_type, source_run_id, status_message FROM logged_models${where} ORDER BY creation_timestamp_ms DESC, model_id`,
  );
  const rows = (experimentIds ? stmt.all(jsonIntArray(experimentIds)) : stmt.all()) as LoggedModelRow[];
  const ids = rows.map((r) => r.model_id);
  const tags = keyValuesBy(db, 'logged_model_tags', 'tag_key', 'tag_value', ids);
  const params = keyValuesBy(db, 'logged_model_params', 'param_key', 'param_value', ids);
  const metrics = new Map<string, SqlLoggedModelMetric[]>();
  if (db.has('logged_model_metrics')) {
    const mrows = db
      .stmt(
        'SELECT model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, run_id, dataset_name, dataset_digest ' +
          'FROM logged_model_metrics WHERE model_id IN (SELECT value FROM json_each(?)) ORDER BY model_id, metric_name, metric_timestamp_ms, metric_step',
      )
      .all(jsonTextArray(ids)) as {
      model_id: string;
      metric_name: string;
      metric_timestamp_ms: bigint;
      metric_step: bigint;
      metric_value: number | bigint | null;
      run_id: string;
      dataset_name: string | null;
      dataset_digest: string | null;
    }[];
    for (const m of mrows) {
      const list = metrics.get(m.model_id) ?? [];
      list.push({
        key: m.metric_name,
        value: m.metric_value === null ? null : float(m.metric_value),
        timestamp: int64(m.metric_timestamp_ms),
        step: int64(m.metric_step),
        run_id: m.run_id,
        dataset_name: textOrNull(m.dataset_name),
        dataset_digest: textOrNull(m.dataset_digest),
      });
      metrics.set(m.model_id, list);
    }
  }
  return rows.map((r) => ({
    model_id: r.model_id,
    name: r.name,
    experiment_id: idText(r.experiment_id),
    source_run_id: r.source_run_id,
    model_type: r.model_type,
    status: LOGGED_MODEL_STATUSES[Number(r.status)] ?? 'UNSPECIFIED',
    lifecycle_stage: r.lifecycle_stage ?? 'active',
    creation_timestamp: int64(r.creation_timestamp_ms),
    last_updated_timestamp: int64(r.last_updated_timestamp_ms),
    artifact_location: r.artifact_location,
    status_message: r.status_message,
    tags: tags.get(r.model_id) ?? [],
    params: params.get(r.model_id) ?? [],
    metrics: metrics.get(r.model_id) ?? [],
  }));
}
