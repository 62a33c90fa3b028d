/**
 * Never stale: the server keeps what it parsed, but a search never misses a change made
 * between two requests — by the CLI, by another process, or by hand — even one made
 * within the same file-timestamp tick as the previous read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import type { FileBackend } from '../../src/store/file/backend.js';
import { BIN, mlr } from '../helpers.js';
import { serveCopy, type TestServer } from './helpers.js';

const SWEEP = '234684999513866976';
let s: TestServer;
beforeAll(async () => {
  s = await serveCopy();
});
afterAll(() => s.stop());

async function search(
  body: Record<string, unknown>,
): Promise<{ info: { run_id: string; status: string; run_name: string }; data: { metrics?: { key: string; value: unknown }[] } }[]> {
  const r = await s.call('POST', 'runs/search', { experiment_ids: [SWEEP], ...body });
  expect(r.status, r.text).toBe(200);
  return ((r.json as { runs?: never[] }).runs ?? []) as never;
}

describe('a long-running server never answers from stale files', () => {
  it('sees a metric the CLI logs between two searches', async () => {
    const before = await search({ order_by: ['metrics.val_loss ASC'], max_results: 3 });
    const first = before[0]!.info.run_id;
    // a later step than any logged: the first run's latest val_loss becomes the highest
    const r = await mlr(['--store', s.root, 'log-metric', first, 'val_loss', '1e300', '--step', '100000']);
    expect(r.code, r.stderr).toBe(0);
    const after = await search({ order_by: ['metrics.val_loss ASC'], max_results: 3 });
    expect(after.map((x) => x.info.run_id)).toEqual(
      before
        .slice(1)
        .map((x) => x.info.run_id)
        .concat(after[2]!.info.run_id),
    );
    expect(after.map((x) => x.info.run_id)).not.toContain(first);
    const got = (await s.call('GET', 'runs/get', { run_id: first })).json as { run: { data: { metrics: { key: string; value: unknown }[] } } };
    expect(got.run.data.metrics.find((m) => m.key === 'val_loss')!.value).toBe(1e300);
  });

  it('sees a run the CLI creates and a status the CLI sets', async () => {
    const n0 = (await search({ max_results: 1000 })).length;
    const created = await mlr(['--store', s.root, 'runs', 'create', '--experiment', SWEEP, '--name', 'from-cli']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const runs = await search({ max_results: 1000 });
    expect(runs).toHaveLength(n0 + 1);
    expect(runs.find((x) => x.info.run_id === id)?.info.status).toBe('RUNNING');
    expect((await mlr(['--store', s.root, 'runs', 'end', id, '--status', 'FAILED'])).code).toBe(0);
    const again = await search({ filter: "attributes.status = 'FAILED'", max_results: 1000 });
    expect(again.map((x) => x.info.run_id)).toContain(id);
  });

  it('sees a meta.yaml edited by hand in place, right after it was read (same timestamp tick)', async () => {
    const runs = await search({ max_results: 1000 });
    const victim = runs.find((x) => x.info.status === 'FINISHED')!.info.run_id;
    const meta = path.join(s.root, SWEEP, victim, 'meta.yaml');
    // read it (and cache it), then rewrite it in place with the same length and mtime
    await search({ filter: `attributes.run_id = '${victim}'` });
    const st = fs.statSync(meta);
    const text = fs.readFileSync(meta, 'utf8');
    const edited = text.replace(/^run_name: .*$/m, (l) => 'run_name: ' + 'x'.repeat(l.length - 'run_name: '.length));
    expect(edited.length).toBe(text.length);
    fs.writeFileSync(meta, edited);
    fs.utimesSync(meta, st.atime, st.mtime);
    const got = await search({ filter: `attributes.run_id = '${victim}'` });
    expect(got[0]!.info.run_name).toMatch(/^x+$/);
  });

  it('sees an experiment the CLI creates and one it deletes', async () => {
    const names = async () =>
      (((await s.call('POST', 'experiments/search', { view_type: 'ACTIVE_ONLY' })).json as { experiments: { name: string }[] }).experiments ?? []).map(
        (e) => e.name,
      );
    expect(await names()).not.toContain('made-by-cli');
    expect((await mlr(['--store', s.root, 'experiments', 'create', 'made-by-cli'])).code).toBe(0);
    expect(await names()).toContain('made-by-cli');
    expect((await mlr(['--store', s.root, 'experiments', 'delete', 'made-by-cli'])).code).toBe(0);
    expect(await names()).not.toContain('made-by-cli');
  });
});

describe('searches answered from memory (inotify watches, memo) still never go stale', () => {
  let w: TestServer;
  beforeAll(async () => {
    w = await serveCopy();
  });
  afterAll(() => w.stop());
  const cache = () => (w.backend as FileBackend).cache!;
  const order = async (): Promise<string[]> => {
    // only the runs that have a val_loss (the others would sort last)
    const r = await w.call('POST', 'runs/search', {
      experiment_ids: [SWEEP],
      filter: 'metrics.val_loss < 1e305',
      order_by: ['metrics.val_loss ASC'],
      max_results: 1000,
    });
    expect(r.status, r.text).toBe(200);
    return ((r.json as { runs: { info: { run_id: string } }[] }).runs ?? []).map((x) => x.info.run_id);
  };
  /** search until the answer comes from memory (the watches are made after the first search) */
  const warm = async (): Promise<string[]> => {
    const hits = cache().memoHits;
    let ids: string[] = [];
    for (let i = 0; i < 5 && cache().memoHits === hits; i++) ids = await order();
    expect(cache().memoHits).toBeGreaterThan(hits);
    return ids;
  };

  it('sees a metric logged by another process (the CLI, spawned) between two remembered searches', async () => {
    const before = await warm();
    const first = before[0]!;
    const r = spawnSync(process.execPath, [BIN, '--store', w.root, 'log-metric', first, 'val_loss', '1e300', '--step', '100000'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const after = await order();
    expect(after).toHaveLength(before.length);
    expect(after[after.length - 1]).toBe(first);
    expect(after.slice(0, -1)).toEqual(before.slice(1));
  });

  it('sees a metric file rewritten in place by hand, same size and mtime', async () => {
    const before = await warm();
    const last = before[before.length - 1]!;
    const file = path.join(w.root, SWEEP, last, 'metrics', 'val_loss');
    const st = fs.statSync(file);
    const text = fs.readFileSync(file, 'utf8');
    // the same length: the latest value becomes a tiny one (the run moves to the front)
    const lines = text.trimEnd().split('\n');
    const [ts, value, step] = lines[lines.length - 1]!.split(' ');
    const tiny = '-9'.padEnd(value!.length, '9');
    lines[lines.length - 1] = `${ts} ${tiny} ${step}`;
    fs.writeFileSync(file, lines.join('\n') + '\n');
    fs.utimesSync(file, st.atime, st.mtime);
    expect(fs.statSync(file).size).toBe(st.size);
    const after = await order();
    expect(after[0]).toBe(last);
  });

  it('sees an experiment folder moved away, changed and moved back', async () => {
    const before = await warm();
    const second = before[1]!;
    const dir = path.join(w.root, SWEEP);
    const aside = path.join(path.dirname(w.root), 'aside');
    fs.renameSync(dir, aside);
    expect(await order()).toEqual([]);
    fs.appendFileSync(path.join(aside, second, 'metrics', 'val_loss'), '1 -1e300 999999999\n');
    fs.renameSync(aside, dir);
    const after = await order();
    expect(after[0]).toBe(second);
  });

  it('sees its own write at once (log-metric over HTTP, then a search)', async () => {
    const before = await warm();
    const third = before[2]!;
    const r = await w.call('POST', 'runs/log-metric', { run_id: third, key: 'val_loss', value: -1e301, timestamp: 1, step: 1_000_000_000 });
    expect(r.status, r.text).toBe(200);
    expect((await order())[0]).toBe(third);
  });
});
