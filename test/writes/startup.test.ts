/**
 * Start-up cost of the logging commands: a training loop calls `mlr log-metric` thousands of
 * times, so it must load as little as possible. Checked by tracing the modules node loads
 * (a module-level fact, not a timing, so the test is stable on a busy machine).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, mlr, REPO, tempDir } from '../helpers.js';

const HOOK = path.join(REPO, 'test', 'writes', 'oracle', 'trace-loads.mjs');
let work: string;
let store: string;
let run: string;

beforeAll(async () => {
  work = tempDir('startup');
  store = path.join(work, 'mlruns');
  await mlr(['--store', store, 'experiments', 'create', 'e', '--tag', 'k=v'], { cwd: work });
  run = (await mlr(['--store', store, 'runs', 'create', '-e', 'e'], { cwd: work })).stdout.trim();
  // a renamed experiment's meta.yaml has the nested stale `tags:` copy
  await mlr(['--store', store, 'experiments', 'rename', 'e', 'e2'], { cwd: work });
});

function loads(args: string[]): string[] {
  const out = path.join(work, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, '--store', store, ...args], {
    cwd: work,
    env: { ...process.env, MLR_TRACE_LOADS: out },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return fs.readFileSync(out, 'utf8').trim().split('\n');
}

describe('what a logging call loads', () => {
  it.each([
    ['log-metric', () => ['log-metric', run, 'loss', '0.5', '--step', '1']],
    ['log-params', () => ['log-params', run, 'a=1', 'b=2']],
    ['set-tag', () => ['set-tag', run, 'stage', 'train']],
  ])('%s: not the yaml package, not the full writer, lock, YAML emitter or artifact code', (_name, args) => {
    const mods = loads(args());
    const ours = mods.filter((m) => m.includes('/dist/')).map((m) => m.replace(/^.*\/dist\//, ''));
    expect(ours).toContain('store/file/run-writes.js');
    for (const heavy of [
      'store/file/writes.js',
      'store/file/lock.js',
      'store/file/yaml-dump.js',
      'store/artifacts/upload.js',
      'store/names.js',
      'commands/create.js',
      'render/runs.js',
      'render/run-table.js',
      'render/experiments.js',
      'render/history.js',
    ]) {
      expect(ours, heavy).not.toContain(heavy);
    }
    expect(mods.filter((m) => /node_modules\/yaml\/|cjs:yaml$/.test(m))).toEqual([]);
  });

  it('(control) renaming through the mlflow.runName tag does load the full writer and the YAML emitter', () => {
    const ours = loads(['set-tag', run, 'mlflow.runName', 'renamed']).filter((m) => m.includes('/dist/'));
    expect(ours.some((m) => m.endsWith('/store/file/writes.js'))).toBe(true);
    expect(ours.some((m) => m.endsWith('/store/file/yaml-dump.js'))).toBe(true);
  });
});
