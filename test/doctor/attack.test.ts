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

const metaOf = (store: string, exp: string, run: string): string => fs.readFileSync(path.join(store, exp, run, 'meta.yaml'), 'utf8');
const field = (meta: string, key: string): string | undefined => new RegExp(`^${key}: (.*)$`, 'm').exec(meta)?.[1];

describe('item 7: what doctor missed', () => {
  it('a run folder moved by hand into another experiment: kept there, artifacts included, with the `mlr runs mv` that puts it back', async () => {
    const store = healthyStore();
    fs.renameSync(path.join(store, SWEEP, ART_RUN), path.join(store, NLP, ART_RUN));
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'run-moved',
        severity: 'error',
        path: `${NLP}/${ART_RUN}`,
        message: `the run folder was moved by hand from experiment 'sweep' (${SWEEP}) into ${NLP}: its meta.yaml still says experiment_id '${SWEEP}' and its artifact_uri points there, so MLflow skips the run ("Wrong experiment ID")`,
        fix: `keep it in experiment ${NLP}: set experiment_id to '${NLP}' and artifact_uri to ${uri(store)}/${NLP}/${ART_RUN}/artifacts`,
        command: `mlr runs mv ${ART_RUN} --to ${SWEEP}   # after the fix, to put it back where it came from`,
      },
    ]);
    const f = await mlr(['--store', store, 'doctor', '--fix'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '200' } });
    expect(f.code, f.stderr).toBe(0);
    // the fix report still offers the way back
    expect(f.stdout).toContain(`run: mlr runs mv ${ART_RUN} --to ${SWEEP}   # after the fix, to put it back where it came from`);
    const backup = backups(store)[0];
    const meta = metaOf(store, NLP, ART_RUN);
    expect(field(meta, 'experiment_id')).toBe(`'${NLP}'`);
    expect(field(meta, 'artifact_uri')).toBe(`${uri(store)}/${NLP}/${ART_RUN}/artifacts`);
    expect((await report(store)).findings).toEqual([]);
    const art = await mlr(['--store', store, 'artifacts', 'ls', ART_RUN, '--format', 'json']);
    expect(art.code, art.stderr).toBe(0);
    expect(JSON.parse(art.stdout)).not.toEqual([]);
    // the offered command puts it back, artifacts and all
    const mv = await mlr(['--store', store, 'runs', 'mv', ART_RUN, '--to', SWEEP]);
    expect(mv.code, mv.stderr).toBe(0);
    expect(field(metaOf(store, SWEEP, ART_RUN), 'artifact_uri')).toBe(`${uri(store)}/${SWEEP}/${ART_RUN}/artifacts`);
    expect((await report(store)).findings).toEqual([]);
    expect(backup).toBeTruthy();
  });

  it('a copy (the original is still in its experiment) is not a move: only experiment_id is corrected, no runs mv offered', async () => {
    const store = healthyStore();
    fs.cpSync(path.join(store, SWEEP, ART_RUN), path.join(store, NLP, ART_RUN), { recursive: true });
    const r = await report(store);
    expect(r.findings.map((f) => [f.code, f.path, f.command])).toEqual([['run-experiment-mismatch', `${NLP}/${ART_RUN}/meta.yaml`, undefined]]);
  });

  it('a meta.yaml cut off mid artifact_uri: `!` in runs ls before the fix; rebuilt with every key and the artifact_uri of its own folder', async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, ART_RUN, 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    const cut = t.indexOf(`${ART_RUN}/artifacts`) + 4;
    fs.truncateSync(file, cut); // `artifact_uri: file:///…/mlruns/<exp>/d610`: still parses
    const ls = await mlr(['--store', store, 'runs', 'ls', '-e', SWEEP, '--filter', `attributes.run_id = '${ART_RUN}'`], {
      env: { MLR_FORCE_TTY: '1', COLUMNS: '200' },
    });
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[1]).toMatch(/^d6105782 +run 0 +sweep +! RUNNING /);
    expect(ls.stderr).toContain(`${file} lacks run_id, experiment_id, start_time, end_time, user_id: MLflow fails on every search of the experiment`);
    const r = await report(store);
    expect(codesOf(r)).toEqual(['run-meta-truncated']);
    expect(r.findings[0]!.message).toBe(
      `meta.yaml is cut off (it ends in 'artifact_uri: ${uri(store)}/${SWEEP}/d610') and lacks run_id, experiment_id, start_time, end_time, user_id: MLflow fails on every search of the experiment`,
    );
    const backup = await fix(store);
    const meta = fs.readFileSync(file, 'utf8');
    expect(
      Object.keys(
        Object.fromEntries(
          meta
            .split('\n')
            .filter(Boolean)
            .map((l) => [l.split(':')[0], 1]),
        ),
      ),
    ).toEqual([
      'artifact_uri',
      'end_time',
      'entry_point_name',
      'experiment_id',
      'lifecycle_stage',
      'run_id',
      'run_name',
      'run_uuid',
      'source_name',
      'source_type',
      'source_version',
      'start_time',
      'status',
      'tags',
      'user_id',
    ]);
    expect(field(meta, 'artifact_uri')).toBe(`${uri(store)}/${SWEEP}/${ART_RUN}/artifacts`);
    expect((await report(store)).findings).toEqual([]);
    const mp = await mlflowProblems(store);
    if (mp) expect(mp).toEqual([]);
    await undo(backup);
    expect(fs.readFileSync(file, 'utf8')).toBe(t.slice(0, cut));
  });

  it('a salvaged artifact_uri cut mid-path (a folded line cut off): re-rooted to the run folder that holds the artifacts', async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, ART_RUN, 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    // the URI folded onto a second line (as PyYAML folds long values with spaces), the file cut in it
    const at = t.indexOf(`${ART_RUN}/artifacts`) + 4;
    fs.writeFileSync(file, t.slice(0, at) + '\n  ' + t.slice(at, at + 10));
    const r = await report(store);
    expect(codesOf(r)).toEqual(['run-meta-truncated']);
    expect(r.findings[0]!.fix).toContain(`artifact_uri ${uri(store)}/${SWEEP}/${ART_RUN}/artifacts (the recovered ${uri(store)}/${SWEEP}/d610 does not exist)`);
    await fix(store);
    expect(field(metaOf(store, SWEEP, ART_RUN), 'artifact_uri')).toBe(`${uri(store)}/${SWEEP}/${ART_RUN}/artifacts`);
    expect((await report(store)).findings).toEqual([]);
  });

  it('any artifact_uri that points nowhere while the run folder holds artifacts is re-rooted', async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, ART_RUN, 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, t.replace(`${ART_RUN}/artifacts`, 'd610'));
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'artifact-uri-missing',
        severity: 'warning',
        path: `${SWEEP}/${ART_RUN}/meta.yaml`,
        message: `artifact_uri ${uri(store)}/${SWEEP}/d610 points nowhere, while the run folder holds its artifacts: MLflow finds none of them`,
        fix: `set artifact_uri to ${uri(store)}/${SWEEP}/${ART_RUN}/artifacts`,
      },
    ]);
    await fix(store);
    expect(fs.readFileSync(file, 'utf8')).toBe(t);
  });
});

describe('item 23: a run meta.yaml missing run_uuid', () => {
  it("sed -i '/^run_uuid:/d': reported (MLflow 2.x fails on every search of the experiment), --fix puts it back", async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, RUN, 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, t.replace(/^run_uuid:.*\n/m, ''));
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'run-meta-incomplete',
        severity: 'error',
        path: `${SWEEP}/${RUN}/meta.yaml`,
        message: 'meta.yaml lacks run_uuid: MLflow fails on every search of the experiment',
        fix: `fill in run_uuid: ${RUN}`,
      },
    ]);
    const backup = await fix(store);
    expect(fs.readFileSync(file, 'utf8')).toBe(t);
    await undo(backup);
    expect(fs.readFileSync(file, 'utf8')).toBe(t.replace(/^run_uuid:.*\n/m, ''));
  });

  it('a store MLflow 3.x wrote (no run has run_uuid) is not flagged', async () => {
    const store = healthyStore();
    for (const exp of [SWEEP, NLP, '0']) {
      for (const run of fs.readdirSync(path.join(store, exp))) {
        const f = path.join(store, exp, run, 'meta.yaml');
        if (fs.existsSync(f) && fs.statSync(path.dirname(f)).isDirectory() && run !== 'meta.yaml')
          fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^run_uuid:.*\n/m, ''));
      }
    }
    for (const run of fs.readdirSync(path.join(store, '.trash', TRASHED))) {
      const f = path.join(store, '.trash', TRASHED, run, 'meta.yaml');
      if (run !== 'meta.yaml' && fs.existsSync(f)) fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^run_uuid:.*\n/m, ''));
    }
    expect((await report(store)).findings).toEqual([]);
  });
});

describe('item 34: smaller ones', () => {
  it('--undo puts back a meta.yaml that was a symlink as the symlink (the file it pointed at is never written)', async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, RUN, 'meta.yaml');
    const real = path.join(path.dirname(store), 'shared-meta.yaml');
    const broken = fs.readFileSync(file, 'utf8').replace(/^run_uuid:.*\n/m, '');
    fs.writeFileSync(real, broken);
    fs.rmSync(file);
    fs.symlinkSync(real, file);
    const before = tree(store);
    expect(codesOf(await report(store))).toEqual(['run-meta-incomplete']);
    const backup = await fix(store);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toMatch(`run_uuid: ${RUN}`);
    expect(fs.readFileSync(real, 'utf8')).toBe(broken);
    await undo(backup);
    expect(tree(store)).toEqual(before);
    expect(fs.readlinkSync(file)).toBe(real);
  });

  it('an editor swap file in metrics/ (.lr_final.swp), which MLflow shows as a metric, is flagged and moved out', async () => {
    const store = healthyStore();
    const swp = path.join(store, SWEEP, RUN, 'metrics', '.lr_final.swp');
    put(swp, Buffer.concat([Buffer.from('b0VIM 9.0'), Buffer.alloc(40), Buffer.from('\n1700000000000 0.5 0\n')]));
    const before = tree(store);
    const r = await report(store);
    expect(r.findings).toEqual([
      {
        code: 'stray-junk',
        severity: 'error',
        path: `${SWEEP}/${RUN}/metrics/.lr_final.swp`,
        message: `an editor swap file (vim): MLflow reads it as metric '.lr_final.swp' and fails on every search of the experiment`,
        fix: 'move it out of the store into the backup',
      },
    ]);
    const backup = await fix(store);
    expect(fs.existsSync(swp)).toBe(false);
    expect((await report(store)).findings).toEqual([]);
    await undo(backup);
    expect(tree(store)).toEqual(before);
  });

  it('a rebuilt run name comes from the mlflow.runName tag, not from meta.yaml bytes that are not UTF-8 (no U+FFFD)', async () => {
    const store = healthyStore();
    const dir = path.join(store, SWEEP, RUN);
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.runName'), 'café-run');
    const t = fs.readFileSync(path.join(dir, 'meta.yaml'), 'latin1');
    // the name in latin1 (not UTF-8), and the file cut off in `tags: []`
    const bytes = Buffer.from(t.replace(/^run_name: .*$/m, 'run_name: caf\xe9-run'), 'latin1');
    fs.writeFileSync(path.join(dir, 'meta.yaml'), bytes.subarray(0, bytes.indexOf('tags: [') + 7));
    const r = await report(store);
    expect(codesOf(r)).toEqual(['run-meta-truncated']);
    expect(r.findings[0]!.fix).toContain(`name 'café-run' (mlflow.runName tag; the one in meta.yaml is not valid UTF-8)`);
    await fix(store);
    const meta = fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8');
    expect(field(meta, 'run_name')).toBe('café-run');
    expect(meta).not.toContain('\uFFFD');
  });

  it('tag keys over 250 characters: set-tag takes them (MLflow 2.12 file store set_tag does not check the length), log-batch refuses them (as MLflow)', async () => {
    const store = healthyStore();
    const key = 'k'.repeat(251);
    const set = await mlr(['--store', store, 'set-tag', RUN, key, 'v']);
    expect(set.code, set.stderr).toBe(0);
    expect(fs.readFileSync(path.join(store, SWEEP, RUN, 'tags', key), 'utf8')).toBe('v');
    const body = JSON.stringify({ tags: [{ key: 'b'.repeat(251), value: 'v' }] });
    const batch = await mlr(['--store', store, 'log-batch', RUN, '--file', '-'], { input: body });
    expect(batch.code).toBe(2);
    expect(batch.stderr).toBe(`mlr: Tag key '${'b'.repeat(250)}' had length 251, which exceeded length limit of 250\n`);
    // and the documentation says so instead of a blanket 250
    const doc = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'docs', 'writes.md'), 'utf8');
    expect(doc).not.toContain('segments (so nothing is ever written outside the run folder); at most 250 characters.');
    expect(doc).toContain('`set-tag` on a file store takes a longer tag key');
  });
});

describe('item 22: --undo restores exactly or says what it could not', () => {
  it('a backup copy that no longer holds the original bytes: refused, nothing changed', async () => {
    const store = healthyStore();
    const file = path.join(store, SWEEP, RUN, 'meta.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^run_uuid:.*\n/m, ''));
    const backup = await fix(store);
    fs.writeFileSync(path.join(backup, 'store', SWEEP, RUN, 'meta.yaml'), 'tampered\n');
    const before = tree(store);
    const r = await mlr(['doctor', '--undo', backup]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: cannot undo safely, nothing was changed: store/${SWEEP}/${RUN}/meta.yaml in the backup no longer holds the original bytes\n`);
    expect(tree(store)).toEqual(before);
  });
});
