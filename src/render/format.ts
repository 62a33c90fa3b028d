/**
 * Formatting single values for people (TTY) and for machines (pipe, CSV, JSON).
 */
import { subInt64 } from '../store/int64.js';
import { MAX_DATE_MS, formatNumberFull } from '../values.js';

export { formatIso, formatNumberFull, jsonNumber } from '../values.js';

const LOW4 = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/**
 * A String(n) for a stream of nearby integers such as a history's millisecond timestamps:
 * the digits above the last four are converted only when they change and the last four
 * come from a table, which is ~2.5× faster than String() on 13-digit numbers (doubles to
 * V8, not small integers). Anything else (negative, fractional, unsafe, under 10⁴) goes to
 * String() itself, so the text is always String(n)'s.
 */
export function nearbyIntegerFormatter(): (n: number | bigint) => string {
  let high = -1;
  let highText = '';
  return (n: number | bigint): string => {
    if (typeof n === 'bigint') return n.toString();
    if (!(n >= 10_000 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) return String(n);
    const low = n % 10_000;
    const h = (n - low) / 10_000; // exact: n - low is a multiple of 10⁴ below 2⁵³
    if (h !== high) {
      high = h;
      highText = String(h);
    }
    return highText + LOW4[low]!;
  };
}

/** Short number text for tables: `precision` significant digits, no exponent noise. */
export function formatNumberShort(v: number | bigint, precision = 5): string {
  if (typeof v === 'bigint' || !Number.isFinite(v) || Object.is(v, -0)) return formatNumberFull(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return v.toExponential(Math.max(0, precision - 1)).replace(/\.?0+e/, 'e');
  const s = v.toPrecision(precision);
  return s.includes('e') ? String(Number(s)) : s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** "3 minutes ago", "2 days ago"; future times say "in …". */
export function formatRelative(ms: number | bigint | null, now: number): string {
  if (ms === null) return '-';
  if (typeof ms === 'bigint' || !(Math.abs(ms) <= MAX_DATE_MS)) return String(ms);
  const d = Math.round((now - ms) / 1000);
  const a = Math.abs(d);
  const units: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  if (a < 5) return 'just now';
  for (const [s, name] of units) {
    if (a >= s) {
      const n = Math.floor(a / s);
      const t = `${n} ${name}${n === 1 ? '' : 's'}`;
      return d >= 0 ? `${t} ago` : `in ${t}`;
    }
  }
  return 'just now';
}

/** "850ms", "12.3s", "4m 05s", "2h 03m". '-' when either end is missing. */
export function formatDuration(start: number | bigint | null, end: number | bigint | null): string {
  if (start === null || end === null) return '-';
  const ms = subInt64(end, start);
  if (ms < 0) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Cut `s` to `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  if ([...s].length <= max) return s;
  return [...s].slice(0, Math.max(0, max - 1)).join('') + '…';
}

/**
 * `s` cut into lines of at most `width` characters, each break just after a `.` `/` `_` `-`
 * or space where the line has one (so `metrics.val_loss` breaks as `metrics.` + `val_loss`),
 * else at the width. Joined again, the lines are `s`.
 */
export function wrapText(s: string, width: number): string[] {
  const chars = [...s];
  if (width <= 0 || chars.length <= width) return [s];
  const lines: string[] = [];
  let start = 0;
  while (chars.length - start > width) {
    let cut = start + width;
    for (let k = start + width - 1; k > start; k--) {
      if ('./_- '.includes(chars[k]!)) {
        cut = k + 1;
        break;
      }
    }
    lines.push(chars.slice(start, cut).join(''));
    start = cut;
  }
  lines.push(chars.slice(start).join(''));
  return lines;
}

// C0 controls but tab and newline, DEL and C1: what a terminal acts on (ESC starts colour,
// screen-clear, title and OSC 8 hyperlink sequences; C1 has the 8-bit forms of them)
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `s` with every control character a terminal would act on written out as `\xNN` (issue 11
 * #33: a param value could clear the screen or retitle the window). Tabs and newlines are
 * left to the caller. For terminal output only: JSON, CSV and TSV keep values as data.
 */
export function escapeControls(s: string): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(s)) return s;
  return s.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
