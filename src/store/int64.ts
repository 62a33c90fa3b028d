/**
 * MLflow's steps and timestamps are int64. A JavaScript number holds integers exactly only
 * up to 2^53, so an `Int64` is a number while it is safe and a bigint beyond: the common
 * case stays fast, and 9007199254740993 or 9223372036854775807 keep every digit.
 *
 * Relational operators (`<`, `>`) compare a number with a bigint exactly, so comparisons
 * need no helper; equality and arithmetic do (`===` between 1 and 1n is false).
 */
export type Int64 = number | bigint;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** The canonical form: a number when it is a safe integer, else the bigint. */
export function normInt64(v: bigint | number): Int64 {
  if (typeof v === 'number') return v;
  return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
}

/** Decimal digits (optionally signed) to an Int64, exactly; undefined when not an integer. */
export function parseInt64(text: string): Int64 | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  // 15 digits always fit in a double exactly: skip the BigInt on the hot path
  if (text.length <= 15) return Number(text);
  return normInt64(BigInt(text));
}

/** Exact equality of two Int64 (a number and a bigint of the same value are equal). */
export function int64Equal(a: Int64, b: Int64): boolean {
  // normalised values of one integer have one type, but be lenient with unnormalised bigints
  return typeof a === typeof b ? a === b : BigInt(a) === BigInt(b);
}

/** -1, 0 or 1, exactly. */
export function cmpInt64(a: Int64, b: Int64): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The value as a JavaScript number (rounded beyond 2^53: for plotting and arithmetic only). */
export function int64ToNumber(v: Int64): number {
  return typeof v === 'number' ? v : Number(v);
}

/** a − b as a number: exact whenever the difference is a safe integer (durations, offsets). */
export function subInt64(a: Int64, b: Int64): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : Number(BigInt(a) - BigInt(b));
}
