/**
 * Number formatting shortcuts must give exactly the text of the plain conversion they stand in for.
 */
import { describe, expect, it } from 'vitest';
import { nearbyIntegerFormatter } from '../../src/render/format.js';
import { seededRandom } from '../helpers.js';

describe('nearbyIntegerFormatter: String(n), faster on runs of nearby integers', () => {
  it('edges: the table limit, signs, fractions, unsafe and non-finite numbers', () => {
    const text = nearbyIntegerFormatter();
    const edges = [
      0,
      -0,
      1,
      9999,
      10_000,
      10_001,
      19_999,
      20_000,
      99_999_999,
      100_000_000,
      1700000000000,
      1700000009999,
      1700000010000,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      2 ** 53 + 2,
      1e21,
      1.5e300,
      -1,
      -10_000,
      -1700000000000,
      10_000.5,
      1700000000000.25,
      0.1,
      NaN,
      Infinity,
      -Infinity,
    ];
    for (const n of edges) expect(text(n), String(n)).toBe(String(n));
  });
  it('random timestamps, nearby and far apart, in any order (the cached high digits never go stale)', () => {
    const text = nearbyIntegerFormatter();
    const rnd = seededRandom(42);
    let t = 1767229201000;
    const wrong: [string, string][] = [];
    for (let i = 0; i < 200_000; i++) {
      const r = rnd();
      if (r < 0.9)
        t += Math.floor(rnd() * 40); // the usual history: a few ms apart
      else if (r < 0.95)
        t -= Math.floor(rnd() * 20_000); // back across a high-digit change
      else t = Math.floor(rnd() * Number.MAX_SAFE_INTEGER); // anywhere
      if (text(t) !== String(t)) wrong.push([text(t), String(t)]);
    }
    expect(wrong).toEqual([]);
  });
});
