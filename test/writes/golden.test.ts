/**
 * Golden test: replay fixtures/write/README.md's sequence (what real MLflow 2.12 did to
 * produce fixtures/write/mlruns) through the CLI (in-process), and compare every file byte for
 * byte after replacing ids, times and the user name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlr, readTree, REPO, tempDir } from '../helpers.js';

const GOLDEN = path.join(REPO, 'fixtures', 'write', 'mlruns');
const SYSTEM_TAGS = ['mlflow.user', 'mlflow.source.name', 'mlflow.source.type'];

interface Normalised {
  files: Record<string, string>;
  times: Record<string, number>;
}

/** Replace experiment ids, run ids, the artifact root, times and user_id by stable names. */
function normalise(root: string, artifactRoot: string): Normalised {
  const tree = readTree(root);
  const ids = new Map<string, string>();
  for (const [rel, text] of Object.entries(tree)) {
    const parts = rel.split(path.sep);
    if (parts[parts.length - 1] !== 'meta.yaml') continue;
    const name = /^name: (.*)$/m.exec(text)?.[1];
    const runName = /^run_name: (.*)$/m.exec(text)?.[1];
    const expId = /^experiment_id: '(\d+)'$/m.exec(text)?.[1];
    const runId = /^run_id: (\w+)$/m.exec(text)?.[1];
    if (name && expId) ids.set(expId, `<exp:${name}>`);
    if (runName && runId) ids.set(runId, `<run:${runName}>`);
  }
  const sub = (s: string) => {
    let out = s.split(artifactRoot).join('<root>');
    for (const [id, name] of ids) if (id !== '0') out = out.split(id).join(name);
    return out;
  };
  const files: Record<string, string> = {};
  const times: Record<string, number> = {};
  for (const [rel, text] of Object.entries(tree)) {
    const key = sub(rel.split(path.sep).join('/'));
    if (SYSTEM_TAGS.some((t) => key.endsWith(`/tags/${t}`))) continue;
    files[key] = sub(text)
      .replace(/^(creation_time|last_update_time|start_time|end_time|deleted_time): (\d+)$/gm, (_m, k: string, v: string) => {
        times[`${key}:${k}`] = Number(v);
        return `${k}: <time>`;
      })
      .replace(/^user_id: .*$/m, 'user_id: <user>');
  }
  return { files, times };
}

describe('golden: the conformance write sequence through the CLI', () => {
  let work: string;
  let store: string;
  let ids: { exp: string; run: string; run2: string; doomed: string };
  const before = Date.now();

  beforeAll(async () => {
    work = tempDir('golden');
    store = path.join(work, 'mlruns');
    const S = ['--store', `file://${store}`];
    const opts = { cwd: work, env: { USER: 'ana', LOGNAME: 'ana' } };
    const ok = async (args: string[], input?: string) => {
      const r = await mlr([...S, ...args], { ...opts, ...(input !== undefined ? { input } : {}) });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
      return r.stdout.trim();
    };
    fs.writeFileSync(path.join(work, 'notes.txt'), 'some notes\n');
    const exp = await ok(['experiments', 'create', 'wc-exp', '--tag', 'owner=ana']);
    const run = await ok(['runs', 'create', '-e', 'wc-exp', '--name', 'first', '--tag', 'team=core']);
    await ok(['log-param', run, 'lr', '0.01']);
    await ok(['log-params', run, 'bs=32', 'opt=adam']);
    await ok(['log-metric', run, 'loss', '0.5', '--step', '0', '--timestamp', '1700000000000']);
    await ok(['log-metric', run, 'loss', '0.25', '--step', '1', '--timestamp', '1700000001000']);
    await ok(['log-metric', run, 'loss', 'nan', '--step', '2', '--timestamp', '1700000002000']);
    await ok(['set-tag', run, 'note', 'hello world']);
    const batch = {
      metrics: [
        { key: 'acc', value: 0.5, timestamp: 1700000000000, step: 0 },
        { key: 'acc', value: 0.75, timestamp: 1700000001000, step: 1 },
      ],
      params: [{ key: 'layers', value: '3' }],
    };
    await ok(['log-batch', run, '--file', '-'], JSON.stringify(batch));
    await ok(['log-artifact', run, 'notes.txt', '--artifact-path', 'docs']);
    await ok(['runs', 'end', run, '--status', 'FINISHED']);
    const run2 = await ok(['runs', 'create', '-e', 'wc-exp', '--name', 'second', '--parent', run]);
    await ok(['runs', 'end', run2, '--status', 'FAILED']);
    await ok(['runs', 'delete', run2]);
    const doomed = await ok(['experiments', 'create', 'doomed']);
    await ok(['experiments', 'delete', 'doomed']);
    await ok(['experiments', 'rename', 'wc-exp', 'wc-renamed']);
    ids = { exp, run, run2, doomed };
  });

  it('prints an 18-digit experiment id and 32-hex run ids', () => {
    expect(ids.exp).toMatch(/^[1-9]\d{17}$/);
    expect(ids.doomed).toMatch(/^[1-9]\d{17}$/);
    expect(ids.run).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.run2).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes the same files as MLflow 2.12, byte for byte apart from ids, times and user', () => {
    const mine = normalise(store, `file://${store}`);
    const golden = normalise(GOLDEN, 'file:///home/ana/wc/mlruns');
    expect(Object.keys(mine.files).sort()).toEqual(Object.keys(golden.files).sort());
    for (const [rel, text] of Object.entries(golden.files)) expect(mine.files[rel], rel).toBe(text);
  });

  it('creates the same folders, including empty ones MLflow makes (.trash, metrics/, params/, artifacts/)', () => {
    const run2 = path.join(store, ids.exp, ids.run2);
    for (const d of ['.trash', path.join(ids.exp, ids.run2), path.join(ids.exp, ids.run, 'artifacts', 'docs')]) {
      expect(fs.statSync(path.join(store, d)).isDirectory(), d).toBe(true);
    }
    expect(fs.readdirSync(run2).sort()).toEqual(['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
    expect(fs.readdirSync(path.join(store, '.trash'))).toEqual([ids.doomed]);
  });

  it('records times in the order the operations happened', () => {
    const { times } = normalise(store, `file://${store}`);
    const t = (rel: string, k: string) => times[`${rel}:${k}`]!;
    const exp = '<exp:wc-renamed>/meta.yaml';
    const r1 = '<exp:wc-renamed>/<run:first>/meta.yaml';
    const r2 = '<exp:wc-renamed>/<run:second>/meta.yaml';
    expect(t(exp, 'creation_time')).toBeGreaterThanOrEqual(before);
    expect(t(r1, 'start_time')).toBeGreaterThanOrEqual(t(exp, 'creation_time'));
    expect(t(r1, 'end_time')).toBeGreaterThanOrEqual(t(r1, 'start_time'));
    expect(t(r2, 'start_time')).toBeGreaterThanOrEqual(t(r1, 'end_time'));
    expect(t(r2, 'deleted_time')).toBeGreaterThanOrEqual(t(r2, 'end_time'));
    expect(t(exp, 'last_update_time')).toBeGreaterThanOrEqual(t(r2, 'deleted_time'));
    expect(t(exp, 'last_update_time')).toBeLessThanOrEqual(Date.now());
  });

  it('records the user and source as mlflow.start_run() would (MlflowClient.create_run records neither)', () => {
    for (const run of [ids.run, ids.run2]) {
      const dir = path.join(store, ids.exp, run);
      expect(fs.readFileSync(path.join(dir, 'tags', 'mlflow.user'), 'utf8')).toBe('ana');
      expect(fs.readFileSync(path.join(dir, 'tags', 'mlflow.source.name'), 'utf8')).toBe('mlr');
      expect(fs.readFileSync(path.join(dir, 'tags', 'mlflow.source.type'), 'utf8')).toBe('LOCAL');
      expect(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8')).toMatch(/^user_id: ana$/m);
    }
  });

  it('is read back by mlr exactly as written', async () => {
    const r = await mlr(['--store', store, 'runs', 'describe', ids.run, '--format', 'json'], { cwd: work });
    expect(r.code).toBe(0);
    const run = JSON.parse(r.stdout) as {
      info: Record<string, unknown>;
      data: { metrics: { key: string; value: unknown; step: number; timestamp: number }[]; params: unknown[]; tags: { key: string; value: string }[] };
    };
    expect(run.info).toMatchObject({
      run_id: ids.run,
      run_name: 'first',
      status: 'FINISHED',
      lifecycle_stage: 'active',
      user_id: 'ana',
      experiment_id: ids.exp,
    });
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.75, timestamp: 1700000001000, step: 1 },
      { key: 'loss', value: 'NaN', timestamp: 1700000002000, step: 2 },
    ]);
    expect(run.data.params).toEqual([
      { key: 'bs', value: '32' },
      { key: 'layers', value: '3' },
      { key: 'lr', value: '0.01' },
      { key: 'opt', value: 'adam' },
    ]);
    expect(run.data.tags.filter((t) => !SYSTEM_TAGS.includes(t.key))).toEqual([
      { key: 'mlflow.runName', value: 'first' },
      { key: 'note', value: 'hello world' },
      { key: 'team', value: 'core' },
    ]);
    const deleted = await mlr(['--store', store, 'experiments', 'ls', '--view', 'deleted', '--format', 'csv'], { cwd: work });
    expect(deleted.stdout.split('\n')[1]).toMatch(new RegExp(`^${ids.doomed},doomed,deleted,`));
  });
});
