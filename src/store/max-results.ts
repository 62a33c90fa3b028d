/**
 * The bound on max_results every backend checks: its own module, so that a backend that
 * pushes searches down (SQLite, REST) does not load the in-memory search to check a number.
 */
import { UsageError } from '../errors.js';

/** MLflow refuses max_results above this (spec §6). */
export const MAX_RESULTS_LIMIT = 50000;

/** UsageError unless `n` is a whole number from 1 to MAX_RESULTS_LIMIT (or absent). */
export function checkMaxResults(n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS_LIMIT)) {
    throw new UsageError(`--max-results must be a whole number from 1 to ${MAX_RESULTS_LIMIT}, got ${n}`);
  }
}
