/**
 * Table controls for `mlr runs ls`: aggregate and sparkline columns, --only-changed,
 * --keep/--drop, --tree and ordering by aggregates (hooked into the search module's order-by). Each works on plain data (runs, columns,
 * a built RunTable) so the CLI only strings them together.
 */
import { UsageError } from '../errors.js';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import type { CompiledQuery } from '../search/index.js';
import type { ViewType } from '../store/types.js';
import { computeAggregates, parseAggregate, parseAggregateOrderBy, type AggregateSpec, type AggregateValue } from './aggregates.js';
import type { CellValue, ColumnSpec, RunTable } from './run-table.js';

/** The run-table column for an aggregate spec (`min(metrics.val_loss)`, header `min(val_loss)`). */
function aggregateColumn(spec: AggregateSpec): ColumnSpec {
  return { key: spec.key, kind: 'agg', name: `${spec.fn}(${spec.metric})`, agg: spec };
}

/** Columns for `--spark <metric>` values (`metrics.val_loss` or `val_loss`). */
export function sparkColumns(metrics: readonly string[] | undefined): ColumnSpec[] {
  return (metrics ?? []).map((m) => {
    const spec = parseAggregate(`spark(${m.trim()})`);
    if (!spec) throw new UsageError(`--spark needs a metric, e.g. --spark metrics.val_loss; got '${m}'`);
    return aggregateColumn(spec);
  });
}

/** Computes every aggregate column of `columns` for `runs` (streamed histories). */
export async function aggregateValues(
  store: TrackingReader,
  runs: readonly RunEntry[],
  columns: readonly ColumnSpec[],
): Promise<Map<string, Map<string, AggregateValue>> | undefined> {
  const specs = columns.flatMap((c) => (c.agg ? [c.agg] : []));
  if (specs.length === 0) return undefined;
  return computeAggregates(store, runs, specs);
}

/** A compiled query whose order-by may name metric aggregates as well as plain keys. */
export interface AggregateQuery {
  /** the search module's query; aggregate clauses are in `order` as metric keys named by the spec key */
  query: CompiledQuery;
  /** the aggregates the order-by names, computed for the filtered runs before sorting */
  aggregates: AggregateSpec[];
  /** the columns the query names (pinned): plain keys from the search module, then aggregates */
  columns: ColumnSpec[];
}

/**
 * Compiles `--filter` and `--order-by` with the search module, letting order-by clauses name
 * aggregates (`min(metrics.val_loss) DESC`). An aggregate clause becomes an ordinary metric
 * order key whose key is the aggregate's text (`min(metrics.val_loss)`); MLflow metric names
 * cannot contain parentheses, so it never meets a real metric. Its value is put into each
 * run's metrics map before sorting (see selectRunsWithAggregates). Throws FilterError /
 * UsageError (exit 2) on a bad clause.
 */
export async function compileAggregateQuery(filter: string | undefined, orderBy: readonly string[] | undefined): Promise<AggregateQuery> {
  const { compileQuery } = await import('../search/index.js');
  const { queryColumns } = await import('./search.js');
  const clauses = orderBy ?? [];
  const parsed = clauses.map((c) => ({ clause: c, agg: parseAggregateOrderBy(c) }));
  const query = compileQuery({ filter, orderBy: parsed.filter((p) => !p.agg).map((p) => p.clause) });
  const columns = queryColumns(query);
  const plain = [...query.order];
  query.order = parsed.map((p) =>
    p.agg ? { entity: 'metric' as const, key: p.agg.spec.key, ascending: !p.agg.descending, source: p.clause } : plain.shift()!,
  );
  const aggregates = parsed.flatMap((p) => (p.agg ? [p.agg.spec] : []));
  for (const a of aggregates) if (!columns.some((c) => c.key === a.key)) columns.push({ ...aggregateColumn(a), pinned: true });
  return { query, aggregates, columns };
}

/**
 * The runs of a listing: like selectRuns (experiments, view, filter, MLflow's order-by rules,
 * max results), with aggregate order keys computed — streamed — for the runs that pass the
 * filter, before sorting and cutting.
 */
export async function selectRunsWithAggregates(
  store: TrackingReader,
  opts: { experiments?: readonly string[]; view: ViewType; maxResults?: number; query: AggregateQuery },
): Promise<RunEntry[]> {
  const { selectRuns, searchSelected } = await import('./select.js');
  const { query, aggregates } = opts.query;
  if (aggregates.length === 0) return selectRuns(store, { experiments: opts.experiments, view: opts.view, maxResults: opts.maxResults, query });
  const { sortRuns } = await import('../search/index.js');
  // filter in the backend, then order here: the aggregate keys are computed for the runs that passed
  const matched = await searchSelected(store, { experiments: opts.experiments, view: opts.view, query, unordered: true });
  const values = await computeAggregates(
    store,
    matched.map((r) => r.entry),
    aggregates,
  );
  for (const r of matched) {
    const v = values.get(r.info.run_id);
    for (const a of aggregates) {
      const x = v?.get(a.key);
      // null: missing, sorts last; an argmin step beyond 2^53 sorts as its double
      if (typeof x === 'number' || typeof x === 'bigint') r.metrics.set(a.key, Number(x));
    }
  }
  return sortRuns(matched, query.order, opts.maxResults).map((r) => r.entry);
}

function sameValue(a: CellValue, b: CellValue): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

function compileRegexes(patterns: readonly string[] | undefined, flag: string): RegExp[] {
  return (patterns ?? []).map((p) => {
    try {
      return new RegExp(p);
    } catch (e) {
      throw new UsageError(`${flag} '${p}' is not a valid regular expression: ${(e as Error).message}`, 'bad-regex');
    }
  });
}

export interface ColumnControls {
  /** hide metric/param/tag/aggregate columns whose value is the same on every row */
  onlyChanged?: boolean;
  /** columns whose key matches one of these are always shown; with --keep, other data columns are hidden */
  keep?: readonly string[];
  /** columns whose key matches one of these are hidden (unless kept) */
  drop?: readonly string[];
}

/**
 * Chooses the columns to show, DVC-style. A column is shown when its key (`params.lr`,
 * `metrics.val_loss`, `min(metrics.val_loss)`, `run_name`) matches a --keep pattern; otherwise
 * when no --drop pattern matches it, --only-changed does not hide it, and — if --keep was
 * given — it is an attribute column. Patterns are unanchored JavaScript regexes.
 */
export function applyColumnControls(table: RunTable, controls: ColumnControls): RunTable {
  const keep = compileRegexes(controls.keep, '--keep');
  const drop = compileRegexes(controls.drop, '--drop');
  const shown: number[] = [];
  table.columns.forEach((c, i) => {
    if (keep.some((r) => r.test(c.key))) {
      shown.push(i);
      return;
    }
    if (drop.some((r) => r.test(c.key))) return;
    if (keep.length > 0 && c.kind !== 'attr') return;
    if (controls.onlyChanged && c.kind !== 'attr') {
      const first = table.rows[0]?.values[i] ?? null;
      if (table.rows.every((r) => sameValue(r.values[i] ?? null, first))) return;
    }
    shown.push(i);
  });
  if (shown.length === table.columns.length) return table;
  return {
    columns: shown.map((i) => table.columns[i]!),
    rows: table.rows.map((r) => ({ ...r, values: shown.map((i) => r.values[i] ?? null) })),
  };
}

// ------------------------------------------------------------------ --tree

/** A run placed in the tree: its depth and, per level, whether it is the last child there. */
export interface TreeRow {
  run: RunEntry;
  depth: number;
  /** lastAt[d] is true when the ancestor at depth d+1 (or the run itself, last entry) is the last of its siblings */
  lastAt: boolean[];
  parentId: string | null;
}

/**
 * Orders runs as a tree: each run's children (tag `mlflow.parentRunId`) right after it, in the
 * order they had; runs whose parent is not listed stay at the top level. Cycles are broken.
 */
export function buildTree(store: TrackingReader, runs: readonly RunEntry[]): TreeRow[] {
  const parent = new Map<string, string | null>();
  for (const r of runs) parent.set(r.info.run_id, store.readTags(r, ['mlflow.parentRunId']).get('mlflow.parentRunId')?.trim() || null);
  const listed = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, RunEntry[]>();
  const roots: RunEntry[] = [];
  // links made so far: a link that would close a cycle is not made (that run stays a root)
  const linked = new Map<string, string | null>();
  for (const r of runs) {
    const p = parent.get(r.info.run_id) ?? null;
    if (p !== null && p !== r.info.run_id && listed.has(p) && !isAncestor(r.info.run_id, p, linked)) {
      children.set(p, [...(children.get(p) ?? []), r]);
      linked.set(r.info.run_id, p);
    } else roots.push(r);
  }
  const out: TreeRow[] = [];
  const visit = (r: RunEntry, depth: number, lastAt: boolean[]): void => {
    out.push({ run: r, depth, lastAt, parentId: parent.get(r.info.run_id) ?? null });
    const kids = children.get(r.info.run_id) ?? [];
    kids.forEach((k, i) => visit(k, depth + 1, [...lastAt, i === kids.length - 1]));
  };
  for (const r of roots) visit(r, 0, []);
  return out;
}

/** True when `id` is an ancestor of `start` following parent links (so linking would make a cycle). */
function isAncestor(id: string, start: string, parent: Map<string, string | null>): boolean {
  const seen = new Set<string>();
  let cur: string | null | undefined = start;
  while (cur && !seen.has(cur)) {
    if (cur === id) return true;
    seen.add(cur);
    cur = parent.get(cur);
  }
  return false;
}

/** The indentation drawn before a run's name: `│  ├─ ` etc. Empty at the top level. */
export function treePrefix(row: TreeRow): string {
  if (row.depth === 0) return '';
  let s = '';
  for (let d = 0; d < row.lastAt.length - 1; d++) s += row.lastAt[d] ? '   ' : '│  ';
  return s + (row.lastAt[row.lastAt.length - 1] ? '└─ ' : '├─ ');
}

/**
 * Prefixes each row's run name (or, without a run_name column, its first column) with the
 * tree indentation. `tree` must list the table's runs in the table's order.
 */
export function indentTree(table: RunTable, tree: readonly TreeRow[]): RunTable {
  let t = table;
  let col = t.columns.findIndex((c) => c.key === 'run_name');
  if (col < 0) {
    // the tree needs a name column to indent: add one after run_id (or first)
    col = t.columns.findIndex((c) => c.key === 'run_id') + 1;
    t = {
      columns: [...t.columns.slice(0, col), { key: 'run_name', kind: 'attr', name: 'run_name' }, ...t.columns.slice(col)],
      rows: t.rows.map((r) => ({ ...r, values: [...r.values.slice(0, col), r.run.info.run_name, ...r.values.slice(col)] })),
    };
  }
  return {
    columns: t.columns,
    rows: t.rows.map((r, i) => {
      const prefix = treePrefix(tree[i]!);
      if (prefix === '') return r;
      const values = [...r.values];
      values[col] = prefix + String(values[col] ?? '');
      return { ...r, values };
    }),
  };
}
