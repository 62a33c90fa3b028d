/**
 * A value written in full, the same for every reader of it: the CLI's machine formats, the
 * doctor's reports and streamed histories. People-facing formatting is in render/format.ts.
 */

/** Full-precision number text for TSV/CSV: shortest round-trip; NaN, inf, -inf; -0 keeps its sign; int64 exact. */
export function formatNumberFull(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0 && 1 / v < 0) return '-0';
  return String(v);
}

/** JSON value for a metric: proto3 JSON spells non-finite numbers as strings. */
export function jsonNumber(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** The largest |ms| a JavaScript Date holds (±100,000,000 days around 1970). */
export const MAX_DATE_MS = 8.64e15;

/**
 * ISO 8601 UTC, or '' for null. A timestamp no date can hold (MLflow stores any Python int:
 * a 22-digit metric timestamp is valid to it) prints as its number instead of throwing.
 */
export function formatIso(ms: number | bigint | null): string {
  if (ms === null) return '';
  if (typeof ms === 'bigint') return ms.toString();
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : String(ms);
}
