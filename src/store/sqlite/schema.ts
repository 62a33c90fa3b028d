/**
 * A new MLflow database, as MLflow 2.12 creates one: its schema exactly (tables, indexes
 * and constraints, in the same order), stamped with alembic head acf3f17fdcc7, holding the
 * Default experiment 0. The statements are the ones MLflow 2.12's migrations left in
 * the conformance database's sqlite_master (shared/conformance/sqlite/mlflow.db); SQLite
 * stores a CREATE statement's text as given, so a created database's sqlite_master equals
 * that one's.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError } from '../../errors.js';
import { appendToUriPath } from '../uri.js';
import { BUSY_TIMEOUT_MS, openForWrite, type MlflowDb } from './db.js';
import { CREATED_HEAD } from './heads.js';

/** MLflow 2.12's schema, in its sqlite_master order (autoindexes follow their tables). */
const MLFLOW_2_12_DDL: readonly string[] = [
  // table experiments
  "CREATE TABLE experiments (\n\texperiment_id INTEGER NOT NULL, \n\tname VARCHAR(256) NOT NULL, \n\tartifact_location VARCHAR(256), \n\tlifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT, \n\tCONSTRAINT experiment_pk PRIMARY KEY (experiment_id), \n\tCONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')), \n\tUNIQUE (name)\n)",
  // table alembic_version
  'CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)',
  // table experiment_tags
  'CREATE TABLE experiment_tags (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue VARCHAR(5000), \n\texperiment_id INTEGER NOT NULL, \n\tCONSTRAINT experiment_tag_pk PRIMARY KEY ("key", experiment_id), \n\tFOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)\n)',
  // table tags
  'CREATE TABLE "tags" (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue VARCHAR(5000), \n\trun_uuid VARCHAR(32) NOT NULL, \n\tCONSTRAINT tag_pk PRIMARY KEY ("key", run_uuid), \n\tFOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)\n)',
  // table registered_models
  'CREATE TABLE registered_models (\n\tname VARCHAR(256) NOT NULL, \n\tcreation_time BIGINT, \n\tlast_updated_time BIGINT, \n\tdescription VARCHAR(5000), \n\tCONSTRAINT registered_model_pk PRIMARY KEY (name), \n\tUNIQUE (name)\n)',
  // table runs
  "CREATE TABLE \"runs\" (\n\trun_uuid VARCHAR(32) NOT NULL, \n\tname VARCHAR(250), \n\tsource_type VARCHAR(20), \n\tsource_name VARCHAR(500), \n\tentry_point_name VARCHAR(50), \n\tuser_id VARCHAR(256), \n\tstatus VARCHAR(9), \n\tstart_time BIGINT, \n\tend_time BIGINT, \n\tsource_version VARCHAR(50), \n\tlifecycle_stage VARCHAR(20), \n\tartifact_uri VARCHAR(200), \n\texperiment_id INTEGER, deleted_time BIGINT, \n\tCONSTRAINT run_pk PRIMARY KEY (run_uuid), \n\tCONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')), \n\tCONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')), \n\tCHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')), \n\tFOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)\n)",
  // table registered_model_tags
  'CREATE TABLE registered_model_tags (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue VARCHAR(5000), \n\tname VARCHAR(256) NOT NULL, \n\tCONSTRAINT registered_model_tag_pk PRIMARY KEY ("key", name), \n\tFOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE cascade\n)',
  // table model_version_tags
  'CREATE TABLE model_version_tags (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue VARCHAR(5000), \n\tname VARCHAR(256) NOT NULL, \n\tversion INTEGER NOT NULL, \n\tCONSTRAINT model_version_tag_pk PRIMARY KEY ("key", name, version), \n\tFOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE cascade\n)',
  // table model_versions
  'CREATE TABLE "model_versions" (\n\tname VARCHAR(256) NOT NULL, \n\tversion INTEGER NOT NULL, \n\tcreation_time BIGINT, \n\tlast_updated_time BIGINT, \n\tdescription VARCHAR(5000), \n\tuser_id VARCHAR(256), \n\tcurrent_stage VARCHAR(20), \n\tsource VARCHAR(500), \n\trun_id VARCHAR(32), \n\tstatus VARCHAR(20), \n\tstatus_message VARCHAR(500), \n\trun_link VARCHAR(500), storage_location VARCHAR(500), \n\tCONSTRAINT model_version_pk PRIMARY KEY (name, version), \n\tFOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE\n)',
  // table latest_metrics
  'CREATE TABLE "latest_metrics" (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue FLOAT NOT NULL, \n\ttimestamp BIGINT, \n\tstep BIGINT NOT NULL, \n\tis_nan BOOLEAN NOT NULL, \n\trun_uuid VARCHAR(32) NOT NULL, \n\tCONSTRAINT latest_metric_pk PRIMARY KEY ("key", run_uuid), \n\tCHECK (is_nan IN (0, 1)), \n\tFOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)\n)',
  // table metrics
  'CREATE TABLE "metrics" (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue FLOAT NOT NULL, \n\ttimestamp BIGINT NOT NULL, \n\trun_uuid VARCHAR(32) NOT NULL, \n\tstep BIGINT DEFAULT \'0\' NOT NULL, \n\tis_nan BOOLEAN DEFAULT \'0\' NOT NULL, \n\tCONSTRAINT metric_pk PRIMARY KEY ("key", timestamp, step, run_uuid, value, is_nan), \n\tCHECK (is_nan IN (0, 1)), \n\tFOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)\n)',
  // index index_metrics_run_uuid
  'CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid)',
  // index index_latest_metrics_run_uuid
  'CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid)',
  // index index_tags_run_uuid
  'CREATE INDEX index_tags_run_uuid ON tags (run_uuid)',
  // table registered_model_aliases
  'CREATE TABLE registered_model_aliases (\n\talias VARCHAR(256) NOT NULL, \n\tversion INTEGER NOT NULL, \n\tname VARCHAR(256) NOT NULL, \n\tCONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias), \n\tCONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE cascade ON UPDATE cascade\n)',
  // table datasets
  'CREATE TABLE datasets (\n\tdataset_uuid VARCHAR(36) NOT NULL, \n\texperiment_id INTEGER NOT NULL, \n\tname VARCHAR(500) NOT NULL, \n\tdigest VARCHAR(36) NOT NULL, \n\tdataset_source_type VARCHAR(36) NOT NULL, \n\tdataset_source TEXT NOT NULL, \n\tdataset_schema TEXT, \n\tdataset_profile TEXT, \n\tCONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest), \n\tFOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)\n)',
  // index index_datasets_experiment_id_dataset_source_type
  'CREATE INDEX index_datasets_experiment_id_dataset_source_type ON datasets (experiment_id, dataset_source_type)',
  // index index_datasets_dataset_uuid
  'CREATE INDEX index_datasets_dataset_uuid ON datasets (dataset_uuid)',
  // table inputs
  'CREATE TABLE inputs (\n\tinput_uuid VARCHAR(36) NOT NULL, \n\tsource_type VARCHAR(36) NOT NULL, \n\tsource_id VARCHAR(36) NOT NULL, \n\tdestination_type VARCHAR(36) NOT NULL, \n\tdestination_id VARCHAR(36) NOT NULL, \n\tCONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)\n)',
  // index index_inputs_destination_type_destination_id_source_type
  'CREATE INDEX index_inputs_destination_type_destination_id_source_type ON inputs (destination_type, destination_id, source_type)',
  // index index_inputs_input_uuid
  'CREATE INDEX index_inputs_input_uuid ON inputs (input_uuid)',
  // table input_tags
  'CREATE TABLE input_tags (\n\tinput_uuid VARCHAR(36) NOT NULL, \n\tname VARCHAR(255) NOT NULL, \n\tvalue VARCHAR(500) NOT NULL, \n\tCONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name)\n)',
  // table params
  'CREATE TABLE "params" (\n\t"key" VARCHAR(250) NOT NULL, \n\tvalue VARCHAR(8000) NOT NULL, \n\trun_uuid VARCHAR(32) NOT NULL, \n\tCONSTRAINT param_pk PRIMARY KEY ("key", run_uuid), \n\tFOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)\n)',
  // index index_params_run_uuid
  'CREATE INDEX index_params_run_uuid ON params (run_uuid)',
];

export interface CreateOptions {
  /** the default artifact root: experiment 0's location is `<root>/0` */
  artifactRoot: string;
  /** clock in ms (default Date.now) */
  now?: () => number;
}

function isEmptyFile(file: string): boolean {
  return !existsSync(file) || statSync(file).size === 0;
}

/**
 * Opens the database for writing, creating it first when the file does not exist (or is
 * empty, as MLflow initialises an empty file): schema, alembic stamp and experiment 0 in
 * one transaction. A concurrent creator that wins the race is respected: the schema is
 * written only if the file still has no tables once the write lock is held. The parent
 * folder must exist (SQLAlchemy does not create it either).
 */
export function openOrCreate(file: string, opts: CreateOptions): MlflowDb {
  const abs = path.resolve(file);
  if (!isEmptyFile(abs)) return openForWrite(abs);
  if (!existsSync(path.dirname(abs))) {
    throw new NotFoundError(`cannot create ${abs}: the folder ${path.dirname(abs)} does not exist`, 'store-not-found');
  }
  let sql: Database.Database;
  try {
    sql = new Database(abs, { timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new StateError(`cannot create ${abs}: ${(e as Error).message}`, 'sqlite-open');
  }
  try {
    sql.defaultSafeIntegers(true);
    sql
      .transaction(() => {
        const tables = sql.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: bigint };
        if (tables.n > 0n) return;
        for (const ddl of MLFLOW_2_12_DDL) sql.exec(ddl);
        sql.prepare('INSERT INTO alembic_version (version_num) VALUES (?)').run(CREATED_HEAD);
        const t = BigInt((opts.now ?? Date.now)());
        // MLflow's _create_default_experiment: id 0, 'Default', <root>/0, active, created now
        sql
          .prepare(
            'INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (0, ?, ?, ?, ?, ?)',
          )
          .run('Default', appendToUriPath(opts.artifactRoot, '0'), 'active', t, t);
      })
      .immediate();
  } finally {
    sql.close();
  }
  return openForWrite(abs);
}
