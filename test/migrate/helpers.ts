/**
 * Helpers for `mlr migrate` tests: a backend-neutral snapshot of a store (what `runs ls
 * --format json`, `runs describe --format json` and `metrics history` report, normalised
 * where MLflow's two stores differ by design), and table dumps of a database.
 */
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { mlr } from '../helpers.js';

/**
 * Normalise what MLflow's stores legitimately report differently: SQL holds ±inf as
 * ±1.7976931348623157e308 and has no -0; a file keeps duplicate metric lines SQL folds.
 * Lists of keyed entries are sorted by key (stores answer in their own key order).
 */
function normalise(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v >= 1.7976931348623157e308) return 'Infinity';
    if (v <= -1.7976931348623157e308) return '-Infinity';
    return v === 0 ? 0 : v;
  }
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) {
    const out = v.map(normalise);
    if (out.every((x) => x && typeof x === 'object' && 'key' in (x as object))) {
      return out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    if (out.every((x) => x && typeof x === 'object' && 'dataset' in (x as object))) {
      return out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x);
    return out;
  }
  return v;
}

export interface StoreSnapshot {
  experiments: unknown;
  /** experiment id → its runs as `runs ls --view all --format json` lists them (by run id) */
  runsLs: Record<string, unknown>;
  /** run id → the REST Run (`runs describe --format json`) */
  describe: Record<string, unknown>;
  /** run id → metric key → sorted distinct lines (`metrics history`) */
  histories: Record<string, Record<string, string[]>>;
  models: unknown;
}

/** Everything a user sees of a store, in a form two backends can be compared in. */
export async function snapshot(uri: string, cwd: string): Promise<StoreSnapshot> {
  const ex = await mlr(['--store', uri, 'experiments', 'ls', '--view', 'all', '--format', 'json'], { cwd });
  expect(ex.code, ex.stderr).toBe(0);
  const exps = (JSON.parse(ex.stdout) as { experiment_id: string }[]).sort((a, b) => (a.experiment_id < b.experiment_id ? -1 : 1));
  const runsLs: Record<string, unknown> = {};
  for (const e of exps) {
    const r = await mlr(['--store', uri, 'runs', 'ls', '-e', e.experiment_id, '--view', 'all', '--format', 'json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout) as { info: { run_id: string } }[];
    runsLs[e.experiment_id] = normalise(runs.sort((a, b) => (a.info.run_id < b.info.run_id ? -1 : 1)));
  }
  const b = await openBackend(resolveTrackingUri(uri, {}, cwd), { cwd });
  const describe: Record<string, unknown> = {};
  const histories: Record<string, Record<string, string[]>> = {};
  try {
    const reader = await b.reader();
    const entries = await reader.listExperiments('all');
    for (const run of await reader.listRuns(entries, 'all')) {
      const id = run.info.run_id;
      describe[id] = normalise(reader.loadRun(run));
      const h: Record<string, string[]> = {};
      for (const key of reader.listMetricKeys(run)) {
        const lines = new Set<string>();
        for await (const chunk of reader.metricHistory(run, key)) {
          for (const m of chunk) lines.add(JSON.stringify(normalise([m.step, m.timestamp, m.value])));
        }
        h[key] = [...lines].sort();
      }
      histories[id] = h;
    }
  } finally {
    await b.close();
  }
  const models = await mlr(['--store', uri, 'models', 'ls', '--format', 'json'], { cwd });
  return { experiments: normalise(exps), runsLs, describe, histories, models: models.code === 0 ? normalise(JSON.parse(models.stdout)) : models.stderr };
}

/** Every row of the tracking and registry tables, sorted (dataset/input uuids are random: left out). */
export function dumpDb(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  const out: Record<string, unknown[]> = {};
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (t) => t.name,
  );
  for (const t of tables) {
    if (['inputs', 'input_tags', 'datasets'].includes(t)) {
      out[t] = [db.prepare(`SELECT count(*) AS n FROM ${t}`).get()];
      continue;
    }
    out[t] = (db.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[])
      .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
      .sort();
  }
  db.close();
  return out;
}

export function schemaOf(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').all();
  db.close();
  return rows;
}
