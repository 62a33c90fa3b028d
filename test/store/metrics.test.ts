import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLater, parseMetricLine, streamMetricChunks, summarizeMetricText } from '../../src/store/file/metrics.js';
import { parsePyFloat, parsePyInt } from '../../src/store/pyfloat.js';
import type { Metric } from '../../src/store/types.js';
import { writeTree } from '../helpers.js';

describe('parsePyFloat: Python float() spellings (spec §6.2)', () => {
  it.each<[string, number | undefined]>([
    ['0.5', 0.5],
    ['5.0', 5],
    ['1e-05', 1e-5],
    ['1E3', 1000],
    ['+1.5', 1.5],
    ['-0.0', -0],
    ['1_000', 1000],
    ['1_000.5_5', 1000.55],
    [' 2.5 ', 2.5],
    ['.5', 0.5],
    ['5.', 5],
    ['nan', NaN],
    ['NaN', NaN],
    ['-nan', NaN],
    ['inf', Infinity],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-inf', -Infinity],
    ['INF', Infinity],
    ['1e400', Infinity],
    ['abc', undefined],
    ['', undefined],
    ['1__0', undefined],
    ['_1', undefined],
    ['1_', undefined],
    ['0x10', undefined],
    ['1.5.2', undefined],
    ['infinit', undefined],
    ['1e', undefined],
  ])('%j → %j', (s, v) => {
    const got = parsePyFloat(s);
    if (v === undefined) expect(got).toBeUndefined();
    else expect(Object.is(got, v) || (Number.isNaN(v) && Number.isNaN(got))).toBe(true);
  });
});

describe('parsePyInt', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['-3', -3],
    ['+4', 4],
    ['1700000000000', 1700000000000],
    ['1_000', 1000],
    ['1.5', undefined],
    ['1e3', undefined],
    ['', undefined],
  ])('%j → %j', (s, v) => expect(parsePyInt(s)).toBe(v));
});

describe('parseMetricLine (spec §6.1–6.2)', () => {
  it.each<[string, unknown]>([
    ['1700000000000 0.5 0', { timestamp: 1700000000000, value: 0.5, step: 0 }],
    ['1700000000000 0.5 0\n', { timestamp: 1700000000000, value: 0.5, step: 0 }],
    ['1700000000000 0.5 0\r\n', { timestamp: 1700000000000, value: 0.5, step: 0 }],
    ['  1700000000000 0.5 0  ', { timestamp: 1700000000000, value: 0.5, step: 0 }],
    ['1700000000000 0.5', { timestamp: 1700000000000, value: 0.5, step: 0 }], // pre-1.0: no step
    ['100 2.5 -3', { timestamp: 100, value: 2.5, step: -3 }], // negative steps are fine
    ['100 nan 2', { timestamp: 100, value: NaN, step: 2 }],
    ['100 -inf 2', { timestamp: 100, value: -Infinity, step: 2 }],
    ['100 1.0 2 train 0a1b', { timestamp: 100, value: 1, step: 2 }], // 3.x dataset-scoped line
    ['', 'persisted metric data contained 1 fields. Expected 2 or 3 fields.'],
    ['100', 'persisted metric data contained 1 fields. Expected 2 or 3 fields.'],
    ['100\t0.5\t1', 'persisted metric data contained 1 fields. Expected 2 or 3 fields.'], // tabs are not separators
    ['100  0.5 1', 'persisted metric data contained 4 fields. Expected 2 or 3 fields.'], // double space
    ['100 0.5 1 x', 'persisted metric data contained 4 fields. Expected 2 or 3 fields.'],
    ['100 abc 1', "value 'abc' is not a number"],
    ['100 0.5 1.5', "step '1.5' is not an integer"], // MLflow wrote this once, then could not read it
    ['1.5 0.5 1', "timestamp '1.5' is not an integer"],
  ])('%j', (line, want) => {
    expect(parseMetricLine(line)).toEqual(want);
  });
});

describe('latest value: max (step, timestamp, value) (spec §6.3)', () => {
  it('is not the last line: highest step, then timestamp, then value', () => {
    const s = summarizeMetricText('300 9.0 1\n100 1.0 5\n200 2.0 5\n50 7.0 5\n');
    expect(s.latest).toEqual({ timestamp: 200, value: 2, step: 5 });
    expect(s.count).toBe(4);
  });
  it('takes the maximum value among equal step and timestamp', () => {
    expect(summarizeMetricText('5 1.0 1\n5 3.0 1\n5 2.0 1').latest?.value).toBe(3);
  });
  it('is NaN when the highest step holds nan', () => {
    expect(summarizeMetricText('1 0.9 0\n2 0.5 1\n2 nan 2\n').latest?.value).toBeNaN();
  });
  it("on an exact (step, timestamp) tie follows Python's max: NaN involved or equal values keep the first line, else the larger wins", () => {
    expect(summarizeMetricText('5 nan 1\n5 2.0 1\n').latest?.value).toBeNaN();
    expect(summarizeMetricText('5 2.0 1\n5 nan 1\n').latest?.value).toBe(2);
    expect(summarizeMetricText('5 5.0 1\n5 7.0 1\n5 6.0 1\n').latest?.value).toBe(7);
    expect(summarizeMetricText('5 5.0 1\n5 inf 1\n').latest?.value).toBe(Infinity);
    expect(Object.is(summarizeMetricText('5 -0.0 1\n5 0.0 1\n').latest?.value, -0)).toBe(true);
    expect(isLater({ step: 1, timestamp: 5, value: NaN }, { step: 1, timestamp: 5, value: -Infinity })).toBe(false);
  });
  it('compares steps and timestamps beyond 2^53 exactly', () => {
    expect(summarizeMetricText('1 1.0 9007199254740993\n1 2.0 9007199254740992\n').latest).toEqual({ timestamp: 1, value: 1, step: 9007199254740993n });
    expect(summarizeMetricText('9007199254740993 1.0 0\n9007199254740992 2.0 0\n').latest).toEqual({ timestamp: 9007199254740993n, value: 1, step: 0 });
  });
  it('reports bad lines with their numbers and keeps the good ones', () => {
    const s = summarizeMetricText('1 0.5 0\n\n2 x 1\n3 0.25 2\n4 0.1');
    expect(s.count).toBe(3);
    expect(s.latest).toEqual({ timestamp: 3, value: 0.25, step: 2 }); // step 2 beats the 2-field line's step 0
    expect(s.bad.map((b) => b.line)).toEqual([2, 3]);
  });
  it('an empty file has no data', () => {
    expect(summarizeMetricText('')).toEqual({ count: 0, bad: [] });
  });
});

describe('streamMetricChunks: one array per read, whatever the chunk boundaries cut', () => {
  // every kind of line the two parsers take, a bad line and an empty one in the middle, and
  // a last line torn off before its step (2 fields: MLflow reads it as step 0)
  const text = [
    '1700000000000 0.5 0', // canonical
    '1700000000010 -1.25 1',
    '1700000000020 nan 2',
    '1700000000030 +2.5 3', // exact parser: sign
    '1700000000040 garbage 4', // bad
    '', // bad
    '1700000000060 1e-05 6',
    '1700000000070 7.5', // 2 fields: step 0
    '1700000000080 -inf 8 train d1', // 5 fields (3.x)
    ' 1700000000090 9.5 9\r', // whitespace around
    '1700000000100 10.5 10',
    '1700000000110 0.1', // torn, no newline
  ].join('\n');
  const m = (timestamp: number, value: number, step: number): Metric => ({ key: 'loss', value, timestamp, step });
  const want: Metric[] = [
    m(1700000000000, 0.5, 0),
    m(1700000000010, -1.25, 1),
    m(1700000000020, NaN, 2),
    m(1700000000030, 2.5, 3),
    m(1700000000060, 0.00001, 6),
    m(1700000000070, 7.5, 0),
    m(1700000000080, -Infinity, 8),
    m(1700000000090, 9.5, 9),
    m(1700000000100, 10.5, 10),
    m(1700000000110, 0.1, 0),
  ];
  const wantBad = [
    [5, '1700000000040 garbage 4', "value 'garbage' is not a number"],
    [6, '', 'persisted metric data contained 1 fields. Expected 2 or 3 fields.'],
  ];
  const dir = writeTree({ loss: text, torn: '1700000000000 0.5 0\n1700000000010 0.25 1\n17000000000' });

  async function read(file: string, chunkBytes: number): Promise<{ chunks: Metric[][]; bad: unknown[][] }> {
    const chunks: Metric[][] = [];
    const bad: unknown[][] = [];
    for await (const c of streamMetricChunks(path.join(dir, file), 'loss', (...b) => bad.push(b), chunkBytes)) chunks.push(c);
    return { chunks, bad };
  }

  it('every chunk size from 1 byte to the whole file gives the same lines and bad lines', async () => {
    expect(text.length).toBe(fs.statSync(path.join(dir, 'loss')).size);
    for (let size = 1; size <= text.length + 1; size++) {
      const { chunks, bad } = await read('loss', size);
      expect(chunks.flat(), `chunk size ${size}`).toEqual(want);
      expect(bad, `chunk size ${size}`).toEqual(wantBad);
      expect(chunks.every((c) => c.length > 0)).toBe(true);
    }
  });
  it('one array per chunk holding a line end: 2 for the whole file in one read (the torn last line comes on its own)', async () => {
    expect((await read('loss', 1 << 16)).chunks.map((c) => c.length)).toEqual([9, 1]);
    // 16-byte reads: a line end every 1–2 reads; never more arrays than reads
    const { chunks } = await read('loss', 16);
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(text.length / 16) + 1);
    expect(chunks.length).toBeGreaterThan(5);
  });
  it('a torn last line that is not a line is reported with its number', async () => {
    for (const size of [1, 7, 20, 1 << 16]) {
      const { chunks, bad } = await read('torn', size);
      expect(chunks.flat()).toEqual([m(1700000000000, 0.5, 0), m(1700000000010, 0.25, 1)]);
      expect(bad).toEqual([[3, '17000000000', 'persisted metric data contained 1 fields. Expected 2 or 3 fields.']]);
    }
  });
});
