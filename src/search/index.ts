/**
 * Run search: compile a filter and order-by clauses once, then apply them to loaded runs.
 *
 * ```ts
 * const q = compileQuery({ filter: "metrics.val_loss < 0.3", orderBy: ['metrics.val_loss ASC'] });
 * const runs = entries.map((e) => store.loadSearchable(e, q.needs)); // loads only those keys
 * const page = applyQuery(runs, q, 20);
 * ```
 */
import type { FilterNode, OrderKey } from './ast.js';
import { evaluate } from './evaluate.js';
import { parseOrderBy, sortRuns } from './order-by.js';
import { parseFilter } from './parser.js';
import type { SearchableRun } from '../store/types.js';

export type { CompareNode, FilterNode, OrderKey } from './ast.js';
export { evaluate } from './evaluate.js';
export { sortRuns } from './order-by.js';
/** Exactly the keys a query touches, so a reader loads only those files. */
interface QueryNeeds {
  metrics: Set<string>;
  params: Set<string>;
  tags: Set<string>;
  /** a `datasets.*` clause needs the run's dataset inputs */
  datasets: boolean;
}

export interface CompiledQuery {
  /** undefined: no filter, every run matches */
  predicate: FilterNode | undefined;
  order: OrderKey[];
  needs: QueryNeeds;
}

export interface QueryOptions {
  filter?: string;
  orderBy?: string[];
}

/** Adds the keys a filter reads to `needs`. */
function addNeeds(node: FilterNode, needs: QueryNeeds): void {
  if (node.type !== 'compare') {
    for (const n of node.items) addNeeds(n, needs);
    return;
  }
  if (node.entity === 'metric') needs.metrics.add(node.key);
  else if (node.entity === 'param') needs.params.add(node.key);
  else if (node.entity === 'tag') needs.tags.add(node.key);
  else if (node.entity === 'dataset') needs.datasets = true;
}

/** Parses the filter and order-by clauses; throws FilterError (exit 2) on the first bad one. */
export function compileQuery(opts: QueryOptions): CompiledQuery {
  const predicate = opts.filter === undefined ? undefined : parseFilter(opts.filter);
  const order = (opts.orderBy ?? []).map(parseOrderBy);
  const needs: QueryNeeds = { metrics: new Set(), params: new Set(), tags: new Set(), datasets: false };
  if (predicate) addNeeds(predicate, needs);
  for (const k of order) {
    if (k.entity === 'metric') needs.metrics.add(k.key);
    else if (k.entity === 'param') needs.params.add(k.key);
    else if (k.entity === 'tag') needs.tags.add(k.key);
  }
  return { predicate, order, needs };
}

/** The runs the filter keeps, in their order (all of them without a filter). */
export function filterRuns<R extends SearchableRun>(runs: readonly R[], q: CompiledQuery): readonly R[] {
  return q.predicate ? runs.filter((r) => evaluate(q.predicate, r)) : runs;
}

/** Filters, sorts (spec §5.2) and cuts to `maxResults` (all when undefined). Returns a new array. */
export function applyQuery<R extends SearchableRun>(runs: readonly R[], q: CompiledQuery, maxResults?: number): R[] {
  return sortRuns(filterRuns(runs, q), q.order, maxResults);
}
