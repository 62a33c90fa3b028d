/**
 * Reading only what a command needs: listing run infos opens meta.yaml files and nothing
 * else; a column opens only its own files.
 */
import { describe, expect, it } from 'vitest';
import { buildRunTable, parseColumn } from '../../src/commands/run-table.js';
import { selectRuns } from '../../src/commands/select.js';
import { openCounts, resetOpenCounts } from '../../src/store/fsread.js';
import { Store } from '../../src/store/store.js';
import { FIXTURE } from '../helpers.js';

describe('lazy reading', () => {
  it('listing runs reads meta.yaml only (no params, metrics, tags)', () => {
    const store = Store.open(FIXTURE);
    resetOpenCounts();
    const runs = selectRuns(store, { view: 'all' });
    expect(runs.length).toBe(75);
    expect(openCounts.param).toBe(0);
    expect(openCounts.metric).toBe(0);
    expect(openCounts.tag).toBe(0);
    expect(openCounts.meta).toBeGreaterThanOrEqual(75);
  });

  it('a metric column opens exactly one metric file per run and no params or tags', () => {
    const store = Store.open(FIXTURE);
    const runs = selectRuns(store, { view: 'active', experiments: ['sweep'] });
    resetOpenCounts();
    const t = buildRunTable(store, runs, ['run_id', 'metrics.val_loss'].map(parseColumn));
    expect(t.rows).toHaveLength(runs.length);
    expect(openCounts).toMatchObject({ metric: runs.length, param: 0, tag: 0, meta: 0 });
  });

  it('loadSearchable reads only the named keys', () => {
    const store = Store.open(FIXTURE);
    const [run] = selectRuns(store, { view: 'active', experiments: ['sweep'], maxResults: 1 });
    resetOpenCounts();
    const s = store.loadSearchable(run!, { metrics: ['val_loss'], params: ['optimizer'], tags: [] });
    expect(openCounts).toMatchObject({ metric: 1, param: 1, tag: 0 });
    expect([...s.params.keys()]).toEqual(['optimizer']);
    expect([...s.metrics.keys()]).toEqual(['val_loss']);
  });
});
