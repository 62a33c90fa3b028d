/**
 * Shared test helpers: run the BUILT CLI as a child process, copy fixture stores into
 * temporary folders, and find ../shared when it exists.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin', 'mlr.js');
export const FIXTURE = path.join(REPO, 'fixtures', 'mlruns');
/** ../shared beside the repo (conformance data, third-party corpus); may be absent */
export const SHARED = path.resolve(REPO, '..', 'shared');
export const HAS_SHARED = fs.existsSync(path.join(SHARED, 'corpus', 'real'));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `mlr args…` with a clean environment (no colour, no store variables, pinned clock). */
export function mlr(args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string } = {}): CliResult {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('MLFLOW_') || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k === 'MLR_FORCE_TTY' || k === 'COLUMNS') continue;
    env[k] = v;
  }
  env['MLR_NOW'] = '1795400000000';
  Object.assign(env, opts.env ?? {});
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env,
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh writable copy of a store in a temp folder; returns its path. */
export function copyStore(src = FIXTURE): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-test-'));
  const dst = path.join(dir, 'mlruns');
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

/** Write a small tree given as { 'a/b.txt': 'content' } under a fresh temp folder. */
export function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-tree-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** Every file below `dir` as relative path → content (for whole-tree comparisons). */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}
