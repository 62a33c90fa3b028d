/**
 * Artifacts: where a recorded location points on this machine (file:// with percent
 * encoding, file://localhost, plain and relative paths, Windows paths, remote schemes),
 * the read-only virtual re-root of moved stores, and artifacts ls / get / cat end to end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isResolved, parseLocation, resolveFolder, unquotePath } from '../../src/store/artifacts/location.js';
import { BIN, FIXTURE, copyStore, mlr, tempDir } from '../helpers.js';
import { diffSnapshots, on, snapshot } from './helpers.js';

const RUN = 'd61057829b7b4f24b7a65344cc35e18e';
const SWEEP = '234684999513866976';

describe('parseLocation', () => {
  it.each([
    ['file:///home/ana/mlruns/1/r/artifacts', { kind: 'local', path: '/home/ana/mlruns/1/r/artifacts' }],
    ['file:///x/with%20space/%C3%81rea', { kind: 'local', path: '/x/with space/Área' }],
    ['file:///x/with space/a', { kind: 'local', path: '/x/with space/a' }],
    ['file://localhost/abs/p', { kind: 'local', path: '/abs/p' }],
    ['file://127.0.0.1/abs/p', { kind: 'local', path: '/abs/p' }],
    ['file:/abs/p', { kind: 'local', path: '/abs/p' }],
    ['file:./mlruns/0', { kind: 'relative', path: './mlruns/0' }],
    ['/abs/plain', { kind: 'local', path: '/abs/plain' }],
    ['./mlruns/1/r/artifacts', { kind: 'relative', path: './mlruns/1/r/artifacts' }],
    ['file:///C:/Users/HP/Pycaret%20101/mlruns/1', { kind: 'local', path: 'C:/Users/HP/Pycaret 101/mlruns/1' }],
    ['C:\\Users\\me\\mlruns\\1', { kind: 'local', path: 'C:\\Users\\me\\mlruns\\1' }],
    ['s3://bucket/1/r/artifacts', { kind: 'remote', scheme: 's3' }],
    ['mlflow-artifacts:/0/r/artifacts', { kind: 'remote', scheme: 'mlflow-artifacts' }],
    ['dbfs:/databricks/mlflow', { kind: 'remote', scheme: 'dbfs' }],
    ['file://fileserver/share/mlruns', { kind: 'remote', scheme: 'file://fileserver' }],
    ['', { kind: 'invalid', reason: 'no artifact location is recorded' }],
  ])('%s', (uri, want) => expect(parseLocation(uri)).toEqual(want));

  it('percent-decoding follows Python unquote: bad escapes are kept, bad UTF-8 replaced', () => {
    expect(unquotePath('/a%2Fb%zz%4')).toBe('/a/b%zz%4');
    expect(unquotePath('/x%FFy')).toBe('/x\uFFFDy');
  });
});

describe('resolveFolder', () => {
  const tmp = tempDir('loc');
  const store = path.join(tmp, 'proj', 'mlruns');
  const inStore = path.join(store, '1', 'r1', 'artifacts');
  fs.mkdirSync(inStore, { recursive: true });
  const elsewhere = path.join(tmp, 'with space', '1', 'r1', 'artifacts');
  fs.mkdirSync(elsewhere, { recursive: true });
  const ctx = { root: store, cwd: os.tmpdir() };
  const target = { path: inStore, suffix: ['r1', 'artifacts'] };

  it('the recorded folder wins when it exists (percent-encoded)', () => {
    const uri = 'file://' + elsewhere.replace(/ /g, '%20');
    expect(resolveFolder(uri, ctx, target)).toEqual({ path: elsewhere, how: 'recorded', recorded: uri });
  });
  it('a recorded path from another machine is re-rooted into the store, and says so', () => {
    const r = resolveFolder('file:///home/ana/old/mlruns/1/r1/artifacts', ctx, target);
    expect(r).toMatchObject({ path: inStore, how: 'reroot' });
    expect(isResolved(r) && r.note).toBe(
      `recorded artifact location file:///home/ana/old/mlruns/1/r1/artifacts does not exist on this machine; reading ${inStore} instead (virtual re-root, nothing written)`,
    );
  });
  it('Windows paths are re-rooted too', () => {
    expect(resolveFolder('file:///C:/Users/me/mlruns/1/r1/artifacts', ctx, target)).toMatchObject({ how: 'reroot' });
    expect(resolveFolder('C:\\Users\\me\\mlruns\\1\\r1\\artifacts', ctx, target)).toMatchObject({ how: 'reroot' });
  });
  it('relative locations: against the working directory, then the folder holding the store', () => {
    expect(resolveFolder('./mlruns/1/r1/artifacts', ctx, target)).toMatchObject({ path: inStore, how: 'relative' });
    expect(resolveFolder('file:./mlruns/1/r1/artifacts', { root: store, cwd: path.join(tmp, 'proj') }, target)).toMatchObject({
      path: inStore,
      how: 'relative',
    });
  });
  it('a different custom location that is missing is not silently replaced', () => {
    expect(resolveFolder('/data/artifacts/shared', ctx, target)).toEqual({
      recorded: '/data/artifacts/shared',
      remote: false,
      reason: '/data/artifacts/shared does not exist',
    });
  });
  it('remote schemes are refused with a reason', () => {
    expect(resolveFolder('s3://b/1/r1/artifacts', ctx, target)).toEqual({
      recorded: 's3://b/1/r1/artifacts',
      remote: true,
      reason: "'s3://b/1/r1/artifacts' is on remote storage (s3), which mlr cannot reach: use MLflow's client or the storage's own tools",
    });
  });
  it('mlflow-artifacts: URIs read from an mlartifacts/ folder next to the store when there is one', () => {
    const served = path.join(tmp, 'proj', 'mlartifacts', '1', 'r1', 'artifacts');
    fs.mkdirSync(served, { recursive: true });
    expect(resolveFolder('mlflow-artifacts:/1/r1/artifacts', ctx, target)).toMatchObject({ path: served, how: 'mlartifacts' });
    expect(resolveFolder('mlflow-artifacts://host:5000/1/r1/artifacts', ctx, target)).toMatchObject({ path: served, how: 'mlartifacts' });
  });
});

/** A store whose run 1/r… records `artifactUri`; returns the store root. */
function storeWithRun(
  artifactUri: (root: string) => string,
  files: Record<string, string | Buffer>,
  artifactDir?: (root: string) => string,
): { root: string; run: string } {
  const tmp = tempDir('art');
  const root = path.join(tmp, 'mlruns');
  const run = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const exp = path.join(root, '1');
  fs.mkdirSync(path.join(exp, run), { recursive: true });
  fs.mkdirSync(path.join(root, '.trash'));
  fs.writeFileSync(
    path.join(exp, 'meta.yaml'),
    `artifact_location: file://${exp}\ncreation_time: 1\nexperiment_id: '1'\nlast_update_time: 1\nlifecycle_stage: active\nname: e\n`,
  );
  fs.writeFileSync(
    path.join(exp, run, 'meta.yaml'),
    `artifact_uri: ${artifactUri(root)}\nend_time: 2\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${run}\nrun_name: r\nrun_uuid: ${run}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1\nstatus: 3\ntags: []\nuser_id: u\n`,
  );
  const adir = artifactDir ? artifactDir(root) : path.join(exp, run, 'artifacts');
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(adir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  fs.mkdirSync(adir, { recursive: true });
  return { root, run };
}

const FILES = {
  'model/MLmodel': 'flavors:\n  sklearn: {}\n',
  'model/model.pkl': Buffer.from([0, 1, 2, 3, 0, 255]),
  'docs/notes.txt': 'hello\n',
  'top.json': '{}',
};

describe('artifacts ls', () => {
  it('the fixture’s moved store: re-rooted, said under --verbose only', async () => {
    const quiet = await mlr(['--store', FIXTURE, 'artifacts', 'ls', RUN]);
    expect(quiet).toMatchObject({ code: 0, stderr: '', stdout: 'path\tis_dir\tfile_size\ndocs\ttrue\t\n' });
    const v = await mlr(['--store', FIXTURE, '-v', 'artifacts', 'ls', RUN]);
    expect(v.stderr).toBe(
      `mlr: recorded artifact location file:///home/ana/cv-project/mlruns/${SWEEP}/${RUN}/artifacts does not exist on this machine; reading ${FIXTURE}/${SWEEP}/${RUN}/artifacts instead (virtual re-root, nothing written)\n`,
    );
  });

  it('recorded file:// URI with a percent-encoded space; TTY table, tree, TSV, JSON', async () => {
    const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const { root, run } = storeWithRun(
      (r) => 'file://' + path.join(path.dirname(r), 'art store', id, 'artifacts').replace(/ /g, '%20'),
      FILES,
      (r) => path.join(path.dirname(r), 'art store', id, 'artifacts'),
    );
    const m = on(root);
    const tty = on(root, { MLR_FORCE_TTY: '1', COLUMNS: '80' });
    expect((await tty('artifacts', 'ls', run.slice(0, 8))).stdout).toBe('Name      Size\ndocs/        -\nmodel/       -\ntop.json   2 B\n');
    expect((await tty('artifacts', 'ls', run, 'model')).stdout).toBe('Name       Size\nMLmodel    23 B\nmodel.pkl   6 B\n');
    expect((await tty('artifacts', 'ls', run, '--recursive')).stdout).toBe(
      [
        '.',
        '├── docs/           6 B',
        '│   └── notes.txt   6 B',
        '├── model/         29 B',
        '│   ├── MLmodel    23 B',
        '│   └── model.pkl   6 B',
        '└── top.json        2 B',
        '2 folders, 4 files, 37 B',
        '',
      ].join('\n'),
    );
    expect((await m('artifacts', 'ls', run, '-r')).stdout).toBe(
      'path\tis_dir\tfile_size\ndocs\ttrue\t\ndocs/notes.txt\tfalse\t6\nmodel\ttrue\t\nmodel/MLmodel\tfalse\t23\nmodel/model.pkl\tfalse\t6\ntop.json\tfalse\t2\n',
    );
    expect(JSON.parse((await m('artifacts', 'ls', run, 'model/', '--format', 'json')).stdout)).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 23 },
      { path: 'model/model.pkl', is_dir: false, file_size: 6 },
    ]);
    expect((await m('-v', 'artifacts', 'ls', run)).stderr).toBe(`mlr: artifacts at ${path.join(path.dirname(root), 'art store', run, 'artifacts')}\n`);
  });

  it('file://localhost and plain absolute paths', async () => {
    for (const form of [(p: string) => 'file://localhost' + p, (p: string) => p]) {
      const { root, run } = storeWithRun((r) => form(path.join(r, '1', 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'artifacts')), FILES);
      expect((await on(root)('artifacts', 'cat', run, 'docs/notes.txt')).stdout).toBe('hello\n');
    }
  });

  it('a relative URI, resolved from the working directory', async () => {
    const { root, run } = storeWithRun(() => './mlruns/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts', FILES);
    const r = await mlr(['--store', root, '-v', 'artifacts', 'ls', run], { cwd: path.dirname(root) });
    expect(r.stdout).toContain('top.json\tfalse\t2\n');
    expect(r.stderr).toBe(`mlr: relative artifact location './mlruns/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts' resolved against ${path.dirname(root)}\n`);
  });

  it('a run without any artifact folder lists nothing (as MLflow does)', async () => {
    const { root, run } = storeWithRun(() => 'file:///gone/mlruns/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts', {});
    fs.rmSync(path.join(root, '1', run, 'artifacts'), { recursive: true });
    const r = await on(root)('-v', 'artifacts', 'ls', run);
    expect(r).toMatchObject({ code: 0, stdout: 'path\tis_dir\tfile_size\n' });
    expect(r.stderr).toContain(`run ${run} has no artifact folder here`);
  });

  it('remote artifacts: a clear error, exit 2', async () => {
    const { root, run } = storeWithRun(() => `s3://bucket/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts`, {});
    const r = await on(root)('artifacts', 'ls', run);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `mlr: artifacts of run ${run}: 's3://bucket/1/${run}/artifacts' is on remote storage (s3), which mlr cannot reach: use MLflow's client or the storage's own tools\n`,
    );
  });

  it('a missing path names what is there', async () => {
    const r = await mlr(['--store', FIXTURE, 'artifacts', 'ls', RUN, 'docs/nope']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `mlr: run ${RUN} has no artifact 'docs/nope'; 'docs' holds: notes.txt\n` });
  });
});

describe('artifacts cat / get', () => {
  it('cat streams bytes exactly (binary too, when piped); on a terminal binary is refused', async () => {
    const { root, run } = storeWithRun(() => 'file:///elsewhere/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts', FILES);
    const r = spawnSync(process.execPath, [BIN, '--store', root, 'artifacts', 'cat', run, 'model/model.pkl']);
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, Buffer.from([0, 1, 2, 3, 0, 255]))).toBe(0);
    const tty = await on(root, { MLR_FORCE_TTY: '1' })('artifacts', 'cat', run, 'model/model.pkl');
    expect(tty).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "mlr: 'model/model.pkl' is a binary file (6 bytes): redirect the output (mlr artifacts cat … > file) or use mlr artifacts get\n",
    });
    expect(await on(root)('artifacts', 'cat', run, 'model')).toMatchObject({
      code: 2,
      stderr: `mlr: 'model' is a folder of run ${run}'s artifacts: use mlr artifacts ls or mlr artifacts get\n`,
    });
  });

  it('get copies to <out>/<path>, prints the local path, never overwrites, never writes to the store', async () => {
    const { root, run } = storeWithRun(() => 'file:///elsewhere/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts', FILES);
    const before = snapshot(root);
    const out = tempDir('out');
    const m = on(root);
    expect(await m('artifacts', 'get', run, 'model', '--out', out)).toMatchObject({ code: 0, stdout: path.join(out, 'model') + '\n', stderr: '' });
    expect(fs.readFileSync(path.join(out, 'model', 'MLmodel'), 'utf8')).toBe(FILES['model/MLmodel']);
    expect(fs.readFileSync(path.join(out, 'model', 'model.pkl'))).toEqual(FILES['model/model.pkl']);
    expect((await m('artifacts', 'get', run, 'docs/notes.txt', '-o', out)).stdout).toBe(path.join(out, 'docs', 'notes.txt') + '\n');
    fs.writeFileSync(path.join(out, 'model', 'MLmodel'), 'mine');
    const again = await m('artifacts', 'get', run, 'model', '--out', out);
    expect(again).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `mlr: refusing to overwrite 2 existing files (${path.join(out, 'model', 'MLmodel')}, ${path.join(out, 'model', 'model.pkl')}): remove them or choose another --out\n`,
    });
    expect((await m('artifacts', 'get', run, 'docs/notes.txt', '-o', out)).stderr).toBe(
      `mlr: refusing to overwrite ${path.join(out, 'docs', 'notes.txt')}: remove it or choose another --out\n`,
    );
    expect(fs.readFileSync(path.join(out, 'model', 'MLmodel'), 'utf8')).toBe('mine');
    const all = tempDir('all');
    expect((await m('artifacts', 'get', run, '.', '--out', all)).code).toBe(0);
    expect(fs.readdirSync(all).sort()).toEqual(['docs', 'model', 'top.json']);
    expect(diffSnapshots(before, snapshot(root))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('reading a copied store writes nothing into it', async () => {
    const store = copyStore();
    const before = snapshot(store);
    const m = on(store);
    await m('artifacts', 'ls', RUN, '-r');
    await m('artifacts', 'cat', RUN, 'docs/notes.txt');
    await m('models', 'describe', 'resnet-classifier');
    await m('runs', 'describe', RUN);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });
});
