/**
 * The SQLite backend through the CLI (issue 12 "done when"): every conformance query of
 * MLflow 2.12's SQL store as `mlr --store sqlite:///… runs ls --format ids`, every run as
 * `runs describe --format json`, field by field as MLflow's SQL store reports it, and
 * reading leaves the database byte-identical. The same commands on the file store and on the
 * database give the same listing (where MLflow's two stores agree: see docs/backends.md).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../src/json.js';
import { mlr } from '../helpers.js';
import { CONFORMANCE_DB, CONFORMANCE_DIR } from './helpers.js';

interface Query {
  id: string;
  experiments: string[] | null;
  filter: string;
  order_by: string[];
  view: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  max_results: number;
}
type Expected = { id: string; run_ids: string[] } | { id: string; error: string };

const queries = JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, 'queries.json'), 'utf8')) as Query[];
const expected = JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, 'expected.json'), 'utf8')) as {
  queries: Expected[];
  runs: Record<string, { info: unknown; data: { metrics: unknown[]; params: unknown[]; tags: unknown[] } }>;
};
const byId = new Map(expected.queries.map((e) => [e.id, e]));
const STORE = `sqlite:///${CONFORMANCE_DB}`;
const VIEW = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' } as const;
const hash = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe("mlr on MLflow 2.12's SQLite database", () => {
  const before = hash(CONFORMANCE_DB);

  it.each(queries.map((q) => [q.id, q.filter, q] as const))('query %s %s', async (id, _f, q) => {
    const args = ['--store', STORE, 'runs', 'ls', '--format', 'ids', '--view', VIEW[q.view], '--max-results', String(q.max_results)];
    for (const e of q.experiments ?? []) args.push('--experiment', e);
    if (q.filter !== '') args.push('--filter', q.filter);
    for (const o of q.order_by) args.push('--order-by', o);
    const got = await mlr(args);
    const want = byId.get(id)!;
    if ('run_ids' in want) {
      expect(got.stderr).toBe('');
      expect(got.stdout.split('\n').filter((l) => l !== '')).toEqual(want.run_ids);
    } else {
      expect(got.code, got.stderr).toBe(2);
      expect(got.stderr.split('\n')[0]).toContain(
        want.error
          .replace(/^MlflowException: /, '')
          .split('\n')[0]!
          .slice(0, 40),
      );
    }
  });

  it("every run, as runs describe --format json, is the run MLflow's SQL store reports", async () => {
    const ids = Object.keys(expected.runs);
    expect(ids.length).toBe(76);
    for (const id of ids) {
      const r = await mlr(['--store', STORE, 'runs', 'describe', id, '--format', 'json']);
      expect(r.stderr).toBe('');
      const got = parseJsonExact(r.stdout) as { info: unknown; data: (typeof expected.runs)[string]['data'] };
      const want = expected.runs[id]!;
      expect(got.info).toEqual(want.info);
      expect(got.data).toEqual({ metrics: want.data.metrics, params: want.data.params, tags: want.data.tags });
    }
  });

  it('reading changes nothing: the database is byte-identical and no journal is left', () => {
    expect(hash(CONFORMANCE_DB)).toBe(before);
    expect(fs.readdirSync(path.dirname(CONFORMANCE_DB)).filter((f) => /-(journal|wal|shm)$/.test(f))).toEqual([]);
  });
});
