/**
 * Filter evaluation: AST × SearchableRun → boolean, with MLflow's file-store semantics
 * (spec §4.2), except LIKE, which is SQL's (src/search/like.ts).
 */
import type { CompareNode, FilterNode } from './ast.js';
import { matchLike } from './like.js';
import { runInfoField, type SearchableRun } from '../store/types.js';

/** Python `str.islower()`: no upper- or title-case character, and at least one lower-case one. */
export function pyIsLower(s: string): boolean {
  return !/[\p{Uppercase}\p{Lt}]/u.test(s) && /\p{Lowercase}/u.test(s);
}

const listSets = new WeakMap<CompareNode, Set<string>>();

/** The set an IN / NOT IN clause tests against (MLflow drops non-lower-case items for run_id and datasets). */
function listSet(node: CompareNode): Set<string> {
  let set = listSets.get(node);
  if (!set) {
    const items = node.value as string[];
    set = new Set(node.listMode === 'mlflow' ? items.filter(pyIsLower) : items);
    listSets.set(node, set);
  }
  return set;
}

function compareString(lhs: string, node: CompareNode): boolean {
  switch (node.op) {
    case '=':
      return lhs === node.value;
    case '!=':
      return lhs !== node.value;
    case 'LIKE':
      return matchLike(lhs, node.value as string, false);
    case 'ILIKE':
      return matchLike(lhs, node.value as string, true);
    case 'IN':
      return listSet(node).has(lhs);
    case 'NOT IN':
      return !listSet(node).has(lhs);
    default:
      return false; // the parser never lets other comparators reach a string
  }
}

/**
 * IEEE comparisons, as Python's operators do them: NaN fails all but `!=`. An int64
 * attribute beyond 2^53 (a bigint) compares exactly with an integer and as a double otherwise.
 */
function compareNumber(lhs: number | bigint, op: CompareNode['op'], v: number): boolean {
  if (typeof lhs === 'bigint' && !Number.isInteger(v)) lhs = Number(lhs);
  switch (op) {
    case '=':
      return typeof lhs === 'bigint' ? lhs === BigInt(v) : lhs === v;
    case '!=':
      return typeof lhs === 'bigint' ? lhs !== BigInt(v) : lhs !== v;
    case '<':
      return lhs < v;
    case '<=':
      return lhs <= v;
    case '>':
      return lhs > v;
    case '>=':
      return lhs >= v;
    default:
      return false;
  }
}

function attributeValue(run: SearchableRun, key: string): string | number | bigint | null | undefined {
  // only the searchable attributes (the parser rejects the others)
  return key === 'experiment_id' || key === 'lifecycle_stage' ? undefined : runInfoField(run.info, key);
}

/** Whether one clause holds for a run. A missing key makes every comparison false, `!=` too. */
function evaluateComparison(node: CompareNode, run: SearchableRun): boolean {
  switch (node.entity) {
    case 'metric': {
      const v = run.metrics.get(node.key);
      return v !== undefined && compareNumber(v, node.op, node.value as number);
    }
    case 'param': {
      const v = run.params.get(node.key);
      return v !== undefined && compareString(v, node);
    }
    case 'tag': {
      const v = run.tags.get(node.key);
      return v !== undefined && compareString(v, node);
    }
    case 'attribute': {
      const v = attributeValue(run, node.key);
      if (v === null || v === undefined) return false;
      return typeof v === 'string' ? compareString(v, node) : compareNumber(v, node.op, node.value as number);
    }
    case 'dataset': {
      // existential: any dataset input satisfying the clause; runs without inputs never match
      for (const input of run.datasets) {
        if (node.key === 'context') {
          for (const tag of input.tags) {
            if (tag.key === 'mlflow.data.context' && compareString(tag.value, node)) return true;
          }
        } else {
          const v = node.key === 'name' ? input.dataset.name : input.dataset.digest;
          if (typeof v === 'string' && compareString(v, node)) return true;
        }
      }
      return false;
    }
  }
}

/** Whether the filter holds for a run (undefined filter: always). */
export function evaluate(node: FilterNode | undefined, run: SearchableRun): boolean {
  if (!node) return true;
  switch (node.type) {
    case 'compare':
      return evaluateComparison(node, run);
    case 'and':
      return node.items.every((n) => evaluate(n, run));
    case 'or':
      return node.items.some((n) => evaluate(n, run));
  }
}
