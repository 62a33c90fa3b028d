/**
 * The store lock (src/store/file/lock.ts): who may break it and when, and that a holder killed
 * at any instant never leaves a lock the next writer must wait out. Regression: a holder
 * killed between creating `.mlr-lock` and writing its pid left an empty file that only age
 * (30 s) could break, while waiters gave up after 15 s — CI saw "the store is locked".
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { LOCK_NAME, withLock } from '../../src/store/file/lock.js';
import { REPO, tempDir, reap } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('lock');
});

const lockFile = () => path.join(dir, LOCK_NAME);
const age = (file: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  fs.utimesSync(file, t, t);
};
/** A pid that surely belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('withLock', () => {
  it('holds the lock file with its owner line while fn runs, and removes it after', () => {
    const seen = withLock(dir, () => fs.readFileSync(lockFile(), 'utf8'));
    expect(seen.split('\n').slice(0, 2)).toEqual([String(process.pid), os.hostname()]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('removes the lock even when fn throws', () => {
    expect(() =>
      withLock(dir, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('breaks at once a lock whose owner (this host) has exited, however young', () => {
    fs.writeFileSync(lockFile(), `${deadPid()}\n${os.hostname()}\nx\n`);
    expect(withLock(dir, () => 'got it', { timeoutMs: 500, staleMs: 60_000 })).toBe('got it');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('never breaks by age a lock whose owner on this host is alive', () => {
    fs.writeFileSync(lockFile(), `${process.ppid}\n${os.hostname()}\nx\n`);
    age(lockFile(), 3_600_000);
    expect(() => withLock(dir, () => 'stolen', { timeoutMs: 200, staleMs: 1 })).toThrow(
      `the store is locked by another mlr process (pid ${process.ppid}): ${lockFile()}. If no mlr command is running, delete that file.`,
    );
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n${os.hostname()}\nx\n`);
  });

  it("breaks another host's lock and an empty lock only once older than staleMs", () => {
    for (const content of [`123\nsome-other-host\nx\n`, '']) {
      fs.writeFileSync(lockFile(), content);
      expect(() => withLock(dir, () => 'early', { timeoutMs: 150, staleMs: 60_000 })).toThrow(/the store is locked by another mlr process/);
      age(lockFile(), 61_000);
      expect(withLock(dir, () => 'late', { timeoutMs: 500, staleMs: 60_000 })).toBe('late');
      expect(fs.existsSync(lockFile())).toBe(false);
    }
  });

  it('the default staleness is below the default timeout, so no lock outlives every waiter', () => {
    fs.writeFileSync(lockFile(), '');
    age(lockFile(), 10_500);
    expect(withLock(dir, () => 'ok', { timeoutMs: 300 })).toBe('ok');
  });

  it('a holder SIGKILLed at any moment never blocks the next writer', async () => {
    // beside the lock's folder (its listing is checked), removed with it even if the test times out
    const worker = path.join(tempDir('lock-worker'), 'worker.mjs');
    fs.writeFileSync(
      worker,
      `import { withLock } from ${JSON.stringify(path.join(REPO, 'dist', 'store', 'file', 'lock.js'))};
const dir = process.argv[2];
process.stdout.write('ready\\n');
for (;;) withLock(dir, () => {});
`,
    );
    const killed: number[] = [];
    for (let round = 0; round < 25; round++) {
      const child = reap(spawn(process.execPath, [worker, dir], { stdio: ['ignore', 'pipe', 'inherit'] }));
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // far below the 10 s age limit: only a lock naming its (dead) owner can be broken this fast
      expect(withLock(dir, () => round, { timeoutMs: 1_000 })).toBe(round);
      const left = fs.readdirSync(dir);
      expect(left.filter((n) => n === LOCK_NAME || n === '')).toEqual([]);
      // a kill may leave the killed holder's temp file behind, named like every mlr temp file
      // (doctor reports those), or a lock it was setting aside as stale
      killed.push(child.pid!);
      const temp = new RegExp(`^\\.mlr-tmp-(${killed.join('|')})-[0-9a-f]{12}$`);
      expect(left.filter((n) => !temp.test(n) && !n.startsWith(`${LOCK_NAME}.stale-`))).toEqual([]);
    }
  });
});
