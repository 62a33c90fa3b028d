/**
 * No command reaches past the store interfaces (issue 12): the whole CLI runs on an
 * in-memory backend that implements src/store/backend.ts and has no files at all
 * (test/memory-backend.ts), holding a copy of fixtures/mlruns read through the interfaces,
 * and every read command prints exactly what it prints on the file store itself. Writes
 * made through the CLI land in the memory backend and read back through the CLI.
 */
import { Readable, Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Backend } from '../../src/store/backend.js';
import { openBackend } from '../../src/store/open.js';
import { resolveTrackingUri } from '../../src/store/root.js';
import { MemoryBackend } from '../memory-backend.js';
import { READS, SWEEP_RUN } from './read-battery.js';
import { FIXTURE, REPO } from '../helpers.js';

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(args: string[], backend: Backend | undefined, env: Record<string, string> = {}): Promise<Out> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runCli({
    argv: ['--store', FIXTURE, ...args],
    env: { MLR_NOW: '1795400000000', ...env },
    cwd: REPO,
    stdin: Readable.from([]),
    stdout,
    stderr,
    signals: { on() {}, off() {} },
    inheritable: false,
    ...(backend ? { openBackend: async () => backend } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** mlr_local_path (a local folder) is what only a backend with local files can say. */
const withoutLocalPaths = (s: string): string => s.replace(/\n\s*"mlr_local_path": [^\n]*,?(?=\n)/g, '');

let memory: MemoryBackend;
beforeAll(async () => {
  const file = await openBackend(resolveTrackingUri(FIXTURE, {}, REPO), { cwd: REPO });
  memory = await MemoryBackend.copyOf(file);
});

describe('every read command on a backend with no files prints what it prints on the file store', () => {
  it.each(READS.map((a) => [a.join(' '), a] as const))('mlr %s', async (_name, args) => {
    const onFiles = await run(args, undefined);
    const onMemory = await run(args, memory);
    expect(onFiles.code).toBe(0);
    expect(onMemory.stderr.replace(/^mlr: .*\n/gm, '')).toBe('');
    expect({ code: onMemory.code, stdout: withoutLocalPaths(onMemory.stdout) }).toEqual({ code: onFiles.code, stdout: withoutLocalPaths(onFiles.stdout) });
  });

  it('the same in terminal mode (aligned tables, relative times)', async () => {
    const env = { MLR_FORCE_TTY: '1', COLUMNS: '140' };
    for (const args of [
      ['runs', 'ls', '-e', 'sweep', '--max-results', '8'],
      ['runs', 'describe', SWEEP_RUN],
      ['models', 'ls'],
    ]) {
      const a = await run(args, undefined, env);
      const b = await run(args, memory, env);
      expect(b.stdout).toBe(a.stdout);
    }
  });
});

describe('write commands go through the writer interface', () => {
  it('create, log, tag, end, rename, delete and restore, then read back through the CLI', async () => {
    const mem = await MemoryBackend.copyOf(await openBackend(resolveTrackingUri(FIXTURE, {}, REPO), { cwd: REPO }));
    const exp = await run(['experiments', 'create', 'iface', '--tag', 'owner=ana'], mem);
    expect(exp).toMatchObject({ code: 0, stderr: '' });
    const id = (await run(['runs', 'create', '-e', 'iface', '--name', 'r1', '--tag', 'k=v'], mem)).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const args of [
      ['log-metric', id, 'loss', '0.5', '--step', '1', '--timestamp', '1700000000000'],
      ['log-metrics', id, 'loss=0.25', 'acc=0.9', '--step', '2', '--timestamp', '1700000000001'],
      ['log-param', id, 'lr', '0.01'],
      ['set-tag', id, 'stage', 'train'],
      ['delete-tag', id, 'k'],
      ['runs', 'end', id, '--status', 'FAILED', '--end-time', '1700000000100'],
      ['runs', 'rename', id, 'r1-renamed'],
    ]) {
      const r = await run(args, mem);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    const d = JSON.parse((await run(['runs', 'describe', id, '--format', 'json'], mem)).stdout) as {
      info: { run_name: string; status: string; end_time: number };
      data: { metrics: unknown[]; params: unknown[]; tags: { key: string; value: string }[] };
    };
    expect(d.info).toMatchObject({ run_name: 'r1-renamed', status: 'FAILED', end_time: 1700000000100 });
    expect(d.data.metrics).toEqual([
      { key: 'acc', value: 0.9, timestamp: 1700000000001, step: 2 },
      { key: 'loss', value: 0.25, timestamp: 1700000000001, step: 2 },
    ]);
    expect(d.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(d.data.tags.filter((t) => !t.key.startsWith('mlflow.'))).toEqual([{ key: 'stage', value: 'train' }]);
    expect((await run(['runs', 'delete', id], mem)).code).toBe(0);
    expect((await run(['runs', 'ls', '-e', 'iface', '--format', 'ids'], mem)).stdout).toBe('');
    expect((await run(['runs', 'restore', id], mem)).code).toBe(0);
    expect((await run(['runs', 'ls', '-e', 'iface', '--format', 'ids'], mem)).stdout).toBe(id + '\n');
  });

  it('the file-store-only commands say so on another backend (exit 2)', async () => {
    for (const args of [['doctor'], ['gc'], ['trash', 'ls'], ['runs', 'mv', SWEEP_RUN, '--to', 'Default']]) {
      const r = await run(args, memory);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^mlr: mlr .* works on a local file store \(mlruns\/\) only/);
    }
  });
});
