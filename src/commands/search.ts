/**
 * Search-driven commands: the columns a query names (for runs ls), and `runs best`.
 */
import { NotFoundError, UsageError } from '../errors.js';
import type { CompiledQuery, FilterNode, OrderKey } from '../search/index.js';
import { compileQuery, sortRuns } from '../search/index.js';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import type { ViewType } from '../store/types.js';
import type { ColumnSpec } from './run-table.js';
import { searchSelected } from './select.js';

const ATTRIBUTE_COLUMN: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'run_name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
};

function columnFor(entity: string, key: string): ColumnSpec | undefined {
  switch (entity) {
    case 'metric':
      return { key: `metrics.${key}`, kind: 'metric', name: key };
    case 'param':
      return { key: `params.${key}`, kind: 'param', name: key };
    case 'tag':
      return { key: `tags.${key}`, kind: 'tag', name: key };
    case 'attribute': {
      const a = ATTRIBUTE_COLUMN[key];
      return a ? { key: a, kind: 'attr', name: a } : undefined;
    }
    default:
      return undefined; // datasets have no column
  }
}

function filterKeys(n: FilterNode | undefined, out: Array<[string, string]>): void {
  if (!n) return;
  if (n.type === 'compare') out.push([n.entity, n.key]);
  else for (const c of n.items) filterKeys(c, out);
}

/**
 * The columns a query names, order-by keys first, then the filter's keys in the order
 * they appear; each once, pinned (kept on a narrow terminal). The default runs table
 * shows these before other columns.
 */
export function queryColumns(q: CompiledQuery): ColumnSpec[] {
  const keys: Array<[string, string]> = q.order.map((k) => [k.entity, k.key]);
  filterKeys(q.predicate, keys);
  const out: ColumnSpec[] = [];
  const seen = new Set<string>();
  for (const [entity, key] of keys) {
    const c = columnFor(entity, key);
    if (c && !seen.has(c.key)) {
      seen.add(c.key);
      out.push({ ...c, pinned: true });
    }
  }
  return out;
}

export interface BestRunOptions {
  metric: string;
  /** 'min': the lowest latest value wins; 'max': the highest */
  direction: 'min' | 'max';
  experiments?: string[];
  view: ViewType;
  filter?: string;
  /** skip runs whose latest value is not finite (±inf, or the ±1.7976931348623157e308 SQL stores keep for ±inf) */
  finite?: boolean;
}

export interface BestRun {
  run: RunEntry;
  value: number;

  /** the compiled query (filter + the metric's order), for the columns of a table */
  query: CompiledQuery;
}

/**
 * ±Infinity, or the ±1.7976931348623157e308 MLflow's SQL store keeps in its place (SQL has no
 * infinities, so a database cannot tell them apart): a value that wins an ordering by not
 * being a measurement. NaN is handled apart (it never wins).
 */
export function isInfinite(v: number): boolean {
  return v === Infinity || v === -Infinity || v === Number.MAX_VALUE || v === -Number.MAX_VALUE;
}

/**
 * The run with the best latest value of a metric: `--order-by "metrics.<key> ASC|DESC"
 * --max-results 1` with runs whose value is NaN or missing left out, so ties are broken
 * as MLflow's ordering breaks them (then start_time DESC, run_id ASC). ±inf are values
 * and win as MLflow orders them, unless `finite` leaves them out too. Throws
 * NotFoundError (exit 1) when no run qualifies.
 */
export async function bestRun(store: TrackingReader, opts: BestRunOptions): Promise<BestRun> {
  const metric = opts.metric.replace(/^metrics?\./, '');
  if (metric === '') throw new UsageError('--metric needs a metric key, e.g. --metric val_loss');
  const query = compileQuery({ filter: opts.filter });
  const order: OrderKey = {
    entity: 'metric',
    key: metric,
    ascending: opts.direction === 'min',
    source: `metrics.${metric} ${opts.direction === 'min' ? 'ASC' : 'DESC'}`,
  };
  query.order.push(order);
  query.needs.metrics.add(metric);
  const qualifies = (v: number | undefined): v is number => v !== undefined && !Number.isNaN(v) && !(opts.finite && isInfinite(v));
  // NaN and missing values sort after every real value in both directions, so the first run
  // of the ordered search is the best whenever any run has a value: a backend that orders in
  // SQL answers with one row
  const first = (await searchSelected(store, { experiments: opts.experiments, view: opts.view, query, maxResults: 1 }))[0];
  const firstValue = first?.metrics.get(metric);
  if (first && qualifies(firstValue)) return { run: first.entry, value: firstValue, query };
  // the first does not qualify: NaN or missing (then none does), or ±inf under `finite` (then
  // look further, in the same order, and count the candidates for the message)
  const matched = await searchSelected(store, { experiments: opts.experiments, view: opts.view, query, unordered: true });
  const infinite = matched.filter((r) => {
    const v = r.metrics.get(metric);
    return v !== undefined && isInfinite(v);
  }).length;
  const top = sortRuns(
    matched.filter((r) => qualifies(r.metrics.get(metric))),
    query.order,
    1,
  )[0];
  const value = top?.metrics.get(metric);
  if (!top || value === undefined) {
    const among = `${matched.length} run${matched.length === 1 ? '' : 's'}${opts.filter ? ' matching the filter' : ''}`;
    const hasAny = matched.some((r) => r.metrics.has(metric));
    const other = opts.finite && infinite > 0 ? ' other than NaN or ±inf' : ' other than NaN';
    const why = matched.length === 0 ? '' : `: none of them has a value for metric '${metric}'${hasAny ? other : ''}`;
    throw new NotFoundError(`no best run for metric '${metric}' among ${among}${why}`, 'no-best-run');
  }
  return { run: top.entry, value, query };
}
