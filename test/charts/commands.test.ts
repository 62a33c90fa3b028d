/**
 * Unit tests for the command-side pieces: aggregate parsing and sorting, column controls,
 * tree building (cycles included), the --follow tail reader and x-axis helpers.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAggregate, parseAggregateOrderBy, sortByAggregates, type AggregateValue } from '../../src/commands/aggregates.js';
import { formatElapsed, MetricTail, parseMetricKeys } from '../../src/commands/plot.js';
import type { RunTable } from '../../src/commands/run-table.js';
import { applyColumnControls, buildTree, treePrefix } from '../../src/commands/table-controls.js';
import type { MetricLine } from '../../src/store/metrics.js';
import { Store, type RunEntry } from '../../src/store/store.js';
import { makeStore, runId } from './helpers.js';

const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

describe('parseAggregate', () => {
  const cases: [string, unknown][] = [
    ['min(metrics.val_loss)', { key: 'min(metrics.val_loss)', fn: 'min', metric: 'val_loss' }],
    [' ARGMIN( metric.val_loss ) ', { key: 'argmin(metrics.val_loss)', fn: 'argmin', metric: 'val_loss' }],
    ['mean(val_loss)', { key: 'mean(metrics.val_loss)', fn: 'mean', metric: 'val_loss' }],
    ['max(metrics.`train loss`)', { key: 'max(metrics.train loss)', fn: 'max', metric: 'train loss' }],
    ['spark(metrics."a.b")', { key: 'spark(metrics.a.b)', fn: 'spark', metric: 'a.b' }],
    ['metrics.val_loss', undefined],
    ['run_name', undefined],
  ];
  it.each(cases)('%s', (text, expected) => expect(parseAggregate(text)).toEqual(expected));

  it('throws usage errors for unknown functions and non-metric arguments', () => {
    expect(() => parseAggregate('median(metrics.x)')).toThrow(/unknown aggregate 'median'/);
    expect(() => parseAggregate('min(tags.x)')).toThrow(/min\(\) takes a metric/);
    expect(() => parseAggregate('min()')).toThrow(/min\(\) needs a metric/);
  });
});

describe('sortByAggregates', () => {
  const run = (id: string) => ({ info: { run_id: id } }) as RunEntry;
  const runs = ['a', 'b', 'c', 'd', 'e', 'f'].map(run);
  const vals = (m: Record<string, AggregateValue>) => new Map(Object.entries(m).map(([id, v]) => [id, new Map([['min(metrics.x)', v]])]));
  const values = vals({ a: 3, b: NaN, c: null, d: -Infinity, e: 3, f: 1 });
  const order = (clause: string) => sortByAggregates(runs, [parseAggregateOrderBy(clause)!], values).map((r) => r.info.run_id).join('');

  it('puts NaN after real values and missing last, in both directions, keeping ties stable', () => {
    expect(order('min(metrics.x)')).toBe('dfaebc');
    expect(order('min(metrics.x) DESC')).toBe('aefdbc');
  });

  it('applies several clauses with the first one dominating', () => {
    const two = new Map([...values].map(([id, m]) => [id, new Map([...m, ['max(metrics.y)', id === 'e' ? 9 : 0]])]));
    const sorted = sortByAggregates(runs, [parseAggregateOrderBy('min(metrics.x)')!, parseAggregateOrderBy('max(metrics.y) desc')!], two);
    expect(sorted.map((r) => r.info.run_id).join('')).toBe('dfeabc');
  });

  it('rejects a bad direction and sparklines', () => {
    expect(() => parseAggregateOrderBy('min(metrics.x) sideways')).toThrow("Invalid ordering key in order_by clause 'min(metrics.x) sideways'.");
    expect(() => parseAggregateOrderBy('spark(metrics.x)')).toThrow(/cannot order by a sparkline/);
    expect(parseAggregateOrderBy('metrics.x ASC')).toBeUndefined();
  });
});

describe('applyColumnControls', () => {
  const table: RunTable = {
    columns: [
      { key: 'run_name', kind: 'attr', name: 'run_name' },
      { key: 'params.lr', kind: 'param', name: 'lr' },
      { key: 'params.seed', kind: 'param', name: 'seed' },
      { key: 'metrics.acc', kind: 'metric', name: 'acc' },
      { key: 'metrics.nan', kind: 'metric', name: 'nan' },
    ],
    rows: [
      { run: {} as RunEntry, values: ['a', '0.1', '1', 0.5, NaN] },
      { run: {} as RunEntry, values: ['b', '0.2', '1', null, NaN] },
    ],
  };
  const keys = (t: RunTable) => t.columns.map((c) => c.key);

  it('hides unchanged data columns (NaN equals NaN, missing differs from a value)', () => {
    expect(keys(applyColumnControls(table, { onlyChanged: true }))).toEqual(['run_name', 'params.lr', 'metrics.acc']);
  });
  it('keeps what --keep matches over --drop and --only-changed, and hides other data columns', () => {
    expect(keys(applyColumnControls(table, { keep: ['seed'], drop: ['.*'] }))).toEqual(['params.seed']);
    expect(keys(applyColumnControls(table, { keep: ['^metrics\\.'] }))).toEqual(['run_name', 'metrics.acc', 'metrics.nan']);
    expect(keys(applyColumnControls(table, { drop: ['^params'] }))).toEqual(['run_name', 'metrics.acc', 'metrics.nan']);
  });
  it('moves the row values with their columns', () => {
    expect(applyColumnControls(table, { drop: ['params', 'nan'] }).rows.map((r) => r.values)).toEqual([
      ['a', 0.5],
      ['b', null],
    ]);
  });
});

describe('buildTree', () => {
  it('breaks parent cycles and keeps self-parented runs at the top', () => {
    const root = makeStore([
      { id: runId('a1'), name: 'x', start: 3, parent: runId('b1') },
      { id: runId('b1'), name: 'y', start: 2, parent: runId('a1') },
      { id: runId('c1'), name: 'z', start: 1, parent: runId('c1') },
    ]);
    temps.push(root);
    const store = new Store(root);
    const runs = store.listRuns(store.listExperiments('active')).sort((p, q) => q.info.start_time! - p.info.start_time!);
    const tree = buildTree(store, runs);
    expect(tree.map((t) => `${treePrefix(t)}${t.run.info.run_name}`)).toEqual(['y', '└─ x', 'z']);
  });
});

describe('MetricTail', () => {
  it('returns complete lines only, continues where it stopped and starts over after truncation', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlr-tail-'));
    temps.push(dir);
    const file = path.join(dir, 'loss');
    const bad: string[] = [];
    const tail = new MetricTail(file, (n, text, reason) => bad.push(`${n}:${text}:${reason}`));
    const got: MetricLine[] = [];
    let resets = 0;
    const read = () => tail.read((m) => got.push(m), () => resets++);
    expect(read()).toBe(0); // no file yet
    writeFileSync(file, '1 0.5 0\n2 0.4');
    expect(read()).toBe(1);
    appendFileSync(file, ' 1\nbroken\n3 nan 2\n');
    expect(read()).toBe(2);
    expect(got.map((m) => [m.timestamp, m.value, m.step])).toEqual([
      [1, 0.5, 0],
      [2, 0.4, 1],
      [3, NaN, 2],
    ]);
    expect(bad).toEqual(['3:broken:persisted metric data contained 1 fields. Expected 2 or 3 fields.']);
    writeFileSync(file, '9 1 0\n');
    expect(read()).toBe(1);
    expect(resets).toBe(1);
    expect(got.at(-1)).toEqual({ timestamp: 9, value: 1, step: 0 });
  });
});

describe('plot helpers', () => {
  it('parses --metric values', () => {
    expect(parseMetricKeys(['val_loss,metrics.train_loss', 'metrics.`a b`', 'val_loss'])).toEqual(['val_loss', 'train_loss', 'a b']);
  });
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_500, '12.5s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
    [273_600_000, '3d04h'],
    [-3000, '-3s'],
  ])('formatElapsed(%d) = %s', (ms, text) => expect(formatElapsed(ms)).toBe(text));
});
