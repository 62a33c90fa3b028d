/**
 * The edge cases real MLflow 2.12 wrote and answered (fixtures/conformance/edge, copied from
 * shared/conformance/edge): -0.0, steps and timestamps at 2^53+1 and 2^63-1, exact
 * (step, timestamp) ties with NaN first or last, equal values and +inf. Values are compared
 * as Python's repr, steps and timestamps as exact integers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonExact, type JsonValue } from '../../src/json.js';
import { mlr, REPO } from '../helpers.js';

const EDGE = path.join(REPO, 'fixtures', 'conformance', 'edge');
const STORE = path.join(EDGE, 'mlruns');
interface Point {
  value: string;
  step: string;
  timestamp: string;
}
const expected = JSON.parse(fs.readFileSync(path.join(EDGE, 'expected.json'), 'utf8')) as {
  runs: Record<string, { run_id: string; latest: Record<string, Point> }>;
  histories: Record<string, Point[]>;
  queries: { filter: string; order_by: string[]; run_names: string[] }[];
};

/** A JSON metric value as Python's repr would print it (mlr writes non-finite values as strings). */
function repr(v: JsonValue): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'number') throw new Error(`not a metric value: ${String(v)}`);
  if (v === 0 && 1 / v < 0) return '-0.0';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

async function json(args: string[]): Promise<JsonValue> {
  const r = await mlr(['--store', STORE, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return parseJsonExact(r.stdout);
}

function point(m: JsonValue): Point {
  const o = m as Record<string, JsonValue>;
  return { value: repr(o['value']!), step: String(o['step']), timestamp: String(o['timestamp']) };
}

describe('edge cases MLflow 2.12 answered', () => {
  it.each(Object.entries(expected.runs))('%s: the latest value of every metric, as MLflow reports it', async (_name, run) => {
    const got = (await json(['runs', 'describe', run.run_id, '--format', 'json'])) as { data: { metrics: JsonValue[] } };
    const latest = Object.fromEntries(got.data.metrics.map((m) => [(m as { key: string }).key, point(m)]));
    expect(latest).toEqual(run.latest);
  });

  it.each(Object.entries(expected.histories))("%s: the history, in MLflow's order, steps and timestamps exact", async (name, history) => {
    const run = expected.runs[name]!;
    const key = Object.keys(run.latest)[0]!;
    const got = (await json(['metrics', 'history', run.run_id, key, '--format', 'json'])) as JsonValue[];
    expect(got.map(point)).toEqual(history);
  });

  it.each(expected.queries.map((q) => [`${q.filter || '(no filter)'} / ${q.order_by.join(', ')}`, q] as const))('%s', async (_label, q) => {
    const args = ['runs', 'ls', '--view', 'all', '--format', 'json', ...q.order_by.flatMap((o) => ['--order-by', o])];
    if (q.filter) args.push('--filter', q.filter);
    const got = (await json(args)) as { info: { run_name: string } }[];
    expect(got.map((r) => r.info.run_name)).toEqual(q.run_names);
  });

  it('CSV and TSV keep the sign of -0 and every digit of an int64 step', async () => {
    const run = expected.runs['negzero']!.run_id;
    expect((await mlr(['--store', STORE, 'metrics', 'history', run, 'z', '--format', 'csv'])).stdout).toBe('step,value,timestamp\n0,-0,1700000000000\n');
    const max = expected.runs['max-step']!.run_id;
    expect((await mlr(['--store', STORE, 'metrics', 'history', max, 's', '--format', 'tsv'])).stdout).toBe(
      'step\tvalue\ttimestamp\n9223372036854775807\t3\t1700000000000\n9223372036854774807\t4\t1700000000000\n',
    );
    const ls = await mlr([
      '--store',
      STORE,
      'runs',
      'ls',
      '--format',
      'csv',
      '--columns',
      'run_name,metrics.z',
      '--filter',
      'metrics.z = 0',
      '--order-by',
      'run_name',
    ]);
    expect(ls.stdout).toBe('run_name,metrics.z\nnegzero,-0\nnegzero-after-zero,-0\n');
  });
});
