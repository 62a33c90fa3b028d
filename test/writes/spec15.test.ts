/**
 * The worked example of spec mlruns-format §15 (generated with MLflow 2.12), replayed with
 * mlr: the files the spec quotes must come out the same (ids, times, paths normalised).
 * The dataset input of the example is not something mlr logs, so it is left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlr, tempDir } from '../helpers.js';

let work: string;
let store: string;
let exp: string;
let train: string;
let child: string;
let gone: string;

const read = (...p: string[]) => fs.readFileSync(path.join(store, ...p), 'utf8');
const norm = (text: string) =>
  text
    .split(`file://${store}`)
    .join('file:///home/ana/proj/mlruns')
    .split(exp)
    .join('786088298537458258')
    .replace(/^(creation_time|last_update_time|start_time|end_time|deleted_time): \d+$/gm, '$1: <time>');

beforeAll(async () => {
  work = tempDir('spec15');
  store = path.join(work, 'mlruns');
  // no --store and no MLFLOW_TRACKING_URI: ./mlruns, artifact root file://<cwd>/mlruns
  const opts = { cwd: work, env: { USER: 'root', LOGNAME: 'root' } };
  const ok = async (args: string[], env: Record<string, string> = {}) => {
    const r = await mlr(args, { ...opts, env: { ...opts.env, ...env } });
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return r.stdout.trim();
  };
  exp = await ok(['experiments', 'create', 'demo', '--tag', 'team=ml']);
  train = await ok(['runs', 'create', '-e', exp, '--name', 'train']);
  await ok(['log-params', 'lr=0.01', 'layers/0/units=64', 'note=two\nlines'], { MLFLOW_RUN_ID: train });
  await ok(['log-metric', train, 'loss', '0.9', '--step', '0']);
  await ok(['log-metric', train, 'loss', '0.5', '--step', '1']);
  await ok(['log-metric', train, 'loss', 'nan', '--step', '2']);
  await ok(['set-tag', train, 'stage', '']);
  child = await ok(['runs', 'create', '--name', 'child', '--parent', train], { MLFLOW_EXPERIMENT_ID: exp });
  await ok(['log-metric', child, 'acc', '1']);
  await ok(['runs', 'end', child]);
  await ok(['runs', 'end', train]);
  gone = await ok(['runs', 'create', '-e', 'demo', '--name', 'gone']);
  await ok(['runs', 'delete', gone]);
});

describe('spec §15 worked example', () => {
  it('creates the store with Default experiment 0 and .trash', () => {
    expect(fs.readdirSync(path.join(store, '.trash'))).toEqual([]);
    expect(norm(read('0', 'meta.yaml'))).toBe(
      [
        'artifact_location: file:///home/ana/proj/mlruns/0',
        'creation_time: <time>',
        "experiment_id: '0'",
        'last_update_time: <time>',
        'lifecycle_stage: active',
        'name: Default',
        '',
      ].join('\n'),
    );
  });

  it('writes the experiment meta.yaml and tag as in §3.2', () => {
    expect(norm(read(exp, 'meta.yaml'))).toBe(
      [
        'artifact_location: file:///home/ana/proj/mlruns/786088298537458258',
        'creation_time: <time>',
        "experiment_id: '786088298537458258'",
        'last_update_time: <time>',
        'lifecycle_stage: active',
        'name: demo',
        '',
      ].join('\n'),
    );
    expect(read(exp, 'tags', 'team')).toBe('ml');
  });

  it('writes params as exact bytes, nested for "/" keys', () => {
    expect(fs.readFileSync(path.join(store, exp, train, 'params', 'lr'))).toEqual(Buffer.from('0.01'));
    expect(fs.readFileSync(path.join(store, exp, train, 'params', 'note'))).toEqual(Buffer.from('two\nlines'));
    expect(fs.readFileSync(path.join(store, exp, train, 'params', 'layers', '0', 'units'))).toEqual(Buffer.from('64'));
  });

  it('writes metric lines with Python float repr, nan included', () => {
    const lines = read(exp, train, 'metrics', 'loss').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.replace(/^\d{13} /, 'T '))).toEqual(['T 0.9 0', 'T 0.5 1', 'T nan 2']);
    expect(read(exp, child, 'metrics', 'acc')).toMatch(/^\d{13} 1\.0 0\n$/);
  });

  it('records the same tags as the fluent API; an empty tag is a 0-byte file', () => {
    expect(fs.readdirSync(path.join(store, exp, train, 'tags')).sort()).toEqual([
      'mlflow.runName',
      'mlflow.source.name',
      'mlflow.source.type',
      'mlflow.user',
      'stage',
    ]);
    expect(fs.statSync(path.join(store, exp, train, 'tags', 'stage')).size).toBe(0);
    expect(fs.readdirSync(path.join(store, exp, child, 'tags')).sort()).toEqual([
      'mlflow.parentRunId',
      'mlflow.runName',
      'mlflow.source.name',
      'mlflow.source.type',
      'mlflow.user',
    ]);
    expect(read(exp, child, 'tags', 'mlflow.parentRunId')).toBe(train);
    expect(fs.readdirSync(path.join(store, exp, child)).sort()).toEqual(['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
    expect(fs.readdirSync(path.join(store, exp, child, 'params'))).toEqual([]);
  });

  it('writes the finished run meta.yaml of §4.2', () => {
    expect(
      norm(read(exp, train, 'meta.yaml'))
        .split(train)
        .join('0fc647dd75a9451681566788d5a8a910'),
    ).toBe(
      [
        'artifact_uri: file:///home/ana/proj/mlruns/786088298537458258/0fc647dd75a9451681566788d5a8a910/artifacts',
        'end_time: <time>',
        "entry_point_name: ''",
        "experiment_id: '786088298537458258'",
        'lifecycle_stage: active',
        'run_id: 0fc647dd75a9451681566788d5a8a910',
        'run_name: train',
        'run_uuid: 0fc647dd75a9451681566788d5a8a910',
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        'start_time: <time>',
        'status: 3',
        'tags: []',
        'user_id: root',
        '',
      ].join('\n'),
    );
  });

  it('writes the deleted run meta.yaml of §15 (user recorded instead of unknown)', () => {
    expect(
      norm(read(exp, gone, 'meta.yaml'))
        .split(gone)
        .join('7545cb6bd6ed4aeb84088dc855f6c238'),
    ).toBe(
      [
        'artifact_uri: file:///home/ana/proj/mlruns/786088298537458258/7545cb6bd6ed4aeb84088dc855f6c238/artifacts',
        'deleted_time: <time>',
        'end_time: null',
        "entry_point_name: ''",
        "experiment_id: '786088298537458258'",
        'lifecycle_stage: deleted',
        'run_id: 7545cb6bd6ed4aeb84088dc855f6c238',
        'run_name: gone',
        'run_uuid: 7545cb6bd6ed4aeb84088dc855f6c238',
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        'start_time: <time>',
        'status: 1',
        'tags: []',
        'user_id: root',
        '',
      ].join('\n'),
    );
  });

  it('gives the run its latest values when read back (NaN at the highest step wins)', async () => {
    const r = await mlr(['runs', 'describe', train, '--format', 'json'], { cwd: work });
    const run = JSON.parse(r.stdout) as { data: { metrics: { key: string; value: unknown; step: number }[]; params: { key: string; value: string }[] } };
    expect(run.data.metrics.map((m) => [m.key, m.value, m.step])).toEqual([['loss', 'NaN', 2]]);
    expect(run.data.params).toEqual([
      { key: 'layers/0/units', value: '64' },
      { key: 'lr', value: '0.01' },
      { key: 'note', value: 'two\nlines' },
    ]);
  });
});
