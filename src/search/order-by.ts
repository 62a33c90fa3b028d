/**
 * `--order-by` clauses (spec §5): parsing one clause, and sorting runs the way MLflow's
 * file store does.
 */
import { FilterError } from '../errors.js';
import { ORDERABLE_ATTRIBUTES, canonicalAttribute, type OrderKey } from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { decodeIdentifier } from './parser.js';
import { compareCodePoints } from '../text-order.js';
import { runInfoField, type RunInfo, type SearchableRun } from '../store/types.js';

function unparsable(clause: string, pos: [number, number], why: string): FilterError {
  return new FilterError(`Invalid order_by clause '${clause}'. Could not be parsed. — ${why}`, clause, pos, 'order-by-syntax');
}

/**
 * Python `shlex.split` (POSIX mode, no comments) of one word: quotes removed, `\` escapes
 * outside single quotes. Returns undefined for an unclosed quote (shlex raises there).
 */
export function shlexSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= s.length) return undefined; // "No escaped character"
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) out.push(cur);
  return out;
}

/** Is `t` (from position i) the start of a name sqlparse would group as one Identifier? */
function identEnd(ts: Token[], i: number): number {
  const t = ts[i];
  if (!t || !(t.kind === 'word' || t.kind === 'backtick' || t.kind === 'dstring') || t.forcedKeyword) return -1;
  let j = i + 1;
  let end = t.end;
  while (ts[j]?.kind === 'dot' && ts[j]!.start === end) {
    const part = ts[j + 1];
    if (!part || part.start !== ts[j]!.end) return -1;
    if (!((part.kind === 'word' && !part.forcedKeyword) || part.kind === 'backtick' || part.kind === 'dstring' || part.kind === 'string')) return -1;
    end = part.end;
    j += 2;
  }
  return j;
}

/**
 * What may follow an order-by key from token k on: nothing, or one word (the direction).
 * Anything else — a stray `)`, a second key, a comma, a comment — is a FilterError with a
 * caret under it (issue 11 #29). Returns the direction's token, if any.
 */
function checkTail(clause: string, ts: Token[], k: number): Token | undefined {
  const dir = ts[k];
  if (!dir) return undefined;
  if (!(dir.kind === 'word' || dir.kind === 'dstring' || dir.kind === 'backtick')) {
    const why =
      dir.kind === 'comma' ? 'give one key per --order-by; repeat the option for more keys' : `expected only a key and ASC or DESC, found '${dir.text}'`;
    throw unparsable(clause, [dir.start, dir.end], why);
  }
  const extra = ts[k + 1];
  if (extra) {
    // `a foo(b)`, `a metrics.b`: a second key where the direction goes
    if ((extra.kind === 'lparen' || extra.kind === 'dot') && extra.start === dir.end) {
      const rest = clause.slice(dir.start).trimEnd();
      throw unparsable(clause, [dir.start, dir.start + rest.length], `give one key per --order-by; repeat the option for '${rest}'`);
    }
    throw unparsable(clause, [extra.start, extra.end], `expected only a key and ASC or DESC, found '${extra.text}'`);
  }
  return dir;
}

/** Whether a direction token (from checkTail) says ASC, the default; throws unless ASC or DESC in any case. */
function isAscending(clause: string, dir: Token | undefined): boolean {
  if (!dir) return true;
  const d = shlexSplit(dir.text.replaceAll('`', '"'))?.[0]?.toLowerCase();
  if (d !== 'asc' && d !== 'desc') {
    throw new FilterError(
      `Invalid ordering key in order_by clause '${clause}'. — the direction is ASC or DESC, found '${dir.text}'`,
      clause,
      [dir.start, dir.end],
      'order-by-direction',
    );
  }
  return d === 'asc';
}

/** An order-by clause whose key is a call, `min(metrics.val_loss) DESC`, with positions for errors. */
export interface OrderByCall {
  /** the function name as written */
  fn: string;
  fnPos: [number, number];
  /** the call, from its name to its `)` */
  callPos: [number, number];
  /** the text between the parentheses, trimmed */
  arg: string;
  /** where the argument is; the parentheses themselves when it is empty */
  argPos: [number, number];
  ascending: boolean;
}

/**
 * Parses an order-by clause that starts with a call (mlr's aggregate keys, which MLflow
 * does not have): `name ( argument ) [ASC|DESC]`. Returns undefined when the clause does not
 * start with `name(`. The argument may not hold parentheses (no metric name does), and only
 * a direction may follow the call: anything else is a FilterError with a caret under it.
 * What the name and argument mean is the caller's business.
 */
export function parseOrderByCall(clause: string): OrderByCall | undefined {
  const ts = tokenize(clause).filter((t) => t.kind !== 'ws');
  const name = ts[0];
  const open = ts[1];
  if (name?.kind !== 'word' || open?.kind !== 'lparen') return undefined;
  let close = -1;
  for (let j = 2; j < ts.length && close < 0; j++) {
    const t = ts[j]!;
    if (t.kind === 'rparen') close = j;
    else if (t.kind === 'lparen')
      throw unparsable(clause, [t.start, t.end], `a metric name has no '(': ${name.text}() takes one key, e.g. ${name.text}(metrics.val_loss)`);
  }
  if (close < 0) throw unparsable(clause, [open.start, open.end], "this '(' is never closed");
  const shut = ts[close]!;
  const argPos: [number, number] = close > 2 ? [ts[2]!.start, ts[close - 1]!.end] : [open.start, shut.end];
  return {
    fn: name.text,
    fnPos: [name.start, name.end],
    callPos: [name.start, shut.end],
    arg: close > 2 ? clause.slice(argPos[0], argPos[1]) : '',
    argPos,
    ascending: isAscending(clause, checkTail(clause, ts, close + 1)),
  };
}

/**
 * Parses one order-by clause: `<key> [ASC|DESC]`, direction in any case, default ASC.
 * Errors are MLflow's (spec §5.1). Outer whitespace is ignored.
 */
export function parseOrderBy(clause: string): OrderKey {
  const ts = tokenize(clause).filter((t) => t.kind !== 'ws');
  const whole: [number, number] = [0, Math.max(1, clause.length)];
  if (ts.length === 0) throw unparsable(clause, whole, 'give a key such as metrics.val_loss, optionally followed by ASC or DESC');
  const end = identEnd(ts, 0);
  if (end < 0) {
    const t = ts[0]!;
    throw unparsable(clause, [t.start, t.end], `expected a key such as metrics.val_loss, params.lr or start_time, found '${t.text}'`);
  }
  const dir = checkTail(clause, ts, end);
  const identStart = ts[0]!.start;
  const identStop = ts[end - 1]!.end;
  const identText = clause.slice(identStart, identStop);
  // MLflow: shlex.split(token.replace("`", '"')), so quotes around the key are removed
  const words = shlexSplit(identText.replaceAll('`', '"'));
  if (!words || words.length !== 1) {
    throw unparsable(clause, [identStart, identStop], 'unbalanced quotes in the key');
  }
  const ascending = isAscending(clause, dir);
  const pos: [number, number] = [identStart, identStop];
  const { entity, key } = decodeIdentifier(words[0]!, ORDERABLE_ATTRIBUTES, clause, pos);
  if (entity === 'dataset') {
    throw new FilterError(`Invalid order_by entity type 'dataset' — runs cannot be ordered by datasets`, clause, pos, 'order-by-entity');
  }
  return { entity, key: entity === 'attribute' ? canonicalAttribute(key) : key, ascending, source: clause };
}

// --- sorting ---

type SortValue = number | bigint | string | null | undefined;

/** The value a run sorts by for a key: undefined when missing. */
function sortValue(run: SearchableRun, k: Pick<OrderKey, 'entity' | 'key'>): SortValue {
  switch (k.entity) {
    case 'metric':
      return run.metrics.get(k.key);
    case 'param':
      return run.params.get(k.key);
    case 'tag':
      return run.tags.get(k.key);
    case 'attribute':
      return k.key === 'experiment_id' || k.key === 'lifecycle_stage' ? undefined : runInfoField(run.info, k.key);
  }
}

/** 0 a real value, 1 NaN, 2 missing (spec §5.2: NaN before missing, both after real values). */
function rank(v: SortValue): number {
  if (v === null || v === undefined) return 2;
  return typeof v === 'number' && Number.isNaN(v) ? 1 : 0;
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a !== 'string' && typeof b !== 'string') return a! < b! ? -1 : a! > b! ? 1 : 0;
  return compareCodePoints(String(a), String(b));
}

/** MLflow's natural order: start_time DESC, then run_id ASC (missing start times last). */
export function compareNatural(a: { info: RunInfo }, b: { info: RunInfo }): number {
  const sa = a.info.start_time;
  const sb = b.info.start_time;
  if (sa !== sb) {
    if (sa === null) return 1;
    if (sb === null) return -1;
    return sb > sa ? 1 : -1;
  }
  return compareCodePoints(a.info.run_id, b.info.run_id);
}

/**
 * Sorts runs as MLflow's file store does: natural order, then each order key from the last
 * to the first as a stable sort, so the first key dominates and ties keep the order
 * before. NaN and missing values go after real values in both directions, NaN first.
 *
 * Those passes are one sort by a composite comparison: the keys in turn, then the natural
 * order, then the input order (which is what stable passes keep for full ties). Each run's
 * values are read once. With `limit`, only the first `limit` runs are kept as they stream
 * by (a bounded insertion), which is what `--max-results 20` and `runs best` need of 10,000
 * runs. Returns a new array; test/search/order-by.test.ts checks it against the passes.
 */
export function sortRuns<R extends SearchableRun>(runs: readonly R[], keys: readonly OrderKey[], limit?: number): R[] {
  const signs = keys.map((k) => (k.ascending ? 1 : -1));
  const decorated = runs.map((run, index) => {
    const values = keys.map((k) => sortValue(run, k));
    return { run, index, values, ranks: values.map(rank) };
  });
  type D = (typeof decorated)[number];
  const compare = (x: D, y: D): number => {
    for (let j = 0; j < signs.length; j++) {
      const rx = x.ranks[j]!;
      const ry = y.ranks[j]!;
      if (rx !== ry) return rx - ry;
      if (rx === 0) {
        const c = signs[j]! * compareValues(x.values[j], y.values[j]);
        if (c !== 0) return c;
      }
    }
    return compareNatural(x.run, y.run) || x.index - y.index;
  };
  if (limit === undefined || limit >= decorated.length) return decorated.sort(compare).map((d) => d.run);
  const top: D[] = [];
  if (limit <= 0) return [];
  for (const d of decorated) {
    if (top.length === limit && compare(d, top[limit - 1]!) > 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(top[mid]!, d) < 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, d);
    if (top.length > limit) top.pop();
  }
  return top.map((d) => d.run);
}

/**
 * One stable pass of MLflow's order-by by a single key over the given order (ties keep it):
 * MLflow's definition, natural order plus these passes from the last key to the first. Not
 * used by mlr's own paths; it is the reference test/search/order-by.test.ts holds sortRuns to.
 */
export function sortByKey<R extends SearchableRun>(runs: readonly R[], key: OrderKey): R[] {
  const sign = key.ascending ? 1 : -1;
  const decorated = runs.map((run) => {
    const v = sortValue(run, key);
    return { run, v, r: rank(v) };
  });
  decorated.sort((x, y) => x.r - y.r || (x.r === 0 ? sign * compareValues(x.v, y.v) : 0));
  return decorated.map((d) => d.run);
}
