/**
 * Symlinks into and out of artifacts (issue 11 item 21): log-artifact copies bytes, never a
 * link, and never writes through a link planted inside a run's artifacts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

async function setup(): Promise<{ work: string; store: string; run: string; artifacts: string }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-symlink-'));
  temps.push(work);
  const store = path.join(work, 'mlruns');
  const run = (await mlr(['--store', store, 'runs', 'create'], { cwd: work })).stdout.trim();
  const artifacts = path.join(store, '0', run, 'artifacts');
  expect(fs.statSync(artifacts).isDirectory()).toBe(true);
  return { work, store, run, artifacts };
}

describe('log-artifact and symbolic links', () => {
  it('refuses an --artifact-path through a link inside the artifacts that points out of them, writing nothing', async () => {
    const { work, store, run, artifacts } = await setup();
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(path.join(artifacts, 'd'));
    fs.symlinkSync(outside, path.join(artifacts, 'd', 'outlink'));
    fs.writeFileSync(path.join(work, 'f'), 'secret payload');
    const r = await mlr(['--store', store, 'log-artifact', run, 'f', '--artifact-path', 'd/outlink'], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mlr: refusing to write through the symbolic link ${path.join(artifacts, 'd', 'outlink')} (it could point outside the artifacts)\n`);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('refuses to replace an existing artifact that is a link (the write would land where it points)', async () => {
    const { work, store, run, artifacts } = await setup();
    const victim = path.join(work, 'victim.txt');
    fs.writeFileSync(victim, 'keep me');
    fs.symlinkSync(victim, path.join(artifacts, 'f'));
    fs.writeFileSync(path.join(work, 'f'), 'new');
    const r = await mlr(['--store', store, 'log-artifact', run, 'f'], { cwd: work });
    expect(r.code).toBe(2);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me');
  });

  it('a source that is a link is stored as the bytes it points to, so deleting the original loses nothing', async () => {
    const { work, store, run, artifacts } = await setup();
    fs.writeFileSync(path.join(work, 'model-v3.bin'), 'weights');
    fs.symlinkSync(path.join(work, 'model-v3.bin'), path.join(work, 'latest'));
    fs.mkdirSync(path.join(work, 'dir'));
    fs.symlinkSync(path.join(work, 'model-v3.bin'), path.join(work, 'dir', 'inner'));
    expect((await mlr(['--store', store, 'log-artifact', run, 'latest'], { cwd: work })).code).toBe(0);
    expect((await mlr(['--store', store, 'log-artifact', run, 'dir'], { cwd: work })).code).toBe(0);
    fs.rmSync(path.join(work, 'model-v3.bin'));
    for (const p of ['latest', 'dir/inner']) {
      const st = fs.lstatSync(path.join(artifacts, p));
      expect(st.isFile() && !st.isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(path.join(artifacts, p), 'utf8')).toBe('weights');
    }
    expect(fs.readdirSync(artifacts).filter((n) => n.startsWith('.mlr-tmp-'))).toEqual([]);
  });

  it('a folder with a link cycle is copied once, not forever', async () => {
    const { work, store, run, artifacts } = await setup();
    fs.mkdirSync(path.join(work, 'loop'));
    fs.writeFileSync(path.join(work, 'loop', 'a.txt'), 'a');
    fs.symlinkSync('.', path.join(work, 'loop', 'self'));
    expect((await mlr(['--store', store, 'log-artifact', run, 'loop'], { cwd: work })).code).toBe(0);
    expect(fs.readdirSync(path.join(artifacts, 'loop')).sort()).toEqual(['a.txt']);
  });
});
