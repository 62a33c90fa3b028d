/**
 * Reading one field of a parsed meta.yaml the way MLflow coerces it. One set of rules for the
 * store, its writers, the registry and the doctor (they used to carry four copies that
 * disagreed on booleans and on non-integer times).
 */
import { normInt64, type Int64 } from '../int64.js';
import type { YamlValue } from './yaml.js';

/** `str(x)` as MLflow coerces ids and names: text, numbers and bigints as digits, booleans as True/False. */
export function yamlString(v: YamlValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return undefined;
}

/** An integer field (times, steps), exactly; undefined for anything else (a float is not an integer). */
export function yamlInt64(v: YamlValue | undefined): Int64 | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return normInt64(v);
  return undefined;
}

/** yamlInt64, but a finite float is truncated (Python's int()), for reading what the doctor would flag. */
export function yamlInt64Lenient(v: YamlValue | undefined): Int64 | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  return yamlInt64(v);
}
