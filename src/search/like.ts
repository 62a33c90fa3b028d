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

const cache = new Map<string, RegExp>();

/** The RegExp that matches a value against a SQL LIKE pattern (ILIKE when `ci`). */
export function likeRegExp(pattern: string, ci: boolean): RegExp {
  const cacheKey = (ci ? 'i' : 's') + pattern;
  let re = cache.get(cacheKey);
  if (!re) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '%') src += '[\\s\\S]*';
      else if (ch === '_') src += '[\\s\\S]';
      else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    }
    src += '$';
    re = new RegExp(src, ci ? 'iu' : 'u');
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, re);
  }
  return re;
}

/** SQL LIKE (`ci` false) or ILIKE (`ci` true). */
export function matchLike(value: string, pattern: string, ci: boolean): boolean {
  return likeRegExp(pattern, ci).test(value);
}

/** The regular expression MLflow builds from a LIKE pattern (`_convert_like_pattern_to_regex`). */
export function mlflowLikeRegexSource(pattern: string): string {
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
