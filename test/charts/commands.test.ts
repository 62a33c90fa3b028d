/**
 * Unit tests for the command-side pieces: aggregate parsing and sorting, column controls,
 * tree building (cycles included), the --follow tail reader and x-axis helpers.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAggregate, parseAggregateOrderBy } from '../../src/commands/aggregates.js';
import { formatElapsed, parseMetricKeys } from '../../src/commands/plot.js';
import { MetricFileTail as MetricTail } from '../../src/store/file/tail.js';
import { FileTrackingReader } from '../../src/store/file/reader.js';
import type { RunTable } from '../../src/commands/run-table.js';
import { applyColumnControls, buildTree, compileAggregateQuery, selectRunsWithAggregates, treePrefix } from '../../src/commands/table-controls.js';
import type { MetricLine } from '../../src/store/file/metrics.js';
import { FileStore, type FileRunEntry as RunEntry } from '../../src/store/file/store.js';
import { makeStore, runId } from './helpers.js';
import { formatDelta } from '../../src/render/diff.js';
import { tempDir } from '../helpers.js';

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

describe('compileAggregateQuery and selectRunsWithAggregates', () => {
  const T = 1700000000000;
  const hist = (vals: number[]) => vals.map((v, i) => `${T + i} ${v} ${i}`);
  const root = makeStore([
    { id: runId('a1'), name: 'a', start: T + 6, params: { opt: 'adam' }, metrics: { loss: hist([0.9, 0.2, 0.5]) } },
    { id: runId('b1'), name: 'b', start: T + 5, params: { opt: 'adam' }, metrics: { loss: hist([0.4, 0.3]) } },
    { id: runId('c1'), name: 'c', start: T + 4, params: { opt: 'sgd' }, metrics: { loss: hist([0.1]) } },
    { id: runId('d1'), name: 'd', start: T + 3, params: { opt: 'adam' }, metrics: { loss: hist([NaN]) } },
    { id: runId('e1'), name: 'e', start: T + 2, params: { opt: 'adam' } },
    { id: runId('f1'), name: 'f', start: T + 1, params: { opt: 'adam' }, metrics: { loss: hist([0.3, 0.2]) } },
  ]);
  const store = new FileTrackingReader(new FileStore(root));
  const names = async (filter: string | undefined, orderBy: string[], maxResults?: number) => {
    const query = await compileAggregateQuery(filter, orderBy);
    const runs = await selectRunsWithAggregates(store, { view: 'active', query, maxResults });
    return runs.map((r) => r.info.run_name).join('');
  };

  it('orders by an aggregate with MLflow rules: NaN then missing last in both directions, ties in natural order', async () => {
    // min(loss): a 0.2, b 0.3, c 0.1, d NaN, e missing, f 0.2
    expect(await names(undefined, ['min(metrics.loss)'])).toBe('cafbde');
    expect(await names(undefined, ['min(metrics.loss) DESC'])).toBe('bafcde');
  });

  it('filters first, mixes aggregate and plain keys (the first dominates), then cuts', async () => {
    expect(await names("params.opt = 'adam'", ['min(metrics.loss)'])).toBe('afbde');
    // metrics.loss is the latest value: a 0.5, b 0.3, f 0.2, then d (NaN) and e (missing)
    expect(await names("params.opt = 'adam'", ['metrics.loss DESC', 'min(metrics.loss)'], 3)).toBe('abf');
    expect(await names(undefined, ['params.opt DESC', 'argmin(metrics.loss) DESC'])).toBe('cabfde');
  });

  it('names the query keys as pinned columns, aggregates included', async () => {
    const q = await compileAggregateQuery('metrics.acc > 0', ['min(metrics.loss)', 'params.opt']);
    expect(q.columns.map((c) => [c.key, c.pinned])).toEqual([
      ['params.opt', true],
      ['metrics.acc', true],
      ['min(metrics.loss)', true],
    ]);
    expect(q.query.order.map((k) => [k.entity, k.key, k.ascending])).toEqual([
      ['metric', 'min(metrics.loss)', true],
      ['param', 'opt', true],
    ]);
    expect([...q.query.needs.metrics]).toEqual(['acc']); // the aggregate is streamed, not loaded as a latest value
  });

  it('reports a bad direction like the search module, with a caret', async () => {
    await expect(compileAggregateQuery(undefined, ['min(metrics.x) sideways'])).rejects.toMatchObject({
      code: 'order-by-direction',
      pos: [15, 23],
    });
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
  it('breaks parent cycles and keeps self-parented runs at the top', async () => {
    const root = makeStore([
      { id: runId('a1'), name: 'x', start: 3, parent: runId('b1') },
      { id: runId('b1'), name: 'y', start: 2, parent: runId('a1') },
      { id: runId('c1'), name: 'z', start: 1, parent: runId('c1') },
    ]);
    const store = new FileTrackingReader(new FileStore(root));
    const runs = (await store.listRuns(await store.listExperiments('active'))).sort((p, q) => Number(q.info.start_time!) - Number(p.info.start_time!));
    const tree = buildTree(store, runs);
    expect(tree.map((t) => `${treePrefix(t)}${t.run.info.run_name}`)).toEqual(['y', '└─ x', 'z']);
  });
});

describe('MetricTail', () => {
  it('returns complete lines only, continues where it stopped and starts over after truncation', () => {
    const dir = tempDir('tail');
    const file = path.join(dir, 'loss');
    const bad: string[] = [];
    const tail = new MetricTail(file, (n, text, reason) => bad.push(`${n}:${text}:${reason}`));
    const got: MetricLine[] = [];
    let resets = 0;
    const read = () =>
      tail.read(
        (m) => got.push(m),
        () => resets++,
      );
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

describe('formatDelta', () => {
  it.each([
    [0.05, 0.1, '+0.05 (+50%)'],
    [-0.05, 0.1, '-0.05 (-50%)'],
    [0.5, -1, '+0.5 (+50%)'], // relative to the size of the first value
    [1, 0, '+1'],
    [0, 5, '0'],
    [Infinity, 1, '+inf'],
    [NaN, 1, 'NaN'],
    [0.0123456789, 3, '+0.012346 (+0.412%)'],
  ])('delta %d from %d', (delta, from, text) => expect(formatDelta(delta, from, 5)).toBe(text));
});
