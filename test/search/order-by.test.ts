import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import { compareNatural, parseOrderBy, shlexSplit, sortByKey, sortRuns } from '../../src/search/order-by.js';
import { compareCodePoints } from '../../src/text-order.js';
import type { SearchableRun } from '../../src/store/types.js';
import { seededRandom } from '../helpers.js';
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
    [
      ['attributes.user_id ASC', 'metrics.val_loss DESC'],
      ['alpha', 'delta', 'beta', 'Gamma run', 'with-data'],
    ],
    [
      ['tags.team DESC', 'start_time ASC'],
      ['alpha', 'beta', 'with-data', 'delta', 'Gamma run'],
    ],
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

describe('sortRuns: one composite sort, and the first N kept as they stream by', () => {
  /** MLflow's definition, literally: natural order, then one stable pass per key from the last. */
  const reference = (runs: SearchableRun[], clauses: string[]) => {
    let out = [...runs].sort(compareNatural);
    for (const k of clauses.map(parseOrderBy).reverse()) out = sortByKey(out, k);
    return out;
  };
  const CLAUSES = [
    'metrics.m',
    'metrics.m DESC',
    'metrics.n ASC',
    'params.p',
    'params.p DESC',
    'tags.t',
    'start_time',
    'end_time DESC',
    'run_name',
    'status DESC',
    'run_id',
  ];

  it('agrees with the stable passes on random runs full of ties, NaN, missing values and duplicate ids, for every cut', () => {
    const rnd = seededRandom(2026);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rnd() * 40);
      const runs: SearchableRun[] = Array.from({ length: n }, () => {
        const metrics = new Map<string, number>();
        for (const k of ['m', 'n']) {
          const v = pick([undefined, NaN, 0, -0, 1, 2, 2, -Infinity, Infinity, 0.5]);
          if (v !== undefined) metrics.set(k, v);
        }
        const params = new Map<string, string>();
        const p = pick([undefined, '0.1', '0.01', '1e-3', 'b', 'B', '']);
        if (p !== undefined) params.set('p', p);
        const tags = new Map<string, string>();
        const t = pick([undefined, 'x', 'y', 'é']);
        if (t !== undefined) tags.set('t', t);
        const id = pick(['aa', 'ab', 'b0', 'c1', 'c2', 'ff']); // duplicates on purpose
        return {
          info: {
            run_id: id,
            run_uuid: id,
            run_name: pick(['r1', 'r2', 'R', '']),
            experiment_id: '1',
            user_id: 'u',
            status: pick(['RUNNING', 'FINISHED', 'FAILED'] as const),
            start_time: pick([null, 1, 2, 3]),
            end_time: pick([null, 5, 6]),
            artifact_uri: '',
            lifecycle_stage: 'active',
          },
          metrics,
          params,
          tags,
          datasets: [],
        };
      });
      const clauses = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(CLAUSES));
      const want = reference(runs, clauses);
      const keys = clauses.map(parseOrderBy);
      expect(sortRuns(runs, keys), clauses.join(', ')).toEqual(want);
      for (const limit of [0, 1, 2, 5, n - 1, n, n + 3]) {
        const got = sortRuns(runs, keys, limit);
        expect(got.length).toBe(Math.max(0, Math.min(limit, n)));
        // the same objects, in the same order, as cutting the full sort
        got.forEach((r, i) => expect(r).toBe(want[i]));
      }
    }
  });
});
