/**
 * issue 11 #25: `log-metric` while `runs mv` moves the run exited 0 but its line landed in a
 * recreated orphan folder (59 of 60 lines kept), which then blocked moving back. A writer
 * whose run folder vanished follows the run to where it was moved, and never recreates the
 * old folder; a run that is gone is a loud error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlr, tempDir } from '../helpers.js';
import { RunWriter } from '../../src/store/file/run-writes.js';
import type { FileRunEntry } from '../../src/store/file/store.js';

async function setup() {
  const work = tempDir('mvrace');
  const store = path.join(work, 'mlruns');
  const ok = async (...args: string[]): Promise<string> => {
    const r = await mlr(['--store', store, ...args], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const a = await ok('experiments', 'create', 'a');
  const b = await ok('experiments', 'create', 'b');
  const run = await ok('runs', 'create', '-e', 'a');
  return { work, store, ok, a, b, run };
}

/** A RunWriter that writes to a run entry found before the move (the race, made certain). */
class StaleWriter extends RunWriter {
  stale?: FileRunEntry;
  override activeRun(idOrPrefix: string): FileRunEntry {
    this.stale ??= super.activeRun(idOrPrefix);
    return this.stale;
  }
}

describe('writing to a run that runs mv moves meanwhile (issue 11 #25)', () => {
  it('a writer holding the old folder follows the run; no orphan folder; moving back works', async () => {
    const { work, store, ok, a, b, run } = await setup();
    const w = new StaleWriter({ root: store, artifactRoot: store, cwd: work });
    w.activeRun(run); // found in experiment a
    await ok('runs', 'mv', run, '--to', 'b');
    w.logMetrics(run, [{ key: 'loss', value: 1, step: 1, timestamp: 1700000000000 }]);
    w.logParams(run, [{ key: 'lr', value: '0.1' }]);
    w.setTags(run, [{ key: 'stage', value: 'x' }]);
    expect(fs.existsSync(path.join(store, a, run))).toBe(false);
    expect(fs.readFileSync(path.join(store, b, run, 'metrics', 'loss'), 'utf8')).toBe('1700000000000 1.0 1\n');
    expect(fs.readFileSync(path.join(store, b, run, 'params', 'lr'), 'utf8')).toBe('0.1');
    expect(fs.readFileSync(path.join(store, b, run, 'tags', 'stage'), 'utf8')).toBe('x');
    await ok('runs', 'mv', run, '--to', 'a');
    expect(fs.existsSync(path.join(store, b, run))).toBe(false);
  });

  it('a move killed half-way (folder renamed, meta.yaml not rewritten): a long-running writer gives up after ~100 ms, not 5 s', async () => {
    const { work, store, a, b, run } = await setup();
    // asyncLock: mlr server's writer, whose wait blocks its event loop (the CLI's waits 5 s)
    const w = new StaleWriter({ root: store, artifactRoot: store, cwd: work, asyncLock: true });
    w.activeRun(run); // found in experiment a, before the move
    fs.renameSync(path.join(store, a, run), path.join(store, b, run));
    const t0 = performance.now();
    expect(() => w.logMetrics(run, [{ key: 'loss', value: 1, step: 1, timestamp: 1 }])).toThrow(/is broken: .*says experiment_id/);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(fs.existsSync(path.join(store, a, run))).toBe(false);
    expect(fs.existsSync(path.join(store, b, run, 'metrics', 'loss'))).toBe(false);
  });

  it('a run purged meanwhile is an error naming it, and nothing is recreated', async () => {
    const { work, store, a, run } = await setup();
    const w = new StaleWriter({ root: store, artifactRoot: store, cwd: work });
    w.activeRun(run);
    fs.rmSync(path.join(store, a, run), { recursive: true });
    expect(() => w.logMetrics(run, [{ key: 'loss', value: 1, step: 1, timestamp: 1 }])).toThrow(
      `run ${run} is gone from ${path.join(store, a, run)} (moved or deleted while logging); not written`,
    );
    expect(fs.existsSync(path.join(store, a, run))).toBe(false);
  });
});
