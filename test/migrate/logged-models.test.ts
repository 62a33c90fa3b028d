/**
 * `mlr migrate` and what MLflow 3 and the registry keep beside runs: logged models
 * (`<exp>/models/<model_id>/` ↔ logged_models, logged_model_params, logged_model_tags,
 * logged_model_metrics) where the target's schema has them, counted where it has not; and
 * registry versions deleted with delete-version (stage Deleted_Internal), which both MLflow
 * stores keep and which the next version number counts.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyStore, CORPUS, FIXTURE, HAS_SHARED, mlr, tempDir } from '../helpers.js';
import { cleanTemps, corpusDbs } from '../sqlite/helpers.js';

afterAll(cleanTemps);

const MODEL_TABLES = ['logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics'] as const;

/** The MLflow 3.x database of the corpus (alembic bf29a5ff90ea): 8 logged models with params, tags and metrics. */
const DB3 = corpusDbs().find((f) => f.includes('2025-2-productos'));
/** The same project's file store, written by MLflow 3 (shared/corpus/real). */
const FILES3 = HAS_SHARED ? path.join(CORPUS, '2025-2-productos__PRE-07-mlflow-tracking-basico-LissyGraceRestrepo', 'mlruns') : undefined;

function rows(file: string, table: string): string[] {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  const out = (db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[])
    .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .sort();
  db.close();
  return out;
}

/** A copy of an MLflow 3 database with every row deleted (its schema and alembic head kept): an empty 3.x target. */
function emptyCopy(src: string, dir: string): string {
  const file = path.join(dir, 'empty3.db');
  fs.copyFileSync(src, file);
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'").all() as {
    name: string;
  }[];
  for (const t of tables) db.prepare(`DELETE FROM "${t.name}"`).run();
  db.close();
  return file;
}

function summaryRow(stdout: string, label: string): number[] | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  return line?.slice(label.length).trim().split(/\s+/).map(Number);
}

describe.skipIf(!DB3)('mlr migrate: MLflow 3 logged models', () => {
  it('SQLite → files → SQLite gives the same rows in all four logged-model tables; files as MLflow 3 lays them out', async () => {
    const dir = tempDir('migrate');
    fs.copyFileSync(DB3!, path.join(dir, 'src.db'));
    const a = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(summaryRow(a.stdout, 'logged models')).toEqual([8, 0, 0, 0, 0]);
    expect(a.stdout).not.toContain('not migrated');

    // one folder per model, its meta.yaml with the keys MLflow 3's FileStore writes (a real one of the corpus, when present)
    const models = fs.readdirSync(path.join(dir, 'files', '1', 'models')).sort();
    expect(models).toHaveLength(8);
    const meta = fs.readFileSync(path.join(dir, 'files', '1', 'models', models[0]!, 'meta.yaml'), 'utf8');
    const keys = (text: string): string[] => text.split('\n').flatMap((l) => (/^(\w+):/.exec(l) ? [/^(\w+):/.exec(l)![1]!] : []));
    expect(keys(meta)).toEqual([
      'artifact_location',
      'creation_timestamp',
      'experiment_id',
      'last_updated_timestamp',
      'model_id',
      'model_type',
      'name',
      'source_run_id',
      'status',
      'status_message',
    ]);
    expect(meta).toContain('status: 2\n');
    if (FILES3 && fs.existsSync(FILES3)) {
      const real = fs
        .readdirSync(FILES3)
        .map((e) => path.join(FILES3, e, 'models'))
        .filter((d) => fs.existsSync(d))
        .flatMap((d) => fs.readdirSync(d).map((m) => path.join(d, m, 'meta.yaml')))[0];
      expect(real).toBeDefined();
      expect(keys(meta)).toEqual(keys(fs.readFileSync(real!, 'utf8')));
    }
    const db = new Database(path.join(dir, 'src.db'), { readonly: true });
    const one = db
      .prepare('SELECT metric_timestamp_ms AS ts, metric_value AS v, metric_step AS s, run_id FROM logged_model_metrics WHERE model_id = ? AND metric_name = ?')
      .get(models[0], 'test_r2') as { ts: number; v: number; s: number; run_id: string };
    db.close();
    expect(fs.readFileSync(path.join(dir, 'files', '1', 'models', models[0]!, 'metrics', 'test_r2'), 'utf8')).toBe(
      `${one.ts} ${one.v} ${one.s} ${one.run_id}\n`,
    );

    // a run's outputs, as MLflow 3's FileStore writes them
    const src = new Database(path.join(dir, 'src.db'), { readonly: true });
    const out = src.prepare("SELECT source_id AS run, destination_id AS model, step FROM inputs WHERE source_type = 'RUN_OUTPUT' ORDER BY source_id").get() as {
      run: string;
      model: string;
      step: number;
    };
    src.close();
    expect(fs.readFileSync(path.join(dir, 'files', '1', out.run, 'outputs', out.model, 'meta.yaml'), 'utf8')).toBe(
      `destination_id: ${out.model}\ndestination_type: MODEL_OUTPUT\nsource_id: ${out.model}\nsource_type: RUN_OUTPUT\nstep: ${out.step}\ntags: {}\n`,
    );
    const describe = async (store: string): Promise<unknown> =>
      (JSON.parse((await mlr(['--store', store, 'runs', 'describe', out.run, '--format', 'json'], { cwd: dir })).stdout) as { outputs?: unknown }).outputs;
    expect(await describe('./files')).toEqual({ model_outputs: [{ model_id: out.model, step: out.step }] });
    expect(await describe('./files')).toEqual(await describe('sqlite:///src.db'));

    // what a user sees is the same on both sides
    const ls = async (store: string): Promise<string> => (await mlr(['--store', store, 'models', 'ls', '--logged', '--format', 'json'], { cwd: dir })).stdout;
    expect(await ls('./files')).toBe(await ls('sqlite:///src.db'));
    expect(JSON.parse(await ls('./files'))).toHaveLength(8);

    // and back into an empty MLflow 3 database: row for row what MLflow wrote
    const target = emptyCopy(DB3!, dir);
    const b = await mlr(['migrate', '--from', './files', '--to', `sqlite:///${target}`], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(summaryRow(b.stdout, 'logged models')).toEqual([8, 0, 0, 0, 0]);
    for (const t of MODEL_TABLES) {
      expect(rows(target, t), t).toEqual(rows(path.join(dir, 'src.db'), t));
      expect(rows(target, t).length, t).toBeGreaterThan(0);
    }
    // the runs' model outputs (RUN_OUTPUT → MODEL_OUTPUT input rows; their input_uuid is a fresh uuid, as MLflow makes one)
    const outputs = (file: string): string[] =>
      rows(file, 'inputs')
        .map((l) => JSON.stringify({ ...(JSON.parse(l) as object), input_uuid: '' }))
        .sort();
    expect(outputs(target)).toEqual(outputs(path.join(dir, 'src.db')));
    expect(outputs(target)).toHaveLength(8);

    // re-running changes nothing, both ways
    const again = await mlr(['migrate', '--from', './files', '--to', `sqlite:///${target}`], { cwd: dir });
    expect(summaryRow(again.stdout, 'logged models')).toEqual([0, 8, 0, 0, 0]);
    const againFiles = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files'], { cwd: dir });
    expect(summaryRow(againFiles.stdout, 'logged models')).toEqual([0, 8, 0, 0, 0]);
  });

  it('a logged model that differs in the target is reported and left alone; --overwrite replaces it', async () => {
    const dir = tempDir('migrate');
    fs.copyFileSync(DB3!, path.join(dir, 'src.db'));
    expect((await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files'], { cwd: dir })).code).toBe(0);
    const model = fs.readdirSync(path.join(dir, 'files', '1', 'models')).sort()[0]!;
    const params = path.join(dir, 'files', '1', 'models', model, 'params');
    const param = fs.readdirSync(params).sort()[0]!;
    const original = fs.readFileSync(path.join(params, param), 'utf8');
    fs.writeFileSync(path.join(params, param), 'changed by hand');

    const r = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(summaryRow(r.stdout, 'logged models')).toEqual([0, 7, 1, 0, 0]);
    expect(r.stderr).toContain(`logged model ${model}: differs from the target's logged model of that id (left as it is; --overwrite replaces it)`);
    expect(fs.readFileSync(path.join(params, param), 'utf8')).toBe('changed by hand');

    const o = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files', '--overwrite'], { cwd: dir });
    expect(o.code, o.stderr).toBe(0);
    expect(summaryRow(o.stdout, 'logged models')).toEqual([0, 7, 0, 1, 0]);
    expect(fs.readFileSync(path.join(params, param), 'utf8')).toBe(original);
  });

  it('--dry-run counts them and writes nothing; a target with MLflow 2.12 schema counts them as not migrated', async () => {
    const dir = tempDir('migrate');
    fs.copyFileSync(DB3!, path.join(dir, 'src.db'));
    const dry = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', './files', '--dry-run'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(summaryRow(dry.stdout, 'logged models')).toEqual([8, 0, 0, 0, 0]);
    expect(fs.existsSync(path.join(dir, 'files'))).toBe(false);

    const old = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', 'sqlite:///new.db'], { cwd: dir });
    expect(old.code, old.stderr).toBe(0);
    expect(summaryRow(old.stdout, 'logged models')).toBeUndefined();
    expect(old.stdout).toContain(
      "8 MLflow 3 logged models were not migrated: the target's schema has no logged-model tables (MLflow 2.12's: mlflow db upgrade adds them, then migrate again)\n",
    );
    const dryOld = await mlr(['migrate', '--from', 'sqlite:///src.db', '--to', 'sqlite:///other.db', '--dry-run'], { cwd: dir });
    expect(dryOld.stdout).toContain('8 MLflow 3 logged models were not migrated');
    expect(fs.existsSync(path.join(dir, 'other.db'))).toBe(false);
  });

  it.skipIf(!FILES3 || !fs.existsSync(FILES3 ?? ''))("MLflow 3's own file store → an MLflow 3 database: every model, param, tag and metric line", async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FILES3!);
    const target = emptyCopy(DB3!, dir);
    const r = await mlr(['migrate', '--from', src, '--to', `sqlite:///${target}`], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // mlr_flavors comes from the model's MLmodel artifact, which a migration does not copy
    const ls = async (store: string): Promise<unknown[]> =>
      (JSON.parse((await mlr(['--store', store, 'models', 'ls', '--logged', '--all', '--format', 'json'], { cwd: dir })).stdout) as Record<string, unknown>[])
        .map(({ mlr_flavors: _f, ...rest }) => rest)
        .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    const want = await ls(src);
    expect(want.length).toBeGreaterThan(0);
    expect(summaryRow(r.stdout, 'logged models')).toEqual([want.length, 0, 0, 0, 0]);
    expect(await ls(`sqlite:///${target}`)).toEqual(want);
    // every metric line of every model is a row
    let lines = 0;
    for (const e of fs.readdirSync(src)) {
      const models = path.join(src, e, 'models');
      if (!fs.existsSync(models)) continue;
      for (const m of fs.readdirSync(models)) {
        const metrics = path.join(models, m, 'metrics');
        for (const k of fs.existsSync(metrics) ? fs.readdirSync(metrics) : [])
          lines += fs.readFileSync(path.join(metrics, k), 'utf8').trim().split('\n').length;
      }
    }
    expect(rows(target, 'logged_model_metrics')).toHaveLength(lines);
  });
});

describe('mlr migrate: registry versions deleted with delete-version (Deleted_Internal)', () => {
  it('are copied both ways, so the next version number is the one the source would give', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const del = await mlr(['--store', src, 'models', 'delete-version', 'resnet-classifier', '3']);
    expect(del.code, del.stderr).toBe(0);
    const r = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const db = path.join(dir, 'm.db');
    const sql = new Database(db, { readonly: true });
    const versions = sql.prepare("SELECT version, current_stage FROM model_versions WHERE name = 'resnet-classifier' ORDER BY version").all();
    sql.close();
    expect(versions).toEqual([
      { version: 1, current_stage: 'Archived' },
      { version: 2, current_stage: 'None' },
      { version: 3, current_stage: 'Deleted_Internal' },
    ]);
    // hidden as in MLflow, shown with --deleted
    const live = await mlr(['--store', 'sqlite:///m.db', 'models', 'versions', 'resnet-classifier', '--format', 'json'], { cwd: dir });
    expect((JSON.parse(live.stdout) as { version: string }[]).map((v) => v.version)).toEqual(['1', '2']);

    // re-running finds the model the same (the deleted version compares too)
    const again = await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(summaryRow(again.stdout, 'registered models')).toEqual([0, 2, 0, 0, 0]);

    // and back to files: the version folder is there, still Deleted_Internal
    const back = await mlr(['migrate', '--from', 'sqlite:///m.db', '--to', './back'], { cwd: dir });
    expect(back.code, back.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'back', 'models', 'resnet-classifier', 'version-3', 'meta.yaml'), 'utf8')).toContain(
      'current_stage: Deleted_Internal\n',
    );

    // a new version on either side is number 4, as in the source
    for (const store of [src, 'sqlite:///m.db', './back']) {
      const run = (await mlr(['--store', store, 'runs', 'ls', '-e', '0', '--view', 'all', '--format', 'ids'], { cwd: dir })).stdout.split('\n')[0]!;
      const v = await mlr(['--store', store, 'models', 'register', run, 'model', '--name', 'resnet-classifier', '--no-check'], { cwd: dir });
      expect(v, store).toMatchObject({ code: 0, stdout: '4\n' });
    }
  });
});
