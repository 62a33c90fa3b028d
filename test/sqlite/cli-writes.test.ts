/**
 * Write commands on MLflow's SQLite database through the CLI: a database MLflow 2.12 made,
 * then only mlr writes, read back through the CLI and row by row; and a database mlr
 * creates from nothing.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { cleanTemps, CONFORMANCE_DB, tempDir } from './helpers.js';

afterAll(() => cleanTemps());

async function ok(args: string[], input?: string): Promise<string> {
  const r = await mlr(args, input !== undefined ? { input } : {});
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

describe('writes on a SQLite database MLflow made', () => {
  it('experiments, runs, metrics, params, tags, lifecycle and the registry, read back exactly', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'mlflow.db');
    fs.copyFileSync(CONFORMANCE_DB, db);
    const S = ['--store', `sqlite:///${db}`];
    const exp = (await ok([...S, 'experiments', 'create', 'written', '--tag', 'owner=ana'])).trim();
    expect(exp).toBe('4');
    const run = (await ok([...S, 'runs', 'create', '-e', 'written', '--name', 'r1', '--start-time', '1700000000000'])).trim();
    await ok([...S, 'log-metric', run, 'loss', '0.5', '--step', '1', '--timestamp', '1700000000001']);
    await ok([...S, 'log-metric', run, 'loss', 'nan', '--step', '2', '--timestamp', '1700000000002']);
    await ok([...S, 'log-metric', run, 'loss', '0.25', '--step', '9007199254740993', '--timestamp', '1700000000003']);
    await ok([...S, 'log-params', run, 'lr=0.01', 'bs=32']);
    await ok([...S, 'set-tag', run, 'stage', 'train']);
    await ok(
      [...S, 'log-batch', run, '--file', '-'],
      '{"metrics":[{"key":"acc","value":0.9,"timestamp":1700000000004,"step":3}],"tags":[{"key":"k","value":"v"}]}',
    );
    await ok([...S, 'runs', 'end', run, '--status', 'FAILED', '--end-time', '1700000000100']);
    await ok([...S, 'runs', 'rename', run, 'r1-renamed']);
    const changed = await mlr([...S, 'log-param', run, 'lr', '0.02']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/^mlr: Changing param values is not allowed/);

    const d = JSON.parse((await ok([...S, 'runs', 'describe', run, '--format', 'json'])).replace(/("step": )(\d{16,})/g, '$1"$2"')) as {
      info: Record<string, unknown>;
      data: { metrics: unknown[]; params: unknown[]; tags: { key: string; value: string }[] };
    };
    expect(d.info).toMatchObject({
      run_name: 'r1-renamed',
      experiment_id: '4',
      status: 'FAILED',
      start_time: 1700000000000,
      end_time: 1700000000100,
      lifecycle_stage: 'active',
    });
    expect(d.data.metrics).toEqual([
      { key: 'acc', value: 0.9, timestamp: 1700000000004, step: 3 },
      { key: 'loss', value: 0.25, timestamp: 1700000000003, step: '9007199254740993' },
    ]);
    expect(d.data.params).toEqual([
      { key: 'bs', value: '32' },
      { key: 'lr', value: '0.01' },
    ]);
    expect(d.data.tags.filter((t) => !t.key.startsWith('mlflow.'))).toEqual([
      { key: 'k', value: 'v' },
      { key: 'stage', value: 'train' },
    ]);
    expect(await ok([...S, 'metrics', 'history', run, 'loss', '--format', 'csv'])).toBe(
      'step,value,timestamp\n1,0.5,1700000000001\n2,NaN,1700000000002\n9007199254740993,0.25,1700000000003\n',
    );

    // the rows MLflow's SQL store would hold
    const sql = new Database(db, { readonly: true });
    sql.defaultSafeIntegers(true);
    expect(sql.prepare('SELECT key, value, step, is_nan FROM latest_metrics WHERE run_uuid = ? ORDER BY key').all(run)).toEqual([
      { key: 'acc', value: 0.9, step: 3n, is_nan: 0n },
      { key: 'loss', value: 0.25, step: 9007199254740993n, is_nan: 0n },
    ]);
    expect(sql.prepare('SELECT name, status FROM runs WHERE run_uuid = ?').get(run)).toEqual({ name: 'r1-renamed', status: 'FAILED' });
    expect(sql.prepare("SELECT value FROM experiment_tags WHERE experiment_id = 4 AND key = 'owner'").get()).toEqual({ value: 'ana' });
    sql.close();

    await ok([...S, 'runs', 'delete', run]);
    expect(await ok([...S, 'runs', 'ls', '-e', 'written', '--format', 'ids'])).toBe('');
    expect(await ok([...S, 'runs', 'ls', '-e', 'written', '--view', 'deleted', '--format', 'ids'])).toBe(run + '\n');
    await ok([...S, 'runs', 'restore', run]);

    await ok([...S, 'models', 'register', run, 'model', '--name', 'clf', '--no-check']);
    await ok([...S, 'models', 'alias', 'clf', 'champion', '1']);
    await ok([...S, 'models', 'stage', 'clf', '1', 'production']);
    const m = JSON.parse(await ok([...S, 'models', 'describe', 'clf', '--format', 'json'])) as {
      aliases: unknown;
      model_versions: { version: string; current_stage: string; aliases: string[]; run_id: string }[];
    };
    expect(m.model_versions.map((v) => ({ version: v.version, stage: v.current_stage, aliases: v.aliases, run: v.run_id }))).toEqual([
      { version: '1', stage: 'Production', aliases: ['champion'], run },
    ]);
  });

  it('doctor, trash and runs mv say they need a file store (exit 2); gc works on SQLite (test/sqlite/gc.test.ts)', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'mlflow.db');
    fs.copyFileSync(CONFORMANCE_DB, db);
    for (const [args, what] of [
      [['doctor'], 'mlr doctor'],
      [['trash', 'ls'], 'mlr trash'],
    ] as const) {
      const r = await mlr(['--store', `sqlite:///${db}`, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mlr: ${what} works on a local file store (mlruns/) only; sqlite:///${db} is a SQLite database\n`);
    }
  });
});

describe('a database mlr creates', () => {
  it("has MLflow 2.12's schema, stamped acf3f17fdcc7, with the Default experiment, and takes runs", async () => {
    const dir = tempDir();
    const db = path.join(dir, 'new.db');
    const run = (await ok(['--store', `sqlite:///${db}`, 'runs', 'create', '--name', 'first'], undefined)).trim();
    const sql = new Database(db, { readonly: true });
    const ours = sql.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid").all();
    sql.close();
    const mlflow = new Database(CONFORMANCE_DB, { readonly: true });
    const theirs = mlflow.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid").all();
    mlflow.close();
    expect(ours).toEqual(theirs);
    const check = new Database(db, { readonly: true });
    expect(check.prepare('SELECT version_num FROM alembic_version').all()).toEqual([{ version_num: 'acf3f17fdcc7' }]);
    expect(check.prepare('SELECT experiment_id, name, lifecycle_stage FROM experiments').all()).toEqual([
      { experiment_id: 0, name: 'Default', lifecycle_stage: 'active' },
    ]);
    expect(check.prepare('SELECT name, experiment_id FROM runs WHERE run_uuid = ?').get(run)).toEqual({ name: 'first', experiment_id: 0 });
    check.close();
  });

  it('reading a database that does not exist is an error, and creates nothing', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'none.db');
    const r = await mlr(['--store', `sqlite:///${db}`, 'runs', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: no MLflow database at sqlite:///${db}: the file does not exist\n`);
    expect(fs.existsSync(db)).toBe(false);
  });
});
