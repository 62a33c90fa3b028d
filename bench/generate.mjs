#!/usr/bin/env node
// Deterministic synthetic MLflow 2.12 file store for the benchmark (issue 7).
//
// Every byte follows spec/mlruns-format.md §3–§6 and what real MLflow 2.12 wrote in
// fixtures/mlruns: meta.yaml keys sorted the way PyYAML dumps them, 18-digit experiment
// ids single-quoted, 32-hex run ids, params/tags without a trailing newline, metric lines
// `<ts> <repr(float)> <step>\n`. Ids, names, times and values all come from a seeded PRNG,
// so the same options always give the same tree, byte for byte.
//
// Usage: node bench/generate.mjs --out DIR [--runs 1000] [--experiments 4] [--steps 100]
//                                [--seed 7] [--history POINTS] [--force]
// DIR receives `mlruns/` and `manifest.json` (options, layout and the expected answers
// of the benchmark queries, so bench/run.mjs can check that mlr answered correctly).
// Plain Node ESM with no dependencies: it must run before `npm run build`.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bumped whenever the bytes written for given options change; run.mjs regenerates then. */
export const GENERATOR_VERSION = 1;

/** Param, tag and metric keys of every generated run (the benchmark's file lists use them). */
export const PARAM_KEYS = ['batch_size', 'dropout', 'epochs', 'lr', 'model', 'optimizer', 'seed', 'weight_decay'];
export const TAG_KEYS = ['mlflow.runName', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.user', 'sweep', 'team'];
export const METRIC_KEYS = ['epoch_time', 'grad_norm', 'train_acc', 'train_loss', 'val_acc', 'val_loss'];

/** The key history runs log; see generateHistoryStore. */
export const HISTORY_METRIC = 'loss';

const BASE_TIME = 1767225600000; // 2026-01-01T00:00:00Z, like a store written this year
const DEFAULT_ARTIFACT_ROOT = 'file:///home/bench/mlruns';

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];
const LRS = [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001, 3e-5];
const MODELS = ['resnet18', 'resnet50', 'vit_b16', 'convnext_t'];
const BATCH_SIZES = [32, 64, 128, 256];
const USERS = ['ana', 'ben', 'chen', 'dana', 'eve'];
const TEAMS = ['vision', 'nlp', 'speech'];
// MLflow's default run names are adjective-noun-integer (spec §4.3); these words are all
// plain YAML scalars, so run_name is never quoted.
const ADJECTIVES = [
  'amusing',
  'bright',
  'calm',
  'clever',
  'dapper',
  'eager',
  'fancy',
  'gentle',
  'honest',
  'jolly',
  'kindly',
  'lively',
  'merry',
  'nimble',
  'polite',
  'quiet',
  'rare',
  'silent',
  'tidy',
  'wise',
];
const NOUNS = [
  'ant',
  'bat',
  'bear',
  'colt',
  'crab',
  'deer',
  'doe',
  'eel',
  'finch',
  'fox',
  'gnu',
  'hare',
  'hawk',
  'lark',
  'mole',
  'moth',
  'owl',
  'ram',
  'seal',
  'wolf',
];

/**
 * Returns a PRNG (mulberry32) whose next() gives a uniform double in [0, 1) with 53 random
 * bits, so metric values print with the 16–17 significant digits real float logs have.
 */
export function createRng(seed) {
  let a = seed >>> 0;
  const u32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    u32,
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    hex: (chars) => {
      let s = '';
      while (s.length < chars) s += u32().toString(16).padStart(8, '0');
      return s.slice(0, chars);
    },
  };
}

/**
 * Returns Python's repr(float(x)) — what MLflow writes as a metric value (spec §6.1):
 * shortest round-trip digits, exponent form when the exponent is < -4 or >= 16 (at least
 * two exponent digits, with a sign), `.0` on integral values, and nan/inf/-inf.
 */
export function pyRepr(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) {
    // Here JavaScript also prints fixed notation with the same shortest digits.
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  // toExponential() without an argument gives the shortest round-trip digits too.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-])(\d+)$/.exec(x.toExponential());
  if (!m) throw new Error(`pyRepr: unexpected ${x.toExponential()}`);
  const mantissa = m[3] ? `${m[2]}.${m[3]}` : m[2];
  return `${m[1]}${mantissa}e${m[4]}${m[5].padStart(2, '0')}`;
}

/** Experiment meta.yaml exactly as MLflow 2.12 writes it at creation (spec §3.2). */
export function experimentMetaYaml(e) {
  return (
    `artifact_location: ${e.artifactLocation}\n` +
    `creation_time: ${e.creationTime}\n` +
    `experiment_id: '${e.id}'\n` +
    `last_update_time: ${e.creationTime}\n` +
    `lifecycle_stage: active\n` +
    `name: ${e.name}\n`
  );
}

/** Run meta.yaml exactly as MLflow 2.12 writes it (spec §4.2; deleted runs gain deleted_time). */
export function runMetaYaml(r) {
  return (
    `artifact_uri: ${r.artifactUri}\n` +
    (r.deletedTime !== null ? `deleted_time: ${r.deletedTime}\n` : '') +
    `end_time: ${r.endTime === null ? 'null' : r.endTime}\n` +
    `entry_point_name: ''\n` +
    `experiment_id: '${r.experimentId}'\n` +
    `lifecycle_stage: ${r.deletedTime !== null ? 'deleted' : 'active'}\n` +
    `run_id: ${r.id}\n` +
    `run_name: ${r.name}\n` +
    `run_uuid: ${r.id}\n` +
    `source_name: ''\n` +
    `source_type: 4\n` +
    `source_version: ''\n` +
    `start_time: ${r.startTime}\n` +
    `status: ${r.status}\n` +
    `tags: []\n` +
    `user_id: ${r.user}\n`
  );
}

/** An 18-digit experiment id as 2.x draws them (spec §3.1): no leading zero. */
function experimentId(rng) {
  let s = String(1 + rng.int(9));
  while (s.length < 18) s += String(rng.int(10));
  return s;
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Describes one run (everything but the metric lines) from the PRNG. */
function planRun(rng, i, exp, artifactRoot, startTime, steps) {
  const id = rng.hex(32);
  const name = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}-${rng.int(1000)}`;
  const user = rng.pick(USERS);
  const u = rng.next();
  // 90 % finished, 4 % failed, 2 % killed, 3 % still running, 1 % deleted (finished, then deleted).
  let status = 3;
  let running = false;
  let deleted = false;
  if (u < 0.04) status = 4;
  else if (u < 0.06) status = 5;
  else if (u < 0.09) {
    status = 1;
    running = true;
  } else if (u < 0.1) deleted = true;
  const epochMs = 20_000 + rng.int(40_000);
  const lastTs = startTime + 1500 + (steps - 1) * epochMs + 5;
  const endTime = running ? null : lastTs + 200 + rng.int(2000);
  const params = {
    batch_size: String(rng.pick(BATCH_SIZES)),
    dropout: pyRepr(round(rng.next() * 0.5, 2)),
    epochs: String(steps),
    lr: pyRepr(rng.pick(LRS)),
    model: rng.pick(MODELS),
    optimizer: rng.pick(OPTIMIZERS),
    seed: String(rng.int(100000)),
    weight_decay: pyRepr(rng.pick([0, 1e-5, 1e-4, 5e-4, 0.01])),
  };
  const tags = {
    'mlflow.runName': name,
    'mlflow.source.name': 'train.py',
    'mlflow.source.type': 'LOCAL',
    'mlflow.user': user,
    sweep: exp.name,
    team: rng.pick(TEAMS),
  };
  return {
    index: i,
    id,
    experimentId: exp.id,
    name,
    user,
    status,
    startTime,
    endTime,
    deletedTime: deleted ? (endTime ?? lastTs) + 60_000 + rng.int(600_000) : null,
    artifactUri: `${artifactRoot}/${exp.id}/${id}/artifacts`,
    epochMs,
    params,
    tags,
  };
}

/**
 * Writes the six metric files' contents for a run: S steps of plausible training curves.
 * Returns { files: {key: text}, latest: {key: value} }; "latest" is the last step, which
 * is also MLflow's latest value (spec §6.3) because steps and timestamps only increase.
 */
function metricFiles(rng, run, steps) {
  const quality = rng.next(); // how good this run ends up
  const diverged = rng.next() < 0.005; // a few runs blow up: train_loss ends in nan
  const tl0 = 2 + rng.next();
  const k = 0.02 + 0.08 * rng.next();
  const trainFloor = 0.02 + 0.3 * (1 - quality) * rng.next();
  const valFloor = trainFloor + 0.05 + 0.6 * (1 - quality) * rng.next();
  const accCeil = 0.75 + 0.24 * quality;
  const lines = Object.fromEntries(METRIC_KEYS.map((key) => [key, '']));
  const latest = {};
  for (let s = 0; s < steps; s++) {
    const decay = Math.exp(-k * s);
    const ts = run.startTime + 1500 + s * run.epochMs;
    const values = {
      epoch_time: 15 + 10 * rng.next(),
      grad_norm: 0.1 + 5 * decay * rng.next(),
      train_acc: Math.min(0.9999, accCeil + 0.03 - (accCeil - 0.1) * decay + 0.01 * rng.next()),
      train_loss: diverged && s > steps / 2 ? (s === steps - 1 ? NaN : 1e3 * s * rng.next()) : tl0 * decay + trainFloor + 0.02 * rng.next(),
      val_acc: Math.min(0.9999, accCeil - (accCeil - 0.1) * decay + 0.01 * (rng.next() - 0.5)),
      val_loss: (tl0 + 0.2) * decay + valFloor + 0.03 * rng.next(),
    };
    // Each key is logged a few ms apart, as sequential log_metric calls are.
    for (let j = 0; j < METRIC_KEYS.length; j++) {
      const key = METRIC_KEYS[j];
      const v = values[key];
      lines[key] += `${ts + j} ${pyRepr(v)} ${s}\n`;
      latest[key] = v;
    }
  }
  return { files: lines, latest };
}

/**
 * Writes one run's directory. Synchronously: on tmpfs and the page cache each file is a few
 * cheap syscalls, and fs.promises' thread-pool round trips (open, write, close: three per
 * file) cost 3-4x the CPU. Measured on a 3,000-run store in /dev/shm (63,000 files, same
 * bytes): 6.1-8.0 s CPU with fs.promises, 1.9-2.2 s synchronously.
 */
async function writeRun(runDir, run, metrics) {
  fs.mkdirSync(path.join(runDir, 'artifacts'), { recursive: true });
  for (const d of ['metrics', 'params', 'tags']) fs.mkdirSync(path.join(runDir, d));
  fs.writeFileSync(path.join(runDir, 'meta.yaml'), runMetaYaml(run));
  for (const key of PARAM_KEYS) fs.writeFileSync(path.join(runDir, 'params', key), run.params[key]);
  for (const key of TAG_KEYS) fs.writeFileSync(path.join(runDir, 'tags', key), run.tags[key]);
  for (const key of METRIC_KEYS) fs.writeFileSync(path.join(runDir, 'metrics', key), metrics[key]);
}

/** Runs async tasks with at most `limit` in flight; add() waits while the pool is full. */
function createPool(limit) {
  const inFlight = new Set();
  let failure = null;
  return {
    async add(task) {
      if (failure) throw failure;
      const p = task().then(
        () => inFlight.delete(p),
        (err) => {
          inFlight.delete(p);
          failure ??= err;
        },
      );
      inFlight.add(p);
      while (inFlight.size >= limit) await Promise.race(inFlight);
      if (failure) throw failure;
    },
    async drain() {
      await Promise.all(inFlight);
      if (failure) throw failure;
    },
  };
}

function writeStoreSkeleton(root, artifactRoot) {
  fs.mkdirSync(path.join(root, '.trash'), { recursive: true });
  fs.mkdirSync(path.join(root, '0'));
  fs.writeFileSync(
    path.join(root, '0', 'meta.yaml'),
    experimentMetaYaml({ id: '0', name: 'Default', creationTime: BASE_TIME - 30 * 86_400_000, artifactLocation: `${artifactRoot}/0` }),
  );
}

function makeExperiments(rng, root, count, artifactRoot) {
  const experiments = [];
  for (let e = 0; e < count; e++) {
    const id = experimentId(rng);
    const exp = {
      id,
      name: `bench-sweep-${e}`,
      creationTime: BASE_TIME - (count - e) * 86_400_000 + rng.int(3_600_000),
      artifactLocation: `${artifactRoot}/${id}`,
    };
    fs.mkdirSync(path.join(root, id));
    fs.writeFileSync(path.join(root, id, 'meta.yaml'), experimentMetaYaml(exp));
    experiments.push(exp);
  }
  return experiments;
}

/** MLflow's order for `--order-by <metric> ASC`: value ASC, then start_time DESC, run_id ASC. */
function byLatestAsc(key) {
  return (a, b) => a.latest[key] - b.latest[key] || b.startTime - a.startTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Writes a store of `runs` runs spread round-robin over `experiments` experiments into
 * `<out>/mlruns` and returns the manifest (also written to `<out>/manifest.json`).
 * `onProgress(done, total)` is called every few hundred runs.
 */
export async function generateStore({ out, runs, experiments = 4, steps = 100, seed = 7, artifactRoot = DEFAULT_ARTIFACT_ROOT, concurrency = 2, onProgress }) {
  const root = path.join(out, 'mlruns');
  if (fs.existsSync(root)) throw new Error(`${root} already exists`);
  const rng = createRng(seed);
  writeStoreSkeleton(root, artifactRoot);
  const exps = makeExperiments(rng, root, experiments, artifactRoot);
  const summary = [];
  const pool = createPool(concurrency);
  let startTime = BASE_TIME;
  for (let i = 0; i < runs; i++) {
    const exp = exps[i % exps.length];
    startTime += 1000 + rng.int(120_000);
    const run = planRun(rng, i, exp, artifactRoot, startTime, steps);
    const { files, latest } = metricFiles(rng, run, steps);
    await pool.add(() => writeRun(path.join(root, exp.id, run.id), run, files));
    summary.push({
      id: run.id,
      experimentId: exp.id,
      active: run.deletedTime === null,
      startTime: run.startTime,
      optimizer: run.params.optimizer,
      latest: { val_loss: latest.val_loss, val_acc: latest.val_acc },
    });
    if (onProgress && ((i + 1) % 500 === 0 || i + 1 === runs)) onProgress(i + 1, runs);
  }
  await pool.drain();
  const active = summary.filter((r) => r.active);
  const ordered = [...active].sort(byLatestAsc('val_loss'));
  const filtered = ordered.filter((r) => r.optimizer === 'adam' && r.latest.val_acc > 0.9);
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    kind: 'runs',
    options: { runs, experiments, steps, seed, artifactRoot },
    layout: { params: PARAM_KEYS, tags: TAG_KEYS, metrics: METRIC_KEYS },
    experiments: exps.map((e) => ({ id: e.id, name: e.name })),
    // Every run as [experiment id, run id, active]; enough to list the files a query reads.
    runs: summary.map((r) => [r.experimentId, r.id, r.active]),
    expected: {
      activeRuns: active.length,
      orderByValLoss: ordered.slice(0, 20).map((r) => r.id),
      filtered: filtered.slice(0, 20).map((r) => r.id),
      filteredCount: filtered.length,
      bestValLoss: ordered[0]?.id ?? null,
    },
  };
  fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  return manifest;
}

/**
 * Writes a store with one experiment and two runs whose `loss` metric has `points` and
 * `referencePoints` lines (so memory can be compared across history lengths), streamed to
 * disk in chunks. Returns the manifest (also written to `<out>/manifest.json`).
 */
export async function generateHistoryStore({
  out,
  points = 1_000_000,
  referencePoints = Math.floor(points * 0.3),
  seed = 11,
  artifactRoot = DEFAULT_ARTIFACT_ROOT,
  onProgress,
}) {
  const root = path.join(out, 'mlruns');
  if (fs.existsSync(root)) throw new Error(`${root} already exists`);
  const rng = createRng(seed);
  writeStoreSkeleton(root, artifactRoot);
  const [exp] = makeExperiments(rng, root, 1, artifactRoot);
  const runs = [];
  let startTime = BASE_TIME;
  for (const n of [points, Math.max(1, referencePoints)]) {
    startTime += 3_600_000;
    const run = planRun(rng, runs.length, exp, artifactRoot, startTime, 1);
    run.status = 3;
    run.deletedTime = null;
    run.endTime = startTime + n * 10 + 1000;
    const runDir = path.join(root, exp.id, run.id);
    // The usual six metrics with one step each, plus the long history.
    await writeRun(runDir, run, metricFiles(rng, run, 1).files);
    const fd = fs.openSync(path.join(runDir, 'metrics', HISTORY_METRIC), 'w');
    try {
      let chunk = '';
      for (let s = 0; s < n; s++) {
        const v = 2.5 * Math.exp(-s / (n / 5)) + 0.05 + 0.1 * rng.next();
        chunk += `${startTime + 1000 + s * 10 + (s % 7)} ${pyRepr(v)} ${s}\n`;
        if (chunk.length > 1 << 20) {
          fs.writeSync(fd, chunk);
          chunk = '';
          if (onProgress) onProgress(s + 1, n);
        }
      }
      fs.writeSync(fd, chunk);
    } finally {
      fs.closeSync(fd);
    }
    runs.push({ id: run.id, points: n });
  }
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    kind: 'history',
    options: { points, referencePoints, seed, artifactRoot },
    experiments: [{ id: exp.id, name: exp.name }],
    metric: HISTORY_METRIC,
    historyRuns: runs.map((r) => ({ experimentId: exp.id, id: r.id, points: r.points })),
  };
  fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  return manifest;
}

function parseArgs(argv) {
  const opts = { out: null, runs: 1000, experiments: 4, steps: 100, seed: undefined, history: 0, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${a} needs a non-negative integer, got '${v}'`);
      return Number(v);
    };
    if (a === '--out') opts.out = value();
    else if (a === '--runs') opts.runs = int();
    else if (a === '--experiments') opts.experiments = int();
    else if (a === '--steps') opts.steps = int();
    else if (a === '--seed') opts.seed = int();
    else if (a === '--history') opts.history = int();
    else if (a === '--force') opts.force = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option '${a}'`);
  }
  return opts;
}

const USAGE = `usage: node bench/generate.mjs --out DIR [--runs N] [--experiments E] [--steps S] [--seed N] [--force]
       node bench/generate.mjs --out DIR --history POINTS [--seed N] [--force]
Writes DIR/mlruns (a deterministic MLflow 2.12 file store) and DIR/manifest.json.
Defaults: --runs 1000 --experiments 4 --steps 100 --seed 7 (history: --seed 11).`;

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(USAGE);
      return;
    }
    if (!opts.out) throw new Error('--out is required');
    if (opts.experiments < 1) throw new Error('--experiments must be at least 1');
  } catch (err) {
    console.error(`generate: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const out = path.resolve(opts.out);
  if (fs.existsSync(path.join(out, 'mlruns'))) {
    if (!opts.force) {
      console.error(`generate: ${out}/mlruns exists (use --force to replace it)`);
      process.exitCode = 1;
      return;
    }
    fs.rmSync(out, { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const progress = (what) => (done, total) => process.stderr.write(`\rgenerate: ${done}/${total} ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const manifest =
    opts.history > 0
      ? await generateHistoryStore({ out, points: opts.history, seed: opts.seed, onProgress: progress('points') })
      : await generateStore({ out, runs: opts.runs, experiments: opts.experiments, steps: opts.steps, seed: opts.seed, onProgress: progress('runs') });
  process.stderr.write(`\ngenerate: wrote ${path.join(out, 'mlruns')} (${manifest.kind}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
