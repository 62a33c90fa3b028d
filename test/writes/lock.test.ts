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
import { LOCK_NAME, withLock, withLockAsync } from '../../src/store/file/lock.js';
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

/** A process holding the lock (the CLI's withLock) for `ms` once it prints "ready". */
async function holder(ms: number): Promise<{ exited: Promise<unknown> }> {
  const lock = JSON.stringify(path.join(REPO, 'dist', 'store', 'file', 'lock.js'));
  const code = `import { withLock } from ${lock};
withLock(process.argv[1], () => { process.stdout.write('ready\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms}); });`;
  const child = reap(spawn(process.execPath, ['--input-type=module', '-e', code, dir], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { exited: new Promise((r) => child.once('exit', r)) };
}

describe('withLockAsync (the server)', () => {
  it('waits for a lock another process holds without blocking the event loop, then holds the same file', async () => {
    const other = await holder(1000);
    let ticks = 0;
    let gap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
      ticks++;
    }, 10);
    try {
      const t0 = performance.now();
      const seen = await withLockAsync(dir, () => ({ text: fs.readFileSync(lockFile(), 'utf8'), waited: performance.now() - t0 }));
      expect(seen.text.split('\n').slice(0, 2)).toEqual([String(process.pid), os.hostname()]);
      expect(seen.waited).toBeGreaterThan(500);
      // the loop kept turning while the lock was waited for (Atomics.wait would have stalled it for the whole wait)
      expect(ticks).toBeGreaterThan(10);
      expect(gap).toBeLessThan(seen.waited / 2);
    } finally {
      clearInterval(timer);
    }
    await other.exited;
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("excludes the CLI's withLock while held, and a withLock inside its section runs at once", async () => {
    const lock = JSON.stringify(path.join(REPO, 'dist', 'store', 'file', 'lock.js'));
    const code = `import { withLock } from ${lock};
try { withLock(process.argv[1], () => {}, { timeoutMs: 300 }); process.stdout.write('got it'); } catch (e) { process.stdout.write(e.message); }`;
    const out = await withLockAsync(dir, () => {
      const inner = withLock(dir, () => 'nested', { timeoutMs: 100 });
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, dir], { encoding: 'utf8' });
      return { inner, other: r.stdout };
    });
    expect(out.inner).toBe('nested');
    expect(out.other).toBe(`the store is locked by another mlr process (pid ${process.pid}): ${lockFile()}. If no mlr command is running, delete that file.`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('callers in one process take turns in order; a section that throws releases the lock', async () => {
    const order: number[] = [];
    const results = await Promise.allSettled(
      [0, 1, 2, 3].map((i) =>
        withLockAsync(dir, () => {
          expect(fs.existsSync(lockFile())).toBe(true);
          order.push(i);
          if (i === 1) throw new Error('boom');
          return i;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('gives up after timeoutMs with the same message as withLock', async () => {
    fs.writeFileSync(lockFile(), `${process.ppid}\n${os.hostname()}\nx\n`);
    await expect(withLockAsync(dir, () => 'stolen', { timeoutMs: 200 })).rejects.toThrow(
      `the store is locked by another mlr process (pid ${process.ppid}): ${lockFile()}. If no mlr command is running, delete that file.`,
    );
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n${os.hostname()}\nx\n`);
  });
});
