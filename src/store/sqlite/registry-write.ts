/**
 * Model registry writes with MLflow's registry SqlAlchemyStore semantics
 * (mlflow/store/model_registry/sqlalchemy_store.py), one `BEGIN IMMEDIATE` transaction
 * each, so two processes registering a model at once get different version numbers:
 * - a new version is 1 + the highest version ever created (deleted ones count), stage
 *   'None', status 'READY', storage_location = source; it bumps the model's last update;
 * - a stage transition may archive the other versions in that stage (Staging/Production);
 * - deleting a version keeps its row as `Deleted_Internal` with its fields redacted, and
 *   removes its aliases; deleting a model removes its versions, tags and aliases.
 * Validation (names, aliases, tags, versions, stages) is the file registry's, shared.
 */
import type { ModelVersion, RegisteredModel } from '../backend.js';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { validateModelName } from '../registry-rules.js';
import { canonicalStage, parseVersion, validateAlias, validateRegistryTag } from '../registry-rules.js';
import type { ModelStage as Stage } from '../backend.js';
import type { KeyValue } from '../types.js';
import { writeTransaction, type MlflowDb } from './db.js';
import { getModelVersion, getRegisteredModel, STAGE_DELETED_INTERNAL } from './registry.js';
import type { WriteContext } from './write.js';

const now = (ctx: WriteContext): bigint => BigInt(Math.trunc((ctx.now ?? Date.now)()));

function requireModel(db: MlflowDb, name: string): void {
  const row = db.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(name);
  if (!row) throw new NotFoundError(`Registered Model with name=${name} not found`, 'model-not-found');
}

/** The (not deleted) version; MLflow's not-found message otherwise. */
function requireVersion(db: MlflowDb, name: string, version: string): bigint {
  const row = db
    .stmt(`SELECT version FROM model_versions WHERE name = ? AND version = ? AND (current_stage IS NULL OR current_stage != '${STAGE_DELETED_INTERNAL}')`)
    .get(name, BigInt(version)) as { version: bigint } | undefined;
  if (!row) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`, 'model-version-not-found');
  return row.version;
}

function touchModel(db: MlflowDb, name: string, t: bigint): void {
  db.stmt('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(t, name);
}

export interface CreateModelOptions {
  tags?: KeyValue[];
  description?: string;
}

/** create_registered_model; a taken name is MLflow's RESOURCE_ALREADY_EXISTS. */
export function createRegisteredModel(db: MlflowDb, name: string, opts: CreateModelOptions = {}, ctx: WriteContext = {}): RegisteredModel {
  validateModelName(name);
  for (const t of opts.tags ?? []) validateRegistryTag(t.key, t.value);
  return writeTransaction(db, () => {
    if (db.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(name)) {
      throw new StateError(`Registered Model (name=${name}) already exists.`, 'model-exists');
    }
    const t = now(ctx);
    db.stmt('INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)').run(
      name,
      t,
      t,
      opts.description ?? null,
    );
    const tags = new Map((opts.tags ?? []).map((x) => [x.key, x.value]));
    for (const [k, v] of tags) db.stmt('INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, ?)').run(k, v, name);
    return getRegisteredModel(db, name);
  });
}

/** update_registered_model: the description. */
export function updateRegisteredModel(db: MlflowDb, name: string, description: string | null, ctx: WriteContext = {}): void {
  writeTransaction(db, () => {
    requireModel(db, name);
    db.stmt('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?').run(description, now(ctx), name);
  });
}

/**
 * rename_registered_model: the model and its versions (whose last update is bumped); tags
 * and aliases follow through the schema's ON UPDATE CASCADE keys (and explicitly, for a
 * database whose keys do not cascade).
 */
export function renameRegisteredModel(db: MlflowDb, name: string, newName: string, ctx: WriteContext = {}): void {
  validateModelName(newName);
  writeTransaction(db, () => {
    requireModel(db, name);
    if (db.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(newName)) {
      throw new StateError(`Registered Model (name=${newName}) already exists.`, 'model-exists');
    }
    const t = now(ctx);
    db.stmt('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE name = ?').run(newName, t, name);
    for (const table of ['model_versions', 'model_version_tags', 'registered_model_tags', 'registered_model_aliases']) {
      if (db.has(table)) db.stmt(`UPDATE ${table} SET name = ? WHERE name = ?`).run(newName, name);
    }
    db.stmt('UPDATE model_versions SET last_updated_time = ? WHERE name = ?').run(t, newName);
  });
}

/** delete_registered_model: the model with its versions, tags and aliases. */
export function deleteRegisteredModel(db: MlflowDb, name: string): void {
  writeTransaction(db, () => {
    requireModel(db, name);
    for (const table of ['model_version_tags', 'registered_model_aliases', 'model_versions', 'registered_model_tags', 'registered_models']) {
      if (db.has(table)) db.stmt(`DELETE FROM ${table} WHERE name = ?`).run(name);
    }
  });
}

/** set_registered_model_tag (replaces a tag of that key). */
export function setRegisteredModelTag(db: MlflowDb, name: string, key: string, value: string): void {
  validateModelName(name);
  validateRegistryTag(key, value);
  writeTransaction(db, () => {
    requireModel(db, name);
    db.stmt('INSERT OR REPLACE INTO registered_model_tags (key, value, name) VALUES (?, ?, ?)').run(key, value, name);
  });
}

/** delete_registered_model_tag: no error when the tag does not exist. */
export function deleteRegisteredModelTag(db: MlflowDb, name: string, key: string): void {
  writeTransaction(db, () => {
    requireModel(db, name);
    db.stmt('DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(name, key);
  });
}

export interface CreateVersionOptions {
  source: string;
  runId?: string | null;
  tags?: KeyValue[];
  runLink?: string | null;
  description?: string | null;
}

/** create_model_version: the next version number, READY, stage None. Returns the version. */
export function createModelVersion(db: MlflowDb, name: string, opts: CreateVersionOptions, ctx: WriteContext = {}): ModelVersion {
  validateModelName(name);
  for (const t of opts.tags ?? []) validateRegistryTag(t.key, t.value);
  return writeTransaction(db, () => {
    requireModel(db, name);
    const t = now(ctx);
    touchModel(db, name, t);
    const max = db.stmt('SELECT max(version) AS v FROM model_versions WHERE name = ?').get(name) as { v: bigint | null };
    const version = (max.v ?? 0n) + 1n;
    const cols = [
      'name',
      'version',
      'creation_time',
      'last_updated_time',
      'description',
      'user_id',
      'current_stage',
      'source',
      'run_id',
      'status',
      'status_message',
    ];
    const vals: unknown[] = [name, version, t, t, opts.description ?? null, null, 'None', opts.source, opts.runId ?? null, 'READY', null];
    if (db.has('model_versions', 'run_link')) {
      cols.push('run_link');
      vals.push(opts.runLink ?? null);
    }
    if (db.has('model_versions', 'storage_location')) {
      cols.push('storage_location');
      vals.push(opts.source);
    }
    db.stmt(`INSERT INTO model_versions (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
    const tags = new Map((opts.tags ?? []).map((x) => [x.key, x.value]));
    for (const [k, v] of tags) db.stmt('INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)').run(k, v, name, version);
    return getModelVersion(db, name, String(version));
  });
}

/** update_model_version: the description. */
export function updateModelVersion(db: MlflowDb, name: string, version: string, description: string | null, ctx: WriteContext = {}): void {
  const v = parseVersion(version);
  writeTransaction(db, () => {
    requireVersion(db, name, v);
    db.stmt('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?').run(description, now(ctx), name, BigInt(v));
  });
}

const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

/**
 * transition_model_version_stage; with `archiveExisting` (only for Staging or Production)
 * the model's other versions in that stage become Archived. Returns the canonical stage.
 */
export function transitionModelVersionStage(
  db: MlflowDb,
  name: string,
  version: string,
  stage: string,
  archiveExisting = false,
  ctx: WriteContext = {},
): Stage {
  const v = parseVersion(version);
  const target = canonicalStage(stage);
  if (archiveExisting && !ACTIVE_STAGES.includes(target)) {
    throw new UsageError(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` +
        `Valid stages are ['${ACTIVE_STAGES.join("', '")}']`,
      'bad-stage',
    );
  }
  writeTransaction(db, () => {
    const t = now(ctx);
    if (archiveExisting) {
      db.stmt("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND version != ? AND current_stage = ?").run(
        t,
        name,
        BigInt(v),
        target,
      );
    }
    requireVersion(db, name, v);
    db.stmt('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?').run(target, t, name, BigInt(v));
    touchModel(db, name, t);
  });
  return target;
}

/** delete_model_version: kept as Deleted_Internal with its fields redacted; its aliases removed. */
export function deleteModelVersion(db: MlflowDb, name: string, version: string, ctx: WriteContext = {}): void {
  const v = parseVersion(version);
  writeTransaction(db, () => {
    requireVersion(db, name, v);
    const t = now(ctx);
    touchModel(db, name, t);
    if (db.has('registered_model_aliases')) db.stmt('DELETE FROM registered_model_aliases WHERE name = ? AND version = ?').run(name, BigInt(v));
    const runLink = db.has('model_versions', 'run_link') ? ", run_link = 'REDACTED-RUN-LINK'" : '';
    db.stmt(
      `UPDATE model_versions SET current_stage = '${STAGE_DELETED_INTERNAL}', last_updated_time = ?, description = NULL, user_id = NULL, ` +
        `source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID'${runLink}, status_message = NULL WHERE name = ? AND version = ?`,
    ).run(t, name, BigInt(v));
  });
}

/** set_model_version_tag (replaces a tag of that key). */
export function setModelVersionTag(db: MlflowDb, name: string, version: string, key: string, value: string): void {
  const v = parseVersion(version);
  validateRegistryTag(key, value);
  writeTransaction(db, () => {
    requireVersion(db, name, v);
    db.stmt('INSERT OR REPLACE INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)').run(key, value, name, BigInt(v));
  });
}

/** delete_model_version_tag: no error when the tag does not exist. */
export function deleteModelVersionTag(db: MlflowDb, name: string, version: string, key: string): void {
  const v = parseVersion(version);
  writeTransaction(db, () => {
    requireVersion(db, name, v);
    db.stmt('DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?').run(name, BigInt(v), key);
  });
}

function requireAliasTable(db: MlflowDb): void {
  if (!db.has('registered_model_aliases')) {
    throw new StateError(`${db.path}: this database (alembic head ${db.head}) predates model aliases (MLflow 2.3)`, 'no-alias-table');
  }
}

/** set_registered_model_alias: points the alias at an existing version (moving it if set). */
export function setRegisteredModelAlias(db: MlflowDb, name: string, alias: string, version: string): void {
  validateAlias(alias);
  const v = parseVersion(version);
  requireAliasTable(db);
  writeTransaction(db, () => {
    requireVersion(db, name, v);
    db.stmt('INSERT OR REPLACE INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)').run(alias, BigInt(v), name);
  });
}

/** delete_registered_model_alias: no error when the alias does not exist. */
export function deleteRegisteredModelAlias(db: MlflowDb, name: string, alias: string): void {
  validateAlias(alias);
  requireAliasTable(db);
  writeTransaction(db, () => {
    requireModel(db, name);
    db.stmt('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?').run(name, alias);
  });
}
