/**
 * The metric-line fast path (parseCanonicalInto, added for issue 7's listing speed) must
 * give exactly what the exact parser gives, on every line, or defer to it. Differential
 * tests over canonical lines and a soup of near-miss spellings.
 */
import { describe, expect, it } from 'vitest';
import { createRng, pyRepr } from '../../bench/generate.mjs';
import {
  isLater,
  parseCanonicalInto,
  parseMetricLine,
  parseMetricLineStrict,
  summarizeMetricText,
  type MetricLine,
  type MetricFileSummary,
} from '../../src/store/file/metrics.js';

const rng = createRng(2024);

function randomDouble(): number {
  const r = rng.next();
  if (r < 0.02) return NaN;
  if (r < 0.03) return rng.next() < 0.5 ? Infinity : -Infinity;
  if (r < 0.05) return rng.int(2000) - 1000; // integral: `5.0`
  return (rng.next() - 0.5) * 10 ** (rng.int(50) - 25);
}

function canonicalLine(): string {
  const ts = rng.next() < 0.9 ? 1_700_000_000_000 + rng.int(1e9) : rng.int(1e6);
  const step = rng.next() < 0.9 ? rng.int(100000) : -rng.int(100);
  return `${ts} ${pyRepr(randomDouble())} ${step}`;
}

const PIECES = {
  num: ['0', '7', '-0', '007', '+5', '1_000', '12345678901234567', '999999999999999', '1e3', '', '-', '_1', '1_', 'x', '٣'],
  value: [
    '0.5',
    '-0.0',
    '5.',
    '.5',
    '1E5',
    '1e5',
    '1e-05',
    '1e+16',
    '1e',
    '1e+',
    '+1.5',
    '--1',
    'nan',
    '-nan',
    'NaN',
    'inf',
    '-inf',
    'Infinity',
    'INF',
    '1_0.5',
    '1.5.2',
    '0x10',
    '1e400',
    'abc',
    '',
  ],
  sep: [' ', ' ', ' ', '  ', '\t'],
  around: ['', '', '', ' ', '\r', '\t', '\v'],
};

/** A canonical line with some of its parts swapped for near-miss spellings. */
function soupLine(): string {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const maybe = (p: number): boolean => rng.next() < p;
  const fields = canonicalLine().split(' ');
  if (maybe(0.3)) fields[0] = pick(PIECES.num);
  if (maybe(0.3)) fields[1] = pick(PIECES.value);
  if (maybe(0.3)) fields[2] = pick(PIECES.num);
  if (maybe(0.1)) fields.pop();
  else if (maybe(0.1)) fields.push('ds', 'digest');
  let line = fields[0]!;
  for (const f of fields.slice(1)) line += (maybe(0.1) ? pick(PIECES.sep) : ' ') + f;
  return (maybe(0.1) ? pick(PIECES.around) : '') + line + (maybe(0.1) ? pick(PIECES.around) : '');
}

/**
 * The same flat record, field by field with Object.is (so -0 is not 0 and NaN is NaN): when
 * true, toEqual passes too; when false, the loop asks toEqual for its message. One expect per
 * line cost most of this file's time.
 */
function sameFields(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

describe('metric line fast path', () => {
  it('accepts every canonical MLflow line, with the exact parser’s result', () => {
    for (let k = 0; k < 50_000; k++) {
      const line = canonicalLine();
      const out: MetricLine = { timestamp: 0, value: 0, step: 0 };
      const strict = parseMetricLineStrict(line);
      // vitest's expect only when the cheap check fails: it gives the message
      if (parseCanonicalInto(line, 0, line.length, out) && sameFields(out, strict)) continue;
      expect(parseCanonicalInto(line, 0, line.length, out), line).toBe(true);
      expect(out, line).toEqual(strict);
    }
  });

  it('parses in place inside a larger text', () => {
    const text = 'junk\n1700000000000 0.25 3\nmore';
    const out: MetricLine = { timestamp: 0, value: 0, step: 0 };
    expect(parseCanonicalInto(text, 5, 25, out)).toBe(true);
    expect(out).toEqual({ timestamp: 1700000000000, value: 0.25, step: 3 });
  });

  it('agrees with the exact parser on 100,000 near-miss lines (or defers to it)', () => {
    let fast = 0;
    for (let k = 0; k < 100_000; k++) {
      const line = soupLine();
      const out: MetricLine = { timestamp: 0, value: 0, step: 0 };
      const strict = parseMetricLineStrict(line);
      if (parseCanonicalInto(line, 0, line.length, out)) {
        fast++;
        if (!sameFields(out, strict)) expect(out, JSON.stringify(line)).toEqual(strict);
      }
      const general = parseMetricLine(line);
      if (!sameFields(general, strict)) expect(general, JSON.stringify(line)).toEqual(strict);
    }
    // the soup must exercise both paths, or this test proves nothing
    expect(fast).toBeGreaterThan(20_000);
    expect(fast).toBeLessThan(80_000);
  });

  it.each([
    ['1700000000000 -0.0 -0', { timestamp: 1700000000000, value: -0, step: -0 }],
    ['1 nan 2', { timestamp: 1, value: NaN, step: 2 }],
    ['1 -inf 2', { timestamp: 1, value: -Infinity, step: 2 }],
    ['1 1e400 2', { timestamp: 1, value: Infinity, step: 2 }],
    ['007 0.5 010', { timestamp: 7, value: 0.5, step: 10 }],
  ])('%j', (line, want) => {
    const out: MetricLine = { timestamp: 0, value: 0, step: 0 };
    expect(parseCanonicalInto(line, 0, line.length, out)).toBe(true);
    expect(out).toEqual(want);
    expect(parseMetricLineStrict(line)).toEqual(want);
  });

  it.each(['-nan', 'NaN', '5.', '.5', '1E5', '+1.5', '1_0.5'])('defers value %j to the exact parser', (v) => {
    const line = `1 ${v} 2`;
    expect(parseCanonicalInto(line, 0, line.length, { timestamp: 0, value: 0, step: 0 })).toBe(false);
  });
});

/** summarizeMetricText as it was before the fast path: the strict parser on each line. */
function summarizeReference(text: string): MetricFileSummary {
  const out: MetricFileSummary = { count: 0, bad: [] };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, k) => {
    const p = parseMetricLineStrict(line);
    if (typeof p === 'string') out.bad.push({ line: k + 1, text: line, reason: p });
    else {
      out.count++;
      if (!out.latest || isLater(out.latest, p)) out.latest = p;
    }
  });
  return out;
}

/** Lines crowded onto a few steps and timestamps, so (step, timestamp) ties decide by value. */
function tieLine(): string {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const value = pick(['0.5', '0.25', '1e-05', 'nan', 'NaN', '-nan', 'inf', '-inf', '+0.5', '1E5', '5.', '-0.0', '0.0', '2.0', 'x']);
  const sep = rng.next() < 0.9 ? ' ' : '  ';
  const around = rng.next() < 0.9 ? '' : ' ';
  return `${around}${pick(['1', '2', '02'])}${sep}${value} ${pick(['0', '1', '-0'])}${around}`;
}

describe('summarizeMetricText with the fast path', () => {
  it('breaks (step, timestamp) ties by value exactly as the exact parser does, on 5,000 crowded files', () => {
    for (let f = 0; f < 5000; f++) {
      const lines = Array.from({ length: 1 + rng.int(8) }, tieLine);
      const text = lines.join('\n') + '\n';
      expect(summarizeMetricText(text), JSON.stringify(text)).toEqual(summarizeReference(text));
    }
  });

  it('gives the same latest value, count and bad lines as the exact parser on 2,000 random files', () => {
    for (let f = 0; f < 2000; f++) {
      const n = rng.int(30);
      const lines = Array.from({ length: n }, () => (rng.next() < 0.85 ? canonicalLine() : soupLine()));
      const text = lines.join('\n') + (rng.next() < 0.8 ? '\n' : '');
      expect(summarizeMetricText(text), JSON.stringify(text)).toEqual(summarizeReference(text));
    }
  });
});
