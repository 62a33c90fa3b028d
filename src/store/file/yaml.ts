/**
 * Reading YAML the way PyYAML's safe_load reads it (YAML 1.1 resolution).
 *
 * The `yaml` package's own 1.1 schema differs from PyYAML in ways that matter here
 * (`1e5` and `y` are a number and a boolean there, strings in PyYAML), so documents are
 * parsed with the failsafe schema (every scalar a string) and plain scalars are then
 * resolved with PyYAML's resolver regexes. MLflow's meta.yaml files are flat
 * `key: scalar` lines, which a fast path reads without building a document.
 */
import { createRequire } from 'node:module';
import type { Node, Scalar as ScalarType } from 'yaml';

// The `yaml` package costs 25-40 ms to load; most meta.yaml files take the fast path
// below, so it is loaded (synchronously, through its CommonJS build) only when needed.
// This keeps one-shot writes like `mlr log-metric` cheap.
type YamlLib = typeof import('yaml');
let yamlLib: YamlLib | undefined;
function lib(): YamlLib {
  yamlLib ??= createRequire(import.meta.url)('yaml') as YamlLib;
  return yamlLib;
}

export type YamlValue = null | boolean | number | bigint | string | YamlValue[] | { [k: string]: YamlValue };
export type YamlMap = { [k: string]: YamlValue };

export interface YamlResult {
  value: YamlValue | undefined;
  /** parse errors, one line each; empty when the text parsed */
  errors: string[];
}

// PyYAML's implicit resolvers (resolver.py), YAML 1.1.
const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE_WORDS = new Set(['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

// first characters of the null and bool words (n N t T f F y Y o O)
const WORD_START = new Set([...'nNtTfFyYoO'].map((ch) => ch.charCodeAt(0)));
const SIMPLE_INT_RE = /^-?(?:0|[1-9][0-9]*)$/;

function sexagesimal(body: string): number {
  let v = 0;
  for (const part of body.split(':')) v = v * 60 + Number(part);
  return v;
}

/**
 * Resolve a plain (unquoted) scalar as PyYAML would: null, bool, int, float, or string.
 * Timestamps stay strings (their text is what MLflow would show). Integers beyond 2^53
 * come back as bigint so ids keep every digit.
 */
export function resolvePlain(s: string): YamlValue {
  // fast paths: most values in meta.yaml are plain words or plain decimal ints
  const c = s.charCodeAt(0);
  const numeric = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  if (!numeric) {
    if (s.length > 5 || (s.length > 0 && c !== 126 && !WORD_START.has(c))) return s;
  } else if (SIMPLE_INT_RE.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : BigInt(s);
  }
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return TRUE_WORDS.has(s);
  if (INT_RE.test(s)) {
    let t = s.replace(/_/g, '');
    let sign = 1n;
    if (t[0] === '-' || t[0] === '+') {
      if (t[0] === '-') sign = -1n;
      t = t.slice(1);
    }
    let big: bigint;
    if (t.startsWith('0b')) big = BigInt(t);
    else if (t.startsWith('0x')) big = BigInt(t);
    else if (t.includes(':')) big = BigInt(sexagesimal(t));
    else if (t.length > 1 && t[0] === '0') big = BigInt('0o' + t.slice(1));
    else big = BigInt(t);
    big *= sign;
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big;
  }
  if (FLOAT_RE.test(s)) {
    let t = s.replace(/_/g, '');
    const lower = t.toLowerCase();
    if (lower.endsWith('.nan')) return NaN;
    if (lower.endsWith('.inf')) return t[0] === '-' ? -Infinity : Infinity;
    let sign = 1;
    if (t[0] === '-' || t[0] === '+') {
      if (t[0] === '-') sign = -1;
      t = t.slice(1);
    }
    if (t.includes(':')) {
      const [whole, frac] = [t.slice(0, t.lastIndexOf('.')), t.slice(t.lastIndexOf('.'))];
      return sign * (sexagesimal(whole) + Number('0' + frac));
    }
    return sign * Number(t);
  }
  if (TIMESTAMP_RE.test(s)) return s;
  return s;
}

// ---------------------------------------------------------------------------
// fast path for MLflow's flat files

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_]*): ?(.*)$/;
// one level of nesting, as in the stale `tags:` copy of a renamed or deleted experiment
const NESTED_LINE = /^  ([A-Za-z0-9_][A-Za-z0-9_.\-/]*): ?(.*)$/;

/** A one-line scalar the fast path can read, or undefined when it needs the full parser. */
function flatScalar(raw: string): YamlValue | undefined {
  const c = raw.charCodeAt(0);
  if (c === 39 /* ' */) {
    if (raw.length < 2 || raw[raw.length - 1] !== "'") return undefined;
    const body = raw.slice(1, -1);
    // a lone quote inside means the scalar does not end on this line
    if (body.replace(/''/g, '').includes("'")) return undefined;
    return body.replace(/''/g, "'");
  }
  if (raw === '[]') return [];
  if (raw === '{}') return Object.create(null) as YamlMap;
  // plain scalars: anything that starts with an indicator, contains ': ' or ' #',
  // or ends with a space goes to the full parser
  if ('"[]{}&*!|>%@`#,?:-'.includes(raw[0]!) && !/^-?[0-9]/.test(raw)) return undefined;
  if (raw.includes(': ') || raw.includes(' #') || raw.endsWith(' ') || raw.endsWith(':')) return undefined;
  if (raw.includes('\t')) return undefined;
  return resolvePlain(raw);
}

/**
 * Parse `key: scalar` lines (plain scalars that cannot be misread, one-line single-quoted
 * strings, `[]`, `{}`), and one level of `  key: scalar` lines under a `key:` line.
 * Returns undefined when the text needs the full parser.
 */
function parseFlat(text: string): YamlMap | undefined {
  const out: YamlMap = Object.create(null) as YamlMap;
  let nested: YamlMap | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = n;
    const line = text.charCodeAt(j - 1) === 13 ? text.slice(i, j - 1) : text.slice(i, j);
    i = j + 1;
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === 32 /* space */) {
      const m = nested && NESTED_LINE.exec(line);
      // a key PyYAML would read as a number, bool or null needs the full parser
      if (!m || m[2] === '' || m[1]! in nested! || typeof resolvePlain(m[1]!) !== 'string') return undefined;
      const v = flatScalar(m[2]!);
      if (v === undefined) return undefined;
      nested![m[1]!] = v;
      continue;
    }
    nested = undefined;
    const m = FLAT_LINE.exec(line);
    if (!m) return undefined;
    const key = m[1]!;
    const raw = m[2]!;
    if (key in out || typeof resolvePlain(key) !== 'string') return undefined;
    if (raw === '') {
      if (i < n && text[i] === ' ') {
        nested = Object.create(null) as YamlMap;
        out[key] = nested;
        continue;
      }
      // `key:` followed by a block sequence would need the full parser
      if (i < n && text[i] === '-') return undefined;
      out[key] = null;
      continue;
    }
    const v = flatScalar(raw);
    if (v === undefined) return undefined;
    out[key] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------
// full path

function convertNode(node: Node | null | undefined): YamlValue {
  if (node == null) return null;
  const { isMap, isSeq, isScalar, Scalar } = lib();
  if (isScalar(node)) {
    const v = (node as ScalarType).value;
    const s = v == null ? '' : String(v);
    return node.type === Scalar.PLAIN ? resolvePlain(s) : s;
  }
  if (isMap(node)) {
    const out: YamlMap = Object.create(null) as YamlMap;
    for (const pair of node.items) {
      const k = convertNode(pair.key as Node);
      out[typeof k === 'string' ? k : String(k)] = convertNode(pair.value as Node);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((x) => convertNode(x as Node));
  return null;
}

/**
 * Parse YAML text with PyYAML safe_load semantics. Never throws: errors are returned
 * (conflict markers, truncation, tabs…) and `value` is undefined when the text is not YAML.
 * An empty document gives `value: null` (PyYAML returns None).
 */
export function parseYaml(text: string): YamlResult {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const flat = parseFlat(text);
  if (flat) return { value: Object.keys(flat).length === 0 && text.trim() === '' ? null : flat, errors: [] };
  let doc;
  try {
    doc = lib().parseDocument(text, { schema: 'failsafe', uniqueKeys: false, strict: false, prettyErrors: false });
  } catch (e) {
    return { value: undefined, errors: [(e as Error).message.split('\n')[0] ?? 'unparsable'] };
  }
  if (doc.errors.length > 0) {
    return { value: undefined, errors: doc.errors.map((e) => e.message.split('\n')[0] ?? e.code) };
  }
  return { value: convertNode(doc.contents as Node | null), errors: [] };
}

/** True for a plain object produced by parseYaml. */
export function isYamlMap(v: YamlValue | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
