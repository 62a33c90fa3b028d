/**
 * Test helpers for the write side: a YAML 1.1 reader that keeps what dumpYaml needs to
 * reproduce a file (ints vs floats), paths to shared data, and a PyYAML oracle probe.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, isMap, isSeq, isScalar, Scalar, type Node } from 'yaml';
import { PyFloat, type DumpValue } from '../../src/store/file/yaml-dump.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared next to the repo (a worktree under /work/wt/<name> finds it one level higher). */
export const SHARED =
  [path.resolve(REPO, '../shared'), path.resolve(REPO, '../../shared')].find((p) => existsSync(path.join(p, 'conformance'))) ?? path.resolve(REPO, '../shared');
export const HAVE_SHARED = existsSync(SHARED);

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const DEC = /^[-+]?(?:0|[1-9][0-9]*)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function plain(s: string): DumpValue {
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return ['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].includes(s);
  if (INT.test(s)) {
    if (!DEC.test(s)) throw new Error(`test parser: non-decimal int ${s}`);
    const b = BigInt(s);
    return Number.isSafeInteger(Number(b)) ? Number(b) : b;
  }
  if (FLOAT.test(s)) {
    const t = s.replace(/_/g, '').toLowerCase();
    if (t.endsWith('.nan')) return new PyFloat(NaN);
    if (t.endsWith('.inf')) return new PyFloat(t.startsWith('-') ? -Infinity : Infinity);
    return new PyFloat(Number(t));
  }
  return s;
}

function convert(node: Node | null | undefined): DumpValue {
  if (node == null) return null;
  if (isScalar(node)) {
    const s = node.value == null ? '' : String(node.value);
    return node.type === Scalar.PLAIN ? plain(s) : s;
  }
  if (isMap(node)) {
    const out: Record<string, DumpValue> = {};
    for (const pair of node.items) out[String(convert(pair.key as Node))] = convert(pair.value as Node);
    return out;
  }
  if (isSeq(node)) return node.items.map((n) => convert(n as Node));
  throw new Error('test parser: unsupported node');
}

/** Parse YAML with PyYAML's 1.1 resolution; integral floats come back as PyFloat. */
export function parse11(text: string): DumpValue {
  const doc = parseDocument(text, { schema: 'failsafe', version: '1.1', uniqueKeys: false });
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  return convert(doc.contents as Node);
}

/** Every file named one of `names` below `dir`. */
export function findFiles(dir: string, names: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (names.includes(e)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const ORACLE = path.join(REPO, 'test/writes/oracle/pyyaml_dump.py');

/** True when python3 with a libyaml-backed PyYAML is on PATH (used for differential tests). */
export function haveOracle(): boolean {
  try {
    execFileSync('python3', ['-c', 'import yaml,sys; sys.exit(0 if yaml.__with_libyaml__ else 1)'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function toOracleJson(v: DumpValue): unknown {
  if (v instanceof PyFloat) return { __float__: String(v.value) };
  if (typeof v === 'number' && !Number.isInteger(v)) return { __float__: String(v) };
  if (typeof v === 'bigint') throw new Error('oracle: bigint not supported');
  if (Array.isArray(v)) return v.map(toOracleJson);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toOracleJson(x as DumpValue)]));
  }
  return v;
}

/** What PyYAML (CSafeDumper) writes for each value. */
export function oracleDump(values: DumpValue[]): string[] {
  const out = execFileSync('python3', [ORACLE], {
    input: JSON.stringify(values.map(toOracleJson)),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString()) as string[];
}

/** A small deterministic PRNG (LCG) so generated cases are the same on every run. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
