import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import type { FilterNode } from '../../src/search/ast.js';
import { parseFilter } from '../../src/search/parser.js';

const ALPHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BETA = 'b1b2c3d4e5f60718293a4b5c6d7e8f90';

const c = (entity: string, key: string, op: string, value: unknown, extra: object = {}) => ({
  type: 'compare',
  entity,
  key,
  op,
  value,
  ...extra,
});
const and = (...items: object[]) => ({ type: 'and', items });
const or = (...items: object[]) => ({ type: 'or', items });

/** Parses and returns the AST, failing the test on an error (with the message shown). */
function ast(filter: string): FilterNode | undefined {
  try {
    return parseFilter(filter);
  } catch (e) {
    throw new Error(`unexpected error for ${JSON.stringify(filter)}: ${(e as Error).message}`);
  }
}

/** The FilterError a filter raises. */
function err(filter: string): FilterError {
  try {
    parseFilter(filter);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`expected an error for ${JSON.stringify(filter)}`);
}

describe('spec §10.2: every valid example parses to the expected AST', () => {
  const cases: Array<[number, string, object | undefined]> = [
    [1, '', undefined],
    [2, 'metrics.val_loss < 0.4', c('metric', 'val_loss', '<', 0.4)],
    [3, 'metric.val_loss <= 0.5', c('metric', 'val_loss', '<=', 0.5)],
    [4, 'metrics.val_loss > 0.3', c('metric', 'val_loss', '>', 0.3)],
    [5, 'metrics.val_loss = 0.5', c('metric', 'val_loss', '=', 0.5)],
    [6, 'metrics.val_loss != 0.5', c('metric', 'val_loss', '!=', 0.5)],
    [7, 'metrics.acc > 0', c('metric', 'acc', '>', 0)],
    [8, 'metrics.acc != 0', c('metric', 'acc', '!=', 0)],
    [9, 'metrics.val_loss > 1e10', c('metric', 'val_loss', '>', 1e10)],
    [10, 'metrics.val_loss < -1e308', c('metric', 'val_loss', '<', -1e308)],
    [11, 'metrics.val_loss < .4', c('metric', 'val_loss', '<', 0.4)],
    [12, 'metrics.val_loss<0.4', c('metric', 'val_loss', '<', 0.4, { pos: [0, 20] })],
    [13, 'metrics.train.loss < 1', c('metric', 'train.loss', '<', 1)],
    [14, 'metrics.`train.loss` < 1', c('metric', 'train.loss', '<', 1)],
    [15, 'metrics."train.loss" < 1', c('metric', 'train.loss', '<', 1)],
    [16, 'metrics.`batch size` = 1', c('metric', 'batch size', '=', 1)],
    [17, "params.lr = '0.01'", c('param', 'lr', '=', '0.01', { pos: [0, 18] })],
    [18, 'params.lr = "0.01"', c('param', 'lr', '=', '0.01')],
    [19, "param.model LIKE 'c%'", c('param', 'model', 'LIKE', 'c%')],
    [20, "params.model ILIKE 'c%'", c('param', 'model', 'ILIKE', 'c%')],
    [21, "params.model like 'c_n'", c('param', 'model', 'LIKE', 'c_n')],
    [22, "params.model != 'cnn'", c('param', 'model', '!=', 'cnn')],
    [23, "parameters.model = 'cnn'", c('param', 'model', '=', 'cnn')],
    [24, "params.`opt.name` = 'adam'", c('param', 'opt.name', '=', 'adam')],
    [25, "params.lr LIKE '%.%'", c('param', 'lr', 'LIKE', '%.%')],
    [26, "params.lr = 'it''s'", c('param', 'lr', '=', "it''s")],
    [27, "params.lr = '0.01' and metrics.val_loss < 1", and(c('param', 'lr', '=', '0.01'), c('metric', 'val_loss', '<', 1))],
    [28, "tags.team = 'vision'", c('tag', 'team', '=', 'vision')],
    [29, "tag.team != 'vision'", c('tag', 'team', '!=', 'vision')],
    [30, "tags.team ILIKE 'vision'", c('tag', 'team', 'ILIKE', 'vision')],
    [31, `tags."my.tag" = 'x'`, c('tag', 'my.tag', '=', 'x')],
    [32, "tags.`with space` = 'y'", c('tag', 'with space', '=', 'y')],
    [33, "tags.mlflow.runName = 'alpha'", c('tag', 'mlflow.runName', '=', 'alpha')],
    [34, "tags.team != 'vision' AND tags.team != 'nlp'", and(c('tag', 'team', '!=', 'vision'), c('tag', 'team', '!=', 'nlp'))],
    [35, "attributes.status = 'FINISHED'", c('attribute', 'status', '=', 'FINISHED')],
    [36, "attributes.status = 'finished'", c('attribute', 'status', '=', 'finished')],
    [37, "status = 'RUNNING'", c('attribute', 'status', '=', 'RUNNING')],
    [38, "run.status = 'KILLED'", c('attribute', 'status', '=', 'KILLED')],
    [39, "attr.user_id = 'alice'", c('attribute', 'user_id', '=', 'alice')],
    [40, "run_name = 'Gamma run'", c('attribute', 'run_name', '=', 'Gamma run')],
    [41, "attributes.run_name ILIKE 'gamma%'", c('attribute', 'run_name', 'ILIKE', 'gamma%')],
    [42, "`Run name` = 'beta'", c('attribute', 'run_name', '=', 'beta')],
    [43, `attributes.run_id = '${ALPHA}'`, c('attribute', 'run_id', '=', ALPHA)],
    [44, `attributes.run_id IN ('${ALPHA}', '${BETA}')`, c('attribute', 'run_id', 'IN', [ALPHA, BETA], { listMode: 'mlflow' })],
    [45, `attributes.run_id NOT IN ('${ALPHA}')`, c('attribute', 'run_id', 'NOT IN', [ALPHA], { listMode: 'mlflow' })],
    [46, `attributes.run_id IN ('${ALPHA.toUpperCase()}')`, c('attribute', 'run_id', 'IN', [ALPHA.toUpperCase()], { listMode: 'mlflow' })],
    [47, 'attributes.start_time >= 3000', c('attribute', 'start_time', '>=', 3000)],
    [48, 'attributes.created > 1500', c('attribute', 'start_time', '>', 1500)],
    [49, 'attributes.end_time > 0', c('attribute', 'end_time', '>', 0)],
    [50, "attributes.artifact_uri LIKE '%artifacts'", c('attribute', 'artifact_uri', 'LIKE', '%artifacts')],
    [51, "datasets.name = 'train-ds'", c('dataset', 'name', '=', 'train-ds')],
    [52, "dataset.name LIKE 'train%'", c('dataset', 'name', 'LIKE', 'train%')],
    [53, "datasets.digest IN ('abc123', 'zzz')", c('dataset', 'digest', 'IN', ['abc123', 'zzz'], { listMode: 'mlflow' })],
    [54, "datasets.context = 'training'", c('dataset', 'context', '=', 'training')],
    [55, "datasets.context != 'training'", c('dataset', 'context', '!=', 'training')],
    [56, "datasets.name NOT IN ('Train-ds')", c('dataset', 'name', 'NOT IN', ['Train-ds'], { listMode: 'mlflow' })],
    [57, "tags.team = 'vision' AND", c('tag', 'team', '=', 'vision')],
    [58, "AND params.model = 'cnn'", c('param', 'model', '=', 'cnn')],
    [59, "tags.team LIKE 'visio*n'", c('tag', 'team', 'LIKE', 'visio*n')],
    [60, 'metrics.val_loss <= 0.5 AND metrics.val_loss >= 0.3', and(c('metric', 'val_loss', '<=', 0.5), c('metric', 'val_loss', '>=', 0.3))],
    // §10.3 #99: sqlparse 0.6 (current) accepts a single-quoted key; mlr follows it
    [99, "params.'a b' = 'x'", c('param', 'a b', '=', 'x')],
  ];
  it.each(cases)('#%i %s', (_n, filter, expected) => {
    if (expected === undefined) expect(ast(filter)).toBeUndefined();
    else expect(ast(filter)).toMatchObject(expected);
  });
});

describe('spec §10.3: every MLflow error is an error, with its code, position and reason', () => {
  // [#, filter, code, pos, the start of MLflow's message that mlr's message begins with]
  const cases: Array<[number, string, string, [number, number], string]> = [
    [64, 'NOT metrics.val_loss < 0.4', 'filter-syntax', [0, 3], "Invalid clause(s) in filter string: 'NOT'"],
    [65, 'metrics.val_loss IS NULL', 'filter-syntax', [17, 19], "Invalid clause(s) in filter string: 'metrics.val_loss', 'IS', 'NULL'"],
    [66, 'metrics.val_loss BETWEEN 0 AND 1', 'filter-syntax', [17, 24], "Invalid clause(s) in filter string: 'metrics.val_loss', 'BETWEEN', '0', '1'"],
    [67, 'metrics.val_loss', 'filter-syntax', [16, 17], "Invalid clause(s) in filter string: 'metrics.val_loss'"],
    [68, "params.lr = '0.01';", 'filter-syntax', [18, 19], "Invalid clause(s) in filter string: ';'"],
    [
      69,
      'metrics.val_loss < 0.4; metrics.acc > 0',
      'filter-multiple-statements',
      [22, 23],
      "Search filter contained multiple expression 'metrics.val_loss < 0.4; metrics.acc > 0'. Provide AND-ed expression list.",
    ],
    [70, "metrics.val_loss < '0.4'", 'filter-value-type', [19, 24], "Expected numeric value type for metric. Found '0.4'"],
    [71, "metrics.val_loss LIKE '0.5'", 'filter-value-type', [22, 27], "Expected numeric value type for metric. Found '0.5'"],
    [72, 'metrics.acc = NaN', 'filter-value-type', [14, 17], 'Expected numeric value type for metric. Found NaN'],
    [73, 'params.lr = 0.01', 'filter-value-type', [12, 16], "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.01"],
    [
      74,
      'tags.team = vision',
      'filter-value-type',
      [12, 18],
      'Parameter value is either not quoted or unidentified quote types used for string value vision. Use either single or double quotes.',
    ],
    [79, "foo.bar = 'x'", 'filter-entity', [0, 3], "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"],
    [80, 'METRICS.val_loss < 1', 'filter-entity', [0, 7], "Invalid entity type 'METRICS'. Valid values are"],
    [81, '`metrics.val_loss` < 1', 'filter-entity', [0, 8], "Invalid entity type '`metrics'. Valid values are"],
    [82, 'val_loss < 0.4', 'filter-attribute', [0, 8], "Invalid attribute key 'val_loss' specified. Valid keys are '"],
    [83, "lifecycle_stage = 'active'", 'filter-attribute', [0, 15], "Invalid attribute key 'lifecycle_stage' specified."],
    [84, "attributes.experiment_id = '0'", 'filter-attribute', [0, 24], "Invalid attribute key 'experiment_id' specified."],
    [85, "params.lr == '0.01'", 'filter-comparator', [10, 12], "Invalid comparator '==' not one of '{"],
    [86, "params.lr > '0.01'", 'filter-comparator', [10, 11], "Invalid comparator '>' not one of '{"],
    [87, "attributes.status > 'A'", 'filter-comparator', [18, 19], "Invalid comparator '>' not one of '{"],
    [88, "attributes.start_time > '123'", 'filter-value-type', [24, 29], "Expected numeric value type for numeric attribute: start_time. Found '123'"],
    [89, 'attributes.start_time > 1500.5', 'filter-integer', [24, 30], 'Invalid value 1500.5 for numeric attribute start_time'],
    [90, "datasets.foo = 'x'", 'filter-dataset-key', [0, 12], "Invalid dataset key 'foo' specified. Valid keys are"],
    [91, "datasets.name < 'x'", 'filter-comparator', [14, 15], "Invalid comparator '<' not one of '{"],
    [92, "params.my-param = 'x'", 'filter-identifier', [0, 15], "Invalid comparison clause. Expected 'Identifier' found 'params.my-param'"],
    [93, "params.from = 'x'", 'filter-syntax', [7, 11], "Invalid clause(s) in filter string: 'params.', 'from', '=', ''x''"],
    [94, 'metrics.val_loss < - 1', 'filter-syntax', [19, 20], "Invalid clause(s) in filter string: 'metrics.val_loss', '<', '-', '1'"],
    [95, 'metrics.val_loss < 1_000', 'filter-value-type', [19, 24], 'Expected numeric value type for metric. Found 1_000'],
    [
      96,
      'attributes.run_id IN ()',
      'filter-list',
      [21, 23],
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    ],
    [
      97,
      "attributes.run_id IN ('a', 1)",
      'filter-list',
      [21, 29],
      "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('a', 1)",
    ],
    [
      98,
      "params.lr LIKE '0.0(1'",
      'filter-like-pattern',
      [15, 22],
      "Invalid LIKE pattern '0.0(1': MLflow reads LIKE patterns as regular expressions and fails on this one",
    ],
  ];
  it.each(cases)('#%i %s', (_n, filter, code, pos, reason) => {
    const e = err(filter);
    expect(e).toMatchObject({ code, pos, exitCode: 2 });
    expect(e.detail.startsWith(reason), `${e.detail}\n  does not start with\n${reason}`).toBe(true);
  });

  it('the message shows the expression with a caret under the offending token', () => {
    expect(err("params.lr > '0.01'").message).toBe(
      [
        "Invalid comparator '>' not one of '{'=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'} — params are compared as strings: =, !=, LIKE, ILIKE, or IN / NOT IN with a list",
        "  params.lr > '0.01'",
        '            ^',
      ].join('\n'),
    );
    expect(err('params.lr = 0.01').message).toBe(
      [
        "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.01 — params compare as strings: quote the value: params.lr = '0.01'",
        '  params.lr = 0.01',
        '              ^^^^',
      ].join('\n'),
    );
    expect(err('metrics.val_loss <').message).toBe(
      [
        "Invalid clause(s) in filter string: 'metrics.val_loss', '<' — expected a value after '<' (a number, or a string in quotes)",
        '  metrics.val_loss <',
        '                    ^',
      ].join('\n'),
    );
  });
});

describe('extensions: OR, parentheses, IN lists on params, tags and string attributes', () => {
  const cases: Array<[string, object]> = [
    // §10.3 #61–63, #75–78 are MLflow errors that mlr accepts as extensions
    ["metrics.val_loss < 0.4 OR params.lr = '0.1'", or(c('metric', 'val_loss', '<', 0.4), c('param', 'lr', '=', '0.1'))],
    ['(metrics.val_loss < 0.4)', c('metric', 'val_loss', '<', 0.4, { pos: [1, 23] })],
    ["metrics.val_loss < 0.4 AND (params.lr = '0.1')", and(c('metric', 'val_loss', '<', 0.4), c('param', 'lr', '=', '0.1'))],
    ["tags.team IN ('vision','nlp')", c('tag', 'team', 'IN', ['vision', 'nlp'], { listMode: 'plain' })],
    ["params.lr IN ('0.01')", c('param', 'lr', 'IN', ['0.01'], { listMode: 'plain' })],
    ["attributes.run_name IN ('alpha')", c('attribute', 'run_name', 'IN', ['alpha'], { listMode: 'plain' })],
    ["attributes.status NOT IN ('FINISHED')", c('attribute', 'status', 'NOT IN', ['FINISHED'], { listMode: 'plain' })],
    ['user_id in (\'Alice\', "bob")', c('attribute', 'user_id', 'IN', ['Alice', 'bob'], { listMode: 'plain' })],
    ["params.x not in ('a',)", c('param', 'x', 'NOT IN', ['a'], { listMode: 'plain' })],
    ["params.x NOT\n  IN ('a')", c('param', 'x', 'NOT IN', ['a'])],
    // precedence: AND binds tighter than OR
    ['metrics.a < 1 AND metrics.b < 2 OR metrics.c < 3', or(and(c('metric', 'a', '<', 1), c('metric', 'b', '<', 2)), c('metric', 'c', '<', 3))],
    ['metrics.a < 1 or metrics.b < 2 and metrics.c < 3', or(c('metric', 'a', '<', 1), and(c('metric', 'b', '<', 2), c('metric', 'c', '<', 3)))],
    ['(metrics.a < 1 OR metrics.b < 2) AND metrics.c < 3', and(or(c('metric', 'a', '<', 1), c('metric', 'b', '<', 2)), c('metric', 'c', '<', 3))],
    ['((metrics.a < 1))', c('metric', 'a', '<', 1)],
    [
      "(params.optimizer = 'adam' OR params.optimizer = 'sgd') and metrics.val_acc > 0.9",
      and(or(c('param', 'optimizer', '=', 'adam'), c('param', 'optimizer', '=', 'sgd')), c('metric', 'val_acc', '>', 0.9)),
    ],
    [
      'metrics.a < 1 OR (metrics.b < 2 OR (metrics.c < 3 AND metrics.d < 4))',
      or(c('metric', 'a', '<', 1), or(c('metric', 'b', '<', 2), and(c('metric', 'c', '<', 3), c('metric', 'd', '<', 4)))),
    ],
    // SQL LIKE: the pattern is kept as written; matching is in evaluate.ts
    ["params.lr LIKE '0.0(1)'", c('param', 'lr', 'LIKE', '0.0(1)')],
  ];
  it.each(cases)('%s', (filter, expected) => {
    expect(ast(filter)).toMatchObject(expected);
  });

  const errors: Array<[string, string, [number, number], string]> = [
    ['metrics.val_loss < 1 or', 'filter-syntax', [21, 23], "Invalid clause(s) in filter string: 'or'"],
    ['(metrics.val_loss < 1', 'filter-syntax', [0, 1], "Invalid clause(s) in filter string: '('"],
    ['metrics.val_loss < 1)', 'filter-syntax', [20, 21], "Invalid clause(s) in filter string: ')'"],
    ['metrics.a < 1 OR OR metrics.b < 2', 'filter-syntax', [14, 16], "Invalid clause(s) in filter string: 'OR'"],
    ['OR metrics.a < 1', 'filter-syntax', [0, 2], "Invalid clause(s) in filter string: 'OR'"],
    ['metrics.a < 1 AND OR metrics.b < 2', 'filter-syntax', [14, 17], "Invalid clause(s) in filter string: 'AND'"],
    ['()', 'filter-syntax', [1, 2], 'Invalid clause(s) in filter string:'],
    ['(metrics.a < 1 AND)', 'filter-syntax', [15, 18], "Invalid clause(s) in filter string: 'AND'"],
    ['(metrics.a < 1) (', 'filter-syntax', [16, 17], "Invalid clause(s) in filter string: '('"],
    ["params.x IN 'a'", 'filter-syntax', [12, 15], "Invalid clause(s) in filter string: 'params.x', 'IN', ''a''"],
    ["params.x = ('a')", 'filter-value-type', [11, 16], "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('a')"],
    ["status = ('FINISHED')", 'filter-value-type', [9, 21], "Only the 'run_id' attribute supports comparison with a list of quoted string values."],
    ['metrics.x IN (1)', 'filter-value-type', [13, 16], 'Expected numeric value type for metric. Found (1)'],
    ["start_time IN ('1')", 'filter-value-type', [14, 19], 'Expected numeric value type for numeric attribute: start_time. Found'],
    [
      "params.x IN ('a' 'b')",
      'filter-list',
      [12, 21],
      'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
    ],
    [
      "params.x IN ('a',,'b')",
      'filter-list',
      [12, 22],
      'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
    ],
    [
      'params.x IN (x)',
      'filter-list',
      [12, 15],
      'While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (x)',
    ],
    ["params.x LIKE 'a' OR params.y NOT LIKE 'b'", 'filter-comparator', [30, 38], "Invalid comparator 'NOT LIKE' not one of"],
  ];
  it.each(errors)('error: %s', (filter, code, pos, reason) => {
    const e = err(filter);
    expect(e).toMatchObject({ code, pos });
    expect(e.detail.startsWith(reason), `${e.detail}\n  does not start with\n${reason}`).toBe(true);
  });
});

describe('MLflow quirks kept', () => {
  const cases: Array<[string, object | undefined]> = [
    ['AND', undefined],
    ['AND and AND', undefined],
    ["params.a = 'x' AND AND params.b = 'y'", and(c('param', 'a', '=', 'x'), c('param', 'b', '=', 'y'))],
    // comparisons that merely follow each other are ANDed, as in MLflow
    ["params.a = 'x' params.b = 'y'", and(c('param', 'a', '=', 'x'), c('param', 'b', '=', 'y'))],
    ["params.a='x'AND params.b='y'", and(c('param', 'a', '=', 'x'), c('param', 'b', '=', 'y'))],
    // a word right after a dot is a key even if it is an SQL keyword
    ["params.and = 'x'", c('param', 'and', '=', 'x')],
    ["params.select = 'x'", c('param', 'select', '=', 'x')],
    ["tags.or = 'x'", c('tag', 'or', '=', 'x')],
    ["params.`from` = 'x'", c('param', 'from', '=', 'x')],
    ["params.inner = 'x'", c('param', 'inner', '=', 'x')],
    ['`metrics`.x < 1', c('metric', 'x', '<', 1)],
    ['"Run name" = \'beta\'', c('attribute', 'run_name', '=', 'beta')],
    ['Created >= 3000', c('attribute', 'start_time', '>=', 3000)],
    ["tags.mlflow.`source`.x = 'y'", c('tag', 'mlflow.`source`.x', '=', 'y')],
    ["params.x = 'a\\'", c('param', 'x', '=', 'a\\')],
    [`params.x = "it's"`, c('param', 'x', '=', "it's")],
    ['params.x = \'"q"\'', c('param', 'x', '=', '"q"')],
    ["params.x = ''", c('param', 'x', '=', '')],
    ['metrics.x > 1e400', c('metric', 'x', '>', Infinity)],
    ['metrics.x > -1e400', c('metric', 'x', '>', -Infinity)],
    ['metrics.x > 1E-5', c('metric', 'x', '>', 1e-5)],
    ['metrics.x > .5e3', c('metric', 'x', '>', 500)],
    ['metrics.x > 1.', c('metric', 'x', '>', 1)],
    ['metrics.x > -.5', c('metric', 'x', '>', -0.5)],
    ['metrics.x>=-1', c('metric', 'x', '>=', -1)],
    ['metrics.x\t<\n1', c('metric', 'x', '<', 1)],
    ['metrics.1st < 1', c('metric', '1st', '<', 1)],
    ['metrics._x < 1', c('metric', '_x', '<', 1)],
    ['metrics.é < 1', c('metric', 'é', '<', 1)],
    ['attributes.end_time < 99999999999999999999', c('attribute', 'end_time', '<', 1e20)],
  ];
  it.each(cases)('%s', (filter, expected) => {
    if (expected === undefined) expect(ast(filter)).toBeUndefined();
    else expect(ast(filter)).toMatchObject(expected);
  });

  const errors: Array<[string, string, [number, number]]> = [
    ['   ', 'filter-syntax', [0, 3]],
    ['metrics.x <> 1', 'filter-comparator', [10, 12]],
    ['metrics.x == 1', 'filter-comparator', [10, 12]],
    ['metrics.x => 1', 'filter-comparator', [10, 12]],
    ['metrics.x ~ 1', 'filter-comparator', [10, 11]],
    ["params.x REGEXP 'a'", 'filter-comparator', [9, 15]],
    ['metrics.x > 1e+5', 'filter-value-type', [12, 16]],
    ['metrics.x > 0x10', 'filter-value-type', [12, 16]],
    ['metrics.x > inf', 'filter-value-type', [12, 15]],
    ['metrics.x > "1"', 'filter-value-type', [12, 15]],
    ['params.x = `a`', 'filter-value-type', [11, 14]],
    ['params.x = null', 'filter-value-type', [11, 15]],
    ["params.in = 'x'", 'filter-syntax', [7, 9]],
    ["params.as = 'x'", 'filter-syntax', [7, 9]],
    ["params. x = 'x'", 'filter-syntax', [8, 9]],
    ["tags.v1.0 = 'x'", 'filter-syntax', [7, 9]],
    ["params.x = 'a", 'filter-syntax', [11, 12]],
    ["params.`x = 'a'", 'filter-syntax', [7, 8]],
    ["params.x = 'a' -- comment", 'filter-syntax', [15, 25]],
    ["params.x = 'a';;", 'filter-multiple-statements', [14, 15]],
    ["params.x = 'a'; ", 'filter-syntax', [14, 15]],
    ["'status' = 'x'", 'filter-identifier', [0, 8]],
    ['1 < metrics.x', 'filter-identifier', [0, 1]],
    ["attributes.run_name LIKE 'a[b'", 'filter-like-pattern', [25, 30]],
    ["params.x LIKE '*a'", 'filter-like-pattern', [14, 18]],
    ["params.x ILIKE 'a\\q'", 'filter-like-pattern', [15, 20]],
    ["params.x LIKE 'a\\1'", 'filter-like-pattern', [14, 19]],
    ["params.x LIKE '(?<n>a)'", 'filter-like-pattern', [14, 23]],
    ['end_time > 1.0', 'filter-integer', [11, 14]],
    ['end_time > 1e3', 'filter-integer', [11, 14]],
    ["metrics.x < 1 AND foo.y = 'z' AND params.a > 'b'", 'filter-entity', [18, 21]],
    // MLflow lists every invalid clause before it looks at any key
    ["foo.y = 'z' AND metrics.x", 'filter-syntax', [25, 26]],
    // keys and values of every clause are checked before any comparator
    ["params.a > 'b' AND metrics.x < 'y'", 'filter-value-type', [31, 34]],
  ];
  it.each(errors)('error: %s', (filter, code, pos) => {
    expect(err(filter)).toMatchObject({ code, pos });
  });

  it('LIKE patterns that are valid regexes in both dialects are accepted', () => {
    for (const p of ['a.b', 'visio*n', 'v[i]sion', 'a{2}', 'x|y', '^a$', 'a\\d', 'a{', '\\%', '[%_]']) {
      expect(() => parseFilter(`params.x LIKE '${p}'`), p).not.toThrow();
    }
  });
});
