/**
 * Issue 3 "done when": every query of the conformance set (queries.json, written against
 * MLflow 2.12) goes through the CLI (in-process) as `mlr runs ls … --format ids`, and the answer
 * is MLflow's (expected.json): the same run ids in the same order, or exit 2 with MLflow's
 * reason in the message. 100 %, no skip list. fixtures/ holds copies of the store and of
 * both JSON files, so this runs without ../shared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, REPO, runMlr, type CliResult } from '../helpers.js';

interface Query {
  id: string;
  experiments: string[] | null;
  filter: string;
  order_by: string[];
  view: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  max_results: number;
  extension?: unknown;
}
type Expected = { id: string; run_ids: string[] } | { id: string; error: string };

const dir = path.join(REPO, 'fixtures', 'conformance');
const queries = JSON.parse(fs.readFileSync(path.join(dir, 'queries.json'), 'utf8')) as Query[];
const expected = new Map((JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { queries: Expected[] }).queries.map((e) => [e.id, e]));

const VIEW = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' } as const;

/** The mlr command line for a query, as the conformance README maps it. */
export function argsFor(q: Query): string[] {
  const args = ['--store', FIXTURE, 'runs', 'ls', '--format', 'ids', '--view', VIEW[q.view], '--max-results', String(q.max_results)];
  for (const e of q.experiments ?? []) args.push('--experiment', e);
  if (q.filter !== '') args.push('--filter', q.filter);
  for (const o of q.order_by) args.push('--order-by', o);
  return args;
}

function run(args: string[]): Promise<CliResult> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MLFLOW_') && k !== 'MLR_FORCE_TTY' && k !== 'COLUMNS' && k !== 'FORCE_COLOR') env[k] ??= v;
  }
  return runMlr(args, env);
}

const results = new Map<string, CliResult>();

beforeAll(async () => {
  for (const q of queries) results.set(q.id, await run(argsFor(q)));
});

describe('conformance with MLflow 2.12 search_runs', () => {
  it('covers every query, each with an expected answer', () => {
    expect(queries.length).toBe(73);
    for (const q of queries) expect(expected.has(q.id), q.id).toBe(true);
  });

  it.each(queries.map((q) => [q.id, q.filter, q] as const))('%s %s', (id, _filter, q) => {
    const want = expected.get(id)!;
    const got = results.get(id)!;
    if ('run_ids' in want) {
      expect(got.stderr, `stderr of ${argsFor(q).join(' ')}`).toBe('');
      expect(got.code).toBe(0);
      expect(got.stdout.split('\n').filter((l) => l !== '')).toEqual(want.run_ids);
    } else {
      expect(got.code, got.stderr).toBe(2);
      expect(got.stdout).toBe('');
      // MLflow's reason, verbatim (minus the exception class), on mlr's first line
      const reason = want.error.replace(/^MlflowException: /, '');
      const first = got.stderr.split('\n')[0]!;
      expect(first.startsWith(`mlr: ${reason}`), `${first}\n  should start with\nmlr: ${reason}`).toBe(true);
      // and the expression with a caret under the offending part
      expect(got.stderr).toMatch(/\n {2}\S.*\n {2} *\^+\n$/);
    }
  });

  it('an extension query answers what MLflow answers for its equivalent', () => {
    const ext = queries.filter((q) => q.extension !== undefined);
    expect(ext.map((q) => q.id)).toEqual(['p018', 'p019', 'p034', 'p037', 'p066', 'p067']);
  });
});
