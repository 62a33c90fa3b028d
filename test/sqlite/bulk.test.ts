/**
 * Listing many runs: one query per kind of data, whatever the number of runs. How fast that
 * is belongs in `npm run bench` (scenario q, on the 10,000-run store migrated into SQLite);
 * here, that the bulk paths (one query per kind of data) give whole, right answers.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openForRead, snapshot, writeTransaction } from '../../src/store/sqlite/db.js';
import { searchRunIds } from '../../src/store/sqlite/query.js';
import { listRunInfos, listRuns, loadRunData } from '../../src/store/sqlite/read.js';
import { openOrCreate } from '../../src/store/sqlite/schema.js';
import { newRunId } from '../../src/store/names.js';
import { cleanTemps, tempDir } from './helpers.js';

afterAll(cleanTemps);

const RUNS = 2_000;

/** A database with RUNS runs in experiment 1, each with 5 params, 5 tags and 3 latest metrics. */
function bigDb(): string {
  const file = path.join(tempDir(), 'big.db');
  const db = openOrCreate(file, { artifactRoot: '/tmp/art', now: () => 1 });
  writeTransaction(db, () => {
    db.sql.prepare("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage) VALUES (1, 'big', '/tmp/art/1', 'active')").run();
    const run = db.sql.prepare(
      "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'UNKNOWN', '', '', 'u', 'FINISHED', ?, ?, '', 'active', '', 1)",
    );
    const param = db.sql.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
    const tag = db.sql.prepare('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
    const metric = db.sql.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, 1, 0, 0, ?)');
    for (let i = 0; i < RUNS; i++) {
      const id = newRunId();
      run.run(id, `run-${i}`, BigInt(1_700_000_000_000 + i), BigInt(1_700_000_000_500 + i));
      for (let k = 0; k < 5; k++) param.run(`p${k}`, String((i * 7 + k) % 13), id);
      for (let k = 0; k < 4; k++) tag.run(`t${k}`, `v${(i + k) % 5}`, id);
      tag.run('mlflow.runName', `run-${i}`, id);
      for (let k = 0; k < 3; k++) metric.run(`m${k}`, ((i * 31 + k) % 1000) / 1000, id);
    }
  });
  db.close();
  return file;
}

describe(`${RUNS} runs`, () => {
  const file = bigDb();

  it('the columns a table shows, complete runs, a filtered top 20 and every id sorted by a metric', () => {
    const db = openForRead(file);
    try {
      snapshot(db, () => {
        {
          const infos = listRunInfos(db, ['1']);
          const data = loadRunData(
            db,
            infos.map((i) => i.run_id),
            { metrics: ['m0'], params: ['p1'], tags: [] },
          );
          expect(data.get(infos[0]!.run_id)!.metrics.length).toBe(1);
          expect(infos.length).toBe(RUNS);
        }
        {
          const runs = listRuns(db, ['1']);
          expect(runs.length).toBe(RUNS);
          expect(runs[0]!.data.params.length).toBe(5);
        }
        {
          const ids = searchRunIds(db, { experimentIds: ['1'], filter: "params.p1 = '3' and metrics.m0 < 0.5", orderBy: ['metrics.m2 DESC'], maxResults: 20 });
          expect(ids.length).toBe(20);
        }
        {
          expect(searchRunIds(db, { experimentIds: ['1'], orderBy: ['metrics.m0 ASC'], maxResults: 50_000 }).length).toBe(RUNS);
        }
      });
    } finally {
      db.close();
    }
  });
});
