/**
 * `mlr ui` as a command and its HTTP side, without a browser: the URL it prints, the page's
 * files, and the /ajax-api/mlr/ endpoints answering what the CLI prints (runs ls order and
 * columns, its filter error with the caret, models ls), downsampled histories that keep a
 * spike, artifact previews that stay inside the run. `mlr server` serves none of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultUiDir, loadUiAssets } from '../../src/server/ui.js';
import { copyStore, mlr, REPO, tempDir } from '../helpers.js';
import { serveRoot, startCli, until, type TestServer } from '../server/helpers.js';

const SWEEP = '234684999513866976';
const RUN = 'd61057829b7b4f24b7a65344cc35e18e';

describe('mlr ui (the command)', () => {
  it('prints the URL, says where the store is, serves the page and MLflow API, stops on SIGTERM', async () => {
    const root = copyStore();
    const t = startCli(['--store', './mlruns', 'ui', '--port', '0', '--read-only'], path.dirname(root));
    const url = await until(() => /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(t.out())?.[1]);
    expect(t.out()).toBe(`${url}\n`);
    expect(t.err()).toBe("mlr: viewing ./mlruns (read-only); MLflow's REST API is served at the same address\nmlr: press Ctrl-C to stop\n");
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).not.toMatch(/https?:\/\//); // nothing from the network
    const js = await fetch(`${url}app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(20_000);
    expect((await fetch(`${url}app.css`)).status).toBe(200);
    expect((await fetch(`${url}api/2.0/mlflow/experiments/get?experiment_id=0`)).status).toBe(200);
    const write = await fetch(`${url}api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"experiment_id": "0"}',
    });
    expect(write.status).toBe(403);
    t.stop();
    expect(await t.done).toBe(0);
  });

  it('mlr server serves no page and no /ajax-api/mlr/ endpoints', async () => {
    const root = copyStore();
    const t = startCli(['--store', root, 'server', '--port', '0'], path.dirname(root));
    const url = await until(() => /^MLFLOW_TRACKING_URI=(\S+)$/m.exec(t.out())?.[1]);
    for (const p of ['/', '/app.js', '/ajax-api/mlr/runs']) {
      const r = await fetch(url + p);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
    }
    t.stop();
    expect(await t.done).toBe(0);
  });

  it('refuses a non-loopback host without --auth, as mlr server does', async () => {
    const r = await mlr(['--store', copyStore(), 'ui', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--host 0.0.0.0 makes the store reachable from other machines');
  });
});

describe('the /ajax-api/mlr/ endpoints', () => {
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

  it('runs: the runs and order of runs ls, paged, with its columns and values', async () => {
    const want = (await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--order-by', 'params.lr DESC', '--format', 'ids'])).stdout
      .split('\n')
      .filter(Boolean);
    const got: string[] = [];
    for (let offset = 0; offset < want.length; offset += 20) {
      const r = await get('runs', { experiment_ids: SWEEP, order_by: 'params.lr DESC', offset: String(offset), limit: '20' });
      expect(r.status).toBe(200);
      expect(r.json['total']).toBe(want.length);
      got.push(...(r.json['rows'] as { run_id: string }[]).map((x) => x.run_id));
    }
    expect(got).toEqual(want);
    // one row against the piped table: the same values under the same keys
    const tsv = (await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--max-results', '1'])).stdout.split('\n');
    const keys = tsv[0]!.split('\t');
    const cells = tsv[1]!.split('\t');
    const r = await get('runs', { experiment_ids: SWEEP, limit: '1' });
    const row = (r.json['rows'] as { run_id: string; values: Record<string, unknown> }[])[0]!;
    expect(row.run_id).toBe(cells[0]);
    for (const k of ['run_name', 'experiment', 'status', 'params.lr', 'params.optimizer']) expect(String(row.values[k])).toBe(cells[keys.indexOf(k)]);
    expect(row.values['metrics.val_loss']).toBe(Number(cells[keys.indexOf('metrics.val_loss')]));
    expect(row.values['start_time']).toBe(Date.parse(cells[keys.indexOf('start_time')]!));
  });

  it('columns: the default columns of runs ls over every matching run', async () => {
    const header = (await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP])).stdout.split('\n')[0]!.split('\t');
    const r = await get('columns', { experiment_ids: SWEEP });
    expect((r.json['columns'] as { key: string }[]).map((c) => c.key)).toEqual(header);
  });

  it('a bad filter answers 400 with the message (and caret) runs ls prints', async () => {
    const filter = "params.lr = '0.1' OR metrics.val_loss <";
    const cli = await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--filter', filter]);
    expect(cli.code).toBe(2);
    const r = await get('runs', { experiment_ids: SWEEP, filter });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: cli.stderr.replace(/^mlr: /, '').trimEnd() });
    const unknown = await get('runs', { experiment_ids: 'no-such-experiment' });
    expect(unknown.status).toBe(404);
  });

  it('history: every point of a short history; a long one downsampled with its spike kept', async () => {
    const short = await get('history', { run_id: RUN, key: 'val_loss' });
    const lines = fs
      .readFileSync(path.join(root, SWEEP, RUN, 'metrics', 'val_loss'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(short.json).toEqual({ count: lines.length, exact: true, steps: lines.map((l) => Number(l[2])), values: lines.map((l) => Number(l[1])) });
    // 50,000 points with one spike at step 31,337
    const file = path.join(root, SWEEP, RUN, 'metrics', 'long');
    fs.writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => `${1700000000000 + i} ${i === 31_337 ? 1000 : Math.sin(i / 500)} ${i}\n`).join(''));
    const long = await get('history', { run_id: RUN, key: 'long', points: '400' });
    expect(long.json['count']).toBe(50_000);
    expect(long.json['exact']).toBe(false);
    const values = long.json['values'] as number[];
    expect(values.length).toBeLessThanOrEqual(800);
    expect(Math.max(...values)).toBe(1000);
    expect(Math.min(...values)).toBeLessThan(-0.99);
    // a zoomed chart's range: exact again
    const zoom = await get('history', { run_id: RUN, key: 'long', points: '400', x_min: '31300', x_max: '31400' });
    expect(zoom.json['exact']).toBe(true);
    expect(zoom.json['count']).toBe(101);
    expect((zoom.json['steps'] as number[])[37]).toBe(31_337);
    expect((zoom.json['values'] as number[])[37]).toBe(1000);
    expect((await get('history', { run_id: RUN, key: 'long', x_min: 'x' })).status).toBe(400);
  });

  it('history: a history logged to since it was last read is read again (the memo follows the file)', async () => {
    const file = path.join(root, SWEEP, RUN, 'metrics', 'growing');
    fs.writeFileSync(file, '1700000000000 1 0\n1700000000001 2 1\n');
    expect((await get('history', { run_id: RUN, key: 'growing' })).json).toEqual({ count: 2, exact: true, steps: [0, 1], values: [1, 2] });
    expect((await get('history', { run_id: RUN, key: 'growing', x: 'time' })).json).toEqual({
      count: 2,
      exact: true,
      times: [1700000000000, 1700000000001],
      values: [1, 2],
    });
    fs.appendFileSync(file, '1700000000002 3 2\n');
    expect((await get('history', { run_id: RUN, key: 'growing' })).json).toEqual({ count: 3, exact: true, steps: [0, 1, 2], values: [1, 2, 3] });
    // rewritten in place to the same size: still the new values
    fs.writeFileSync(file, '1700000000000 7 0\n1700000000001 8 1\n1700000000002 9 2\n');
    expect((await get('history', { run_id: RUN, key: 'growing' })).json).toEqual({ count: 3, exact: true, steps: [0, 1, 2], values: [7, 8, 9] });
    fs.rmSync(file);
    expect((await get('history', { run_id: RUN, key: 'growing' })).status).toBe(404);
  });

  it('histories: one metric of several runs in one answer, each as history answers it', async () => {
    const runs = ((await get('runs', { experiment_ids: SWEEP, limit: '3' })).json['rows'] as { run_id: string }[]).map((r) => r.run_id);
    const ids = [...runs, 'no-such-run'];
    const q = { key: 'val_loss', points: '400', smooth: '0.5', x: 'time' };
    const r = await get('histories', { ...q, run_id: ids });
    expect(r.status).toBe(200);
    const hs = r.json['histories'] as Record<string, unknown>[];
    expect(hs.map((x) => x['run_id'])).toEqual(ids);
    for (const [i, id] of runs.entries()) {
      const one = await get('history', { ...q, run_id: id });
      expect(hs[i]).toEqual({ run_id: id, ...one.json });
    }
    expect((hs[0]!['values'] as number[]).length).toBeGreaterThan(0);
    expect(hs[3]!['error']).toMatch(/no-such-run/);
    expect(hs[3]).toEqual({ run_id: 'no-such-run', error: (await get('history', { ...q, run_id: 'no-such-run' })).json['message'] });
    expect((await get('histories', { key: 'val_loss' })).status).toBe(400);
    expect((await get('histories', { key: 'val_loss', run_id: runs, x: 'wall' })).status).toBe(400);
  });

  it('history with smooth: the smoothed values of mlr plot --smooth', async () => {
    const csv = (await mlr(['--store', root, 'plot', RUN, '--metric', 'val_loss', '--smooth', '0.6', '--format', 'csv'])).stdout.trim().split('\n').slice(1);
    const r = await get('history', { run_id: RUN, key: 'val_loss', smooth: '0.6' });
    expect(r.json['values']).toEqual(csv.map((l) => Number(l.split(',')[6])));
    expect((await get('history', { run_id: RUN, key: 'val_loss', smooth: '1' })).status).toBe(400);
  });

  it('preview: the text of an artifact; binary files and paths out of the run are refused', async () => {
    const ok = await get('preview', { run_id: RUN, path: 'docs/notes.txt' });
    expect(ok.json).toEqual({ path: 'docs/notes.txt', size: 16, truncated: false, binary: false, text: 'hello artifacts\n' });
    fs.writeFileSync(path.join(root, SWEEP, RUN, 'artifacts', 'model.bin'), Buffer.from([1, 0, 2, 3]));
    const bin = await get('preview', { run_id: RUN, path: 'model.bin' });
    expect(bin.json).toMatchObject({ binary: true, text: null, size: 4 });
    for (const bad of ['../meta.yaml', '/etc/passwd', 'docs/../../meta.yaml']) {
      const r = await get('preview', { run_id: RUN, path: bad });
      expect(r.status, bad).toBe(400);
    }
    expect((await get('preview', { run_id: RUN, path: 'docs/none.txt' })).status).toBe(404);
  });

  it('models: the registered models of models ls with their versions', async () => {
    const r = await get('models');
    const models = r.json['models'] as { name: string; versions: { version: string; run_name: string | null }[]; aliases: unknown[] }[];
    expect(models.map((m) => m.name)).toEqual(['resnet-classifier', 'summarizer']);
    expect(models[0]!.versions.map((v) => v.version)).toEqual(['1', '2', '3']);
    expect(models[0]!.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(models[1]!.versions).toEqual([]);
  });

  it('experiments: experiments ls order, with run counts', async () => {
    const r = await get('experiments');
    const exps = r.json['experiments'] as { name: string; runs: number }[];
    expect(exps.map((e) => [e.name, e.runs])).toEqual([
      ['nlp models', 12],
      ['sweep', 56],
      ['Default', 3],
    ]);
  });
});

describe("the /ajax-api/mlr/ endpoints on MLflow's SQLite database", () => {
  it('runs: the runs and order of runs ls on sqlite:///mlflow.db', async () => {
    const dir = tempDir('ui-sqlite');
    fs.copyFileSync(path.join(REPO, 'fixtures', 'conformance', 'sqlite', 'mlflow.db'), path.join(dir, 'mlflow.db'));
    const uri = `sqlite:///${path.join(dir, 'mlflow.db')}`;
    const server = await serveRoot(uri, { ui: loadUiAssets(defaultUiDir()!) });
    try {
      for (const order of [[], ['metrics.val_loss ASC'], ['params.lr DESC', 'attributes.run_name ASC']]) {
        const cli = await mlr([
          '--store',
          uri,
          'runs',
          'ls',
          '-e',
          'sweep',
          ...order.flatMap((o) => ['--order-by', o]),
          '--filter',
          "params.optimizer != 'sgd' OR metrics.val_acc > 0.9",
          '--format',
          'ids',
        ]);
        expect(cli.code).toBe(0);
        const r = await server.call('GET', '/ajax-api/mlr/runs', {
          experiment_ids: '1',
          order_by: order,
          filter: "params.optimizer != 'sgd' OR metrics.val_acc > 0.9",
          limit: '1000',
        });
        expect(r.status).toBe(200);
        expect((r.json as { rows: { run_id: string }[] }).rows.map((x) => x.run_id)).toEqual(cli.stdout.split('\n').filter(Boolean));
      }
    } finally {
      await server.close();
    }
  });
});
