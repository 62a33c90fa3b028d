/**
 * Issue 7: listing ordered by a metric must read only what it needs — every run's
 * meta.yaml and that one metric, never the params/tags/other metrics of runs it does not
 * show. Black-box: the BUILT CLI runs on a generated store with a preloaded module that
 * records every file it opens (fs is patched before mlr's modules load).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateStore, type RunsManifest } from '../../bench/generate.mjs';
import { BIN, tempDir } from '../helpers.js';

const HOOK = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const opened = [];
const note = (p) => { if (typeof p === 'string') opened.push(p); else if (p instanceof URL) opened.push(p.pathname); };
for (const name of ['readFileSync', 'openSync', 'createReadStream']) {
  const orig = fs[name];
  fs[name] = function (p, ...rest) { note(p); return orig.call(this, p, ...rest); };
}
for (const name of ['readFile', 'open']) {
  const orig = fs.promises[name];
  fs.promises[name] = function (p, ...rest) { note(p); return orig.call(this, p, ...rest); };
}
syncBuiltinESMExports();
const out = process.env.MLR_TEST_OPENED;
const origWrite = fs.writeFileSync;
process.on('exit', () => origWrite(out, JSON.stringify(opened)));
`;

let tmp: string;
let root: string;
let manifest: RunsManifest;
let hook: string;

beforeAll(async () => {
  tmp = tempDir('bench-reads');
  manifest = await generateStore({ out: path.join(tmp, 'store'), runs: 120, experiments: 2, steps: 3, seed: 6 });
  root = path.join(tmp, 'store', 'mlruns');
  hook = path.join(tmp, 'hook.mjs');
  fs.writeFileSync(hook, HOOK);
});

/** Runs mlr and returns its stdout and the store files it opened, relative to the root. */
function opens(args: string[]): { stdout: string; files: string[] } {
  const log = path.join(tmp, `opened-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, BIN, ...args], {
    env: { ...process.env, MLFLOW_TRACKING_URI: root, MLR_TEST_OPENED: log, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const all = JSON.parse(fs.readFileSync(log, 'utf8')) as string[];
  const files = all.map((p) => path.relative(root, path.resolve(p))).filter((p) => !p.startsWith('..'));
  return { stdout: r.stdout, files };
}

/** `<exp>/<run>/<kind>/<key>` → kind ('params', 'tags', 'metrics/val_loss', 'meta.yaml', …) */
function kinds(files: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of files) {
    const parts = f.split(path.sep);
    if (parts.length < 3) continue; // experiment meta.yaml
    const kind = parts[2] === 'metrics' ? `metrics/${parts.slice(3).join('/')}` : parts[2]!;
    if (!out.has(kind)) out.set(kind, new Set());
    out.get(kind)!.add(parts[1]!);
  }
  return out;
}

describe('files opened by listings on a generated store (120 runs)', () => {
  const activeIds = (): string[] => manifest.runs.filter(([, , a]) => a).map(([, id]) => id);

  it('runs ls --order-by metrics.val_loss --format ids: meta.yaml and val_loss only', () => {
    const { stdout, files } = opens(['runs', 'ls', '--order-by', 'metrics.val_loss ASC', '--format', 'ids']);
    expect(stdout.split('\n').slice(0, 20)).toEqual(manifest.expected.orderByValLoss);
    const k = kinds(files);
    expect([...k.keys()].sort()).toEqual(['meta.yaml', 'metrics/val_loss']);
    expect(k.get('meta.yaml')!.size).toBe(manifest.runs.length);
    expect([...k.get('metrics/val_loss')!].sort()).toEqual(activeIds().sort());
    // each val_loss file opened once
    expect(files.filter((f) => f.endsWith(`${path.sep}val_loss`))).toHaveLength(activeIds().length);
  });

  it('the default table with --max-results 20 reads params, tags and other metrics of the 20 shown runs only', () => {
    const { files } = opens(['runs', 'ls', '--order-by', 'metrics.val_loss ASC', '--max-results', '20']);
    const shown = new Set(manifest.expected.orderByValLoss);
    for (const [kind, runs] of kinds(files)) {
      if (kind === 'meta.yaml' || kind === 'metrics/val_loss') continue;
      for (const id of runs) expect(shown.has(id), `${kind} of unshown run ${id}`).toBe(true);
    }
    expect([...kinds(files).get('metrics/val_loss')!].sort()).toEqual(activeIds().sort());
  });

  it('a filter on a param and a metric reads those files, each only for runs the clauses before it let through', () => {
    // what each active run holds, read straight from the generated files: its optimizer and
    // latest val_acc (the line with the largest (step, timestamp, value))
    const latest = (file: string): number => {
      const lines = fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number) as [number, number, number]);
      lines.sort((a, b) => a[2] - b[2] || a[0] - b[0] || a[1] - b[1]);
      return lines[lines.length - 1]![1];
    };
    const active = manifest.runs.filter(([, , a]) => a).map(([exp, id]) => ({ id, dir: path.join(root, exp, id) }));
    const adam = active
      .filter((r) => fs.readFileSync(path.join(r.dir, 'params', 'optimizer'), 'utf8') === 'adam')
      .map((r) => ({ ...r, acc: latest(path.join(r.dir, 'metrics', 'val_acc')) }));
    // a threshold half of the adam runs pass, so the matches need sorting
    const accs = adam.map((r) => r.acc).sort((a, b) => a - b);
    const threshold = accs[accs.length >> 1]!;
    const matches = adam.filter((r) => r.acc > threshold).map((r) => r.id);
    expect(matches.length).toBeGreaterThan(1);
    expect(adam.length).toBeLessThan(active.length);

    const { stdout, files } = opens([
      'runs',
      'ls',
      '--order-by',
      'metrics.val_loss ASC',
      '--filter',
      `params.optimizer = 'adam' and metrics.val_acc > ${threshold}`,
      '--format',
      'ids',
    ]);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual([...matches].sort());
    const k = kinds(files);
    expect([...k.keys()].sort()).toEqual(['meta.yaml', 'metrics/val_acc', 'metrics/val_loss', 'params']);
    expect([...k.get('params')!].sort()).toEqual(active.map((r) => r.id).sort());
    const params = files.filter((f) => f.split(path.sep)[2] === 'params').map((f) => path.basename(f));
    expect(new Set(params)).toEqual(new Set(['optimizer']));
    // val_acc only where optimizer = 'adam'; val_loss (the sort key) only for the matches
    expect([...k.get('metrics/val_acc')!].sort()).toEqual(adam.map((r) => r.id).sort());
    expect([...k.get('metrics/val_loss')!].sort()).toEqual([...matches].sort());
  });

  it("the generator's own filtered answer (val_acc > 0.9) is what mlr prints", () => {
    const { stdout } = opens([
      'runs',
      'ls',
      '--order-by',
      'metrics.val_loss ASC',
      '--filter',
      "params.optimizer = 'adam' and metrics.val_acc > 0.9",
      '--format',
      'ids',
    ]);
    expect(stdout.split('\n').filter(Boolean)).toEqual(manifest.expected.filtered);
  });

  it('runs best --metric val_loss --min --format id: meta.yaml and val_loss only', () => {
    const { stdout, files } = opens(['runs', 'best', '--metric', 'val_loss', '--min', '--format', 'id']);
    expect(stdout.trim()).toBe(manifest.expected.bestValLoss);
    expect([...kinds(files).keys()].sort()).toEqual(['meta.yaml', 'metrics/val_loss']);
  });
});
