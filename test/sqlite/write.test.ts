/**
 * Writes on a copy of the conformance database: the rows equal what MLflow's SQL store
 * writes (its code read for the exact values; the MLflow-written rows of the database for
 * their shape), and read back field by field. Also: refusing unknown heads, and a new
 * database with MLflow 2.12's schema exactly.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openForRead, openForWrite, type MlflowDb } from '../../src/store/sqlite/db.js';
import { findExperiment, getRun, listRunInfos, loadDatasetInputs, readMetricHistory } from '../../src/store/sqlite/read.js';
import { getModelVersion, getRegisteredModel, listModelVersions } from '../../src/store/sqlite/registry.js';
import {
  createModelVersion,
  createRegisteredModel,
  deleteModelVersion,
  deleteRegisteredModel,
  renameRegisteredModel,
  setModelVersionTag,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  transitionModelVersionStage,
} from '../../src/store/sqlite/registry-write.js';
import { openOrCreate } from '../../src/store/sqlite/schema.js';
import {
  createExperiment,
  createRun,
  deleteExperiment,
  deleteRun,
  deleteTag,
  logBatch,
  logInputs,
  logMetrics,
  logParam,
  restoreExperiment,
  restoreRun,
  setExperimentTag,
  setTag,
  updateRunInfo,
} from '../../src/store/sqlite/write.js';
import { CONFORMANCE_DB, HAS_CONFORMANCE, cleanTemps, copyDb, tempDir } from './helpers.js';

afterAll(cleanTemps);

const T = 1_800_000_000_000;
const ctx = { now: () => T };

/** Every column of the matching rows with SQLite's quote(): types and values as stored. */
function rows(file: string, sql: string, ...args: unknown[]): Record<string, string>[] {
  const raw = new Database(file, { readonly: true });
  try {
    const stmt = raw.prepare(sql);
    const cols = stmt.columns().map((c) => c.name);
    const quoted = raw.prepare(`SELECT ${cols.map((c) => `quote("${c}") AS "${c}"`).join(', ')} FROM (${sql})`);
    return quoted.all(...args) as Record<string, string>[];
  } finally {
    raw.close();
  }
}

function withWriter<T>(file: string, fn: (db: MlflowDb) => T): T {
  const db = openForWrite(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe.skipIf(!HAS_CONFORMANCE)('tracking writes (MLflow SqlAlchemyStore semantics)', () => {
  it('creates an experiment with the next integer id and <artifact root>/<id>', () => {
    const file = copyDb();
    const id = withWriter(file, (db) => createExperiment(db, 'new exp', '/srv/mlruns', { tags: [{ key: 'team', value: 'cv' }] }, ctx));
    expect(id).toBe('4');
    expect(rows(file, 'SELECT * FROM experiments WHERE experiment_id = 4')).toEqual([
      {
        experiment_id: '4',
        name: "'new exp'",
        artifact_location: "'/srv/mlruns/4'",
        lifecycle_stage: "'active'",
        creation_time: String(T),
        last_update_time: String(T),
      },
    ]);
    expect(rows(file, 'SELECT * FROM experiment_tags WHERE experiment_id = 4')).toEqual([{ key: "'team'", value: "'cv'", experiment_id: '4' }]);
    withWriter(file, (db) => {
      expect(() => createExperiment(db, 'old-exp', '/srv/mlruns')).toThrow(/^Experiment\(name=old-exp\) already exists\. Error: UNIQUE constraint failed/);
      setExperimentTag(db, '4', 'team', 'nlp');
      expect(findExperiment(db, '4')!.tags).toEqual([{ key: 'team', value: 'nlp' }]);
      expect(() => setExperimentTag(db, '3', 'a', 'b')).toThrow("The experiment 3 must be in the 'active' state. Current state is deleted.");
    });
  });

  it('creates a run shaped like the runs MLflow wrote', () => {
    const file = copyDb();
    const info = withWriter(file, (db) =>
      createRun(db, { experimentId: '1', userId: 'ana', startTime: 1700000000123, tags: [{ key: 'mlflow.user', value: 'ana' }], runName: 'fresh' }, ctx),
    );
    expect(info).toMatchObject({
      run_name: 'fresh',
      experiment_id: '1',
      user_id: 'ana',
      status: 'RUNNING',
      start_time: 1700000000123,
      end_time: null,
      lifecycle_stage: 'active',
    });
    expect(info.artifact_uri).toBe(`/home/ana/cv-project/mlruns/1/${info.run_id}/artifacts`);
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
    const [mine] = rows(file, 'SELECT * FROM runs WHERE run_uuid = ?', info.run_id);
    const [theirs] = rows(file, "SELECT * FROM runs WHERE status = 'RUNNING' LIMIT 1");
    for (const col of ['source_type', 'source_name', 'entry_point_name', 'source_version', 'end_time', 'deleted_time', 'lifecycle_stage', 'status']) {
      expect(mine![col], col).toBe(theirs![col]);
    }
    expect(rows(file, 'SELECT key, value FROM tags WHERE run_uuid = ? ORDER BY key', info.run_id)).toEqual([
      { key: "'mlflow.runName'", value: "'fresh'" },
      { key: "'mlflow.user'", value: "'ana'" },
    ]);
    withWriter(file, (db) => {
      const named = createRun(db, { experimentId: '1', tags: [{ key: 'mlflow.runName', value: 'by-tag' }] }, ctx);
      expect(named.run_name).toBe('by-tag');
      expect(named.start_time).toBe(T);
      expect(createRun(db, { experimentId: '1' }, ctx).run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      expect(() => createRun(db, { experimentId: '3' })).toThrow("The experiment 3 must be in the 'active' state. Current state is deleted.");
      expect(() => createRun(db, { experimentId: '1', runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })).toThrow(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='a', mlflow.runName='b').",
      );
    });
  });

  it('stores metrics as MLflow does and keeps latest_metrics by (step, timestamp, value)', () => {
    const file = copyDb();
    const runId = withWriter(file, (db) => {
      const run = createRun(db, { experimentId: '1', runName: 'm' }, ctx);
      logMetrics(db, run.run_id, [
        { key: 'a', value: 'nan', timestamp: 5, step: 0 },
        { key: 'b', value: 'inf', timestamp: 5, step: 0 },
        { key: 'c', value: '-inf', timestamp: 5, step: 0 },
        { key: 'd', value: 0.5, timestamp: 10, step: 3 },
        { key: 'd', value: 0.9, timestamp: 9, step: 3 }, // older timestamp at the same step: not latest
        { key: 'd', value: 0.1, timestamp: 10, step: 3 }, // same step and time, smaller value: not latest
        { key: 'd', value: 0.7, timestamp: 10, step: 3 }, // larger value: latest
        { key: 'd', value: 0.7, timestamp: 10, step: 3 }, // exact duplicate: ignored
        { key: 'e', value: -0.5, timestamp: 1, step: 1 },
        { key: 'e', value: 'nan', timestamp: 1, step: 1 }, // NaN is stored as 0 > -0.5: latest
        { key: 'big', value: 1, timestamp: '9223372036854775807', step: '9007199254740993' },
      ]);
      return run.run_id;
    });
    expect(rows(file, "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key IN ('a','b','c') ORDER BY key", runId)).toEqual([
      { key: "'a'", value: '0.0', timestamp: '5', step: '0', is_nan: '1' },
      { key: "'b'", value: '1.7976931348623157e+308', timestamp: '5', step: '0', is_nan: '0' },
      { key: "'c'", value: '-1.7976931348623157e+308', timestamp: '5', step: '0', is_nan: '0' },
    ]);
    expect(rows(file, "SELECT count(*) AS n FROM metrics WHERE run_uuid = ? AND key = 'd'", runId)).toEqual([{ n: '4' }]);
    const db = openForRead(file);
    try {
      const run = getRun(db, runId);
      const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));
      expect(latest['a']!.value).toBeNaN();
      expect(latest['b']!.value).toBe(1.7976931348623157e308);
      expect(latest['c']!.value).toBe(-1.7976931348623157e308);
      expect(latest['d']).toEqual({ key: 'd', value: 0.7, timestamp: 10, step: 3 });
      expect(latest['e']!.value).toBeNaN();
      expect(latest['big']).toEqual({ key: 'big', value: 1, timestamp: 9223372036854775807n, step: 9007199254740993n });
      expect(readMetricHistory(db, runId, 'd').map((m) => [m.timestamp, m.value])).toEqual([
        [9, 0.9],
        [10, 0.1],
        [10, 0.5],
        [10, 0.7],
      ]);
    } finally {
      db.close();
    }
  });

  it('params are immutable, tags replace, mlflow.runName renames', () => {
    const file = copyDb();
    withWriter(file, (db) => {
      const run = createRun(db, { experimentId: '1', runName: 'p' }, ctx);
      logParam(db, run.run_id, 'lr', '0.1');
      logParam(db, run.run_id, 'lr', '0.1');
      expect(() => logParam(db, run.run_id, 'lr', '0.2')).toThrow(
        `Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='${run.run_id}'. Attempted logging new value '0.2'.`,
      );
      setTag(db, run.run_id, 'team', 'a');
      setTag(db, run.run_id, 'team', 'b');
      setTag(db, run.run_id, 'mlflow.runName', 'renamed');
      setTag(db, run.run_id, 'mlflow.runName', ''); // MLflow: `if run_name:` — nothing happens
      deleteTag(db, run.run_id, 'team');
      expect(() => deleteTag(db, run.run_id, 'team')).toThrow(`No tag with name: team in run with id ${run.run_id}`);
      const got = getRun(db, run.run_id);
      expect(got.info.run_name).toBe('renamed');
      expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
      expect(got.data.tags).toEqual([{ key: 'mlflow.runName', value: 'renamed' }]);
      updateRunInfo(db, run.run_id, { status: 'FINISHED', endTime: T + 5 });
      expect(getRun(db, run.run_id).info).toMatchObject({ status: 'FINISHED', end_time: T + 5 });
    });
  });

  it('log_batch checks everything first and writes in one transaction', () => {
    const file = copyDb();
    withWriter(file, (db) => {
      const run = createRun(db, { experimentId: '1', runName: 'b' }, ctx);
      logParam(db, run.run_id, 'lr', '0.1');
      expect(() =>
        logBatch(db, run.run_id, {
          params: [
            { key: 'lr', value: '0.2' },
            { key: 'new', value: 'x' },
          ],
          metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
        }),
      ).toThrow(
        `Changing param values is not allowed. Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.2'}]' for run ID='${run.run_id}'.`,
      );
      // nothing of the refused batch was written
      expect(getRun(db, run.run_id).data.params).toEqual([{ key: 'lr', value: '0.1' }]);
      expect(getRun(db, run.run_id).data.metrics).toEqual([]);
      expect(() =>
        logBatch(db, run.run_id, {
          params: [
            { key: 'x', value: '1' },
            { key: 'x', value: '1' },
          ],
        }),
      ).toThrow(/Duplicate parameter keys/);
      logBatch(db, run.run_id, {
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'bs', value: '32' },
        ],
        metrics: [{ key: 'm', value: 2, timestamp: 1, step: 0 }],
        tags: [
          { key: 'mlflow.runName', value: 'batch-named' },
          { key: 'k', value: 'v' },
        ],
      });
      const got = getRun(db, run.run_id);
      expect(got.info.run_name).toBe('batch-named');
      expect(got.data.params.map((p) => p.key)).toEqual(['bs', 'lr']);
      expect(got.data.metrics).toEqual([{ key: 'm', value: 2, timestamp: 1, step: 0 }]);
    });
  });

  it('deletes and restores runs and experiments, with deleted_time', () => {
    const file = copyDb();
    withWriter(file, (db) => {
      const [first] = listRunInfos(db, ['2']);
      deleteRun(db, first!.run_id, ctx);
      expect(rows(file, 'SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?', first!.run_id)).toEqual([
        { lifecycle_stage: "'deleted'", deleted_time: String(T) },
      ]);
      expect(() => setTag(db, first!.run_id, 'a', 'b')).toThrow(`The run ${first!.run_id} must be in the 'active' state. Current state is deleted.`);
      restoreRun(db, first!.run_id, ctx);
      expect(rows(file, 'SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?', first!.run_id)).toEqual([
        { lifecycle_stage: "'active'", deleted_time: 'NULL' },
      ]);
      deleteExperiment(db, '2', { now: () => T + 1 });
      expect(rows(file, 'SELECT DISTINCT lifecycle_stage, deleted_time FROM runs WHERE experiment_id = 2')).toEqual([
        { lifecycle_stage: "'deleted'", deleted_time: String(T + 1) },
      ]);
      expect(findExperiment(db, '2')).toMatchObject({ lifecycle_stage: 'deleted', last_update_time: T + 1 });
      expect(() => deleteExperiment(db, '2')).toThrow('No Experiment with id=2 exists');
      restoreExperiment(db, '2', ctx);
      expect(rows(file, 'SELECT DISTINCT lifecycle_stage, deleted_time FROM runs WHERE experiment_id = 2')).toEqual([
        { lifecycle_stage: "'active'", deleted_time: 'NULL' },
      ]);
    });
  });

  it('logs dataset inputs: datasets reused by name and digest, one input per run, input tags', () => {
    const file = copyDb();
    withWriter(file, (db) => {
      const run = createRun(db, { experimentId: '1', runName: 'd' }, ctx);
      const input = {
        dataset: { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "/data"}', schema: null, profile: '{"num_rows": 10}' },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      };
      logInputs(db, run.run_id, [input, input]);
      logInputs(db, run.run_id, [input]);
      expect(rows(file, "SELECT count(*) AS n FROM datasets WHERE name = 'train'")).toEqual([{ n: '1' }]);
      expect(rows(file, 'SELECT source_type, destination_type, length(input_uuid) AS l FROM inputs WHERE destination_id = ?', run.run_id)).toEqual([
        { source_type: "'DATASET'", destination_type: "'RUN'", l: '32' },
      ]);
      expect(loadDatasetInputs(db, [run.run_id]).get(run.run_id)).toEqual([input]);
    });
  });
});

describe.skipIf(!HAS_CONFORMANCE)('registry writes', () => {
  it('numbers versions, archives, aliases, redacts deleted versions, renames and deletes', () => {
    const file = copyDb();
    withWriter(file, (db) => {
      createRegisteredModel(db, 'clf', { tags: [{ key: 'k', value: 'v' }], description: 'd' }, ctx);
      expect(() => createRegisteredModel(db, 'clf')).toThrow('Registered Model (name=clf) already exists.');
      const v1 = createModelVersion(db, 'clf', { source: 's1', runId: 'r1' }, ctx);
      const v2 = createModelVersion(db, 'clf', { source: 's2', runId: 'r2', tags: [{ key: 't', value: '1' }] }, ctx);
      expect([v1.version, v2.version]).toEqual(['1', '2']);
      expect(v1).toMatchObject({ current_stage: 'None', status: 'READY', storage_location: 's1', creation_timestamp: T, user_id: null });
      transitionModelVersionStage(db, 'clf', '1', 'production', false, ctx);
      transitionModelVersionStage(db, 'clf', '2', 'Production', true, { now: () => T + 1 });
      expect(getModelVersion(db, 'clf', '1')).toMatchObject({ current_stage: 'Archived', last_updated_timestamp: T + 1 });
      expect(() => transitionModelVersionStage(db, 'clf', '2', 'None', true)).toThrow(
        "Model version transition cannot archive existing model versions because 'None' is not an Active stage. Valid stages are ['Staging', 'Production']",
      );
      setRegisteredModelAlias(db, 'clf', 'champion', '2');
      setModelVersionTag(db, 'clf', '2', 'u', '2');
      setRegisteredModelTag(db, 'clf', 'k', 'w');
      deleteModelVersion(db, 'clf', '2', ctx);
      expect(rows(file, "SELECT current_stage, source, run_id, run_link, description FROM model_versions WHERE name = 'clf' AND version = 2")).toEqual([
        {
          current_stage: "'Deleted_Internal'",
          source: "'REDACTED-SOURCE-PATH'",
          run_id: "'REDACTED-RUN-ID'",
          run_link: "'REDACTED-RUN-LINK'",
          description: 'NULL',
        },
      ]);
      expect(() => getModelVersion(db, 'clf', '2')).toThrow('Model Version (name=clf, version=2) not found');
      expect(getRegisteredModel(db, 'clf').aliases).toEqual([]);
      // a deleted version still counts: the next one is 3
      expect(createModelVersion(db, 'clf', { source: 's3' }, ctx).version).toBe('3');
      renameRegisteredModel(db, 'clf', 'classifier', ctx);
      expect(listModelVersions(db, 'classifier').map((v) => v.version)).toEqual(['1', '3']);
      expect(getRegisteredModel(db, 'classifier').tags).toEqual([{ key: 'k', value: 'w' }]);
      expect(rows(file, "SELECT count(*) AS n FROM model_version_tags WHERE name = 'classifier'")).toEqual([{ n: '2' }]);
      deleteRegisteredModel(db, 'classifier');
      for (const t of ['registered_models', 'model_versions', 'model_version_tags', 'registered_model_tags']) {
        expect(rows(file, `SELECT count(*) AS n FROM ${t} WHERE name IN ('clf', 'classifier')`), t).toEqual([{ n: '0' }]);
      }
    });
  });
});

describe.skipIf(!HAS_CONFORMANCE)('schema heads', () => {
  it('refuses to write an unknown head, and reads it best-effort with one warning', () => {
    const file = copyDb();
    const raw = new Database(file);
    raw.exec("UPDATE alembic_version SET version_num = 'fffffffff999'");
    raw.close();
    expect(() => openForWrite(file)).toThrow(/refusing to write: its alembic head fffffffff999 is not one mlr knows/);
    const warnings: string[] = [];
    const db = openForRead(file, { warn: (m) => warnings.push(m) });
    expect(listRunInfos(db, ['1']).length).toBeGreaterThan(0);
    db.close();
    expect(warnings).toEqual([expect.stringContaining('alembic head fffffffff999 is newer than mlr knows')]);
  });
});

describe.skipIf(!HAS_CONFORMANCE)('a new database', () => {
  it("has MLflow 2.12's schema exactly, stamped acf3f17fdcc7, with experiment 0 as MLflow creates it", () => {
    const file = path.join(tempDir(), 'new.db');
    const db = openOrCreate(file, { artifactRoot: '/home/ana/cv-project/mlruns', now: () => 1796179994130 });
    expect(db.head).toBe('acf3f17fdcc7');
    db.close();
    const master = (f: string) => rows(f, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid');
    expect(master(file)).toEqual(master(CONFORMANCE_DB));
    const exp0 = (f: string) => rows(f, 'SELECT * FROM experiments WHERE experiment_id = 0');
    expect(exp0(file)).toEqual(exp0(CONFORMANCE_DB));
    expect(rows(file, 'SELECT * FROM alembic_version')).toEqual(rows(CONFORMANCE_DB, 'SELECT * FROM alembic_version'));
    // opening it again changes nothing; an empty file is initialised like a missing one
    const again = openOrCreate(file, { artifactRoot: '/elsewhere' });
    again.close();
    expect(exp0(file)).toEqual(exp0(CONFORMANCE_DB));
    const empty = path.join(tempDir(), 'empty.db');
    fs.writeFileSync(empty, '');
    openOrCreate(empty, { artifactRoot: '/x' }).close();
    expect(master(empty)).toEqual(master(CONFORMANCE_DB));
    expect(() => openOrCreate(path.join(tempDir(), 'no', 'such', 'dir.db'), { artifactRoot: '/x' })).toThrow(/does not exist/);
  });
});
