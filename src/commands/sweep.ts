/**
 * Sweeps: a grid of parameter values (`--sweep lr=0.1,0.01`, or a sweep file) expanded into
 * one combination per child run, and the pool that runs at most N of them at a time.
 * Pure except for runPool, which only schedules the promises it is given.
 *
 * Sweep file (YAML): a mapping with `grid:` (param → list of values; every combination is
 * run) and/or `runs:` (a list of explicit combinations, each run as written). A bare
 * mapping of param → list is a grid; a bare list is a list of runs. Values are taken as
 * written (`1e-3` stays `1e-3`, `0.10` stays `0.10`).
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, Scalar, type Node } from 'yaml';
import { UsageError } from '../errors.js';
import type { KeyValue } from '../store/types.js';
import { firstYamlError } from './mlproject.js';

/** The most combinations one sweep may have. */
const MAX_SWEEP_RUNS = 10_000;

export interface SweepAxis {
  key: string;
  values: string[];
}

export interface SweepSpec {
  /** every combination of these values is run (in order: the last axis varies fastest) */
  axes: SweepAxis[];
  /** explicit combinations, run after the grid's */
  runs: KeyValue[][];
}

/** `--sweep key=v1,v2,…` → an axis. */
export function parseSweepFlag(s: string): SweepAxis {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`expected --sweep key=value1,value2,…, got '${s}'`, 'bad-sweep');
  const key = s.slice(0, i);
  const values = s.slice(i + 1).split(',');
  if (values.some((v) => v === ''))
    throw new UsageError(`--sweep ${key}: empty value in '${s.slice(i + 1)}' (a value with a comma needs a --sweep-file)`, 'bad-sweep');
  return { key, values };
}

/** A sweep file's text → its grid and runs; errors name the file and line. */
export function parseSweepFile(text: string, file: string): SweepSpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', version: '1.1', uniqueKeys: true, lineCounter: lc });
  const bad = (n: Node | null | undefined, message: string): UsageError => {
    const line = n?.range ? `:${lc.linePos(n.range[0]).line}` : '';
    return new UsageError(`${file}${line}: ${message}`, 'bad-sweep-file');
  };
  const err = firstYamlError(doc);
  if (err) throw new UsageError(`${file}:${err.line ?? 1}: not valid YAML: ${err.message}`, 'bad-sweep-file');
  const root = doc.contents as Node | null;
  const scalar = (n: unknown, where: string): string => {
    const node = n as Node | null;
    if (!isScalar(node) || node.value == null || String(node.value) === '') throw bad(node, `${where}: expected a value (a number or a string)`);
    // a plain scalar as written: `1e-3` and `0.10` are passed on unchanged
    return node.type === Scalar.PLAIN && node.srcToken && 'source' in node.srcToken ? node.srcToken.source : String(node.value);
  };
  const spec: SweepSpec = { axes: [], runs: [] };
  const readGrid = (n: Node | null): void => {
    if (!isMap(n)) throw bad(n, 'grid: expected a mapping of param → list of values');
    for (const p of n.items) {
      const key = scalar(p.key, 'grid');
      const v = p.value as Node | null;
      const values = isSeq(v) ? v.items.map((x) => scalar(x, `grid ${key}`)) : [scalar(v, `grid ${key}`)];
      if (values.length === 0) throw bad(v, `grid ${key}: the list of values is empty`);
      spec.axes.push({ key, values });
    }
  };
  const readRuns = (n: Node | null): void => {
    if (!isSeq(n)) throw bad(n, 'runs: expected a list of {param: value, …}');
    for (const item of n.items as (Node | null)[]) {
      if (!isMap(item) || item.items.length === 0) throw bad(item, 'runs: each entry must be a mapping {param: value, …}');
      spec.runs.push(item.items.map((p) => ({ key: scalar(p.key, 'runs'), value: scalar(p.value, 'runs') })));
    }
  };
  if (isSeq(root)) readRuns(root);
  else if (isMap(root)) {
    const keys = root.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
    if (keys.length > 0 && keys.every((k) => k === 'grid' || k === 'runs')) {
      for (const p of root.items) ((p.key as { value: unknown }).value === 'grid' ? readGrid : readRuns)(p.value as Node | null);
    } else readGrid(root);
  } else throw bad(root, 'expected grid: and/or runs: (see mlr run --help)');
  return spec;
}

/** The grid of flags and file together; an axis given twice is an error. */
export function combineSweeps(flags: SweepAxis[], file: SweepSpec | undefined): SweepSpec {
  const axes = [...(file?.axes ?? []), ...flags];
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new UsageError(`sweep parameter '${a.key}' is given twice`, 'sweep-twice');
    seen.add(a.key);
  }
  return { axes, runs: file?.runs ?? [] };
}

/** Every combination: the grid's cartesian product (last axis fastest), then the explicit runs. */
export function expandSweep(spec: SweepSpec): KeyValue[][] {
  const gridSize = spec.axes.length === 0 ? 0 : spec.axes.reduce((n, a) => n * a.values.length, 1);
  const total = gridSize + spec.runs.length;
  if (total === 0) throw new UsageError('the sweep has no runs', 'empty-sweep');
  if (total > MAX_SWEEP_RUNS) throw new UsageError(`the sweep has ${total} runs; at most ${MAX_SWEEP_RUNS} are allowed`, 'sweep-too-big');
  const out: KeyValue[][] = [];
  for (let i = 0; i < gridSize; i++) {
    const combo: KeyValue[] = [];
    let rest = i;
    for (let a = spec.axes.length - 1; a >= 0; a--) {
      const axis = spec.axes[a]!;
      combo.unshift({ key: axis.key, value: axis.values[rest % axis.values.length]! });
      rest = Math.floor(rest / axis.values.length);
    }
    out.push(combo);
  }
  for (const r of spec.runs) {
    const keys = new Set<string>();
    for (const kv of r) {
      if (keys.has(kv.key)) throw new UsageError(`a sweep run gives '${kv.key}' twice`, 'sweep-twice');
      keys.add(kv.key);
    }
    out.push(r);
  }
  return out;
}

/** A child run's name: its combination, `lr=0.1,bs=16`. */
export function comboName(combo: readonly KeyValue[]): string {
  return combo.map((c) => `${c.key}=${c.value}`).join(',');
}

/** `{key}` in each argument replaced by the combination's value (other braces are left alone). */
export function substituteArgs(argv: readonly string[], combo: readonly KeyValue[]): string[] {
  const values = new Map(combo.map((c) => [c.key, c.value]));
  return argv.map((a) => a.replace(/\{([^{}]+)\}/g, (m, k: string) => values.get(k) ?? m));
}

/** Sweep keys that appear as `{key}` in no argument (their runs would all be alike). */
export function unusedSweepKeys(argv: readonly string[], keys: Iterable<string>): string[] {
  return [...keys].filter((k) => !argv.some((a) => a.includes(`{${k}}`)));
}

/**
 * Run `start(0…count-1)` with at most `limit` running at once, in order. Once `stopped()`
 * is true no new task starts. Resolves when every started task has settled: entry i is
 * `{ value }` for a started task, undefined for one never started. `start` must not reject.
 */
export async function runPool<T>(
  count: number,
  limit: number,
  start: (i: number) => Promise<T>,
  stopped: () => boolean,
): Promise<({ value: T } | undefined)[]> {
  const results: ({ value: T } | undefined)[] = new Array<{ value: T } | undefined>(count).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !stopped()) {
      const i = next++;
      results[i] = { value: await start(i) };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
  return results;
}
