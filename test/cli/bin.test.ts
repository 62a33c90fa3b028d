/**
 * The built binary, as a user runs it: `bin/mlr.js` in its own node process. Everything
 * else runs the CLI in-process (test/helpers.ts `mlr`); these check that the shim, the
 * process's own streams, stdin and exit codes give the same results (NCU `bin.test.ts`).
 * Signals, EPIPE, start-up cost and multi-process writes have their own binary tests
 * (run, read, startup, concurrency).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE, REPO, copyStore, mlr, mlrBin } from '../helpers.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe('bin/mlr.js', () => {
  it('--version prints the package version, exit 0', () => {
    expect(mlrBin(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('--help lists the commands on stdout, exit 0, as the in-process CLI does', async () => {
    const r = mlrBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: mlr \[options\] \[command\]\n/);
    for (const cmd of ['experiments', 'runs', 'doctor', 'log-metric', 'models']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    expect(await mlr(['--help'])).toEqual(r);
  });

  it('runs ls --format json: the same JSON as in-process, parsed', async () => {
    const r = mlrBin(['--store', FIXTURE, 'runs', 'ls', '--view', 'all', '-e', 'sweep', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const runs = JSON.parse(r.stdout) as { info: { run_id: string; experiment_id: string } }[];
    expect(runs.length).toBeGreaterThan(10);
    expect(new Set(runs.map((x) => x.info.experiment_id))).toEqual(new Set(['234684999513866976']));
    expect(await mlr(['--store', FIXTURE, 'runs', 'ls', '--view', 'all', '-e', 'sweep', '--format', 'json'])).toEqual(r);
  });

  it('a usage error exits 2, the message and caret on stderr, nothing on stdout', () => {
    expect(mlrBin(['--store', FIXTURE, 'runs', 'ls', '--filter', 'metrics.x <'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "mlr: Invalid clause(s) in filter string: 'metrics.x', '<' — expected a value after '<' (a number, or a string in quotes)\n  metrics.x <\n             ^\n",
    });
  });

  it('log-batch --file - reads the process stdin', async () => {
    const store = copyStore();
    const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'sweep'])).stdout.trim();
    const body = JSON.stringify({ metrics: [{ key: 'acc', value: 0.5, timestamp: 1700000000000, step: 3 }], params: [{ key: 'layers', value: '3' }] });
    const r = mlrBin(['--store', store, 'log-batch', run, '--file', '-'], { input: body });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const exp = '234684999513866976';
    expect(fs.readFileSync(path.join(store, exp, run, 'metrics', 'acc'), 'utf8')).toBe('1700000000000 0.5 3\n');
    expect(fs.readFileSync(path.join(store, exp, run, 'params', 'layers'), 'utf8')).toBe('3');
  });
});
