/**
 * parseJsonExact reads the bodies of every REST request and answer: the usual text goes
 * through JSON.parse (fast), and what JSON.parse would round or let through — integer
 * literals of 16 digits or more, nesting beyond 512 — through the exact parser. Both ways
 * give the same values.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../src/json.js';

describe('parseJsonExact', () => {
  it('keeps every digit of a long integer, wherever it is', () => {
    expect(parseJsonExact('{"step":9007199254740993}')).toEqual({ step: 9007199254740993n });
    expect(parseJsonExact('[-9223372036854775808, 1]')).toEqual([-9223372036854775808n, 1]);
    expect(parseJsonExact('{"m":[{"timestamp":1795400000000,"step":9223372036854775807}]}')).toEqual({
      m: [{ timestamp: 1795400000000, step: 9223372036854775807n }],
    });
  });

  it('reads floats with long fractions, exponents and digits in strings as JSON.parse does', () => {
    for (const text of [
      '[0.12345678901234567890, 1234567890123456.5, 1e1234567890123456, 1.5E-1234567890123456]',
      '{"run_id":"12345678901234567890123456789012","value":-0}',
      '{"__proto__":1,"a":1,"a":2}',
      '"\\ud800"',
      ' { "a" : [ 1 , true , null , "x\\"9999999999999999" ] } ',
    ]) {
      const got = parseJsonExact(text);
      expect(got).toEqual(JSON.parse(text));
    }
    expect(Object.is((parseJsonExact('{"v":-0}') as { v: number }).v, -0)).toBe(true);
  });

  it('says where malformed or too deep text is wrong', () => {
    expect(() => parseJsonExact('{"a":}')).toThrow("unexpected character '}' at position 5");
    expect(() => parseJsonExact('['.repeat(600) + ']'.repeat(600))).toThrow('nesting deeper than 512 at position 513');
    expect(() => parseJsonExact('{"a":1} x')).toThrow('unexpected text after the JSON value');
  });
});
