/**
 * The diagnosis on small hand-made stores (in-process, no CLI): how folders are classified
 * (experiment, run, stray, another store's artifacts) and the less common findings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, publicFinding } from '../../src/doctor/diagnose.js';
import { writeTree } from '../helpers.js';

const RUN = 'a'.repeat(32);
const RUN2 = 'b'.repeat(32);

function expMeta(id: string, name: string, loc = `/abs/mlruns/${id}`): string {
  return `artifact_location: ${loc}\ncreation_time: 1700000000000\nexperiment_id: '${id}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: ${name}\n`;
}

function runMeta(id: string, exp: string, extra = ''): string {
  return (
    `artifact_uri: /abs/mlruns/${exp}/${id}/artifacts\nend_time: 1700000001000\nentry_point_name: ''\nexperiment_id: '${exp}'\n` +
    `lifecycle_stage: active\nrun_id: ${id}\nrun_name: r\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n` +
    `start_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: ana\n${extra}`
  );
}

/** A store at <tmp>/mlruns from a tree; artifact locations point where it lives. */
function store(files: Record<string, string>): string {
  const dir = writeTree(Object.fromEntries(Object.entries(files).map(([k, v]) => [`mlruns/${k}`, v])));
  const root = path.join(dir, 'mlruns');
  fs.mkdirSync(root, { recursive: true });
  const fixLocations = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) fixLocations(p);
      else if (e.name === 'meta.yaml') fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split('/abs/mlruns').join(root));
    }
  };
  fixLocations(root);
  return root;
}

const found = (root: string): [string, string, string][] => diagnose(root, { now: 1 }).findings.map((f) => [f.severity, f.code, f.path]);

describe('classifying folders', () => {
  it('a healthy hand-made store is clean', () => {
    const root = store({ '1/meta.yaml': expMeta('1', 'e'), [`1/${RUN}/meta.yaml`]: runMeta(RUN, '1'), [`1/${RUN}/metrics/m`]: '1 0.5 0\n' });
    expect(found(root)).toEqual([]);
  });

  it('folders without meta.yaml: experiments when they hold runs, strays when they hold nothing useful, foreign when they hold only artifacts', () => {
    const root = store({
      '1/meta.yaml': expMeta('1', 'e'),
      [`1/${RUN}/meta.yaml`]: runMeta(RUN, '1'),
      // another store's artifact root sharing the folder (a database-backed MLflow)
      [`7/${RUN2}/artifacts/model/MLmodel`]: 'flavors: {}\n',
      '8/models/m-1/artifacts/x.json': '{}',
      // an empty numeric folder, a notes folder, a run-shaped folder holding nothing
      '9/.keep': '',
      'notes/a.txt': 'x',
      [`1/${RUN2}/artifacts/plot.png`]: 'png',
      '1/scratch/x.txt': 'x',
    });
    expect(found(root)).toEqual([
      ['warning', 'stray-folder', '1/scratch'],
      ['warning', 'stray-folder', '9'],
      ['warning', 'stray-folder', 'notes'],
      ['info', 'artifact-only-folder', `1/${RUN2}`],
      ['info', 'artifact-only-folder', '7'],
      ['info', 'artifact-only-folder', '8'],
    ]);
  });

  it('a run folder with only tags is still a run; one with nothing is a stray', () => {
    const root = store({ '1/meta.yaml': expMeta('1', 'e'), [`1/${RUN}/tags/mlflow.runName`]: 'r', [`1/${RUN2}/.keep`]: '' });
    expect(found(root)).toEqual([
      ['error', 'run-meta-missing', `1/${RUN}`],
      ['warning', 'stray-folder', `1/${RUN2}`],
    ]);
  });
});

describe('less common findings', () => {
  it('an experiment meta.yaml without a name, a run with a name that is no run id, an invalid key', () => {
    const root = store({
      '1/meta.yaml': expMeta('1', 'e').replace('name: e\n', ''),
      [`1/${RUN}/meta.yaml`]: runMeta(RUN, '1'),
      [`1/${RUN}/params/bad\tkey`]: 'x',
      '1/my run/meta.yaml': runMeta(RUN2, '1'),
    });
    const d = diagnose(root, { now: 1 });
    expect(d.findings.map(publicFinding)).toEqual([
      {
        code: 'key-invalid',
        severity: 'error',
        path: `1/${RUN}/params/bad\tkey`,
        message: '\'bad\tkey\' is not a valid param name in any MLflow version: MLflow fails on the whole run ("Invalid param name")',
      },
      {
        code: 'experiment-meta-incomplete',
        severity: 'error',
        path: '1/meta.yaml',
        message: 'meta.yaml lacks name: MLflow fails on every experiment listing',
        fix: 'fill in name: recovered-1',
      },
      {
        code: 'run-folder-name-invalid',
        severity: 'error',
        path: '1/my run',
        message: "'my run' is not a valid run id: MLflow cannot address this run",
        command: `mv '${path.join(root, '1', 'my run')}' ${path.join(root, '1', RUN2)}`,
      },
    ]);
  });

  it('a misplaced run whose experiment does not exist is reported, an identical copy is moved out', () => {
    const root = store({
      '1/meta.yaml': expMeta('1', 'e'),
      [`1/${RUN}/meta.yaml`]: runMeta(RUN, '1'),
      [`.trash/${RUN}/meta.yaml`]: runMeta(RUN, '1'),
      [`.trash/${RUN2}/meta.yaml`]: runMeta(RUN2, '5'),
    });
    const d = diagnose(root, { now: 1 }).findings.map(publicFinding);
    expect(d).toEqual([
      expect.objectContaining({
        code: 'run-misplaced',
        severity: 'error',
        path: `.trash/${RUN2}`,
        command: `mlr experiments create <name>, then: mlr runs mv ${RUN2} --to <name>`,
      }),
      expect.objectContaining({ code: 'run-misplaced', severity: 'warning', path: `.trash/${RUN}`, fix: 'move the copy out of the store into the backup' }),
    ]);
    expect(d[0]!.fix).toBeUndefined();
  });

  it('experiment names: the oldest active experiment keeps the name', () => {
    const root = store({
      '1/meta.yaml': expMeta('1', 'same').replace('creation_time: 1700000000000', 'creation_time: 5'),
      '2/meta.yaml': expMeta('2', 'same').replace('creation_time: 1700000000000', 'creation_time: 3'),
      '3/meta.yaml': expMeta('3', 'same-2'),
      '.trash/4/meta.yaml': expMeta('4', 'same')
        .replace('lifecycle_stage: active', 'lifecycle_stage: deleted')
        .replace('creation_time: 1700000000000', 'creation_time: 1'),
    });
    const d = diagnose(root, { now: 1 }).findings.map(publicFinding);
    expect(d.map((f) => [f.code, f.path, f.command])).toEqual([
      ['experiment-name-held-by-deleted', '.trash/4/meta.yaml', 'mlr trash rename 4 same-4'],
      ['experiment-name-duplicate', '1/meta.yaml', 'mlr experiments rename 1 same-1'],
    ]);
  });

  it("a rebuilt experiment takes its siblings' artifact-location form (relative, plain, remote)", () => {
    for (const [loc, want] of [
      ['./mlruns/1', './mlruns/2'],
      ['file:./mlruns/1', 'file:./mlruns/2'],
      ['mlflow-artifacts:/1', 'mlflow-artifacts:/2'],
    ] as const) {
      const root = store({ '1/meta.yaml': expMeta('1', 'e', loc), [`2/${RUN}/meta.yaml`]: runMeta(RUN, '2') });
      const f = diagnose(root, { now: 1 }).findings.find((x) => x.code === 'experiment-meta-missing')!;
      expect(f.fix).toMatch(new RegExp(`artifact_location ${want.replace(/[.]/g, '\\.')}$`));
    }
  });
});
