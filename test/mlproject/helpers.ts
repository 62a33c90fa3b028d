/**
 * Helpers for the MLproject tests: a fresh copy of fixtures/mlproject/proj committed to a
 * new git repository (the golden runs were recorded from such a checkout), and readers for
 * the runs a store holds.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers.js';

export const GOLDEN_DIR = path.join(REPO, 'fixtures', 'mlproject');
export const GOLDEN_STORE = path.join(GOLDEN_DIR, 'mlruns');
/** the folder the golden runs were recorded in (it held proj/ and mlruns/) */
export const GOLDEN_WORK = '/home/ana/mlproj';

/** git with a fixed identity and no user or system config. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=mlr-test', '-c', 'user.email=mlr@test', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim();
}

export interface Work {
  /** the folder mlr runs in (holds proj/ and, once written, mlruns/) */
  dir: string;
  proj: string;
  store: string;
  /** HEAD of proj's repository, when it is one */
  commit?: string;
}

/** A temp folder holding a copy of the golden project, committed to git unless `git: false`. */
export function makeWork(opts: { git?: boolean; files?: Record<string, string> } = {}): Work {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-mlproject-'));
  const proj = path.join(dir, 'proj');
  fs.cpSync(path.join(GOLDEN_DIR, 'proj'), proj, { recursive: true });
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(proj, rel)), { recursive: true });
    fs.writeFileSync(path.join(proj, rel), text);
  }
  const work: Work = { dir, proj, store: path.join(dir, 'mlruns') };
  if (opts.git !== false) {
    git(proj, 'init', '-q');
    git(proj, 'add', '.');
    git(proj, 'commit', '-qm', 'project');
    work.commit = git(proj, 'rev-parse', 'HEAD');
  }
  return work;
}

export interface StoredRun {
  exp: string;
  id: string;
  dir: string;
  meta: string;
  params: Record<string, string>;
  tags: Record<string, string>;
}

function readKeyFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const p = path.join(f.parentPath, f.name);
    out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

/** Every run of a store, read straight from its files. */
export function storedRuns(store: string): StoredRun[] {
  const out: StoredRun[] = [];
  if (!fs.existsSync(store)) return out;
  for (const exp of fs.readdirSync(store)) {
    const expDir = path.join(store, exp);
    if (exp.startsWith('.') || !fs.statSync(expDir).isDirectory()) continue;
    for (const id of fs.readdirSync(expDir)) {
      const dir = path.join(expDir, id);
      if (!fs.statSync(dir).isDirectory()) continue;
      out.push({
        exp,
        id,
        dir,
        meta: fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'),
        params: readKeyFiles(path.join(dir, 'params')),
        tags: readKeyFiles(path.join(dir, 'tags')),
      });
    }
  }
  return out;
}

/** The run ids in mlr's stderr lines `mlr: run <id> (<name>) in experiment …`, in order. */
export function startedRuns(stderr: string): string[] {
  return [...stderr.matchAll(/^mlr: run ([0-9a-f]{32}) \(/gm)].map((m) => m[1]!);
}

export const metaField = (meta: string, key: string): string | undefined => new RegExp(`^${key}: (.*)$`, 'm').exec(meta)?.[1];
