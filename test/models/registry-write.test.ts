/**
 * Registry writes against MLflow 2.12's exact files. fixtures/mlruns/models was written by
 * MLflow 2.12 (create_registered_model with a description and a tag, three
 * create_model_version calls from runs of `sweep`, a stage transition, an alias, and an
 * empty model); replaying the same operations through the CLI (in-process) must give the same
 * bytes, timestamps aside. The other expectations follow MLflow 2.12's registry FileStore
 * (which meta.yaml each operation rewrites, and with what).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, copyStore, reap } from '../helpers.js';
import { diffSnapshots, dumpFiles, listDirs, normTimes, on, snapshot } from './helpers.js';

const SWEEP = '234684999513866976';
const RUNS = ['d61057829b7b4f24b7a65344cc35e18e', '2609992be05c42e0a0b1b80c4b9e2b1f', '4152a90a3b7642198f84b1861879b600'];
const read = (...p: string[]): string => fs.readFileSync(path.join(...p), 'utf8');

describe('replaying the fixture registry through mlr', () => {
  it('gives MLflow 2.12’s files byte for byte, timestamps aside', async () => {
    const store = copyStore();
    fs.rmSync(path.join(store, 'models'), { recursive: true });
    const m = on(store);
    expect((await m('models', 'create', 'resnet-classifier', '--description', 'Best sweep models', '--tag', 'task=vision')).code).toBe(0);
    for (const [i, run] of RUNS.entries()) {
      const r = await m('models', 'register', run, 'model', '--name', 'resnet-classifier', '--no-check');
      expect(r).toMatchObject({ code: 0, stdout: `${i + 1}\n` });
    }
    expect((await m('models', 'stage', 'resnet-classifier', '1', 'archived')).code).toBe(0);
    expect((await m('models', 'alias', 'resnet-classifier', 'champion', '2')).code).toBe(0);
    expect((await m('models', 'create', 'summarizer')).code).toBe(0);

    const mine = path.join(store, 'models');
    const theirs = path.join(FIXTURE, 'models');
    expect(normTimes(dumpFiles(mine))).toBe(normTimes(dumpFiles(theirs)));
    expect(listDirs(mine)).toEqual(listDirs(theirs));
    // and the rest of the store was not touched
    const before = snapshot(FIXTURE);
    const after = snapshot(store);
    const d = diffSnapshots(before, after);
    expect([...d.added, ...d.removed, ...d.changed].every((p) => p.startsWith('models'))).toBe(true);
  });

  it('keeps MLflow’s timestamp relations: a version’s create time is the model’s update time', async () => {
    const store = copyStore();
    fs.rmSync(path.join(store, 'models'), { recursive: true });
    const m = on(store);
    await m('models', 'create', 'clf');
    await m('models', 'register', RUNS[0]!, 'model', '-n', 'clf', '--no-check');
    const model = read(store, 'models/clf/meta.yaml');
    const version = read(store, 'models/clf/version-1/meta.yaml');
    const created = /creation_timestamp: (\d+)/.exec(version)![1];
    expect(model).toContain(`last_updated_timestamp: ${created}\n`);
    expect(version).toContain(`last_updated_timestamp: ${created}\n`);
  });
});

describe('each registry write rewrites what MLflow rewrites', () => {
  let store: string;
  let m: ReturnType<typeof on>;
  const dir = (): string => path.join(store, 'models', 'resnet-classifier');
  beforeEach(() => {
    store = copyStore();
    m = on(store);
  });

  it('delete-version: Deleted_Internal with the stale alias list, alias file removed, model re-read', async () => {
    const v2 = read(dir(), 'version-2/meta.yaml');
    expect(await m('models', 'delete-version', 'resnet-classifier', '2')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const after = read(dir(), 'version-2/meta.yaml');
    expect(normTimes(after)).toBe(
      normTimes(v2.replace('aliases: []\n', 'aliases:\n- champion\n').replace('current_stage: None', 'current_stage: Deleted_Internal')),
    );
    expect(after).toContain('creation_timestamp: 1795318280857\n'); // creation time kept
    expect(fs.existsSync(path.join(dir(), 'aliases', 'champion'))).toBe(false);
    expect(fs.existsSync(path.join(dir(), 'aliases'))).toBe(true);
    expect(normTimes(read(dir(), 'meta.yaml'))).toBe(
      'aliases: {}\ncreation_timestamp: <ms>\ndescription: Best sweep models\nlast_updated_timestamp: <ms>\nname: resnet-classifier\n',
    );
    // hidden from reads; the next version still counts it
    expect((await m('models', 'versions', 'resnet-classifier', '--format', 'json')).stdout).not.toContain('"version": "2"');
    expect((await m('models', 'register', RUNS[0]!, 'model', '-n', 'resnet-classifier', '--no-check')).stdout).toBe('4\n');
  });

  it('set-tag on a version: the tag file, the model’s timestamp; the version meta.yaml is untouched', async () => {
    const before = snapshot(dir());
    expect((await m('models', 'set-tag', 'resnet-classifier', 'validated', 'yes', '--model-version', '3')).code).toBe(0);
    const d = diffSnapshots(before, snapshot(dir()));
    expect(d).toEqual({ added: ['version-3/tags', 'version-3/tags/validated'], removed: [], changed: ['meta.yaml'] });
    expect(read(dir(), 'version-3/tags/validated')).toBe('yes');
    const meta = read(dir(), 'meta.yaml');
    expect(meta).toMatch(
      /^aliases:\n {2}champion: '2'\ncreation_timestamp: 1795318280853\ndescription: Best sweep models\nlast_updated_timestamp: \d{13}\nname: resnet-classifier\n$/,
    );
    expect(meta).not.toContain('1795318280870');
  });

  it('set-tag on the model, nested key: tags/a/b, no temp files left in tags/', async () => {
    expect((await m('models', 'set-tag', 'resnet-classifier', 'a/b', 'x y', '-v')).code).toBe(0);
    expect(read(dir(), 'tags/a/b')).toBe('x y');
    expect(fs.readdirSync(path.join(dir(), 'tags')).sort()).toEqual(['a', 'task']);
    expect(fs.readdirSync(dir()).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('delete-tag removes the file and bumps the model; a missing tag is a warning, nothing written', async () => {
    expect((await m('models', 'set-tag', 'resnet-classifier', 'owner', 'ana', '--model-version', '2')).code).toBe(0);
    expect(await m('models', 'delete-tag', 'resnet-classifier', 'owner', '--model-version', '2')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(fs.existsSync(path.join(dir(), 'version-2', 'tags', 'owner'))).toBe(false);
    expect((await m('models', 'delete-tag', 'resnet-classifier', 'task')).code).toBe(0);
    expect(fs.readdirSync(path.join(dir(), 'tags'))).toEqual([]);
    const before = snapshot(store);
    const r = await m('models', 'delete-tag', 'resnet-classifier', 'task');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: "mlr: warning: model 'resnet-classifier' has no tag 'task'; nothing changed\n" });
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('alias moved to another version: the file holds the new number, the old version’s meta keeps its stale list', async () => {
    expect((await m('models', 'alias', 'resnet-classifier', 'champion', '3')).code).toBe(0);
    expect(read(dir(), 'aliases/champion')).toBe('3');
    expect(read(dir(), 'meta.yaml')).toContain("aliases:\n  champion: '3'\n");
    expect(read(dir(), 'version-3/meta.yaml')).toBe(read(FIXTURE, 'models/resnet-classifier/version-3/meta.yaml'));
    expect((await m('models', 'alias', 'resnet-classifier', 'champion', '--delete')).code).toBe(0);
    expect(read(dir(), 'meta.yaml')).toContain('aliases: {}\n');
  });

  it('stage --archive-existing archives the version already in that stage', async () => {
    expect((await m('models', 'stage', 'resnet-classifier', '3', 'Production')).code).toBe(0);
    expect((await m('models', 'stage', 'resnet-classifier', '2', 'production', '--archive-existing')).code).toBe(0);
    expect(read(dir(), 'version-2/meta.yaml')).toContain('current_stage: Production\n');
    expect(read(dir(), 'version-3/meta.yaml')).toContain('current_stage: Archived\n');
    // a stage rewrite refreshes the version's alias list from aliases/
    expect(read(dir(), 'version-2/meta.yaml')).toContain('aliases:\n- champion\n');
  });

  it('delete needs --yes; with it the whole model folder goes and nothing else', async () => {
    const before = snapshot(store);
    const dry = await m('models', 'delete', 'resnet-classifier');
    expect(dry).toMatchObject({ code: 0, stdout: '' });
    expect(dry.stderr).toBe(
      "mlr: would delete registered model 'resnet-classifier' with 3 versions, aliases champion, 1 tag; run again with --yes to delete it\n",
    );
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
    expect((await m('models', 'delete', 'resnet-classifier', '--yes')).code).toBe(0);
    const d = diffSnapshots(before, snapshot(store));
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.removed.every((p) => p === 'models/resnet-classifier' || p.startsWith('models/resnet-classifier/'))).toBe(true);
    expect(d.removed).toContain('models/resnet-classifier/version-1/meta.yaml');
  });

  it('a file in the way is a one-line error (exit 1)', async () => {
    fs.writeFileSync(path.join(store, 'models', 'summarizer', 'tags'), 'x');
    const r = await m('models', 'set-tag', 'summarizer', 'a', 'b');
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `mlr: cannot change the registry: ${path.join(store, 'models', 'summarizer', 'tags')}: a file is in the way of a folder\n`,
    });
    expect(read(store, 'models', 'summarizer', 'meta.yaml')).toBe(read(FIXTURE, 'models', 'summarizer', 'meta.yaml'));
  });

  it('a meta.yaml written by a newer MLflow keeps its extra keys when rewritten', async () => {
    const f = path.join(dir(), 'version-1', 'meta.yaml');
    fs.writeFileSync(
      f,
      read(f)
        .replace('description: null\n', 'deployment_job_state: null\ndescription: null\n')
        .replace('status: READY\n', 'status: READY\nmetrics: null\nmodel_id: m-123\n'),
    );
    expect((await m('models', 'stage', 'resnet-classifier', '1', 'Staging')).code).toBe(0);
    const out = read(f);
    expect(out).toContain('deployment_job_state: null\n');
    expect(out).toContain('model_id: m-123\n');
    expect(out).toContain('current_stage: Staging\n');
  });
});

describe('registering a run’s model', () => {
  it('source and storage_location are the run’s artifact URI + path; the model is created on first use', async () => {
    const store = copyStore();
    const run = path.join(store, SWEEP, RUNS[0]!);
    fs.mkdirSync(path.join(run, 'artifacts', 'clf'), { recursive: true });
    fs.writeFileSync(path.join(run, 'artifacts', 'clf', 'MLmodel'), 'flavors:\n  python_function: {}\n  sklearn: {}\nmlflow_version: 2.12.1\n');
    const m = on(store);
    const r = await m('-v', 'models', 'register', RUNS[0]!.slice(0, 8), 'clf/', '--name', 'new-model', '--tag', 'k=v=w', '--description', 'first');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('1\n');
    expect(r.stderr).toContain("mlr: Successfully registered model 'new-model'.\n");
    const v = read(store, 'models/new-model/version-1/meta.yaml');
    const uri = `file:///home/ana/cv-project/mlruns/${SWEEP}/${RUNS[0]}/artifacts/clf`;
    expect(normTimes(v)).toBe(
      `aliases: []\ncreation_timestamp: <ms>\ncurrent_stage: None\ndescription: first\nlast_updated_timestamp: <ms>\nname: new-model\nrun_id: ${RUNS[0]}\nrun_link: null\nsource: ${uri}\nstatus: READY\nstatus_message: null\nstorage_location: ${uri}\nuser_id: null\nversion: 1\n`,
    );
    expect(read(store, 'models/new-model/version-1/tags/k')).toBe('v=w');
    // read back: the flavors come from the MLmodel, found through the moved store
    const j = JSON.parse((await m('models', 'describe', 'new-model', '--format', 'json')).stdout);
    expect(j.model_versions[0]).toMatchObject({
      version: '1',
      source: uri,
      run_id: RUNS[0],
      mlr_flavors: ['python_function', 'sklearn'],
      tags: [{ key: 'k', value: 'v=w' }],
    });
    expect(j.model_versions[0].mlr_local_path).toBe(path.join(run, 'artifacts', 'clf'));
  });

  it('warns when the folder has no MLmodel, refuses a path that is not there', async () => {
    const store = copyStore();
    const m = on(store);
    const r = await m('models', 'register', RUNS[0]!, 'docs', '-n', 'x');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: 'docs' of run ${RUNS[0]} has no MLmodel file: MLflow will not be able to load it as a model\n`);
    const before = snapshot(store);
    const bad = await m('models', 'register', RUNS[0]!, 'model', '-n', 'y');
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe(`mlr: run ${RUNS[0]} has no artifact 'model'; the root holds: docs/\n`);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe('concurrent registrations', () => {
  it('8 processes registering at once get 8 distinct versions, every meta.yaml whole', async () => {
    const store = copyStore();
    const runs = Array.from({ length: 8 }, (_, i) => RUNS[i % 3]!);
    const outs = await Promise.all(
      runs.map(
        (run) =>
          new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const p = reap(spawn(process.execPath, [BIN, '--store', store, 'models', 'register', run, 'model', '-n', 'resnet-classifier', '--no-check']));
            let out = '';
            let err = '';
            p.stdout.on('data', (d) => (out += d));
            p.stderr.on('data', (d) => (err += d));
            p.on('close', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    expect(outs.map((o) => o.err)).toEqual(runs.map(() => ''));
    expect(outs.map((o) => Number(o.out)).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    const m = on(store);
    const versions = JSON.parse((await m('models', 'versions', 'resnet-classifier', '--format', 'json')).stdout);
    expect(versions.map((v: { version: string }) => v.version)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect(read(store, 'models/resnet-classifier/meta.yaml')).toMatch(/^aliases:\n {2}champion: '2'\ncreation_timestamp: 1795318280853\n/);
    expect(fs.readdirSync(path.join(store, 'models', 'resnet-classifier')).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

/** PyYAML with libyaml, when this machine has it: the oracle for names that need quoting. */
const DUMP = 'yaml.dump(json.loads(line), Dumper=yaml.CSafeDumper, default_flow_style=False, allow_unicode=True)';
const HAVE_PYYAML =
  spawnSync('python3', ['-c', `import json,sys,yaml\nline=sys.stdin.read()\nsys.stdout.write(${DUMP})`], { input: '{"a": 1}', encoding: 'utf8' }).stdout ===
  'a: 1\n';

/** One python3 for the file answering a dump per JSON line (one start of python and PyYAML, not one a name); `close` waits for it to exit. */
function pyyamlServer(): { dump: (obj: unknown) => Promise<string>; close: () => Promise<void> } {
  const code = `import json,sys,yaml\nfor line in sys.stdin:\n    sys.stdout.write(json.dumps(${DUMP}) + '\\n')\n    sys.stdout.flush()\n`;
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      waiting.shift()?.resolve(JSON.parse(out.slice(0, nl)) as string);
      out = out.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      for (const w of waiting.splice(0)) w.reject(new Error(`PyYAML oracle exited: ${err}`));
      resolve();
    }),
  );
  return {
    dump: (obj) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(JSON.stringify(obj) + '\n');
      }),
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

describe.skipIf(!HAVE_PYYAML)('model names and descriptions PyYAML would quote or fold (oracle: local PyYAML + libyaml)', () => {
  // one store for the eight names: each test writes only its own models/<name>/
  let store = '';
  let oracle: ReturnType<typeof pyyamlServer>;
  beforeAll(() => {
    store = copyStore();
    oracle = pyyamlServer();
  });
  afterAll(() => oracle.close());
  it.each(['yes', '123', 'a: b', 'Null', '2024-01-01', '#x', 'naïve model', ' lead'])('name %j', async (name) => {
    const m = on(store);
    const desc = 'line one\nline two with a much longer tail that goes on and on past the eighty column limit of the emitter';
    expect((await m('models', 'create', name, '--description', desc)).code).toBe(0);
    const text = read(store, 'models', name, 'meta.yaml');
    const ts = Number(/creation_timestamp: (\d+)/.exec(text)![1]);
    expect(text).toBe(await oracle.dump({ aliases: {}, creation_timestamp: ts, description: desc, last_updated_timestamp: ts, name }));
  });
});
