import { describe, expect, it } from 'vitest';
import { createSmoother, isLogMasked, toLog10 } from '../../src/series/smooth.js';

/** TensorBoard's smoothing loop (tensorboard/.../vz_line_chart2/line-chart.ts), as a reference. */
function tensorboard(values: number[], weight: number): number[] {
  let last = 0;
  let n = 0;
  const constant = values.every((v) => v === values[0]);
  return values.map((v) => {
    if (constant || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return weight === 1 ? last : last / (1 - Math.pow(weight, n));
  });
}

describe('createSmoother', () => {
  it('is the debiased exponential moving average', () => {
    const s = createSmoother(0.6);
    const out = [1, 2, 3].map(s);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(1.04 / 0.64, 12); // 1.625
    expect(out[2]).toBeCloseTo(1.824 / 0.784, 12);
  });

  it('matches the TensorBoard loop on a noisy series with NaN and infinities', () => {
    const values = [0.9, 0.7, NaN, 0.65, Infinity, 0.5, 0.52, 0.3, -Infinity, 0.31, 0.2];
    for (const w of [0, 0.3, 0.6, 0.9, 0.999]) {
      const s = createSmoother(w);
      const ours = values.map(s);
      tensorboard(values, w).forEach((v, i) => {
        if (Number.isNaN(v)) expect(ours[i]).toBeNaN();
        else expect(ours[i]).toBeCloseTo(v, 12);
      });
    }
  });

  it('returns a constant series unchanged (no float noise)', () => {
    const s = createSmoother(0.9);
    expect([0.1, 0.1, 0.1, 0.1].map(s)).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('rejects weights outside [0, 1)', () => {
    for (const w of [-0.1, 1, 1.5, NaN]) expect(() => createSmoother(w)).toThrow(RangeError);
  });
});

describe('log scale', () => {
  it('maps positive values to log10 and masks the rest', () => {
    expect([100, 1, 0.01, Infinity].map(toLog10)).toEqual([2, 0, -2, Infinity]);
    expect([0, -3, -Infinity, NaN].map(toLog10).every(Number.isNaN)).toBe(true);
    expect([0, -3, -Infinity].every(isLogMasked)).toBe(true);
    expect([NaN, 1e-300, Infinity].some(isLogMasked)).toBe(false);
  });
});
