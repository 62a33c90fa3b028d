import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  hasValidKeyChars,
  posixNormpath,
  pyLen,
  validateBatchLimits,
  validateBatchTag,
  validateExperimentId,
  validateExperimentName,
  validateKeyName,
  validateLength,
  validateMetric,
  validateParam,
  validateRunId,
} from '../../src/store/validate.js';
import { parsePyFloat } from '../../src/store/pyfloat.js';

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    return e as UsageError;
  }
  throw new Error('expected a refusal');
}

describe('key names (spec §10.1)', () => {
  const good = [
    'a',
    'Ab-5_',
    'a/b/c',
    'a.b.c',
    '.a',
    'b.',
    'a..a/._./o_O/.e.',
    'a b/c d',
    'a..',
    '.hidden',
    'a b ',
    '-',
    '_',
    ' ',
    'é',
    '中文',
    '²',
    '٣',
    'Ⅷ',
    'abc\n',
    'layers/0/units',
  ];
  it.each(good)('accepts %j', (k) => {
    expect(() => validateKeyName('metric', k)).not.toThrow();
  });

  const badChars = [':', '\\', 'a:b', 'a=b', 'a,b', 'tab\there', 'zero\u200bwidth', 'e\u0301', 'abc\n\n', '\nabc', 'a\nb', '$x'];
  it.each(badChars)('refuses characters in %j', (k) => {
    const e = refusal(() => validateKeyName('parameter', k));
    expect(e.message).toBe(
      `Invalid parameter name: '${k}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    );
  });

  const badPaths: [string, string][] = [
    ['', '.'],
    ['.', '.'],
    ['/', '/'],
    ['..', '..'],
    ['//', '//'],
    ['a//b', 'a/b'],
    ['a/./b', 'a/b'],
    ['a/../b', 'b'],
    ['../x', '../x'],
    ['..a', '..a'],
    ['/a', '/a'],
    ['a/', 'a'],
    ['./', '.'],
    ['/./', '/'],
    ['x/..', '.'],
  ];
  it.each(badPaths)('refuses path-like %j (would resolve to %j)', (k, norm) => {
    const e = refusal(() => validateKeyName('tag', k));
    expect(e.message).toBe(
      `Invalid tag name: '${k}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  });

  it('normalises paths exactly as posixpath.normpath', () => {
    const cases: [string, string][] = [
      ['', '.'],
      ['a/b', 'a/b'],
      ['//a', '//a'],
      ['///a', '/a'],
      ['a/../../b', '../b'],
      ['../../a', '../../a'],
      ['/../a', '/a'],
      ['a/./', 'a'],
    ];
    for (const [p, n] of cases) expect(posixNormpath(p), p).toBe(n);
  });

  it('counts characters as code points', () => {
    expect(pyLen('\u{1F600}x')).toBe(2);
    expect(hasValidKeyChars('\u{1D400}')).toBe(true); // mathematical bold A, a letter outside the BMP
  });
});

describe('length limits (spec §10.2)', () => {
  it('refuses a 251-character param key, naming it', () => {
    const k = 'k'.repeat(251);
    const e = refusal(() => validateParam(k, 'v'));
    expect(e.message).toBe(`Param key '${'k'.repeat(250)}' had length 251, which exceeded length limit of 250`);
  });
  it('accepts a 250-character key', () => {
    expect(validateParam('k'.repeat(250), 'v')).toBe('v');
  });
  it("truncates a param value over 6000 characters with MLflow's warning, or refuses when truncation is off", () => {
    const warnings: string[] = [];
    const v = 'x'.repeat(6001);
    expect(validateParam('p', v, { warn: (m) => warnings.push(m) })).toBe('x'.repeat(6000));
    expect(warnings).toEqual([`Param value '${'x'.repeat(100)}...' (6001 characters) is truncated to 6000 characters to meet the length limit.`]);
    const e = refusal(() => validateParam('p', v, { truncate: false }));
    expect(e.message).toMatch(/^Param value 'x{250}' had length 6001, which exceeded length limit of 6000$/);
  });
  it('truncates batch tag values at 5000 code points', () => {
    expect(pyLen(validateBatchTag('t', '\u{1F600}'.repeat(5001)))).toBe(5000);
  });
  it('refuses an over-long metric key', () => {
    const e = refusal(() => validateMetric({ key: 'm'.repeat(251), value: '1', timestamp: 0, step: 0 }));
    expect(e.message).toMatch(/^Metric name 'm{250}' had length 251/);
  });
  it('generic limit check', () => {
    expect(validateLength('X', 3, 'abc')).toBe('abc');
  });
});

describe('metric values, timestamps, steps (spec §10.3)', () => {
  it.each([
    ['0.5', 0.5],
    ['5', 5],
    ['nan', NaN],
    ['NaN', NaN],
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['1E3', 1000],
    ['+1.5', 1.5],
    ['1_000', 1000],
    [' 2 ', 2],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-10', 1e-10],
  ])('value %j → %s', (text, v) => {
    const m = validateMetric({ key: 'loss', value: text, timestamp: '1700000000000', step: '0' });
    expect(m.value).toEqual(v);
  });
  it.each(['', 'abc', '1,5', '0x10', '1__0', '_1', 'nanx', '--1', 'true'])('refuses value %j', (text) => {
    const e = refusal(() => validateMetric({ key: 'loss', value: text, timestamp: 5, step: 0 }));
    expect(e.message).toBe(`Got invalid value ${text} for metric 'loss' (timestamp=5). Please specify value as a valid double (64-bit floating point)`);
  });
  it('keeps integer timestamps and steps exactly, in Python str(int) form', () => {
    const m = validateMetric({ key: 'k', value: '1', timestamp: '+0017', step: '-9223372036854775808' });
    expect(m.timestamp).toBe('17');
    expect(m.step).toBe('-9223372036854775808');
    expect(validateMetric({ key: 'k', value: 1, timestamp: 1_000, step: 1_000 }).step).toBe('1000');
  });
  it.each(['-1', '1.5', 'abc', '', '9223372036854775808'])('refuses timestamp %j', (ts) => {
    const e = refusal(() => validateMetric({ key: 'loss', value: '0.5', timestamp: ts, step: 0 }));
    expect(e.message).toBe(`Got invalid timestamp ${ts} for metric 'loss' (value=0.5). Timestamp must be a nonnegative long (64-bit integer) `);
  });
  it.each(['1.5', 'x', '9223372036854775808', ''])('refuses step %j', (step) => {
    const e = refusal(() => validateMetric({ key: 'loss', value: '0.5', timestamp: 0, step }));
    expect(e.message).toBe(`Got invalid step ${step} for metric 'loss' (value=0.5). Step must be a valid long (64-bit integer).`);
  });
  it('refuses a non-integral numeric timestamp from JSON', () => {
    refusal(() => validateMetric({ key: 'loss', value: 1, timestamp: 1.5, step: 0 }));
  });
  it('parses Python float spellings', () => {
    expect(parsePyFloat('-0')).toBe(-0);
    expect(parsePyFloat('1e')).toBeUndefined();
  });
});

describe('experiment names and ids', () => {
  it('refuses an empty name', () => {
    expect(refusal(() => validateExperimentName('')).message).toBe("Invalid experiment name: ''");
  });
  it('refuses names over 500 characters', () => {
    expect(refusal(() => validateExperimentName('n'.repeat(501))).message).toMatch(/exceeds the maximum length of 500 characters$/);
    expect(() => validateExperimentName('n'.repeat(500))).not.toThrow();
  });
  it('refuses a single quote, which MLflow cannot look up', () => {
    expect(refusal(() => validateExperimentName("it's")).message).toBe(
      `Invalid experiment name: "it's". MLflow's file store cannot look up names containing a single quote (')`,
    );
  });
  it('accepts slashes, spaces and unicode', () => {
    for (const n of ['a/b', 'nlp models', 'é中', ' x ']) expect(() => validateExperimentName(n)).not.toThrow();
  });
  it("validates run and experiment ids with MLflow's patterns", () => {
    expect(() => validateRunId('0fc647dd75a9451681566788d5a8a910')).not.toThrow();
    expect(refusal(() => validateRunId('../x')).message).toBe("Invalid run ID: '../x'");
    expect(() => validateRunId('a/b')).toThrow(UsageError);
    expect(() => validateRunId('_x')).toThrow(UsageError);
    expect(() => validateRunId('x'.repeat(257))).toThrow(UsageError);
    expect(() => validateExperimentId('786088298537458258')).not.toThrow();
    expect(refusal(() => validateExperimentId('.trash')).message).toBe("Invalid experiment ID: '.trash'");
    expect(() => validateExperimentId('x'.repeat(65))).toThrow(UsageError);
  });
});

describe('batch limits', () => {
  it('accepts the maximum sizes', () => {
    expect(() =>
      validateBatchLimits(
        900,
        Array.from({ length: 100 }, (_, i) => `p${i}`),
        0,
      ),
    ).not.toThrow();
  });
  it.each([
    [1001, 0, 0, 'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.'],
    [0, 101, 0, 'A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.'],
    [0, 0, 101, 'A batch logging request can contain at most 100 tags. Got 101 tags. Please split up tags across multiple requests and try again.'],
    [
      901,
      100,
      0,
      'A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags. Please split up metrics, params, and tags across multiple requests and try again.',
    ],
  ])('%i metrics, %i params, %i tags', (m, p, t, msg) => {
    expect(
      refusal(() =>
        validateBatchLimits(
          m,
          Array.from({ length: p }, (_, i) => `p${i}`),
          t,
        ),
      ).message,
    ).toBe(msg);
  });
  it('refuses duplicate param keys, listing them as Python would', () => {
    expect(refusal(() => validateBatchLimits(0, ['d', 'e', 'd', "it's"], 0)).message).toBe(
      "Duplicate parameter keys have been submitted: ['d']. Please ensure the request contains only one param value per param key.",
    );
  });
});
