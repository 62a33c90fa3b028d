/**
 * Helpers for the models/artifacts/housekeeping tests: whole-tree snapshots (folders
 * included) to prove a refusal changed nothing or an operation changed exactly what it
 * said, and the shared data folder wherever the worktree sits.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, mlr, type CliResult } from '../helpers.js';

/** ../shared next to the repo, or two levels up for a worktree under /work/wt/<name>. */
const SHARED =
  [path.resolve(REPO, '../shared'), path.resolve(REPO, '../../shared')].find((p) => fs.existsSync(path.join(p, 'corpus', 'real'))) ??
  path.resolve(REPO, '../shared');
export const HAS_CORPUS = fs.existsSync(path.join(SHARED, 'corpus', 'real'));
export const CORPUS = path.join(SHARED, 'corpus', 'real');

/** relative path → 'dir' | sha256 of the bytes, for every entry below `dir` (sorted). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else out.set(rel, createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): TreeDiff {
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed = [...a.keys()].filter((k) => b.has(k) && a.get(k) !== b.get(k)).sort();
  return { added, removed, changed };
}

/** Run mlr against a store: `m(store)('models', 'ls')`. */
export function on(store: string, env: Record<string, string> = {}): (...args: string[]) => Promise<CliResult> {
  return (...args: string[]) => mlr(['--store', store, ...args], { env });
}

/** Replace 13-digit millisecond timestamps (normalise MLflow vs mlr write times). */
export function normTimes(s: string): string {
  return s.replace(/\b\d{13}\b/g, '<ms>');
}

/** Every file below `dir` as "== rel\n<content>" blocks, sorted (for golden comparisons). */
export function dumpFiles(dir: string): string {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return files
    .sort()
    .map((f) => `== ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8')}`)
    .join('\n');
}

/** Every folder below `dir` (relative), sorted: the registry also has empty ones (tags/). */
export function listDirs(dir: string): string[] {
  return [...snapshot(dir).entries()]
    .filter(([, v]) => v === 'dir')
    .map(([k]) => k)
    .sort();
}
