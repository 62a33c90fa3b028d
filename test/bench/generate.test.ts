/**
 * The benchmark's store generator must write exactly what MLflow 2.12 writes, or the
 * benchmark measures a store no user has. Three independent checks: exact golden bytes
 * of a tiny store, the shape of every meta.yaml line against files real MLflow wrote
 * (fixtures/mlruns), and a round trip through mlr's own YAML dumper and store reader.
 *
 * If a golden below changes because the generator changed on purpose, bump
 * GENERATOR_VERSION in bench/generate.mjs so `npm run bench` regenerates old stores.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERATOR_VERSION, METRIC_KEYS, PARAM_KEYS, TAG_KEYS, createRng, generateHistoryStore, generateStore, pyRepr } from '../../bench/generate.mjs';
import type { RunsManifest } from '../../bench/generate.mjs';
import { parseYaml } from '../../src/store/file/yaml.js';
import { dumpYaml, type DumpValue } from '../../src/store/file/yaml-dump.js';
import { formatPyFloat } from '../../src/store/pyfloat.js';
import { FileStore as Store } from '../../src/store/file/store.js';
import { FIXTURE, REPO, tempDir } from '../helpers.js';

const GENERATE = path.join(REPO, 'bench', 'generate.mjs');
const EXP = '195452712221150566';

let tmp: string;
beforeAll(() => {
  tmp = tempDir('bench-gen');
});

/** Every file and folder under root as 'rel/path' (folders end with '/'), sorted. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.push(`${r}/`);
        walk(path.join(dir, d.name), r);
      } else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}

/** path -> bytes of every file under root */
function contents(root: string): Map<string, string> {
  return new Map(
    tree(root)
      .filter((p) => !p.endsWith('/'))
      .map((p) => [p, fs.readFileSync(path.join(root, p), 'latin1')]),
  );
}

function generateCli(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [GENERATE, ...args], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

/**
 * The "shape" of a meta.yaml: one entry per line giving the key and how its value is
 * spelled (single-quoted, int, null, [] or plain), e.g. `experiment_id:quoted`.
 */
function shape(yaml: string): string[] {
  return yaml
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^([a-z_]+): (.*)$/.exec(l);
      if (!m) return `?${l}`;
      const v = m[2]!;
      const kind = v.startsWith("'") ? 'quoted' : /^-?\d+$/.test(v) ? 'int' : v === 'null' ? 'null' : v === '[]' ? 'list' : 'plain';
      return `${m[1]}:${kind}`;
    });
}

describe('bench/generate.mjs: a tiny store (R=3, S=2), byte for byte', () => {
  let root: string;
  let manifest: RunsManifest;
  beforeAll(() => {
    const out = path.join(tmp, 'tiny');
    const r = generateCli(['--out', out, '--runs', '3', '--steps', '2', '--experiments', '1']);
    expect(r.code, r.stderr).toBe(0);
    root = path.join(out, 'mlruns');
    manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as RunsManifest;
  });

  it('lays out the store as MLflow does: Default experiment, .trash, one folder per run', () => {
    const runDirs = ['292f9432656b273435ee680bd0444d8c', '6ce17dc7052a4307168e2157c49cafe7', '6fd28eafb29a9c2dee5a53448cf7b331'];
    const runFiles = (id: string): string[] => [
      `${EXP}/${id}/`,
      `${EXP}/${id}/artifacts/`,
      `${EXP}/${id}/meta.yaml`,
      `${EXP}/${id}/metrics/`,
      ...METRIC_KEYS.map((k) => `${EXP}/${id}/metrics/${k}`),
      `${EXP}/${id}/params/`,
      ...PARAM_KEYS.map((k) => `${EXP}/${id}/params/${k}`),
      `${EXP}/${id}/tags/`,
      ...TAG_KEYS.map((k) => `${EXP}/${id}/tags/${k}`),
    ];
    expect(tree(root)).toEqual(['.trash/', '0/', '0/meta.yaml', `${EXP}/`, ...runDirs.flatMap(runFiles), `${EXP}/meta.yaml`].sort());
    expect(PARAM_KEYS).toHaveLength(8);
    expect(PARAM_KEYS).toEqual(expect.arrayContaining(['optimizer', 'lr']));
    expect(TAG_KEYS).toHaveLength(6);
    expect(TAG_KEYS.filter((k) => k.startsWith('mlflow.'))).toEqual(['mlflow.runName', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.user']);
    expect(METRIC_KEYS).toHaveLength(6);
    expect(METRIC_KEYS).toEqual(expect.arrayContaining(['val_loss', 'val_acc']));
  });

  it('writes experiment meta.yaml exactly', () => {
    expect(fs.readFileSync(path.join(root, '0', 'meta.yaml'), 'utf8')).toBe(
      'artifact_location: file:///home/bench/mlruns/0\n' +
        'creation_time: 1764633600000\n' +
        "experiment_id: '0'\n" +
        'last_update_time: 1764633600000\n' +
        'lifecycle_stage: active\n' +
        'name: Default\n',
    );
    expect(fs.readFileSync(path.join(root, EXP, 'meta.yaml'), 'utf8')).toBe(
      `artifact_location: file:///home/bench/mlruns/${EXP}\n` +
        'creation_time: 1767142179462\n' +
        `experiment_id: '${EXP}'\n` +
        'last_update_time: 1767142179462\n' +
        'lifecycle_stage: active\n' +
        'name: bench-sweep-0\n',
    );
  });

  it('writes run meta.yaml exactly (finished, and deleted with deleted_time)', () => {
    const run = '292f9432656b273435ee680bd0444d8c';
    expect(fs.readFileSync(path.join(root, EXP, run, 'meta.yaml'), 'utf8')).toBe(
      `artifact_uri: file:///home/bench/mlruns/${EXP}/${run}/artifacts\n` +
        'end_time: 1767225737734\n' +
        "entry_point_name: ''\n" +
        `experiment_id: '${EXP}'\n` +
        'lifecycle_stage: active\n' +
        `run_id: ${run}\n` +
        'run_name: silent-lark-609\n' +
        `run_uuid: ${run}\n` +
        "source_name: ''\n" +
        'source_type: 4\n' +
        "source_version: ''\n" +
        'start_time: 1767225683823\n' +
        'status: 3\n' +
        'tags: []\n' +
        'user_id: eve\n',
    );
    const gone = '6fd28eafb29a9c2dee5a53448cf7b331';
    expect(fs.readFileSync(path.join(root, EXP, gone, 'meta.yaml'), 'utf8')).toBe(
      `artifact_uri: file:///home/bench/mlruns/${EXP}/${gone}/artifacts\n` +
        'deleted_time: 1767226253881\n' +
        'end_time: 1767225837367\n' +
        "entry_point_name: ''\n" +
        `experiment_id: '${EXP}'\n` +
        'lifecycle_stage: deleted\n' +
        `run_id: ${gone}\n` +
        'run_name: nimble-lark-609\n' +
        `run_uuid: ${gone}\n` +
        "source_name: ''\n" +
        'source_type: 4\n' +
        "source_version: ''\n" +
        'start_time: 1767225785743\n' +
        'status: 3\n' +
        'tags: []\n' +
        'user_id: ben\n',
    );
  });

  it('writes metric lines as `<ts> <repr(float)> <step>\\n` and params/tags without a trailing newline', () => {
    const dir = path.join(root, EXP, '292f9432656b273435ee680bd0444d8c');
    const read = (rel: string): string => fs.readFileSync(path.join(dir, rel), 'utf8');
    expect(read('metrics/val_loss')).toBe('1767225685328 3.358184769814627 0\n1767225737155 3.1267639424553857 1\n');
    expect(read('metrics/epoch_time')).toBe('1767225685323 20.2725884896877 0\n1767225737150 19.769647108786316 1\n');
    expect(read('params/optimizer')).toBe('adam');
    expect(read('params/lr')).toBe('0.003');
    expect(read('params/weight_decay')).toBe('0.01');
    expect(read('params/epochs')).toBe('2');
    expect(read('tags/mlflow.runName')).toBe('silent-lark-609');
    expect(read('tags/mlflow.user')).toBe('eve');
    expect(read('tags/mlflow.source.name')).toBe('train.py');
    expect(read('tags/mlflow.source.type')).toBe('LOCAL');
  });

  it('records the expected answers of the benchmark queries in manifest.json', () => {
    expect(manifest.generatorVersion).toBe(GENERATOR_VERSION);
    expect(manifest.runs).toEqual([
      [EXP, '6ce17dc7052a4307168e2157c49cafe7', true],
      [EXP, '292f9432656b273435ee680bd0444d8c', true],
      [EXP, '6fd28eafb29a9c2dee5a53448cf7b331', false],
    ]);
    // val_loss latest: 6ce17dc7… 2.604823735021267 < 292f9432… 3.1267639424553857; the deleted run is not listed
    expect(manifest.expected.orderByValLoss).toEqual(['6ce17dc7052a4307168e2157c49cafe7', '292f9432656b273435ee680bd0444d8c']);
    expect(manifest.expected.bestValLoss).toBe('6ce17dc7052a4307168e2157c49cafe7');
    expect(manifest.expected.activeRuns).toBe(2);
  });

  it('is deterministic: the same options give the same bytes', async () => {
    const again = path.join(tmp, 'tiny-again');
    await generateStore({ out: again, runs: 3, steps: 2, experiments: 1 });
    expect(contents(path.join(again, 'mlruns'))).toEqual(contents(root));
  });

  it('refuses to overwrite an existing store without --force', () => {
    const r = generateCli(['--out', path.dirname(root), '--runs', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists \(use --force to replace it\)/);
    expect(generateCli(['--runs', '3']).code).toBe(2);
  });
});

describe('bench/generate.mjs against what real MLflow wrote', () => {
  let root: string;
  let manifest: RunsManifest;
  beforeAll(async () => {
    // Enough runs to get running, failed, killed and deleted ones too.
    manifest = await generateStore({ out: path.join(tmp, 'mixed'), runs: 150, steps: 3, experiments: 2, seed: 6 });
    root = path.join(tmp, 'mixed', 'mlruns');
  });

  const realMeta = (rel: string): string => fs.readFileSync(path.join(FIXTURE, rel), 'utf8');
  const metas = (): { rel: string; text: string }[] =>
    manifest.runs.map(([e, id]) => ({ rel: `${e}/${id}/meta.yaml`, text: fs.readFileSync(path.join(root, e, id, 'meta.yaml'), 'utf8') }));

  it('every run meta.yaml has the key order and quoting of an MLflow 2.12 run in the same state', () => {
    const finished = shape(realMeta('0/0b5d6da9ab5f454188661064e2e37804/meta.yaml'));
    const running = shape(realMeta('234684999513866976/09a70746fbac4c78939d76c6fc73fbdf/meta.yaml'));
    const deleted = shape(realMeta('234684999513866976/2ee677726ea047b29ffa9fddb9fcf75d/meta.yaml'));
    expect(deleted).toContain('deleted_time:int');
    expect(running).toContain('end_time:null');
    const seen = new Set<string>();
    for (const { text } of metas()) {
      const status = /^status: (\d)$/m.exec(text)?.[1];
      const kind = text.includes('deleted_time:') ? 'deleted' : status === '1' ? 'running' : 'finished';
      seen.add(kind === 'finished' ? `status ${status}` : kind);
      expect(shape(text)).toEqual(kind === 'deleted' ? deleted : kind === 'running' ? running : finished);
    }
    expect([...seen].sort()).toEqual(['deleted', 'running', 'status 3', 'status 4', 'status 5']);
  });

  it('every experiment meta.yaml has the key order and quoting of MLflow 2.12', () => {
    const real = shape(realMeta('234684999513866976/meta.yaml'));
    for (const id of ['0', ...manifest.experiments.map((e) => e.id)]) {
      expect(id).toMatch(id === '0' ? /^0$/ : /^[1-9]\d{17}$/);
      expect(shape(fs.readFileSync(path.join(root, id, 'meta.yaml'), 'utf8'))).toEqual(real);
    }
  });

  it('every meta.yaml is exactly what a PyYAML dump of its own content gives (mlr dumpYaml)', () => {
    const files = [
      ...metas().map((m) => m.text),
      ...['0', ...manifest.experiments.map((e) => e.id)].map((id) => fs.readFileSync(path.join(root, id, 'meta.yaml'), 'utf8')),
    ];
    for (const text of files) {
      const parsed = parseYaml(text);
      expect(parsed.errors).toEqual([]);
      expect(dumpYaml(parsed.value as DumpValue)).toBe(text);
    }
  });

  it('ids, params, tags and metric lines follow the spec', () => {
    for (const [, id] of manifest.runs) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const [e, id] of manifest.runs) {
      const dir = path.join(root, e, id);
      const meta = fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8');
      for (const k of [...PARAM_KEYS.map((p) => `params/${p}`), ...TAG_KEYS.map((t) => `tags/${t}`)]) {
        const v = fs.readFileSync(path.join(dir, k), 'utf8');
        expect(v, k).not.toMatch(/\n$/);
        expect(v.length, k).toBeGreaterThan(0);
      }
      expect(`run_name: ${fs.readFileSync(path.join(dir, 'tags/mlflow.runName'), 'utf8')}\n`).toBe(/^run_name: .*\n/m.exec(meta)?.[0]);
      expect(`user_id: ${fs.readFileSync(path.join(dir, 'tags/mlflow.user'), 'utf8')}\n`).toBe(/^user_id: .*\n/m.exec(meta)?.[0]);
      expect(['adam', 'sgd', 'rmsprop']).toContain(fs.readFileSync(path.join(dir, 'params/optimizer'), 'utf8'));
      for (const key of METRIC_KEYS) {
        const text = fs.readFileSync(path.join(dir, 'metrics', key), 'utf8');
        expect(text.endsWith('\n')).toBe(true);
        const lines = text.slice(0, -1).split('\n');
        expect(lines.map((l) => Number(l.split(' ')[2]))).toEqual([0, 1, 2]);
        for (const line of lines) {
          const [ts, value, ...rest] = line.split(' ');
          expect(ts).toMatch(/^\d{13}$/);
          expect(rest).toHaveLength(1);
          // the value is canonical Python repr: parsing and re-printing gives it back
          expect(pyRepr(value === 'nan' ? NaN : Number(value))).toBe(value);
        }
      }
    }
  });

  it("mlr's reader reads every run without a problem and sees the manifest's latest values", () => {
    const store = Store.open(root);
    const runs = store.listRuns(store.listExperiments('active'), 'all');
    expect(runs).toHaveLength(150);
    expect(runs.flatMap((r) => r.problems)).toEqual([]);
    const active = runs.filter((r) => r.info.lifecycle_stage === 'active');
    expect(active).toHaveLength(manifest.expected.activeRuns);
    const latest = (r: (typeof runs)[number], k: string): number => store.readLatestMetrics(r, [k]).get(k)!.value;
    const ordered = [...active].sort((a, b) => latest(a, 'val_loss') - latest(b, 'val_loss'));
    expect(ordered.slice(0, 20).map((r) => r.info.run_id)).toEqual(manifest.expected.orderByValLoss);
    const adam = ordered.filter((r) => store.readParams(r, ['optimizer']).get('optimizer') === 'adam' && latest(r, 'val_acc') > 0.9);
    expect(adam.length).toBe(manifest.expected.filteredCount);
    expect(adam.slice(0, 20).map((r) => r.info.run_id)).toEqual(manifest.expected.filtered);
    const one = store.loadRun(active[0]!);
    expect(one.data.params).toHaveLength(8);
    expect(one.data.tags).toHaveLength(6);
    expect(one.data.metrics).toHaveLength(6);
  });
});

describe('bench/generate.mjs: the long-history store', () => {
  it('writes a history of the asked length and a shorter reference one', async () => {
    const out = path.join(tmp, 'history');
    const m = await generateHistoryStore({ out, points: 1000 });
    expect(m.historyRuns.map((r) => r.points)).toEqual([1000, 300]);
    for (const r of m.historyRuns) {
      const lines = fs.readFileSync(path.join(out, 'mlruns', r.experimentId, r.id, 'metrics', m.metric), 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(r.points);
      lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\d{13} \\d+\\.\\d+ ${i}$`)));
    }
  });
});

describe('pyRepr (the generator writes metric values with it)', () => {
  it.each([
    [0.5, '0.5'],
    [5, '5.0'],
    [1 / 3, '0.3333333333333333'],
    [1e-10, '1e-10'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1e20, '1e+20'],
    [1e15, '1000000000000000.0'],
    [-0, '-0.0'],
    [Math.fround(0.1), '0.10000000149011612'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [1.5e300, '1.5e+300'],
    [-2.5e-7, '-2.5e-07'],
  ])('%s -> %s (spec §6.1)', (x, want) => {
    expect(pyRepr(x)).toBe(want);
  });

  it("agrees with mlr's formatPyFloat on 100,000 random values of every magnitude", () => {
    const rng = createRng(42);
    const wrong: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const x = (rng.next() - 0.5) * 10 ** (rng.int(60) - 30);
      if (pyRepr(x) !== formatPyFloat(x)) wrong.push(`${x}: ${pyRepr(x)} vs ${formatPyFloat(x)}`);
    }
    // one expect for the lot (an expect per value costs more than the values)
    expect(wrong).toEqual([]);
  });
});
