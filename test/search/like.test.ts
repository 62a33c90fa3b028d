/**
 * LIKE / ILIKE (issue 11 #32, #4): a linear-time matcher that gives exactly the answers of
 * the regex it replaced, the documented treatment of newlines and case, and model filters'
 * regex-style LIKE without a backtracking regex.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/search/evaluate.js';
import { hasRegexSyntax, matchLike, matchMlflowLike } from '../../src/search/like.js';
import { likeToRegex, matchesModel, parseModelFilter } from '../../src/search/model-filter.js';
import { parseFilter } from '../../src/search/parser.js';
import type { SearchableRun } from '../../src/store/types.js';
import { seededRandom } from '../helpers.js';

/** The implementation before issue 11 #32: a backtracking regex. The reference for the fuzz. */
function regexLike(value: string, pattern: string, ci: boolean): boolean {
  let src = '^';
  for (const ch of pattern) {
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(src + '$', ci ? 'iu' : 'u').test(value);
}

describe('LIKE in linear time (issue 11 #32)', () => {
  it("'%a%a%a%a%a%a%a%b' on 60 characters answers at once (it took 31 s)", () => {
    const value = 'a'.repeat(60);
    const t0 = performance.now();
    expect(matchLike(value, '%a'.repeat(7) + '%b', false)).toBe(false);
    expect(matchLike(value, '%a'.repeat(8) + '%b', true)).toBe(false);
    expect(matchLike(value + 'b', '%a'.repeat(8) + '%b', false)).toBe(true);
    expect(matchLike('a'.repeat(5000), '%a'.repeat(50) + '%b', true)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('gives exactly the answers of the old regex on 20,000 seeded random cases', () => {
    const rand = seededRandom(11_32);
    // wildcards, letters in both cases, non-ASCII letters that fold, a newline, an astral
    // character, a lone surrogate and regex syntax (literal in LIKE)
    const alphabet = [
      'a',
      'A',
      'b',
      'B',
      '%',
      '%',
      '_',
      '_',
      'é',
      'É',
      'ß',
      'ẞ',
      'k',
      'K',
      '\u212a',
      's',
      'ſ',
      'ı',
      'I',
      'σ',
      'ς',
      'Σ',
      '\n',
      '😀',
      '\ud800',
      '.',
      '*',
      '(',
      '[',
      '\\',
      '$',
    ];
    const pick = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)]!;
      return s;
    };
    const wrong: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const pattern = pick(Math.floor(rand() * 7));
      // half the values are made from the pattern, so that matches are common
      const value = rand() < 0.5 ? pick(Math.floor(rand() * 9)) : pattern.replace(/[%_]/g, () => pick(Math.floor(rand() * 3)));
      for (const ci of [false, true]) {
        if (matchLike(value, pattern, ci) !== regexLike(value, pattern, ci)) wrong.push(JSON.stringify([value, pattern, ci]));
      }
    }
    expect(wrong).toEqual([]);
  });
});

const run = (tags: Record<string, string>): SearchableRun => ({
  info: {
    run_id: 'a'.repeat(32),
    run_uuid: 'a'.repeat(32),
    run_name: 'r',
    experiment_id: '0',
    user_id: 'u',
    status: 'FINISHED',
    start_time: 0,
    end_time: null,
    artifact_uri: 'file:///x',
    lifecycle_stage: 'active',
  },
  metrics: new Map(),
  params: new Map(),
  tags: new Map(Object.entries(tags)),
  datasets: [],
});

/** Does the filter match a run whose tag `t` is `value`? */
const holds = (value: string, filter: string): boolean => evaluate(parseFilter(filter), run({ t: value }));

// Each statement of docs/search.md "### LIKE" about newlines and case, pinned.
describe('LIKE and ILIKE: newlines and case (docs/search.md, issue 11 #4)', () => {
  it('% and _ match a newline like any other character', () => {
    expect(holds('first\nsecond', "tags.t LIKE 'first%second'")).toBe(true);
    expect(holds('first\nsecond', "tags.t LIKE 'first_second'")).toBe(true);
    expect(holds('a\nb', "tags.t LIKE '%b'")).toBe(true);
  });

  it('the whole value must match: a trailing newline is a character to match', () => {
    expect(holds('abc\n', "tags.t LIKE 'abc'")).toBe(false);
    expect(holds('abc\n', "tags.t LIKE 'abc_'")).toBe(true);
  });

  it('ILIKE folds letters one to one, beyond ASCII', () => {
    expect(holds('Élan', "tags.t ILIKE 'élan'")).toBe(true);
    expect(holds('ÉLAN', "tags.t ILIKE '%lan'")).toBe(true);
    expect(holds('Élan', "tags.t LIKE 'élan'")).toBe(false);
    expect(holds('STRAẞE', "tags.t ILIKE 'straße'")).toBe(true);
    expect(holds('σοφος', "tags.t ILIKE 'ΣΟΦΟΣ'")).toBe(true);
  });

  it('ILIKE never folds one letter into two: ß is not ss', () => {
    expect(holds('strasse', "tags.t ILIKE 'straße'")).toBe(false);
    expect(holds('STRASSE', "tags.t ILIKE 'straße'")).toBe(false);
    expect(holds('straße', "tags.t ILIKE 'stra__e'")).toBe(false);
  });

  it("the Turkish dotless ı and dotted İ stay apart from i and I (Python's re folds them)", () => {
    expect(holds('I', "tags.t ILIKE 'ı'")).toBe(false);
    expect(holds('i', "tags.t ILIKE 'İ'")).toBe(false);
  });
});

describe("model filters: MLflow's regex LIKE without a regex (issue 11 #32)", () => {
  it("'%a%a%a%a%a%a%a%b' on a 60-character model name answers at once", () => {
    const t0 = performance.now();
    expect(matchesModel(parseModelFilter(`name LIKE '${'%a'.repeat(8)}%b'`), 'a'.repeat(60), new Map())).toBe(false);
    expect(matchesModel(parseModelFilter(`name ILIKE '${'%a'.repeat(8)}%b'`), 'A'.repeat(60) + 'B', new Map())).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('gives the regex answers on 20,000 seeded random cases (values without \\r, U+2028, U+2029)', () => {
    const rand = seededRandom(3211);
    const alphabet = ['a', 'A', 'b', '%', '%', '_', '_', 'é', 'É', 'ß', 'ẞ', 'k', '\u212a', '\n', '\n', '😀', ' '];
    const pick = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]!).join('');
    const wrong: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const pattern = pick(Math.floor(rand() * 7));
      const value = rand() < 0.5 ? pick(Math.floor(rand() * 9)) : pattern.replace(/[%_]/g, () => pick(Math.floor(rand() * 3)));
      for (const ci of [false, true]) {
        if (matchMlflowLike(value, pattern, ci) !== likeToRegex(pattern, ci).test(value)) wrong.push(JSON.stringify([value, pattern, ci]));
      }
    }
    expect(wrong).toEqual([]);
  });

  it("follows Python's regex where JavaScript's differs: `.` matches \\r", () => {
    expect(matchMlflowLike('a\rb', 'a_b', false)).toBe(true);
    expect(matchMlflowLike('a\r\nb', 'a%', false)).toBe(true);
    expect(matchMlflowLike('abc\n', 'abc', false)).toBe(true); // `$` before a final newline
    expect(matchMlflowLike('abc\n\n', 'abc', false)).toBe(false);
    expect(matchMlflowLike('a\nb', 'a%b', false)).toBe(false); // `.*` stops at a newline
    expect(matchMlflowLike('a\nb', 'a\n%', false)).toBe(true);
    expect(matchMlflowLike('x\nb', '%b', false)).toBe(false); // re.match: from the start
  });

  it('patterns with regex syntax still go to the regex, as MLflow reads them', () => {
    expect(hasRegexSyntax('v[i]sion')).toBe(true);
    expect(hasRegexSyntax('res%net_v2-final')).toBe(false);
    expect(parseModelFilter("name LIKE 'v[i]s%'")[0]!.regex).toBeInstanceOf(RegExp);
    expect(parseModelFilter("name LIKE 'res%'")[0]!.regex).toBeUndefined();
  });
});
