/**
 * Never stale, for the web viewer's endpoints: a long-running server keeps the column
 * picker's answer, a view's arrangement and each run's params and tags while no file they
 * read has changed, and the next request after a change — by the CLI, by another process,
 * by hand in place with the same size and mtime — answers from the files as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileBackend } from '../../src/store/file/backend.js';
import { defaultUiDir, loadUiAssets } from '../../src/server/ui.js';
import { BIN, mlr } from '../helpers.js';
import { serveCopy, type TestServer } from './helpers.js';

const SWEEP = '234684999513866976';

let s: TestServer;
beforeAll(async () => {
  s = await serveCopy(undefined, { ui: loadUiAssets(defaultUiDir()!) });
});
afterAll(() => s.stop());

const cache = () => (s.backend as FileBackend).cache!;

interface Column {
  key: string;
  varies?: boolean;
}
interface Page {
  total: number;
  groups?: { value: string | null; count: number }[];
  rows: { run_id: string; values: Record<string, unknown> }[];
}

async function get<T>(route: string, q: Record<string, string>): Promise<T> {
  const r = await s.call('GET', `/ajax-api/mlr/${route}`, q);
  expect(r.status, r.text).toBe(200);
  return r.json as T;
}

/** Asks until the answer comes from memory (the watches are made after the first request), then returns it. */
async function warm<T>(route: string, q: Record<string, string>): Promise<T> {
  const hits = cache().memoHits;
  let out: T | undefined;
  for (let i = 0; i < 6 && cache().memoHits === hits; i++) out = await get<T>(route, q);
  expect(cache().memoHits).toBeGreaterThan(hits);
  return out!;
}

const picker = { experiment_ids: SWEEP, detail: '1' };
const varies = (cols: Column[], key: string) => cols.find((c) => c.key === key)?.varies;

describe('the ui endpoints answered from memory never go stale', () => {
  it('columns: a tag set by the CLI on every run makes a new column, then one that stops varying', async () => {
    const before = (await warm<{ columns: Column[] }>('columns', picker)).columns;
    expect(before.map((c) => c.key)).not.toContain('tags.fresh');
    const runs = (await get<Page>('runs', { experiment_ids: SWEEP, limit: '1000' })).rows.map((r) => r.run_id);
    expect(runs.length).toBeGreaterThan(2);
    // one run: the column exists and varies (the others lack it)
    expect((await mlr(['--store', s.root, 'set-tag', runs[0]!, 'fresh', 'x'])).code).toBe(0);
    const one = (await get<{ columns: Column[] }>('columns', picker)).columns;
    expect(varies(one, 'tags.fresh')).toBe(true);
    await warm('columns', picker);
    // every run the same value: it no longer varies
    for (const id of runs.slice(1)) expect((await mlr(['--store', s.root, 'set-tag', id, 'fresh', 'x'])).code).toBe(0);
    expect(varies((await get<{ columns: Column[] }>('columns', picker)).columns, 'tags.fresh')).toBe(false);
  });

  it('columns: a tag file rewritten in place by hand (same size and mtime) makes a same-everywhere tag vary', async () => {
    // after the test above every run has tags.fresh = x
    expect(varies((await warm<{ columns: Column[] }>('columns', picker)).columns, 'tags.fresh')).toBe(false);
    const id = (await get<Page>('runs', { experiment_ids: SWEEP, limit: '1' })).rows[0]!.run_id;
    const file = path.join(s.root, SWEEP, id, 'tags', 'fresh');
    const st = fs.statSync(file);
    fs.writeFileSync(file, 'y');
    fs.utimesSync(file, st.atime, st.mtime);
    expect(varies((await get<{ columns: Column[] }>('columns', picker)).columns, 'tags.fresh')).toBe(true);
    // and back: the same everywhere again
    await warm('columns', picker);
    fs.writeFileSync(file, 'x');
    fs.utimesSync(file, st.atime, st.mtime);
    expect(varies((await get<{ columns: Column[] }>('columns', picker)).columns, 'tags.fresh')).toBe(false);
  });

  it('columns (header): a metric logged by another process shows as a new column', async () => {
    const q = { experiment_ids: SWEEP };
    await get('columns', q);
    const before = (await get<{ columns: Column[] }>('columns', q)).columns.map((c) => c.key);
    expect(before).not.toContain('metrics.fresh_metric');
    const id = (await get<Page>('runs', { experiment_ids: SWEEP, limit: '1' })).rows[0]!.run_id;
    const r = spawnSync(process.execPath, [BIN, '--store', s.root, 'log-metric', id, 'fresh_metric', '0.5'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect((await get<{ columns: Column[] }>('columns', q)).columns.map((c) => c.key)).toContain('metrics.fresh_metric');
  });

  it('group: a param rewritten in place moves its run to another group; a sort sees a metric logged since', async () => {
    const q = { experiment_ids: SWEEP, group: 'params.optimizer', limit: '1000' };
    const before = await warm<Page>('runs', q);
    const victim = before.rows.find((r) => r.values['params.optimizer'] === 'sgd')!.run_id;
    const file = path.join(s.root, SWEEP, victim, 'params', 'optimizer');
    const st = fs.statSync(file);
    fs.writeFileSync(file, 'qqq');
    fs.utimesSync(file, st.atime, st.mtime);
    const after = await get<Page>('runs', q);
    const count = (p: Page, v: string) => p.groups!.find((g) => g.value === v)?.count ?? 0;
    expect(count(after, 'sgd')).toBe(count(before, 'sgd') - 1);
    expect(count(after, 'qqq')).toBe(1);
    expect(after.rows.find((r) => r.run_id === victim)!.values['params.optimizer']).toBe('qqq');

    const sorted = { experiment_ids: SWEEP, filter: 'metrics.val_loss < 1e305', order_by: 'metrics.val_loss ASC', limit: '1000' };
    const ids = (await warm<Page>('runs', sorted)).rows.map((r) => r.run_id);
    expect((await mlr(['--store', s.root, 'log-metric', ids[0]!, 'val_loss', '1e300', '--step', '100000'])).code).toBe(0);
    const again = (await get<Page>('runs', sorted)).rows.map((r) => r.run_id);
    expect(again[again.length - 1]).toBe(ids[0]);
    expect(again.slice(0, -1)).toEqual(ids.slice(1));
  });
});
