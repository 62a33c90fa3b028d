import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import { evaluate } from '../../src/search/evaluate.js';
import { parseOrderBy, sortRuns } from '../../src/search/order-by.js';
import { parseFilter } from '../../src/search/parser.js';
import type { SearchableRun } from '../../src/store/types.js';
import { seededRandom } from '../helpers.js';

const prng = seededRandom;

const FRAGMENTS = [
  'metrics',
  'metric',
  'params',
  'param',
  'tags',
  'tag',
  'attributes',
  'attr',
  'run',
  'datasets',
  'dataset',
  'foo',
  '.',
  '.',
  '.',
  'val_loss',
  'lr',
  'team',
  'status',
  'run_id',
  'run_name',
  'start_time',
  'end_time',
  'created',
  'name',
  'digest',
  'context',
  'mlflow',
  'runName',
  '`a b`',
  '`x.y`',
  '`',
  '"k"',
  '"',
  "'",
  "'v'",
  "'it''s'",
  "'%a_'",
  "'(('",
  "'[x'",
  '"vision"',
  '0',
  '0.5',
  '-1',
  '.5',
  '1e400',
  '1e+5',
  '1_000',
  '0x10',
  'NaN',
  'inf',
  '(',
  ')',
  '(',
  ')',
  ',',
  ';',
  'AND',
  'and',
  'OR',
  'or',
  'NOT',
  'IN',
  'in',
  'NOT IN',
  'LIKE',
  'ILIKE',
  'IS',
  'NULL',
  'BETWEEN',
  'from',
  'select',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '==',
  '<>',
  '~',
  '!',
  '-',
  '+',
  '*',
  '/',
  '%',
  '#',
  '--',
  '/*',
  '*/',
  '\\',
  '?',
  ':x',
  '$',
  '[',
  ']',
  'é',
  '😀',
  '\n',
  '\t',
  '',
  ' ',
];

function soup(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 12);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]!;
    if (rand() < 0.6) s += ' ';
  }
  return s;
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** A random clause that is often valid: prefix, key, comparator, value. */
function clause(rand: () => number): string {
  const prefix = pick(rand, ['metrics.', 'params.', 'tags.', 'attributes.', 'datasets.', '', 'metric.', 'run.']);
  const key = pick(rand, ['val_loss', 'lr', 'team', 'status', 'run_name', 'start_time', 'name', '`a b`', '"x.y"', 'mlflow.runName']);
  const op = pick(rand, ['=', '!=', '<', '>=', 'LIKE', 'ilike', 'IN', 'NOT IN', '==']);
  const value = op.endsWith('IN')
    ? pick(rand, ["('a', 'b')", "('x')", '()', "('a',)", '(1)'])
    : pick(rand, ['0.5', '-1', "'vision'", '"adam"', "'%a_'", '1e400', 'vision', '3000', "'a(b'"]);
  return `${prefix}${key} ${op} ${value}`;
}

/** Clauses joined by AND / OR, with some parentheses. */
function structured(rand: () => number): string {
  let s = clause(rand);
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const c = rand() < 0.2 ? `(${clause(rand)} OR ${clause(rand)})` : clause(rand);
    s += ` ${pick(rand, ['AND', 'and', 'OR', 'AND AND', ''])} ${c}`;
  }
  return s;
}

const run: SearchableRun = {
  info: {
    run_id: 'a'.repeat(32),
    run_uuid: 'a'.repeat(32),
    run_name: 'r',
    experiment_id: '1',
    user_id: 'u',
    status: 'FINISHED',
    start_time: 1,
    end_time: null,
    artifact_uri: 'file:///x',
    lifecycle_stage: 'active',
  },
  metrics: new Map([['val_loss', NaN]]),
  params: new Map([['lr', '0.1']]),
  tags: new Map([['team', 'vision']]),
  datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'd', digest: 'x', source_type: 's', source: 's' } }],
};

describe('fuzz: random token soups', () => {
  it('the filter parser only ever throws FilterError, with a position inside the text', () => {
    const rand = prng(20240601);
    let accepted = 0;
    for (let i = 0; i < 8000; i++) {
      const s = i % 2 === 0 ? soup(rand) : structured(rand);
      try {
        const node = parseFilter(s);
        accepted++;
        // whatever parses must also evaluate without throwing
        expect(typeof evaluate(node, run)).toBe('boolean');
      } catch (e) {
        if (!(e instanceof FilterError)) throw new Error(`non-FilterError for ${JSON.stringify(s)}: ${(e as Error).stack}`);
        expect(e.exitCode).toBe(2);
        expect(e.pos[0]).toBeGreaterThanOrEqual(0);
        expect(e.pos[1]).toBeLessThanOrEqual(s.length + 1);
        expect(e.pos[0]).toBeLessThan(e.pos[1]);
        expect(e.message).toContain('^');
        expect(e.code).toMatch(/^filter-/);
      }
    }
    // the soup is not all garbage: some of it must parse
    expect(accepted).toBeGreaterThan(100);
  });

  it('the order-by parser only ever throws FilterError', () => {
    const rand = prng(7);
    for (let i = 0; i < 4000; i++) {
      const s = soup(rand);
      try {
        const key = parseOrderBy(s);
        expect(sortRuns([run, run], [key])).toHaveLength(2);
      } catch (e) {
        if (!(e instanceof FilterError)) throw new Error(`non-FilterError for ${JSON.stringify(s)}: ${(e as Error).stack}`);
        expect(e.code).toMatch(/^(order-by-|filter-)/);
      }
    }
  });

  it('mutations of valid filters (one character dropped or inserted) never crash', () => {
    const rand = prng(99);
    const seeds = [
      "metrics.val_loss < 0.4 AND params.lr = '0.01'",
      "(tags.team IN ('vision', 'nlp') OR status = 'FINISHED') and metrics.`batch size` >= -1e-3",
      "datasets.name NOT IN ('Train-ds') AND attributes.run_id LIKE '%ab_'",
    ];
    const chars = '\'"`().,;<>=! aA1-%_\\';
    for (let i = 0; i < 4000; i++) {
      const base = seeds[i % seeds.length]!;
      const at = Math.floor(rand() * (base.length + 1));
      const s = rand() < 0.5 ? base.slice(0, at) + base.slice(at + 1) : base.slice(0, at) + chars[Math.floor(rand() * chars.length)] + base.slice(at);
      try {
        evaluate(parseFilter(s), run);
      } catch (e) {
        if (!(e instanceof FilterError)) throw new Error(`non-FilterError for ${JSON.stringify(s)}: ${(e as Error).stack}`);
      }
    }
  });
});
