import { describe, expect, it } from 'vitest';
import { scanQuoted, significantTokens, tokenize } from '../../src/search/lexer.js';

/** `kind:text` for each significant token. */
function lex(s: string): string[] {
  return significantTokens(s).map((t) => `${t.kind}:${t.text}`);
}

describe('lexer', () => {
  const cases: Array<[string, string[]]> = [
    ['metrics.val_loss<0.4', ['word:metrics', 'dot:.', 'word:val_loss', 'op:<', 'number:0.4']],
    ['metrics.`train.loss` >= -1e-5', ['word:metrics', 'dot:.', 'backtick:`train.loss`', 'op:>=', 'number:-1e-5']],
    ['tags."my.tag" = "x"', ['word:tags', 'dot:.', 'dstring:"my.tag"', 'op:=', 'dstring:"x"']],
    ["params.lr = 'it''s'", ['word:params', 'dot:.', 'word:lr', 'op:=', "string:'it''s'"]],
    ["'a' = 'b'", ["string:'a'", 'op:=', "string:'b'"]],
    ["'a\\' = 'b'", ["string:'a\\' = '", 'word:b', "other:'"]],
    ['x < .5', ['word:x', 'op:<', 'number:.5']],
    ['x < 1.', ['word:x', 'op:<', 'number:1.']],
    ['x < 1e400', ['word:x', 'op:<', 'number:1e400']],
    ['x < 1e+5', ['word:x', 'op:<', 'word:1e', 'arith:+', 'number:5']],
    ['x < 1_000', ['word:x', 'op:<', 'word:1_000']],
    ['x < 0x1F', ['word:x', 'op:<', 'number:0x1F']],
    ['x < - 1', ['word:x', 'op:<', 'arith:-', 'number:1']],
    ['metrics.1 < 2', ['word:metrics', 'number:.1', 'op:<', 'number:2']],
    ['params.my-param', ['word:params', 'dot:.', 'word:my', 'arith:-', 'word:param']],
    ['a == b <> c != d', ['word:a', 'op:==', 'word:b', 'op:<>', 'word:c', 'op:!=', 'word:d']],
    ['x not  in (1)', ['word:x', 'op:not  in', 'lparen:(', 'number:1', 'rparen:)']],
    ['x NOT LIKE y', ['word:x', 'op:NOT LIKE', 'word:y']],
    ['x ilike y', ['word:x', 'op:ilike', 'word:y']],
    ['params.like = 1', ['word:params', 'dot:.', 'word:like', 'op:=', 'number:1']],
    ['params.in', ['word:params', 'dot:.', 'op:in']],
    ['params.from', ['word:params', 'dot:.', 'word:from']],
    ['index inner', ['word:index', 'word:inner']],
    ['a;b', ['word:a', 'semicolon:;', 'word:b']],
    ['a -- c\nb', ['word:a', 'comment:-- c\n', 'word:b']],
    ['`unterminated', ['other:`', 'word:unterminated']],
    ['x = ?', ['word:x', 'op:=', 'other:?']],
    ['é.ü < 1', ['word:é', 'dot:.', 'word:ü', 'op:<', 'number:1']],
    ['x < 😀', ['word:x', 'op:<', 'other:😀']],
  ];
  it.each(cases)('%s', (src, expected) => {
    expect(lex(src)).toEqual(expected);
  });

  it('normalises comparators and marks integers, floats and always-keywords', () => {
    expect(significantTokens('x not\n in')[1]).toMatchObject({ kind: 'op', norm: 'NOT IN', start: 2, end: 9 });
    expect(significantTokens('1 1.5 1e3 0x1')).toMatchObject([{ isInt: true }, { isInt: false }, { isInt: false }, { isHex: true }]);
    expect(significantTokens('params.from')[2]).toMatchObject({ kind: 'word', forcedKeyword: true });
  });

  it('positions cover the whole input without gaps', () => {
    const src = 'metrics.a < 1 AND params.`b c` IN (\'x\', "y") -- z';
    const ts = tokenize(src);
    expect(ts[0]!.start).toBe(0);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!.start).toBe(ts[i - 1]!.end);
    expect(ts.at(-1)!.end).toBe(src.length);
    expect(ts.map((t) => t.text).join('')).toBe(src);
  });

  it('finds where a string ends exactly as sqlparse’s regex does, in linear time', () => {
    expect(scanQuoted("'abc'", 0, "'")).toBe(5);
    expect(scanQuoted("'a''b'", 0, "'")).toBe(6);
    expect(scanQuoted("'a'' = 'b'", 0, "'")).toBe(8); // `'a'' = '` then b'
    expect(scanQuoted("'a\\\\'", 0, "'")).toBe(5);
    expect(scanQuoted("'abc", 0, "'")).toBe(-1);
    const long = "'" + '\\'.repeat(5000) + 'x';
    const t0 = Date.now();
    expect(scanQuoted(long, 0, "'")).toBe(-1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
