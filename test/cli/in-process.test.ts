/**
 * The CLI run in-process (runCli with an io of its own) takes its folder and stdin from the
 * io, never from the test process: relative paths are resolved against io.cwd (here a temp
 * folder, while the test process sits in the repository), stdin is io.stdin.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore, mlr } from '../helpers.js';
import { healthyStore, NLP } from '../doctor/helpers.js';

const SWEEP = '234684999513866976';

describe('the in-process CLI uses its own folder and stdin', () => {
  it('log-batch --file <relative> reads the file in the invocation folder; --file - reads its stdin', async () => {
    const store = copyStore();
    const work = path.dirname(store);
    const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'sweep'])).stdout.trim();
    fs.writeFileSync(path.join(work, 'batch.json'), JSON.stringify({ params: [{ key: 'from', value: 'file' }] }));
    expect(await mlr(['--store', 'mlruns', 'log-batch', run, '--file', 'batch.json'], { cwd: work })).toEqual({ code: 0, stdout: '', stderr: '' });
    const stdin = JSON.stringify({ params: [{ key: 'via', value: 'stdin' }] });
    expect(await mlr(['--store', 'mlruns', 'log-batch', run, '--file', '-'], { cwd: work, input: stdin })).toEqual({ code: 0, stdout: '', stderr: '' });
    const params = path.join(store, SWEEP, run, 'params');
    expect(fs.readdirSync(params).sort()).toEqual(['from', 'via']);
    expect(fs.readFileSync(path.join(params, 'from'), 'utf8')).toBe('file');
    expect(fs.readFileSync(path.join(params, 'via'), 'utf8')).toBe('stdin');
  });

  it('doctor --backup-dir and --undo <relative> are relative to the invocation folder', async () => {
    const store = healthyStore();
    const work = path.dirname(store);
    const meta = path.join(store, NLP, 'meta.yaml');
    fs.writeFileSync(meta, '');
    const fix = await mlr(['--store', 'mlruns', 'doctor', '--fix', '--backup-dir', 'saved'], { cwd: work });
    expect(fix.code, fix.stderr).toBe(0);
    expect(fs.existsSync(path.join(work, 'saved', 'manifest.json'))).toBe(true);
    expect(fs.readFileSync(meta, 'utf8')).toMatch(/^artifact_location: /);
    const undo = await mlr(['doctor', '--undo', 'saved'], { cwd: work });
    expect(undo.code, undo.stderr).toBe(0);
    expect(fs.readFileSync(meta, 'utf8')).toBe('');
  });
});
