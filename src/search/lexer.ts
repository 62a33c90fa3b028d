/**
 * Filter lexer: text → tokens with `[start, end)` positions.
 *
 * MLflow tokenises filters with the Python `sqlparse` SQL lexer, and several of its
 * quirks decide what a filter means or whether it is valid at all. This lexer applies
 * the same rules, in the same order, wherever they matter for filters and order-by
 * clauses (sqlparse `keywords.py` SQL_REGEX, 0.4.4+):
 *
 * - a word followed by `.` is a name, and a word right after a `.` is a name, whatever
 *   it is, so `tags.and` or `params.select` are keys — except `CASE IN VALUES USING FROM
 *   AS`, which are always keywords (`params.from` breaks);
 * - numbers are tried before punctuation, so `.5` is a number and `metrics.1` breaks;
 *   an exponent takes an optional `-` only (`1e+5` is not one number); a number glued to
 *   letters (`1_000`, `1abc`) is a word;
 * - `'…'` and `"…"` strings have no escapes for their value, but the lexer lets `''`,
 *   `\\` and `\'` continue a string when deciding where it ends (sqlparse's regex);
 * - comparators are runs of `<>=~!` (`==`, `<>` lex as comparators and are rejected
 *   later), plus the words `LIKE ILIKE RLIKE REGEXP IN` with an optional `NOT`.
 *
 * The lexer never throws: anything it does not know becomes an `other` token, and the
 * parser reports it with a caret.
 */

type TokenKind =
  /** bare word: name or keyword (`metrics`, `val_loss`, `AND`, `1_000`, `0x10`) */
  | 'word'
  /** `` `…` `` quoted name */
  | 'backtick'
  /** `'…'` string */
  | 'string'
  /** `"…"` string (sqlparse: a quoted name, usable as a value or as a key) */
  | 'dstring'
  /** integer or decimal number, optionally negative, optionally with an exponent */
  | 'number'
  /** comparator: `=`, `!=`, `<`, `==`, `LIKE`, `NOT IN`, … */
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'semicolon'
  | 'dot'
  /** arithmetic-like operator run: `-`, `+`, `/`, `*`, `%`, `||`, … */
  | 'arith'
  /** SQL comment (`-- …`, `# …`, `/* … *\/`) */
  | 'comment'
  | 'ws'
  /** anything else (one character, or a placeholder like `?`, `:x`, `$1`) */
  | 'other';

export interface Token {
  kind: TokenKind;
  /** the source text of the token */
  text: string;
  start: number;
  end: number;
  /**
   * For `word`: the upper-cased text. For `op`: the comparator as MLflow names it,
   * upper-cased with any whitespace inside `NOT IN` / `NOT LIKE` collapsed to one space.
   */
  norm: string;
  /** `word`: one of sqlparse's always-keywords (`CASE IN VALUES USING FROM AS`) */
  forcedKeyword?: boolean;
  /** `number`: true for an integer literal (no `.` and no exponent) */
  isInt?: boolean;
  /** `number`: a hexadecimal literal (`0x10`), which MLflow does not take as a number */
  isHex?: boolean;
}

// Python's `\w` and `\s` (re.UNICODE) and `[A-ZÀ-Ü]` under re.IGNORECASE.
const W = String.raw`[\p{L}\p{N}_]`;
const NOT_W = String.raw`(?![\p{L}\p{N}_])`;
const S = String.raw`[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;
const LETTER = '[A-ZÀ-Ü]';

interface Rule {
  /** undefined: the place in the order where quoted strings are tried (scanQuoted) */
  re: RegExp | undefined;
  /**
   * the characters a match can start with (case-insensitive), when that is a short list:
   * other rules are not tried (so their regexes, slow to compile with \p{…} under /iu,
   * are compiled only when some text needs them)
   */
  first?: string;
  kind: TokenKind | 'ident-word' | 'forced' | 'word-op' | 'number-int' | 'number-float' | 'number-hex' | 'strings';
}

function rule(source: string, kind: Rule['kind'], first?: string): Rule {
  return { re: new RegExp(source, 'iuy'), kind, ...(first !== undefined ? { first: first + first.toLowerCase() } : {}) };
}

// Order matters: it is sqlparse's order, minus rules that cannot matter here.
const RULES: Rule[] = [
  rule(String.raw`(--|# ).*?(\r\n|\r|\n|$)`, 'comment', '-#'),
  rule(String.raw`/\*[\s\S]*?\*/`, 'comment', '/'),
  rule(`${S}+`, 'ws'),
  rule(':=|::', 'other', ':'),
  rule(String.raw`\*`, 'arith'),
  rule('`(``|[^`])*`', 'backtick'),
  rule(String.raw`\?|%(\(${W}+\))?s|(?<!${W})[$:?]${W}+|\\${W}+`, 'other', '?%$:\\'),
  rule(String.raw`(NOT${S}+)?IN${NOT_W}`, 'word-op', 'NI'),
  rule(String.raw`(CASE|IN|VALUES|USING|FROM|AS)${NOT_W}`, 'forced', 'CIVUFA'),
  rule(`(@|##|#)${LETTER}${W}+`, 'other', '@#'),
  rule(`${LETTER}${W}*(?=${S}*\\.)`, 'ident-word'),
  rule(`(?<=\\.)${LETTER}${W}*`, 'ident-word'),
  rule(`${LETTER}${W}*(?=\\()`, 'ident-word'),
  rule(String.raw`-?0x[0-9A-F]+`, 'number-hex', '-0'),
  // sqlparse 0.5 requires a digit before the exponent's mantissa; 0.4 also took `.5e3`.
  // Both spellings are accepted here (never `e5` alone, which 0.4 would crash on).
  rule(String.raw`-?([0-9]+(\.[0-9]+)?|\.[0-9]+)E-?[0-9]+`, 'number-float', '-.0123456789'),
  rule(String.raw`-?([0-9]+(\.[0-9]*)|\.[0-9]+)(?![_A-ZÀ-Ü])`, 'number-float', '-.0123456789'),
  rule(String.raw`-?[0-9]+(?![_A-ZÀ-Ü])`, 'number-int', '-0123456789'),
  { re: undefined, kind: 'strings' },
  rule(String.raw`(NOT${S}+)?(LIKE|ILIKE|RLIKE|REGEXP)${NOT_W}`, 'word-op', 'NLIR'),
  rule(`[0-9_\\p{L}\\p{N}][_$#\\p{L}\\p{N}]*`, 'word'),
  rule(String.raw`[;:()\[\],.]`, 'dot'),
  rule('[<>=~!]+', 'op'),
  rule('[+/@#%^&|-]+', 'arith'),
];

const PUNCT: Record<string, TokenKind> = {
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  ';': 'semicolon',
  '.': 'dot',
};

/**
 * Where a string starting with `quote` at `start` ends (exclusive), or -1 if it never
 * ends. Reproduces sqlparse's `'(''|\\\\|\\'|[^'])*'` exactly — including where its
 * backtracking makes the string end — without the regex's exponential backtracking:
 * a depth-first search over the same choices in the same order, remembering dead ends.
 */
export function scanQuoted(text: string, start: number, quote: string): number {
  const dead = new Set<number>();
  // explicit stack of [position, next alternative to try]
  const stack: Array<[number, number]> = [[start + 1, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [p, alt] = top;
    if (dead.has(p) && alt === 0) {
      stack.pop();
      continue;
    }
    top[1] = alt + 1;
    let next = -1;
    if (alt === 0 && text[p] === quote && text[p + 1] === quote) next = p + 2;
    else if (alt === 1 && text[p] === '\\' && text[p + 1] === '\\') next = p + 2;
    else if (alt === 2 && text[p] === '\\' && text[p + 1] === quote) next = p + 2;
    else if (alt === 3 && p < text.length && text[p] !== quote) next = p + 1;
    else if (alt === 4) {
      // the loop ends here: the closing quote must follow
      if (text[p] === quote) return p + 1;
      dead.add(p);
      stack.pop();
      continue;
    }
    if (next >= 0) stack.push([next, 0]);
  }
  return -1;
}

/** Splits `text` into tokens, whitespace and comments included; never throws. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  outer: while (pos < text.length) {
    for (const rl of RULES) {
      if (!rl.re) {
        const ch = text[pos];
        if (ch === "'" || ch === '"') {
          const end = scanQuoted(text, pos, ch);
          if (end > 0) {
            const t = text.slice(pos, end);
            tokens.push({ kind: ch === "'" ? 'string' : 'dstring', text: t, start: pos, end, norm: t });
            pos = end;
            continue outer;
          }
        }
        continue;
      }
      if (rl.first !== undefined && !rl.first.includes(text[pos]!)) continue;
      rl.re.lastIndex = pos;
      const m = rl.re.exec(text);
      if (!m || m[0].length === 0) continue;
      const t = m[0];
      const end = pos + t.length;
      tokens.push(makeToken(rl.kind, t, pos, end));
      pos = end;
      continue outer;
    }
    // nothing matched: one character (a whole code point) of its own
    const cp = text.codePointAt(pos)!;
    const len = cp > 0xffff ? 2 : 1;
    tokens.push({ kind: 'other', text: text.slice(pos, pos + len), start: pos, end: pos + len, norm: text.slice(pos, pos + len) });
    pos += len;
  }
  return tokens;
}

function makeToken(kind: Rule['kind'], text: string, start: number, end: number): Token {
  switch (kind) {
    case 'ident-word':
    case 'word':
      return { kind: 'word', text, start, end, norm: text.toUpperCase() };
    case 'forced':
      return { kind: 'word', text, start, end, norm: text.toUpperCase(), forcedKeyword: true };
    case 'word-op':
      return { kind: 'op', text, start, end, norm: text.toUpperCase().replace(new RegExp(`${S}+`, 'gu'), ' ') };
    case 'number-int':
      return { kind: 'number', text, start, end, norm: text, isInt: true };
    case 'number-float':
      return { kind: 'number', text, start, end, norm: text, isInt: false };
    case 'number-hex':
      // sqlparse: Number.Hexadecimal, which MLflow does not take as a number
      return { kind: 'number', text, start, end, norm: text, isInt: false, isHex: true };
    case 'dot':
      return { kind: PUNCT[text] ?? 'other', text, start, end, norm: text };
    case 'op':
      return { kind: 'op', text, start, end, norm: text };
    case 'strings': // never reaches here: strings are made in tokenize
      return { kind: 'other', text, start, end, norm: text };
    default:
      return { kind, text, start, end, norm: text };
  }
}

/** Tokens without whitespace (comments are kept: they are invalid in a filter). */
export function significantTokens(text: string): Token[] {
  return tokenize(text).filter((t) => t.kind !== 'ws');
}
