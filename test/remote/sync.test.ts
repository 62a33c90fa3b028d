/**
 * `mlr sync` round trip: fixtures/mlruns pushed into `mlr server` over an empty store,
 * pulled back into an empty folder, and compared with the source field by field — every
 * run's info, params, tags and every metric line — modulo the documented id mapping (the
 * server picks run ids; each of its runs carries the source id in `mlr.source_run_id`, and
 * a pull keeps the server's ids). Re-runs are idempotent; a run that grew sends only its
 * new lines; a run that cannot be synced is listed and the exit code is 3.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { FIXTURE, copyStore, mlr, tempDir } from '../helpers.js';
import { serveRoot, type TestServer } from '../server/helpers.js';

let server: TestServer;
let source = '';
let work = '';

interface RunJson {
  info: Record<string, unknown> & { run_id: string; experiment_id: string };
  data: { metrics: { key: string }[]; params: unknown[]; tags: { key: string; value: string }[] };
  inputs: unknown;
}

beforeAll(async () => {
  work = tempDir('sync');
  const root = path.join(work, 'server-store');
  const b = await openBackend(resolveTrackingUri(root, {}, work), { cwd: work });
  await (await b.writer()).createExperiment('Default', { experimentId: '0' });
  await b.close();
  server = await serveRoot(root);
  source = copyStore(FIXTURE);
});
afterAll(async () => {
  await server.stop();
});

const sync = (from: string, to: string, ...more: string[]) => mlr(['sync', '--from', from, '--to', to, '--format', 'json', ...more], { cwd: work });

interface SyncJson {
  dry_run: boolean;
  runs: { source_run_id: string; target_run_id: string; action: string; metric_lines: number; params: number; artifacts: number; error: string | null }[];
  failed: number;
}

async function runsOf(store: string): Promise<RunJson[]> {
  // every run whole, as runs describe gives it (runs ls --format json is MLflow's search_runs: the same Run)
  const r = await mlr(['--tracking-uri', store, 'runs', 'ls', '--format', 'json'], { cwd: work });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RunJson[];
}

async function history(store: string, id: string, key: string): Promise<unknown> {
  return JSON.parse((await mlr(['--tracking-uri', store, 'metrics', 'history', id, key, '--format', 'json'], { cwd: work })).stdout);
}

async function experimentNames(store: string): Promise<Map<string, string>> {
  const r = await mlr(['--tracking-uri', store, 'experiments', 'ls', '--format', 'json'], { cwd: work });
  return new Map((JSON.parse(r.stdout) as { experiment_id: string; name: string }[]).map((e) => [e.experiment_id, e.name]));
}

/** A run as compared: ids, artifact location and the sync tag left out, the experiment by name, the parent by its source id. */
function comparable(r: RunJson, names: Map<string, string>, toSource: (id: string) => string): unknown {
  const { run_id: _id, run_uuid: _uuid, artifact_uri: _a, experiment_id, ...info } = r.info;
  return {
    info: { ...info, experiment: names.get(experiment_id) },
    data: {
      ...r.data,
      tags: r.data.tags
        .filter((t) => t.key !== 'mlr.source_run_id' && !t.key.startsWith('mlr.synced.'))
        .map((t) => (t.key === 'mlflow.parentRunId' ? { key: t.key, value: toSource(t.value) } : t)),
    },
    inputs: r.inputs,
  };
}

describe('mlr sync: push to a server, pull back into a folder', () => {
  it('round-trips every field and every metric line (modulo ids)', async () => {
    const push = await sync(source, server.url);
    expect(push.stderr).toMatch(/^mlr: synced 71 runs \(71 created, 0 updated, 0 unchanged\), 1690 metric lines\n$/);
    expect(push.code).toBe(0);
    const pushed = JSON.parse(push.stdout) as SyncJson;
    expect(pushed.runs.every((r) => r.action === 'created' && r.target_run_id !== r.source_run_id)).toBe(true);

    const mirror = path.join(work, 'mirror');
    const pull = await sync(server.url, mirror);
    expect(pull.code).toBe(0);
    expect(pull.stderr).toBe(`mlr: created a new store at ${mirror}\nmlr: synced 71 runs (71 created, 0 updated, 0 unchanged), 1690 metric lines\n`);
    // a folder can hold any id: the pulled runs keep the server's
    const pulled = JSON.parse(pull.stdout) as SyncJson;
    expect(pulled.runs.every((r) => r.target_run_id === r.source_run_id)).toBe(true);

    const src = await runsOf(source);
    const back = await runsOf(mirror);
    expect(back).toHaveLength(src.length);
    const serverToSource = new Map(pushed.runs.map((r) => [r.target_run_id, r.source_run_id]));
    const toSource = (id: string): string => serverToSource.get(id) ?? id;
    const srcNames = await experimentNames(source);
    const backNames = await experimentNames(mirror);
    const bySource = new Map(back.map((r) => [r.data.tags.find((t) => t.key === 'mlr.source_run_id')!.value, r]));
    for (const s of src) {
      const b = bySource.get(s.info.run_id)!;
      expect(b, s.info.run_id).toBeDefined();
      expect(comparable(b, backNames, toSource)).toEqual(comparable(s, srcNames, (x) => x));
      for (const m of s.data.metrics) expect(await history(mirror, b.info.run_id, m.key)).toEqual(await history(source, s.info.run_id, m.key));
    }
    // artifacts went up through the proxy and came back down
    const withFile = bySource.get('d61057829b7b4f24b7a65344cc35e18e')!.info.run_id;
    expect((await mlr(['--tracking-uri', mirror, 'artifacts', 'cat', withFile, 'docs/notes.txt'])).stdout).toBe(
      fs.readFileSync(path.join(FIXTURE, '234684999513866976', 'd61057829b7b4f24b7a65344cc35e18e', 'artifacts', 'docs', 'notes.txt'), 'utf8'),
    );

    // each source run records its copy on the server (mlr.synced.<host>_<port>); a pull records nothing
    const key = `mlr.synced.127.0.0.1_${new URL(server.url).port}`;
    const tagOf = (r: RunJson, k: string) => r.data.tags.find((t) => t.key === k)?.value;
    for (const s of src) expect(tagOf(s, key), s.info.run_id).toBe(pushed.runs.find((r) => r.source_run_id === s.info.run_id)!.target_run_id);
    expect(back.every((b) => b.data.tags.every((t) => !t.key.startsWith('mlr.synced.')))).toBe(true);

    // again: nothing to send either way (the local tags are no change to send)
    const again = await sync(source, server.url);
    expect(again.stderr).toBe('mlr: synced 71 runs (0 created, 0 updated, 71 unchanged), 0 metric lines\n');
    const againPull = await sync(server.url, mirror);
    expect(againPull.stderr).toBe('mlr: synced 71 runs (0 created, 0 updated, 71 unchanged), 0 metric lines\n');
  });

  it('a run that grew sends only its new lines, with their own steps and timestamps', async () => {
    const run = '02df84e1e68a46eaa4f971068787bace';
    const before = (await history(source, run, 'val_loss')) as unknown[];
    for (let i = 0; i < 3; i++) {
      const r = await mlr([
        '--store',
        source,
        'log-metric',
        run,
        'val_loss',
        String(0.1 - i / 100),
        '--step',
        String(100 + i),
        '--timestamp',
        String(1795400000000 + i),
      ]);
      expect(r.code).toBe(0);
    }
    await mlr(['--store', source, 'log-metric', run, 'huge_step', '1.5', '--step', '9007199254740993', '--timestamp', '1795400000009']);
    const dry = await sync(source, server.url, '--run', run, '--dry-run');
    expect(dry.stderr).toBe('mlr: would sync 1 run (0 created, 1 updated, 0 unchanged), 4 metric lines; nothing changed (drop --dry-run to sync)\n');
    const r = await sync(source, server.url, '--run', run);
    const out = JSON.parse(r.stdout) as SyncJson;
    expect(out.runs).toMatchObject([{ source_run_id: run, action: 'updated', metric_lines: 4, params: 0 }]);
    const target = out.runs[0]!.target_run_id;
    const grown = (await history(server.url, target, 'val_loss')) as unknown[];
    expect(grown).toEqual(await history(source, run, 'val_loss'));
    expect(grown).toHaveLength(before.length + 3);
    expect(await history(server.url, target, 'huge_step')).toEqual(await history(source, run, 'huge_step'));
    expect((await mlr(['--tracking-uri', server.url, 'metrics', 'history', target, 'huge_step', '--format', 'json'])).stdout).toContain(
      '"step":9007199254740993',
    );
    // and once more: nothing
    expect((await sync(source, server.url, '--run', run)).stderr).toBe('mlr: synced 1 run (0 created, 0 updated, 1 unchanged), 0 metric lines\n');
  });

  it('the local tag finds the copy when the server lost its mlr.source_run_id; a dry run writes none', async () => {
    const run = '0fcd845b07194992b396ad2f7047d7eb';
    const key = `mlr.synced.127.0.0.1_${new URL(server.url).port}`;
    const described = JSON.parse((await mlr(['--store', source, 'runs', 'describe', run, '--format', 'json'])).stdout) as RunJson;
    const copy = described.data.tags.find((t) => t.key === key)!.value;
    expect((await mlr(['--tracking-uri', server.url, 'delete-tag', copy, 'mlr.source_run_id'])).code).toBe(0);
    const count = async () => (await mlr(['--tracking-uri', server.url, 'runs', 'ls', '--all', '--format', 'ids'])).stdout.trim().split('\n').length;
    const before = await count();
    const r = await sync(source, server.url, '--run', run);
    expect(JSON.parse(r.stdout) as SyncJson).toMatchObject({
      runs: [{ source_run_id: run, target_run_id: copy, action: 'updated', metric_lines: 0 }],
      failed: 0,
    });
    expect(await count()).toBe(before);
    const fixed = JSON.parse((await mlr(['--tracking-uri', server.url, 'runs', 'describe', copy, '--format', 'json'])).stdout) as RunJson;
    expect(fixed.data.tags).toContainEqual({ key: 'mlr.source_run_id', value: run });

    const fresh = copyStore(FIXTURE);
    const dry = await sync(fresh, server.url, '--run', run, '--dry-run');
    expect(dry.code).toBe(0);
    const tags = JSON.parse((await mlr(['--store', fresh, 'runs', 'describe', run, '--format', 'json'])).stdout) as RunJson;
    expect(tags.data.tags.filter((t) => t.key.startsWith('mlr.synced.'))).toEqual([]);
  });

  it('a sync cut short resumes without a duplicate line', async () => {
    // the state a killed sync leaves: the run on the server with the first lines of a metric only
    const src = (await mlr(['--store', source, 'runs', 'create', '-e', 'Default', '--name', 'long', '--start-time', '1795300000000'])).stdout.trim();
    const batch = { metrics: Array.from({ length: 1800 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: 1795300000000 + i, step: i })) };
    for (const part of [batch.metrics.slice(0, 1000), batch.metrics.slice(1000)]) {
      expect((await mlr(['--store', source, 'log-batch', src, '--file', '-'], { input: JSON.stringify({ metrics: part }) })).code).toBe(0);
    }
    const inDefault = (
      await mlr([
        '--tracking-uri',
        server.url,
        'runs',
        'create',
        '-e',
        'Default',
        '--name',
        'long',
        '--tag',
        `mlr.source_run_id=${src}`,
        '--start-time',
        '1795300000000',
      ])
    ).stdout.trim();
    expect(inDefault).toMatch(/^[0-9a-f]{32}$/);
    const first = { metrics: batch.metrics.slice(0, 1000) };
    expect((await mlr(['--tracking-uri', server.url, 'log-batch', inDefault, '--file', '-'], { input: JSON.stringify(first) })).code).toBe(0);
    const r = await sync(source, server.url, '--run', src);
    expect(JSON.parse(r.stdout) as SyncJson).toMatchObject({ runs: [{ target_run_id: inDefault, action: 'updated', metric_lines: 800 }], failed: 0 });
    const lines = (await history(server.url, inDefault, 'loss')) as { step: number }[];
    expect(lines).toHaveLength(1800);
    expect(lines.map((l) => l.step)).toEqual(batch.metrics.map((m) => m.step));
  });

  it('a run that cannot be synced is listed, the others go on, exit 3', async () => {
    const run = '0b5d6da9ab5f454188661064e2e37804';
    const pushed = JSON.parse((await sync(source, server.url, '--run', run)).stdout) as SyncJson;
    const target = pushed.runs[0]!.target_run_id;
    // a param logged on the server that the source has with another value
    const srcParams = JSON.parse((await mlr(['--store', source, 'runs', 'describe', run, '--format', 'json'])).stdout) as RunJson;
    expect(srcParams.data.params.length).toBeGreaterThan(0);
    await mlr(['--store', source, 'log-param', run, 'conflict', 'here']);
    await mlr(['--tracking-uri', server.url, 'log-param', target, 'conflict', 'there']);
    const r = await mlr(['sync', '--from', source, '--to', server.url, '-e', 'Default'], { cwd: work });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`mlr: warning: run ${run}: param 'conflict' is 'there' on the target but 'here' here\n`);
    expect(r.stdout.split('\n').filter((l) => l.includes('\tfailed\t'))).toHaveLength(1);
  });

  it('into a new SQLite database: ids kept, the same runs', async () => {
    const db = `sqlite:///${path.join(work, 'copy.db')}`;
    const r = await mlr(['sync', '--from', FIXTURE, '--to', db, '--no-artifacts'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: created a new store at ${db}\nmlr: synced 71 runs (71 created, 0 updated, 0 unchanged), 1690 metric lines\n`);
    // MLflow's SQL store keeps ±Infinity as ±max double (docs/backends.md)
    const norm = (s: string): string =>
      s.replace(/"artifact_uri": "[^"]*"/g, '"artifact_uri": "<a>"').replace(/"value": "(-?)Infinity"/g, '"value": $11.7976931348623157e+308');
    for (const args of [
      ['runs', 'ls', '--format', 'json'],
      ['runs', 'describe', '0fcd845b', '--format', 'json'],
      ['metrics', 'history', '0fcd845b', 'val_loss', '--format', 'json'],
    ]) {
      const a = await mlr(['--store', FIXTURE, ...args]);
      const b = await mlr(['--store', db, ...args], { cwd: work });
      expect(norm(b.stdout), args.join(' ')).toBe(norm(a.stdout));
    }
    // pushed from SQLite: the server's copies are found by mlr.source_run_id (the ids are the
    // folder's), and each SQLite run records its copy
    const fromDb = await mlr(['sync', '--from', db, '--to', server.url, '-e', 'sweep', '--run', '0fcd845b', '--format', 'json'], { cwd: work });
    expect(fromDb.code).toBe(0);
    const row = (JSON.parse(fromDb.stdout) as SyncJson).runs[0]!;
    expect(row.action).toBe('unchanged');
    const key = `mlr.synced.127.0.0.1_${new URL(server.url).port}`;
    const dbRun = JSON.parse((await mlr(['--store', db, 'runs', 'describe', '0fcd845b', '--format', 'json'], { cwd: work })).stdout) as RunJson;
    expect(dbRun.data.tags).toContainEqual({ key, value: row.target_run_id });
  });

  it('pulled into a new SQLite database in another folder: artifacts in mlruns/ beside it', async () => {
    const dir = path.join(work, 'dbs');
    fs.mkdirSync(dir);
    const db = `sqlite:///${path.join(dir, 'pulled.db')}`;
    const r = await mlr(['sync', '--from', server.url, '--to', db, '--format', 'json'], { cwd: work });
    expect(r.stderr).toMatch(/^mlr: created a new store at .*\nmlr: synced \d+ runs \(\d+ created, 0 updated, 0 unchanged\), \d+ metric lines\n$/);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as SyncJson).runs;
    const withFile = rows.find((x) => x.artifacts === 1)!.target_run_id;
    const notes = fs.readFileSync(path.join(FIXTURE, '234684999513866976', 'd61057829b7b4f24b7a65344cc35e18e', 'artifacts', 'docs', 'notes.txt'), 'utf8');
    expect((await mlr(['--tracking-uri', db, 'artifacts', 'cat', withFile, 'docs/notes.txt'], { cwd: work })).stdout).toBe(notes);
    const exp = (JSON.parse((await mlr(['--tracking-uri', db, 'runs', 'describe', withFile, '--format', 'json'], { cwd: work })).stdout) as RunJson).info;
    expect(fs.readFileSync(path.join(dir, 'mlruns', exp.experiment_id, withFile, 'artifacts', 'docs', 'notes.txt'), 'utf8')).toBe(notes);
    expect(fs.existsSync(path.join(work, 'mlruns'))).toBe(false);
    // and pushed from the folder into another new database, with --artifact-root
    const db2 = `sqlite:///${path.join(dir, 'pushed.db')}`;
    const r2 = await mlr(['sync', '--from', FIXTURE, '--to', db2, '-e', 'sweep', '--artifact-root', 'store-artifacts'], { cwd: work });
    expect(r2.code).toBe(0);
    expect(
      fs.readFileSync(path.join(work, 'store-artifacts', '234684999513866976', 'd61057829b7b4f24b7a65344cc35e18e', 'artifacts', 'docs', 'notes.txt'), 'utf8'),
    ).toBe(notes);
    expect(await mlr(['sync', '--from', FIXTURE, '--to', server.url, '--artifact-root', 'x'], { cwd: work })).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlr: --artifact-root: a tracking server chooses where artifacts go (${server.url})\n`,
    });
  });

  it('refuses the same store on both sides (exit 2)', async () => {
    const r = await mlr(['sync', '--from', source, '--to', source]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `mlr: --from and --to name the same store (${source})\n` });
  });
});
