/**
 * `mlr migrate` killed with SIGKILL at random moments (a real process on a generated
 * store): the database always passes `PRAGMA integrity_check`, and re-running completes
 * the migration with nothing lost or doubled. Also: the edge values of metric lines.
 */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateStore } from '../../bench/generate.mjs';
import { BIN, cleanEnv, copyStore, FIXTURE, mlr, seededRandom, tempDir } from '../helpers.js';
import { dumpDb, snapshot } from './helpers.js';

function killAfter(args: string[], cwd: string, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: 'ignore' });
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** integrity_check as a connection that may write sees it: a hot journal a kill left is rolled back first, as SQLite does. */
function integrity(file: string): string {
  const db = new Database(file);
  const r = db.pragma('integrity_check', { simple: true }) as string;
  db.close();
  return r;
}

describe('mlr migrate under kill -9', () => {
  it('into SQLite and into files: every kill leaves a sound target; re-running completes it exactly', async () => {
    const dir = tempDir('migrate-kill');
    // 18 batches of 7 runs (the last of 1): enough commit points for kills to land between and inside them
    const RUNS = 120;
    const STEPS = 20;
    await generateStore({ out: path.join(dir, 'gen'), runs: RUNS, experiments: 3, steps: STEPS, seed: 11 });
    const src = path.join(dir, 'gen', 'mlruns');
    const rand = seededRandom(5);
    // what a user sees of the source (migrate never writes to it): taken once for both targets
    const want = await snapshot(src, dir);
    for (const [to, probe] of [
      ['sqlite:///m.db', 'sqlite:///probe.db'],
      ['./files', './probe'],
    ] as const) {
      // kill moments within what a whole migration takes on this machine now (it got 4x
      // faster: fixed moments of 350-1,250 ms could all come after it had finished)
      const t0 = performance.now();
      expect(await killAfter(['migrate', '--from', src, '--to', probe, '--batch', '7'], dir, 120_000)).toBe(0);
      const whole = performance.now() - t0;
      let killed = 0;
      for (let i = 0; i < 3; i++) {
        const code = await killAfter(['migrate', '--from', src, '--to', to, '--batch', '7'], dir, Math.floor(whole * (0.2 + 0.7 * rand())));
        if (code === null) killed++;
        if (to.startsWith('sqlite') && fs.existsSync(path.join(dir, 'm.db'))) expect(integrity(path.join(dir, 'm.db'))).toBe('ok');
      }
      expect(killed, `${to}: no kill landed during a migration`).toBeGreaterThan(0);
      const r = await mlr(['migrate', '--from', src, '--to', to], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const row = r.stdout
        .split('\n')
        .find((l) => l.startsWith('runs'))!
        .slice(4)
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(row[0]! + row[1]!).toBe(RUNS); // created now + already there, nothing else
      expect(row.slice(2)).toEqual([0, 0, 0]);
      if (to.startsWith('sqlite')) {
        const db = path.join(dir, 'm.db');
        expect(integrity(db)).toBe('ok');
        const rows = dumpDb(db);
        expect(rows['runs']).toHaveLength(RUNS);
        expect(rows['metrics']).toHaveLength(RUNS * 6 * STEPS);
      } else {
        const leftovers = fs.readdirSync(path.join(dir, 'files'), { recursive: true }).filter((n) => String(n).includes('.mlr-tmp-'));
        expect(leftovers).toEqual([]);
      }
      expect(await snapshot(to, dir)).toEqual(want);
    }
  }, 240_000);

  it('edge values of metric lines survive: -0.0, nan, ±inf, int64 steps and timestamps, duplicate lines', async () => {
    const dir = tempDir('migrate');
    const src = copyStore(FIXTURE);
    const run = path.join(
      src,
      '0',
      fs.readdirSync(path.join(src, '0')).find((n) => /^[0-9a-f]{32}$/.test(n))!,
    );
    const lines = '9007199254740993 -0.0 9223372036854775807\n1 nan 0\n1 nan 0\n2 inf 1\n3 -inf -9223372036854775808\n4 1e-300 2\n';
    fs.writeFileSync(path.join(run, 'metrics', 'edge'), lines);
    expect((await mlr(['migrate', '--from', src, '--to', 'sqlite:///m.db'], { cwd: dir })).code).toBe(0);
    const db = new Database(path.join(dir, 'm.db'), { readonly: true });
    db.defaultSafeIntegers(true);
    const rows = db.prepare("SELECT timestamp, step, value, is_nan FROM metrics WHERE key = 'edge' ORDER BY timestamp").all();
    const latest = db.prepare("SELECT timestamp, step, value, is_nan FROM latest_metrics WHERE key = 'edge'").get();
    db.close();
    expect(rows).toEqual([
      { timestamp: 1n, step: 0n, value: 0, is_nan: 1n },
      { timestamp: 2n, step: 1n, value: 1.7976931348623157e308, is_nan: 0n },
      { timestamp: 3n, step: -9223372036854775808n, value: -1.7976931348623157e308, is_nan: 0n },
      { timestamp: 4n, step: 2n, value: 1e-300, is_nan: 0n },
      { timestamp: 9007199254740993n, step: 9223372036854775807n, value: 0, is_nan: 0n },
    ]);
    expect(latest).toEqual({ timestamp: 9007199254740993n, step: 9223372036854775807n, value: 0, is_nan: 0n });
    // file → file keeps the bytes; SQLite → file gives inf back (SQL has no -0 and one row per duplicate)
    expect((await mlr(['migrate', '--from', src, '--to', './copy'], { cwd: dir })).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'copy', path.relative(src, run), 'metrics', 'edge'), 'utf8')).toBe(lines);
    expect((await mlr(['migrate', '--from', 'sqlite:///m.db', '--to', './back'], { cwd: dir })).code).toBe(0);
    const back = fs.readFileSync(path.join(dir, 'back', path.relative(src, run), 'metrics', 'edge'), 'utf8');
    expect(back.split('\n').filter(Boolean).sort()).toEqual([
      '1 nan 0',
      '2 inf 1',
      '3 -inf -9223372036854775808',
      '4 1e-300 2',
      '9007199254740993 0.0 9223372036854775807',
    ]);
  });
});
