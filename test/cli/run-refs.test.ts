/**
 * Issue 11 item 14: runs referred to as people do — a unique run name, `latest`, `latest~N`
 * — besides ids and prefixes, in every command that takes a run.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE, copyStore, mlr } from '../helpers.js';

const S = ['--store', FIXTURE];
const ADAMW = '0fcd845b07194992b396ad2f7047d7eb';

const idOf = async (store: string[], ref: string): Promise<string> => {
  const r = await mlr([...store, 'runs', 'describe', ref, '--format', 'json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout).info.run_id;
};

describe('reading', () => {
  it('describe by run name', async () => {
    expect(await idOf(S, 'AdamW-lr1e-4-bs32')).toBe(ADAMW);
  });
  it('latest and latest~N are the newest runs, in runs ls order', async () => {
    const ls = (await mlr([...S, 'runs', 'ls', '--format', 'ids', '--max-results', '3'])).stdout.trim().split('\n');
    expect(await idOf(S, 'latest')).toBe(ls[0]);
    expect(await idOf(S, 'latest~0')).toBe(ls[0]);
    expect(await idOf(S, 'latest~2')).toBe(ls[2]);
  });
  it('plot takes a name', async () => {
    const r = await mlr([...S, 'plot', 'AdamW-lr1e-4-bs32', '--metric', 'val_loss', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(new RegExp(`^${ADAMW},`));
  });
  it('diff and metrics history take names', async () => {
    const d = await mlr([...S, 'runs', 'diff', 'AdamW-lr1e-4-bs32', 'rmsprop-lr1e-4-bs64', '--format', 'json']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(ADAMW);
    const h = await mlr([...S, 'metrics', 'history', 'AdamW-lr1e-4-bs32', 'val_loss', '--format', 'csv']);
    const byId = await mlr([...S, 'metrics', 'history', ADAMW, 'val_loss', '--format', 'csv']);
    expect(h.code).toBe(0);
    expect(h.stdout).toBe(byId.stdout);
  });
  it('an unknown name, and latest past the end, say so', async () => {
    const r = await mlr([...S, 'runs', 'describe', 'no-such-run']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe("mlr: no run named 'no-such-run' in the active experiments (and 'no-such-run' is not a run id)\n");
    const l = await mlr([...S, 'runs', 'describe', 'latest~999']);
    expect(l.code).toBe(1);
    expect(l.stderr).toMatch(/^mlr: 'latest~999': the active experiments hold \d+ runs\n$/);
  });
  it('ids and prefixes work as before', async () => {
    expect(await idOf(S, '0fcd845b')).toBe(ADAMW);
  });
});

describe('an ambiguous name', () => {
  it('lists the candidates', async () => {
    const store = copyStore();
    const T = ['--store', store];
    expect((await mlr([...T, 'runs', 'rename', 'rmsprop-lr1e-4-bs64', 'twin'])).code).toBe(0);
    expect((await mlr([...T, 'runs', 'rename', ADAMW, 'twin'])).code).toBe(0);
    const r = await mlr([...T, 'runs', 'describe', 'twin']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlr: run name 'twin' is ambiguous: 2 runs have it: 65035d79 (sweep), 0fcd845b (sweep); give an id prefix\n");
  });
});

describe('writing', () => {
  it('log-metric, set-tag and runs end take a run name', async () => {
    const store = copyStore();
    const T = ['--store', store];
    const created = (await mlr([...T, 'runs', 'create', '-e', 'sweep', '--name', 'fresh'])).stdout.trim();
    expect((await mlr([...T, 'log-metric', 'fresh', 'loss', '0.5'])).code).toBe(0);
    expect((await mlr([...T, 'set-tag', 'latest', 'k', 'v'])).code).toBe(0);
    expect((await mlr([...T, 'runs', 'end', 'fresh'])).code).toBe(0);
    const d = JSON.parse((await mlr([...T, 'runs', 'describe', created, '--format', 'json'])).stdout);
    expect(d.data.metrics).toEqual([expect.objectContaining({ key: 'loss', value: 0.5 })]);
    expect(d.data.tags).toContainEqual({ key: 'k', value: 'v' });
    expect(d.info.status).toBe('FINISHED');
  });
});
