/**
 * Hostile queries (issue 11 #30): filters nested deeper than the parser allows get a clear
 * error, never a stack overflow.
 */
import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import { compileQuery } from '../../src/search/index.js';
import { parseModelFilter } from '../../src/search/model-filter.js';
import { MAX_PAREN_DEPTH, parseFilter } from '../../src/search/parser.js';
import { FIXTURE, mlr } from '../helpers.js';

const S = ['--store', FIXTURE];

describe('filters nested deeply (issue 11 #30)', () => {
  const nest = (depth: number, inner = "params.lr = '0.1'"): string => '('.repeat(depth) + inner + ')'.repeat(depth);
  /** `(a OR (a AND (a OR …)))`: every level a node of the tree, for the walks over it */
  const alternate = (depth: number): string => {
    let s = "params.lr = '0.1'";
    for (let d = 0; d < depth; d++) s = `(params.optimizer != 'x' ${d % 2 ? 'AND' : 'OR'} ${s})`;
    return s;
  };

  it(`${MAX_PAREN_DEPTH} levels parse, evaluate and run`, async () => {
    expect(parseFilter(nest(MAX_PAREN_DEPTH))).toMatchObject({ type: 'compare', key: 'lr' });
    expect(compileQuery({ filter: alternate(MAX_PAREN_DEPTH) }).needs.params).toEqual(new Set(['optimizer', 'lr']));
    const r = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--filter', alternate(MAX_PAREN_DEPTH), '--format', 'ids']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).length).toBe(44);
  });

  it(`${MAX_PAREN_DEPTH + 1} levels: an error with the limit and a caret under the first '(' too many`, () => {
    const source = nest(MAX_PAREN_DEPTH + 1);
    let err: unknown;
    try {
      parseFilter(source);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'filter-too-deep', pos: [MAX_PAREN_DEPTH, MAX_PAREN_DEPTH + 1] });
    expect((err as FilterError).detail).toContain(`more than ${MAX_PAREN_DEPTH} levels`);
  });

  it('3,000 levels: exit 2 and one message, no stack (it crashed with "Maximum call stack size exceeded")', async () => {
    for (const filter of [nest(3000), alternate(3000), '('.repeat(3000)]) {
      const r = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--filter', filter]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0]).toBe(`mlr: Filter nested too deeply: more than ${MAX_PAREN_DEPTH} levels of parentheses — mlr reads at most ${MAX_PAREN_DEPTH}; remove the parentheses that group nothing`);
      expect(lines).toHaveLength(4);
      expect(lines[2]).toMatch(/^ +\^$/);
      expect(lines[1]![lines[2]!.length - 1]).toBe('('); // the caret is under a '('
      expect(lines[3]).toBe('');
      expect(r.stderr).not.toMatch(/RangeError|at .*\.js/);
    }
  });

  it('long flat filters need no recursion: 20,000 clauses joined by AND or OR', () => {
    const clause = "params.lr = '0.1'";
    expect(parseFilter(Array(20_000).fill(clause).join(' AND '))).toMatchObject({ type: 'and' });
    expect(parseFilter(Array(20_000).fill(clause).join(' OR '))).toMatchObject({ type: 'or' });
  });

  it('model filters are read by a loop: 20,000 clauses and stray parentheses are fine or a caret', () => {
    expect(parseModelFilter(Array(20_000).fill("name = 'a'").join(' AND '))).toHaveLength(20_000);
    expect(() => parseModelFilter('('.repeat(3000) + "name = 'a'")).toThrow(FilterError);
  });
});
