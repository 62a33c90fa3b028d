/**
 * Hostile queries (issue 11 #29, #30): trailing garbage in an order-by clause is a usage
 * error with a caret, never a silent fallback to natural order; filters nested deeper than
 * the parser allows get a clear error, never a stack overflow.
 */
import { describe, expect, it } from 'vitest';
import { compileAggregateQuery } from '../../src/commands/table-controls.js';
import { FilterError } from '../../src/errors.js';
import { compileQuery } from '../../src/search/index.js';
import { parseModelFilter } from '../../src/search/model-filter.js';
import { MAX_PAREN_DEPTH, parseFilter } from '../../src/search/parser.js';
import { FIXTURE, mlr } from '../helpers.js';

const S = ['--store', FIXTURE];

/** The FilterError compiling `orderBy` throws, or undefined if it compiles. */
async function orderByError(orderBy: string): Promise<FilterError | undefined> {
  try {
    await compileAggregateQuery(undefined, [orderBy]);
    return undefined;
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
}

/** The text under the caret of an error. */
const underCaret = (e: FilterError): string => e.source.slice(e.pos[0], e.pos[1]);

describe('order-by: trailing garbage is an error with a caret (issue 11 #29)', () => {
  // [clause, the text under the caret]
  const cases: Array<[string, string]> = [
    // aggregate keys: these all used to be read as a metric named "val_loss) foo(metrics.x" …
    ['min(metrics.val_loss) foo(metrics.x)', 'foo(metrics.x)'],
    ['min(metrics.val_loss)) ASC', ')'],
    ['min(metrics.val_loss) ASC )', ')'],
    ['min(metrics.val_loss) ASC)', ')'],
    ['min(metrics.val_loss),max(metrics.x)', ','],
    ['min(metrics.a)(metrics.b)', '('],
    ['min((metrics.val_loss))', '('],
    // … or were misreported with a caret under 'metrics'
    ['min(metrics.val_loss) ASC DESC', 'DESC'],
    ['min(metrics.val_loss) -- c', '-- c'],
    ['min(metrics.val_loss', '('],
    ['min(metrics.val_loss) ;', ';'],
    ["min(metrics.val_loss) 'x'", "'x'"],
    ['min(metrics.val_loss) UP', 'UP'],
    ['min(metrics.val_loss)x', 'x'],
    // plain keys
    ['metrics.val_loss ASC )', ')'],
    ['metrics.val_loss )', ')'],
    ['metrics.val_loss ) ASC', ')'],
    ['metrics.val_loss foo(metrics.x)', 'foo(metrics.x)'],
    ['metrics.val_loss metrics.x', 'metrics.x'],
    ['metrics.val_loss ASC foo', 'foo'],
    ['metrics.val_loss ASC DESC', 'DESC'],
    ['metrics.val_loss,', ','],
    ['metrics.val_loss, params.lr', ','],
    ['metrics.val_loss;', ';'],
    ['metrics.val_loss ASC;', ';'],
    ['metrics.val_loss -- c', '-- c'],
    ['metrics.val_loss/*x*/', '/*x*/'],
    ["metrics.val_loss 'x'", "'x'"],
    ['metrics.val_loss = 1', '='],
    ['(metrics.val_loss)', '('],
  ];
  it.each(cases)('%s', async (clause, caret) => {
    const e = await orderByError(clause);
    expect(e, clause).toBeInstanceOf(FilterError);
    expect(underCaret(e!)).toBe(caret);
  });

  it('aggregate errors point at the function or its argument', async () => {
    expect(underCaret((await orderByError('median(metrics.x) DESC'))!)).toBe('median');
    expect(underCaret((await orderByError('min(params.lr)'))!)).toBe('params.lr');
    expect(underCaret((await orderByError('spark(metrics.x)'))!)).toBe('spark');
    expect((await orderByError('min()'))?.code).toBe('aggregate-not-metric');
  });

  it('well-formed clauses still compile', async () => {
    for (const clause of [
      'min(metrics.val_loss)',
      'min(metrics.val_loss)ASC',
      'min (metrics.val_loss) desc',
      'MAX( metrics.`a b` ) Desc',
      'argmin(val_loss)',
      'metrics.val_loss DESC',
      'params.lr',
    ]) {
      expect(await orderByError(clause), clause).toBeUndefined();
    }
    const q = await compileAggregateQuery(undefined, ['max(metrics.val_loss) DESC', 'min(metrics.model/depth)']);
    expect(q.aggregates.map((a) => a.key)).toEqual(['max(metrics.val_loss)', 'min(metrics.model/depth)']);
    expect(q.query.order.map((k) => k.ascending)).toEqual([false, true]);
  });

  it('the CLI exits 2 with the caret (runs ls and plot)', async () => {
    const r = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--order-by', 'min(metrics.val_loss) foo(metrics.x)']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "mlr: Invalid order_by clause 'min(metrics.val_loss) foo(metrics.x)'. Could not be parsed. — give one key per --order-by; repeat the option for 'foo(metrics.x)'\n" +
        '  min(metrics.val_loss) foo(metrics.x)\n' +
        '                        ^^^^^^^^^^^^^^\n',
    );
    const p = await mlr([...S, 'plot', '-e', 'sweep', '--metric', 'val_loss', '--order-by', 'min(metrics.val_loss)) ASC']);
    expect(p.code).toBe(2);
    expect(p.stderr).toBe(
      "mlr: Invalid order_by clause 'min(metrics.val_loss)) ASC'. Could not be parsed. — expected only a key and ASC or DESC, found ')'\n" +
        '  min(metrics.val_loss)) ASC\n' +
        '                       ^\n',
    );
  });

  it('a column may not be a call with parentheses in its argument', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--columns', 'min(metrics.val_loss))']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlr: unknown column 'min\(metrics\.val_loss\)\)'/);
  });
});

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
      expect(lines[0]).toBe(
        `mlr: Filter nested too deeply: more than ${MAX_PAREN_DEPTH} levels of parentheses — mlr reads at most ${MAX_PAREN_DEPTH}; remove the parentheses that group nothing`,
      );
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
