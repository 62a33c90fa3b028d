/**
 * Value transforms applied to a history as it streams: TensorBoard-style exponential
 * smoothing and the log10 mapping used by `--log`.
 */

/**
 * Returns a streaming smoother with TensorBoard's semantics: a debiased exponential moving
 * average, `last = last·w + (1−w)·v; smoothed = last / (1 − w^n)` where n counts the finite
 * values seen. Non-finite values pass through unchanged and do not touch the average, and while
 * every value so far is identical the value itself is returned (TensorBoard special-cases
 * constant series to avoid float noise). `weight` 0 returns values unchanged.
 */
export function createSmoother(weight: number): (value: number) => number {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  if (weight === 0) return (v) => v;
  let last = 0;
  let n = 0;
  let constant = true;
  let firstSeen: number | undefined;
  return (v: number): number => {
    if (!Number.isFinite(v)) return v;
    if (firstSeen === undefined) firstSeen = v;
    else if (v !== firstSeen) constant = false;
    last = last * weight + (1 - weight) * v;
    n++;
    if (constant) return v;
    return last / (1 - Math.pow(weight, n));
  };
}

/**
 * Maps a value onto a log10 axis: positive values (and +Infinity) map to their log10;
 * zero, negatives and −Infinity cannot be shown and map to NaN, as do NaN inputs.
 * Use `isLogMasked` to tell a masked value from a NaN that was already there.
 */
export function toLog10(v: number): number {
  return v > 0 ? Math.log10(v) : NaN;
}

/** True when `v` is a real value that a log axis cannot show (zero, negative, −Infinity). */
export function isLogMasked(v: number): boolean {
  return v <= 0;
}
