/**
 * `mlr migrate` between the file store and MLflow's SQLite database: what a user sees of
 * the target equals the source (runs ls, runs describe and metric histories of every run
 * of every experiment), the database has MLflow 2.12's schema exactly, re-running changes
 * nothing, and conflicts are reported and left alone unless --overwrite.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore, FIXTURE, mlr, readTree, tempDir } from '../helpers.js';
import { CONFORMANCE_DB } from '../sqlite/helpers.js';
import { dumpDb, schemaOf, snapshot } from './helpers.js';

const MLFLOW_2_12_DB = CONFORMANCE_DB;

function summaryRow(stdout: string, label: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  expect(line, stdout).toBeDefined();
  return line!.slice(label.length).trim().split(/\s+/).map(Number);
}

describe('mlr migrate: file store → SQLite → file store', () => {
  it('keeps everything a user sees, and the database has MLflow 2.12 schema exactly', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(summaryRow(r.stdout, 'runs')).toEqual([76, 0, 0, 0, 0]);
    expect(summaryRow(r.stdout, 'experiments')).toEqual([4, 0, 0, 0, 0]);
    expect(summaryRow(r.stdout, 'registered models')).toEqual([2, 0, 0, 0, 0]);
    expect(r.stdout).toContain('artifacts were not copied: runs keep their artifact URIs');
    const db = path.join(dir, 'm.db');
    expect(schemaOf(db)).toEqual(schemaOf(MLFLOW_2_12_DB));
    const integrity = new Database(db, { readonly: true });
    expect(integrity.pragma('integrity_check', { simple: true })).toBe('ok');
    integrity.close();

    const want = await snapshot(src, dir);
    expect(Object.keys(want.describe)).toHaveLength(76);
    expect(await snapshot('sqlite:///m.db', dir)).toEqual(want);

    const back = await mlr(['migrate', '--from', 'sqlite:///m.db', '--to', path.join(dir, 'back')], { cwd: dir });
    expect(back.code, back.stderr).toBe(0);
    expect(summaryRow(back.stdout, 'runs')).toEqual([76, 0, 0, 0, 0]);
    expect(await snapshot(path.join(dir, 'back'), dir)).toEqual(want);
  });

  it('file → file keeps every metric line byte for byte (-0.0, nan, inf, int64 steps, duplicates)', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const r = await mlr(['migrate', '--from', src, '--to', path.join(dir, 'copy')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const a = readTree(src);
    const b = readTree(path.join(dir, 'copy'));
    const metricFiles = Object.keys(a).filter((k) => /\/metrics\//.test(k));
    expect(metricFiles.length).toBeGreaterThan(50);
    for (const f of metricFiles) expect(b[f], f).toBe(a[f]);
    for (const f of Object.keys(a).filter((k) => /\/(params|tags)\//.test(k) && !k.includes('/models/'))) expect(b[f], f).toBe(a[f]);
  });

  it('SQLite → file → SQLite gives the same rows', async () => {
    const dir = tempDir('migrate');
    fs.copyFileSync(MLFLOW_2_12_DB, path.join(dir, 'orig.db'));
    const a = await mlr(['migrate', '--from', 'sqlite:///orig.db', '--to', './files'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    const want = await snapshot('sqlite:///orig.db', dir);
    expect(await snapshot('./files', dir)).toEqual(want);
    const b = await mlr(['migrate', '--from', './files', '--to', 'sqlite:///again.db'], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(await snapshot('sqlite:///again.db', dir)).toEqual(want);
    const orig = dumpDb(path.join(dir, 'orig.db'));
    const again = dumpDb(path.join(dir, 'again.db'));
    for (const t of [
      'experiments',
      'experiment_tags',
      'runs',
      'params',
      'tags',
      'metrics',
      'latest_metrics',
      'registered_models',
      'model_versions',
      'registered_model_tags',
      'model_version_tags',
      'registered_model_aliases',
    ]) {
      expect(again[t], t).toEqual(orig[t]);
    }
  });

  it('re-running changes nothing: everything is skipped as the same', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    expect((await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir })).code).toBe(0);
    const before = dumpDb(path.join(dir, 'm.db'));
    const again = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(summaryRow(again.stdout, 'runs')).toEqual([0, 76, 0, 0, 0]);
    expect(summaryRow(again.stdout, 'experiments')).toEqual([0, 4, 0, 0, 0]);
    expect(summaryRow(again.stdout, 'registered models')).toEqual([0, 2, 0, 0, 0]);
    expect(again.stdout).toContain('wrote 0 metric lines');
    expect(dumpDb(path.join(dir, 'm.db'))).toEqual(before);

    // and into files
    expect((await mlr(['migrate', '--from', src, '--to', './files'], { cwd: dir })).code).toBe(0);
    const tree = readTree(path.join(dir, 'files'));
    const twice = await mlr(['migrate', '--from', src, '--to', './files'], { cwd: dir });
    expect(summaryRow(twice.stdout, 'runs')).toEqual([0, 76, 0, 0, 0]);
    expect(readTree(path.join(dir, 'files'))).toEqual(tree);
  });

  it('--dry-run reports what would move and writes nothing', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/would create\s+same\s+differs\s+would replace\s+failed/);
    expect(summaryRow(r.stdout, 'runs')).toEqual([76, 0, 0, 0, 0]);
    expect(r.stdout).toContain('dry run: nothing was written');
    expect(fs.existsSync(path.join(dir, 'm.db'))).toBe(false);
  });

  it('a run that differs in the target is reported and left alone; --overwrite replaces it', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    expect((await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir })).code).toBe(0);
    const db = new Database(path.join(dir, 'm.db'));
    const run = (db.prepare("SELECT run_uuid FROM runs WHERE lifecycle_stage = 'active' ORDER BY run_uuid LIMIT 1").get() as { run_uuid: string }).run_uuid;
    db.prepare("UPDATE tags SET value = 'changed' WHERE run_uuid = ? AND key = 'mlflow.runName'").run(run);
    db.close();
    const before = dumpDb(path.join(dir, 'm.db'));
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(summaryRow(r.stdout, 'runs')).toEqual([0, 75, 1, 0, 0]);
    expect(r.stderr).toContain(`run ${run}: differs from the target's run of that id (left as it is; --overwrite replaces it)`);
    expect(dumpDb(path.join(dir, 'm.db'))).toEqual(before);

    const o = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db', '--overwrite'], { cwd: dir });
    expect(o.code, o.stderr).toBe(0);
    expect(summaryRow(o.stdout, 'runs')).toEqual([0, 75, 0, 1, 0]);
    expect(await snapshot('sqlite:///m.db', dir)).toEqual(await snapshot(src, dir));
  });

  it('an experiment id holding another experiment is reported; its runs are not merged into it', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    expect((await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir })).code).toBe(0);
    const db = new Database(path.join(dir, 'm.db'));
    db.prepare("UPDATE experiments SET name = 'someone else' WHERE experiment_id = 234684999513866976").run();
    db.close();
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(summaryRow(r.stdout, 'experiments')).toEqual([0, 3, 1, 0, 0]);
    expect(r.stderr).toContain("experiment 234684999513866976: differs from the target's experiment of that id (name 'someone else' ≠ 'sweep')");
  });

  it('a torn metric line and a broken meta.yaml are reported and skipped (exit 3), the rest migrates', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const exp = path.join(src, '234684999513866976');
    const runs = fs
      .readdirSync(exp)
      .filter((n) => /^[0-9a-f]{32}$/.test(n))
      .sort();
    const broken = runs[0]!;
    const torn = runs[1]!;
    fs.writeFileSync(path.join(exp, broken, 'meta.yaml'), 'run_id: [unclosed\n');
    const metricDir = path.join(exp, torn, 'metrics');
    const metric = fs.readdirSync(metricDir)[0]!;
    const lines = fs.readFileSync(path.join(metricDir, metric), 'utf8');
    fs.writeFileSync(path.join(metricDir, metric), lines + '1700000000');
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`run ${broken}: not migrated`);
    expect(r.stderr).toMatch(new RegExp(`run ${torn}: .*metrics/${metric} line \\d+`));
    expect(r.stderr).toMatch(/reported above/);
    expect(summaryRow(r.stdout, 'runs')).toEqual([75, 0, 0, 0, 1]);
    const db = new Database(path.join(dir, 'm.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM runs WHERE run_uuid = ?').get(broken)).toEqual({ n: 0 });
    const n = (db.prepare('SELECT count(*) AS n FROM metrics WHERE run_uuid = ? AND key = ?').get(torn, metric) as { n: number }).n;
    db.close();
    expect(n).toBe(lines.trim().split('\n').length);
  });

  it('--artifact-root re-roots experiment locations and run artifact URIs', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db', '--artifact-root', 's3://bucket/mlruns'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('artifacts were not copied: artifact locations now point under s3://bucket/mlruns; copy the files there');
    const db = new Database(path.join(dir, 'm.db'), { readonly: true });
    const e = db.prepare('SELECT artifact_location FROM experiments WHERE experiment_id = 234684999513866976').get() as { artifact_location: string };
    expect(e.artifact_location).toBe('s3://bucket/mlruns/234684999513866976');
    const uris = db.prepare('SELECT artifact_uri, run_uuid FROM runs WHERE experiment_id = 234684999513866976').all() as {
      artifact_uri: string;
      run_uuid: string;
    }[];
    db.close();
    for (const u of uris) expect(u.artifact_uri).toBe(`s3://bucket/mlruns/234684999513866976/${u.run_uuid}/artifacts`);
  });

  it('refuses the same store on both sides, and an unknown option value', async () => {
    const dir = tempDir('migrate');
    const same = await mlr(['migrate', '--from', './x', '--to', './x'], { cwd: dir });
    expect(same.code).toBe(2);
    expect(same.stderr).toBe(`mlr: --from and --to are the same store (${path.join(dir, 'x')})\n`);
    const missing = await mlr(['migrate', '--from', './nothing', '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n')).toHaveLength(2);
  });
});
