/**
 * A writer killed in the middle of a transaction leaves a hot `-journal`: a read-only
 * connection cannot roll it back (SQLITE_READONLY_ROLLBACK), so `mlr` reading the database
 * rolls it back as any writing SQLite connection would (MLflow's included), says so once,
 * and reads the database as of its last commit.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { cleanTemps, CONFORMANCE_DB, copyDb, HAS_CONFORMANCE, SKIP_REASON } from './helpers.js';

afterAll(cleanTemps);

const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

/** In a child: change every metric row in a transaction big enough to spill to the file, then die by SIGKILL. */
function killMidTransaction(db: string): void {
  const script = `
    const D = require(${JSON.stringify(SQLITE)});
    const d = new D(${JSON.stringify(db)});
    d.pragma('cache_size = 1');
    d.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 20; i++) d.exec("UPDATE metrics SET value = value + 1000; INSERT INTO experiment_tags (key, value, experiment_id) SELECT 'junk' || " + i + ", hex(randomblob(2000)), experiment_id FROM experiments");
    process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['-e', script]);
  expect(r.signal).toBe('SIGKILL');
}

describe.skipIf(!HAS_CONFORMANCE)(`a hot journal left by a killed writer (${HAS_CONFORMANCE ? 'conformance db' : SKIP_REASON})`, () => {
  it('runs ls rolls it back, warns once, and shows the last committed state', async () => {
    const db = copyDb(CONFORMANCE_DB);
    const before = await mlr(['--store', `sqlite:///${db}`, 'runs', 'ls', '--format', 'json']);
    expect(before.code, before.stderr).toBe(0);
    killMidTransaction(db);
    expect(fs.existsSync(`${db}-journal`)).toBe(true);
    expect(fs.statSync(`${db}-journal`).size).toBeGreaterThan(0);
    const after = await mlr(['--store', `sqlite:///${db}`, 'runs', 'ls', '--format', 'json']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect(after.stderr).toBe(
      `mlr: warning: ${db}: rolled back the transaction a writer left unfinished in mlflow.db-journal (it was stopped mid-way); the database is as of its last commit\n`,
    );
    expect(fs.existsSync(`${db}-journal`)).toBe(false);
    // once rolled back, a read is a plain read again
    const again = await mlr(['--store', `sqlite:///${db}`, 'runs', 'ls', '--format', 'json']);
    expect([again.code, again.stderr, again.stdout]).toEqual([0, '', before.stdout]);
  });

  // root writes a read-only file anyway: there is nothing to refuse then
  it.skipIf(process.getuid?.() === 0)('a database this process cannot write: one line naming the journal, exit 1 (skipped as root)', async () => {
    const db = copyDb(CONFORMANCE_DB);
    killMidTransaction(db);
    fs.chmodSync(db, 0o444);
    const r = await mlr(['--store', `sqlite:///${db}`, 'runs', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a writer stopped in the middle of a transaction \(mlflow\.db-journal is still there\)/);
  });
});
