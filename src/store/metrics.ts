/**
 * Metric files: `<ts> <value> <step>` lines (spec mlruns-format §6). Parsing follows
 * Python's `int()` and `float()` so every file MLflow reads, mlr reads, and every file
 * MLflow rejects is reported as malformed rather than silently misread.
 */
import { createReadStream } from 'node:fs';
import type { Metric } from './types.js';

const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_RE = new RegExp(
  String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|nan|inf|infinity)$`,
  'i',
);
const INT_RE = new RegExp(String.raw`^[+-]?${DIGITS}$`);
// Python's str.strip() whitespace (ASCII part; metric files are ASCII)
const WS = ' \t\n\r\v\f';

function strip(s: string): string {
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

/** Python `int(s)` for base-10 text: undefined where Python raises. */
export function parsePyInt(s: string): number | undefined {
  const t = strip(s);
  if (!INT_RE.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

export type MetricLine = { timestamp: number; value: number; step: number };

/**
 * Parse one line as MLflow 2.12/3.x does: strip, split on single spaces, 2, 3 or 5
 * fields (5 = 3.x dataset-scoped lines; the extra fields are ignored here).
 * Returns a string describing the problem when the line is malformed.
 */
export function parseMetricLine(line: string): MetricLine | string {
  const fields = strip(line).split(' ');
  const n = fields.length;
  if (n !== 2 && n !== 3 && n !== 5) {
    return `persisted metric data contained ${n} fields. Expected 2 or 3 fields.`;
  }
  const timestamp = parsePyInt(fields[0]!);
  if (timestamp === undefined) return `timestamp '${fields[0]}' is not an integer`;
  const value = parsePyFloat(fields[1]!);
  if (value === undefined) return `value '${fields[1]}' is not a number`;
  let step = 0;
  if (n >= 3) {
    const s = parsePyInt(fields[2]!);
    if (s === undefined) return `step '${fields[2]}' is not an integer`;
    step = s;
  }
  return { timestamp, value, step };
}

/**
 * True when `b` beats `a` as the "latest" value: the largest (step, timestamp, value)
 * tuple. With a NaN inside an exact (step, timestamp) tie Python's answer depends on
 * line order; mlr prefers the real number, deterministically.
 */
export function isLater(a: MetricLine, b: MetricLine): boolean {
  if (b.step !== a.step) return b.step > a.step;
  if (b.timestamp !== a.timestamp) return b.timestamp > a.timestamp;
  if (Number.isNaN(b.value)) return false;
  if (Number.isNaN(a.value)) return true;
  return b.value > a.value;
}

export interface MetricFileSummary {
  latest?: MetricLine;
  count: number;
  /** malformed lines: 1-based line number and the reason */
  bad: { line: number; text: string; reason: string }[];
}

/**
 * Scan a whole metric file's text: the latest line, the number of good lines and every
 * malformed one. A file with no lines at all is malformed ("No data found").
 */
export function summarizeMetricText(text: string): MetricFileSummary {
  const out: MetricFileSummary = { count: 0, bad: [] };
  let i = 0;
  let lineNo = 0;
  const n = text.length;
  while (i < n) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = n;
    lineNo++;
    const line = text.slice(i, j);
    i = j + 1;
    const parsed = parseMetricLine(line);
    if (typeof parsed === 'string') {
      out.bad.push({ line: lineNo, text: line, reason: parsed });
      continue;
    }
    out.count++;
    if (!out.latest || isLater(out.latest, parsed)) out.latest = parsed;
  }
  return out;
}

/**
 * Stream a metric file's lines in file order without loading it whole. Malformed lines
 * are passed to `onBad` (if given) and skipped.
 */
export async function* streamMetricFile(
  path: string,
  key: string,
  onBad?: (line: number, text: string, reason: string) => void,
): AsyncGenerator<Metric> {
  const stream = createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 16 });
  let rest = '';
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const buf = rest + chunk;
    let i = 0;
    for (;;) {
      const j = buf.indexOf('\n', i);
      if (j < 0) break;
      lineNo++;
      const line = buf.slice(i, j);
      i = j + 1;
      const p = parseMetricLine(line);
      if (typeof p === 'string') onBad?.(lineNo, line, p);
      else yield { key, value: p.value, timestamp: p.timestamp, step: p.step };
    }
    rest = buf.slice(i);
  }
  if (rest.length > 0) {
    lineNo++;
    const p = parseMetricLine(rest);
    if (typeof p === 'string') onBad?.(lineNo, rest, p);
    else yield { key, value: p.value, timestamp: p.timestamp, step: p.step };
  }
}
