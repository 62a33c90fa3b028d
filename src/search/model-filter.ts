/**
 * The registered-model search filter of MLflow's `search_registered_models`: clauses on
 * `name` and `tags.<key>` with `=`, `!=`, `LIKE`, `ILIKE`, joined by AND. A small parser
 * of its own (the run-search grammar is much larger); errors carry a caret position.
 *
 * Semantics follow MLflow's SearchModelUtils: a model without the tag never matches (not
 * even `!=`); LIKE/ILIKE become a regular expression in which only `%` and `_` are
 * translated (spec search-syntax §4.2), anchored as Python's `re.match` anchors it.
 */
import { FilterError } from '../errors.js';
import { hasRegexSyntax, matchMlflowLike } from './like.js';

export interface ModelClause {
  kind: 'name' | 'tag';
  /** tag key (for kind 'tag') */
  key: string;
  op: '=' | '!=' | 'LIKE' | 'ILIKE';
  value: string;
  /** compiled pattern for LIKE / ILIKE with regex syntax; one of only `%` and `_` needs none (matchMlflowLike) */
  regex?: RegExp;
}

interface Token {
  type: 'word' | 'string' | 'op' | 'other';
  text: string;
  /** value of a quoted string / the decoded identifier */
  value: string;
  start: number;
  end: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      const close = src.indexOf(c, i + 1);
      if (close < 0) throw new FilterError(`unterminated string: add the closing ${c}`, src, [start, src.length]);
      out.push({ type: 'string', text: src.slice(start, close + 1), value: src.slice(start + 1, close), start, end: close + 1 });
      i = close + 1;
      continue;
    }
    if (c === '!' || c === '=' || c === '<' || c === '>') {
      let j = i + 1;
      while (j < src.length && '=<>!'.includes(src[j]!)) j++;
      out.push({ type: 'op', text: src.slice(i, j), value: src.slice(i, j), start, end: j });
      i = j;
      continue;
    }
    if (/[A-Za-z_`]/.test(c)) {
      // an identifier: words joined by dots, where a segment may be `backticked` or "quoted"
      let j = i;
      let value = '';
      for (;;) {
        const q = src[j];
        if (q === '`' || (q === '"' && value.endsWith('.'))) {
          const close = src.indexOf(q, j + 1);
          if (close < 0) throw new FilterError(`unterminated ${q === '`' ? 'backtick' : 'quote'}`, src, [j, src.length]);
          value += src.slice(j + 1, close);
          j = close + 1;
        } else {
          const m = /^[A-Za-z0-9_]+/.exec(src.slice(j));
          if (!m) break;
          value += m[0];
          j += m[0].length;
        }
        if (src[j] === '.' && j + 1 < src.length && /[A-Za-z0-9_`"]/.test(src[j + 1]!)) {
          value += '.';
          j++;
          continue;
        }
        break;
      }
      out.push({ type: 'word', text: src.slice(start, j), value, start, end: j });
      i = j;
      continue;
    }
    let j = i + 1;
    while (j < src.length && !/[\s'"=!<>]/.test(src[j]!)) j++;
    out.push({ type: 'other', text: src.slice(i, j), value: src.slice(i, j), start, end: j });
    i = j;
  }
  return out;
}

/**
 * Turn a LIKE pattern into MLflow's regex: `%` → `.*`, `_` → `.`, `$` anchor unless it ends
 * with `%`; nothing else is escaped. Python's `$` also matches before a final newline.
 */
export function likeToRegex(pattern: string, ignoreCase: boolean, src = pattern, pos: [number, number] = [0, pattern.length]): RegExp {
  let body = pattern.replace(/_/g, '.').replace(/%/g, '.*');
  if (!pattern.endsWith('%')) body += '(?=\\n?$)';
  try {
    return new RegExp('^(?:' + body + ')', ignoreCase ? 'iu' : 'u');
  } catch {
    throw new FilterError(`LIKE pattern '${pattern}' is not a valid pattern (MLflow passes it to a regular expression)`, src, pos, 'filter-bad-pattern');
  }
}

/** Parse a registered-model filter. Throws FilterError (exit 2) with a caret. */
export function parseModelFilter(src: string): ModelClause[] {
  const toks = tokenize(src);
  const clauses: ModelClause[] = [];
  let i = 0;
  const isAnd = (t: Token | undefined): boolean => t !== undefined && t.type === 'word' && t.value.toUpperCase() === 'AND';
  while (i < toks.length) {
    if (isAnd(toks[i])) {
      i++;
      continue;
    }
    const id = toks[i]!;
    if (id.type !== 'word') {
      throw new FilterError(`expected 'name' or 'tags.<key>', found '${id.text}'`, src, [id.start, id.end]);
    }
    const upper = id.value.toUpperCase();
    if (upper === 'OR' || upper === 'NOT') {
      throw new FilterError(`'${id.text}' is not supported: MLflow's model filter joins clauses with AND only`, src, [id.start, id.end]);
    }
    let kind: ModelClause['kind'];
    let key = '';
    const dot = id.value.indexOf('.');
    if (dot < 0) {
      if (id.value !== 'name') {
        throw new FilterError(`Invalid attribute key '${id.value}' specified: models can be filtered by name or tags.<key>`, src, [id.start, id.end]);
      }
      kind = 'name';
    } else {
      const entity = id.value.slice(0, dot);
      key = id.value.slice(dot + 1);
      if (entity === 'tag' || entity === 'tags') kind = 'tag';
      else if (entity === 'attribute' || entity === 'attributes') {
        if (key !== 'name') {
          throw new FilterError(`Invalid attribute key '${key}' specified: the only model attribute is name`, src, [id.start, id.end]);
        }
        kind = 'name';
      } else {
        throw new FilterError(`Invalid entity type '${entity}': use name or tags.<key>`, src, [id.start, id.start + dot]);
      }
      if (kind === 'tag' && key === '') throw new FilterError('missing tag key after tags.', src, [id.start, id.end]);
    }
    const opTok = toks[i + 1];
    if (!opTok) throw new FilterError(`expected a comparator (=, !=, LIKE, ILIKE) after '${id.text}'`, src, [src.length, src.length + 1]);
    let op: ModelClause['op'];
    const opText = opTok.type === 'word' ? opTok.value.toUpperCase() : opTok.text;
    if (opText === '=' || opText === '!=' || opText === 'LIKE' || opText === 'ILIKE') op = opText;
    else {
      throw new FilterError(`Invalid comparator '${opTok.text}': use =, !=, LIKE or ILIKE`, src, [opTok.start, opTok.end], 'filter-comparator');
    }
    const v = toks[i + 2];
    if (!v) throw new FilterError(`expected a quoted value after '${opTok.text}'`, src, [src.length, src.length + 1]);
    if (v.type !== 'string') {
      throw new FilterError(`expected a quoted string value (e.g. 'my-model'), found ${v.text}`, src, [v.start, v.end], 'filter-value');
    }
    const clause: ModelClause = { kind, key, op, value: v.value };
    // a backtracking regex takes exponential time on '%a%a%a%a%b' (issue 11 #32): only a
    // pattern that really is a regex gets one
    if ((op === 'LIKE' || op === 'ILIKE') && hasRegexSyntax(v.value)) clause.regex = likeToRegex(v.value, op === 'ILIKE', src, [v.start, v.end]);
    clauses.push(clause);
    i += 3;
    const next = toks[i];
    if (next && !isAnd(next)) {
      throw new FilterError(`expected AND between clauses, found '${next.text}'`, src, [next.start, next.end]);
    }
  }
  return clauses;
}

/** Does a model (its name and tags) satisfy every clause? */
export function matchesModel(clauses: ModelClause[], name: string, tags: Map<string, string>): boolean {
  return clauses.every((c) => {
    const lhs = c.kind === 'name' ? name : tags.get(c.key);
    if (lhs === undefined) return false;
    switch (c.op) {
      case '=':
        return lhs === c.value;
      case '!=':
        return lhs !== c.value;
      case 'LIKE':
      case 'ILIKE':
        return c.regex ? c.regex.test(lhs) : matchMlflowLike(lhs, c.value, c.op === 'ILIKE');
    }
  });
}
