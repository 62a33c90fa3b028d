/**
 * JSON that keeps MLflow's numbers exact. MLflow's steps and timestamps are int64 and its
 * metric values may be -0.0; JavaScript's JSON.parse rounds 9007199254740993 and
 * JSON.stringify prints -0 as `0`. These two functions read and write JSON text with
 * integers beyond 2^53 as bigints and -0 as `-0.0` (what Python's json module writes).
 */
import { normInt64 } from './store/int64.js';

/** A JSON value as parseJsonExact returns it: unsafe integers come back as bigint. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

class JsonSyntaxError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(`${message} at position ${pos}`);
    this.pos = pos;
  }
}

/** Nesting deeper than this is refused (a hostile body must not exhaust the stack). */
const MAX_DEPTH = 512;

const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING_RE = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WS_RE = /[ \t\n\r]*/y;

/**
 * JSON.parse, except that an integer literal outside ±(2^53 − 1) becomes a bigint with
 * every digit kept. Throws JsonSyntaxError (with the position) on malformed text.
 */
export function parseJsonExact(text: string): JsonValue {
  // the usual text (no integer literal of 16 digits or more, not nested deeper than the
  // limit) reads the same with JSON.parse, several times faster; malformed text is read
  // below, for the position in the message
  if (plain(text)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // fall through
    }
  }
  return parseSlow(text);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** `.`, `e`, `E`, `+`: what only comes before a fraction's or an exponent's digits */
const beforeFraction = (c: number): boolean => c === 46 || c === 101 || c === 69 || c === 43;

/**
 * No integer literal of 16 digits or more (a run of digits outside strings that is not a
 * fraction's or an exponent's), and no nesting deeper than MAX_DEPTH.
 */
function plain(text: string): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      const start = i;
      while (i + 1 < n && isDigit(text.charCodeAt(i + 1))) i++;
      if (i - start >= 15 && !(start > 0 && beforeFraction(text.charCodeAt(start - 1)))) {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (next !== 46 && next !== 101 && next !== 69) return false;
      }
      continue;
    }
    if (c === 34) {
      for (i++; i < n; i++) {
        const k = text.charCodeAt(i);
        if (k === 92) i++;
        else if (k === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return false;
    } else if (c === 93 || c === 125) depth--;
  }
  return true;
}

function parseSlow(text: string): JsonValue {
  let i = 0;
  const ws = (): void => {
    WS_RE.lastIndex = i;
    WS_RE.exec(text);
    i = WS_RE.lastIndex;
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError(`nesting deeper than ${MAX_DEPTH}`, i);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: JsonValue } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new JsonSyntaxError('expected a string key', i);
        const key = string();
        ws();
        if (text[i] !== ':') throw new JsonSyntaxError("expected ':'", i);
        i++;
        // a key "__proto__" is a plain own property, as with JSON.parse
        Object.defineProperty(out, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        throw new JsonSyntaxError("expected ',' or '}'", i);
      }
    }
    if (c === '[') {
      i++;
      const out: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        throw new JsonSyntaxError("expected ',' or ']'", i);
      }
    }
    if (c === '"') return string();
    if (c === 't' && text.startsWith('true', i)) return ((i += 4), true);
    if (c === 'f' && text.startsWith('false', i)) return ((i += 5), false);
    if (c === 'n' && text.startsWith('null', i)) return ((i += 4), null);
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) throw new JsonSyntaxError(c === undefined ? 'unexpected end of input' : `unexpected character '${c}'`, i);
    i = NUMBER_RE.lastIndex;
    const lit = m[0];
    if (m[1] === undefined && m[2] === undefined && lit.replace('-', '').length > 15) return normInt64(BigInt(lit));
    return Number(lit);
  };
  const string = (): string => {
    STRING_RE.lastIndex = i;
    const m = STRING_RE.exec(text);
    if (!m) throw new JsonSyntaxError('malformed string', i);
    i = STRING_RE.lastIndex;
    const s = m[0];
    return s.includes('\\') ? (JSON.parse(s) as string) : s.slice(1, -1);
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw new JsonSyntaxError('unexpected text after the JSON value', i);
  return v;
}

const NONCE = `\u0000mlr${Math.random().toString(36).slice(2)}:`;
const SENTINEL_RE = new RegExp(`"${NONCE.replace('\u0000', '\\\\u0000')}([^"]*)"`, 'g');

/**
 * JSON.stringify, except that bigints are written as their digits and -0 as `-0.0`, so
 * that int64 fields and the sign of zero survive. `indent` as JSON.stringify's `space`.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  let special = false;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') {
        special = true;
        return NONCE + v.toString();
      }
      if (typeof v === 'number' && v === 0 && 1 / v < 0) {
        special = true;
        return NONCE + '-0.0';
      }
      return v;
    },
    indent,
  );
  return special ? text.replace(SENTINEL_RE, '$1') : text;
}
