/**
 * Unicode sparklines (▁▂▃▄▅▆▇█) of a metric history, for table cells.
 */
import { MinMaxDownsampler, mergeBuckets, type Bucket } from './downsample.js';

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * Renders buckets (sorted by x, as `MinMaxDownsampler.buckets()` returns them) as a sparkline
 * of at most `cells` characters: one character per bucket, in x order, when they fit (a short
 * history is not stretched), otherwise buckets are grouped into `cells` equal x-ranges (a range without points takes the value between its
 * neighbours). Each character shows the mean of the finite values in its range, scaled between
 * the smallest and largest mean; +Infinity shows as █ and −Infinity as ▁, a range holding only
 * NaN as a space, and a flat history as ▁ throughout. Returns '' for an empty history.
 */
export function renderSparkline(buckets: readonly Bucket[], cells: number): string {
  const width = Math.max(1, Math.floor(cells));
  const groups = groupCells(buckets, width);
  // value per cell: a number, +/-Infinity, NaN (only NaN points) or undefined (no points)
  const values: (number | undefined)[] = groups.map((b) => {
    if (b === undefined) return undefined;
    if (b.finite > 0) return b.sum / b.finite;
    if (b.posInf > 0 && b.negInf === 0) return Infinity;
    if (b.negInf > 0 && b.posInf === 0) return -Infinity;
    return NaN;
  });
  fillEmpty(values);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values)
    if (v !== undefined && Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return values
    .map((v) => {
      if (v === undefined || Number.isNaN(v)) return ' ';
      if (v === Infinity) return LEVELS[LEVELS.length - 1]!;
      if (v === -Infinity || !(hi > lo)) return LEVELS[0]!;
      return LEVELS[Math.round(((v - lo) / (hi - lo)) * (LEVELS.length - 1))]!;
    })
    .join('');
}

/** Sparkline of in-memory (x, y) points, streamed through the downsampler. */
export function sparklineOf(points: Iterable<readonly [number, number]>, cells: number): string {
  // four times the cells: enough buckets that grouping them into cells stays close to even
  const ds = new MinMaxDownsampler(4 * Math.max(1, Math.floor(cells)));
  for (const [x, y] of points) ds.push(x, y);
  return renderSparkline(ds.buckets(), cells);
}

function groupCells(buckets: readonly Bucket[], cells: number): (Bucket | undefined)[] {
  if (buckets.length <= cells) return [...buckets];
  const xMin = buckets[0]!.xMin;
  const xMax = buckets[buckets.length - 1]!.xMax;
  const groups: Bucket[][] = Array.from({ length: cells }, () => []);
  for (const b of buckets) {
    const mid = (b.xMin + b.xMax) / 2;
    // equal x-ranges per cell (unlike chart columns, whose end columns hold the end points)
    const c = xMax > xMin ? Math.min(cells - 1, Math.floor(((mid - xMin) / (xMax - xMin)) * cells)) : 0;
    groups[c]!.push(b);
  }
  return groups.map((g) => mergeBuckets(g));
}

/** Cells with no points get the value halfway along the line between their finite neighbours. */
function fillEmpty(values: (number | undefined)[]): void {
  let prev = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    if (prev >= 0 && i - prev > 1) {
      const a = values[prev]!;
      if (Number.isFinite(a) && Number.isFinite(v)) for (let k = prev + 1; k < i; k++) values[k] = a + ((v - a) * (k - prev)) / (i - prev);
    }
    prev = i;
  }
}
