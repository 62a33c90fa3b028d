/**
 * The JSON text MLflow's server sends, byte for byte: `message_to_json` is Python's
 * `json.dumps(d, indent=2)` of protobuf's MessageToJson dict, and errors are
 * `json.dumps({"error_code": …, "message": …})`. So: two-space indent (or `, ` and `: `
 * on one line), non-ASCII escaped as `\uXXXX` (ensure_ascii), integers as digits (int64
 * fields exact, bigints too), and doubles as Python's repr (`1.0`, `1e-05`, `-0.0`) — NaN
 * and the infinities as the strings "NaN", "Infinity", "-Infinity", as protobuf writes them.
 *
 * A JavaScript number cannot say whether it is a double or an integer, so the renderer
 * wraps the proto `double` fields (metric values) in `Double`; every other number is an
 * integer field.
 */
import { formatPyFloat } from '../store/pyfloat.js';

/** A proto `double` field's value (everything else numeric is an int64/int32). */
export class Double {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
// Python's ESCAPE_ASCII: a quote, a backslash, or anything outside ' '..'~'
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/g;

/** A string as Python's json.dumps writes it with ensure_ascii (UTF-16 units as \uXXXX). */
function pyJsonString(s: string): string {
  return '"' + s.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"';
}

function doubleText(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return formatPyFloat(v);
}

/** Python's json.dumps: pretty with `indent` (MLflow's responses use 2), else on one line. */
export function pyJson(value: unknown, indent?: number): string {
  const parts: string[] = [];
  const write = (v: unknown, depth: number): void => {
    if (v === null || v === undefined) parts.push('null');
    else if (v instanceof Double) parts.push(doubleText(v.value));
    else if (typeof v === 'string') parts.push(pyJsonString(v));
    else if (typeof v === 'number') parts.push(Number.isInteger(v) ? String(v) : doubleText(v));
    else if (typeof v === 'bigint') parts.push(v.toString());
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (Array.isArray(v)) {
      if (v.length === 0) return void parts.push('[]');
      const inner = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
      parts.push('[');
      v.forEach((x, i) => {
        parts.push(i === 0 ? inner : ',' + (indent === undefined ? ' ' : inner));
        write(x, depth + 1);
      });
      parts.push(indent === undefined ? ']' : '\n' + ' '.repeat(indent * depth) + ']');
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return void parts.push('{}');
      const inner = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
      parts.push('{');
      entries.forEach(([k, x], i) => {
        parts.push(i === 0 ? inner : ',' + (indent === undefined ? ' ' : inner));
        parts.push(pyJsonString(k), ': ');
        write(x, depth + 1);
      });
      parts.push(indent === undefined ? '}' : '\n' + ' '.repeat(indent * depth) + '}');
    } else parts.push(pyJsonString(String(v)));
  };
  write(value, 0);
  return parts.join('');
}
