/**
 * A whole training run through `mlr server` with a client written from MLflow's REST docs
 * (what MLflow's Python client sends for mlflow.start_run / log_param / log_metric /
 * log_batch / set_tag / log_artifact / end_run / register_model): then the store is read
 * back with the CLI and with the file-store reader, and everything is there exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file/store.js';
import { mlr } from '../helpers.js';
import { serveCopy, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await serveCopy();
});
afterAll(async () => {
  await s.stop();
});

const ok = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
  const r = await s.call(method, route, body);
  expect(r.status, `${method} ${route}: ${r.text}`).toBe(200);
  return r.json as Record<string, unknown>;
};

describe('a training run through the REST API', () => {
  let expId = '';
  let runId = '';
  let artifactUri = '';
  const T0 = 1_800_000_000_000;

  it('logs a run, its params, 100 metric steps, a batch, tags and an artifact', async () => {
    expId = (await ok('POST', 'experiments/create', { name: 'e2e', tags: [{ key: 'team', value: 'ml' }] }))['experiment_id'] as string;
    expect(expId).toMatch(/^\d{18,19}$/);
    const created = await ok('POST', 'runs/create', {
      experiment_id: expId,
      user_id: 'ana',
      start_time: T0,
      run_name: 'train-1',
      tags: [
        { key: 'mlflow.user', value: 'ana' },
        { key: 'mlflow.source.name', value: 'train.py' },
      ],
    });
    const info = (created['run'] as { info: Record<string, string> }).info;
    runId = info['run_id']!;
    artifactUri = info['artifact_uri']!;
    expect(artifactUri).toBe(`mlflow-artifacts:/${expId}/${runId}/artifacts`);
    await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' });
    await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'optimizer', value: 'adam' });
    for (let step = 0; step < 100; step++) {
      await ok('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: T0 + step * 1000, step });
    }
    await ok('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'acc', value: 0.5, timestamp: T0 + 200_000, step: 0 },
        { key: 'acc', value: 0.75, timestamp: T0 + 201_000, step: 1 },
        { key: 'weird', value: 'NaN', timestamp: T0 + 202_000, step: 0 },
      ],
      params: [{ key: 'batch_size', value: '32' }],
      tags: [{ key: 'phase', value: 'train' }],
    });
    await ok('POST', 'runs/set-tag', { run_id: runId, key: 'mlflow.note.content', value: 'first try' });
    // what the Python client does for log_artifact to an mlflow-artifacts: URI
    const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/model/weights.bin`, {
      method: 'PUT',
      body: Buffer.from('\x00\x01binary\xff', 'latin1'),
    });
    expect(put.status).toBe(200);
    const get = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/model/weights.bin`);
    expect(Buffer.from(await get.arrayBuffer()).toString('latin1')).toBe('\x00\x01binary\xff');
    expect(get.headers.get('content-disposition')).toBe('attachment; filename=weights.bin');
    const listed = await ok('GET', 'artifacts/list', { run_id: runId });
    expect(listed).toEqual({ root_uri: artifactUri, files: [{ path: 'model', is_dir: true }] });
    expect(await ok('GET', 'artifacts/list', { run_id: runId, path: 'model' })).toEqual({
      root_uri: artifactUri,
      files: [{ path: 'model/weights.bin', is_dir: false, file_size: 9 }],
    });
    const upd = await ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 300_000 });
    expect((upd['run_info'] as Record<string, unknown>)['status']).toBe('FINISHED');
  });

  it('finds the run by search, and its history', async () => {
    const found = await ok('POST', 'runs/search', {
      experiment_ids: [expId],
      filter: "params.optimizer = 'adam' and metrics.loss < 0.02",
      order_by: ['metrics.loss ASC'],
    });
    const runs = found['runs'] as { info: { run_id: string }; data: { metrics: { key: string; value: unknown }[] } }[];
    expect(runs.map((r) => r.info.run_id)).toEqual([runId]);
    expect(runs[0]!.data.metrics.find((m) => m.key === 'loss')!.value).toBe(0.01);
    expect(runs[0]!.data.metrics.find((m) => m.key === 'weird')!.value).toBe('NaN');
    const h = await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' });
    const points = h['metrics'] as { step: number; value: number; timestamp: number }[];
    expect(points).toHaveLength(100);
    expect(points[99]).toEqual({ key: 'loss', value: 0.01, timestamp: T0 + 99_000, step: 99 });
    const bulk = await ok('GET', 'metrics/get-history-bulk-interval', { run_ids: [runId], metric_key: 'loss', max_results: 10 });
    const sampled = (bulk['metrics'] as { step: number; run_id: string }[]).map((m) => m.step);
    expect(sampled[0]).toBe(0);
    expect(sampled[sampled.length - 1]).toBe(99);
    expect(sampled.length).toBeLessThanOrEqual(12);
  });

  it('registers a model version and points an alias at it', async () => {
    await ok('POST', 'registered-models/create', { name: 'e2e-model' });
    const mv = await ok('POST', 'model-versions/create', { name: 'e2e-model', source: `${artifactUri}/model`, run_id: runId });
    expect((mv['model_version'] as Record<string, unknown>)['version']).toBe('1');
    await ok('POST', 'registered-models/alias', { name: 'e2e-model', alias: 'champion', version: '1' });
    const byAlias = await ok('GET', 'registered-models/alias', { name: 'e2e-model', alias: 'champion' });
    expect(byAlias['model_version']).toMatchObject({
      name: 'e2e-model',
      version: '1',
      source: `${artifactUri}/model`,
      run_id: runId,
      aliases: ['champion'],
      status: 'READY',
      current_stage: 'None',
    });
  });

  it('the CLI reads back exactly what was logged', async () => {
    const described = await mlr(['--store', s.root, 'runs', 'describe', runId, '--format', 'json']);
    expect(described.code, described.stderr).toBe(0);
    const run = JSON.parse(described.stdout) as {
      info: Record<string, unknown>;
      data: { params: unknown[]; tags: { key: string; value: string }[]; metrics: { key: string; value: unknown; step: number }[] };
    };
    expect(run.info).toMatchObject({
      run_id: runId,
      run_name: 'train-1',
      user_id: 'ana',
      status: 'FINISHED',
      start_time: T0,
      end_time: T0 + 300_000,
      artifact_uri: artifactUri,
    });
    expect(run.data.params).toEqual([
      { key: 'batch_size', value: '32' },
      { key: 'lr', value: '0.01' },
      { key: 'optimizer', value: 'adam' },
    ]);
    expect(Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]))).toMatchObject({
      'mlflow.runName': 'train-1',
      'mlflow.user': 'ana',
      'mlflow.source.name': 'train.py',
      'mlflow.note.content': 'first try',
      phase: 'train',
    });
    expect(run.data.metrics.map((m) => [m.key, m.value, m.step])).toEqual([
      ['acc', 0.75, 1],
      ['loss', 0.01, 99],
      ['weird', 'NaN', 0],
    ]);
    const hist = await mlr(['--store', s.root, 'metrics', 'history', runId, 'loss', '--format', 'csv']);
    expect(hist.code, hist.stderr).toBe(0);
    expect(hist.stdout.trim().split('\n')).toHaveLength(101);
    const arts = await mlr(['--store', s.root, 'artifacts', 'ls', runId, 'model', '--format', 'json']);
    expect(arts.code, arts.stderr).toBe(0);
    expect(arts.stdout).toContain('weights.bin');
    const models = await mlr(['--store', s.root, 'models', 'describe', 'e2e-model', '--format', 'json']);
    expect(models.code, models.stderr).toBe(0);
    expect(models.stdout).toContain('champion');
  });

  it('the file-store reader finds the same files MLflow would', () => {
    const store = FileStore.open(s.root);
    const entry = store.findRun(runId);
    expect(entry.info.experiment_id).toBe(expId);
    expect(Object.fromEntries(store.readParams(entry))).toEqual({ lr: '0.01', optimizer: 'adam', batch_size: '32' });
    const loss = fs.readFileSync(path.join(entry.dir, 'metrics', 'loss'), 'utf8').split('\n');
    expect(loss[0]).toBe(`${T0} 1.0 0`);
    expect(loss[99]).toBe(`${T0 + 99_000} 0.01 99`);
    expect(fs.readFileSync(path.join(entry.dir, 'metrics', 'weird'), 'utf8')).toBe(`${T0 + 202_000} nan 0\n`);
    const meta = fs.readFileSync(path.join(entry.dir, 'meta.yaml'), 'utf8');
    expect(meta).toContain(`artifact_uri: mlflow-artifacts:/${expId}/${runId}/artifacts\n`);
    expect(meta).toContain('status: 3\n');
    expect(fs.readFileSync(path.join(s.artifacts, expId, runId, 'artifacts', 'model', 'weights.bin'), 'latin1')).toBe('\x00\x01binary\xff');
    const expMeta = fs.readFileSync(path.join(s.root, expId, 'meta.yaml'), 'utf8');
    expect(expMeta).toContain(`artifact_location: mlflow-artifacts:/${expId}\n`);
  });
});
