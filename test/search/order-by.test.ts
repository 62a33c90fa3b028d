import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import { compareCodePoints, parseOrderBy, shlexSplit, sortRuns } from '../../src/search/order-by.js';
import { NAME, RUNS } from './spec-store.js';

function order(...clauses: string[]): string[] {
  return sortRuns(RUNS, clauses.map(parseOrderBy)).map((r) => NAME[r.info.run_id]!);
}

const NATURAL = ['with-data', 'delta', 'Gamma run', 'beta', 'alpha'];

describe('spec §5.3: verified orderings on the §10.1 store', () => {
  const cases: Array<[string[], string[]]> = [
    [[], NATURAL],
    [['metrics.val_loss'], ['with-data', 'beta', 'alpha', 'Gamma run', 'delta']],
    [['metrics.val_loss ASC'], ['with-data', 'beta', 'alpha', 'Gamma run', 'delta']],
    [['metrics.val_loss DESC'], ['Gamma run', 'alpha', 'beta', 'with-data', 'delta']],
    [['metrics.val_loss desc'], ['Gamma run', 'alpha', 'beta', 'with-data', 'delta']],
    [['metrics.acc ASC'], ['alpha', 'beta', 'with-data', 'delta', 'Gamma run']],
    [['metrics.acc DESC'], ['alpha', 'beta', 'with-data', 'delta', 'Gamma run']],
    [['params.lr'], ['alpha', 'beta', 'Gamma run', 'with-data', 'delta']],
    [['params.lr DESC'], ['Gamma run', 'beta', 'alpha', 'with-data', 'delta']],
    [['tags.team'], ['delta', 'with-data', 'beta', 'alpha', 'Gamma run']],
    [['start_time'], ['alpha', 'beta', 'delta', 'Gamma run', 'with-data']],
    [['attributes.end_time DESC'], ['with-data', 'delta', 'beta', 'alpha', 'Gamma run']],
    [['run_name'], ['Gamma run', 'alpha', 'beta', 'delta', 'with-data']],
    [['status'], ['beta', 'delta', 'alpha', 'with-data', 'Gamma run']],
    [['status DESC'], ['Gamma run', 'with-data', 'delta', 'alpha', 'beta']],
    [['created DESC'], NATURAL],
    [['attributes.user_id ASC', 'metrics.val_loss DESC'], ['alpha', 'delta', 'beta', 'Gamma run', 'with-data']],
    [['tags.team DESC', 'start_time ASC'], ['alpha', 'beta', 'with-data', 'delta', 'Gamma run']],
    [['metrics.nonexistent'], NATURAL],
  ];
  it.each(cases)('%j', (clauses, expected) => {
    expect(order(...clauses)).toEqual(expected);
  });

  it('more: run_id, artifact_uri, quoted keys, ties falling back to earlier keys', () => {
    expect(order('attributes.run_id')).toEqual(['alpha', 'beta', 'delta', 'Gamma run', 'with-data']);
    expect(order('metrics.`train.loss` DESC')).toEqual(['alpha', ...NATURAL.filter((n) => n !== 'alpha')]);
    expect(order('params.model', 'metrics.val_loss DESC')).toEqual(['beta', 'alpha', 'delta', 'Gamma run', 'with-data']);
    expect(order('user_id DESC', 'start_time')).toEqual(['with-data', 'Gamma run', 'beta', 'alpha', 'delta']);
  });
});

describe('parseOrderBy', () => {
  const ok: Array<[string, object]> = [
    ['metrics.val_loss', { entity: 'metric', key: 'val_loss', ascending: true }],
    ['metrics.val_loss DESC', { entity: 'metric', key: 'val_loss', ascending: false }],
    ['metrics.val_loss   Desc', { entity: 'metric', key: 'val_loss', ascending: false }],
    ['  params.lr asc  ', { entity: 'param', key: 'lr', ascending: true }],
    ['metrics.`train.loss` ASC', { entity: 'metric', key: 'train.loss', ascending: true }],
    ['metrics."train.loss" ASC', { entity: 'metric', key: 'train.loss', ascending: true }],
    ['metrics.`batch size` DESC', { entity: 'metric', key: 'batch size', ascending: false }],
    ['tags.mlflow.runName', { entity: 'tag', key: 'mlflow.runName' }],
    ['created', { entity: 'attribute', key: 'start_time' }],
    ['Created DESC', { entity: 'attribute', key: 'start_time', ascending: false }],
    ['attr.status', { entity: 'attribute', key: 'status' }],
    // MLflow's shlex pass strips quotes around the whole name here (not in filters)
    ['`metrics.val_loss` DESC', { entity: 'metric', key: 'val_loss', ascending: false }],
    ['metrics.x "DESC"', { entity: 'metric', key: 'x', ascending: false }],
  ];
  it.each(ok)('%s', (clause, expected) => {
    expect(parseOrderBy(clause)).toMatchObject({ ...expected, source: clause });
  });

  const bad: Array<[string, string, [number, number], string]> = [
    ['metrics.val_loss SIDEWAYS', 'order-by-direction', [17, 25], "Invalid ordering key in order_by clause 'metrics.val_loss SIDEWAYS'."],
    ['metrics.a ASC, params.b', 'order-by-syntax', [13, 14], "Invalid order_by clause 'metrics.a ASC, params.b'. Could not be parsed."],
    ['metrics.a DESC ASC', 'order-by-syntax', [15, 18], "Invalid order_by clause 'metrics.a DESC ASC'. Could not be parsed."],
    ['metrics.a NULLS LAST', 'order-by-syntax', [16, 20], "Invalid order_by clause 'metrics.a NULLS LAST'. Could not be parsed."],
    ['', 'order-by-syntax', [0, 1], "Invalid order_by clause ''. Could not be parsed."],
    ["'metrics.a'", 'order-by-syntax', [0, 11], "Invalid order_by clause ''metrics.a''. Could not be parsed."],
    ['foo', 'filter-attribute', [0, 3], "Invalid attribute key 'foo' specified. Valid keys are '"],
    ['timestamp', 'filter-attribute', [0, 9], "Invalid attribute key 'timestamp' specified."],
    ['`Run name`', 'filter-attribute', [0, 10], "Invalid attribute key 'Run name' specified."],
    ['datasets.name', 'order-by-entity', [0, 13], "Invalid order_by entity type 'dataset'"],
    ['Metrics.x', 'filter-entity', [0, 7], "Invalid entity type 'Metrics'."],
    ['metrics.x;', 'order-by-syntax', [9, 10], "Invalid order_by clause 'metrics.x;'. Could not be parsed."],
  ];
  it.each(bad)('error: %s', (clause, code, pos, reason) => {
    let e: unknown;
    try {
      parseOrderBy(clause);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FilterError);
    expect(e).toMatchObject({ code, pos });
    expect((e as FilterError).detail.startsWith(reason), (e as FilterError).detail).toBe(true);
  });
});

describe('helpers', () => {
  it('shlexSplit follows Python shlex (POSIX)', () => {
    expect(shlexSplit('metrics."a b" DESC')).toEqual(['metrics.a b', 'DESC']);
    expect(shlexSplit("a'b c'd")).toEqual(['ab cd']);
    expect(shlexSplit('a\\ b')).toEqual(['a b']);
    expect(shlexSplit('"a\\"b"')).toEqual(['a"b']);
    expect(shlexSplit('"abc')).toBeUndefined();
  });

  it('compareCodePoints orders by code point, astral characters last', () => {
    const words = ['b', 'a', '\u{1F600}', '\uFF5E', 'B', ''];
    expect([...words].sort(compareCodePoints)).toEqual(['', 'B', 'a', 'b', '\uFF5E', '\u{1F600}']);
    expect(compareCodePoints('0.01', '0.1')).toBeLessThan(0);
    expect(compareCodePoints('0.1', '1e-3')).toBeLessThan(0);
  });
});
