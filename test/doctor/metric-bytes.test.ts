/**
 * The doctor checks metric lines on the bytes (fastLineEnd) instead of decoding each file
 * and running FAST_LINE on every line. Differential tests: fastLineEnd must accept exactly
 * the lines FAST_LINE accepts, and analyzeMetricBytes must return exactly what the
 * regex-based version it replaced returned, on canonical files and on a soup of near misses.
 */
import { describe, expect, it } from 'vitest';
import { createRng, pyRepr } from '../../bench/generate.mjs';
import { countFastLines, FAST_LINE, fastLineEnd } from '../../src/doctor/metric-lines.js';
import { analyzeMetricBytes, fastLinesScan, type MetricScan } from '../../src/doctor/scan.js';
import { parseMetricLine } from '../../src/store/file/metrics.js';

/** analyzeMetricBytes as it was before the byte scanner (decode, split, regex): the reference. */
function reference(buf: Buffer, wantTimes: boolean): Omit<MetricScan, 'key' | 'file' | 'rel'> {
  const out: Omit<MetricScan, 'key' | 'file' | 'rel'> = { good: 0, bad: [], empty: buf.length === 0, unterminated: false };
  if (buf.length === 0) return out;
  const text = buf.toString('latin1');
  const n = text.length;
  const terminated = text.charCodeAt(n - 1) === 10;
  let i = 0;
  let lineNo = 0;
  let fieldsSeen = 0;
  let minTs = Infinity;
  let maxTs = -Infinity;
  while (i < n) {
    let j = text.indexOf('\n', i);
    const last = j < 0;
    if (last) j = n;
    lineNo++;
    const line = text.slice(i, j);
    i = j + 1;
    let fields = 3;
    let ts: number | undefined;
    const m = FAST_LINE.exec(line);
    if (m) {
      if (wantTimes) ts = Number(m[1]);
    } else {
      const p = parseMetricLine(line);
      if (typeof p === 'string') {
        out.bad.push({ line: lineNo, text: line, reason: last ? `torn last line (no newline): ${p}` : p });
        continue;
      }
      fields = line.trim().split(' ').length;
      ts = typeof p.timestamp === 'bigint' ? undefined : p.timestamp;
    }
    if (last && !terminated) {
      if (fieldsSeen > fields) {
        out.bad.push({ line: lineNo, text: line, reason: `torn last line (no newline): ${fields} fields where the other lines have ${fieldsSeen}` });
        continue;
      }
      out.unterminated = true;
    }
    fieldsSeen = Math.max(fieldsSeen, fields);
    out.good++;
    if (ts !== undefined && ts >= 0 && ts <= 8.64e15) {
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
    }
  }
  if (wantTimes && out.good > 0 && Number.isFinite(minTs)) {
    out.minTs = minTs;
    out.maxTs = maxTs;
  }
  return out;
}

const rng = createRng(7007);
const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function randomDouble(): number {
  const r = rng.next();
  if (r < 0.03) return NaN;
  if (r < 0.05) return rng.next() < 0.5 ? Infinity : -Infinity;
  if (r < 0.1) return rng.int(2000) - 1000;
  return (rng.next() - 0.5) * 10 ** (rng.int(60) - 30);
}

const NUM = [
  '0',
  '7',
  '-0',
  '-7',
  '007',
  '+5',
  '1_000',
  '1234567890123456',
  '9007199254740993',
  '12345678901234567',
  '999999999999999',
  '',
  '-',
  'x',
  '٣',
  '\xff',
];
const VALUE = [
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
  '1e-',
  '+1.5',
  '--1',
  'nan',
  '-nan',
  'NaN',
  'inf',
  '-inf',
  '-in',
  'na',
  'i',
  'Infinity',
  '1_0.5',
  '1.5.2',
  '1.e5',
  '0x10',
  'abc',
  '',
  '-',
  '\xe9',
];
const SEP = [' ', ' ', ' ', ' ', '  ', '\t'];
const AROUND = ['', '', '', '', ' ', '\r', '\t'];

function canonicalLine(): string {
  const ts = rng.next() < 0.9 ? 1_700_000_000_000 + rng.int(1e9) : rng.int(1e6);
  const step = rng.next() < 0.9 ? rng.int(100000) : -rng.int(100);
  return `${ts} ${pyRepr(randomDouble())} ${step}`;
}

function nearMiss(): string {
  const fields = rng.next() < 0.8 ? 3 : pick([1, 2, 4, 5]);
  const parts: string[] = [];
  for (let k = 0; k < fields; k++)
    parts.push(k === 1 ? (rng.next() < 0.5 ? pyRepr(randomDouble()) : pick(VALUE)) : rng.next() < 0.5 ? String(rng.int(1e13)) : pick(NUM));
  let s = pick(AROUND) + parts[0]!;
  for (let k = 1; k < parts.length; k++) s += pick(SEP) + parts[k]!;
  return s + pick(AROUND);
}

describe('fastLineEnd', () => {
  it('accepts exactly the lines FAST_LINE accepts, and ends them at their newline', () => {
    let accepted = 0;
    for (let k = 0; k < 60_000; k++) {
      const line = k % 3 === 0 ? canonicalLine() : nearMiss();
      const want = FAST_LINE.test(line);
      const alone = Buffer.from(line, 'latin1');
      const followed = Buffer.from(line + '\n1 2 3\n', 'latin1');
      const got = [fastLineEnd(alone, 0, alone.length), fastLineEnd(followed, 0, followed.length)];
      if (want) accepted++;
      const expected = want ? [alone.length, alone.length] : [-1, -1];
      // vitest's expect (for its message) only on a mismatch: one per line cost most of the time
      if (got[0] !== expected[0] || got[1] !== expected[1]) expect({ line, got }).toEqual({ line, got: expected });
    }
    expect(accepted).toBeGreaterThan(20_000);
  });

  it('only looks at bytes before n', () => {
    const b = Buffer.from('1 0.5 7\n', 'latin1');
    expect(fastLineEnd(b, 0, 7)).toBe(7);
    expect(fastLineEnd(b, 0, 6)).toBe(-1); // '1 0.5 ': no step
    expect(fastLineEnd(Buffer.from('1 0.5 77\n'), 0, 7)).toBe(7);
    expect(fastLineEnd(Buffer.from('x1 0.5 7\n'), 1, 9)).toBe(8);
  });
});

describe('analyzeMetricBytes', () => {
  it('gives what the regex-based version gave, on random files', () => {
    for (let k = 0; k < 4000; k++) {
      const lines: string[] = [];
      const count = rng.int(12);
      for (let q = 0; q < count; q++) lines.push(rng.next() < 0.7 ? canonicalLine() : rng.next() < 0.1 ? '' : nearMiss());
      let text = lines.join(pick(['\n', '\n', '\n', '\r\n']));
      const end = rng.next();
      if (end < 0.6) text += '\n';
      else if (end < 0.7) text = text.slice(0, Math.max(0, text.length - 1 - rng.int(8))); // torn
      const buf = Buffer.from(text, 'latin1');
      for (const wantTimes of [false, true]) expect({ text, r: analyzeMetricBytes(buf, wantTimes) }).toEqual({ text, r: reference(buf, wantTimes) });
    }
  });

  it('of a file countFastLines accepts, is what its line count says (what read-ahead workers send)', () => {
    let accepted = 0;
    for (let k = 0; k < 4000; k++) {
      const lines: string[] = [];
      const count = 1 + rng.int(12);
      for (let q = 0; q < count; q++) lines.push(rng.next() < 0.97 ? canonicalLine() : nearMiss());
      const text = lines.join('\n') + (rng.next() < 0.8 ? '\n' : '');
      const buf = Buffer.from('xx' + text + 'yy', 'latin1');
      const n = countFastLines(buf, 2, buf.length - 2);
      const alone = buf.subarray(2, buf.length - 2);
      expect(countFastLines(alone, 0, alone.length)).toBe(n);
      if (n < 0) continue;
      accepted++;
      expect(n).toBe(count);
      expect(fastLinesScan({ lines: n, terminated: text.endsWith('\n') })).toStrictEqual(reference(alone, false));
    }
    expect(accepted).toBeGreaterThan(1000);
    const twoLines = Buffer.from('1 0.5 0\n\n');
    expect(countFastLines(twoLines, 0, twoLines.length)).toBe(-1); // an empty line is not fast
    expect(countFastLines(twoLines, 0, twoLines.length - 1)).toBe(1);
  });

  it('reads timestamps of 16 digits the way Number() does, and skips those beyond a date', () => {
    for (const ts of ['8639999999999999', '1234567890123456', '0000000000000001', '999999999999999', '9007199254740993', '9999999999999999']) {
      const buf = Buffer.from(`${ts} 0.5 0\n1 0.5 1\n`);
      expect(analyzeMetricBytes(buf, true)).toEqual(reference(buf, true));
      expect(analyzeMetricBytes(buf, true).maxTs).toBe(Number(ts) > 1 && Number(ts) <= 8.64e15 ? Number(ts) : 1);
    }
  });
});

describe('times for a rebuilt meta.yaml', () => {
  it('come only from timestamps a date can hold: negative and 20-digit ones are skipped, whichever path parses them', () => {
    const text = ['1700000000000 0.5 0', '99999999999999999999 0.25 1', '-5 0.1 2', '+1700000009000 0.3 3', '1700000001000 0.2 4', ''].join('\n');
    expect(analyzeMetricBytes(Buffer.from(text), true)).toMatchObject({ good: 5, bad: [], minTs: 1700000000000, maxTs: 1700000009000 });
    const none = analyzeMetricBytes(Buffer.from('-1 0.5 0\n99999999999999999999 0.25 1\n'), true);
    expect(none.good).toBe(2);
    expect(none.minTs).toBeUndefined();
    expect(none.maxTs).toBeUndefined();
  });
});
