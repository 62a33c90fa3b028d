/**
 * runs mv: moves exactly the runs it lists (folder, experiment_id, artifact URI, dataset
 * records) and nothing else; a moved run reads back cleanly in its new experiment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore } from '../helpers.js';
import { CORPUS, HAS_CORPUS, diffSnapshots, on, snapshot } from './helpers.js';

const SWEEP = '234684999513866976';
const NLP = '146381941577740080';
const A = 'd61057829b7b4f24b7a65344cc35e18e'; // has artifacts/docs/notes.txt, registered as resnet-classifier v1
const B = '2609992be05c42e0a0b1b80c4b9e2b1f';

function underRun(paths: string[], exp: string, run: string): string[] {
  return paths.filter((p) => p === `${exp}/${run}` || p.startsWith(`${exp}/${run}/`));
}

describe('runs mv', () => {
  it('moves exactly the listed runs: same files, meta.yaml rewritten, nothing else touched', async () => {
    const store = copyStore();
    const m = on(store);
    const before = snapshot(store);
    const metaBefore = fs.readFileSync(path.join(store, SWEEP, A, 'meta.yaml'), 'utf8');
    const r = await m('runs', 'mv', A.slice(0, 8), B, '--to', 'nlp models');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'run_id\tfrom_experiment_id\tto_experiment_id\tartifact_uri\n' +
        `${A}\t${SWEEP}\t${NLP}\tfile:///home/ana/cv-project/mlruns/${NLP}/${A}/artifacts\n` +
        `${B}\t${SWEEP}\t${NLP}\tfile:///home/ana/cv-project/mlruns/${NLP}/${B}/artifacts\n`,
    );
    const after = snapshot(store);
    const d = diffSnapshots(before, after);
    expect(d.changed).toEqual([]);
    // removed: everything under the two old folders; added: the same relative paths under NLP
    expect(d.removed).toEqual([...underRun([...before.keys()], SWEEP, A), ...underRun([...before.keys()], SWEEP, B)].sort());
    expect(d.added).toEqual(d.removed.map((p) => p.replace(SWEEP, NLP)).sort());
    for (const p of d.removed) {
      const q = p.replace(SWEEP, NLP);
      if (p.endsWith('/meta.yaml')) continue;
      expect(after.get(q)).toBe(before.get(p));
    }
    // meta.yaml: only experiment_id and artifact_uri differ
    const metaAfter = fs.readFileSync(path.join(store, NLP, A, 'meta.yaml'), 'utf8');
    expect(metaAfter).toBe(
      metaBefore
        .replace(
          `artifact_uri: file:///home/ana/cv-project/mlruns/${SWEEP}/${A}/artifacts`,
          `artifact_uri: file:///home/ana/cv-project/mlruns/${NLP}/${A}/artifacts`,
        )
        .replace(`experiment_id: '${SWEEP}'`, `experiment_id: '${NLP}'`),
    );
    // warnings: the children left behind and the registry versions whose source is frozen
    expect(r.stderr).toContain(`mlr: warning: run ${A}: its child run `);
    expect(r.stderr).toContain(
      `mlr: warning: run ${A}: registered model 'resnet-classifier' version 1 keeps its source file:///home/ana/cv-project/mlruns/${SWEEP}/${A}/artifacts/model, which MLflow will no longer find\n`,
    );
  });

  it('the moved run reads back in its new experiment, with no warnings, artifacts included', async () => {
    const store = copyStore();
    const m = on(store);
    expect((await m('runs', 'mv', A, '--to', NLP)).code).toBe(0);
    const d = await m('runs', 'describe', A, '--format', 'json');
    expect(d.stderr).toBe('');
    expect(JSON.parse(d.stdout).info).toMatchObject({ experiment_id: NLP, artifact_uri: `file:///home/ana/cv-project/mlruns/${NLP}/${A}/artifacts` });
    const ls = await m('runs', 'ls', '-e', 'nlp models', '--format', 'ids');
    expect(ls.stdout.split('\n')).toContain(A);
    expect((await m('runs', 'ls', '-e', 'sweep', '--format', 'ids')).stdout.split('\n')).not.toContain(A);
    expect((await m('artifacts', 'cat', A, 'docs/notes.txt')).stdout).toBe('hello artifacts\n');
    // the registry still finds the version's files through the run id
    expect((await m('-v', 'models', 'versions', 'resnet-classifier')).stderr).toContain(`${NLP}/${A}/artifacts instead (virtual re-root, nothing written)`);
  });

  it('--dry-run lists the same moves and changes nothing', async () => {
    const store = copyStore();
    const before = snapshot(store);
    const r = await on(store)('runs', 'mv', A, B, '--to', 'Default', '--dry-run', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('mlr: would move 2 runs; nothing changed (drop --dry-run to move)\n');
    const plan = JSON.parse(r.stdout);
    expect(plan.map((p: { run_id: string; to_experiment_id: string; dir: string }) => [p.run_id, p.to_experiment_id, p.dir])).toEqual([
      [A, '0', path.join(store, '0', A)],
      [B, '0', path.join(store, '0', B)],
    ]);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('a run whose meta.yaml disagrees with its folder is refused; nothing moves', async () => {
    const store = copyStore();
    const f = path.join(store, SWEEP, B, 'meta.yaml');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(`experiment_id: '${SWEEP}'`, "experiment_id: '0'"));
    const before = snapshot(store);
    const r = await on(store)('-q', 'runs', 'mv', A, B, '--to', 'Default');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`mlr: run ${B}: ${f} records experiment_id '0' but the run is in experiment ${SWEEP}; run mlr doctor first\n`);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('a run already in the target is skipped with a warning', async () => {
    const store = copyStore();
    const r = await on(store)('runs', 'mv', A, '--to', 'sweep');
    expect(r).toMatchObject({ code: 0, stdout: 'run_id\tfrom_experiment_id\tto_experiment_id\tartifact_uri\n' });
    expect(r.stderr).toBe(`mlr: warning: run ${A} is already in experiment ${SWEEP}; skipped\n`);
  });

  it('copies the dataset records the run’s inputs point at; a custom artifact location is kept', async () => {
    const store = copyStore();
    const ds = 'f1591100ec3ad41f150caad5f411de73';
    const dsMeta = 'digest: 300830b9\nname: toy\nprofile: \'{"num_rows": 2}\'\nschema: null\nsource: \'{"uri": "toy.csv"}\'\nsource_type: local\n';
    fs.mkdirSync(path.join(store, SWEEP, 'datasets', ds), { recursive: true });
    fs.writeFileSync(path.join(store, SWEEP, 'datasets', ds, 'meta.yaml'), dsMeta);
    fs.mkdirSync(path.join(store, SWEEP, B, 'inputs', 'eebeeff663077ba0d14db1f5cb8461ec'), { recursive: true });
    fs.writeFileSync(
      path.join(store, SWEEP, B, 'inputs', 'eebeeff663077ba0d14db1f5cb8461ec', 'meta.yaml'),
      `destination_id: ${ds}\ndestination_type: RUN\nsource_id: ${ds}\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n`,
    );
    // artifacts kept outside the store
    const ext = path.join(path.dirname(store), 'bucket', B, 'artifacts');
    fs.mkdirSync(ext, { recursive: true });
    const metaFile = path.join(store, SWEEP, B, 'meta.yaml');
    fs.writeFileSync(metaFile, fs.readFileSync(metaFile, 'utf8').replace(/artifact_uri: .*\n/, `artifact_uri: ${ext}\n`));
    const m = on(store);
    const r = await m('runs', 'mv', B, '--to', 'Default');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: run ${B}: its artifacts stay at ${ext}\n`);
    expect(fs.readFileSync(path.join(store, '0', 'datasets', ds, 'meta.yaml'), 'utf8')).toBe(dsMeta);
    expect(fs.existsSync(path.join(store, SWEEP, 'datasets', ds, 'meta.yaml'))).toBe(true); // other runs may use it
    expect(fs.readFileSync(path.join(store, '0', B, 'meta.yaml'), 'utf8')).toContain(`artifact_uri: ${ext}\nend_time:`);
    const j = JSON.parse((await m('runs', 'describe', B, '--format', 'json')).stdout);
    expect(j.inputs.dataset_inputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'toy', digest: '300830b9', source_type: 'local', source: '{"uri": "toy.csv"}', schema: null, profile: '{"num_rows": 2}' },
      },
    ]);
  });
});

describe.skipIf(!HAS_CORPUS)('runs mv on a real store (third-party corpus)', () => {
  it('a 2.22 store with dataset inputs: moved into a new experiment, inputs intact', async () => {
    const src = path.join(CORPUS, '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp@4f018a05', 'mlruns');
    const store = copyStore(src);
    const m = on(store);
    const created = await m('experiments', 'create', 'archive');
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    const run = (await m('runs', 'ls', '-e', '0', '--format', 'ids')).stdout.split('\n')[0]!;
    const before = JSON.parse((await m('runs', 'describe', run, '--format', 'json')).stdout);
    expect((await m('runs', 'mv', run, '--to', 'archive')).code).toBe(0);
    const after = await m('runs', 'describe', run, '--format', 'json');
    expect(after.stderr).toBe('');
    const j = JSON.parse(after.stdout);
    expect(j.info.experiment_id).toBe(id);
    expect(j.inputs).toEqual(before.inputs);
    expect(j.data).toEqual(before.data);
  });
});
