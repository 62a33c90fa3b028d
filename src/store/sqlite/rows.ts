/**
 * Column values as the connection returns them (safeIntegers: every INTEGER is a bigint)
 * turned into entity values.
 */
import { normInt64, type Int64 } from '../int64.js';

/** An INTEGER column as an Int64 (number while safe), null for NULL. */
export function int64OrNull(v: unknown): Int64 | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return normInt64(v);
  if (typeof v === 'number') return v;
  // a BIGINT column holding text or a real (not written by MLflow): best effort
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** An INTEGER column that is NOT NULL in MLflow's schema (0 if a row breaks that). */
export function int64(v: unknown): Int64 {
  return int64OrNull(v) ?? 0;
}

/** A FLOAT column (an integer stored there comes back as bigint). */
export function float(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return Number(v);
}

/** A nullable text column. */
export function textOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : String(v);
}

/** An id column (experiment ids are INTEGER, reported as strings). */
export function idText(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Whether a BOOLEAN column is true. */
export function isTrue(v: unknown): boolean {
  return v === 1n || v === 1 || v === true || v === '1';
}

const INT64_TEXT = /^-?\d{1,19}$/;

/**
 * Experiment ids (strings) as a JSON array of integers for `IN (SELECT value FROM
 * json_each(?))`: one bound parameter for any number of ids, and exact for 18-digit ids.
 * Ids that are not integers are dropped: MLflow's `experiment_id IN (...)` on an INTEGER
 * column matches nothing for them either.
 */
export function jsonIntArray(ids: readonly string[]): string {
  const ok = ids.filter((id) => INT64_TEXT.test(id) && BigInt(id) >= -(2n ** 63n) && BigInt(id) < 2n ** 63n);
  return `[${ok.map((id) => BigInt(id).toString()).join(',')}]`;
}

/** Strings as a JSON array for `IN (SELECT value FROM json_each(?))`. */
export function jsonTextArray(items: readonly string[]): string {
  return JSON.stringify(items);
}
