import { describe, expect, it } from 'vitest';
import { formatPyFloat } from '../../src/store/pyfloat.js';
import { haveOracle } from './helpers.js';
import { execFileSync } from 'node:child_process';
import { prng } from './helpers.js';

describe('formatPyFloat = Python repr(float(v))', () => {
  const cases: [number, string][] = [
    [0.5, '0.5'],
    [5, '5.0'],
    [1 / 3, '0.3333333333333333'],
    [1e-10, '1e-10'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.00012345, '0.00012345'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1e20, '1e+20'],
    [1e15, '1000000000000000.0'],
    [123456789012345.6, '123456789012345.6'],
    [9999999999999998, '9999999999999998.0'],
    [1e100, '1e+100'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [2.5e-7, '2.5e-07'],
    [0, '0.0'],
    [-0, '-0.0'],
    [-1.5, '-1.5'],
    [-1e-5, '-1e-05'],
    [0.1, '0.1'],
    [Math.fround(0.1), '0.10000000149011612'],
    [100, '100.0'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  it.each(cases)('%s → %s', (v, expected) => {
    expect(formatPyFloat(v)).toBe(expected);
  });

  it.skipIf(!haveOracle())('agrees with python3 on generated values', () => {
    const rnd = prng(11);
    const vals: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const mant = rnd() * 10 - 5;
      const exp = Math.floor(rnd() * 60) - 30;
      vals.push(i % 3 === 0 ? Math.round(mant * 1000) : mant * 10 ** exp);
    }
    const py = execFileSync('python3', ['-c', 'import json,sys; print(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))'], {
      input: JSON.stringify(vals.map(String)),
    });
    const expected = JSON.parse(py.toString()) as string[];
    vals.forEach((v, i) => expect(formatPyFloat(v), String(v)).toBe(expected[i]));
  });
});
