/**
 * log-artifact (files, folders, moved stores, custom and remote locations), artifact
 * locations of new experiments, and store creation by the first write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore, mlr, tempDir } from '../helpers.js';
import { relocate } from '../doctor/helpers.js';

const SWEEP = '234684999513866976';

function tmp(): string {
  return tempDir('art');
}

describe('log-artifact', () => {
  it("writes into the store's own <run>/artifacts when the recorded absolute path is another machine's, and says so", async () => {
    const store = copyStore();
    const work = path.dirname(store);
    // the store as written on a machine whose project folder is not here (not /home/ana/cv-project:
    // whether that exists depends on the machine)
    const away = path.join(work, 'away', 'cv-project', 'mlruns');
    relocate(store, undefined, `file://${away}`);
    const run = fs
      .readdirSync(path.join(store, SWEEP))
      .find((r) => /^[0-9a-f]{32}$/.test(r) && fs.readFileSync(path.join(store, SWEEP, r, 'meta.yaml'), 'utf8').includes('lifecycle_stage: active'))!;
    fs.writeFileSync(path.join(work, 'report.md'), '# report\n');
    const r = await mlr(['--store', store, 'log-artifact', run, 'report.md', '--artifact-path', 'docs/v1'], { cwd: work });
    expect(r.code).toBe(0);
    const inStore = path.join(store, SWEEP, run, 'artifacts');
    expect(r.stderr).toBe(
      `mlr: warning: artifact_uri file://${away}/${SWEEP}/${run}/artifacts does not exist on this machine (the store was moved or copied); writing to ${inStore}\n`,
    );
    expect(fs.readFileSync(path.join(inStore, 'docs', 'v1', 'report.md'), 'utf8')).toBe('# report\n');
    expect(fs.existsSync(path.join(work, 'away'))).toBe(false);
  });

  it('copies a folder as a folder, recursively, and overwrites files already there', async () => {
    const work = tmp();
    const store = path.join(work, 'mlruns');
    const ok = async (args: string[]) => {
      const r = await mlr(['--store', store, ...args], { cwd: work });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    await ok(['experiments', 'create', 'a']);
    const run = await ok(['runs', 'create', '-e', 'a']);
    fs.mkdirSync(path.join(work, 'out', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(work, 'out', 'a.txt'), 'A');
    fs.writeFileSync(path.join(work, 'out', 'sub', 'b.bin'), Buffer.from([0, 1, 2]));
    await ok(['log-artifact', run, 'out']);
    fs.writeFileSync(path.join(work, 'out', 'a.txt'), 'A2');
    await ok(['log-artifact', run, 'out/']);
    const exp = fs.readdirSync(store).find((d) => fs.existsSync(path.join(store, d, run)))!;
    const art = path.join(store, exp, run, 'artifacts');
    expect(fs.readFileSync(path.join(art, 'out', 'a.txt'), 'utf8')).toBe('A2');
    expect(fs.readFileSync(path.join(art, 'out', 'sub', 'b.bin'))).toEqual(Buffer.from([0, 1, 2]));
    expect(fs.readdirSync(art)).toEqual(['out']);
  });

  it('uses a custom artifact location that exists on this machine, relative paths made absolute', async () => {
    const work = tmp();
    const store = path.join(work, 'mlruns');
    fs.mkdirSync(path.join(work, 'art'));
    const exp = (await mlr(['--store', store, 'experiments', 'create', 'custom', '--artifact-location', './art'], { cwd: work })).stdout.trim();
    expect(fs.readFileSync(path.join(store, exp, 'meta.yaml'), 'utf8')).toMatch(new RegExp(`^artifact_location: ${work}/art$`, 'm'));
    const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'custom'], { cwd: work })).stdout.trim();
    expect(fs.readFileSync(path.join(store, exp, run, 'meta.yaml'), 'utf8')).toMatch(new RegExp(`^artifact_uri: ${work}/art/${run}/artifacts$`, 'm'));
    fs.writeFileSync(path.join(work, 'f.txt'), 'x');
    const r = await mlr(['--store', store, 'log-artifact', run, 'f.txt'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'art', run, 'artifacts', 'f.txt'), 'utf8')).toBe('x');
    // MLflow still makes <run>/artifacts in the store
    expect(fs.readdirSync(path.join(store, exp, run, 'artifacts'))).toEqual([]);
  });

  it('refuses a remote artifact location', async () => {
    const work = tmp();
    const store = path.join(work, 'mlruns');
    await mlr(['--store', store, 'experiments', 'create', 's3', '--artifact-location', 's3://bucket/prefix'], { cwd: work });
    const run = (await mlr(['--store', store, 'runs', 'create', '-e', 's3'], { cwd: work })).stdout.trim();
    fs.writeFileSync(path.join(work, 'f.txt'), 'x');
    const r = await mlr(['--store', store, 'log-artifact', run, 'f.txt'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mlr: run ${run} stores artifacts at 's3://bucket/prefix/${run}/artifacts' (s3), which mlr cannot write to: only local file stores are supported\n`,
    );
  });

  it('refuses a missing source file', async () => {
    const work = tmp();
    const store = path.join(work, 'mlruns');
    await mlr(['--store', store, 'experiments', 'create', 'a'], { cwd: work });
    const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'a'], { cwd: work })).stdout.trim();
    const r = await mlr(['--store', store, 'log-artifact', run, 'nope.txt'], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mlr: no such file or folder: ${path.join(work, 'nope.txt')}\n`);
  });
});

describe('the first write creates the store', () => {
  it('runs create in a missing store: Default experiment 0 with the run, and .trash', async () => {
    const work = tmp();
    const r = await mlr(['runs', 'create', '--name', 'first'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const store = path.join(work, 'mlruns');
    expect(fs.readdirSync(store).sort()).toEqual(['.trash', '0']);
    expect(fs.readdirSync(path.join(store, '0')).sort()).toEqual([r.stdout.trim(), 'meta.yaml'].sort());
    expect(fs.readFileSync(path.join(store, '0', r.stdout.trim(), 'meta.yaml'), 'utf8')).toMatch(
      new RegExp(`^artifact_uri: file://${work}/mlruns/0/${r.stdout.trim()}/artifacts$`, 'm'),
    );
  });

  it('an existing empty folder gets no Default experiment (as in MLflow)', async () => {
    const work = tmp();
    fs.mkdirSync(path.join(work, 'mlruns'));
    const r = await mlr(['runs', 'create'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mlr: no experiment with id or name '0'/);
    expect(fs.readdirSync(path.join(work, 'mlruns'))).toEqual(['.trash']);
  });

  it('refuses to write into a folder that is not a store', async () => {
    const work = tmp();
    fs.writeFileSync(path.join(work, 'train.py'), 'print(1)\n');
    fs.mkdirSync(path.join(work, 'src'));
    const r = await mlr(['--store', work, 'experiments', 'create', 'x'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: ${work} is not an MLflow store: it has no experiment folders (<id>/meta.yaml) and no .trash\n`);
    expect(fs.readdirSync(work).sort()).toEqual(['src', 'train.py']);
  });

  it('logging to a run never creates a store', async () => {
    const work = tmp();
    const r = await mlr(['log-metric', 'a'.repeat(32), 'm', '1'], { cwd: work });
    expect(r.code).toBe(1);
    expect(fs.existsSync(path.join(work, 'mlruns'))).toBe(false);
  });

  it('experiment and run env variables pick the experiment', async () => {
    const work = tmp();
    const S = ['--store', path.join(work, 'mlruns')];
    const exp = (await mlr([...S, 'experiments', 'create', 'env-exp'], { cwd: work })).stdout.trim();
    const byName = await mlr([...S, 'runs', 'create'], { cwd: work, env: { MLFLOW_EXPERIMENT_NAME: 'env-exp' } });
    expect(fs.existsSync(path.join(work, 'mlruns', exp, byName.stdout.trim()))).toBe(true);
    const byId = await mlr([...S, 'runs', 'create'], { cwd: work, env: { MLFLOW_EXPERIMENT_ID: exp } });
    expect(fs.existsSync(path.join(work, 'mlruns', exp, byId.stdout.trim()))).toBe(true);
    const clash = await mlr([...S, 'runs', 'create'], { cwd: work, env: { MLFLOW_EXPERIMENT_ID: '0', MLFLOW_EXPERIMENT_NAME: 'env-exp' } });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toBe(`mlr: MLFLOW_EXPERIMENT_ID=0 does not match experiment id ${exp} of MLFLOW_EXPERIMENT_NAME='env-exp'\n`);
  });
});
