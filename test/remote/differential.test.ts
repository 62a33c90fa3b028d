/**
 * The REST backend gives the file store's answers: the same commands run (a) on a copy of
 * fixtures/mlruns directly and (b) on `mlr server` over another copy of it, through
 * `--tracking-uri http://…`, print the same output — listings, JSON runs, every search
 * query of fixtures/conformance (MLflow's part sent to the server, mlr's OR / IN / parentheses
 * evaluated here), metric histories, experiments, models, and writes followed by reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, REPO, mlr } from '../helpers.js';
import { serveCopy, type TestServer } from '../server/helpers.js';
import { copyStore } from '../helpers.js';
import { READS as BATTERY, SWEEP_RUN } from '../cli/read-battery.js';

interface Query {
  id: string;
  experiments: string[] | null;
  filter: string;
  order_by: string[];
  view: string;
  max_results: number;
}

const QUERIES = JSON.parse(fs.readFileSync(path.join(REPO, 'fixtures', 'conformance', 'queries.json'), 'utf8')) as Query[];
const VIEW: Record<string, string> = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' };

let server: TestServer;
let local = '';

beforeAll(async () => {
  server = await serveCopy(FIXTURE);
  local = copyStore(FIXTURE);
});
afterAll(async () => {
  await server.stop();
});

/** Run a command on both sides; the server side's store URI is replaced so outputs compare. */
async function both(args: string[]): Promise<{ file: Awaited<ReturnType<typeof mlr>>; rest: Awaited<ReturnType<typeof mlr>> }> {
  const file = await mlr(['--store', local, ...args], { cwd: path.dirname(local) });
  const rest = await mlr(['--tracking-uri', server.url, ...args], { cwd: path.dirname(local) });
  return { file, rest };
}

async function same(args: string[]): Promise<string> {
  const { file, rest } = await both(args);
  expect({ code: rest.code, stdout: rest.stdout }, args.join(' ')).toEqual({ code: file.code, stdout: file.stdout });
  return file.stdout;
}

/** The store paths differ (two copies): compare with each side's root replaced. */
async function sameModuloRoot(args: string[]): Promise<void> {
  const { file, rest } = await both(args);
  // the server's answers carry no local paths (mlr_local_path is null over http://)
  const norm = (s: string, root: string): string =>
    s
      .split(root)
      .join('<root>')
      .replace(/"mlr_local_path": "<root>[^"]*"/g, '"mlr_local_path": null');
  expect({ code: rest.code, stdout: norm(rest.stdout, server.root) }, args.join(' ')).toEqual({ code: file.code, stdout: norm(file.stdout, local) });
}

describe('reads: the same output over http:// as on the folder', () => {
  it('experiments ls / describe', async () => {
    await sameModuloRoot(['experiments', 'ls', '--format', 'json']);
    await sameModuloRoot(['experiments', 'ls', '--view', 'all']);
    await sameModuloRoot(['experiments', 'describe', 'Default', '--format', 'json']);
  });

  it('runs ls and runs describe', async () => {
    await sameModuloRoot(['runs', 'ls', '--format', 'json']);
    await sameModuloRoot(['runs', 'ls', '--view', 'all', '--format', 'tsv']);
    const ids = (await same(['runs', 'ls', '--view', 'all', '--format', 'ids'])).trim().split('\n');
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids.slice(0, 8)) await sameModuloRoot(['runs', 'describe', id, '--format', 'json']);
    await sameModuloRoot(['runs', 'describe', ids[0]!.slice(0, 8)]);
  });

  it('every conformance search query gives the same runs in the same order', async () => {
    for (const q of QUERIES) {
      const args = ['runs', 'ls', '--format', 'ids', '--view', VIEW[q.view]!, '--max-results', String(q.max_results)];
      if (q.filter) args.push('--filter', q.filter);
      for (const o of q.order_by) args.push('--order-by', o);
      for (const e of q.experiments ?? []) args.push('-e', e);
      const { file, rest } = await both(args);
      expect({ id: q.id, code: rest.code, stdout: rest.stdout }).toEqual({ id: q.id, code: file.code, stdout: file.stdout });
    }
  });

  it("mlr's extensions (OR, parentheses, IN) are evaluated here, with MLflow's part sent to the server", async () => {
    for (const filter of [
      "metrics.val_loss < 0.5 OR params.optimizer = 'sgd'",
      "(metrics.val_acc > 0.8 AND params.optimizer = 'adam') OR status = 'FAILED'",
      "params.optimizer IN ('adam', 'sgd') AND metrics.val_loss < 1",
      "metrics.val_loss < 1 AND (tags.team = 'vision' OR tags.team = 'nlp')",
    ]) {
      await same(['runs', 'ls', '--view', 'all', '--format', 'ids', '--filter', filter, '--order-by', 'metrics.val_loss ASC']);
      await same(['runs', 'ls', '--view', 'all', '--format', 'ids', '--filter', filter, '--max-results', '3']);
    }
  });

  it('metrics history, runs best, runs diff', async () => {
    const ids = (await same(['runs', 'ls', '--filter', 'metrics.val_loss < 10', '--format', 'ids'])).trim().split('\n');
    for (const id of ids.slice(0, 4)) await same(['metrics', 'history', id, 'val_loss', '--format', 'json']);
    await same(['runs', 'best', '--metric', 'val_loss', '--format', 'id']);
    await sameModuloRoot(['runs', 'diff', ids[0]!, ids[1]!]);
  });

  it('models ls and describe', async () => {
    await same(['models', 'ls', '--format', 'json']);
    const names = JSON.parse((await mlr(['--store', local, 'models', 'ls', '--format', 'json'])).stdout) as { name: string }[];
    for (const m of names) await sameModuloRoot(['models', 'describe', m.name, '--format', 'json']);
  });
});

/**
 * test/cli/interface.test.ts's battery of read commands, less the five whose JSON this file
 * already compares through the server above (each listing in full, describe and models).
 */
const COMPARED_ABOVE = new Set([
  'experiments ls --view all --format json',
  'runs ls --view all --format json',
  `runs describe ${SWEEP_RUN} --format json`,
  'models ls --format json',
  'models describe resnet-classifier --format json',
]);
const READS = BATTERY.filter((a) => !COMPARED_ABOVE.has(a.join(' ')));

describe("the interface battery's read commands", () => {
  it.each(READS.map((a) => [a.join(' '), a] as const))('mlr %s', async (_name, args) => {
    await sameModuloRoot(args);
  });

  it('in terminal mode too (aligned tables, relative times)', async () => {
    const env = { MLR_FORCE_TTY: '1', COLUMNS: '140' };
    for (const args of [
      ['runs', 'ls', '-e', 'sweep', '--max-results', '8'],
      ['runs', 'describe', SWEEP_RUN],
      ['models', 'ls'],
      ['experiments', 'ls'],
    ]) {
      const a = await mlr(['--store', local, ...args], { env });
      const b = await mlr(['--tracking-uri', server.url, ...args], { env });
      expect(b.stdout.split(server.root).join('<root>'), args.join(' ')).toBe(a.stdout.split(local).join('<root>'));
    }
  });
});

describe('artifacts over http://', () => {
  const RUN = 'd61057829b7b4f24b7a65344cc35e18e';

  it('artifacts ls / cat / get through the server', async () => {
    await same(['artifacts', 'ls', RUN, '--format', 'json']);
    await same(['artifacts', 'ls', RUN, 'docs']);
    await same(['artifacts', 'cat', RUN, 'docs/notes.txt']);
    const { file, rest } = await both(['artifacts', 'cat', RUN, 'docs/missing.txt']);
    expect([rest.code, file.code]).toEqual([1, 1]);
    const out = path.join(path.dirname(local), 'got');
    const r = await mlr(['--tracking-uri', server.url, 'artifacts', 'get', RUN, 'docs', '--out', out]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'docs', 'notes.txt'), 'utf8')).toBe(
      fs.readFileSync(path.join(FIXTURE, '234684999513866976', RUN, 'artifacts', 'docs', 'notes.txt'), 'utf8'),
    );
  });

  it('log-artifact uploads through the proxy (mlflow-artifacts: runs), and artifacts cat reads it back', async () => {
    const uri = ['--tracking-uri', server.url];
    expect((await mlr([...uri, 'experiments', 'create', 'proxied'])).code).toBe(0);
    const id = (await mlr([...uri, 'runs', 'create', '-e', 'proxied'])).stdout.trim();
    const dir = path.join(path.dirname(local), 'up');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(dir, 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
    expect(await mlr([...uri, 'log-artifact', id, dir])).toMatchObject({ code: 0 });
    expect((await mlr([...uri, 'artifacts', 'cat', id, 'up/a.txt'])).stdout).toBe('alpha\n');
    const ls = JSON.parse((await mlr([...uri, 'artifacts', 'ls', id, 'up', '--format', 'json'])).stdout) as unknown;
    expect(JSON.stringify(ls)).toContain('up/sub');
    expect(
      fs.readFileSync(
        path.join(
          server.artifacts,
          (await mlr([...uri, 'runs', 'describe', id, '--format', 'json'])).stdout.match(/mlflow-artifacts:\/([^"]+)/)![1]!,
          'up',
          'sub',
          'b.bin',
        ),
      ),
    ).toEqual(Buffer.from([0, 1, 2, 255]));
  });
});

describe('the file-store-only commands', () => {
  it.each([['doctor'], ['gc'], ['runs', 'mv', 'd61057829b7b4f24b7a65344cc35e18e', '--to', '0']])('%s says it needs a local store (exit 2)', async (...args) => {
    const r = await mlr(['--tracking-uri', server.url, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/works on a local file store \(mlruns\/\) only; http:\/\/127\.0\.0\.1:\d+ is a tracking server\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('MLFLOW_TRACKING_URI selects the server too', async () => {
    const r = await mlr(['runs', 'ls', '-e', 'Default', '--format', 'json'], { env: { MLFLOW_TRACKING_URI: server.url } });
    const f = await mlr(['--store', local, 'runs', 'ls', '-e', 'Default', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.split(server.root).join('<root>')).toBe(f.stdout.split(local).join('<root>'));
  });
});

describe('writes over http:// leave what they leave on the folder', () => {
  it('runs create, log-metric/param/tag, log-batch, runs end: the same runs afterwards', async () => {
    const mk = async (side: 'file' | 'rest'): Promise<string> => {
      const store = side === 'file' ? ['--store', local] : ['--tracking-uri', server.url];
      const run = async (args: string[], input?: string) => {
        const r = await mlr([...store, ...args], { cwd: path.dirname(local), ...(input ? { input } : {}) });
        expect(r, args.join(' ')).toMatchObject({ code: 0 });
        return r.stdout.trim();
      };
      await run(['experiments', 'create', 'diff-writes']);
      const id = await run(['runs', 'create', '--experiment', 'diff-writes', '--tag', 'mlflow.user=ana', '--name', 'w1', '--start-time', '1795300000000']);
      await run(['log-metric', id, 'loss', '0.5', '--step', '1', '--timestamp', '1795300000001']);
      await run(['log-metric', id, 'loss', '0.25', '--step', '9007199254740993', '--timestamp', '1795300000002']);
      await run(['log-param', id, 'lr', '0.01']);
      await run(['set-tag', id, 'team', 'vision']);
      const batch = {
        metrics: [
          { key: 'acc', value: 0.9, timestamp: 1795300000003, step: 0 },
          { key: 'acc', value: 'NaN', timestamp: 1795300000004, step: 1 },
          { key: 'loss', value: -0.0, timestamp: 1795300000005, step: 2 },
        ],
        params: [{ key: 'bs', value: '32' }],
        tags: [{ key: 'phase', value: 'eval' }],
      };
      await run(['log-batch', id, '--file', '-'], JSON.stringify(batch).replace('"value":0,', '"value":-0.0,'));
      await run(['runs', 'end', id, '--status', 'FAILED', '--end-time', '1795300000009']);
      await run(['runs', 'rename', id, 'w1-renamed']);
      await run(['runs', 'delete', id]);
      await run(['runs', 'restore', id]);
      await run(['experiments', 'rename', 'diff-writes', 'diff-writes-2']);
      return id;
    };
    const a = await mk('file');
    const b = await mk('rest');
    const show = async (side: 'file' | 'rest', id: string) => {
      const store = side === 'file' ? ['--store', local] : ['--tracking-uri', server.url];
      const d = await mlr([...store, 'runs', 'describe', id, '--format', 'json']);
      const h = await mlr([...store, 'metrics', 'history', id, 'loss', '--format', 'json']);
      // experiment ids are picked by each store; a server started as `mlr server` keeps new
      // experiments' artifacts behind its proxy (mlflow-artifacts:/), as `mlflow server` does
      return (d.stdout + h.stdout)
        .split(id)
        .join('<id>')
        .replace(/"experiment_id": "\d+"/g, '"experiment_id": "<exp>"')
        .replace(/"artifact_uri": "[^"]*"/g, '"artifact_uri": "<artifacts>"');
    };
    expect(await show('rest', b)).toEqual(await show('file', a));
  });
});

describe('registry writes over http://', () => {
  it('create, register, alias, tag, stage, delete-version: the same model afterwards', async () => {
    const RUN = 'd61057829b7b4f24b7a65344cc35e18e';
    const show = async (store: string[]): Promise<string> => {
      const steps: string[][] = [
        ['models', 'create', 'remote-m', '--description', 'made over http'],
        ['models', 'register', RUN, 'docs', '--name', 'remote-m'],
        ['models', 'register', RUN, 'docs', '--name', 'remote-m'],
        ['models', 'alias', 'remote-m', 'champion', '1'],
        ['models', 'set-tag', 'remote-m', 'team', 'vision'],
        ['models', 'set-tag', 'remote-m', 'checked', 'yes', '--model-version', '2'],
        ['models', 'stage', 'remote-m', '2', 'Staging'],
        ['models', 'delete-tag', 'remote-m', 'team'],
        ['models', 'delete-version', 'remote-m', '1'],
      ];
      for (const a of steps) {
        const r = await mlr([...store, ...a]);
        expect({ a, code: r.code, stderr: r.stderr.replace(/^mlr: (?!error).*\n/gm, '') }).toMatchObject({ a, code: 0 });
      }
      const d = await mlr([...store, 'models', 'describe', 'remote-m', '--format', 'json']);
      // timestamps are each store's clock; sources name each side's folder
      return d.stdout
        .replace(/"(creation_timestamp|last_updated_timestamp)": \d+/g, '"$1": <t>')
        .replace(/"mlr_local_path": "[^"]*"/g, '"mlr_local_path": null');
    };
    const onFile = await show(['--store', local]);
    const onRest = await show(['--tracking-uri', server.url]);
    expect(onFile).toContain('"current_stage": "Staging"');
    expect(onFile).toContain('"checked"');
    expect(onRest.split(server.root).join('<root>')).toBe(onFile.split(local).join('<root>'));
  });
});
