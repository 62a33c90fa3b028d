/**
 * Never stale: the server keeps what it parsed, but a search never misses a change made
 * between two requests — by the CLI, by another process, or by hand — even one made
 * within the same file-timestamp tick as the previous read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { serveCopy, type TestServer } from './helpers.js';

const SWEEP = '234684999513866976';
let s: TestServer;
beforeAll(async () => {
  s = await serveCopy();
});
afterAll(() => s.stop());

async function search(body: Record<string, unknown>): Promise<{ info: { run_id: string; status: string; run_name: string }; data: { metrics?: { key: string; value: unknown }[] } }[]> {
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
    expect(after.map((x) => x.info.run_id)).toEqual(before.slice(1).map((x) => x.info.run_id).concat(after[2]!.info.run_id));
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
      (((await s.call('POST', 'experiments/search', { view_type: 'ACTIVE_ONLY' })).json as { experiments: { name: string }[] }).experiments ?? []).map((e) => e.name);
    expect(await names()).not.toContain('made-by-cli');
    expect((await mlr(['--store', s.root, 'experiments', 'create', 'made-by-cli'])).code).toBe(0);
    expect(await names()).toContain('made-by-cli');
    expect((await mlr(['--store', s.root, 'experiments', 'delete', 'made-by-cli'])).code).toBe(0);
    expect(await names()).not.toContain('made-by-cli');
  });
});
