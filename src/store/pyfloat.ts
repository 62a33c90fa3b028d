/**
 * Python's number text in TypeScript: `float()` and `int()` of text (what MLflow accepts in a
 * metric file or a command line) and `repr(float)` (what it writes).
 */
import { parseInt64, type Int64 } from './int64.js';

const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_RE = new RegExp(String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|nan|inf|infinity)$`, 'i');
const INT_RE = new RegExp(String.raw`^[+-]?${DIGITS}$`);
// Python's str.strip() whitespace (ASCII part; metric files are ASCII)
const WS = ' \t\n\r\v\f';

/** Python's `str.strip()` for the ASCII whitespace a metric line can hold. */
export function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WS.includes(s[a]!)) a++;
  while (b > a && WS.includes(s[b - 1]!)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Python `float(s)`: returns undefined where Python raises ValueError. */
export function parsePyFloat(s: string): number | undefined {
  const t = strip(s);
  if (!FLOAT_RE.test(t)) return undefined;
  const lower = t.toLowerCase().replace(/_/g, '');
  const neg = lower.startsWith('-');
  const body = lower.replace(/^[+-]/, '');
  if (body === 'nan') return NaN;
  if (body === 'inf' || body === 'infinity') return neg ? -Infinity : Infinity;
  return Number(lower);
}

/** Python `int(s)` for base-10 text, exactly (a bigint beyond 2^53): undefined where Python raises. */
export function parsePyInt(s: string): Int64 | undefined {
  const t = strip(s);
  if (!INT_RE.test(t)) return undefined;
  return parseInt64(t.replace(/_/g, ''));
}

/**
 * Python's `repr(float(v))` in TypeScript: the spelling MLflow writes into metric files.
 *
 * Both languages print the shortest digit string that round-trips, so only the layout
 * differs: Python uses exponent form when the decimal exponent is < -4 or >= 16, always
 * writes a sign and at least two exponent digits (`1e-05`, `1e+16`), and keeps `.0` on
 * integral values (`5.0`, `1000000000000000.0`). Specials are `nan`, `inf`, `-inf`.
 */
export function formatPyFloat(v: number): string {
  // 1e-4 <= |v| < 1e16: both languages write the digits in positional form, which
  // String() gives as Python does but for the `.0` of an integral value
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 1e16) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const neg = v < 0;
  // toExponential() without an argument gives the shortest round-tripping digits.
  const exp = Math.abs(v).toExponential();
  const eAt = exp.indexOf('e');
  const mantissa = exp.slice(0, eAt);
  const e = Number(exp.slice(eAt + 1));
  const digits = mantissa.replace('.', '');
  let out: string;
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absE = Math.abs(e);
    out = `${m}e${e < 0 ? '-' : '+'}${absE < 10 ? '0' : ''}${absE}`;
  } else if (e < 0) {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  } else if (digits.length <= e + 1) {
    out = `${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  return neg ? `-${out}` : out;
}
