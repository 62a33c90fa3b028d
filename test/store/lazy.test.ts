/**
 * Reading only what a command needs: listing run infos opens meta.yaml files and nothing
 * else; a column opens only its own files.
 */
import { describe, expect, it } from 'vitest';
import { buildRunTable, parseColumn } from '../../src/commands/run-table.js';
import { selectRuns } from '../../src/commands/select.js';
import { openCounts, resetOpenCounts } from '../../src/store/file/fsread.js';
import { fileReader } from '../reader.js';
import path from 'node:path';
import { FIXTURE, writeTree } from '../helpers.js';

describe('lazy reading', () => {
  it('listing runs reads meta.yaml only (no params, metrics, tags, experiment tags)', async () => {
    const store = fileReader(FIXTURE);
    resetOpenCounts();
    const runs = await selectRuns(store, { view: 'all' });
    expect(runs.length).toBe(75);
    expect(openCounts.param).toBe(0);
    expect(openCounts.metric).toBe(0);
    expect(openCounts.tag).toBe(0);
    expect(openCounts.meta).toBeGreaterThanOrEqual(75);
  });

  it('a metric column opens exactly one metric file per run and no params or tags', async () => {
    const store = fileReader(FIXTURE);
    const runs = await selectRuns(store, { view: 'active', experiments: ['sweep'] });
    resetOpenCounts();
    const t = buildRunTable(store, runs, ['run_id', 'metrics.val_loss'].map(parseColumn));
    expect(t.rows).toHaveLength(runs.length);
    expect(openCounts).toMatchObject({ metric: runs.length, param: 0, tag: 0, meta: 0 });
  });

  it('a 1.x run without run_name in meta.yaml takes its name from the mlflow.runName tag', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
      'mlruns/0/0123456789abcdef0123456789abcdef/meta.yaml':
        "artifact_uri: /x/0/0123456789abcdef0123456789abcdef/artifacts\nend_time: 2\nentry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nname: ''\nrun_id: 0123456789abcdef0123456789abcdef\nrun_uuid: 0123456789abcdef0123456789abcdef\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1\nstatus: 3\ntags: []\nuser_id: bob\n",
      'mlruns/0/0123456789abcdef0123456789abcdef/tags/mlflow.runName': 'legacy-name',
    });
    const store = fileReader(path.join(dir, 'mlruns'));
    resetOpenCounts();
    const [run] = await selectRuns(store, { view: 'all' });
    expect(run!.info.run_name).toBe('legacy-name');
    expect(openCounts.tag).toBe(1);
  });

  it('loadSearchable reads a named key on first use, once, and never a key the query did not name', async () => {
    const store = fileReader(FIXTURE);
    const [run] = await selectRuns(store, { view: 'active', experiments: ['sweep'], maxResults: 1 });
    const full = store.loadRun(run!);
    resetOpenCounts();
    const s = store.loadSearchable(run!, { metrics: ['val_loss'], params: ['optimizer'], tags: [] });
    expect(openCounts).toMatchObject({ metric: 0, param: 0, tag: 0 });
    expect(s.metrics.get('val_loss')).toBe(full.data.metrics.find((m) => m.key === 'val_loss')!.value);
    expect(s.metrics.get('val_loss')).toBe(full.data.metrics.find((m) => m.key === 'val_loss')!.value);
    expect(openCounts).toMatchObject({ metric: 1, param: 0, tag: 0 });
    expect(s.params.has('optimizer')).toBe(true);
    expect(s.params.get('optimizer')).toBe(full.data.params.find((p) => p.key === 'optimizer')!.value);
    expect(openCounts).toMatchObject({ metric: 1, param: 1, tag: 0 });
    // keys the query did not name stay absent, unread, although the run has them
    expect(full.data.metrics.some((m) => m.key === 'val_acc')).toBe(true);
    expect(s.metrics.get('val_acc')).toBeUndefined();
    expect(s.params.has('lr')).toBe(false);
    expect(s.tags.get('mlflow.runName')).toBeUndefined();
    expect(openCounts).toMatchObject({ metric: 1, param: 1, tag: 0 });
    expect([...s.params.keys()]).toEqual(['optimizer']);
    expect([...s.metrics.keys()]).toEqual(['val_loss']);
    // a named key the run lacks is looked for once
    const t = store.loadSearchable(run!, { metrics: ['no_such_metric'] });
    expect(t.metrics.get('no_such_metric')).toBeUndefined();
    expect(t.metrics.has('no_such_metric')).toBe(false);
    expect(openCounts.metric).toBe(2);
  });
});
