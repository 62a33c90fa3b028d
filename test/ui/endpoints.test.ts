/**
 * The /ajax-api/mlr/ requests behind the runs table's views and the run page, over HTTP
 * against a copy of the example store: grouping, the tree, added columns and the columns
 * that vary (as runs ls --only-changed decides), histories by time, MLmodel previews, and a
 * folder of artifacts as a zip (read back from its central directory, every CRC checked).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultUiDir, loadUiAssets } from '../../src/server/ui.js';
import { copyStore, mlr } from '../helpers.js';
import { serveRoot, type TestServer } from '../server/helpers.js';
import { readZip } from './zip-reader.js';

const SWEEP = '234684999513866976';
const RUN = 'd61057829b7b4f24b7a65344cc35e18e';

let server: TestServer;
let root = '';
beforeAll(async () => {
  root = copyStore();
  server = await serveRoot(root, { ui: loadUiAssets(defaultUiDir()!) });
});
afterAll(() => server.stop());

const get = async (route: string, q: Record<string, string | string[]> = {}) => {
  const r = await server.call('GET', `/ajax-api/mlr/${route}`, q);
  return { status: r.status, json: r.json as Record<string, unknown> };
};

async function ids(...args: string[]): Promise<string[]> {
  const r = await mlr(['--store', root, 'runs', 'ls', ...args, '--format', 'ids']);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

interface PageJson {
  total: number;
  groups?: { value: string | null; count: number; runs: number }[];
  columns: { key: string }[];
  rows: { run_id: string; depth?: number; children?: number; folded?: boolean; values: Record<string, unknown> }[];
}

describe('runs: group, tree, added columns', () => {
  it('group=params.optimizer: the groups in value order with their counts, runs ls order inside each', async () => {
    const r = (await get('runs', { experiment_ids: SWEEP, group: 'params.optimizer', limit: '1000' })).json as unknown as PageJson;
    const groups = r.groups!;
    expect(groups.map((g) => g.value)).toEqual(['AdamW', 'adam', 'rmsprop', 'sgd', null]);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(56);
    let at = 0;
    for (const g of groups) {
      const want = g.value === null ? null : await ids('-e', SWEEP, '--filter', `params.optimizer = '${g.value}'`);
      const got = r.rows.slice(at, at + g.count);
      if (want) expect(got.map((x) => x.run_id)).toEqual(want);
      else for (const x of got) expect(x.values['params.optimizer']).toBeUndefined();
      at += g.count;
    }
    // numbers as numbers: 16 before 32 before 64
    const bs = (await get('runs', { experiment_ids: SWEEP, group: 'params.batch_size', limit: '1' })).json as unknown as PageJson;
    expect(bs.groups!.map((g) => g.value)).toEqual(['16', '32', '64', null]);
    // a tag's column comes with the page
    const team = (await get('runs', { experiment_ids: SWEEP, group: 'tags.team', limit: '5' })).json as unknown as PageJson;
    expect(team.columns.map((c) => c.key)).toContain('tags.team');
    expect((await get('runs', { experiment_ids: SWEEP, group: 'metrics.val_loss' })).status).toBe(400);
    expect((await get('runs', { experiment_ids: SWEEP, group: 'bogus' })).status).toBe(400);
  });

  it('tree=1: runs ls --tree order with depths and child counts; fold hides the descendants', async () => {
    const want = await ids('-e', SWEEP, '--tree');
    const r = (await get('runs', { experiment_ids: SWEEP, tree: '1', limit: '1000' })).json as unknown as PageJson;
    expect(r.rows.map((x) => x.run_id)).toEqual(want);
    const parent = r.rows.find((x) => x.run_id === RUN)!;
    expect(parent).toMatchObject({ depth: 0, children: 2 });
    const i = want.indexOf(RUN);
    expect(r.rows.slice(i + 1, i + 3).map((x) => x.depth)).toEqual([1, 1]);
    const folded = (await get('runs', { experiment_ids: SWEEP, tree: '1', fold: RUN, limit: '1000' })).json as unknown as PageJson;
    expect(folded.total).toBe(want.length - 2);
    expect(folded.rows.map((x) => x.run_id)).toEqual([...want.slice(0, i + 1), ...want.slice(i + 3)]);
    expect(folded.rows[i]).toMatchObject({ run_id: RUN, children: 2, folded: true });
  });

  it('group and tree together: each group nests its own runs as runs ls --tree does over that group; fold hides rows, not runs', async () => {
    // a tag on RUN and its two children (the fixture's children have no params or tags of their parents')
    const family = await ids('-e', SWEEP, '--filter', `tags.mlflow.parentRunId = '${RUN}'`);
    expect(family).toHaveLength(2);
    for (const id of [RUN, ...family]) expect((await mlr(['--store', root, 'set-tag', id, 'family', 'zero'])).code).toBe(0);
    const q = { experiment_ids: SWEEP, group: 'tags.family', tree: '1', limit: '1000' };
    const r = (await get('runs', q)).json as unknown as PageJson;
    expect(r.groups).toEqual([
      { value: 'zero', count: 3, runs: 3 },
      { value: null, count: 53, runs: 53 },
    ]);
    expect(r.rows.slice(0, 3).map((x) => [x.run_id, x.depth, x.children])).toEqual([
      [RUN, 0, 2],
      ...(await ids('-e', SWEEP, '--filter', "tags.family = 'zero'", '--tree')).slice(1).map((id) => [id, 1, 0]),
    ]);
    // the other group in runs ls --tree order
    const rest = (await ids('-e', SWEEP, '--tree')).filter((id) => id !== RUN && !family.includes(id));
    expect(r.rows.slice(3).map((x) => x.run_id)).toEqual(rest);
    const folded = (await get('runs', { ...q, fold: RUN })).json as unknown as PageJson;
    expect(folded.total).toBe(54);
    expect(folded.groups![0]).toEqual({ value: 'zero', count: 1, runs: 3 });
    expect(folded.rows[0]).toMatchObject({ run_id: RUN, children: 2, folded: true });
    expect(folded.rows[1]!.run_id).toBe(rest[0]);
  });

  it('column=tags.team adds the column with the values runs ls --columns prints', async () => {
    const cli = (await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--columns', 'run_id,tags.team'])).stdout.split('\n').slice(1).filter(Boolean);
    const r = (await get('runs', { experiment_ids: SWEEP, column: 'tags.team', limit: '1000' })).json as unknown as PageJson;
    expect(r.columns.map((c) => c.key)).toContain('tags.team');
    expect(r.rows.map((x) => `${x.run_id}\t${(x.values['tags.team'] as string | undefined) ?? ''}`)).toEqual(cli);
  });

  it('columns?detail=1: every column with tags, and varies as runs ls --only-changed keeps them', async () => {
    const filter = "params.optimizer = 'adam'";
    const r = (await get('columns', { experiment_ids: SWEEP, filter, detail: '1' })).json as { columns: { key: string; kind: string; varies?: boolean }[] };
    const changed = (await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--filter', filter, '--only-changed'])).stdout.split('\n')[0]!.split('\t');
    const data = r.columns.filter((c) => c.kind !== 'attr' && c.kind !== 'tag');
    expect(data.filter((c) => c.varies).map((c) => c.key)).toEqual(changed.filter((k) => k.includes('.')));
    expect(r.columns.find((c) => c.key === 'params.optimizer')!.varies).toBe(false);
    expect(r.columns.filter((c) => c.kind === 'tag').map((c) => c.key)).toContain('tags.team');
  });
});

describe('chart-runs: what a chart view needs of its runs', () => {
  it('name, start, status and metric keys of each run found, in the order asked; unknown ids left out; 1 to 50 ids', async () => {
    const other = (await ids('-e', SWEEP, '--max-results', '2')).find((x) => x !== RUN)!;
    const r = await get('chart-runs', { run_id: [other, 'ffffffffffffffffffffffffffffffff', RUN] });
    expect(r.status).toBe(200);
    const want = async (id: string) => {
      const d = await mlr(['--store', root, 'runs', 'describe', id, '--format', 'json']);
      expect(d.code).toBe(0);
      const run = JSON.parse(d.stdout) as { info: Record<string, unknown>; data: { metrics?: { key: string }[] } };
      return {
        run_id: id,
        run_name: run.info['run_name'],
        start_time: Number(run.info['start_time']),
        status: run.info['status'],
        metrics: [...new Set((run.data.metrics ?? []).map((m) => m.key))].sort(),
      };
    };
    expect(r.json).toEqual({ runs: [await want(other), await want(RUN)] });
    expect((r.json['runs'] as { metrics: string[] }[])[1]!.metrics).toEqual(fs.readdirSync(path.join(root, SWEEP, RUN, 'metrics')).sort());
    expect(await get('chart-runs')).toEqual({
      status: 400,
      json: { error_code: 'INVALID_PARAMETER_VALUE', message: 'run_id must be given 1 to 50 times, got 0' },
    });
  });
});

describe('history x=time', () => {
  it('answers the timestamps (logged order) instead of the steps, and takes a time range', async () => {
    const lines = fs
      .readFileSync(path.join(root, SWEEP, RUN, 'metrics', 'val_loss'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number));
    const r = await get('history', { run_id: RUN, key: 'val_loss', x: 'time' });
    const sorted = [...lines].sort((a, b) => a[0]! - b[0]!);
    expect(r.json).toEqual({ count: lines.length, exact: true, times: sorted.map((l) => l[0]), values: sorted.map((l) => l[1]) });
    const mid = sorted[Math.floor(sorted.length / 2)]![0]!;
    const half = await get('history', { run_id: RUN, key: 'val_loss', x: 'time', x_min: String(mid) });
    expect(half.json['times']).toEqual(sorted.filter((l) => l[0]! >= mid).map((l) => l[0]));
    expect((await get('history', { run_id: RUN, key: 'val_loss', x: 'wall' })).status).toBe(400);
  });
});

describe('preview of an MLmodel file', () => {
  it('answers the file read as YAML beside its text', async () => {
    const dir = path.join(root, SWEEP, RUN, 'artifacts', 'model');
    fs.mkdirSync(dir, { recursive: true });
    const text = [
      'artifact_path: model',
      'flavors:',
      '  python_function:',
      '    loader_module: mlflow.sklearn',
      '    python_version: 3.11.4',
      '  sklearn:',
      '    sklearn_version: 1.3.0',
      `run_id: ${RUN}`,
      'signature:',
      '  inputs: \'[{"type": "double", "name": "x"}]\'',
      '  outputs: \'[{"type": "long"}]\'',
      "utc_time_created: '2023-11-14 23:00:00.000000'",
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'MLmodel'), text);
    const r = await get('preview', { run_id: RUN, path: 'model/MLmodel' });
    expect(r.json['text']).toBe(text);
    expect(r.json['mlmodel']).toEqual({
      artifact_path: 'model',
      flavors: { python_function: { loader_module: 'mlflow.sklearn', python_version: '3.11.4' }, sklearn: { sklearn_version: '1.3.0' } },
      run_id: RUN,
      signature: { inputs: '[{"type": "double", "name": "x"}]', outputs: '[{"type": "long"}]' },
      utc_time_created: '2023-11-14 23:00:00.000000',
    });
  });
});

describe('zip: a folder of artifacts', () => {
  it('streams the folder as a stored zip: names below the folder, every byte and CRC right, Content-Length exact', async () => {
    const art = path.join(root, SWEEP, RUN, 'artifacts');
    fs.mkdirSync(path.join(art, 'docs', 'deep', 'empty'), { recursive: true });
    fs.writeFileSync(path.join(art, 'docs', 'deep', 'ünï.csv'), 'a,b\n1,2\n');
    const big = Buffer.alloc(9 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    fs.writeFileSync(path.join(art, 'docs', 'big.bin'), big);
    const res = await fetch(`${server.url}/ajax-api/mlr/zip?run_id=${RUN}&path=docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="docs.zip"');
    const buf = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(buf.length);
    const entries = readZip(buf);
    expect(entries.map((e) => e.name)).toEqual(['docs/big.bin', 'docs/deep/empty/', 'docs/deep/ünï.csv', 'docs/notes.txt']);
    expect(entries[0]!.data.equals(big)).toBe(true);
    expect(entries[2]!.data.toString()).toBe('a,b\n1,2\n');
    expect(entries[3]!.data.toString()).toBe('hello artifacts\n');
    // path= empty: every artifact of the run, below artifacts/
    const all = readZip(Buffer.from(await (await fetch(`${server.url}/ajax-api/mlr/zip?run_id=${RUN}&path=`)).arrayBuffer()));
    expect(all.map((e) => e.name)).toContain('artifacts/docs/notes.txt');
  });

  it('refuses a file, a missing folder and paths out of the run, with a message', async () => {
    expect(await get('zip', { run_id: RUN, path: 'docs/notes.txt' })).toEqual({
      status: 400,
      json: { error_code: 'INVALID_PARAMETER_VALUE', message: "'docs/notes.txt' is a file, not a folder: download it as it is" },
    });
    expect((await get('zip', { run_id: RUN, path: 'nothing' })).status).toBe(404);
    for (const bad of ['..', '../..', '/etc']) expect((await get('zip', { run_id: RUN, path: bad })).status, bad).toBe(400);
    expect((await get('zip', { run_id: 'no-such-run', path: '' })).status).toBe(404);
  });
});
