/**
 * The scan's read-ahead (src/doctor/prefetch.ts): worker threads list and read run folders
 * ahead of the scan and hand them over a chunk at a time, in whatever order they finish.
 * Whatever the number of workers, and however late or out of order their results come, the
 * scan must be the one it is without them: the whole StoreScan is compared, then the report
 * the CLI prints (which reads ahead on its own for a store this big).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../bench/generate.mjs';
import { diagnose, publicFinding } from '../../src/doctor/diagnose.js';
import { Prefetch, readAheadCounts } from '../../src/doctor/prefetch.js';
import { scanStore, type ScanOptions, type StoreScan } from '../../src/doctor/scan.js';
import { copyStore, mlr, seededRandom } from '../helpers.js';

let root = '';
/**
 * The store's size. The CLI reads ahead from 3,000 runs on (Prefetch.workersFor); the tests
 * lower that threshold below this size, so the CLI reads ahead here as on a big store.
 */
const RUNS = 1200;
/** the threshold the tests set: below the runs the scan finds (some generated runs are broken on purpose) */
const FROM_RUNS = 1000;
let exps: string[] = [];

const put = (p: string, data: string | Buffer): void => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
};

/**
 * 1,200 generated runs broken in every way the scan reads differently (meta.yaml missing,
 * empty, cut, not UTF-8, conflicted; metric files torn, empty, CRLF, nested, symlinked,
 * dangling, junk, duplicated; folders misplaced, artifact-only, empty), plus a 24 MB metric
 * file, so the worker reading it finishes after the other one has sent later runs.
 */
async function buildStore(): Promise<string> {
  const base = path.dirname(copyStore());
  fs.rmSync(path.join(base, 'mlruns'), { recursive: true });
  await generateStore({ out: base, runs: RUNS, steps: 3, experiments: 3, seed: 11 });
  const store = path.join(base, 'mlruns');
  exps = fs
    .readdirSync(store)
    .filter((n) => /^[0-9]+$/.test(n) && n !== '0')
    .sort();
  const rnd = seededRandom(3);
  for (const exp of exps) {
    const runs = fs
      .readdirSync(path.join(store, exp))
      .filter((n) => n !== 'meta.yaml')
      .sort();
    runs.forEach((run, i) => {
      const dir = path.join(store, exp, run);
      const metrics = path.join(dir, 'metrics');
      const keys = fs.readdirSync(metrics).sort();
      const m = path.join(metrics, keys[Math.floor(rnd() * keys.length)]!);
      const meta = path.join(dir, 'meta.yaml');
      switch (i % 23) {
        case 1:
          fs.appendFileSync(m, '1700000000000 0.2');
          break;
        case 2:
          fs.appendFileSync(m, 'not a line\n');
          break;
        case 3:
          fs.rmSync(meta);
          break;
        case 4:
          fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').slice(0, 90));
          break;
        case 5:
          fs.writeFileSync(meta, '');
          break;
        case 6:
          fs.appendFileSync(meta, Buffer.from([0xff, 0xfe, 0x0a]));
          break;
        case 7:
          fs.writeFileSync(meta, `<<<<<<< HEAD\n${fs.readFileSync(meta, 'utf8')}=======\nx: 1\n>>>>>>> other\n`);
          break;
        case 8:
          fs.writeFileSync(m, '');
          break;
        case 9:
          fs.writeFileSync(m, fs.readFileSync(m, 'utf8').replace(/\n/g, '\r\n'));
          break;
        case 10:
          put(path.join(metrics, 'nested', 'deep', 'key'), '1700000000000 1.5 0\n1700000000001 x 1\n');
          break;
        case 11:
          fs.symlinkSync(m, path.join(metrics, 'linked'));
          fs.symlinkSync('/nonexistent/mlr-test', path.join(metrics, 'dangling'));
          break;
        case 12:
          fs.symlinkSync(path.join(dir, 'params'), path.join(metrics, 'dir-link'));
          break;
        case 13:
          put(path.join(metrics, '.DS_Store'), 'junk');
          fs.copyFileSync(m, m + ' 2');
          put(path.join(dir, 'tags', 'mlflow.note copy'), 'different');
          break;
        case 14:
          put(path.join(dir, 'params', 'bad=key'), 'v');
          put(path.join(dir, 'params', 'sub', 'ok'), 'v');
          break;
        case 15:
          fs.rmSync(meta);
          fs.rmSync(path.join(dir, 'params'), { recursive: true });
          fs.rmSync(path.join(dir, 'tags'), { recursive: true });
          fs.rmSync(metrics, { recursive: true });
          put(path.join(dir, 'artifacts', 'model.pkl'), 'x');
          break;
        case 16:
          fs.rmSync(dir, { recursive: true });
          fs.mkdirSync(dir);
          break;
        case 17:
          fs.writeFileSync(
            meta,
            fs
              .readFileSync(meta, 'utf8')
              .replace(/^end_time: .*$/m, 'end_time: null')
              .replace(/^start_time: .*$/m, ''),
          );
          break;
      }
    });
  }
  // beyond what the workers read while the scan pauses (see scan())
  const third = path.join(store, exps[2]!);
  const later = fs
    .readdirSync(third)
    .filter((n) => n !== 'meta.yaml')
    .sort()[300]!;
  const line = '1700000000000 0.123456789 1\n';
  put(path.join(third, later, 'metrics', 'huge'), line.repeat(Math.ceil((24 << 20) / line.length)) + '1700000000000 oops 2\n');
  const first = path.join(store, exps[0]!);
  // a run at experiment level and one in .trash, a stray folder, an experiment without meta.yaml
  const sample = fs
    .readdirSync(first)
    .filter((n) => n !== 'meta.yaml')
    .sort();
  fs.cpSync(path.join(first, sample[20]!), path.join(store, sample[20]!), { recursive: true });
  fs.cpSync(path.join(first, sample[21]!), path.join(store, '.trash', sample[21]!), { recursive: true });
  fs.mkdirSync(path.join(store, first.slice(-6) + '__pycache__'));
  fs.rmSync(path.join(store, exps[2]!, 'meta.yaml'));
  return store;
}

const defaultFrom = Prefetch.fromRuns;
beforeAll(async () => {
  root = await buildStore();
  Prefetch.fromRuns = FROM_RUNS;
}, 120_000);

afterAll(() => {
  Prefetch.fromRuns = defaultFrom;
  if (root) fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

/** A scan that pauses on its first progress call, so the workers get well ahead of it. */
function scan(opts: ScanOptions): ReturnType<typeof scanStore> {
  let paused = false;
  return scanStore(root, {
    ...opts,
    onProgress: () => {
      if (!paused) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
      paused = true;
    },
  });
}

/** the CLI's clock in the tests (cleanEnv's MLR_NOW) */
const NOW = 1795400000000;
let alone: StoreScan | undefined;
/** The scan without read-ahead: what every read-ahead must give (made once, each scan of this store costs seconds). */
const scanAlone = (): StoreScan => (alone ??= scan({ workers: 0 }));
let refFindings: ReturnType<typeof publicFinding>[] | undefined;
/** The findings of that scan. */
const reference = (): ReturnType<typeof publicFinding>[] => (refFindings ??= diagnose(root, { now: NOW, scan: scanAlone() }).findings.map(publicFinding));

// 7 reads of a 1,200-run store: seconds each on an idle machine, much more on a busy shared one
describe('read-ahead', { timeout: 180_000 }, () => {
  it('gives the scan exactly what it reads itself, with 1 and 2 workers', () => {
    const alone = scanAlone();
    expect(alone.runCount).toBeGreaterThan(FROM_RUNS);
    expect(alone.unreadable.length + alone.invalidKeys.length + alone.strays.length).toBeGreaterThan(20);
    let late = 0;
    for (const workers of [1, 2]) {
      readAheadCounts.fromWorkers = 0;
      readAheadCounts.late = 0;
      const ahead = scan({ workers });
      expect(readAheadCounts.fromWorkers, 'runs read by workers').toBeGreaterThan(100);
      if (workers === 2) late += readAheadCounts.late;
      expect(ahead).toStrictEqual(alone);
    }
    expect(late, 'runs that arrived out of order').toBeGreaterThan(0);
  });

  it('diagnoses the same findings, in the same order', () => {
    const want = reference();
    expect(want.length).toBeGreaterThan(100);
    expect(diagnose(root, { now: NOW, workers: 2 }).findings.map(publicFinding)).toStrictEqual(want);
  });

  it('the CLI prints the same report every time (it reads ahead on a store this big)', async () => {
    const want = reference();
    readAheadCounts.fromWorkers = 0;
    const json = await mlr(['--store', root, 'doctor', '--format', 'json']);
    expect(readAheadCounts.fromWorkers, 'runs the CLI read ahead').toBeGreaterThan(100);
    expect(json.code).toBe(3);
    expect(json.stderr).toBe('');
    expect((JSON.parse(json.stdout) as { findings: unknown[] }).findings).toStrictEqual(want);
    expect(await mlr(['--store', root, 'doctor', '--format', 'json'])).toStrictEqual(json);
    // the same findings as a table: a header, then one row per finding in the same order
    const tsv = await mlr(['--store', root, 'doctor', '--format', 'tsv']);
    const rows = tsv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('severity\tcode\tpath\tmessage\tfix\tcommand');
    expect(rows.length).toBe(want.length + 1);
    expect(rows.slice(1).map((r) => r.split('\t').slice(0, 3))).toStrictEqual(want.map((f) => [f.severity, f.code, f.path]));
  });
});
