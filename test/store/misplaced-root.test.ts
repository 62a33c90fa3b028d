/**
 * issue 11 #5: a --store that is an experiment folder, a run folder, a folder inside a run
 * or the folder above mlruns/ is refused for writes with a one-line hint, and reads say the
 * same once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore, mlr } from '../helpers.js';

const EXP = '234684999513866976'; // 'sweep'

function setup() {
  const store = copyStore();
  const cwd = path.dirname(store);
  const run = fs.readdirSync(path.join(store, EXP)).find((n) => n !== 'meta.yaml')!;
  return { store, cwd, run, before: fs.readdirSync(path.join(store, EXP)).sort() };
}

describe('a folder that is not a store root (issue 11 #5)', () => {
  it('experiments create into an experiment folder is refused and creates nothing', async () => {
    const { store, cwd, before } = setup();
    const r = await mlr(['--store', `mlruns/${EXP}`, 'experiments', 'create', 'oops'], { cwd });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlr: refusing to write: ./mlruns/${EXP} is experiment 'sweep' of the store at ./mlruns; use --store ./mlruns\n`,
    });
    expect(fs.readdirSync(path.join(store, EXP)).sort()).toEqual(before);
  });

  it('runs create and log-metric into an experiment folder are refused', async () => {
    const { cwd, run } = setup();
    for (const args of [
      ['runs', 'create', '--experiment', 'x'],
      ['log-metric', run, 'loss', '1'],
    ]) {
      const r = await mlr(['--store', `mlruns/${EXP}`, ...args], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mlr: refusing to write: ./mlruns/${EXP} is experiment 'sweep' of the store at ./mlruns; use --store ./mlruns\n`);
    }
  });

  it('reads on an experiment folder warn once, not once per run', async () => {
    const { cwd } = setup();
    const r = await mlr(['--store', `mlruns/${EXP}`, 'runs', 'ls'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: ./mlruns/${EXP} is experiment 'sweep' of the store at ./mlruns; use --store ./mlruns\n`);
  });

  it('a run folder: reads and writes name the run and the store', async () => {
    const { cwd, run } = setup();
    const hint = `./mlruns/${EXP}/${run} is run ${run} of experiment 'sweep' of the store at ./mlruns; use --store ./mlruns`;
    expect(await mlr(['--store', `mlruns/${EXP}/${run}`, 'runs', 'ls'], { cwd })).toEqual({ code: 1, stdout: '', stderr: `mlr: ${hint}\n` });
    expect(await mlr(['--store', `mlruns/${EXP}/${run}`, 'experiments', 'create', 'x'], { cwd })).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlr: refusing to write: ${hint}\n`,
    });
  });

  it('inside a run (artifacts/, metrics/, a folder not yet made) writes are refused and nothing is created', async () => {
    const { store, cwd, run } = setup();
    for (const sub of ['artifacts', 'metrics', 'artifacts/new']) {
      const r = await mlr(['--store', `mlruns/${EXP}/${run}/${sub}`, 'experiments', 'create', 'x'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `mlr: refusing to write: ./mlruns/${EXP}/${run}/${sub} is inside run ${run} of experiment 'sweep' of the store at ./mlruns; use --store ./mlruns\n`,
      );
    }
    expect(fs.existsSync(path.join(store, EXP, run, 'artifacts', 'new'))).toBe(false);
  });

  it('an experiment folder whose meta.yaml is gone (every sub-folder a run)', async () => {
    const { store, cwd } = setup();
    fs.rmSync(path.join(store, EXP, 'meta.yaml'));
    const r = await mlr(['--store', `mlruns/${EXP}`, 'experiments', 'create', 'x'], { cwd });
    expect(r.stderr).toBe(
      `mlr: refusing to write: ./mlruns/${EXP} is an experiment folder (its sub-folders are runs) of the store at ./mlruns; use --store ./mlruns\n`,
    );
    expect(r.code).toBe(2);
  });

  it('the folder above mlruns/ says where the store is', async () => {
    const { cwd } = setup();
    expect(await mlr(['--store', '.', 'runs', 'ls'], { cwd })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlr: no MLflow store at .: found ./mlruns here; use --store ./mlruns\n',
    });
    expect(await mlr(['--store', '.', 'experiments', 'create', 'x'], { cwd })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlr: refusing to write: found ./mlruns here; use --store ./mlruns\n',
    });
  });

  it('doctor, gc and runs mv refuse an experiment folder', async () => {
    const { cwd, run } = setup();
    const hint = `./mlruns/${EXP} is experiment 'sweep' of the store at ./mlruns; use --store ./mlruns`;
    expect((await mlr(['--store', `mlruns/${EXP}`, 'doctor', '--fix'], { cwd })).stderr).toBe(`mlr: mlr doctor: ${hint}\n`);
    const gc = await mlr(['--store', `mlruns/${EXP}`, 'gc', '--yes'], { cwd });
    expect(gc.code).toBe(2);
    expect(gc.stderr).toContain(hint);
    const mv = await mlr(['--store', `mlruns/${EXP}`, 'runs', 'mv', run, '--to', '0'], { cwd });
    expect(mv.code).toBe(2);
    expect(mv.stderr).toContain(hint);
  });

  it('the real store is not affected: writes and reads as before', async () => {
    const { cwd } = setup();
    const r = await mlr(['--store', 'mlruns', 'experiments', 'create', 'fine'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect((await mlr(['--store', 'mlruns', 'runs', 'ls', '-e', 'sweep'], { cwd })).stderr).toBe('');
  });
});
