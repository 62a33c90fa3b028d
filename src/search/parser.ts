/**
 * Filter parser: text → AST (src/search/ast.ts), or a FilterError with a caret.
 *
 * The language is MLflow's (spec §2–§4) plus mlr extensions that MLflow rejects, so they
 * cannot change the meaning of any filter MLflow accepts:
 * - `OR` (binds looser than `AND`) and parentheses for grouping;
 * - `IN` / `NOT IN` lists for params, tags and every string attribute (plain membership).
 *
 * Parsing happens in the order MLflow validates, so a filter with several problems is
 * reported for the one MLflow would report:
 * 1. statements (`;`) and structure — MLflow's "Invalid clause(s) in filter string";
 * 2. per clause, left to right: the key (entity word, attribute or dataset key) and the
 *    value's type (`_get_identifier`, `_get_value`);
 * 3. per clause, left to right: the comparator for the entity. MLflow checks this only when
 *    it tests the first run, so on an empty experiment it lets a bad comparator through;
 *    mlr always rejects it.
 */
import { FilterError } from '../errors.js';
import {
  DATASET_KEYS,
  NUMERIC_ATTRIBUTES,
  SEARCHABLE_ATTRIBUTES,
  canonicalAttribute,
  entityLabel,
  entityOf,
  entityPrefix,
  type Comparator,
  type CompareNode,
  type Entity,
  type FilterNode,
} from './ast.js';
import { mlflowLikeProblem } from './like.js';
import { tokenize, type Token } from './lexer.js';

// --- internal: raw syntax tree ---

/** An operand as sqlparse would group it. */
interface Operand {
  /**
   * ident: a name, possibly dotted, possibly quoted (sqlparse Identifier);
   * string: `'…'`; number; expr: operands joined by arithmetic (sqlparse Operation);
   * list: `( … )`
   */
  kind: 'ident' | 'string' | 'number' | 'expr' | 'list';
  start: number;
  end: number;
  text: string;
  /** index of the first token and one past the last */
  first: number;
  next: number;
  /** ident ending in a `.` with no key after it */
  incomplete?: boolean;
  /** list without its `)` */
  unclosed?: boolean;
  /** number, string or single-token ident */
  tok?: Token;
  /** list: the tokens between the parentheses */
  inner?: Token[];
}

interface RawCompare {
  kind: 'cmp';
  lhs: Operand;
  op: Token;
  rhs: Operand;
  start: number;
  end: number;
}

interface RawBool {
  kind: 'and' | 'or';
  items: RawNode[];
  start: number;
  end: number;
}

type RawNode = RawCompare | RawBool;

/** Where the structural parse stopped, and what it wanted there. */
class Stop {
  /** the token where parsing failed, or undefined at the end of the text */
  readonly at: Token | undefined;
  /** what was expected, as a phrase */
  readonly expected: string;
  /** the token to name when no MLflow-style list of invalid clauses can be made */
  readonly unit: Token | undefined;
  /** an extra sentence of advice */
  readonly hint: string | undefined;
  /** where the caret goes when not at `at` (a dangling AND / OR) */
  readonly caret: Token | undefined;
  constructor(at: Token | undefined, expected: string, unit: Token | undefined, hint?: string, caret?: Token) {
    this.at = at;
    this.expected = expected;
    this.unit = unit;
    this.hint = hint;
    this.caret = caret;
  }
}

const STRUCTURAL = new Set(['AND', 'OR', 'NOT', 'IS', 'BETWEEN']);

function isWord(t: Token | undefined, upper: string): boolean {
  return t !== undefined && t.kind === 'word' && t.norm === upper;
}

function isStructural(t: Token): boolean {
  return t.kind === 'word' && (STRUCTURAL.has(t.norm) || t.forcedKeyword === true);
}

function slice(source: string, ts: Token[], first: number, next: number): { start: number; end: number; text: string } {
  const start = ts[first]!.start;
  const end = ts[next - 1]!.end;
  return { start, end, text: source.slice(start, end) };
}

/** A name (`status`), a dotted name (`tags.mlflow.runName`), with quoted parts. */
function readIdent(ts: Token[], i: number, source: string): Operand {
  let j = i + 1;
  let end = ts[i]!.end;
  let incomplete = false;
  // sqlparse joins `name . part` (group_period); parts must touch here (MLflow would keep
  // the spaces as part of the key, which never names a real key)
  while (ts[j]?.kind === 'dot' && ts[j]!.start === end) {
    end = ts[j]!.end;
    j++;
    const part = ts[j];
    const ok =
      part !== undefined &&
      part.start === end &&
      ((part.kind === 'word' && !part.forcedKeyword) || part.kind === 'backtick' || part.kind === 'dstring' || part.kind === 'string');
    if (!ok) {
      incomplete = true;
      break;
    }
    end = part.end;
    j++;
  }
  const s = slice(source, ts, i, j);
  const op: Operand = { kind: 'ident', ...s, first: i, next: j };
  if (j === i + 1) op.tok = ts[i];
  if (incomplete) op.incomplete = true;
  return op;
}

/** A parenthesised list, from `(` to its matching `)`. */
function readList(ts: Token[], i: number, source: string): Operand {
  let depth = 0;
  for (let j = i; j < ts.length; j++) {
    if (ts[j]!.kind === 'lparen') depth++;
    else if (ts[j]!.kind === 'rparen' && --depth === 0) {
      return { kind: 'list', ...slice(source, ts, i, j + 1), first: i, next: j + 1, inner: ts.slice(i + 1, j) };
    }
  }
  return { kind: 'list', ...slice(source, ts, i, ts.length), first: i, next: ts.length, unclosed: true };
}

function readAtom(ts: Token[], i: number, source: string, valueSide: boolean): Operand | undefined {
  const t = ts[i];
  if (!t) return undefined;
  switch (t.kind) {
    case 'string':
    case 'number':
      return { kind: t.kind, start: t.start, end: t.end, text: t.text, first: i, next: i + 1, tok: t };
    case 'lparen':
      return valueSide ? readList(ts, i, source) : undefined;
    case 'word':
      return isStructural(t) ? undefined : readIdent(ts, i, source);
    case 'backtick':
    case 'dstring':
      return readIdent(ts, i, source);
    default:
      return undefined;
  }
}

/** An operand, including `a - b` style operations (which MLflow then rejects). */
function readOperand(ts: Token[], i: number, source: string, valueSide: boolean): Operand | undefined {
  const a = readAtom(ts, i, source, valueSide);
  if (!a || a.kind === 'list' || a.incomplete) return a;
  let next = a.next;
  while (ts[next]?.kind === 'arith') {
    const b = readAtom(ts, next + 1, source, false);
    if (!b) break;
    next = b.next;
    if (b.incomplete) break;
  }
  if (next === a.next) return a;
  return { kind: 'expr', ...slice(source, ts, i, next), first: i, next };
}

const COMPARATOR_LIST = '=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN';

function describe(t: Token | undefined): string {
  if (!t) return 'the end of the filter';
  if (t.kind === 'comment') return 'a comment';
  return `'${t.text}'`;
}

/** One comparison starting at token i, or a Stop saying why there is none. */
function readComparison(ts: Token[], i: number, source: string): RawCompare | Stop {
  const first = ts[i];
  const lhs = readOperand(ts, i, source, false);
  if (!lhs) {
    let hint: string | undefined;
    if (isWord(first, 'NOT')) hint = "NOT is only supported as NOT IN (e.g. params.optimizer NOT IN ('sgd'))";
    return new Stop(first, 'a condition such as metrics.val_loss < 0.5', first, hint);
  }
  if (lhs.incomplete) {
    const after = ts[lhs.next];
    const hint =
      after && after.start === lhs.end ? `'${after.text}' is an SQL keyword here: quote the key with backticks, e.g. ${lhs.text}\`${after.text}\`` : undefined;
    return new Stop(after, `a key after '${lhs.text}'`, first, hint);
  }
  const op = ts[lhs.next];
  if (!op || op.kind !== 'op') {
    let hint: string | undefined;
    if (isWord(op, 'IS')) hint = 'there is no IS NULL; runs without the key never match a clause on it';
    else if (isWord(op, 'BETWEEN')) hint = `use two clauses: ${lhs.text} >= 0 AND ${lhs.text} <= 1`;
    else if (op?.kind === 'dot' || op?.kind === 'arith' || op?.kind === 'number') {
      hint = 'keys with characters other than letters, digits and _ need backticks, e.g. params.`my-key`';
    }
    return new Stop(op, `a comparator (${COMPARATOR_LIST}) after ${lhs.text}`, first, hint);
  }
  let rhs: Operand | undefined;
  if (op.norm === 'IN' || op.norm === 'NOT IN') {
    const open = ts[lhs.next + 1];
    if (open?.kind !== 'lparen') {
      return new Stop(open, `a parenthesised list after ${op.text}, e.g. ${lhs.text} ${op.text} ('a', 'b')`, first);
    }
    rhs = readList(ts, lhs.next + 1, source);
  } else {
    rhs = readOperand(ts, lhs.next + 1, source, true);
    if (!rhs) {
      const at = ts[lhs.next + 1];
      let hint: string | undefined;
      if (at?.kind === 'arith' && at.text === '-' && ts[lhs.next + 2]?.kind === 'number') {
        hint = `write a negative number without a space: -${ts[lhs.next + 2]!.text}`;
      }
      return new Stop(at, `a value after '${op.text}' (a number, or a string in quotes)`, first, hint);
    }
  }
  if (rhs.unclosed) return new Stop(ts[rhs.first], `')' to close this list`, ts[rhs.first]);
  if (rhs.incomplete) return new Stop(ts[rhs.next], `a key after '${rhs.text}'`, first);
  return { kind: 'cmp', lhs, op, rhs, start: lhs.start, end: rhs.end };
}

function canStartClause(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'lparen' || t.kind === 'string' || t.kind === 'number' || t.kind === 'backtick' || t.kind === 'dstring') return true;
  return t.kind === 'word' && !isStructural(t);
}

/** Recursive descent over the significant tokens: OR, AND (and juxtaposition), parentheses. */
class Structure {
  private i = 0;
  private depth = 0;
  private readonly ts: Token[];
  private readonly source: string;
  constructor(ts: Token[], source: string) {
    this.ts = ts;
    this.source = source;
  }

  private peek(): Token | undefined {
    return this.ts[this.i];
  }

  top(): RawNode | undefined {
    while (isWord(this.peek(), 'AND')) this.i++; // MLflow tolerates leading ANDs
    if (!this.peek()) return undefined; // empty, or only ANDs: matches every run, as in MLflow
    const node = this.or();
    const t = this.peek();
    if (t) throw new Stop(t, 'AND, OR or the end of the filter', t);
    return node;
  }

  private or(): RawNode {
    const items = [this.and()];
    while (isWord(this.peek(), 'OR')) {
      const orTok = this.ts[this.i++]!;
      const t = this.peek();
      if (!t || t.kind === 'rparen' || isWord(t, 'OR') || isWord(t, 'AND')) {
        throw new Stop(t, `a condition after '${orTok.text}'`, orTok, undefined, orTok);
      }
      items.push(this.and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items, start: items[0]!.start, end: items.at(-1)!.end };
  }

  private and(): RawNode {
    const items = [this.unary()];
    for (;;) {
      const t = this.peek();
      if (isWord(t, 'AND')) {
        let lastAnd = t!;
        while (isWord(this.peek(), 'AND')) lastAnd = this.ts[this.i++]!; // extra ANDs are tolerated
        const n = this.peek();
        if (!n && this.depth === 0) break; // trailing AND: tolerated
        if (!n || n.kind === 'rparen' || isWord(n, 'OR')) {
          throw new Stop(n, `a condition after '${lastAnd.text}'`, lastAnd, undefined, lastAnd);
        }
        items.push(this.unary());
      } else if (canStartClause(t)) {
        // MLflow ANDs comparisons that merely follow each other (`a < 1 b < 2`)
        items.push(this.unary());
      } else break;
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items, start: items[0]!.start, end: items.at(-1)!.end };
  }

  private unary(): RawNode {
    const t = this.peek();
    if (t?.kind === 'lparen') {
      this.i++;
      this.depth++;
      if (this.peek()?.kind === 'rparen') throw new Stop(this.peek(), 'a condition inside the parentheses', t);
      const inner = this.or();
      const close = this.peek();
      if (close?.kind !== 'rparen') throw new Stop(close, `')' to close the '(' at column ${t.start + 1}`, t);
      this.i++;
      this.depth--;
      return inner;
    }
    const r = readComparison(this.ts, this.i, this.source);
    if (r instanceof Stop) throw r;
    this.i = r.rhs.next;
    return r;
  }
}

/**
 * What MLflow would list as "Invalid clause(s)": every top-level token or group that is
 * not a comparison, `AND` or whitespace — with `OR` and balanced parentheses counted as
 * valid, since mlr accepts them.
 */
function listInvalidClauses(ts: Token[], source: string): string[] {
  const matched = new Set<number>();
  const open: number[] = [];
  ts.forEach((t, k) => {
    if (t.kind === 'lparen') open.push(k);
    else if (t.kind === 'rparen' && open.length > 0) {
      matched.add(open.pop()!);
      matched.add(k);
    }
  });
  const out: string[] = [];
  let i = 0;
  while (i < ts.length) {
    const t = ts[i]!;
    if (isWord(t, 'AND') || isWord(t, 'OR') || ((t.kind === 'lparen' || t.kind === 'rparen') && matched.has(i))) {
      i++;
      continue;
    }
    const c = readComparison(ts, i, source);
    if (!(c instanceof Stop)) {
      i = c.rhs.next;
      continue;
    }
    const o = readOperand(ts, i, source, false);
    if (o) {
      out.push(o.text);
      i = o.next;
    } else {
      out.push(t.text);
      i++;
    }
  }
  return out;
}

function quoteList(items: string[]): string {
  return items.map((s) => `'${s}'`).join(', ');
}

function posOf(source: string, t: Token | undefined): [number, number] {
  return t ? [t.start, t.end] : [source.length, source.length + 1];
}

/** Statement splitting as sqlparse does it: a `;` at paren level ≤ 0 ends a statement. */
function checkStatements(source: string, all: Token[]): void {
  let level = 0;
  for (let k = 0; k < all.length; k++) {
    const t = all[k]!;
    if (t.kind === 'lparen') level++;
    else if (t.kind === 'rparen') level--;
    else if (t.kind === 'semicolon' && level <= 0) {
      const rest = all.slice(k + 1).find((r) => r.kind !== 'ws' && !(r.kind === 'comment' && !r.text.startsWith('/*')));
      if (rest) {
        throw new FilterError(
          `Search filter contained multiple expression '${source}'. Provide AND-ed expression list. — ';' separates statements; join conditions with AND`,
          source,
          [t.start, t.end],
          'filter-multiple-statements',
        );
      }
      return;
    }
  }
}

/**
 * How deep parentheses may nest. The parser and every walk over the tree it builds
 * (evaluate, the keys a query needs) recurse once or a few times a level, so a limit keeps
 * them far from the stack's end; MLflow has no parentheses at all, and no real filter
 * needs more than a few levels.
 */
export const MAX_PAREN_DEPTH = 100;

/** Parses the structure, or throws MLflow's "Invalid clause(s)" error with a caret. */
function parseStructure(source: string): RawNode | undefined {
  const all = tokenize(source);
  checkStatements(source, all);
  const ts = all.filter((t) => t.kind !== 'ws');
  if (ts.length === 0) {
    throw new FilterError(
      `Invalid filter '${source}'. Could not be parsed. — the filter is blank; leave out --filter to match every run`,
      source,
      [0, Math.max(1, source.length)],
      'filter-syntax',
    );
  }
  try {
    // parentheses first: an unbalanced one is the clearest thing to point at
    const open: Token[] = [];
    for (const t of ts) {
      if (t.kind === 'lparen') {
        open.push(t);
        // the structure below is parsed by recursion: bound it (issue 11 #30)
        if (open.length > MAX_PAREN_DEPTH) {
          throw new FilterError(
            `Filter nested too deeply: more than ${MAX_PAREN_DEPTH} levels of parentheses — mlr reads at most ${MAX_PAREN_DEPTH}; remove the parentheses that group nothing`,
            source,
            [t.start, t.end],
            'filter-too-deep',
          );
        }
      } else if (t.kind === 'rparen' && !open.pop()) throw new Stop(t, '', t, "this ')' has no matching '('");
    }
    if (open.length > 0) throw new Stop(undefined, '', open[0], "this '(' is never closed", open[0]);
    return new Structure(ts, source).top();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    let invalid = listInvalidClauses(ts, source);
    if (invalid.length === 0) invalid = [(e.unit ?? e.at)?.text ?? ''];
    let why = e.expected ? `expected ${e.expected}${e.at ? `, found ${describe(e.at)}` : ''}` : '';
    if (e.hint) why += why ? `; ${e.hint}` : e.hint;
    throw new FilterError(`Invalid clause(s) in filter string: ${quoteList(invalid)} — ${why}`, source, posOf(source, e.caret ?? e.at), 'filter-syntax');
  }
}

// --- semantic checks ---

const METRIC_OPS: Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const LIST_OPS: Comparator[] = ['IN', 'NOT IN'];

function opSet(ops: Comparator[]): string {
  return `{${ops.map((o) => `'${o}'`).join(', ')}}`;
}

interface Resolved {
  raw: RawCompare;
  entity: Entity;
  /** the key as written (unquoted), before alias resolution */
  writtenKey: string;
  key: string;
  value: number | string | string[];
  isList: boolean;
}

function trimEnds(s: string): string {
  return s.slice(1, -1);
}
function isQuoted(s: string, q: string): boolean {
  return s.length >= 2 && s.startsWith(q) && s.endsWith(q);
}
/** MLflow `_trim_backticks`. */
function trimBackticks(s: string): string {
  return isQuoted(s, '`') ? trimEnds(s) : s;
}
/** MLflow `_strip_quotes` without the error: one pair of ' or " removed. */
function stripQuotes(s: string): string {
  return isQuoted(s, "'") || isQuoted(s, '"') ? trimEnds(s) : s;
}

/**
 * MLflow `_get_identifier`: the entity and key an identifier's text names. Split at the
 * first `.`; no dot means an attribute. Throws FilterError (positions from `pos`).
 */
export function decodeIdentifier(text: string, validAttributes: Set<string>, source: string, pos: [number, number]): { entity: Entity; key: string } {
  const dot = text.indexOf('.');
  const entityWord = dot < 0 ? 'attribute' : trimBackticks(text.slice(0, dot));
  const keyText = dot < 0 ? text : text.slice(dot + 1);
  const entity = entityOf(entityWord);
  if (!entity) {
    let hint = '';
    const lower = entityWord.toLowerCase();
    const bare = entityWord.replace(/^[`"']+/, '');
    if (entityOf(lower)) hint = ` — entity prefixes are lower case: ${lower}.${keyText}`;
    else if (bare !== entityWord && entityOf(bare)) {
      hint = ` — quote only the key, not the prefix: ${bare}.\`${keyText.replace(/[`"']+$/, '')}\``;
    } else hint = ' — write metrics.<key>, params.<key>, tags.<key>, attributes.<key> or datasets.<key>';
    throw new FilterError(
      `Invalid entity type '${entityWord}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']${hint}`,
      source,
      [pos[0], dot < 0 ? pos[1] : pos[0] + dot],
      'filter-entity',
    );
  }
  const key = trimBackticks(stripQuotes(keyText));
  if (entity === 'attribute' && !validAttributes.has(key)) {
    let hint: string;
    if (key === 'lifecycle_stage') hint = 'deleted runs are chosen with --view active|deleted|all';
    else if (key === 'experiment_id') hint = 'experiments are chosen with --experiment';
    else if (dot < 0) hint = `a key without a prefix is an attribute; for a metric, param or tag write metrics.${key}, params.${key} or tags.${key}`;
    else hint = 'attributes are run fields, not metrics, params or tags';
    throw new FilterError(
      `Invalid attribute key '${key}' specified. Valid keys are '${[...validAttributes].join("', '")}' — ${hint}`,
      source,
      pos,
      'filter-attribute',
    );
  }
  if (entity === 'dataset' && !DATASET_KEYS.has(key)) {
    throw new FilterError(`Invalid dataset key '${key}' specified. Valid keys are 'name', 'digest', 'context'`, source, pos, 'filter-dataset-key');
  }
  return { entity, key };
}

/** Step 2 of MLflow's validation: identifier and value type (`_get_identifier`, `_get_value`). */
function resolveKeyAndValue(c: RawCompare, source: string): Resolved {
  const { lhs, rhs, op } = c;
  if (lhs.kind !== 'ident') {
    let hint: string;
    if (lhs.kind === 'expr' && /^[A-Za-z`]/.test(lhs.text)) {
      const dot = lhs.text.indexOf('.');
      hint =
        dot > 0
          ? `keys with characters other than letters, digits and _ need backticks: ${lhs.text.slice(0, dot)}.\`${lhs.text.slice(dot + 1)}\``
          : `quote the key with backticks: \`${lhs.text}\``;
    } else if (lhs.kind === 'string') hint = 'a key is quoted with backticks or double quotes, e.g. params.`my key`; single quotes are for values';
    else hint = 'the left side must be a key, e.g. metrics.val_loss < 0.5';
    throw new FilterError(`Invalid comparison clause. Expected 'Identifier' found '${lhs.text}' — ${hint}`, source, [lhs.start, lhs.end], 'filter-identifier');
  }
  const { entity, key: writtenKey } = decodeIdentifier(lhs.text, SEARCHABLE_ATTRIBUTES, source, [lhs.start, lhs.end]);
  const key = entity === 'attribute' ? canonicalAttribute(writtenKey) : writtenKey;
  const vpos: [number, number] = [rhs.start, rhs.end];
  const isListOp = op.norm === 'IN' || op.norm === 'NOT IN';
  // an example with the value fixed; '=' when the comparator would not suit the fixed value
  const suggestion = (v: string, forString = true) => {
    const fits = forString ? STRING_OPS.includes(op.norm as Comparator) : METRIC_OPS.includes(op.norm as Comparator);
    return `${lhs.text} ${fits ? op.text : '='} ${v}`;
  };
  const done = (value: number | string | string[], isList = false): Resolved => ({ raw: c, entity, writtenKey, key, value, isList });

  const numeric = entity === 'metric' || (entity === 'attribute' && NUMERIC_ATTRIBUTES.has(writtenKey));
  if (numeric) {
    const isNumber = rhs.kind === 'number' && !rhs.tok!.isHex;
    if (!isNumber) {
      const unq = rhs.kind === 'string' || (rhs.kind === 'ident' && rhs.tok?.kind === 'dstring') ? stripQuotes(rhs.text) : undefined;
      const hint =
        unq !== undefined && /^-?(\d+(\.\d*)?|\.\d+)([eE]-?\d+)?$/.test(unq)
          ? ` — ${entity === 'metric' ? 'metrics' : 'times'} compare as numbers: drop the quotes: ${suggestion(unq, false)}`
          : entity === 'metric'
            ? ' — metrics compare with numbers such as 0.5, -1, 1e-3 (no inf or nan)'
            : ' — times are whole milliseconds since the epoch';
      const what = entity === 'metric' ? 'metric' : `numeric attribute: ${writtenKey}`;
      throw new FilterError(`Expected numeric value type for ${what}. Found ${rhs.text}${hint}`, source, vpos, 'filter-value-type');
    }
    if (entity === 'attribute' && !rhs.tok!.isInt) {
      throw new FilterError(
        `Invalid value ${rhs.text} for numeric attribute ${writtenKey}: it must be a whole number of milliseconds (MLflow fails on it: invalid literal for int() with base 10: '${rhs.text}')`,
        source,
        vpos,
        'filter-integer',
      );
    }
    return done(Number(rhs.text));
  }

  // string-valued entities: params, tags, string attributes, datasets
  const label = entity === 'attribute' ? 'attributes' : entity === 'dataset' ? 'dataset attributes' : entityLabel(entity);
  if (rhs.kind === 'string') return done(trimEnds(rhs.text));
  if (rhs.kind === 'ident') {
    if (rhs.tok?.kind === 'dstring') return done(trimEnds(rhs.text));
    throw new FilterError(
      `Parameter value is either not quoted or unidentified quote types used for string value ${rhs.text}. Use either single or double quotes. — e.g. ${suggestion(`'${stripQuotes(trimBackticks(rhs.text))}'`)}`,
      source,
      vpos,
      'filter-value-type',
    );
  }
  if (rhs.kind === 'list') {
    const items = parseListItems(rhs, source);
    if (!isListOp) {
      const msg =
        entity === 'attribute' && key !== 'run_id'
          ? "Only the 'run_id' attribute supports comparison with a list of quoted string values."
          : entity === 'param' || entity === 'tag'
            ? `Expected a quoted string value for ${label} (e.g. 'my-value'). Got value ${rhs.text}`
            : `Expected a quoted string value for ${label}. Got value ${rhs.text}`;
      throw new FilterError(`${msg} — a list is compared with IN or NOT IN: ${lhs.text} IN ${rhs.text}`, source, vpos, 'filter-value-type');
    }
    return done(items, true);
  }
  // number or expression where a string is needed
  const quoted = `'${rhs.text}'`;
  const msg =
    entity === 'param' || entity === 'tag'
      ? `Expected a quoted string value for ${label} (e.g. 'my-value'). Got value ${rhs.text} — ${entityPrefix(entity)} compare as strings: quote the value: ${suggestion(quoted)}`
      : `Expected a quoted string value for ${label}. Got value ${rhs.text} — quote the value: ${suggestion(quoted)}`;
  throw new FilterError(msg, source, vpos, 'filter-value-type');
}

/** The strings of `( 'a', "b" )`, with MLflow's list errors. A trailing comma is allowed. */
function parseListItems(list: Operand, source: string): string[] {
  const inner = list.inner ?? [];
  const pos: [number, number] = [list.start, list.end];
  if (inner.length === 0) {
    throw new FilterError('While parsing a list in the query, expected a non-empty list of string values, but got empty list', source, pos, 'filter-list');
  }
  if (inner.some((t) => t.kind !== 'string' && t.kind !== 'dstring' && t.kind !== 'comma')) {
    throw new FilterError(
      `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${list.text} — every item must be a quoted string, e.g. ('a', 'b')`,
      source,
      pos,
      'filter-list',
    );
  }
  const items: string[] = [];
  let k = 0;
  for (;;) {
    const t = inner[k];
    if (t?.kind !== 'string' && t?.kind !== 'dstring') break;
    items.push(trimEnds(t.text));
    k++;
    if (k === inner.length) return items;
    if (inner[k]!.kind !== 'comma') break;
    k++;
    if (k === inner.length) return items; // trailing comma, as in a Python tuple
  }
  throw new FilterError(
    "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list. — separate items with commas: ('a', 'b')",
    source,
    pos,
    'filter-list',
  );
}

/** Step 3: the comparator for the entity, then LIKE patterns MLflow would crash on. */
function checkComparator(r: Resolved, source: string): Comparator {
  const { raw, entity } = r;
  const opText = raw.op.norm;
  const op = opText as Comparator;
  const opPos: [number, number] = [raw.op.start, raw.op.end];
  let allowed: Comparator[];
  if (entity === 'metric' || (entity === 'attribute' && NUMERIC_ATTRIBUTES.has(r.writtenKey))) allowed = METRIC_OPS;
  else allowed = r.isList ? LIST_OPS : STRING_OPS;
  if (!allowed.includes(op)) {
    const all = entity === 'metric' || allowed === METRIC_OPS ? METRIC_OPS : [...STRING_OPS, ...LIST_OPS];
    let hint: string;
    if (opText === '==') hint = "use '=' for equality";
    else if (opText === '<>') hint = "use '!=' for inequality";
    else if (op.startsWith('NOT ') && op !== 'NOT IN') hint = `there is no ${op}; use != or NOT IN`;
    else if (entity === 'metric') hint = `metrics are compared as numbers: ${METRIC_OPS.join(', ')}`;
    else if (allowed === METRIC_OPS) hint = `${r.writtenKey} is compared as a number: ${METRIC_OPS.join(', ')}`;
    else {
      const ops = `${STRING_OPS.join(', ')}, or IN / NOT IN with a list`;
      hint =
        entity === 'param' || entity === 'tag'
          ? `${entityPrefix(entity)} are compared as strings: ${ops}`
          : `${entity === 'dataset' ? `datasets.${r.key}` : r.writtenKey} is compared as a string: ${ops}`;
    }
    throw new FilterError(`Invalid comparator '${op}' not one of '${opSet(all)} — ${hint}`, source, opPos, 'filter-comparator');
  }
  if ((op === 'LIKE' || op === 'ILIKE') && typeof r.value === 'string') {
    const problem = mlflowLikeProblem(r.value);
    if (problem) {
      throw new FilterError(
        `Invalid ${op} pattern '${r.value}': MLflow reads LIKE patterns as regular expressions and fails on this one (${problem}) — leave out regex characters such as ( ) [ ] { } * + ? \\ |`,
        source,
        [raw.rhs.start, raw.rhs.end],
        'filter-like-pattern',
      );
    }
  }
  return op;
}

function collect(n: RawNode, out: RawCompare[]): void {
  if (n.kind === 'cmp') out.push(n);
  else for (const c of n.items) collect(c, out);
}

/**
 * Parses a filter string into an AST. Returns undefined for an empty filter (and for a
 * filter of nothing but ANDs, which MLflow also treats as "every run"). Throws
 * FilterError (exit 2) with a caret under the offending part.
 */
export function parseFilter(source: string): FilterNode | undefined {
  if (source === '') return undefined;
  const raw = parseStructure(source);
  if (!raw) return undefined;
  const cmps: RawCompare[] = [];
  collect(raw, cmps);
  const resolved = cmps.map((c) => resolveKeyAndValue(c, source));
  const nodes = new Map<RawCompare, CompareNode>();
  for (const r of resolved) {
    const op = checkComparator(r, source);
    const node: CompareNode = { type: 'compare', entity: r.entity, key: r.key, op, value: r.value, pos: [r.raw.start, r.raw.end] };
    if (r.isList) node.listMode = r.entity === 'dataset' || (r.entity === 'attribute' && r.key === 'run_id') ? 'mlflow' : 'plain';
    nodes.set(r.raw, node);
  }
  const build = (n: RawNode): FilterNode => (n.kind === 'cmp' ? nodes.get(n)! : { type: n.kind, items: n.items.map(build), pos: [n.start, n.end] });
  return build(raw);
}
