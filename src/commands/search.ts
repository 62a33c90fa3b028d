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
}

export interface BestRun {
  run: RunEntry;
  value: number;
  /** the compiled query (filter + the metric's order), for the columns of a table */
  query: CompiledQuery;
}

/**
 * The run with the best latest value of a metric: `--order-by "metrics.<key> ASC|DESC"
 * --max-results 1` with runs whose value is NaN or missing left out, so ties are broken
 * as MLflow's ordering breaks them (then start_time DESC, run_id ASC). Throws
 * NotFoundError (exit 1) when no run qualifies.
 */
export async function bestRun(store: TrackingReader, opts: BestRunOptions): Promise<BestRun> {
  const metric = opts.metric.replace(/^metrics?\./, '');
  if (metric === '') throw new UsageError('--metric needs a metric key, e.g. --metric val_loss');
  const query = compileQuery({ filter: opts.filter });
  const order: OrderKey = { entity: 'metric', key: metric, ascending: opts.direction === 'min', source: `metrics.${metric}` };
  query.order.push(order);
  query.needs.metrics.add(metric);
  // NaN and missing values sort after every real value in both directions, so the first run
  // of the ordered search is the best whenever any run has a value: a backend that orders in
  // SQL answers with one row
  const first = (await searchSelected(store, { experiments: opts.experiments, view: opts.view, query, maxResults: 1 }))[0];
  const firstValue = first?.metrics.get(metric);
  if (first && firstValue !== undefined && !Number.isNaN(firstValue)) return { run: first.entry, value: firstValue, query };
  // no run qualifies: count the candidates for the message
  const matched = await searchSelected(store, { experiments: opts.experiments, view: opts.view, query, unordered: true });
  const top = sortRuns(matched, query.order, 1)[0];
  const value = top?.metrics.get(metric);
  if (!top || value === undefined || Number.isNaN(value)) {
    const among = `${matched.length} run${matched.length === 1 ? '' : 's'}${opts.filter ? ' matching the filter' : ''}`;
    const why = matched.length === 0 ? '' : `: none of them has a value for metric '${metric}'${top && value !== undefined ? ' other than NaN' : ''}`;
    throw new NotFoundError(`no best run for metric '${metric}' among ${among}${why}`, 'no-best-run');
  }
  return { run: top.entry, value, query };
}
