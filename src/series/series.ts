/**
 * One chart series built from a stream of points: smoothing, then the log mapping, then the
 * streaming min/max downsampler. Memory is O(width) whatever the history length.
 */
import { MinMaxDownsampler, type Bucket } from './downsample.js';
import { createSmoother, isLogMasked, toLog10 } from './smooth.js';

/** A downsampled series ready for `renderChart`. */
export interface ChartSeries {
  /** legend text, e.g. "a1b2c3d4 val_loss" */
  label: string;
  /** buckets sorted by x; y values are log10 when the series was built with `logY` */
  buckets: Bucket[];
  /** points pushed (with a finite x) */
  count: number;
  /** NaN values in the original data */
  nan: number;
  posInf: number;
  negInf: number;
  /** values a log axis could not show (≤ 0); 0 without `logY` */
  masked: number;
  /**
   * The data as logged (before smoothing and the log mapping), for the legend: the value of
   * the rightmost non-NaN point (ties in x: the latest to arrive; may be ±Infinity), and the
   * smallest and largest finite value. Undefined when there is no such value.
   */
  last?: number;
  min?: number;
  max?: number;
}

export interface SeriesOptions {
  /** columns the chart will have; the downsampler keeps up to twice as many buckets */
  width: number;
  /** TensorBoard smoothing weight in [0, 1); 0 or absent = none */
  smooth?: number;
  /** map values to log10; values ≤ 0 are dropped and counted in `masked` */
  logY?: boolean;
}

/** Accumulates points for one (run, metric) series. */
export class SeriesBuilder {
  readonly label: string;
  private readonly ds: MinMaxDownsampler;
  private readonly smoother: (v: number) => number;
  private readonly logY: boolean;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;
  private masked = 0;
  private lastX = -Infinity;
  private last: number | undefined;
  private min = Infinity;
  private max = -Infinity;

  constructor(label: string, options: SeriesOptions) {
    this.label = label;
    this.ds = new MinMaxDownsampler(options.width);
    this.smoother = createSmoother(options.smooth ?? 0);
    this.logY = options.logY ?? false;
  }

  /** Buckets currently held by the downsampler (at most 2·width). */
  get size(): number {
    return this.ds.size;
  }

  /** Adds one point in file order. */
  push(x: number, y: number): void {
    if (!Number.isFinite(x)) {
      this.ds.push(x, y); // counted as badX there
      return;
    }
    if (Number.isNaN(y)) this.nan++;
    else {
      if (x >= this.lastX) {
        this.lastX = x;
        this.last = y;
      }
      if (y === Infinity) this.posInf++;
      else if (y === -Infinity) this.negInf++;
      else {
        if (y < this.min) this.min = y;
        if (y > this.max) this.max = y;
      }
    }
    let v = this.smoother(y);
    if (this.logY) {
      if (isLogMasked(v)) {
        this.masked++;
        v = NaN; // a gap, as matplotlib masks non-positive values on a log axis
      } else v = toLog10(v);
    }
    this.ds.push(x, v);
  }

  /** The series as it stands now (can be called again after more points arrive). */
  result(): ChartSeries {
    return {
      label: this.label,
      buckets: this.ds.buckets(),
      count: this.ds.stats.count,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      masked: this.masked,
      ...(this.last !== undefined ? { last: this.last } : {}),
      ...(this.min <= this.max ? { min: this.min, max: this.max } : {}),
    };
  }
}

/** Builds a series from in-memory points (tests and small histories). */
export function seriesFromPoints(label: string, points: Iterable<readonly [number, number]>, options: SeriesOptions): ChartSeries {
  const b = new SeriesBuilder(label, options);
  for (const [x, y] of points) b.push(x, y);
  return b.result();
}
