/**
 * What the REST backend sends to a server's runs/search (src/store/rest/pushdown.ts): the
 * clauses of a top-level AND that MLflow's grammar has, written so that MLflow re-parses
 * them to the same clause; the rest stays here; the order-by goes only with the whole filter.
 */
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/search/index.js';
import { clauseText, pushDown } from '../../src/store/rest/pushdown.js';
import type { CompareNode } from '../../src/search/index.js';

const push = (filter: string, orderBy: string[] = []) => {
  const p = pushDown(compileQuery({ filter, orderBy }));
  return { filter: p.filter, local: p.local !== undefined, orderBy: p.orderBy };
};

describe('pushDown', () => {
  it.each([
    ["metrics.val_loss < 0.5 and params.optimizer = 'adam'", "metrics.`val_loss` < 0.5 AND params.`optimizer` = 'adam'", false],
    ['metrics.`val loss` >= -1.25', 'metrics.`val loss` >= -1.25', false],
    ['tags."mlflow.user" LIKE \'an%\'', "tags.`mlflow.user` LIKE 'an%'", false],
    ["attributes.status != 'FAILED' and run_name ILIKE '%bert%'", "attributes.status != 'FAILED' AND attributes.run_name ILIKE '%bert%'", false],
    [
      'start_time > 1700000000000 and attributes.end_time <= 1800000000000',
      'attributes.start_time > 1700000000000 AND attributes.end_time <= 1800000000000',
      false,
    ],
    ["run_id IN ('abc', 'def')", "attributes.run_id IN ('abc', 'def')", false],
    ['params.note = "it\'s"', 'params.`note` = "it\'s"', false],
    // mlr's extensions stay here; MLflow's clauses beside them still go
    ["metrics.val_loss < 0.5 OR params.optimizer = 'adam'", '', true],
    ["metrics.val_loss < 0.5 and (params.optimizer = 'adam' or params.optimizer = 'sgd')", 'metrics.`val_loss` < 0.5', true],
    ["params.optimizer IN ('adam', 'sgd') and metrics.val_acc > 0.9", 'metrics.`val_acc` > 0.9', true],
    // not written exactly in MLflow's syntax: kept here
    ['metrics.x < 1e-7', '', true],
    ["datasets.name = 'mnist'", '', true],
  ])('%s → %s', (filter, sent, local) => {
    expect(push(filter)).toMatchObject({ filter: sent, local });
  });

  it('sends the order-by (and so the cut) only with the whole filter', () => {
    expect(push("params.optimizer = 'adam'", ['metrics.val_loss ASC', 'start_time DESC']).orderBy).toEqual([
      'metrics.`val_loss` ASC',
      'attributes.start_time DESC',
    ]);
    expect(push("params.optimizer = 'adam' OR status = 'FAILED'", ['metrics.val_loss ASC']).orderBy).toBeUndefined();
    expect(pushDown(undefined)).toEqual({ filter: '', local: undefined, orderBy: [] });
  });

  it('refuses a string holding both quotes and a key holding a backtick', () => {
    const c = (over: Partial<CompareNode>): CompareNode => ({ type: 'compare', entity: 'param', key: 'k', op: '=', value: 'v', pos: [0, 1], ...over });
    expect(clauseText(c({ value: `a'b"c` }))).toBeUndefined();
    expect(clauseText(c({ key: 'a`b' }))).toBeUndefined();
    expect(clauseText(c({ entity: 'attribute', key: 'run_name', op: 'IN', value: ['a'], listMode: 'plain' }))).toBeUndefined();
  });
});
