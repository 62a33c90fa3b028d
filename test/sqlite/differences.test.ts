/**
 * The SQL-store side of docs/backends.md ("Where MLflow's file store and SQL store
 * differ"), each row checked on a copy of the conformance database.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForWrite, type MlflowDb } from '../../src/store/sqlite/db.js';
import { nextPageOffset, searchRunIds } from '../../src/store/sqlite/query.js';
import { readMetricHistory } from '../../src/store/sqlite/read.js';
import { createExperiment, createRun, logMetrics, setTag } from '../../src/store/sqlite/write.js';
import { HAS_CONFORMANCE, cleanTemps, copyDb } from './helpers.js';

let db: MlflowDb;
let exp: string;
const ids: Record<string, string> = {};

beforeAll(() => {
  if (!HAS_CONFORMANCE) return;
  db = openForWrite(copyDb());
  exp = createExperiment(db, 'differences', '/tmp/art');
  const run = (name: string, start: number) => (ids[name] = createRun(db, { experimentId: exp, runName: name, startTime: start }).run_id);
  run('nan', 3);
  run('pos', 2);
  run('neg', 1);
  logMetrics(db, ids['nan']!, [{ key: 'x', value: 'nan', timestamp: 1, step: 0 }]);
  logMetrics(db, ids['pos']!, [{ key: 'x', value: 0.5, timestamp: 1, step: 0 }]);
  logMetrics(db, ids['neg']!, [{ key: 'x', value: -0.5, timestamp: 1, step: 0 }]);
  setTag(db, ids['pos']!, 'who', 'Émile');
  setTag(db, ids['neg']!, 'who', 'a.b');
});
afterAll(() => {
  db?.close();
  cleanTemps();
});

const find = (filter: string, orderBy: string[] = []) =>
  searchRunIds(db, { experimentIds: [exp], filter, orderBy }).map((id) => Object.keys(ids).find((k) => ids[k] === id));

describe.skipIf(!HAS_CONFORMANCE)('SQL store semantics that the file store does not share', () => {
  it('a NaN metric compares as its stored 0', () => {
    expect(find('metrics.x < 1')).toEqual(['nan', 'pos', 'neg']);
    expect(find('metrics.x = 0')).toEqual(['nan']);
    expect(find('metrics.x != 0')).toEqual(['pos', 'neg']);
    // ordering still puts NaN after real values, in both directions
    expect(find('', ['metrics.x ASC'])).toEqual(['neg', 'pos', 'nan']);
    expect(find('', ['metrics.x DESC'])).toEqual(['pos', 'neg', 'nan']);
  });

  it('LIKE is SQL LIKE (no regex), ILIKE folds ASCII only', () => {
    expect(find("tags.who LIKE '%.%'")).toEqual(['neg']);
    expect(find("tags.who LIKE 'a_b'")).toEqual(['neg']);
    expect(find("tags.who ILIKE 'émile'")).toEqual([]);
    expect(find("tags.who ILIKE 'ÉMILE'")).toEqual(['pos']);
    expect(find("tags.who LIKE 'A.B'")).toEqual([]);
  });

  it('run_name filters on the mlflow.runName tag, ordering uses runs.name', () => {
    const raw = new Database(db.path);
    raw.prepare("UPDATE tags SET value = 'tagged' WHERE run_uuid = ? AND key = 'mlflow.runName'").run(ids['neg']);
    raw.close();
    expect(find("attributes.run_name = 'tagged'")).toEqual(['neg']);
    expect(find("attributes.run_name = 'neg'")).toEqual([]);
    expect(find('', ['attributes.run_name DESC'])).toEqual(['pos', 'neg', 'nan']);
  });

  it('an exact duplicate metric is one row; history is by timestamp, step, value', () => {
    logMetrics(db, ids['pos']!, [
      { key: 'h', value: 3, timestamp: 20, step: 0 },
      { key: 'h', value: 1, timestamp: 10, step: 5 },
      { key: 'h', value: 1, timestamp: 10, step: 5 },
    ]);
    expect(readMetricHistory(db, ids['pos']!, 'h').map((m) => [m.timestamp, m.step, m.value])).toEqual([
      [10, 5, 1],
      [20, 0, 3],
    ]);
  });

  it('an experiment id given twice counts once; a full page always offers a next one', () => {
    expect(searchRunIds(db, { experimentIds: [exp, exp] }).length).toBe(3);
    const search = { experimentIds: [exp], maxResults: 3 };
    expect(nextPageOffset(search, searchRunIds(db, search).length)).toBe(3);
    expect(searchRunIds(db, { ...search, offset: 3 })).toEqual([]);
  });
});
