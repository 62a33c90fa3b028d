/**
 * Streaming min/max downsampling for metric histories.
 *
 * Points arrive one at a time in file order; the total count is unknown and the x values
 * need not be sorted (MLflow appends lines in logging order, and a resumed run can log a
 * step twice). The downsampler keeps at most `2 * width` buckets of a fixed x-width. When a
 * new point would need more, neighbouring pairs are merged and the bucket width doubles, so
 * memory stays O(width) however long the history is. Each bucket keeps min and max (so a
 * spike survives any amount of merging), the values at its left and right edge, a sum for
 * the mean, and counts of NaN and infinite values.
 */

/** One x-range of a downsampled history. All value fields ignore NaN points. */
export interface Bucket {
  /** smallest and largest x of any point in the bucket (NaN points included) */
  xMin: number;
  xMax: number;
  /** every point, NaN ones included */
  count: number;
  nan: number;
  posInf: number;
  negInf: number;
  /** number of finite values; min, max and sum are over these (NaN when there are none) */
  finite: number;
  min: number;
  max: number;
  sum: number;
  /**
   * value of the leftmost non-NaN point (ties in x: the earliest to arrive) and of the
   * rightmost one (ties: the latest to arrive); may be ±Infinity; NaN when the bucket holds
   * only NaN points. With x sorted these are simply the first and last value.
   */
  first: number;
  last: number;
  /** x of `first` and `last` (NaN when the bucket holds only NaN points) */
  firstX: number;
  lastX: number;
}

/** Totals over everything pushed, including points that were dropped. */
export interface DownsampleStats {
  /** points pushed with a finite x */
  count: number;
  nan: number;
  posInf: number;
  negInf: number;
  /** points ignored because their x was not finite */
  badX: number;
}

export interface DownsamplerOptions {
  /**
   * Smallest bucket width in x units (default 1: steps and millisecond timestamps are
   * integers). Widths only ever grow from here by doubling.
   */
  baseWidth?: number;
}

/** A bucket holding nothing yet; `addPoint` fills it. */
function newBucket(x: number): Bucket {
  return {
    xMin: x,
    xMax: x,
    count: 0,
    nan: 0,
    posInf: 0,
    negInf: 0,
    finite: 0,
    min: NaN,
    max: NaN,
    sum: 0,
    first: NaN,
    last: NaN,
    firstX: NaN,
    lastX: NaN,
  };
}

function addPoint(b: Bucket, x: number, y: number): void {
  b.count++;
  if (x < b.xMin) b.xMin = x;
  if (x > b.xMax) b.xMax = x;
  if (Number.isNaN(y)) {
    b.nan++;
    return;
  }
  if (y === Infinity) b.posInf++;
  else if (y === -Infinity) b.negInf++;
  else {
    b.finite++;
    b.sum += y;
    if (!(y >= b.min)) b.min = y; // also replaces the initial NaN
    if (!(y <= b.max)) b.max = y;
  }
  if (Number.isNaN(b.firstX) || x < b.firstX) {
    b.first = y;
    b.firstX = x;
  }
  if (Number.isNaN(b.lastX) || x >= b.lastX) {
    b.last = y;
    b.lastX = x;
  }
}

/**
 * Merges `right` into `left` and returns `left`. Both must hold disjoint x-ranges with every
 * x of `left` below every x of `right`, which is how the downsampler's buckets are laid out.
 */
function mergeInto(left: Bucket, right: Bucket): Bucket {
  left.xMin = Math.min(left.xMin, right.xMin);
  left.xMax = Math.max(left.xMax, right.xMax);
  left.count += right.count;
  left.nan += right.nan;
  left.posInf += right.posInf;
  left.negInf += right.negInf;
  if (right.finite > 0) {
    left.min = left.finite > 0 ? Math.min(left.min, right.min) : right.min;
    left.max = left.finite > 0 ? Math.max(left.max, right.max) : right.max;
    left.finite += right.finite;
    left.sum += right.sum;
  }
  if (Number.isNaN(left.firstX)) {
    left.first = right.first;
    left.firstX = right.firstX;
  }
  if (!Number.isNaN(right.lastX)) {
    left.last = right.last;
    left.lastX = right.lastX;
  }
  return left;
}

/** Returns a copy of `b` (buckets handed out must not change when more points arrive). */
function copyBucket(b: Bucket): Bucket {
  return { ...b };
}

/** Merges a list of buckets that are sorted by x with disjoint x-ranges into one new bucket. */
export function mergeBuckets(sorted: readonly Bucket[]): Bucket | undefined {
  const head = sorted[0];
  if (head === undefined) return undefined;
  const out = copyBucket(head);
  for (let i = 1; i < sorted.length; i++) mergeInto(out, sorted[i]!);
  return out;
}

/**
 * Streaming min/max downsampler: O(width) memory for any number of points.
 * `push` is amortised O(1); `buckets()` returns the current buckets sorted by x.
 */
export class MinMaxDownsampler {
  readonly capacity: number;
  readonly stats: DownsampleStats = { count: 0, nan: 0, posInf: 0, negInf: 0, badX: 0 };
  private readonly map = new Map<number, Bucket>();
  private origin = NaN;
  private bucketWidth: number;
  private lo = 0;
  private hi = -1;
  /** the bucket the last point went to, and its index (NaN after a merge) */
  private lastIdx = NaN;
  private lastBucket: Bucket | undefined;

  /** `width`: the number of columns the result will be drawn in; up to 2·width buckets are kept. */
  constructor(width: number, options: DownsamplerOptions = {}) {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
    this.capacity = 2 * width;
    const base = options.baseWidth ?? 1;
    if (!(base > 0) || !Number.isFinite(base)) throw new RangeError(`baseWidth must be positive, got ${base}`);
    this.bucketWidth = base;
  }

  /** Current width of one bucket in x units. */
  get width(): number {
    return this.bucketWidth;
  }

  /** Number of buckets currently held (never more than `capacity`). */
  get size(): number {
    return this.map.size;
  }

  /**
   * Before the first push, when the points to come are known: `origin` is the first one's x,
   * `xMin`/`xMax` their smallest and largest x. Takes the bucket width they will need at
   * once, so pushing them never merges buckets. The buckets come out as without it (a
   * point's bucket depends only on the final width), but for `sum`, added in another order.
   */
  reserve(origin: number, xMin: number, xMax: number): void {
    if (!Number.isNaN(this.origin)) throw new Error('internal: reserve after a push');
    if (!Number.isFinite(origin) || !Number.isFinite(xMin) || !Number.isFinite(xMax)) return;
    this.origin = origin;
    const span = (w: number): number => Math.floor((xMax - origin) / w) - Math.floor((xMin - origin) / w) + 1;
    while (span(this.bucketWidth) > this.capacity) this.bucketWidth *= 2;
  }

  /** Adds one point. Points with a non-finite x are counted in `stats.badX` and otherwise ignored. */
  push(x: number, y: number): void {
    if (!Number.isFinite(x)) {
      this.stats.badX++;
      return;
    }
    const s = this.stats;
    s.count++;
    if (Number.isNaN(y)) s.nan++;
    else if (y === Infinity) s.posInf++;
    else if (y === -Infinity) s.negInf++;

    if (Number.isNaN(this.origin)) this.origin = x;
    let idx = Math.floor((x - this.origin) / this.bucketWidth);
    if (this.map.size === 0) {
      this.lo = idx;
      this.hi = idx;
    } else if (idx < this.lo || idx > this.hi) {
      // the window [lo, hi] would grow; coarsen until it spans at most `capacity` indexes
      while (Math.max(this.hi, idx) - Math.min(this.lo, idx) + 1 > this.capacity) {
        this.coarsen();
        idx = Math.floor((x - this.origin) / this.bucketWidth);
      }
      if (idx < this.lo) this.lo = idx;
      if (idx > this.hi) this.hi = idx;
    }
    // points come mostly in x order: most go to the bucket of the point before
    let b = idx === this.lastIdx ? this.lastBucket : this.map.get(idx);
    if (b === undefined) {
      b = newBucket(x);
      this.map.set(idx, b);
    }
    this.lastIdx = idx;
    this.lastBucket = b;
    addPoint(b, x, y);
  }

  /** Doubles the bucket width, merging each pair of neighbours. */
  private coarsen(): void {
    const keys = [...this.map.keys()].sort((a, b) => a - b);
    const next = new Map<number, Bucket>();
    for (const k of keys) {
      const b = this.map.get(k)!;
      const nk = Math.floor(k / 2);
      const have = next.get(nk);
      next.set(nk, have === undefined ? b : mergeInto(have, b));
    }
    this.map.clear();
    for (const [k, b] of next) this.map.set(k, b);
    this.bucketWidth *= 2;
    this.lastIdx = NaN;
    this.lastBucket = undefined;
    this.lo = Math.floor(this.lo / 2);
    this.hi = Math.floor(this.hi / 2);
  }

  /** Copies of the current buckets, sorted by x. */
  buckets(): Bucket[] {
    return [...this.map.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => copyBucket(b));
  }
}
