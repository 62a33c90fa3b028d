/**
 * Input validation for writes, with MLflow 2.12's rules and wording (spec mlruns-format
 * §10, mlflow/utils/validation.py). Where MLflow versions disagree, mlr takes the stricter
 * rule so that what it writes stays readable by all of them: `:` in keys is refused (3.x
 * allows it, 2.12 readers crash on it) and experiment names are capped at 500 characters
 * (3.x's limit). Every refusal is a UsageError (exit 2) naming the offending input.
 *
 * Lengths are counted in code points, as Python's `len(str)` does.
 */
import { parsePyFloat, parsePyInt } from './pyfloat.js';
import { UsageError } from '../errors.js';

const MAX_ENTITY_KEY_LENGTH = 250;
const MAX_PARAM_VAL_LENGTH = 6000;
const MAX_TAG_VAL_LENGTH = 5000;
const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_METRICS_PER_BATCH = 1000;
const MAX_ENTITIES_PER_BATCH = 1000;

const BAD_CHARACTERS_MESSAGE = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';

export type KeyKind = 'parameter' | 'metric' | 'tag';

/** Python `len()` of a str: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Python `s[:n]` on code points. */
export function pySlice(s: string, n: number): string {
  let out = '';
  let k = 0;
  for (const ch of s) {
    if (k++ >= n) break;
    out += ch;
  }
  return out;
}

/** Python's `repr()` of a str (enough for error messages: quotes and common escapes). */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/**
 * One code point of Python's `[/\w.\- ]`, where `\w` on str means letters and numbers of
 * any script plus `_` (combining marks are not word characters).
 */
const KEY_CHAR = /^[\p{L}\p{N}_/.\- ]$/u;

/** Python `re.match(r"^[/\w.\- ]*$", name)`; `$` also accepts one trailing "\n". */
export function hasValidKeyChars(name: string): boolean {
  const body = name.endsWith('\n') ? name.slice(0, -1) : name;
  for (const ch of body) if (!KEY_CHAR.test(ch)) return false;
  return true;
}

/** Python `posixpath.normpath`. */
export function posixNormpath(p: string): string {
  if (p === '') return '.';
  let initialSlashes = p.startsWith('/') ? 1 : 0;
  if (initialSlashes && p.startsWith('//') && !p.startsWith('///')) initialSlashes = 2;
  const comps: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initialSlashes && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..')) {
      comps.push(comp);
    } else if (comps.length > 0) {
      comps.pop();
    }
  }
  const out = '/'.repeat(initialSlashes) + comps.join('/');
  return out || '.';
}

/** MLflow's `path_not_unique`: the name would not map to exactly one file under the run. */
export function pathNotUnique(name: string): boolean {
  const norm = posixNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

/** Refuse a param/metric/tag key MLflow would refuse (characters, then the path rule). */
export function validateKeyName(kind: KeyKind, name: string): void {
  if (!hasValidKeyChars(name)) {
    throw new UsageError(`Invalid ${kind} name: '${name}'. ${BAD_CHARACTERS_MESSAGE}`, 'invalid-key');
  }
  if (pathNotUnique(name)) {
    throw new UsageError(
      `Invalid ${kind} name: '${name}'. Names may be treated as files in certain cases, and must not resolve to ` +
        `other names when treated as such. This name would resolve to '${posixNormpath(name)}'`,
      'invalid-key',
    );
  }
}

/**
 * MLflow's `_validate_length_limit`: the value if short enough; cut to `limit` when
 * `truncate` (calling `warn` with MLflow's warning text); otherwise a UsageError.
 */
export function validateLength(entityName: string, limit: number, value: string, opts: { truncate?: boolean; warn?: (msg: string) => void } = {}): string {
  const len = pyLen(value);
  if (len <= limit) return value;
  if (opts.truncate) {
    opts.warn?.(`${entityName} '${pySlice(value, 100)}...' (${len} characters) is truncated to ${limit} characters to meet the length limit.`);
    return pySlice(value, limit);
  }
  throw new UsageError(`${entityName} '${pySlice(value, 250)}' had length ${len}, which exceeded length limit of ${limit}`, 'too-long');
}

export interface LimitOptions {
  /** MLFLOW_TRUNCATE_LONG_VALUES (default true): cut long values instead of refusing them */
  truncate?: boolean;
  warn?: (msg: string) => void;
}

/** log_param: key rules, key ≤ 250, value ≤ 6000 (truncated by default, as MLflow does). */
export function validateParam(key: string, value: string, opts: LimitOptions = {}): string {
  validateKeyName('parameter', key);
  validateLength('Param key', MAX_ENTITY_KEY_LENGTH, key);
  return validateLength('Param value', MAX_PARAM_VAL_LENGTH, value, { truncate: opts.truncate ?? true, warn: opts.warn });
}

/** A tag logged through log_batch: key rules, key ≤ 250, value ≤ 5000 (truncated by default). */
export function validateBatchTag(key: string, value: string, opts: LimitOptions = {}): string {
  validateKeyName('tag', key);
  validateLength('Tag key', MAX_ENTITY_KEY_LENGTH, key);
  return validateLength('Tag value', MAX_TAG_VAL_LENGTH, value, { truncate: opts.truncate ?? true, warn: opts.warn });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Python `int(text)` as a bigint, or undefined when Python would raise. */
function parsePyIntText(text: string): bigint | undefined {
  const v = parsePyInt(text);
  return v === undefined ? undefined : BigInt(v);
}

export interface MetricInput {
  key: string;
  /** the value as given (a string from argv or JSON, or a number from JSON) */
  value: string | number;
  /** milliseconds; must be a non-negative 64-bit integer */
  timestamp: string | number | bigint;
  step: string | number | bigint;
}

export interface ValidMetric {
  key: string;
  value: number;
  /** as Python's str(int) writes them */
  timestamp: string;
  step: string;
}

function toInt64(v: string | number | bigint): bigint | undefined {
  let b: bigint | undefined;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') b = Number.isInteger(v) ? BigInt(v) : undefined;
  else b = parsePyIntText(v);
  if (b === undefined || b < INT64_MIN || b > INT64_MAX) return undefined;
  return b;
}

/** An int64 field as Python's str(int) writes it, or undefined when it is not one (a safe integer number needs no bigint). */
function int64Text(v: string | number | bigint): { text: string; negative: boolean } | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { text: String(v), negative: v < 0 };
  const b = toInt64(v);
  return b === undefined ? undefined : { text: b.toString(), negative: b < 0n };
}

/**
 * MLflow's `_validate_metric`, tightened where MLflow writes files it cannot read back:
 * timestamp and step must be integers (MLflow accepts 1.5 and then every read fails).
 * `known`: keys that passed already (a batch logs the same few keys hundreds of times); a
 * key that passes here is added.
 */
export function validateMetric(m: MetricInput, known?: Set<string>): ValidMetric {
  const fresh = known === undefined || !known.has(m.key);
  if (fresh) validateKeyName('metric', m.key);
  const value = typeof m.value === 'number' ? m.value : parsePyFloat(m.value);
  if (value === undefined || (typeof m.value === 'string' && m.value.trim() === '')) {
    throw new UsageError(
      `Got invalid value ${m.value} for metric '${m.key}' (timestamp=${m.timestamp}). ` + 'Please specify value as a valid double (64-bit floating point)',
      'invalid-metric',
    );
  }
  const ts = int64Text(m.timestamp);
  if (ts === undefined || ts.negative) {
    throw new UsageError(
      `Got invalid timestamp ${m.timestamp} for metric '${m.key}' (value=${m.value}). ` + 'Timestamp must be a nonnegative long (64-bit integer) ',
      'invalid-metric',
    );
  }
  const step = int64Text(m.step);
  if (step === undefined) {
    throw new UsageError(`Got invalid step ${m.step} for metric '${m.key}' (value=${m.value}). Step must be a valid long (64-bit integer).`, 'invalid-metric');
  }
  if (fresh) {
    validateLength('Metric name', MAX_ENTITY_KEY_LENGTH, m.key);
    known?.add(m.key);
  }
  return { key: m.key, value, timestamp: ts.text, step: step.text };
}

/**
 * Experiment names: non-empty, at most 500 characters (3.x), and no single quote — MLflow's
 * file store builds a filter string from the name and cannot look such an experiment up.
 */
export function validateExperimentName(name: string): void {
  if (name === '') throw new UsageError(`Invalid experiment name: '${name}'`, 'invalid-name');
  if (pyLen(name) > MAX_EXPERIMENT_NAME_LENGTH) {
    throw new UsageError(
      `Invalid experiment name: '${pySlice(name, 60)}…'. Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`,
      'invalid-name',
    );
  }
  if (name.includes("'")) {
    throw new UsageError(`Invalid experiment name: "${name}". MLflow's file store cannot look up names containing a single quote (')`, 'invalid-name');
  }
}

/** Python `re.match(r"^[a-zA-Z0-9][\w\-]{0,N}$")` with Unicode `\w` and `$` before a final "\n". */
function matchesIdRegex(id: string, max: number): boolean {
  const body = id.endsWith('\n') ? id.slice(0, -1) : id;
  return new RegExp(`^[a-zA-Z0-9][\\p{L}\\p{N}_\\-]{0,${max}}$`, 'u').test(body);
}

/** MLflow's `_validate_run_id`. */
export function validateRunId(id: string): void {
  if (!matchesIdRegex(id, 255) || id.endsWith('\n')) throw new UsageError(`Invalid run ID: '${id}'`, 'invalid-id');
}

/** MLflow's `_validate_experiment_id`. */
export function validateExperimentId(id: string): void {
  if (!matchesIdRegex(id, 63) || id.endsWith('\n')) {
    throw new UsageError(`Invalid experiment ID: '${id}'`, 'invalid-id');
  }
}

function batchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw new UsageError(
      `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. ` +
        `Please split up ${entity} across multiple requests and try again.`,
      'batch-limit',
    );
  }
}

/** MLflow's `_validate_batch_log_limits` and `_validate_param_keys_unique`. */
export function validateBatchLimits(metrics: number, params: string[], tags: number): void {
  batchLimit('metrics', MAX_METRICS_PER_BATCH, metrics);
  batchLimit('params', MAX_PARAMS_TAGS_PER_BATCH, params.length);
  batchLimit('tags', MAX_PARAMS_TAGS_PER_BATCH, tags);
  batchLimit('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics + params.length + tags);
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const k of params) {
    if (seen.has(k)) dupes.push(k);
    seen.add(k);
  }
  if (dupes.length) {
    throw new UsageError(
      `Duplicate parameter keys have been submitted: [${dupes.map(pyRepr).join(', ')}]. ` +
        'Please ensure the request contains only one param value per param key.',
      'batch-duplicate',
    );
  }
}
