import { describe, expect, it } from 'vitest';
import { applyQuery, compileQuery } from '../../src/search/index.js';
import { evaluate, pyIsLower } from '../../src/search/evaluate.js';
import { matchLike } from '../../src/search/like.js';
import { parseFilter } from '../../src/search/parser.js';
import { ID, NAME, RUNS } from './spec-store.js';

/** Names of the runs a filter selects, in MLflow's natural order. */
function names(filter: string): string[] {
  return applyQuery(RUNS, compileQuery({ filter })).map((r) => NAME[r.info.run_id]!);
}

const ALL = ['with-data', 'delta', 'Gamma run', 'beta', 'alpha'];

describe('spec §10.2 on the §10.1 test store', () => {
  const cases: Array<[number, string, string[]]> = [
    [1, '', ALL],
    [2, 'metrics.val_loss < 0.4', ['with-data', 'beta']],
    [3, 'metric.val_loss <= 0.5', ['with-data', 'beta', 'alpha']],
    [4, 'metrics.val_loss > 0.3', ['Gamma run', 'alpha']],
    [5, 'metrics.val_loss = 0.5', ['alpha']],
    [6, 'metrics.val_loss != 0.5', ['with-data', 'Gamma run', 'beta']],
    [7, 'metrics.acc > 0', ['alpha']],
    [8, 'metrics.acc != 0', ['beta', 'alpha']],
    [9, 'metrics.val_loss > 1e10', ['Gamma run']],
    [10, 'metrics.val_loss < -1e308', ['with-data']],
    [11, 'metrics.val_loss < .4', ['with-data', 'beta']],
    [12, 'metrics.val_loss<0.4', ['with-data', 'beta']],
    [13, 'metrics.train.loss < 1', ['alpha']],
    [14, 'metrics.`train.loss` < 1', ['alpha']],
    [15, 'metrics."train.loss" < 1', ['alpha']],
    [16, 'metrics.`batch size` = 1', ['alpha']],
    [17, "params.lr = '0.01'", ['alpha']],
    [18, 'params.lr = "0.01"', ['alpha']],
    [19, "param.model LIKE 'c%'", ['alpha']],
    [20, "params.model ILIKE 'c%'", ['beta', 'alpha']],
    [21, "params.model like 'c_n'", ['alpha']],
    [22, "params.model != 'cnn'", ['delta', 'beta']],
    [23, "parameters.model = 'cnn'", ['alpha']],
    [24, "params.`opt.name` = 'adam'", ['alpha']],
    // deliberate difference (spec §4.2): MLflow's regex `.` also matches `1e-3` (Gamma run);
    // mlr's SQL LIKE matches a literal `.` only
    [25, "params.lr LIKE '%.%'", ['beta', 'alpha']],
    [26, "params.lr = 'it''s'", []],
    [27, "params.lr = '0.01' and metrics.val_loss < 1", ['alpha']],
    [28, "tags.team = 'vision'", ['alpha']],
    [29, "tag.team != 'vision'", ['with-data', 'delta', 'beta']],
    [30, "tags.team ILIKE 'vision'", ['delta', 'alpha']],
    [31, `tags."my.tag" = 'x'`, ['alpha']],
    [32, "tags.`with space` = 'y'", ['alpha']],
    [33, "tags.mlflow.runName = 'alpha'", ['alpha']],
    [34, "tags.team != 'vision' AND tags.team != 'nlp'", ['with-data', 'delta']],
    [35, "attributes.status = 'FINISHED'", ['delta', 'alpha']],
    [36, "attributes.status = 'finished'", []],
    [37, "status = 'RUNNING'", ['Gamma run']],
    [38, "run.status = 'KILLED'", ['with-data']],
    [39, "attr.user_id = 'alice'", ['delta', 'alpha']],
    [40, "run_name = 'Gamma run'", ['Gamma run']],
    [41, "attributes.run_name ILIKE 'gamma%'", ['Gamma run']],
    [42, "`Run name` = 'beta'", ['beta']],
    [43, `attributes.run_id = '${ID.alpha}'`, ['alpha']],
    [44, `attributes.run_id IN ('${ID.alpha}', '${ID.beta}')`, ['beta', 'alpha']],
    [45, `attributes.run_id NOT IN ('${ID.alpha}')`, ['with-data', 'delta', 'Gamma run', 'beta']],
    [46, `attributes.run_id IN ('${ID.alpha!.toUpperCase()}')`, []],
    [47, 'attributes.start_time >= 3000', ['with-data', 'delta', 'Gamma run']],
    [48, 'attributes.created > 1500', ['with-data', 'delta', 'Gamma run', 'beta']],
    [49, 'attributes.end_time > 0', ['with-data', 'delta', 'beta', 'alpha']],
    [50, "attributes.artifact_uri LIKE '%artifacts'", ALL],
    [51, "datasets.name = 'train-ds'", ['with-data']],
    [52, "dataset.name LIKE 'train%'", ['with-data']],
    [53, "datasets.digest IN ('abc123', 'zzz')", ['with-data']],
    [54, "datasets.context = 'training'", ['with-data']],
    [55, "datasets.context != 'training'", []],
    [56, "datasets.name NOT IN ('Train-ds')", ['with-data']],
    [57, "tags.team = 'vision' AND", ['alpha']],
    [58, "AND params.model = 'cnn'", ['alpha']],
    // deliberate difference: MLflow reads `*` as a regex quantifier and matches alpha
    [59, "tags.team LIKE 'visio*n'", []],
    [60, 'metrics.val_loss <= 0.5 AND metrics.val_loss >= 0.3', ['beta', 'alpha']],
    [99, "params.'a b' = 'x'", []],
  ];
  it.each(cases)('#%i %s', (_n, filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });
});

describe('extensions evaluate as their MLflow equivalents', () => {
  // each extension filter against the union / conjunction MLflow would need
  const cases: Array<[string, string[]]> = [
    ["metrics.val_loss < 0.4 OR params.lr = '0.1'", ['with-data', 'beta']],
    ["params.lr = '0.01' OR params.lr = '1e-3'", ['Gamma run', 'alpha']],
    ["(params.model = 'cnn' OR params.model = 'rnn') AND tags.team LIKE 'V%'", ['delta']],
    ["tags.team IN ('vision', 'nlp')", ['beta', 'alpha']],
    ["tags.team NOT IN ('vision', 'nlp')", ['with-data', 'delta']], // Gamma run has no team tag
    ["params.model IN ('CNN')", ['beta']], // plain membership: upper case kept
    ["status IN ('KILLED', 'RUNNING')", ['with-data', 'Gamma run']],
    ["attributes.status NOT IN ('FINISHED')", ['with-data', 'Gamma run', 'beta']],
    ["run_name IN ('alpha', 'Gamma run')", ['Gamma run', 'alpha']],
    ["user_id NOT IN ('alice')", ['with-data', 'Gamma run', 'beta']],
    ['metrics.acc != 0 OR metrics.val_loss > 1e10', ['Gamma run', 'beta', 'alpha']],
    ['(metrics.val_loss < 0)', ['with-data']],
  ];
  it.each(cases)('%s', (filter, expected) => {
    expect(names(filter)).toEqual(expected);
  });

  it('NOT IN on run_id and datasets drops non-lower-case items, as MLflow does', () => {
    expect(names(`attributes.run_id NOT IN ('${ID.alpha!.toUpperCase()}')`)).toEqual(ALL);
    expect(names("datasets.digest IN ('ABC123')")).toEqual([]);
    expect(names("datasets.digest IN ('abc123', '123')")).toEqual(['with-data']);
  });
});

describe('semantics', () => {
  const alpha = RUNS.find((r) => r.info.run_id === ID.alpha)!;
  const beta = RUNS.find((r) => r.info.run_id === ID.beta)!;
  const holds = (filter: string, run = alpha) => evaluate(parseFilter(filter), run);

  it('a missing key is false for every comparator, != included', () => {
    for (const f of ["params.nope != 'x'", 'metrics.nope != 0', "tags.nope NOT IN ('x')", "params.nope NOT LIKE 'x'".replace(' NOT', '')]) {
      expect(holds(f), f).toBe(false);
    }
  });

  it('NaN fails =, <, <=, >, >= and passes !=', () => {
    expect(['=', '<', '<=', '>', '>='].map((op) => holds(`metrics.acc ${op} 0`, beta))).toEqual([false, false, false, false, false]);
    expect(holds('metrics.acc != 0', beta)).toBe(true);
  });

  it('strings compare exactly and by case', () => {
    expect(holds("params.model = 'cnn'")).toBe(true);
    expect(holds("params.model = 'CNN'")).toBe(false);
    expect(holds("params.model ILIKE 'CNN'")).toBe(true);
  });

  it('SQL LIKE: only % and _ are wildcards, the whole value must match', () => {
    const cases: Array<[string, string, boolean, boolean]> = [
      ['abc', 'abc', false, true],
      ['abc', 'ab', false, false],
      ['abc', 'a%', false, true],
      ['abc', '%c', false, true],
      ['abc', 'a_c', false, true],
      ['abc', '_', false, false],
      ['a.c', 'a.c', false, true],
      ['abc', 'a.c', false, false],
      ['aXc', 'a[X]c', false, false],
      ['a[X]c', 'a[X]c', false, true],
      ['visiooon', 'visio*n', false, false],
      ['0.0(1', '0.0(1', false, true],
      ['a\nb', 'a%b', false, true],
      ['abc\n', 'abc', false, false],
      ['😀x', '_x', false, true],
      ['ÄBC', 'äbc', true, true],
      ['ABC', 'a%', true, true],
      ['ABC', 'a%', false, false],
      ['100%', '100%', false, true],
      ['', '%', false, true],
      ['', '_', false, false],
    ];
    for (const [value, pattern, ci, want] of cases) expect(matchLike(value, pattern, ci), `${value} LIKE ${pattern}`).toBe(want);
  });

  it('Python str.islower()', () => {
    expect(['abc', 'a1', 'é', 'abc123', 'ß'].map(pyIsLower)).toEqual([true, true, true, true, true]);
    expect(['', '123', 'Abc', 'aBc', 'ǅa', '-'].map(pyIsLower)).toEqual([false, false, false, false, false, false]);
  });

  it('dataset clauses are existential over the inputs', () => {
    const two = {
      ...alpha,
      datasets: [
        { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'a', digest: 'd1', source_type: 's', source: 's' } },
        { tags: [{ key: 'mlflow.data.context', value: 'eval' }], dataset: { name: 'b', digest: 'd2', source_type: 's', source: 's' } },
      ],
    };
    expect(holds("datasets.name = 'b'", two)).toBe(true);
    expect(holds("datasets.name != 'a'", two)).toBe(true);
    expect(holds("datasets.context = 'eval' AND datasets.name = 'a'", two)).toBe(true); // two different inputs
    expect(holds("datasets.name NOT IN ('a', 'b')", two)).toBe(false);
    expect(holds("datasets.context != 'x'")).toBe(false); // alpha has no inputs
  });
});

describe('compileQuery', () => {
  it('needs lists exactly the keys the filter and the order-by touch', () => {
    const q = compileQuery({
      filter: "metrics.val_loss < 1 AND (params.lr = '0.1' OR tags.team IN ('a')) AND status = 'FINISHED'",
      orderBy: ['metrics.acc DESC', 'params.model', 'tags.`my tag`', 'start_time'],
    });
    expect(q.needs).toEqual({
      metrics: new Set(['val_loss', 'acc']),
      params: new Set(['lr', 'model']),
      tags: new Set(['team', 'my tag']),
      datasets: false,
    });
    expect(compileQuery({ filter: "datasets.name = 'x'" }).needs).toEqual({ metrics: new Set(), params: new Set(), tags: new Set(), datasets: true });
    expect(compileQuery({}).predicate).toBeUndefined();
  });

  it('applyQuery filters, sorts and cuts', () => {
    const q = compileQuery({ filter: 'metrics.val_loss > -1e400', orderBy: ['metrics.val_loss DESC'] });
    expect(applyQuery(RUNS, q, 2).map((r) => NAME[r.info.run_id])).toEqual(['Gamma run', 'alpha']);
  });
});
