/**
 * The doctor's fast check of metric lines, on bytes. Every function here must be
 * self-contained (no imports, no module-level values, nothing but its arguments and other
 * functions of this file): the read-ahead workers run them from their source text
 * (prefetch.ts), and the scan runs them as they are.
 */

/** The common shape of a line MLflow wrote: int, repr(float), int. fastLineEnd checks it on the bytes; this regex is its specification (kept for the tests). */
export const FAST_LINE = /^(\d{1,16}) (?:-?\d+(?:\.\d+)?(?:e[-+]\d+)?|nan|inf|-inf) (-?\d{1,16})$/;

/** Index just past the ASCII digits starting at b[i] (i itself when there are none). */
export function skipDigits(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/**
 * When the line starting at b[s] (ending at the next '\n' or at n) is one FAST_LINE
 * matches, the index of its end (its '\n', or n); otherwise -1. Works on the bytes, so the
 * 5-million-line files of a big store are checked without decoding them or slicing lines
 * (that was most of `mlr doctor`'s JavaScript time). Bytes >= 0x80 never match, as their
 * latin1 characters never match the regex.
 */
export function fastLineEnd(b: Uint8Array, s: number, n: number): number {
  let i = skipDigits(b, s, n);
  if (i === s || i - s > 16 || i >= n || b[i] !== 32) return -1;
  i++;
  if (i >= n) return -1;
  let c = b[i]!;
  if (c === 45) {
    // '-': -inf, or a negative number
    i++;
    if (i >= n) return -1;
    c = b[i]!;
  }
  if (c === 105 || (c === 110 && b[i - 1] !== 45)) {
    // inf, -inf, nan (not -nan)
    if (i + 2 >= n) return -1;
    if (c === 105 ? b[i + 1] !== 110 || b[i + 2] !== 102 : b[i + 1] !== 97 || b[i + 2] !== 110) return -1;
    i += 3;
  } else {
    let j = i;
    i = skipDigits(b, i, n);
    if (i === j) return -1;
    if (i < n && b[i] === 46) {
      j = ++i;
      i = skipDigits(b, i, n);
      if (i === j) return -1;
    }
    if (i < n && b[i] === 101) {
      i++;
      if (i >= n || (b[i] !== 45 && b[i] !== 43)) return -1;
      j = ++i;
      i = skipDigits(b, i, n);
      if (i === j) return -1;
    }
  }
  if (i >= n || b[i] !== 32) return -1;
  i++;
  if (i < n && b[i] === 45) i++;
  const j = i;
  i = skipDigits(b, i, n);
  if (i === j || i - j > 16) return -1;
  return i === n || b[i] === 10 ? i : -1;
}

/**
 * The number of lines of b[s, n) when every one of them is a line fastLineEnd accepts, else
 * -1. For such a file (not empty), analyzeMetricBytes(b, false) is exactly
 * `{ good: lines, bad: [], empty: false, unterminated: b[n - 1] !== '\n' }`: read-ahead
 * workers check metric files with this so the scan gets a line count instead of the bytes.
 */
export function countFastLines(b: Uint8Array, s: number, n: number): number {
  let lines = 0;
  for (let i = s; i < n;) {
    const j = fastLineEnd(b, i, n);
    if (j < 0) return -1;
    lines++;
    i = j + 1;
  }
  return lines;
}
