import { describe, expect, it } from 'vitest';
import { sparklineOf } from '../../src/series/spark.js';

const pts = (ys: number[]) => ys.map((y, i) => [i, y] as const);

describe('sparklineOf', () => {
  const cases: [string, number[], number, string][] = [
    ['rising', [0, 1, 2, 3, 4, 5, 6, 7], 8, '▁▂▃▄▅▆▇█'],
    ['falling, shorter than the cells', [7, 3.5, 0], 10, '█▅▁'],
    ['flat', [2, 2, 2, 2], 10, '▁▁▁▁'],
    ['NaN cell', [0, NaN, 7], 10, '▁ █'],
    ['infinities', [1, Infinity, 2, -Infinity, 3], 10, '▁█▅▁█'],
    ['single point', [0.5], 10, '▁'],
    ['empty', [], 10, ''],
  ];
  it.each(cases)('%s', (_name, ys, cells, expected) => {
    expect(sparklineOf(pts(ys), cells)).toBe(expected);
  });

  it('downsamples a long history to the cell count by the mean of each x-range', () => {
    // 1000 points: a ramp 0..999; 10 cells averaging 100 points each: means 49.5, 149.5, …, 949.5
    // → levels round(k·7/9) = 0 1 2 2 3 4 5 5 6 7
    const s = sparklineOf(pts(Array.from({ length: 1000 }, (_, i) => i)), 10);
    expect(s).toBe('▁▂▃▃▄▅▆▆▇█');
  });

  it('streams a million points', () => {
    const gen = function* () {
      for (let i = 0; i < 1_000_000; i++) yield [i, i < 500_000 ? 1 : 0] as const;
    };
    expect(sparklineOf(gen(), 8)).toBe('████▁▁▁▁');
  });

  it('gives a short history one cell per point, in x order', () => {
    const s = sparklineOf(
      [
        [3, 8],
        [0, 0],
        [1, 0],
        [2, 0],
      ],
      10,
    );
    expect(s).toBe('▁▁▁█');
  });

  it('groups a long history into equal x-ranges, interpolating ranges without points', () => {
    const points = [...Array.from({ length: 10 }, (_, i) => [i, 0] as const), ...Array.from({ length: 10 }, (_, i) => [90 + i, 8] as const)];
    expect(sparklineOf(points, 5)).toBe('▁▃▅▆█');
  });
});
