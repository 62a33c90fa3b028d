/**
 * Concurrency and crash safety of the write path (issue 4, "Safety"): many processes
 * appending to one metric, creating one experiment name, racing on one param; and writers
 * killed with SIGKILL in the middle of meta.yaml rewrites. Runs the built code (dist/).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { mlr, REPO, BIN, tempDir, reap } from '../helpers.js';
import { parseYaml } from '../../src/store/file/yaml.js';
import { FileStore as Store } from '../../src/store/file/store.js';

const DIST = path.join(REPO, 'dist');
let work: string;
let store: string;

beforeEach(() => {
  work = tempDir('conc');
  store = path.join(work, 'mlruns');
});

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(cmd: string, args: string[], env: Record<string, string> = {}): { child: ReturnType<typeof spawn>; done: Promise<Done> } {
  const child = reap(spawn(cmd, args, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Done>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const cli = (args: string[]) => start(process.execPath, [BIN, '--store', store, ...args]);

async function ok(args: string[]): Promise<string> {
  const r = await mlr(['--store', store, ...args], { cwd: work });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** A worker script run with plain node against dist/. */
function script(name: string, body: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, body.split('@DIST@').join(DIST));
  return file;
}

describe('concurrent appends', () => {
  it('8 processes × 200 log-metric calls (the command path, no CLI start-up) → exactly 1600 whole lines', async () => {
    await ok(['experiments', 'create', 'c']);
    const run = await ok(['runs', 'create', '-e', 'c']);
    const worker = script(
      'log.mjs',
      `import { FileTrackingWriter } from '@DIST@/store/file/writer.js';
import { logMetric } from '@DIST@/commands/write.js';
const [store, run, proc] = process.argv.slice(2);
for (let i = 0; i < 200; i++) {
  // a fresh writer per call: every call finds the run on disk again, like a CLI call
  const writer = new FileTrackingWriter({ root: store, artifactRoot: store, cwd: process.cwd() });
  const none = () => Promise.reject(new Error('not needed'));
  await logMetric({ writer, env: {}, cwd: process.cwd(), now: Date.now, reader: none, artifacts: none }, [run, 'loss', String(Number(proc) * 1000 + i)], { step: String(i), timestamp: String(1700000000000 + i) });
}
`,
    );
    const rs = await Promise.all(Array.from({ length: 8 }, (_, p) => start(process.execPath, [worker, store, run, String(p + 1)]).done));
    for (const r of rs) expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(
      path.join(
        store,
        fs.readdirSync(store).find((d) => fs.existsSync(path.join(store, d, run)))!,
        run,
        'metrics',
        'loss',
      ),
      'utf8',
    );
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1600);
    const seen = new Map<string, number[]>();
    for (const line of lines) {
      // value = process * 1000 + call, written as a Python float ("3017.0")
      const m = /^(\d{13}) ([1-8])(\d{3})\.0 (\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(Number(m![1]) - 1700000000000).toBe(Number(m![4]));
      expect(Number(m![3])).toBe(Number(m![4]));
      seen.set(m![2]!, [...(seen.get(m![2]!) ?? []), Number(m![4])]);
    }
    expect(seen.size).toBe(8);
    for (const steps of seen.values()) expect(steps).toEqual(Array.from({ length: 200 }, (_, i) => i));
    // and the reader agrees
    const latest = JSON.parse(await ok(['runs', 'describe', run, '--format', 'json'])) as { data: { metrics: { step: number }[] } };
    expect(latest.data.metrics[0]!.step).toBe(199);
  });

  it('8 CLI processes × 2 log-metric calls → exactly 16 whole lines', async () => {
    await ok(['experiments', 'create', 'c']);
    const run = await ok(['runs', 'create', '-e', 'c']);
    const worker = script(
      'cli.sh',
      `for i in $(seq 1 2); do "${process.execPath}" "${BIN}" --store "${store}" log-metric ${run} loss "$1.$i" --step $i || exit 1; done\n`,
    );
    const rs = await Promise.all(Array.from({ length: 8 }, (_, p) => start('sh', [worker, String(p + 1)]).done));
    for (const r of rs) expect(r.code, r.stderr).toBe(0);
    const exp = fs.readdirSync(store).find((d) => fs.existsSync(path.join(store, d, run)))!;
    const lines = fs.readFileSync(path.join(store, exp, run, 'metrics', 'loss'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(16);
    for (const l of lines) expect(l).toMatch(/^\d{13} [1-8]\.\d+ \d+$/);
  });
});

describe('create an experiment by name from many processes', () => {
  it('8 processes, one name, a store that does not exist yet → one experiment, every process prints its id', async () => {
    // 8 racers for the first name (the store does not exist yet), 4 for each of the others
    for (const [name, n] of [
      ['race', 8],
      ['race 2', 4],
      ['race/3', 4],
    ] as const) {
      const rs = await Promise.all(Array.from({ length: n }, () => cli(['experiments', 'create', name]).done));
      for (const r of rs) expect(r.code, r.stderr).toBe(0);
      const ids = new Set(rs.map((r) => r.stdout.trim()));
      expect(ids.size).toBe(1);
      const id = [...ids][0]!;
      expect(id).toMatch(/^[1-9]\d{17}$/);
      const withName = new Store(store).allExperiments().filter((e) => e.experiment.name === name);
      expect(withName.map((e) => e.experiment.experiment_id)).toEqual([id]);
    }
    const s = new Store(store);
    expect(
      s
        .allExperiments()
        .map((e) => e.experiment.name)
        .sort(),
    ).toEqual(['Default', 'race', 'race 2', 'race/3']);
    expect(s.problems).toEqual([]);
    expect(
      fs
        .readdirSync(store)
        .sort()
        .filter((n) => !/^\d+$/.test(n)),
    ).toEqual(['.trash']);
  });
});

describe('racing on one param', () => {
  it('8 processes logging one new param with different values: exactly one wins, the rest are refused', async () => {
    await ok(['experiments', 'create', 'p']);
    const run = await ok(['runs', 'create', '-e', 'p']);
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => cli(['log-param', run, 'lr', `0.${i + 1}`]).done));
    const winners = rs.filter((r) => r.code === 0);
    expect(winners).toHaveLength(1);
    for (const r of rs.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^mlr: Changing param values is not allowed\. Param with key='lr' was already logged/);
    }
    const exp = fs.readdirSync(store).find((d) => fs.existsSync(path.join(store, d, run)))!;
    const value = fs.readFileSync(path.join(store, exp, run, 'params', 'lr'), 'utf8');
    const winnerIndex = rs.indexOf(winners[0]!);
    expect(value).toBe(`0.${winnerIndex + 1}`);
    expect(fs.readdirSync(path.join(store, exp, run, 'params'))).toEqual(['lr']);
  });

  it('the same value from 8 processes: all succeed', async () => {
    await ok(['experiments', 'create', 'p']);
    const run = await ok(['runs', 'create', '-e', 'p']);
    const rs = await Promise.all(Array.from({ length: 8 }, () => cli(['log-param', run, 'bs', '32']).done));
    for (const r of rs) expect(r.code, r.stderr).toBe(0);
  });
});

describe('meta.yaml rewrites racing with each other', () => {
  it("renames and status changes from several processes never lose the file or each other's fields", async () => {
    await ok(['experiments', 'create', 'm']);
    const run = await ok(['runs', 'create', '-e', 'm', '--name', 'start']);
    const jobs = [
      ...Array.from({ length: 4 }, (_, i) => cli(['runs', 'rename', run, `name-${i}`]).done),
      ...Array.from({ length: 4 }, () => cli(['runs', 'end', run, '--status', 'KILLED']).done),
      ...Array.from({ length: 4 }, (_, i) => cli(['set-tag', run, `t${i}`, 'v']).done),
    ];
    for (const r of await Promise.all(jobs)) expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(await ok(['runs', 'describe', run, '--format', 'json'])) as {
      info: { run_name: string; status: string };
      data: { tags: { key: string; value: string }[] };
    };
    expect(d.info.status).toBe('KILLED');
    expect(d.info.run_name).toMatch(/^name-[0-3]$/);
    expect(d.data.tags.find((t) => t.key === 'mlflow.runName')!.value).toBe(d.info.run_name);
    expect(d.data.tags.filter((t) => /^t\d$/.test(t.key))).toHaveLength(4);
    expect(fs.existsSync(path.join(store, '.mlr-lock'))).toBe(false);
  });
});

describe('crash safety', () => {
  it('a writer killed (SIGKILL) in the middle of meta.yaml rewrites never leaves an empty or invalid file', async () => {
    await ok(['experiments', 'create', 'k', '--tag', 'owner=me']);
    const run = await ok(['runs', 'create', '-e', 'k', '--name', 'victim']);
    const worker = script(
      'rewrite.mjs',
      `import { StoreWriter } from '@DIST@/store/file/writes.js';
const [store, run] = process.argv.slice(2);
const w = new StoreWriter({ root: store, artifactRoot: store, cwd: process.cwd() });
process.stdout.write('ready\\n');
for (let i = 0; ; i++) {
  w.renameRun(run, 'victim ' + 'x'.repeat(i % 300) + ' ' + i);
  w.endRun(run, i % 2 ? 'FAILED' : 'FINISHED');
  w.setTags(run, [{ key: 'k/' + (i % 7), value: String(i) }]);
  w.renameExperiment('k', 'k');
}
`,
    );
    // renameExperiment('k','k') is refused ("already exists"): catch it so the loop keeps going
    fs.writeFileSync(worker, fs.readFileSync(worker, 'utf8').replace("w.renameExperiment('k', 'k');", "try { w.renameExperiment('k', 'k'); } catch {}"));
    const exp = fs.readdirSync(store).find((d) => fs.existsSync(path.join(store, d, run)))!;
    const runDir = path.join(store, exp, run);
    for (let round = 0; round < 10; round++) {
      const { child, done } = start(process.execPath, [worker, store, run]);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 200));
      child.kill('SIGKILL');
      const r = await done;
      expect(r.signal).toBe('SIGKILL');
      for (const file of [path.join(runDir, 'meta.yaml'), path.join(store, exp, 'meta.yaml')]) {
        const text = fs.readFileSync(file, 'utf8');
        expect(text.length, file).toBeGreaterThan(0);
        const parsed = parseYaml(text);
        expect(parsed.errors, file).toEqual([]);
      }
      const s = new Store(store);
      const entry = s.findRun(run);
      expect(entry.problems).toEqual([]);
      // the name it was created with, or one of the renames (a loaded machine may kill it before the first)
      expect(entry.info.run_name).toMatch(/^victim( |$)/);
      expect(fs.readFileSync(path.join(runDir, 'tags', 'mlflow.runName'), 'utf8')).toMatch(/^victim( |$)/);
      // temp files may be left by the killed writer, but never where MLflow reads keys
      for (const sub of ['params', 'tags', 'metrics']) {
        const walk = (d: string): string[] =>
          fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [e.name])) : [];
        expect(walk(path.join(runDir, sub)).filter((n) => n.startsWith('.mlr-tmp-'))).toEqual([]);
      }
    }
    // the next writer is not blocked by a lock the killed one held
    await ok(['runs', 'rename', run, 'after the crashes']);
    expect(new Store(store).findRun(run).info.run_name).toBe('after the crashes');
  });
});
