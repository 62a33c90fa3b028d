/**
 * Reading MLflow databases: every run and experiment of the conformance database as real
 * MLflow 2.12's SQL store reports them, the three schema eras of the corpus, and reads
 * that leave the file byte-identical with no journal created.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openForRead, snapshot, type MlflowDb } from '../../src/store/sqlite/db.js';
import { getRun, listExperiments, listRunInfos, listRuns, metricHistory, metricHistoryLengths, readMetricHistory } from '../../src/store/sqlite/read.js';
import { listLoggedModels, listRegisteredModels, getModelVersionByAlias } from '../../src/store/sqlite/registry.js';
import { CONFORMANCE_DIR, HAS_CONFORMANCE, SKIP_REASON, cleanTemps, copyDb, corpusDbs, plain, sha256, sidecars, tempDir } from './helpers.js';

afterAll(cleanTemps);

interface ExpectedRun {
  info: Record<string, unknown>;
  data: { metrics: unknown[]; params: unknown[]; tags: unknown[] };
  metric_history_lengths: Record<string, number>;
}

const expected = HAS_CONFORMANCE
  ? (JSON.parse(fs.readFileSync(`${CONFORMANCE_DIR}/expected.json`, 'utf8')) as {
      runs: Record<string, ExpectedRun>;
      experiments: Record<string, unknown>[];
    })
  : undefined;

function withDb<T>(file: string, fn: (db: MlflowDb) => T): T {
  const db = openForRead(file);
  try {
    return snapshot(db, () => fn(db));
  } finally {
    db.close();
  }
}

describe.skipIf(!HAS_CONFORMANCE)('conformance database (MLflow 2.12)', () => {
  it('reports every run exactly as MLflow does, field by field', () => {
    withDb(copyDb(), (db) => {
      const ids = listExperiments(db, 'all').map((e) => e.experiment_id);
      const runs = listRuns(db, ids, 'all');
      expect(runs.length).toBe(Object.keys(expected!.runs).length);
      for (const run of runs) {
        const want = expected!.runs[run.info.run_id];
        expect(want, run.info.run_id).toBeDefined();
        expect(plain(run.info), run.info.run_id).toEqual(want!.info);
        expect(plain(run.data.metrics), `${run.info.run_id} metrics`).toEqual(want!.data.metrics);
        expect(run.data.params, `${run.info.run_id} params`).toEqual(want!.data.params);
        expect(run.data.tags, `${run.info.run_id} tags`).toEqual(want!.data.tags);
        expect(Object.fromEntries(metricHistoryLengths(db, run.info.run_id))).toEqual(want!.metric_history_lengths);
      }
    });
  });

  it('reports every experiment, active and deleted, in MLflow order', () => {
    withDb(copyDb(), (db) => {
      expect(plain(listExperiments(db, 'all'))).toEqual(expected!.experiments);
      expect(listExperiments(db, 'deleted').map((e) => e.name)).toEqual(['old-exp']);
    });
  });

  it("getRun agrees with the listing, and an unknown run is MLflow's not-found", () => {
    withDb(copyDb(), (db) => {
      const [first] = listRunInfos(db, ['1']);
      expect(getRun(db, first!.run_id).info).toEqual(first);
      expect(() => getRun(db, 'nope')).toThrow('Run with id=nope not found');
    });
  });

  it('streams metric history in chunks, in the order MLflow returns it', () => {
    withDb(copyDb(), (db) => {
      const [run] = Object.entries(expected!.runs).filter(([, r]) => (r.metric_history_lengths['val_loss'] ?? 0) > 10);
      const [id, want] = run!;
      const chunks = [...metricHistory(db, id, 'val_loss', 4)];
      expect(chunks.length).toBe(Math.ceil(want.metric_history_lengths['val_loss']! / 4));
      const all = readMetricHistory(db, id, 'val_loss');
      expect(chunks.flat()).toEqual(all);
      const order = all.map((m) => [m.timestamp, m.step, m.value]);
      const sorted = [...order].sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]));
      expect(order).toEqual(sorted);
    });
  });

  it('reads the registry: models, latest versions per stage, aliases, tags', () => {
    withDb(copyDb(), (db) => {
      const models = listRegisteredModels(db);
      expect(models.map((m) => m.name)).toEqual(['resnet-classifier', 'summarizer']);
      const rc = models[0]!;
      expect(rc.description).toBe('Best sweep models');
      expect(rc.tags).toEqual([{ key: 'task', value: 'vision' }]);
      expect(rc.aliases).toEqual([{ alias: 'champion', version: '2' }]);
      expect(rc.latest_versions.map((v) => [v.version, v.current_stage])).toEqual([
        ['1', 'Archived'],
        ['3', 'None'],
      ]);
      expect(getModelVersionByAlias(db, 'resnet-classifier', 'champion').aliases).toEqual(['champion']);
      expect(listLoggedModels(db)).toEqual([]);
    });
  });
});

describe('corpus databases (three schema eras)', () => {
  const dbs = corpusDbs();
  it.skipIf(dbs.length === 0)(`lists every run of each without crashing${dbs.length === 0 ? ` (${SKIP_REASON})` : ''}`, () => {
    const seen: Record<string, { head: string | null; runs: number; withHistory: number }> = {};
    for (const file of dbs) {
      withDb(copyDb(file), (db) => {
        const ids = listExperiments(db, 'all').map((e) => e.experiment_id);
        const runs = listRuns(db, ids, 'all');
        let withHistory = 0;
        for (const r of runs) {
          for (const m of r.data.metrics) {
            if (readMetricHistory(db, r.info.run_id, m.key).length > 0) withHistory++;
          }
        }
        listRegisteredModels(db, { includePrompts: true });
        listLoggedModels(db);
        seen[file.split('/').pop()!.slice(0, 12)] = { head: db.head, runs: runs.length, withHistory };
      });
    }
    expect(Object.values(seen).map((s) => [s.head, s.runs])).toEqual([
      ['5b0e9adcef9c', 17],
      ['bf29a5ff90ea', 13],
      ['bd07f7e963c5', 16],
    ]);
  });

  it.skipIf(dbs.length === 0)('reads MLflow 3 logged models where present', () => {
    const v3 = dbs.find((f) => f.includes('2025-2-productos'))!;
    withDb(copyDb(v3), (db) => {
      const models = listLoggedModels(db);
      expect(models.length).toBe(8);
      expect(models.every((m) => m.status === 'READY' || m.status === 'PENDING' || m.status === 'FAILED')).toBe(true);
    });
  });

  it.skipIf(dbs.length === 0 || !HAS_CONFORMANCE)('leaves each file byte-identical and creates no journal', () => {
    for (const src of [...dbs, copyDb()]) {
      const file = copyDb(src);
      const before = sha256(file);
      const mtime = fs.statSync(file).mtimeMs;
      withDb(file, (db) => {
        const ids = listExperiments(db, 'all').map((e) => e.experiment_id);
        for (const r of listRuns(db, ids, 'all')) for (const m of r.data.metrics) readMetricHistory(db, r.info.run_id, m.key);
        listRegisteredModels(db);
      });
      expect(sha256(file)).toBe(before);
      expect(fs.statSync(file).mtimeMs).toBe(mtime);
      expect(sidecars(file)).toEqual([]);
    }
  });
});

describe('what is not an MLflow database', () => {
  it('an Optuna-like database (alembic_version, no runs) gets a clear error', async () => {
    const Database = (await import('better-sqlite3')).default;
    const dir = tempDir();
    const optuna = `${dir}/optuna.db`;
    const raw = new Database(optuna);
    raw.exec(
      "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO alembic_version VALUES ('v3.2.0.a'); CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name TEXT); CREATE TABLE trials (trial_id INTEGER PRIMARY KEY)",
    );
    raw.close();
    expect(() => openForRead(optuna)).toThrow(
      /is not an MLflow tracking database: it has no MLflow experiments and runs table \(alembic head v3\.2\.0\.a, tables: alembic_version, studies, trials\)/,
    );
    const text = `${dir}/notes.db`;
    fs.writeFileSync(text, 'hello, this is not sqlite at all'.repeat(40));
    expect(() => openForRead(text)).toThrow(/is not a SQLite database/);
    expect(() => openForRead(`${dir}/missing.db`)).toThrow(/does not exist/);
  });
});
