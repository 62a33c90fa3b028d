/**
 * Which part of a compiled run search a tracking server can answer: the filter's clauses
 * written back in MLflow's own syntax, and the order-by.
 *
 * A filter is an AND of clauses, or an mlr extension (OR, parentheses, `IN` on params and
 * tags). The clauses of a top-level AND that MLflow's grammar has are sent to the server;
 * the rest are evaluated here over the runs it returns. Because a run passes an AND exactly
 * when it passes each part, filtering the server's answer by the local part gives the
 * answer of the whole filter. A clause is sent only when its text re-parses to the same
 * clause on MLflow's side: keys in backticks (none containing one), strings in quotes they
 * do not contain, numbers in plain decimal, lists only where MLflow has them (`run_id`).
 * The order-by (and the cut to max results) is sent only when the whole filter went.
 */
import type { CompareNode, CompiledQuery, FilterNode, OrderKey } from '../../search/index.js';

export interface PushedSearch {
  /** MLflow filter text for the server ('' when nothing could be sent) */
  filter: string;
  /** the part the server does not evaluate; undefined when the server did it all */
  local: FilterNode | undefined;
  /** order-by clauses for the server; undefined when the order is computed here */
  orderBy: string[] | undefined;
}

const NUMERIC_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const STRING_OPS = new Set(['=', '!=', 'LIKE', 'ILIKE']);
const STRING_ATTRS = new Set(['run_name', 'status', 'user_id', 'artifact_uri', 'run_id']);
const NUMERIC_ATTRS = new Set(['start_time', 'end_time']);

function quoteKey(key: string): string | undefined {
  return key.includes('`') || key === '' ? undefined : '`' + key + '`';
}

function quoteString(s: string): string | undefined {
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  return undefined;
}

function numberText(v: unknown, integer: boolean): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  if (integer && !Number.isSafeInteger(v)) return undefined;
  const t = Object.is(v, -0) ? '0' : String(v);
  return /^-?\d+(\.\d+)?$/.test(t) ? t : undefined;
}

/** One clause in MLflow's syntax, or undefined when it is mlr's own or cannot be written exactly. */
export function clauseText(c: CompareNode): string | undefined {
  if (c.entity === 'metric') {
    const k = quoteKey(c.key);
    const n = numberText(c.value, false);
    return k && n && NUMERIC_OPS.has(c.op) ? `metrics.${k} ${c.op} ${n}` : undefined;
  }
  if (c.entity === 'param' || c.entity === 'tag') {
    const k = quoteKey(c.key);
    const s = typeof c.value === 'string' ? quoteString(c.value) : undefined;
    return k && s && STRING_OPS.has(c.op) ? `${c.entity === 'param' ? 'params' : 'tags'}.${k} ${c.op} ${s}` : undefined;
  }
  if (c.entity === 'attribute') {
    if (NUMERIC_ATTRS.has(c.key)) {
      const n = numberText(c.value, true);
      return n && NUMERIC_OPS.has(c.op) ? `attributes.${c.key} ${c.op} ${n}` : undefined;
    }
    if (!STRING_ATTRS.has(c.key)) return undefined;
    if (c.op === 'IN' || c.op === 'NOT IN') {
      if (c.key !== 'run_id' || c.listMode !== 'mlflow' || !Array.isArray(c.value) || c.value.length === 0) return undefined;
      const items = c.value.map(quoteString);
      return items.every((i) => i !== undefined) ? `attributes.run_id ${c.op} (${items.join(', ')})` : undefined;
    }
    const s = typeof c.value === 'string' ? quoteString(c.value) : undefined;
    return s && STRING_OPS.has(c.op) ? `attributes.${c.key} ${c.op} ${s}` : undefined;
  }
  return undefined; // datasets: evaluated here
}

/** An order-by key in MLflow's syntax (undefined for a key that cannot be written). */
function orderText(k: OrderKey): string | undefined {
  const dir = k.ascending ? 'ASC' : 'DESC';
  if (k.entity === 'attribute') return /^\w+$/.test(k.key) ? `attributes.${k.key} ${dir}` : undefined;
  const q = quoteKey(k.key);
  return q ? `${k.entity === 'metric' ? 'metrics' : k.entity === 'param' ? 'params' : 'tags'}.${q} ${dir}` : undefined;
}

/** Split a query into what the server answers and what is evaluated here. */
export function pushDown(q: CompiledQuery | undefined): PushedSearch {
  if (!q) return { filter: '', local: undefined, orderBy: [] };
  const clauses: FilterNode[] = !q.predicate ? [] : q.predicate.type === 'and' ? q.predicate.items : [q.predicate];
  const sent: string[] = [];
  const kept: FilterNode[] = [];
  for (const c of clauses) {
    const text = c.type === 'compare' ? clauseText(c) : undefined;
    if (text === undefined) kept.push(c);
    else sent.push(text);
  }
  const local: FilterNode | undefined = kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { type: 'and', items: kept, pos: q.predicate!.pos };
  const order = q.order.map(orderText);
  const orderBy = local === undefined && order.every((o) => o !== undefined) ? (order as string[]) : undefined;
  return { filter: sent.join(' AND '), local, orderBy };
}
