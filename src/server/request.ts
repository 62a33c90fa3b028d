/**
 * A request's fields, read the way MLflow's `_get_request_message` reads them: a JSON body
 * for POST/PATCH/DELETE, the query string for GET (repeated fields from repeated keys);
 * unknown fields ignored; proto-JSON leniency (an int64 may come as a string of digits, a
 * double as "NaN"); then MLflow's schema checks in the schema's order with its words
 * ("Missing value for required parameter 'run_id'.").
 */
import { parseJsonExact, type JsonValue } from '../json.js';
import { normInt64, type Int64 } from '../store/int64.js';
import { parsePyFloat } from '../store/pyfloat.js';
import { ApiError, invalidParameter } from './errors.js';

type FieldType = 'string' | 'int64' | 'double' | 'bool' | 'object' | 'any';

interface FieldSpec {
  type: FieldType;
  repeated?: boolean;
  required?: boolean;
  /** an enum field: its value names (a number is the 1-based proto value) */
  values?: readonly string[];
}

export type Schema = Record<string, FieldSpec>;

/** Field values after checking: strings, Int64, numbers, booleans, objects, arrays of them. */
export type Fields = Record<string, unknown>;

const SEE_DOCS = ' See the API docs for more information about request parameters.';

function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function jsonText(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)) ?? 'null';
  } catch {
    return String(v);
  }
}

function missingValue(param: string): ApiError {
  return invalidParameter(`Missing value for required parameter '${param}'.` + SEE_DOCS);
}

function invalidValue(param: string, value: unknown): ApiError {
  return invalidParameter(`Invalid value ${jsonText(value)} for parameter '${param}' supplied:  Hint: Value was of type '${pyTypeName(value)}'.` + SEE_DOCS);
}

/** The body of a JSON request as an object ({} for an empty body); MALFORMED_REQUEST otherwise. */
export function parseBody(text: string): Record<string, JsonValue> {
  if (text.trim() === '') return {};
  let v: JsonValue;
  try {
    v = parseJsonExact(text);
  } catch (e) {
    throw new ApiError('MALFORMED_REQUEST', `Malformed request: the body is not valid JSON (${(e as Error).message})`);
  }
  // older clients post their JSON double-encoded as a string (MLflow decodes it again)
  if (typeof v === 'string') return parseBody(v);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ApiError('MALFORMED_REQUEST', 'Malformed request: the body must be a JSON object');
  }
  return v;
}

/** A GET request's query string as MLflow reads it: repeated keys are a list. */
export function queryFields(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

function convert(spec: FieldSpec, name: string, v: unknown, fromQuery: boolean): unknown {
  switch (spec.type) {
    case 'string':
      if (typeof v === 'string') return v;
      throw invalidValue(name, v);
    case 'int64': {
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return normInt64(BigInt(v.trim())) as Int64;
      if (spec.values && typeof v === 'string' && spec.values.includes(v)) return v;
      throw invalidValue(name, v);
    }
    case 'double': {
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'string') {
        const f = parsePyFloat(v);
        if (f !== undefined && v.trim() !== '') return f;
      }
      throw invalidValue(name, v);
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (fromQuery && typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
      if (fromQuery && typeof v === 'string') throw invalidParameter(`Invalid boolean value: ${v}, must be 'true' or 'false'.`);
      throw invalidValue(name, v);
    case 'object':
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
      throw invalidValue(name, v);
    case 'any':
      return v;
  }
}

/** An enum field's name from its JSON value (name, or the 1-based proto number). */
function enumValue(spec: FieldSpec, name: string, v: unknown): string {
  const values = spec.values!;
  if (typeof v === 'string' && values.includes(v)) return v;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= values.length) return values[n - 1]!;
  throw invalidValue(name, v);
}

/**
 * The fields of a request, checked against `schema` in its order: a required field that is
 * absent or "" is "Missing value…", a value of the wrong type "Invalid value…". `run_id`
 * falls back to `run_uuid`, as in MLflow. Fields not in the schema are dropped.
 */
export function readFields(raw: Record<string, unknown>, schema: Schema, fromQuery = false): Fields {
  const out: Fields = {};
  for (const [name, spec] of Object.entries(schema)) {
    let v = raw[name];
    if ((v === undefined || v === null) && name === 'run_id') v = raw['run_uuid'];
    if (v === undefined || v === null || (spec.repeated && Array.isArray(v) && v.length === 0 && !spec.required)) {
      if (spec.required) throw missingValue(name);
      continue;
    }
    if (spec.repeated) {
      const list = Array.isArray(v) ? v : fromQuery ? [v] : undefined;
      if (!list) throw invalidValue(name, v);
      if (spec.required && list.length === 0) throw missingValue(name);
      out[name] = list.map((x) => (spec.values ? enumValue(spec, name, x) : convert(spec, name, x, fromQuery)));
      continue;
    }
    if (fromQuery && Array.isArray(v)) v = v[0];
    const value = spec.values ? enumValue(spec, name, v) : convert(spec, name, v, fromQuery);
    if (spec.required && value === '') throw missingValue(name);
    out[name] = value;
  }
  return out;
}

/** A list of `{key, value}` objects (tags, params) as KeyValue, with MLflow's checks on the items. */
export function keyValues(list: unknown, field: string, requireKey = true): { key: string; value: string }[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalidValue(field, list);
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidValue(field, list);
    const o = item as Record<string, unknown>;
    const key = o['key'];
    const value = o['value'];
    if (requireKey && (key === undefined || key === null || key === ''))
      throw invalidParameter(`Missing value for required parameter '${field}[${i}].key'.` + SEE_DOCS);
    if (key !== undefined && key !== null && typeof key !== 'string') throw invalidValue(field, list);
    if (value !== undefined && value !== null && typeof value !== 'string') throw invalidValue(field, list);
    return { key: (key as string | undefined) ?? '', value: (value as string | undefined) ?? '' };
  });
}
