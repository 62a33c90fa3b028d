/**
 * Run search pushed down to SQL, translating src/search's filter AST and order-by keys the
 * way MLflow's SqlAlchemyStore does (`_get_sqlalchemy_filter_clauses`, `_get_orderby_clauses`
 * in mlflow/store/tracking/sqlalchemy_store.py), so a SQLite store answers as MLflow's SQL
 * store answers, which is not always what its file store answers (docs/backends.md):
 * - metrics compare the *stored* latest value: NaN is stored as 0 (with is_nan = 1) and
 *   ±Infinity as ±1.7976931348623157e308, so `metrics.x < 1` matches a NaN;
 * - LIKE is SQLite's with `case_sensitive_like` (no regular expressions), ILIKE is
 *   `lower(x) LIKE lower(p)` (ASCII case folding only);
 * - `run_name` filters on the `mlflow.runName` tag, ordering uses `runs.name`;
 * - ordering: each key as (missing/NaN rank, value), then `start_time DESC` unless
 *   start_time is a key, then `run_uuid`; a key given twice is an error.
 * Each clause becomes an EXISTS on the unique (key, run_uuid) rows MLflow joins, which is
 * the same test as MLflow's inner join plus DISTINCT, and lets mlr's extensions (OR,
 * parentheses, IN on params, tags and attributes) translate exactly, so no clause needs the
 * in-memory evaluator.
 */
import type { Run, RunInfo } from '../types.js';
import { UsageError } from '../../errors.js';
import type { CompareNode, FilterNode, OrderKey } from '../../search/ast.js';
import { pyIsLower } from '../../search/evaluate.js';
import { parseOrderBy } from '../../search/order-by.js';
import { parseFilter } from '../../search/parser.js';
import type { ViewType } from '../types.js';
import { pyRepr } from '../validate.js';
import type { MlflowDb } from './db.js';
import { completeRuns, RUN_INFO_SELECT, runInfosOf, viewStages } from './read.js';
import { jsonIntArray } from './rows.js';

/** MLflow's SEARCH_MAX_RESULTS_THRESHOLD. */
const SEARCH_MAX_RESULTS_THRESHOLD = 50_000;
/** The Python client's default max_results. */
const SEARCH_MAX_RESULTS_DEFAULT = 1000;

export interface RunSearch {
  /** experiments to search, by id (ids that are not integers match nothing) */
  experimentIds: readonly string[];
  /** MLflow's filter syntax plus mlr's extensions, or an already parsed AST */
  filter?: string | FilterNode;
  /** clauses as text, or already parsed (a parsed key is used as it is: its `source` may be partial) */
  orderBy?: readonly (string | OrderKey)[];
  view?: ViewType;
  /** 1..50000 (default 1000) */
  maxResults?: number;
  /** rows to skip (a page token's offset) */
  offset?: number;
}

/** A compiled search: one SELECT of RunInfo columns and its parameters. */
interface CompiledSearch {
  sql: string;
  params: unknown[];
}

type Param = string | number | bigint;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** run_id → run_uuid, run_name → name (Run.get_attribute_name). */
function runColumn(key: string): string {
  return key === 'run_id' ? 'run_uuid' : key === 'run_name' ? 'name' : key;
}

class Compiler {
  readonly joins: string[] = [];
  readonly joinParams: Param[] = [];
  readonly whereParams: Param[] = [];
  private readonly db: MlflowDb;
  private readonly source: string | undefined;

  constructor(db: MlflowDb, source: string | undefined) {
    this.db = db;
    this.source = source;
  }

  private p(v: Param): string {
    this.whereParams.push(v);
    return '?';
  }

  /** MLflow's get_sql_comparison_func for SQLite on a string column. */
  private stringComparison(col: string, node: CompareNode): string {
    switch (node.op) {
      case '=':
      case '!=':
        return `${col} ${node.op} ${this.p(node.value as string)}`;
      case 'LIKE':
        return `${col} LIKE ${this.p(node.value as string)}`;
      case 'ILIKE':
        return `lower(${col}) LIKE lower(${this.p(node.value as string)})`;
      case 'IN':
      case 'NOT IN': {
        const raw = node.value as string[];
        // run_id and datasets.*: MLflow drops items that are not lower case (spec §4.2)
        const items = node.listMode === 'mlflow' ? raw.filter(pyIsLower) : raw;
        // an empty list: IN matches nothing, NOT IN everything (SQLAlchemy's empty IN)
        if (items.length === 0) return node.op === 'IN' ? '0' : '1';
        return `${col} ${node.op} (${items.map((v) => this.p(v)).join(', ')})`;
      }
      default:
        throw new Error(`internal: comparator ${node.op} on a string`);
    }
  }

  /** The exact integer of a numeric attribute clause (the AST holds a double). */
  private exactInteger(node: CompareNode): Param {
    const text = this.source?.slice(node.pos[0], node.pos[1]).match(/(-?\d+)\s*$/)?.[1];
    if (text !== undefined) {
      const b = BigInt(text);
      // as SQLite converts MLflow's bound text: an integer when it fits int64, else a real
      return b >= INT64_MIN && b <= INT64_MAX ? b : Number(text);
    }
    const v = node.value as number;
    return Number.isSafeInteger(v) ? BigInt(v) : v;
  }

  private keyValueExists(table: string, key: string, node: CompareNode): string {
    return `EXISTS (SELECT 1 FROM ${table} x WHERE x.run_uuid = r.run_uuid AND x.key = ${this.p(key)} AND ${this.stringComparison('x.value', node)})`;
  }

  private datasetExists(node: CompareNode): string {
    if (!this.db.has('datasets') || !this.db.has('inputs')) return '0';
    if (node.key === 'context') {
      if (!this.db.has('input_tags')) return '0';
      return (
        'EXISTS (SELECT 1 FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid ' +
        "JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context' " +
        `WHERE i.destination_id = r.run_uuid AND ${this.stringComparison('t.value', node)})`
      );
    }
    return (
      'EXISTS (SELECT 1 FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid ' +
      `WHERE i.destination_id = r.run_uuid AND ${this.stringComparison(`d.${node.key}`, node)})`
    );
  }

  condition(node: FilterNode): string {
    switch (node.type) {
      case 'and':
        return `(${node.items.map((n) => this.condition(n)).join(' AND ')})`;
      case 'or':
        return `(${node.items.map((n) => this.condition(n)).join(' OR ')})`;
      case 'compare':
        return this.comparison(node);
    }
  }

  private comparison(node: CompareNode): string {
    switch (node.entity) {
      case 'metric':
        if (!this.db.has('latest_metrics')) return '0';
        return (
          `EXISTS (SELECT 1 FROM latest_metrics x WHERE x.run_uuid = r.run_uuid AND x.key = ${this.p(node.key)} ` +
          `AND x.value ${node.op} ${this.p(node.value as number)})`
        );
      case 'param':
        return this.keyValueExists('params', node.key, node);
      case 'tag':
        return this.keyValueExists('tags', node.key, node);
      case 'dataset':
        return this.datasetExists(node);
      case 'attribute':
        // "attributes.run_name = x" is "tags.`mlflow.runName` = x": the name column is empty for runs of MLflow <= 1.29
        if (node.key === 'run_name') return this.keyValueExists('tags', 'mlflow.runName', node);
        if (node.key === 'start_time' || node.key === 'end_time') return `r.${node.key} ${node.op} ${this.p(this.exactInteger(node))}`;
        return this.stringComparison(`r.${runColumn(node.key)}`, node);
    }
  }

  /** ORDER BY terms for the keys, with MLflow's natural order after them. */
  orderBy(keys: readonly OrderKey[]): string {
    const terms: string[] = [];
    keys.forEach((k, i) => {
      const dir = k.ascending ? '' : ' DESC';
      if (k.entity === 'attribute') {
        const col = `r.${runColumn(k.key)}`;
        terms.push(`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`, `${col}${dir}`);
        return;
      }
      const alias = `o${i}`;
      const table = k.entity === 'metric' ? 'latest_metrics' : k.entity === 'param' ? 'params' : 'tags';
      this.joins.push(`LEFT JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`);
      this.joinParams.push(k.key);
      terms.push(
        k.entity === 'metric'
          ? `CASE WHEN ${alias}.is_nan = 1 THEN 1 WHEN ${alias}.value IS NULL THEN 2 ELSE 0 END`
          : `CASE WHEN ${alias}.value IS NULL THEN 1 ELSE 0 END`,
        `${alias}.value${dir}`,
      );
    });
    if (!keys.some((k) => k.entity === 'attribute' && k.key === 'start_time')) terms.push('r.start_time DESC');
    terms.push('r.run_uuid');
    return terms.join(', ');
  }
}

/** MLflow's order-by parsing plus the SQL store's duplicate-field check. */
function parseOrder(orderBy: readonly (string | OrderKey)[]): OrderKey[] {
  const keys = orderBy.map((o) => (typeof o === 'string' ? parseOrderBy(o) : o));
  const seen = new Set<string>();
  for (const k of keys) {
    const id = `${k.entity}\u0000${k.key}`;
    if (seen.has(id)) {
      throw new UsageError(
        `\`order_by\` contains duplicate fields: [${orderBy.map((o) => pyRepr(typeof o === 'string' ? o : o.source)).join(', ')}]`,
        'order-by-duplicate',
      );
    }
    seen.add(id);
  }
  return keys;
}

function checkMaxResults(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`Invalid value for max_results: it must be a positive integer, but got ${n}`, 'bad-max-results');
  }
  if (n > SEARCH_MAX_RESULTS_THRESHOLD) {
    throw new UsageError(
      `Invalid value for request parameter max_results. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}, but got value ${n}`,
      'bad-max-results',
    );
  }
}

/**
 * The SELECT (RunInfo columns, see read.ts) answering a search, in MLflow's order and
 * page. Throws FilterError / UsageError with MLflow's messages for a bad filter, order-by
 * or max_results.
 */
function compileSearch(db: MlflowDb, search: RunSearch): CompiledSearch {
  const maxResults = search.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
  checkMaxResults(maxResults);
  const source = typeof search.filter === 'string' ? search.filter : undefined;
  const filter = typeof search.filter === 'string' ? parseFilter(search.filter) : search.filter;
  const order = parseOrder(search.orderBy ?? []);
  const c = new Compiler(db, source);
  const where = [`r.experiment_id IN (SELECT value FROM json_each(?))`, `r.lifecycle_stage IN ${viewStages(search.view ?? 'active')}`];
  const head: Param[] = [jsonIntArray(search.experimentIds)];
  if (filter) where.push(c.condition(filter));
  const orderBy = c.orderBy(order);
  const offset = search.offset ?? 0;
  const sql = `${RUN_INFO_SELECT} ${c.joins.join(' ')} WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ? OFFSET ?`;
  return { sql, params: [...c.joinParams, ...head, ...c.whereParams, BigInt(maxResults), BigInt(offset)] };
}

/** RunInfos of the runs a search finds, in MLflow's order (one query). */
export function searchRunInfos(db: MlflowDb, search: RunSearch): RunInfo[] {
  const { sql, params } = compileSearch(db, search);
  // statements of searches are not cached: filters vary, and each compiles in microseconds
  return runInfosOf(db.sql.prepare(sql).all(...params));
}

/** Ids of the runs a search finds, in MLflow's order. */
export function searchRunIds(db: MlflowDb, search: RunSearch): string[] {
  return searchRunInfos(db, search).map((i) => i.run_id);
}

/** The runs a search finds, complete (info, data, inputs), with five queries in all. */
export function searchRuns(db: MlflowDb, search: RunSearch): Run[] {
  return completeRuns(db, searchRunInfos(db, search));
}

/**
 * The offset of the next page, MLflow's SQL-store rule: whenever a page is full, even if
 * nothing follows (the file store gives a token only when more runs remain).
 */
export function nextPageOffset(search: RunSearch, pageSize: number): number | undefined {
  const max = search.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
  return pageSize === max ? (search.offset ?? 0) + max : undefined;
}
