import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { appendLine, atomicWriteFile, createExclusive, ensureDir } from '../../src/store/file/atomic.js';
import { withLock } from '../../src/store/file/lock.js';
import { dumpYaml } from '../../src/store/file/yaml-dump.js';
import { parse11, REPO } from './helpers.js';
import { tempDir, reap } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('write');
});

/**
 * Run a worker script with plain node against the build (dist/, made by `npm test`): no tsx,
 * which costs a second of start-up per process and leaves its cache in the temp folder.
 */
const nodeScript = (script: string, args: string[] = []) => [process.execPath, [script, ...args]] as const;
const stray = (d: string) => readdirSync(d).filter((n) => n.startsWith('.mlr-tmp-'));

describe('atomicWriteFile', () => {
  it('creates and replaces a file, leaving no temp file', () => {
    const f = path.join(dir, 'meta.yaml');
    atomicWriteFile(f, 'a: 1\n');
    expect(readFileSync(f, 'utf8')).toBe('a: 1\n');
    atomicWriteFile(f, 'a: 2\n');
    expect(readFileSync(f, 'utf8')).toBe('a: 2\n');
    expect(stray(dir)).toEqual([]);
  });
  it('keeps the permission bits of the file it replaces', () => {
    const f = path.join(dir, 'meta.yaml');
    writeFileSync(f, 'old');
    chmodSync(f, 0o600);
    atomicWriteFile(f, 'new');
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });
  it('puts the temp file in tempDir, so nothing ever appears inside params/', () => {
    const run = path.join(dir, 'run');
    const params = path.join(run, 'params', 'layers', '0');
    ensureDir(params);
    const seen: string[] = [];
    // watch the params tree while writing many times
    for (let i = 0; i < 50; i++) {
      atomicWriteFile(path.join(params, 'units'), String(i), { tempDir: run });
      seen.push(...readdirSync(params));
    }
    expect(new Set(seen)).toEqual(new Set(['units']));
    expect(stray(run)).toEqual([]);
    expect(readFileSync(path.join(params, 'units'), 'utf8')).toBe('49');
  });
  it('cleans up and leaves the target alone when the rename fails', () => {
    const target = path.join(dir, 'adir');
    mkdirSync(target);
    expect(() => atomicWriteFile(target, 'x')).toThrow();
    expect(statSync(target).isDirectory()).toBe(true);
    expect(stray(dir)).toEqual([]);
  });
  it('writes exact bytes (no newline added, UTF-8)', () => {
    const f = path.join(dir, 'note');
    atomicWriteFile(f, 'two\nlines é');
    expect(readFileSync(f)).toEqual(Buffer.from('two\nlines é', 'utf8'));
  });
});

describe('createExclusive', () => {
  it('creates a complete file once and refuses to replace it', () => {
    const f = path.join(dir, 'meta.yaml');
    expect(createExclusive(f, 'first')).toBe(true);
    expect(createExclusive(f, 'second')).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('first');
    expect(stray(dir)).toEqual([]);
  });
});

describe('appendLine', () => {
  it('creates the file and appends whole lines', () => {
    const f = path.join(dir, 'loss');
    appendLine(f, '1 0.5 0\n');
    appendLine(f, '2 0.25 1\n');
    expect(readFileSync(f, 'utf8')).toBe('1 0.5 0\n2 0.25 1\n');
  });

  it('8 processes × 500 appends to one file: exactly 4000 whole lines', async () => {
    const f = path.join(dir, 'metric');
    const script = path.join(dir, 'appender.mjs');
    writeFileSync(
      script,
      `import { appendLine } from ${JSON.stringify(path.join(REPO, 'dist/store/file/atomic.js'))};\n` +
        `const id = process.argv[2];\n` +
        `for (let i = 0; i < 500; i++) appendLine(${JSON.stringify(f)}, \`\${1700000000000 + i} \${id}.\${String(i).padStart(40, '0')} \${i}\\n\`);\n`,
    );
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, p) =>
          new Promise<void>((resolve, reject) => {
            const [cmd, argv] = nodeScript(script, [String(p + 1)]);
            const child = reap(spawn(cmd, argv, { stdio: 'inherit', cwd: REPO }));
            child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender exited ${code}`))));
          }),
      ),
    );
    const lines = readFileSync(f, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4000);
    const re = /^(\d+) ([1-8])\.(\d{40}) (\d+)$/;
    const perProc = new Map<string, number[]>();
    for (const line of lines) {
      const m = re.exec(line);
      expect(m, line).not.toBeNull();
      const list = perProc.get(m![2]!) ?? [];
      list.push(Number(m![4]));
      perProc.set(m![2]!, list);
    }
    for (const [, steps] of perProc) expect(steps).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('withLock', () => {
  it('runs the function and removes the lock', () => {
    expect(withLock(dir, () => 42)).toBe(42);
    expect(existsSync(path.join(dir, '.mlr-lock'))).toBe(false);
  });
  it('breaks a lock left by a dead process', () => {
    writeFileSync(path.join(dir, '.mlr-lock'), `999999999\n${hostname()}\nx\n`);
    expect(withLock(dir, () => 'ok', { timeoutMs: 2000 })).toBe('ok');
  });
  it('times out with a clear message while a live process holds it', () => {
    writeFileSync(path.join(dir, '.mlr-lock'), `${process.pid}\n${hostname()}\nx\n`);
    expect(() => withLock(dir, () => 'never', { timeoutMs: 100 })).toThrow(/the store is locked by another mlr process \(pid \d+\)/);
  });
});

describe('crash safety: SIGKILL during meta.yaml rewrites', () => {
  it('never leaves an empty or invalid meta.yaml', async () => {
    const f = path.join(dir, 'meta.yaml');
    atomicWriteFile(f, dumpYaml({ name: 'start', n: 0 }));
    const script = path.join(dir, 'rewriter.mjs');
    writeFileSync(
      script,
      `import { atomicWriteFile } from ${JSON.stringify(path.join(REPO, 'dist/store/file/atomic.js'))};\n` +
        `import { dumpYaml } from ${JSON.stringify(path.join(REPO, 'dist/store/file/yaml-dump.js'))};\n` +
        `process.stdout.write('ready\\n');\n` +
        `for (let i = 1; ; i++) atomicWriteFile(${JSON.stringify(f)}, dumpYaml({ name: 'run ' + 'x'.repeat(i % 5000), n: i, tags: [] }));\n`,
    );
    for (let round = 0; round < 8; round++) {
      const [cmd, argv] = nodeScript(script);
      const child = reap(spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO }));
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const text = readFileSync(f, 'utf8');
      expect(text.length).toBeGreaterThan(0);
      const doc = parse11(text) as { name: string; n: number };
      expect(typeof doc.n).toBe('number');
      expect(dumpYaml(doc)).toBe(text);
    }
    // killed writers may leave temp files behind, never anything else
    expect(
      readdirSync(dir)
        .filter((n) => !n.startsWith('.mlr-tmp-'))
        .sort(),
    ).toEqual(['meta.yaml', 'rewriter.mjs']);
  });
});
