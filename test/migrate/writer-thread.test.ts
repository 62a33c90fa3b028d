/**
 * `mlr migrate` into SQLite writes on a worker thread (src/store/sqlite/import-pipe.ts):
 * a run the thread cannot write is reported alone while the rest of its batch lands, and
 * a thread that stops (here: out of memory mid-migration) stops the migration with one
 * error line, leaving whole runs only, which a re-run completes.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateStore } from '../../bench/generate.mjs';
import { migrate } from '../../src/commands/migrate.js';
import { StateError } from '../../src/errors.js';
import type { ImportedRun } from '../../src/store/backend.js';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { SqliteBackend } from '../../src/store/sqlite/backend.js';
import { PipedImporter } from '../../src/store/sqlite/import-pipe.js';
import { SqliteImporter } from '../../src/store/sqlite/import.js';
import { openOrCreate } from '../../src/store/sqlite/schema.js';
import { FIXTURE, tempDir } from '../helpers.js';

const run = (id: string, experiment: string, lines: number): ImportedRun => ({
  info: {
    run_id: id,
    run_uuid: id,
    run_name: `r-${id.slice(0, 4)}`,
    experiment_id: experiment,
    user_id: 'u',
    status: 'FINISHED',
    start_time: 1,
    end_time: 2,
    artifact_uri: `/a/${id}`,
    lifecycle_stage: 'active',
  },
  deletedTime: null,
  params: [{ key: 'lr', value: '0.1' }],
  tags: [{ key: 'team', value: 'a' }],
  metrics: Array.from({ length: lines }, (_, i) => ({ key: i % 2 ? 'loss' : 'acc', value: i === 3 ? NaN : i / 7, timestamp: 1000 + i, step: i })),
  inputs: [],
});

const count = (file: string, sql: string): unknown => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().all();
  } finally {
    db.close();
  }
};

describe('migrate into SQLite on a writer thread', () => {
  it('a run the thread cannot write is left out alone; the rest of its batch is committed', async () => {
    const dir = tempDir('migrate-writer');
    const file = path.join(dir, 'm.db');
    openOrCreate(file, { artifactRoot: path.join(dir, 'mlruns') }).close();
    const imp = new PipedImporter(file, false, false, () => {});
    const good1 = run('a'.repeat(32), '0', 130);
    const bad = run('b'.repeat(32), '99', 5); // no experiment 99: the foreign key fails
    const good2 = run('c'.repeat(32), '0', 7);
    const failed = await imp.importRunsEach([good1, bad, good2], new Set());
    expect([...failed]).toEqual([['b'.repeat(32), 'FOREIGN KEY constraint failed']]);
    await expect(imp.importRuns([bad], new Set())).rejects.toThrow('FOREIGN KEY constraint failed');
    await imp.close();
    expect(count(file, 'SELECT run_uuid FROM runs ORDER BY run_uuid')).toEqual(['a'.repeat(32), 'c'.repeat(32)]);
    expect(count(file, 'SELECT count(*) FROM metrics GROUP BY run_uuid ORDER BY run_uuid')).toEqual([130, 7]);
    expect(count(file, "SELECT step FROM latest_metrics WHERE run_uuid LIKE 'a%' ORDER BY key")).toEqual([128, 129]);
    expect(count(file, "SELECT value FROM latest_metrics WHERE run_uuid LIKE 'a%' ORDER BY key")).toEqual([128 / 7, 129 / 7]);
    expect(count(file, 'SELECT count(*) FROM metrics WHERE is_nan = 1 AND value = 0')).toEqual([2]); // line 3 of each run
  });

  it('a thread that cannot open the database fails every call with one error', async () => {
    const dir = tempDir('migrate-writer');
    const file = path.join(dir, 'not.db');
    fs.writeFileSync(file, 'this is not a database, it is text long enough to be read as a header of one page\n'.repeat(10));
    const imp = new PipedImporter(file, true, false, () => {});
    const e1 = await imp.importRunsEach([run('a'.repeat(32), '0', 3)], new Set()).catch((e: unknown) => e);
    const e2 = await imp
      .importModel(
        { model: { name: 'm', creation_timestamp: 1, last_updated_timestamp: 1, description: null, tags: [], aliases: [], latest_versions: [] }, versions: [] },
        false,
      )
      .catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(StateError);
    expect((e1 as StateError).code).toBe('importer-stopped');
    expect((e1 as Error).message).toMatch(
      /^.*not\.db: the writer thread stopped \(.*not a SQLite database.*\); every batch committed before it is in the database, and re-running migrate resumes$/,
    );
    expect(e2).toBe(e1);
    await imp.close();
  });

  it('a store of fewer than 1,000 runs is written in this thread (a thread costs more than it wins there); the counts come from a folder count and COUNT(*)', async () => {
    const dir = tempDir('migrate-writer');
    const from = await openBackend(resolveTrackingUri(FIXTURE, {}, dir), { cwd: dir });
    const src = await from.reader();
    const runs = (await src.listRuns(await src.listExperiments('all'), 'all')).length;
    expect(await src.estimateRuns!()).toBe(runs);
    const file = path.join(dir, 'm.db');
    const to = new SqliteBackend({ file, artifactRoot: path.join(dir, 'mlruns'), cwd: dir, describe: file, trackingUri: `sqlite:///${file}` });
    const kinds: string[] = [];
    for (const opts of [{ runs: 999 }, { runs: 1000 }, {}]) kinds.push((await to.importer(opts)).constructor.name);
    expect(kinds).toEqual([SqliteImporter.name, PipedImporter.name, PipedImporter.name]);
    await to.close();
    const into = await openBackend(resolveTrackingUri(`sqlite:///${file}`, {}, dir), { cwd: dir });
    const res = await migrate(from, into, {});
    expect(res.runs.created).toBe(runs);
    expect(await (await into.reader()).estimateRuns!()).toBe(runs);
    await into.close();
    await from.close();
  });

  it('a thread that runs out of memory mid-migration: one error line, whole runs only, a re-run completes it', async () => {
    const dir = tempDir('migrate-writer');
    await generateStore({ out: path.join(dir, 'gen'), runs: 12, experiments: 1, steps: 20, seed: 5 });
    const src = path.join(dir, 'gen', 'mlruns');
    // the 8th run by start time (migrate's order) carries 24 MB of params: in one message the thread cannot hold
    const runDirs = fs
      .readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('meta.yaml') && p.split(path.sep).length === 3)
      .map((p) => ({ dir: path.join(src, path.dirname(p)), start: Number(/start_time: (\d+)/.exec(fs.readFileSync(path.join(src, p), 'utf8'))![1]) }))
      .sort((a, b) => a.start - b.start);
    expect(runDirs).toHaveLength(12);
    for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(runDirs[7]!.dir, 'params', `big${i}`), 'x'.repeat(1 << 20));
    const file = path.join(dir, 'm.db');
    const from = await openBackend(resolveTrackingUri(src, {}, dir), { cwd: dir });
    const to = new SqliteBackend({
      file,
      artifactRoot: path.join(dir, 'mlruns'),
      cwd: dir,
      describe: `sqlite:///${file}`,
      trackingUri: `sqlite:///${file}`,
      writerLimits: { maxOldGenerationSizeMb: 12 },
      threadFromRuns: 0, // 12 runs would be written in this thread
    });
    const err = await migrate(from, to, { batchRuns: 1 }).catch((e: unknown) => e);
    await to.close();
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('importer-stopped');
    expect((err as StateError).exitCode).toBe(1);
    expect((err as Error).message).toBe(
      `${file}: the writer thread stopped (Worker terminated due to reaching memory limit: JS heap out of memory); every batch committed before it is in the database, and re-running migrate resumes`,
    );
    const db = new Database(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const runs = db.prepare('SELECT run_uuid FROM runs').pluck().all() as string[];
    const lines = db.prepare('SELECT count(*) FROM metrics GROUP BY run_uuid').pluck().all();
    db.close();
    // the runs before the big one, each whole (6 metrics × 20 steps), and nothing of those after
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.length).toBeLessThan(8);
    expect(lines).toEqual(runs.map(() => 120));
    const target = await openBackend(resolveTrackingUri(`sqlite:///${file}`, {}, dir), { cwd: dir });
    const again = await migrate(from, target, {});
    await target.close();
    expect(again.problems).toEqual([]);
    expect(again.runs).toEqual({ created: 12 - runs.length, same: runs.length, differs: 0, replaced: 0, failed: 0 });
    await from.close();
  }, 60_000);
});
