import { describe, expect, it } from 'vitest';
import { MinMaxDownsampler, mergeBuckets, type Bucket } from '../../src/series/downsample.js';
import { seededRandom } from '../helpers.js';

const rng = seededRandom;

/** What a bucket covering [xMin, xMax] must hold, computed from all points by brute force. */
function bruteForce(points: [number, number][], xMin: number, xMax: number) {
  const inside = points.map((p, i) => ({ x: p[0], y: p[1], i })).filter((p) => p.x >= xMin && p.x <= xMax);
  const finite = inside.filter((p) => Number.isFinite(p.y));
  const real = inside.filter((p) => !Number.isNaN(p.y));
  // leftmost (earliest on ties) and rightmost (latest on ties) non-NaN point
  const first = [...real].sort((a, b) => a.x - b.x || a.i - b.i)[0];
  const last = [...real].sort((a, b) => b.x - a.x || b.i - a.i)[0];
  return {
    count: inside.length,
    nan: inside.filter((p) => Number.isNaN(p.y)).length,
    posInf: inside.filter((p) => p.y === Infinity).length,
    negInf: inside.filter((p) => p.y === -Infinity).length,
    finite: finite.length,
    min: finite.length ? Math.min(...finite.map((p) => p.y)) : NaN,
    max: finite.length ? Math.max(...finite.map((p) => p.y)) : NaN,
    first: first?.y ?? NaN,
    last: last?.y ?? NaN,
  };
}

describe('MinMaxDownsampler', () => {
  it('keeps every point in its own bucket while they fit', () => {
    const ds = new MinMaxDownsampler(4);
    for (let i = 0; i < 8; i++) ds.push(i, i * 10);
    expect(ds.size).toBe(8);
    expect(ds.width).toBe(1);
    expect(ds.buckets().map((b) => [b.xMin, b.min, b.max, b.count])).toEqual(Array.from({ length: 8 }, (_, i) => [i, i * 10, i * 10, 1]));
  });

  it('merges neighbouring pairs and doubles the width when full', () => {
    const ds = new MinMaxDownsampler(2); // capacity 4
    for (let i = 0; i < 5; i++) ds.push(i, i);
    expect(ds.width).toBe(2);
    expect(ds.buckets().map((b) => [b.xMin, b.xMax, b.min, b.max, b.first, b.last, b.count])).toEqual([
      [0, 1, 0, 1, 0, 1, 2],
      [2, 3, 2, 3, 2, 3, 2],
      [4, 4, 4, 4, 4, 4, 1],
    ]);
  });

  it('matches a brute-force computation on unsorted data with NaN and infinities', () => {
    const next = rng(42);
    const points: [number, number][] = [];
    const ds = new MinMaxDownsampler(16);
    for (let i = 0; i < 5000; i++) {
      const x = Math.floor(next() * 3000) - 1000; // unsorted, negative too, many repeats
      const r = next();
      const y = r < 0.05 ? NaN : r < 0.07 ? Infinity : r < 0.09 ? -Infinity : Math.round(next() * 1e6) / 1e3;
      points.push([x, y]);
      ds.push(x, y);
      expect(ds.size).toBeLessThanOrEqual(32);
    }
    const buckets = ds.buckets();
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(5000);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.xMin).toBeGreaterThan(buckets[i - 1]!.xMax);
    for (const b of buckets) {
      expect(b).toMatchObject(bruteForce(points, b.xMin, b.xMax));
      expect(b.sum).toBeCloseTo(
        points.filter((p) => p[0] >= b.xMin && p[0] <= b.xMax && Number.isFinite(p[1])).reduce((s, p) => s + p[1], 0),
        6,
      );
    }
    expect(ds.stats).toEqual({
      count: 5000,
      nan: points.filter((p) => Number.isNaN(p[1])).length,
      posInf: points.filter((p) => p[1] === Infinity).length,
      negInf: points.filter((p) => p[1] === -Infinity).length,
      badX: 0,
    });
  });

  it('takes first/last by x, ties broken by arrival', () => {
    const ds = new MinMaxDownsampler(2, { baseWidth: 16 }); // buckets [7, 23) and [23, 39)
    ds.push(7, 0);
    ds.push(30, 1);
    ds.push(25, 2); // left of the bucket's first point: becomes first
    ds.push(25, 3); // same x as the leftmost: the earlier one stays first
    ds.push(35, 4);
    ds.push(35, 5); // same x as the rightmost: the later one becomes last
    const buckets = ds.buckets();
    expect(buckets).toHaveLength(2);
    expect(buckets[1]).toMatchObject({ xMin: 25, xMax: 35, first: 2, firstX: 25, last: 5, lastX: 35, min: 1, max: 5 });
  });

  it('keeps a single spike through a million points with at most 2·width buckets', () => {
    const ds = new MinMaxDownsampler(50);
    let maxSize = 0;
    for (let i = 0; i < 1_000_000; i++) {
      ds.push(i, i === 777_777 ? 1e9 : Math.sin(i / 1000));
      if (ds.size > maxSize) maxSize = ds.size;
    }
    expect(maxSize).toBeLessThanOrEqual(100);
    const buckets = ds.buckets();
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(1_000_000);
    const withSpike = buckets.filter((b) => b.max === 1e9);
    expect(withSpike).toHaveLength(1);
    expect(withSpike[0]!.xMin).toBeLessThanOrEqual(777_777);
    expect(withSpike[0]!.xMax).toBeGreaterThanOrEqual(777_777);
  });

  it('counts points with a non-finite x as bad and ignores them', () => {
    const ds = new MinMaxDownsampler(4);
    ds.push(NaN, 1);
    ds.push(Infinity, 1);
    ds.push(1, NaN);
    expect(ds.stats).toEqual({ count: 1, nan: 1, posInf: 0, negInf: 0, badX: 2 });
    expect(ds.buckets()).toHaveLength(1);
    expect(ds.buckets()[0]).toMatchObject({ count: 1, nan: 1, finite: 0, first: NaN, last: NaN });
  });

  it('hands out copies that later points do not change', () => {
    const ds = new MinMaxDownsampler(4);
    ds.push(0, 1);
    const before = ds.buckets();
    ds.push(0, 5);
    expect(before[0]!.max).toBe(1);
    expect(ds.buckets()[0]!.max).toBe(5);
  });

  it('gives the same buckets when told the points to come (reserve), without merging', () => {
    const next = rng(7);
    const points: [number, number][] = [];
    for (let i = 0; i < 4000; i++) {
      // mostly increasing, some out of order and repeated, NaN and infinite values among them
      const x = i % 97 === 0 ? Math.floor(next() * 4000) : i * 3 - 500;
      const r = next();
      points.push([x, r < 0.03 ? NaN : r < 0.04 ? Infinity : Math.round(next() * 1e6) / 1e3]);
    }
    const plain = new MinMaxDownsampler(50);
    const told = new MinMaxDownsampler(50);
    const xs = points.map((p) => p[0]);
    told.reserve(xs[0]!, Math.min(...xs), Math.max(...xs));
    const widthBefore = told.width;
    for (const [x, y] of points) {
      plain.push(x, y);
      told.push(x, y);
    }
    expect(told.width).toBe(widthBefore);
    expect(told.width).toBe(plain.width);
    const strip = (bs: Bucket[]) => bs.map(({ sum: _sum, ...b }) => b);
    expect(strip(told.buckets())).toEqual(strip(plain.buckets()));
    expect(told.stats).toEqual(plain.stats);
    expect(() => told.reserve(0, 0, 1)).toThrow(/reserve after a push/);
  });

  it('rejects a width that is not a positive integer', () => {
    expect(() => new MinMaxDownsampler(0)).toThrow(RangeError);
    expect(() => new MinMaxDownsampler(2.5)).toThrow(RangeError);
  });
});

describe('mergeBuckets', () => {
  it('merges sorted buckets, skipping NaN-only ones for first/last', () => {
    const ds = new MinMaxDownsampler(8);
    const data: [number, number][] = [
      [0, NaN],
      [1, 4],
      [2, -2],
      [3, NaN],
    ];
    for (const [x, y] of data) ds.push(x, y);
    const merged = mergeBuckets(ds.buckets()) as Bucket;
    expect(merged).toMatchObject({ xMin: 0, xMax: 3, count: 4, nan: 2, finite: 2, min: -2, max: 4, first: 4, last: -2, sum: 2 });
    expect(mergeBuckets([])).toBeUndefined();
  });
});
