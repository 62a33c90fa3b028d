/**
 * Issue 11, the doctor items found by attack (7, 22, 23, 31, 34): each with the exact
 * reproduction the issue gives, built on a copy of the MLflow-written fixture store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { encodePathForUri } from '../../src/store/root.js';
import { backups, doctor, healthyStore, mlflowProblems, NLP, put, report, SWEEP, TRASHED } from './helpers.js';

const ART_RUN = 'd61057829b7b4f24b7a65344cc35e18e'; // the sweep run holding artifacts/
const RUN = '0d386e4a9e794fa987768f73e7a51c10'; // a sweep run with params, metrics and tags
const uri = (store: string): string => 'file://' + encodePathForUri(store);

/** Every entry below `dir`, symlinks as `-> target` (never followed), files as their bytes. */
function tree(dir: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out.set(r, `-> ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(r + '/', null);
        walk(p, r);
      } else out.set(r, fs.readFileSync(p, 'latin1'));
    }
  };
  walk(dir, '');
  return out;
}

async function fix(store: string): Promise<string> {
  const r = await doctor(store, '--fix');
  expect(r.code === 0 || r.code === 3, r.stdout + r.stderr).toBe(true);
  const [backup, ...more] = backups(store);
  expect(more).toEqual([]);
  return backup!;
}

async function undo(backup: string): Promise<void> {
  const r = await mlr(['doctor', '--undo', backup]);
  expect(r.code, r.stderr).toBe(0);
}

const codesOf = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code).sort();

describe('item 22: symlinked experiment folders are aliases', () => {
  it('ln -s <exp-id> mlruns/999999999999999999: reported, the real experiment and its 60 runs untouched by --fix', async () => {
    const store = healthyStore();
    fs.symlinkSync(SWEEP, path.join(store, '999999999999999999'));
    put(path.join(store, SWEEP, '.DS_Store'), 'junk'); // something for --fix to do
    const before = tree(store);
    const r = await report(store);
    expect(r.code).toBe(3);
    expect(codesOf(r)).toEqual(['experiment-alias', 'stray-junk']);
    const alias = r.findings.find((f) => f.code === 'experiment-alias')!;
    expect(alias).toEqual({
      code: 'experiment-alias',
      severity: 'warning',
      path: '999999999999999999',
      message: `a symlink to '${SWEEP}' where experiments live: MLflow reads what it points at a second time as experiment '999999999999999999'; the doctor checks and repairs nothing through it`,
      command: `rm ${path.join(store, '999999999999999999')}   # removes the link only`,
    });
    const backup = await fix(store);
    // the real experiment still says who it is, and so does every run
    expect(fs.readFileSync(path.join(store, SWEEP, 'meta.yaml'), 'utf8')).toMatch(`experiment_id: '${SWEEP}'`);
    let runs = 0;
    for (const run of fs.readdirSync(path.join(store, SWEEP))) {
      const meta = path.join(store, SWEEP, run, 'meta.yaml');
      if (!fs.existsSync(meta)) continue;
      runs++;
      expect(fs.readFileSync(meta, 'utf8'), run).toMatch(`experiment_id: '${SWEEP}'`);
    }
    expect(runs).toBe(60);
    expect(fs.readlinkSync(path.join(store, '999999999999999999'))).toBe(SWEEP);
    expect(codesOf(await report(store))).toEqual(['experiment-alias']);
    const mp = await mlflowProblems(store, ['999999999999999999']);
    if (mp) expect(mp).toEqual([]);
    await undo(backup);
    expect(tree(store)).toEqual(before);
  });

  it('ln -s . mlruns/111111111111111111: --fix leaves .trash alone, --undo restores exactly (the deleted experiment stays in .trash)', async () => {
    const store = healthyStore();
    fs.symlinkSync('.', path.join(store, '111111111111111111'));
    put(path.join(store, NLP, '.DS_Store'), 'junk');
    const before = tree(store);
    const r = await report(store);
    expect(codesOf(r)).toEqual(['experiment-alias', 'stray-junk']);
    expect(r.findings.find((f) => f.code === 'experiment-alias')!.message).toBe(
      `a symlink to '.' where experiments live (it points back at the store: a loop): MLflow reads what it points at a second time as experiment '111111111111111111'; the doctor checks and repairs nothing through it`,
    );
    const backup = await fix(store);
    expect(fs.existsSync(path.join(store, '.trash', TRASHED, 'meta.yaml'))).toBe(true);
    expect(fs.existsSync(path.join(store, NLP, '.DS_Store'))).toBe(false);
    await undo(backup);
    expect(tree(store)).toEqual(before);
    const trash = await mlr(['--store', store, 'experiments', 'ls', '--view', 'deleted', '--format', 'json']);
    expect((JSON.parse(trash.stdout) as { experiment_id: string }[]).map((e) => e.experiment_id)).toEqual([TRASHED]);
  });

  it('a symlinked run folder is an alias too: reported, never rewritten through', async () => {
    const store = healthyStore();
    // the copy of a run under another id: a fix through it would rewrite the real run's run_id
    fs.symlinkSync(RUN, path.join(store, SWEEP, 'ffffffffffffffffffffffffffffffff'));
    const before = tree(store);
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'run-alias',
        severity: 'warning',
        path: `${SWEEP}/ffffffffffffffffffffffffffffffff`,
        message: `a symlink to '${RUN}' where runs live: MLflow reads what it points at a second time as run 'ffffffffffffffffffffffffffffffff'; the doctor checks and repairs nothing through it`,
        command: `rm ${path.join(store, SWEEP, 'ffffffffffffffffffffffffffffffff')}   # removes the link only`,
      },
    ]);
    const f = await doctor(store, '--fix');
    expect(f.code).toBe(3);
    expect(backups(store)).toEqual([]);
    expect(tree(store)).toEqual(before);
  });

  it('--undo refuses, changing nothing, when a path it would restore is now reached through a symlink', async () => {
    const store = healthyStore();
    put(path.join(store, NLP, '.DS_Store'), 'junk');
    const backup = await fix(store);
    // the experiment folder is replaced by a link to elsewhere: restoring would write there
    const elsewhere = path.join(path.dirname(store), 'elsewhere');
    fs.renameSync(path.join(store, NLP), elsewhere);
    fs.symlinkSync(elsewhere, path.join(store, NLP));
    const before = tree(path.dirname(store));
    const r = await mlr(['doctor', '--undo', backup]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: cannot undo safely, nothing was changed: ${NLP}/.DS_Store is now reached through the symlink ${NLP}\n`);
    expect(tree(path.dirname(store))).toEqual(before);
  });
});

describe('item 31: a symlink loop inside metrics/ or params/', () => {
  it('ln -s . metrics/loopm and params/loopp: MLflow shows 3 metrics and 4 params, so does mlr; doctor flags and removes the loops', async () => {
    const store = healthyStore();
    const run = path.join(store, SWEEP, RUN);
    fs.symlinkSync('.', path.join(run, 'metrics', 'loopm'));
    fs.symlinkSync('.', path.join(run, 'params', 'loopp'));
    const d = await mlr(['--store', store, 'runs', 'describe', RUN, '--format', 'json']);
    expect(d.code, d.stderr).toBe(0);
    const run1 = JSON.parse(d.stdout) as { data: { metrics: { key: string }[]; params: { key: string }[] } };
    expect(run1.data.metrics.map((m) => m.key)).toEqual(['train_loss', 'val_acc', 'val_loss']);
    expect(run1.data.params.map((m) => m.key)).toEqual(['batch_size', 'lr', 'model/depth', 'optimizer']);
    const ls = await mlr(['--store', store, 'runs', 'ls', '-e', SWEEP, '--filter', `attributes.run_id = '${RUN}'`, '--format', 'json']);
    const row = (JSON.parse(ls.stdout) as { data: { metrics: unknown[]; params: unknown[] } }[])[0]!;
    expect([row.data.metrics.length, row.data.params.length]).toEqual([3, 4]);
    const before = tree(store);
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'key-symlink-loop',
        severity: 'warning',
        path: `${SWEEP}/${RUN}/metrics/loopm`,
        message: `a symlink to '.' inside metrics/ that points back at the folder holding it: a loop (listing through it repeats every metric as 'loopm/…'); MLflow does not follow it`,
        fix: 'move the link out of the store into the backup',
      },
      {
        code: 'key-symlink-loop',
        severity: 'warning',
        path: `${SWEEP}/${RUN}/params/loopp`,
        message: `a symlink to '.' inside params/ that points back at the folder holding it: a loop (listing through it repeats every param as 'loopp/…'); MLflow does not follow it`,
        fix: 'move the link out of the store into the backup',
      },
    ]);
    const backup = await fix(store);
    expect(fs.existsSync(path.join(run, 'metrics', 'loopm'))).toBe(false);
    expect((await report(store)).findings).toEqual([]);
    await undo(backup);
    expect(tree(store)).toEqual(before);
  });
});
