/**
 * gc deletes exactly what its dry run lists, and nothing else; trash ls / restore / rename.
 * The fixture has 4 deleted runs in `sweep` (deleted 2026-11-22T03:31:20.63xZ) and the
 * deleted experiment `old-exp` (577419433840892238) with one deleted run in `.trash/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyStore } from '../helpers.js';
import { diffSnapshots, on, snapshot } from './helpers.js';

const SWEEP = '234684999513866976';
const OLD = '577419433840892238';
const DELETED_RUNS = [
  '2ee677726ea047b29ffa9fddb9fcf75d',
  '45e20441b3934fcaa848e046f3317ad6',
  '694bd70d98c7410cae47478bd7e643b0',
  'e21d89e93acf4dbf826adc25b1114b3b',
];
// MLR_NOW in the test helper is 1795400000000, ~22.6 hours after the deletions
const NOW = 1795400000000;

/** Relative paths under `dirs` (the folders themselves included). */
function under(snap: Map<string, string>, root: string, dirs: string[]): string[] {
  const rels = dirs.map((d) => path.relative(root, d));
  return [...snap.keys()].filter((k) => rels.some((r) => k === r || k.startsWith(r + '/'))).sort();
}

function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? bytesUnder(p) : fs.statSync(p).size;
  }
  return n;
}

interface GcJson {
  dry_run: boolean;
  items: { kind: string; id: string; dir: string; size_bytes: number; external_artifacts: { path: string | null }[] }[];
  kept: { id: string; reason: string }[];
  registry: { model: string; version: string; run_id: string }[];
  deleted?: string[];
}

describe('gc', () => {
  it('without --yes lists and deletes nothing; with --yes deletes exactly that list', async () => {
    const store = copyStore();
    const m = on(store);
    const before = snapshot(store);
    const dry = await m('gc', '--format', 'json');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('mlr: would permanently delete 1 experiment and 4 runs (6.9 KiB); run again with --yes to delete\n');
    const plan = JSON.parse(dry.stdout) as GcJson;
    expect(plan.dry_run).toBe(true);
    expect(plan.items.map((i) => `${i.kind} ${i.id}`)).toEqual([...DELETED_RUNS.map((r) => `run ${r}`), `experiment ${OLD}`]);
    expect(plan.items.map((i) => i.dir)).toEqual([...DELETED_RUNS.map((r) => path.join(store, SWEEP, r)), path.join(store, '.trash', OLD)]);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
    // the listed sizes are the bytes of the files in those folders
    for (const i of plan.items) expect(i.size_bytes).toBe(bytesUnder(i.dir));

    const real = await m('gc', '--yes');
    expect(real.code).toBe(0);
    expect(real.stdout).toBe(
      DELETED_RUNS.map((r) => `Run with ID ${r} has been permanently deleted.\n`).join('') + `Experiment with ID ${OLD} has been permanently deleted.\n`,
    );
    const d = diffSnapshots(before, snapshot(store));
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.removed).toEqual(
      under(
        before,
        store,
        plan.items.map((i) => i.dir),
      ),
    );
    expect((await m('gc')).stderr).toBe('mlr: nothing to delete\n');
    expect(fs.readdirSync(path.join(store, '.trash'))).toEqual([]);
  });

  it('--older-than keeps what is too young (and says why under --verbose)', async () => {
    const store = copyStore();
    const m = on(store);
    const r = await m('-v', 'gc', '--older-than', '1d');
    expect(r.stdout).toBe('kind\tid\tname\texperiment_id\texperiment_name\tdeleted_time\tsize_bytes\truns\tdir\n');
    expect(r.stderr).toContain(`mlr: kept: experiment ${OLD} (deleted less than 1d ago); run ${DELETED_RUNS[0]} (deleted less than 1d ago);`);
    expect(r.stderr).toContain(`experiment ${OLD} (deleted less than 1d ago)`);
    expect(r.stderr).toContain('mlr: nothing to delete (6 deleted items kept; see --verbose)\n');
    // 22 hours ago is older than 12h: everything goes
    const plan = JSON.parse((await m('gc', '--older-than', '12h', '--format', 'json')).stdout) as GcJson;
    expect(plan.items).toHaveLength(5);
    // the threshold is measured from "now" (MLR_NOW): 2026-11-22T03:31:20Z + 1d is still in the future
    expect(NOW - Date.parse('2026-11-22T03:31:20.843Z')).toBeLessThan(86_400_000);
  });

  it('--run and --experiment limit gc to exactly what is named (mlflow gc would purge more)', async () => {
    const store = copyStore();
    const m = on(store);
    const before = snapshot(store);
    const r = await m('gc', '--run', `${DELETED_RUNS[1]!.slice(0, 8)},${DELETED_RUNS[2]}`, '--yes');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Run with ID ${DELETED_RUNS[1]} has been permanently deleted.\nRun with ID ${DELETED_RUNS[2]} has been permanently deleted.\n`);
    const d = diffSnapshots(before, snapshot(store));
    expect(d.removed).toEqual(under(before, store, [path.join(store, SWEEP, DELETED_RUNS[1]!), path.join(store, SWEEP, DELETED_RUNS[2]!)]));
    expect(d.added.length + d.changed.length).toBe(0);
    const before2 = snapshot(store);
    const e = await m('gc', '--experiment', 'old-exp', '--yes');
    expect(e.stdout).toBe(`Experiment with ID ${OLD} has been permanently deleted.\n`);
    const d2 = diffSnapshots(before2, snapshot(store));
    expect(d2.removed).toEqual(under(before2, store, [path.join(store, '.trash', OLD)]));
  });

  it('deletes a run’s per-run artifacts kept outside the store, tolerates ones already removed, reports the registry', async () => {
    const store = copyStore();
    const m = on(store);
    const [kept, gone] = [DELETED_RUNS[0]!, DELETED_RUNS[1]!];
    const bucket = path.join(path.dirname(store), 'bucket');
    for (const id of [kept, gone]) {
      const ext = path.join(bucket, id, 'artifacts');
      fs.mkdirSync(ext, { recursive: true });
      fs.writeFileSync(path.join(ext, 'weights.bin'), 'x'.repeat(1000));
      const f = path.join(store, SWEEP, id, 'meta.yaml');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/artifact_uri: .*\n/, `artifact_uri: file://${ext}\n`));
    }
    fs.rmSync(path.join(bucket, gone), { recursive: true }); // removed by hand
    fs.writeFileSync(path.join(bucket, 'unrelated.txt'), 'keep me');
    // a registered version pointing at a run gc deletes
    expect((await m('models', 'create', 'm')).code).toBe(0);
    const fmeta = path.join(store, 'models', 'm');
    fs.mkdirSync(path.join(fmeta, 'version-1'));
    fs.writeFileSync(
      path.join(fmeta, 'version-1', 'meta.yaml'),
      `aliases: []\ncreation_timestamp: 1\ncurrent_stage: Production\ndescription: null\nlast_updated_timestamp: 1\nname: m\nrun_id: ${kept}\nrun_link: null\nsource: x\nstatus: READY\nstatus_message: null\nstorage_location: x\nuser_id: null\nversion: 1\n`,
    );
    const plan = JSON.parse((await m('gc', '--run', kept, '--run', gone, '--format', 'json')).stdout) as GcJson;
    expect(plan.items.map((i) => i.external_artifacts.map((x) => x.path))).toEqual([[path.join(bucket, kept, 'artifacts')], []]);
    expect(plan.registry).toEqual([{ model: 'm', version: '1', run_id: kept, stage: 'Production' }]);
    const r = await m('gc', '--run', kept, '--run', gone, '--yes');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: registered model 'm' version 1 (Production) points at run ${kept}, which gc deletes\n`);
    expect(fs.existsSync(path.join(bucket, kept))).toBe(true); // the run folder's parent is not per-run
    expect(fs.existsSync(path.join(bucket, kept, 'artifacts'))).toBe(false);
    expect(fs.readFileSync(path.join(bucket, 'unrelated.txt'), 'utf8')).toBe('keep me');
  });

  it('leaves alone what MLflow would not read as an experiment (a run folder dropped into .trash/)', async () => {
    const store = copyStore();
    const stray = path.join(store, '.trash', DELETED_RUNS[0]!);
    fs.cpSync(path.join(store, SWEEP, DELETED_RUNS[0]!), stray, { recursive: true });
    const m = on(store);
    const plan = JSON.parse((await m('-q', 'gc', '--format', 'json')).stdout) as GcJson;
    expect(plan.items.map((i) => i.dir)).not.toContain(stray);
    expect(plan.kept.map((k) => [k.id, k.reason])).toEqual([[DELETED_RUNS[0], 'not a readable experiment (run-at-experiment-level); see mlr doctor']]);
    expect((await m('-q', 'gc', '--yes')).code).toBe(0);
    expect(fs.existsSync(path.join(stray, 'meta.yaml'))).toBe(true);
    expect(await m('-q', 'gc', '--experiment', DELETED_RUNS[0]!, '--yes')).toMatchObject({ code: 1, stdout: '' });
  });

  it('a shared (not per-run) external location is left alone and reported', async () => {
    const store = copyStore();
    const shared = path.join(path.dirname(store), 'shared-artifacts');
    fs.mkdirSync(shared);
    fs.writeFileSync(path.join(shared, 'f'), 'x');
    const id = DELETED_RUNS[0]!;
    const f = path.join(store, SWEEP, id, 'meta.yaml');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/artifact_uri: .*\n/, `artifact_uri: ${shared}\n`));
    const r = await on(store)('gc', '--run', id, '--yes');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: run ${id}: artifacts at ${shared} are not a per-run folder (<run_id>/artifacts) and are left alone\n`);
    expect(fs.readFileSync(path.join(shared, 'f'), 'utf8')).toBe('x');
  });
});

describe('trash', () => {
  it('ls: deleted experiments and runs, newest deletion first, with size', async () => {
    const store = copyStore();
    const r = await on(store, { MLR_FORCE_TTY: '1', COLUMNS: '120' })('trash', 'ls');
    expect(r.stdout).toMatchInlineSnapshot(`
      "Kind        ID                  Name                  Experiment  Deleted          Size  Notes
      experiment  577419433840892238  old-exp               1 run       22 hours ago    705 B  -
      run         694bd70d            rmsprop-lr0.001-bs32  sweep       22 hours ago  1.7 KiB  -
      run         45e20441            run 42                sweep       22 hours ago  1.9 KiB  -
      run         e21d89e9            sgd-lr0.001-bs64      sweep       22 hours ago  1.5 KiB  -
      run         2ee67772            adam-lr0.001-bs32     sweep       22 hours ago  1.0 KiB  -
      "
    `);
    const tsv = (await on(store)('trash', 'ls')).stdout.split('\n');
    expect(tsv[0]).toBe('kind\tid\tname\texperiment_id\texperiment_name\tdeleted_time\tsize_bytes\truns\tdir');
    expect(tsv[1]).toBe(`experiment\t${OLD}\told-exp\t${OLD}\told-exp\t2026-11-22T03:31:20.843Z\t705\t1\t${path.join(store, '.trash', OLD)}`);
  });

  it('restore: an experiment by name (with its runs) and a run by prefix', async () => {
    const store = copyStore();
    const m = on(store);
    expect(await m('trash', 'restore', 'old-exp', DELETED_RUNS[0]!.slice(0, 8))).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(fs.existsSync(path.join(store, OLD, 'meta.yaml'))).toBe(true);
    expect(fs.readFileSync(path.join(store, OLD, 'meta.yaml'), 'utf8')).toContain('lifecycle_stage: active\n');
    expect((await m('runs', 'ls', '-e', 'old-exp', '--format', 'ids')).stdout).toBe('7d5ddb0def1046c1b03d9851ae7ea36a\n');
    expect(fs.readFileSync(path.join(store, SWEEP, DELETED_RUNS[0]!, 'meta.yaml'), 'utf8')).not.toContain('deleted_time');
    expect((await m('trash', 'ls')).stdout.trim().split('\n')).toHaveLength(4);
  });

  it('rename frees a deleted experiment’s name: a new experiment can take it, the old one keeps its deletion time', async () => {
    const store = copyStore();
    const m = on(store);
    const meta = path.join(store, '.trash', OLD, 'meta.yaml');
    const before = fs.readFileSync(meta, 'utf8');
    expect((await m('experiments', 'create', 'old-exp')).code).not.toBe(0); // MLflow refuses: the name is in the trash
    expect(await m('trash', 'rename', 'old-exp', 'old-exp (2025)')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(fs.readFileSync(meta, 'utf8')).toBe(before.replace('name: old-exp\n', 'name: old-exp (2025)\n'));
    const c = await m('experiments', 'create', 'old-exp');
    expect(c.code).toBe(0);
    expect((await m('trash', 'ls', '--format', 'json')).stdout).toContain('"name": "old-exp (2025)"');
    // restoring the renamed one is fine now; restoring when the name is taken is refused
    expect((await m('trash', 'rename', OLD, 'old-exp')).stderr).toBe(`mlr: the name 'old-exp' is taken by experiment ${c.stdout.trim()}\n`);
  });

  it('restore refuses when an active experiment has the name (nothing changes)', async () => {
    const store = copyStore();
    const m = on(store);
    fs.writeFileSync(
      path.join(store, '.trash', OLD, 'meta.yaml'),
      fs.readFileSync(path.join(store, '.trash', OLD, 'meta.yaml'), 'utf8').replace('name: old-exp', 'name: sweep'),
    );
    const before = snapshot(store);
    const r = await m('trash', 'restore', OLD);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: Cannot restore experiment ${OLD}: the active experiment ${SWEEP} is also named 'sweep'; rename one of them first\n`);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });
});
