/**
 * Search over a real store through the command layer: only the files a query names are
 * read, and the answers match a straightforward full load.
 */
import { describe, expect, it } from 'vitest';
import { bestRun, queryColumns } from '../../src/commands/search.js';
import { selectRuns } from '../../src/commands/select.js';
import { compileQuery } from '../../src/search/index.js';
import { openCounts, resetOpenCounts } from '../../src/store/file/fsread.js';
import { fileReader } from '../reader.js';
import { FIXTURE } from '../helpers.js';

describe('selectRuns with a query', () => {
  it("reads a clause's file only for runs the clauses before it let through, and order keys only for matches", async () => {
    const store = fileReader(FIXTURE);
    const all = await selectRuns(store, { view: 'active', experiments: ['sweep'] });
    // what each run holds, from a full load (independent of the lazy path under test)
    const full = all.map((e) => store.loadRun(e));
    const valLoss = (r: (typeof full)[number]) => r.data.metrics.find((m) => m.key === 'val_loss')?.value;
    const team = (r: (typeof full)[number]) => r.data.tags.find((t) => t.key === 'team')?.value;
    const pastFirst = full.filter((r) => (valLoss(r) ?? NaN) < 1);
    const matches = pastFirst.filter((r) => team(r) === 'vision');
    expect(pastFirst.length).toBeLessThan(all.length);
    expect(matches.length).toBeGreaterThan(1);
    expect(matches.length).toBeLessThan(pastFirst.length);

    resetOpenCounts();
    const q = compileQuery({ filter: "metrics.val_loss < 1 AND tags.team = 'vision'", orderBy: ['params.lr DESC'] });
    const runs = await selectRuns(store, { view: 'active', experiments: ['sweep'], query: q });
    expect(openCounts).toMatchObject({ metric: all.length, tag: pastFirst.length, param: matches.length });
    expect(runs.map((r) => r.info.run_id).sort()).toEqual(matches.map((r) => r.info.run_id).sort());
  });

  it('an attribute-only filter opens no metric, param or tag file', async () => {
    const store = fileReader(FIXTURE);
    resetOpenCounts();
    const runs = await selectRuns(store, { view: 'all', query: compileQuery({ filter: "status = 'FAILED'", orderBy: ['start_time'] }) });
    expect(runs.map((r) => r.info.status)).toEqual(Array(runs.length).fill('FAILED'));
    expect(openCounts).toMatchObject({ metric: 0, param: 0, tag: 0 });
  });

  it('agrees with filtering fully loaded runs by hand', async () => {
    const store = fileReader(FIXTURE);
    const q = compileQuery({ filter: "params.optimizer = 'sgd' AND metrics.val_acc > 0.8", orderBy: ['metrics.val_loss ASC'] });
    const got = (await selectRuns(store, { view: 'active', query: q })).map((r) => r.info.run_id);
    const full = (await selectRuns(store, { view: 'active' }))
      .map((e) => store.loadRun(e))
      .filter((r) => r.data.params.some((p) => p.key === 'optimizer' && p.value === 'sgd'))
      .filter((r) => r.data.metrics.some((m) => m.key === 'val_acc' && m.value > 0.8))
      .map((r) => ({ id: r.info.run_id, v: r.data.metrics.find((m) => m.key === 'val_loss')?.value }))
      .sort((a, b) => (a.v === undefined ? 1 : b.v === undefined ? -1 : a.v - b.v))
      .map((x) => x.id);
    expect(got).toEqual(full);
  });
});

describe('queryColumns and bestRun', () => {
  it('order-by keys first, then filter keys in order, each once; datasets have no column', async () => {
    const q = compileQuery({
      filter: "params.lr = '1' AND (metrics.val_loss < 1 OR tags.team = 'x') AND datasets.name = 'd' AND user_id = 'u' AND status = 'FAILED'",
      orderBy: ['metrics.val_loss DESC', 'created'],
    });
    expect(queryColumns(q).map((c) => c.key)).toEqual(['metrics.val_loss', 'start_time', 'params.lr', 'tags.team', 'user_id', 'status']);
  });

  it('bestRun returns the entry and its value', async () => {
    const store = fileReader(FIXTURE);
    const b = await bestRun(store, { metric: 'val_loss', direction: 'min', experiments: ['nlp models'], view: 'active' });
    expect(b.run.info.run_name).toBe('bert-11');
    expect(b.value).toBe(0.7);
  });
});
