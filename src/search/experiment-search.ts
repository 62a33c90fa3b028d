/**
 * MLflow's search_experiments: the filter (`name`, `tags.<key>` with =, !=, LIKE, ILIKE;
 * `creation_time` and `last_update_time` with numeric comparators; clauses joined by AND)
 * and the order-by (`name`, `experiment_id`, `creation_time`, `last_update_time`, ASC or
 * DESC), as mlflow/utils/search_utils.py SearchExperimentsUtils evaluates them: a missing
 * tag never matches, None sorts last in either direction, ties broken by experiment_id.
 */
import { FilterError } from '../errors.js';
import type { Experiment } from '../store/types.js';
import { likeToRegex } from './model-filter.js';

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE';

interface Clause {
  kind: 'name' | 'tag' | 'time';
  key: string;
  op: Op;
  value: string | number;
  regex?: RegExp;
}

const STRING_OPS = new Set(['=', '!=', 'LIKE', 'ILIKE']);
const NUMERIC_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const TIME_KEYS = new Set(['creation_time', 'last_update_time']);
const ORDER_KEYS = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);

// identifier (dotted, segments may be `quoted`), 'string' / "string", number, comparator, AND
const TOKEN =
  /\s*(?:(`[^`]*`|[A-Za-z_][A-Za-z0-9_]*(?:\.(?:`[^`]*`|"[^"]*"|[A-Za-z0-9_]+))*)|('(?:[^']*)'|"(?:[^"]*)")|(-?\d+(?:\.\d+)?)|(<=|>=|!=|=|<|>)|(\S+))/y;

/** Parse an experiment filter; FilterError (MLflow's INVALID_PARAMETER_VALUE) for what MLflow refuses. */
export function parseExperimentFilter(src: string): Clause[] {
  const toks: { kind: 'id' | 'str' | 'num' | 'op' | 'other'; text: string; start: number; end: number }[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < src.length && (m = TOKEN.exec(src))) {
    const text = m[0].trim();
    if (text === '') break;
    const start = m.index + m[0].indexOf(text);
    const kind = m[1] ? 'id' : m[2] ? 'str' : m[3] ? 'num' : m[4] ? 'op' : 'other';
    toks.push({ kind, text, start, end: start + text.length });
  }
  const clauses: Clause[] = [];
  for (let i = 0; i < toks.length;) {
    const id = toks[i]!;
    if (id.kind !== 'id') throw new FilterError(`Invalid filter '${src}'. Could not be parsed.`, src, [id.start, id.end]);
    let opTok = toks[i + 1];
    let opText = opTok?.text.toUpperCase() ?? '';
    let valueAt = i + 2;
    if (opTok && opTok.kind === 'id' && (opText === 'LIKE' || opText === 'ILIKE')) {
      // LIKE / ILIKE are words
    } else if (!opTok || opTok.kind !== 'op') {
      throw new FilterError(`Invalid filter '${src}'. Could not be parsed.`, src, opTok ? [opTok.start, opTok.end] : [src.length, src.length + 1]);
    }
    const dot = id.text.indexOf('.');
    const entity = dot < 0 ? 'attribute' : id.text.slice(0, dot);
    const key = (dot < 0 ? id.text : id.text.slice(dot + 1)).replace(/^[`"](.*)[`"]$/, '$1');
    const v = toks[valueAt];
    if (!v) throw new FilterError(`Invalid filter '${src}'. Could not be parsed.`, src, [src.length, src.length + 1]);
    let clause: Clause;
    if (entity === 'tag' || entity === 'tags') {
      if (!STRING_OPS.has(opText))
        throw new FilterError(`Invalid comparator '${opTok!.text}' not one of '{'LIKE', '!=', 'ILIKE', '='}`, src, [opTok!.start, opTok!.end]);
      if (v.kind !== 'str') throw new FilterError(`Expected a quoted string value for tags. Got value ${v.text}`, src, [v.start, v.end]);
      clause = { kind: 'tag', key, op: opText as Op, value: v.text.slice(1, -1) };
    } else if (entity === 'attribute' || entity === 'attributes' || entity === 'attr') {
      if (key === 'name') {
        if (!STRING_OPS.has(opText))
          throw new FilterError(`Invalid comparator '${opTok!.text}' not one of '{'LIKE', '!=', 'ILIKE', '='}`, src, [opTok!.start, opTok!.end]);
        if (v.kind !== 'str') throw new FilterError(`Expected a quoted string value for attributes. Got value ${v.text}`, src, [v.start, v.end]);
        clause = { kind: 'name', key, op: opText as Op, value: v.text.slice(1, -1) };
      } else if (TIME_KEYS.has(key)) {
        if (!NUMERIC_OPS.has(opText))
          throw new FilterError(`Invalid comparator '${opTok!.text}' not one of '{'<=', '>', '>=', '!=', '<', '='}`, src, [opTok!.start, opTok!.end]);
        if (v.kind !== 'num') throw new FilterError(`Expected numeric value type for numeric attribute: ${key}. Found ${v.text}`, src, [v.start, v.end]);
        clause = { kind: 'time', key, op: opText as Op, value: Number(v.text) };
      } else {
        throw new FilterError(`Invalid attribute key '${key}' specified. Valid keys are '{'creation_time', 'last_update_time', 'name'}'`, src, [
          id.start,
          id.end,
        ]);
      }
    } else {
      throw new FilterError(`Invalid entity type '${entity}'. Valid values are ['attribute', 'tag']`, src, [id.start, id.end]);
    }
    if (clause.op === 'LIKE' || clause.op === 'ILIKE') clause.regex = likeToRegex(String(clause.value), clause.op === 'ILIKE', src, [v.start, v.end]);
    clauses.push(clause);
    i = valueAt + 1;
    const next = toks[i];
    if (next) {
      if (next.text.toUpperCase() !== 'AND') throw new FilterError(`Invalid filter '${src}'. Could not be parsed.`, src, [next.start, next.end]);
      i++;
    }
  }
  return clauses;
}

function compare(op: Op, a: string | number, b: string | number, regex?: RegExp): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case 'LIKE':
    case 'ILIKE':
      return regex!.test(String(a));
  }
}

export function matchesExperiment(clauses: readonly Clause[], e: Experiment): boolean {
  return clauses.every((c) => {
    if (c.kind === 'name') return compare(c.op, e.name, c.value, c.regex);
    if (c.kind === 'tag') {
      const t = e.tags.find((x) => x.key === c.key);
      return t !== undefined && compare(c.op, t.value, c.value, c.regex);
    }
    const v = c.key === 'creation_time' ? e.creation_time : e.last_update_time;
    return v !== null && compare(c.op, Number(v), c.value);
  });
}

interface OrderKey {
  key: 'name' | 'experiment_id' | 'creation_time' | 'last_update_time';
  ascending: boolean;
}

/** `name DESC`, `attribute.creation_time`, … */
function parseExperimentOrderBy(clause: string): OrderKey {
  const m = /^\s*(?:(?:attribute|attributes|attr)\.)?(`[^`]+`|"[^"]+"|[A-Za-z_]+)\s*(?:\s(ASC|DESC))?\s*$/i.exec(clause);
  const key = m?.[1]?.replace(/^[`"](.*)[`"]$/, '$1');
  if (!m || !key) throw new FilterError(`Invalid order_by clause '${clause}'. Could not be parsed.`, clause, [0, clause.length]);
  if (!ORDER_KEYS.has(key)) {
    throw new FilterError(`Invalid order by key '${key}' specified. Valid keys are '{'creation_time', 'experiment_id', 'last_update_time', 'name'}'`, clause, [
      0,
      clause.length,
    ]);
  }
  return { key: key as OrderKey['key'], ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
}

/** Sorted as SearchExperimentsUtils.sort: each key in turn (None last), then experiment_id DESC when not ordered by it. */
export function sortExperiments<E extends { experiment: Experiment }>(items: readonly E[], orderBy: readonly string[]): E[] {
  const keys = orderBy.map(parseExperimentOrderBy);
  if (!keys.some((k) => k.key === 'experiment_id')) keys.push({ key: 'experiment_id', ascending: false });
  const value = (e: Experiment, k: OrderKey['key']): string | number | bigint | null => e[k];
  return [...items].sort((x, y) => {
    for (const k of keys) {
      const a = value(x.experiment, k.key);
      const b = value(y.experiment, k.key);
      if (a === b) continue;
      if (a === null) return 1;
      if (b === null) return -1;
      const lt = a < b;
      return (k.ascending ? lt : !lt) ? -1 : 1;
    }
    return 0;
  });
}
