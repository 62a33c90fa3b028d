/**
 * MLproject files as `mlflow run` reads them (mlflow/projects/_project_spec.py): parse and
 * validate the YAML, pick the entry point, resolve parameters and build the shell command.
 * Pure functions: text and values in, data out. The file system is reached only through the
 * `exists` callback that path parameters need.
 *
 * Where MLflow crashes with a Python traceback on a malformed file (a parameter that is
 * not a mapping, an entry point without a command, `{x}` naming no parameter), mlr says
 * what is wrong and on which line.
 */
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, Scalar, type Node, type YAMLMap } from 'yaml';
import { MlrError, NotFoundError, UsageError } from '../errors.js';
import { formatPyFloat } from '../store/pyfloat.js';
import type { KeyValue } from '../store/types.js';
import { pyRepr, validateParam } from '../store/validate.js';
import { resolvePlain } from '../store/file/yaml.js';

/** The parameter types MLflow documents; others are accepted (as MLflow does) with a warning. */
const PARAM_TYPES = ['string', 'str', 'float', 'int', 'path', 'uri'] as const;

/** The environment fields of an MLproject file (MLflow's env_type.ALL). */
const ENV_FIELDS = ['conda_env', 'python_env', 'docker_env'] as const;
type EnvField = (typeof ENV_FIELDS)[number];

interface ParameterSpec {
  name: string;
  type: string;
  /** Python's str() of the YAML default; undefined when there is none (the parameter is required) */
  default?: string;
  line: number;
}

export interface EntryPointSpec {
  name: string;
  parameters: ParameterSpec[];
  /** the command template (Python str.format syntax: {name}, {{ and }}) */
  command: string;
  /** line of the entry point in the MLproject file; undefined for a .py/.sh file run as one */
  line?: number;
}

export interface MLproject {
  /** the project's `name:`, if any */
  name?: string;
  /** the MLproject file name ('MLproject', 'mlproject', …), undefined when there is none */
  file?: string;
  entryPoints: EntryPointSpec[];
  /** the environment the file declares (mlr does not build it) */
  env?: { field: EnvField; value: string; line: number };
  /** things MLflow accepts but that look like mistakes, one line each */
  warnings: string[];
}

/** A malformed MLproject file: exit 1, with `file:line: message`. */
class MLprojectError extends MlrError {
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`, 'bad-mlproject', 1);
  }
}

/** MLflow's _find_mlproject: the file named MLproject in any case, among a folder's entries. */
export function findMLprojectFile(names: readonly string[]): string | undefined {
  const hits = names.filter((n) => n.toLowerCase() === 'mlproject');
  if (hits.length > 1) {
    // MLflow takes whichever os.listdir() returns first
    throw new UsageError(`the project has ${hits.length} MLproject files (${hits.join(', ')}); keep one`, 'two-mlprojects');
  }
  return hits[0];
}

// ------------------------------------------------------------------ Python's str()

const TIMESTAMP_RE =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;
const DATE_ONLY_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

const pad2 = (n: number | string): string => String(n).padStart(2, '0');

/** str() of what PyYAML builds for a timestamp (datetime.date or datetime.datetime). */
function pyTimestamp(text: string): string | undefined {
  const m = TIMESTAMP_RE.exec(text);
  if (!m || (m[4] === undefined && !DATE_ONLY_RE.test(text))) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz, sign, tzh, tzm] = m;
  const date = `${y}-${pad2(mo!)}-${pad2(d!)}`;
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (h === undefined) return date;
  let out = `${date} ${pad2(h)}:${mi}:${s}`;
  const micro = (frac ?? '').slice(0, 6).padEnd(6, '0');
  if (frac && Number(micro) !== 0) out += `.${micro}`;
  if (sign) out += `${sign}${pad2(tzh!)}:${tzm ?? '00'}`;
  else if (tz) out += '+00:00';
  return out;
}

type PyValue = null | boolean | number | bigint | string | { float: number } | PyValue[] | Map<string, PyValue>;

/** The Python value PyYAML's safe_load builds for a node (ints and floats kept apart). */
function pyValue(node: Node | null | undefined, where: () => string): PyValue {
  if (node == null) return null;
  if (isScalar(node)) {
    const text = node.value == null ? '' : String(node.value);
    if (node.type !== Scalar.PLAIN) return text;
    const ts = pyTimestamp(text);
    if (ts !== undefined) return ts;
    const v = resolvePlain(text);
    // PyYAML's float patterns all contain a '.', its int patterns never do
    if (typeof v === 'number' && text.includes('.')) return { float: v };
    return v as PyValue;
  }
  if (isSeq(node)) return node.items.map((n) => pyValue(n as Node, where));
  if (isMap(node)) {
    const m = new Map<string, PyValue>();
    for (const p of node.items) m.set(pyStr(pyValue(p.key as Node, where)), pyValue(p.value as Node, where));
    return m;
  }
  throw new UsageError(`${where()}: unsupported YAML value`, 'bad-mlproject');
}

function pyReprValue(v: PyValue): string {
  if (typeof v === 'string') return pyRepr(v);
  return pyStr(v);
}

/** Python's str() of a value (what MLflow's _sanitize_param_dict applies before quoting). */
function pyStr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(pyReprValue).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyRepr(k)}: ${pyReprValue(x)}`).join(', ')}}`;
  return formatPyFloat(v.float);
}

// ------------------------------------------------------------------ parsing

/** The first error of a parsed YAML document as a line number and one line of text (no code frame). */
export function firstYamlError(doc: {
  errors: readonly { message: string; linePos?: [{ line: number }, ...unknown[]] }[];
}): { line?: number; message: string } | undefined {
  const err = doc.errors[0];
  if (!err) return undefined;
  const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return { ...(err.linePos ? { line: err.linePos[0].line } : {}), message };
}

type Fields = Map<string, { key: Node; value: Node | null }>;

const isBlank = (n: Node | null | undefined): boolean => n == null || (isScalar(n) && (n.value == null || n.value === ''));

/**
 * Parse an MLproject file with PyYAML's rules and check its structure. Throws MLprojectError
 * (`file:line: what is wrong`) for what MLflow refuses or crashes on; collects in `warnings`
 * what MLflow accepts but is probably a mistake (an unknown parameter type).
 */
export function parseMLproject(text: string, file = 'MLproject'): MLproject {
  const lc = new LineCounter();
  const doc = parseDocument(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, {
    schema: 'failsafe',
    version: '1.1',
    uniqueKeys: false,
    lineCounter: lc,
  });
  const err = firstYamlError(doc);
  if (err) throw new MLprojectError(file, err.line, `not valid YAML: ${err.message}`);
  const lineOf = (n: Node | null | undefined): number | undefined => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  const bad = (n: Node | null | undefined, message: string): MLprojectError => new MLprojectError(file, lineOf(n), message);
  const str = (n: Node | null | undefined, where: string): string => pyStr(pyValue(n, () => `${file}:${lineOf(n)}: ${where}`));
  const fieldsOf = (map: YAMLMap, where: string): Fields => {
    const out: Fields = new Map();
    for (const p of map.items) out.set(str(p.key as Node, where), { key: p.key as Node, value: (p.value ?? null) as Node | null });
    return out;
  };

  const root = doc.contents as Node | null;
  const project: MLproject = { file, entryPoints: [], warnings: [] };
  // an empty file is an empty project (MLflow crashes on it)
  if (isBlank(root)) return project;
  if (!isMap(root)) throw bad(root, 'the file must be a mapping (name:, entry_points:, …)');
  const top = fieldsOf(root, 'top level');

  const name = top.get('name');
  if (!isBlank(name?.value)) project.name = str(name!.value, 'name');

  const envs = ENV_FIELDS.filter((f) => top.has(f));
  if (envs.length > 1) {
    // MLflow's words
    throw bad(top.get(envs[1]!)!.key, `Project cannot contain multiple environment fields: {${envs.map((e) => `'${e}'`).join(', ')}}`);
  }
  const field = envs[0];
  if (field !== undefined) {
    const { key, value } = top.get(field)!;
    if (field === 'docker_env') {
      const image = isMap(value) ? fieldsOf(value, field).get('image')?.value : undefined;
      if (isBlank(image)) {
        throw bad(key, 'Project configuration (MLproject file) was invalid: Docker environment specified but no image attribute found.');
      }
      project.env = { field, value: str(image, 'image'), line: lineOf(key)! };
    } else if (!isBlank(value)) {
      if (!isScalar(value)) throw bad(value, `${field} must be the name of a file in the project`);
      project.env = { field, value: str(value, field), line: lineOf(key)! };
    }
  }

  const eps = top.get('entry_points');
  if (eps === undefined) return project;
  if (isBlank(eps.value)) throw bad(eps.key, 'entry_points is empty: give each entry point a command');
  if (!isMap(eps.value)) throw bad(eps.value, 'entry_points must be a mapping of entry point names to {parameters, command}');
  for (const p of eps.value.items) {
    const keyNode = p.key as Node;
    const epName = str(keyNode, 'entry point name');
    const body = (p.value ?? null) as Node | null;
    const where = `entry point '${epName}'`;
    if (!isMap(body)) throw bad(body ?? keyNode, `${where} must be a mapping with a command (and optional parameters)`);
    const fields = fieldsOf(body, where);
    const command = fields.get('command');
    if (!command || isBlank(command.value)) throw bad(command?.key ?? keyNode, `${where} has no command`);
    const cmd = command.value;
    if (!isScalar(cmd) || (cmd.type === Scalar.PLAIN && typeof resolvePlain(String(cmd.value)) !== 'string')) {
      throw bad(cmd, `${where}: command must be a string`);
    }
    const parameters: ParameterSpec[] = [];
    const params = fields.get('parameters');
    if (params && !isBlank(params.value)) {
      if (!isMap(params.value)) throw bad(params.value, `${where}: parameters must be a mapping of names to a type or {type, default}`);
      for (const [pname, { key, value }] of fieldsOf(params.value, where)) {
        const here = `${where}, parameter '${pname}'`;
        const line = lineOf(key)!;
        let type = 'string';
        let dflt: string | undefined;
        if (isScalar(value) && !isBlank(value)) {
          // `name: float` is a type and no default: a required parameter
          type = String(value.value);
        } else if (isMap(value)) {
          const f = fieldsOf(value, here);
          const t = f.get('type');
          if (t !== undefined) {
            if (!isScalar(t.value) || isBlank(t.value)) throw bad(t.value ?? t.key, `${here}: type must be a name (${PARAM_TYPES.join(', ')})`);
            type = String(t.value.value);
          }
          const d = f.get('default');
          const py = d ? pyValue(d.value, () => `${file}:${lineOf(d.key)}: ${here}`) : null;
          // PyYAML's None is "no default": the parameter is required
          if (py !== null) dflt = pyStr(py);
        } else {
          throw bad(value ?? key, `${here} must be a type name or {type: …, default: …}`);
        }
        if (!(PARAM_TYPES as readonly string[]).includes(type)) {
          project.warnings.push(`${file}:${line}: ${here} has type '${type}', which MLflow does not know; it is passed as a string`);
        }
        parameters.push({ name: pname, type, ...(dflt !== undefined ? { default: dflt } : {}), line });
      }
    }
    project.entryPoints.push({ name: epName, parameters, command: String(cmd.value), line: lineOf(keyNode)! });
  }
  return project;
}

// ------------------------------------------------------------------ entry points

/**
 * MLflow's Project.get_entry_point: a declared entry point, else a `.py` file (run with
 * `python`) or `.sh` file (run with $SHELL, else bash) taken as one with no parameters.
 */
export function selectEntryPoint(project: MLproject, name: string, shell: string | undefined): EntryPointSpec {
  const found = project.entryPoints.find((e) => e.name === name);
  if (found) return found;
  const ext = path.extname(name);
  if (ext === '.py' || ext === '.sh') {
    const runner = ext === '.py' ? 'python' : shell || 'bash';
    return { name, parameters: [], command: `${runner} ${shellQuote(name)}` };
  }
  const have = project.entryPoints.map((e) => e.name);
  const where = project.file ?? 'the project folder (it has no MLproject file)';
  throw new NotFoundError(
    `entry point '${name}' not found in ${where}` +
      (have.length > 0 ? `: it has ${have.join(', ')}` : '') +
      ' (a .py or .sh file in the project can be run as an entry point too)',
    'entry-point-not-found',
  );
}

// ------------------------------------------------------------------ parameters

/** Python's shlex.quote: what MLflow applies to every parameter value. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** The scheme Python's urllib.parse.urlparse finds ('' for none). */
export function urlScheme(s: string): string {
  const i = s.indexOf(':');
  if (i <= 0 || !/^[A-Za-z]$/.test(s[0]!)) return '';
  const head = s.slice(0, i);
  return /^[A-Za-z0-9+.-]+$/.test(head) ? head.toLowerCase() : '';
}

/** Python's urllib.parse.unquote (invalid escapes are kept as they are). */
function pyUnquote(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Uint8Array.from(run.match(/%../g)!.map((h) => parseInt(h.slice(1), 16)));
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  });
}

/** MLflow's get_local_path_or_none: the local path of a plain path or file: URI without host, else undefined. */
export function localPathOf(value: string): string | undefined {
  const scheme = urlScheme(value);
  if (scheme === '') return pyUnquote(value);
  if (scheme !== 'file') return undefined;
  let rest = value.slice(5).split(/[?#]/)[0]!;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '') return undefined;
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  return pyUnquote(rest);
}

export interface ResolveOptions {
  /** -P values in the order given */
  given: readonly KeyValue[];
  /** the project folder (absolute): relative `path` defaults are resolved against it */
  projectDir: string;
  /** the invoking folder (absolute): relative `path` values given with -P are resolved against it */
  cwd: string;
  /** true when the path exists */
  exists: (p: string) => boolean;
}

export interface ResolvedEntryPoint {
  /** what the run logs: declared parameters (defaults included) then undeclared ones, shell-quoted */
  params: KeyValue[];
  /** the shell command, run with `bash -c` in the project folder */
  command: string;
}

/**
 * MLflow's compute_parameters + compute_command, with every check made before anything is
 * created: a missing required parameter (UsageError naming it), a `uri` without a scheme,
 * a `path` that does not exist or is remote (MLflow checks these only after it has created
 * the run, and leaves it RUNNING).
 *
 * Params are logged as MLflow logs them: the value given or the default, shell-quoted; a
 * `path` is made absolute only in the command (MLflow logs "the actual path", not the
 * resolved one).
 */
export function resolveEntryPoint(entry: EntryPointSpec, opts: ResolveOptions): ResolvedEntryPoint {
  const given = new Map<string, string>();
  for (const p of opts.given) {
    if (given.has(p.key)) throw new UsageError(`Repeated parameter: '${p.key}'`, 'param-repeated');
    given.set(p.key, p.value);
  }
  const missing = entry.parameters.filter((p) => !given.has(p.name) && p.default === undefined).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    const eg = entry.parameters.find((p) => `'${p.name}'` === missing[0])!.name;
    throw new UsageError(`No value given for missing parameters: ${missing.join(', ')} (give them with -P ${eg}=<value>)`, 'param-missing');
  }
  const logged: KeyValue[] = [];
  const substituted = new Map<string, string>();
  for (const p of entry.parameters) {
    const fromUser = given.has(p.name);
    const value = fromUser ? given.get(p.name)! : p.default!;
    let inCommand = value;
    if (p.type === 'uri' && urlScheme(value) === '') {
      throw new UsageError(`Expected URI for parameter ${p.name} but got ${value}`, 'param-not-uri');
    }
    if (p.type === 'path') {
      const local = localPathOf(value);
      if (local === undefined) {
        throw new UsageError(
          `parameter ${p.name} is a path, and mlr does not download '${value}': give a local path (MLflow would download it)`,
          'param-remote-path',
        );
      }
      // a default is relative to the project; a -P value to where mlr was started
      const abs = path.resolve(fromUser ? opts.cwd : opts.projectDir, local);
      if (local === '' || !opts.exists(abs)) {
        throw new NotFoundError(`Got value ${value} for parameter ${p.name}, but no such file or directory was found.`, 'param-path-missing');
      }
      inCommand = abs;
    }
    logged.push({ key: p.name, value: shellQuote(value) });
    substituted.set(p.name, shellQuote(inCommand));
  }
  const extras: KeyValue[] = [];
  for (const [key, value] of given) {
    if (!substituted.has(key)) extras.push({ key, value: shellQuote(value) });
  }
  for (const p of [...logged, ...extras]) validateParam(p.key, p.value);
  const command = [formatCommand(entry.command, substituted, entry.name), ...extras.map((e) => `--${e.key} ${e.value}`)].join(' ');
  return { params: [...logged, ...extras], command };
}

/**
 * Python's `str.format(**values)` for command templates: `{name}` is replaced, `{{` and `}}`
 * are literal braces. What MLflow would crash on (an unknown name, a lone `}`, `{0}`,
 * attribute or index access, a format spec) is a UsageError naming the entry point.
 */
export function formatCommand(template: string, values: ReadonlyMap<string, string>, entryName: string): string {
  const bad = (why: string): never => {
    throw new UsageError(`the command of entry point '${entryName}' ${why}`, 'bad-command-template');
  };
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '}') {
      if (template[i + 1] !== '}') bad("has a single '}' (write '}}' for a literal brace)");
      out += '}';
      i++;
      continue;
    }
    if (c !== '{') {
      out += c;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i++;
      continue;
    }
    const end = template.indexOf('}', i);
    if (end < 0) bad("has a '{' that is not closed (write '{{' for a literal brace)");
    const field = template.slice(i + 1, end);
    const m = /^([^!:]*)(?:!([sra]))?$/.exec(field);
    if (!m) bad(`uses {${field}}: only {name} is supported`);
    const name = m![1]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) bad(`uses {${field}}: only {name} is supported`);
    const v = values.get(name);
    if (v === undefined) bad(`uses {${name}}, which is not one of its parameters${values.size ? ` (${[...values.keys()].join(', ')})` : ''}`);
    out += m![2] === 'r' || m![2] === 'a' ? pyRepr(v!) : v!;
    i = end;
  }
  return out;
}
