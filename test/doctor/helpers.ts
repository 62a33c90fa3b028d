/**
 * Helpers for the doctor tests: a healthy writable store (the MLflow-written fixture, with its
 * artifact locations pointing where the copy now lives), whole-tree snapshots, the user data
 * that must survive a repair, and the invariants every repair must keep.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { copyStore, mlr, type CliResult } from '../helpers.js';
import { onFileFinished } from '../file-cleanup.js';
import { encodePathForUri } from '../../src/store/root.js';
import { diagnose, publicFinding } from '../../src/doctor/diagnose.js';

const OLD_ROOT = 'file:///home/ana/cv-project/mlruns';
export const SWEEP = '234684999513866976';
export const NLP = '146381941577740080';
export const TRASHED = '577419433840892238';

/** A file or folder in a snapshot: its bytes as latin1 (every byte kept), or null for a folder. */
export type Tree = Map<string, string | null>;

/** Every file and folder below `dir` (relative paths, `/`-separated). */
export function snapshot(dir: string): Tree {
  const out: Tree = new Map();
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.set(r + '/', null);
        walk(p, r);
      } else out.set(r, fs.readFileSync(p, 'latin1'));
    }
  };
  walk(dir, '');
  return out;
}

/** Rewrite every `artifact_location`/`artifact_uri` of the fixture copy to where it now lives (or to `to`). */
export function relocate(store: string, from = OLD_ROOT, to = 'file://' + encodePathForUri(store)): void {
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== 'models') visit(p);
      else if (e.name === 'meta.yaml') {
        const t = fs.readFileSync(p, 'utf8');
        if (t.includes(from)) fs.writeFileSync(p, t.split(from).join(to));
      }
    }
  };
  visit(store);
}

/** A writable copy of the MLflow-written fixture store that `mlr doctor` finds clean. */
export function healthyStore(): string {
  const store = copyStore();
  relocate(store);
  return store;
}

export function doctor(store: string, ...args: string[]): Promise<CliResult> {
  return mlr(['--store', store, 'doctor', ...args]);
}

/** The codes of a `--format json` report, sorted. */
export async function codes(store: string, exit?: number): Promise<string[]> {
  const r = await doctor(store, '--format', 'json');
  expect(r.stderr).toBe('');
  if (exit !== undefined) expect(r.code, r.stdout).toBe(exit);
  return (JSON.parse(r.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code).sort();
}

export interface Report {
  code: number;
  findings: { code: string; severity: string; path: string; message: string; fix?: string; command?: string; paths?: string[] }[];
}

export async function report(store: string): Promise<Report> {
  const r = await doctor(store, '--format', 'json');
  expect(r.stderr).toBe('');
  return { code: r.code, findings: (JSON.parse(r.stdout) as Report).findings };
}

/** Run folders on disk, found without mlr: `<exp>/<run>/` holding meta.yaml, params, metrics or tags. */
export function runFolders(store: string): string[] {
  const out: string[] = [];
  const exps = (d: string): string[] =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d, { withFileTypes: true })
          .filter((e) => e.isDirectory() && e.name !== '.trash' && e.name !== 'models')
          .map((e) => path.join(d, e.name))
      : [];
  for (const exp of [...exps(store), ...exps(path.join(store, '.trash'))]) {
    for (const e of fs.readdirSync(exp, { withFileTypes: true })) {
      if (!e.isDirectory() || ['tags', 'datasets', 'traces', 'models'].includes(e.name)) continue;
      const p = path.join(exp, e.name);
      if (['meta.yaml', 'params', 'metrics', 'tags'].some((n) => fs.existsSync(path.join(p, n)))) out.push(e.name);
    }
  }
  return out.sort();
}

/** Run ids `mlr runs ls --view all` lists over every experiment, and the warnings it printed. */
export async function listing(store: string): Promise<{ ids: string[]; warnings: string[] }> {
  const exps = await mlr(['--store', store, 'experiments', 'ls', '--view', 'all', '--format', 'json']);
  expect(exps.code, exps.stderr).toBe(0);
  const ids = [...new Set((JSON.parse(exps.stdout) as { experiment_id: string }[]).map((e) => e.experiment_id))];
  if (ids.length === 0) return { ids: [], warnings: exps.stderr.split('\n').filter(Boolean) };
  const r = await mlr(['--store', store, 'runs', 'ls', '--view', 'all', '--format', 'ids', ...ids.flatMap((i) => ['-e', i])]);
  expect(r.code, r.stderr).toBe(0);
  return { ids: r.stdout.split('\n').filter(Boolean).sort(), warnings: (exps.stderr + r.stderr).split('\n').filter(Boolean) };
}

/** Run ids `mlr runs ls --view all` lists; no warning allowed unless `broken`. */
export async function listedRuns(store: string, broken = false): Promise<string[]> {
  const l = await listing(store);
  if (!broken) expect(l.warnings, 'the store reads without warnings').toEqual([]);
  return l.ids;
}

/**
 * The user data of every run, keyed by run id so moved runs still match: each param and tag
 * file's bytes, and each metric file's lines.
 */
export function userData(store: string): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  const walkKeys = (dir: string, prefix: string, fn: (key: string, p: string) => void): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walkKeys(p, prefix + e.name + '/', fn);
      else fn(prefix + e.name, p);
    }
  };
  const exps = (d: string): string[] =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d)
          .filter((n) => n !== '.trash' && n !== 'models' && fs.statSync(path.join(d, n)).isDirectory())
          .map((n) => path.join(d, n))
      : [];
  for (const exp of [...exps(store), ...exps(path.join(store, '.trash'))]) {
    for (const run of fs.readdirSync(exp)) {
      const rd = path.join(exp, run);
      if (!fs.statSync(rd).isDirectory()) continue;
      walkKeys(path.join(rd, 'params'), '', (k, p) => out.set(`${run}/params/${k}`, fs.readFileSync(p, 'latin1')));
      walkKeys(path.join(rd, 'tags'), '', (k, p) => out.set(`${run}/tags/${k}`, fs.readFileSync(p, 'latin1')));
      walkKeys(path.join(rd, 'metrics'), '', (k, p) => {
        const t = fs.readFileSync(p, 'latin1');
        const lines = t === '' ? [] : t.split('\n');
        if (t.endsWith('\n')) lines.pop();
        out.set(`${run}/metrics/${k}`, lines);
      });
    }
  }
  return out;
}

/** The backup folders a --fix created next to the store. */
export function backups(store: string): string[] {
  const dir = store + '.mlr-backup';
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .sort()
        .map((n) => path.join(dir, n))
    : [];
}

export interface Manifest {
  store: string;
  findings: { code: string }[];
  actions: {
    action: string;
    path: string;
    backup?: string;
    from: string;
    to: string;
    removed_lines?: { line: number; text: string; reason: string }[];
    kept_lines?: number;
  }[];
}

export function manifest(backup: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(backup, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * Every file of `before` that the fix removed or changed has its exact bytes in the backup,
 * or was moved (with its folder) to a place where the same bytes are now.
 */
export function expectBackupCovers(before: Tree, after: Tree, backup: string): void {
  const m = manifest(backup);
  const moves = m.actions.filter((a) => a.action === 'move');
  for (const [rel, bytes] of before) {
    if (bytes === null || after.get(rel) === bytes) continue;
    const copy = path.join(backup, 'store', rel);
    if (fs.existsSync(copy) && fs.readFileSync(copy, 'latin1') === bytes) continue;
    const mv = moves.find((a) => rel.startsWith(a.from + '/'));
    if (mv && after.get(mv.to + rel.slice(mv.from.length)) === bytes) continue;
    throw new Error(`${rel} was changed or removed but its bytes are not in the backup`);
  }
}

/** Every param, tag and metric line of `before` is still there, except the metric lines listed in `dropped`. */
export function expectDataKept(before: Map<string, string | string[]>, after: Map<string, string | string[]>, dropped: Record<string, string[]> = {}): void {
  for (const [k, v] of before) {
    if (typeof v === 'string') {
      expect(after.get(k), k).toBe(v);
      continue;
    }
    const gone = dropped[k] ?? [];
    const want = v.filter((l) => !gone.includes(l));
    if (want.length === 0) {
      expect(after.has(k), `${k} has no valid line left`).toBe(false);
      continue;
    }
    expect(after.get(k), k).toEqual(want);
  }
}

export interface CycleOptions {
  /** metric lines the repair must drop, by `<run>/metrics/<key>` */
  dropped?: Record<string, string[]>;
  /** data keys the repair moves out of the store on purpose (strays), not user data */
  strays?: string[];
  /** codes that stay after the fix (report-only findings) */
  remaining?: string[];
  /** more checks on the repaired store, before it is undone */
  then?: () => void;
  /** the store's snapshot, when the caller has just taken it (a store of 1,000 files costs a walk and a read of each) */
  broken?: Tree;
}

/**
 * The full cycle every repair must survive: fix (exit 0 unless report-only findings stay),
 * doctor clean, every run on disk listed, user data kept, every changed byte in the backup,
 * nothing left for a second fix, MLflow's parsers open the store, and --undo restores the
 * broken store byte for byte.
 */
export async function fixCycle(store: string, opts: CycleOptions = {}): Promise<{ backup: string; fix: CliResult }> {
  const broken = opts.broken ?? snapshot(store);
  const data = userData(store);
  for (const s of opts.strays ?? []) data.delete(s);
  const fix = await doctor(store, '--fix');
  const remaining = opts.remaining ?? [];
  expect(fix.code, fix.stdout + fix.stderr).toBe(remaining.length ? 3 : 0);
  // (in-process from here: the CLI's own report and exit codes are covered above and in output.test.ts)
  const after = diagnose(store).findings.map(publicFinding);
  const left = after.filter((f) => f.severity !== 'info');
  expect(left.map((f) => f.code).sort()).toEqual([...remaining].sort());
  // a second --fix would find nothing to do
  expect(after.filter((f) => f.fix !== undefined)).toEqual([]);
  expect(await listedRuns(store)).toEqual(runFolders(store));
  expectDataKept(data, userData(store), opts.dropped);
  const [backup, ...more] = backups(store);
  expect(more).toEqual([]);
  expectBackupCovers(broken, snapshot(store), backup!);
  // MLflow's own parsers agree: the store opens and every run is visible
  const mp = await mlflowProblems(store);
  if (mp) expect(mp).toEqual([]);
  opts.then?.();
  const undo = await mlr(['doctor', '--undo', backup!]);
  expect(undo.code, undo.stderr).toBe(0);
  expect(snapshot(store)).toEqual(broken);
  return { backup: backup!, fix };
}

/** Write a file, creating its folder. */
export function put(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

const MLFLOW_READ = path.join(path.dirname(new URL(import.meta.url).pathname), 'mlflow_read.py');
/** python3 with PyYAML, to read stores with MLflow's own parsers (tests skip that part without it). */
const HAS_PYYAML = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** One mlflow_read.py --serve process per test file: python3 and PyYAML start once, not once a store. */
interface Reader {
  child: ChildProcess;
  waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[];
  stderr: string;
}
let reader: Reader | undefined;

function startReader(): Reader {
  const child = spawn('python3', [MLFLOW_READ, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const r: Reader = { child, waiting: [], stderr: '' };
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      r.waiting.shift()?.resolve(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
  // a write after the reader died: the 'exit' below fails the request with its stderr
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      for (const w of r.waiting.splice(0)) w.reject(new Error(`mlflow_read.py failed: ${r.stderr}`));
      if (reader === r) reader = undefined;
      resolve();
    }),
  );
  onFileFinished(async () => {
    child.stdin!.end();
    await exited;
  });
  return r;
}

/**
 * Where MLflow 2.12 would crash, skip an experiment or a run, or reject a key, judged by
 * test/doctor/mlflow_read.py with PyYAML and Python's int()/float(); `ignored` are
 * store-relative paths to leave out. Undefined when python3 or PyYAML is missing.
 */
export async function mlflowProblems(store: string, ignored: string[] = []): Promise<string[] | undefined> {
  if (!HAS_PYYAML) return undefined;
  const r = (reader ??= startReader());
  const line = new Promise<string>((resolve, reject) => r.waiting.push({ resolve, reject }));
  r.child.stdin!.write(JSON.stringify([store, ...ignored]) + '\n');
  return JSON.parse(await line) as string[];
}
