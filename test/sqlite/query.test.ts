/**
 * Search pushed down to SQL against MLflow 2.12's own answers from the conformance
 * database: every query of queries.json gives the same ordered run ids, or MLflow's error.
 * Plus the SQL store's rules the file store lacks (duplicate order-by fields, paging).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForRead, snapshot, type MlflowDb } from '../../src/store/sqlite/db.js';
import { searchRunIds, searchRuns, nextPageOffset } from '../../src/store/sqlite/query.js';
import { listExperiments } from '../../src/store/sqlite/read.js';
import type { ViewType } from '../../src/store/types.js';
import { CONFORMANCE_DIR, HAS_CONFORMANCE, cleanTemps, copyDb } from './helpers.js';

interface Query {
  id: string;
  experiments: string[] | null;
  filter: string;
  order_by: string[];
  view: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  max_results: number;
}
type Expected = { id: string; run_ids: string[] } | { id: string; error: string };

const VIEW: Record<Query['view'], ViewType> = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' };

const queries: Query[] = HAS_CONFORMANCE ? JSON.parse(fs.readFileSync(`${CONFORMANCE_DIR}/queries.json`, 'utf8')) : [];
const expected = new Map<string, Expected>(
  HAS_CONFORMANCE ? (JSON.parse(fs.readFileSync(`${CONFORMANCE_DIR}/expected.json`, 'utf8')) as { queries: Expected[] }).queries.map((e) => [e.id, e]) : [],
);

let db: MlflowDb;
beforeAll(() => {
  if (HAS_CONFORMANCE) db = openForRead(copyDb());
});
afterAll(() => {
  db?.close();
  cleanTemps();
});

/** The experiment ids a query names (null: every active experiment, as the generator did). */
function experimentIds(q: Query): string[] {
  const all = listExperiments(db, 'all');
  if (q.experiments === null) return listExperiments(db, 'active').map((e) => e.experiment_id);
  return q.experiments.map((name) => all.find((e) => e.name === name)!.experiment_id);
}

function run(q: Query): string[] {
  return snapshot(db, () =>
    searchRunIds(db, {
      experimentIds: experimentIds(q),
      filter: q.filter === '' ? undefined : q.filter,
      orderBy: q.order_by,
      view: VIEW[q.view],
      maxResults: q.max_results,
    }),
  );
}

describe.skipIf(!HAS_CONFORMANCE)('conformance with MLflow 2.12 SqlAlchemyStore.search_runs', () => {
  it('covers every query, each with an expected answer', () => {
    expect(queries.length).toBe(73);
    for (const q of queries) expect(expected.has(q.id), q.id).toBe(true);
  });

  it.each(queries.map((q) => [q.id, q.filter, q] as const))('%s %s', (id, _filter, q) => {
    const want = expected.get(id)!;
    if ('run_ids' in want) {
      expect(run(q)).toEqual(want.run_ids);
    } else {
      const reason = want.error.replace(/^MlflowException: /, '');
      let message = '';
      try {
        run(q);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message.startsWith(reason), `${message}\n  should start with\n${reason}`).toBe(true);
    }
  });
});

describe.skipIf(!HAS_CONFORMANCE)('SQL store rules', () => {
  it("refuses an order-by key given twice, as MLflow's SQL store does", () => {
    expect(() => searchRunIds(db, { experimentIds: ['1'], orderBy: ['metrics.val_loss', 'metrics.val_loss DESC'] })).toThrow(
      "`order_by` contains duplicate fields: ['metrics.val_loss', 'metrics.val_loss DESC']",
    );
    expect(() => searchRunIds(db, { experimentIds: ['1'], orderBy: ['created', 'attributes.start_time'] })).toThrow('duplicate fields');
  });

  it('pages with offsets; a full page always offers a next one', () => {
    const all = searchRunIds(db, { experimentIds: ['1'], orderBy: ['metrics.val_loss ASC'] });
    const pages: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const search = { experimentIds: ['1'], orderBy: ['metrics.val_loss ASC'], maxResults: 7, offset };
      const page = searchRunIds(db, search);
      pages.push(...page);
      offset = nextPageOffset(search, page.length);
    }
    expect(pages).toEqual(all);
    expect(() => searchRunIds(db, { experimentIds: ['1'], maxResults: 50001 })).toThrow(
      'Invalid value for request parameter max_results. It must be at most 50000, but got value 50001',
    );
  });

  it('returns complete runs in the same order, and exact int64 comparisons', () => {
    const runs = searchRuns(db, { experimentIds: ['1'], filter: 'attributes.start_time >= 1700000600000', orderBy: ['params.lr'] });
    expect(runs.map((r) => r.info.run_id)).toEqual(
      searchRunIds(db, { experimentIds: ['1'], filter: 'attributes.start_time >= 1700000600000', orderBy: ['params.lr'] }),
    );
    expect(runs.every((r) => r.data.tags.length > 0)).toBe(true);
    // 2^63-1 is beyond a double: compared exactly, nothing starts after it
    expect(searchRunIds(db, { experimentIds: ['1'], filter: 'attributes.start_time >= 9223372036854775807' })).toEqual([]);
    expect(searchRunIds(db, { experimentIds: ['1'], filter: 'attributes.start_time < 99999999999999999999' }).length).toBeGreaterThan(0);
  });
});
