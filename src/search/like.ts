/**
 * LIKE / ILIKE patterns.
 *
 * mlr matches LIKE the SQL way: `%` is any run of characters, `_` is one character, every
 * other character is itself, and the pattern must match the whole value. MLflow's file
 * store instead pastes the pattern into a Python regular expression (spec §4.2), so in
 * MLflow `.` `*` `[` … keep their regex meaning and some patterns crash the search.
 * mlr rejects exactly those crashing patterns (see `mlflowLikeProblem`), so no filter
 * MLflow refuses is accepted by mlr.
 */

/** `%` in a compiled pattern: any run of code points, newlines included. */
const ANY_RUN = -1;
/** `_` in a compiled pattern: exactly one code point. */
const ANY_ONE = -2;

/** The code points of `s` (a lone surrogate is one), as the `u` regex flag counts them. */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length;) {
    const c = s.codePointAt(i)!;
    out.push(c);
    i += c > 0xffff ? 2 : 1;
  }
  return out;
}

const compiled = new Map<string, number[]>();

/** A pattern as code points, with ANY_RUN / ANY_ONE for the wildcards and runs of `%` collapsed. */
function compilePattern(pattern: string): number[] {
  let p = compiled.get(pattern);
  if (!p) {
    p = [];
    for (const c of codePoints(pattern)) {
      const w = c === 0x25 ? ANY_RUN : c === 0x5f ? ANY_ONE : c;
      if (w === ANY_RUN && p.at(-1) === ANY_RUN) continue;
      p.push(w);
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, p);
  }
  return p;
}

// One case-insensitive test per pattern character: /^\u{…}$/iu asks the regex engine for
// Unicode simple case folding, one code point to one (ECMAScript Canonicalize), which is
// what ILIKE has always meant in mlr. No quantifier, so nothing backtracks.
const foldTests = new Map<number, RegExp>();

function sameIgnoringCase(p: number, v: number): boolean {
  if (p === v) return true;
  if (p < 0x80 && v < 0x80) {
    // ASCII: only the letter pairs fold together (K and S also fold with U+212A and U+017F,
    // which are not ASCII and take the path below)
    return (p | 0x20) === (v | 0x20) && (p | 0x20) >= 0x61 && (p | 0x20) <= 0x7a;
  }
  let re = foldTests.get(p);
  if (!re) {
    re = new RegExp(`^\\u{${p.toString(16)}}$`, 'iu');
    if (foldTests.size > 1000) foldTests.clear();
    foldTests.set(p, re);
  }
  return re.test(String.fromCodePoint(v));
}

/**
 * SQL LIKE (`ci` false) or ILIKE (`ci` true): `%` any run of characters, `_` one character
 * (newlines included), everything else itself, and the whole value must match. Characters
 * are code points; ILIKE folds case one character to one (Unicode simple case folding).
 *
 * A two-pointer wildcard match: on a mismatch it only moves back to just after the last
 * `%` seen, so the work is at most (value length × pattern length), never exponential
 * (issue 11 #32: a backtracking regex took 31 s for `'%a%a%a%a%a%a%a%b'` on 60 characters).
 */
export function matchLike(value: string, pattern: string, ci: boolean): boolean {
  const p = compilePattern(pattern);
  const v = codePoints(value);
  let i = 0; // in v
  let j = 0; // in p
  let star = -1; // index in p of the last % seen
  let mark = 0; // where in v that % started its current run
  while (i < v.length) {
    const c = p[j];
    if (c === ANY_RUN) {
      star = j++;
      mark = i;
    } else if (c !== undefined && (c === ANY_ONE || c === v[i] || (ci && sameIgnoringCase(c, v[i]!)))) {
      i++;
      j++;
    } else if (star >= 0) {
      // let the last % take one more character and retry what follows it
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (p[j] === ANY_RUN) j++;
  return j === p.length;
}

/** Whether a LIKE pattern has regex syntax besides `%` and `_` (MLflow's regex would read it). */
export function hasRegexSyntax(pattern: string): boolean {
  return /[\\^$.|?*+()[\]{}]/.test(pattern);
}

/**
 * What MLflow's file store answers for `value LIKE pattern` (ILIKE when `ci`), for a pattern
 * with no regex syntax but `%` and `_` (see hasRegexSyntax), without building its regex:
 * MLflow turns `%` into `.*` and `_` into `.`, matches at the start (`re.match`) and, unless
 * the pattern ends with `%`, anchors with `$`, which also matches before a final newline.
 * Python's `.` matches anything but a newline, so every newline of the value must meet a
 * newline of the pattern: line by line, the rest is plain LIKE (matchLike). Linear, where
 * the regex takes exponential time on `'%a%a%a%a%b'`. Case folding is matchLike's.
 */
export function matchMlflowLike(value: string, pattern: string, ci: boolean): boolean {
  const open = pattern.endsWith('%'); // `.*` last and no `$`: a prefix of the value is enough
  const p = (open ? pattern.replace(/%+$/, '') : pattern).split('\n');
  const whole = (v: string[]): boolean => v.length === p.length && v.every((line, i) => matchLike(line, p[i]!, ci));
  const v = value.split('\n');
  if (open) {
    if (v.length < p.length) return false;
    const k = p.length - 1;
    for (let i = 0; i < k; i++) if (!matchLike(v[i]!, p[i]!, ci)) return false;
    return matchLike(v[k]!, p[k]! + '%', ci);
  }
  // `$` matches at the end, or before a newline that ends the value
  return whole(v) || (value.endsWith('\n') && whole(v.slice(0, -1)));
}

/** The regular expression MLflow builds from a LIKE pattern (`_convert_like_pattern_to_regex`). */
function mlflowLikeRegexSource(pattern: string): string {
  let p = pattern;
  if (!p.startsWith('%')) p = '^' + p;
  if (!p.endsWith('%')) p = p + '$';
  return p.replaceAll('_', '.').replaceAll('%', '.*');
}

// Escapes Python's `re` knows (outside a character class); any other `\` + ASCII letter is
// "bad escape" in Python 3.7+, while JavaScript's legacy mode takes it as the letter.
const PY_ESCAPES = new Set([...'abBdDfnrsStvwWZAxuUN']);
const PY_CLASS_ESCAPES = new Set([...'abdDfnrsStvwWxuUN']);

/**
 * Why MLflow's file store would fail on this LIKE pattern (its regex does not compile in
 * Python), or undefined if it compiles. Checked with JavaScript's own regex parser plus the
 * places where Python is stricter (unknown escapes, `\x`/`\u` digits, group references,
 * `(?<name>` groups). A pattern only Python accepts (`(?P<n>…)`, inline flags) is also
 * reported: mlr prefers refusing to guessing.
 */
export function mlflowLikeProblem(pattern: string): string | undefined {
  const src = mlflowLikeRegexSource(pattern);
  try {
    new RegExp(src);
  } catch (e) {
    const msg = (e as Error).message;
    const cut = msg.lastIndexOf(': ');
    return cut >= 0 ? msg.slice(cut + 2).toLowerCase() : msg;
  }
  let inClass = false;
  let groups = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (/[A-Za-z]/.test(n)) {
        if (!(inClass ? PY_CLASS_ESCAPES : PY_ESCAPES).has(n)) return `bad escape \\${n}`;
        if (n === 'x' && !/^[0-9a-fA-F]{2}/.test(src.slice(i + 2))) return 'incomplete escape \\x';
        if (n === 'u' && !/^[0-9a-fA-F]{4}/.test(src.slice(i + 2))) return 'incomplete escape \\u';
        if (n === 'U' && !/^[0-9a-fA-F]{8}/.test(src.slice(i + 2))) return 'incomplete escape \\U';
        if (n === 'N') return 'bad escape \\N';
      } else if (!inClass && /[1-9]/.test(n)) {
        const ref = Number(/^[0-9]+/.exec(src.slice(i + 1))![0]);
        if (ref > groups) return `invalid group reference ${ref}`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // a `]` right after `[` or `[^` is a literal in both dialects
      if (src[i + 1] === '^') i++;
      if (src[i + 1] === ']') i++;
      continue;
    }
    if (c === '(') {
      if (src[i + 1] !== '?') groups++;
      else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') return `unknown extension ?<${src[i + 3] ?? ''}`;
    }
  }
  return undefined;
}
