/**
 * Issue 11 item 16: `mlr completion bash|zsh|fish` and the `mlr __complete` its scripts
 * call — commands, flags, flag values, experiment names, runs (names, ids, latest) of the
 * store the command line names. Its speed is measured by `npm run bench` (scenario f).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { specOf } from '../../src/cli/complete.js';
import { buildProgram, groupsFor } from '../../src/program.js';
import { BIN, FIXTURE, REPO, cleanEnv, mlr, mlrBin, tempDir } from '../helpers.js';

const complete = async (...words: string[]): Promise<string[]> => {
  const r = await mlr(['__complete', '--', ...words]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
};
const S = ['--store', FIXTURE];

describe('mlr __complete', () => {
  it('commands and subcommands (hidden ones never)', async () => {
    expect(await complete('ru')).toEqual(['runs', 'run']);
    expect(await complete('exp')).toEqual(['experiments']);
    expect(await complete('runs', 'd')).toEqual(['describe', 'diff', 'delete']);
    expect(await complete('__')).toEqual([]);
  });
  it('flags of the command and the global ones', async () => {
    expect(await complete('runs', 'ls', '--ord')).toEqual(['--order-by']);
    expect(await complete('gc', '-')).toContain('--experiment');
    expect(await complete('runs', 'ls', '--st')).toEqual(['--store']);
  });
  it('flag values: formats, views, statuses', async () => {
    expect(await complete('runs', 'ls', '--format', '')).toEqual(['table', 'json', 'csv', 'tsv', 'md', 'ids']);
    expect(await complete('runs', 'describe', '--format', '')).toEqual(['json', 'table']);
    expect(await complete('runs', 'ls', '--view', 'd')).toEqual(['deleted']);
    expect(await complete('runs', 'end', '--status', '')).toEqual(['FINISHED', 'FAILED', 'KILLED']);
  });
  it('experiment names and metric keys from the store on the command line', async () => {
    expect(await complete(...S, 'runs', 'ls', '-e', '')).toEqual(['Default', 'nlp models', 'sweep']);
    expect(await complete(...S, 'plot', '--metric', 'val')).toEqual(['val_acc', 'val_loss']);
    expect(await complete(...S, 'experiments', 'describe', 's')).toEqual(['sweep']);
  });
  it('runs: latest and unique names, ids for a hex prefix', async () => {
    const all = await complete(...S, 'runs', 'describe', '');
    expect(all[0]).toBe('latest');
    expect(all).toContain('AdamW-lr1e-4-bs32');
    expect(await complete(...S, 'runs', 'diff', '65035d79', 'rmsprop-lr1e-4-bs6')).toEqual(['rmsprop-lr1e-4-bs64']);
    expect(await complete(...S, 'runs', 'describe', '0fcd')).toEqual(['0fcd845b07194992b396ad2f7047d7eb']);
    expect(await complete(...S, 'log-metric', 'AdamW-lr1e-4-bs3')).toEqual(['AdamW-lr1e-4-bs32']);
    // past the run, log-metric's words are a key and a value: nothing to offer
    expect(await complete(...S, 'log-metric', 'AdamW-lr1e-4-bs32', '')).toEqual([]);
  });
  it('the store mlr would use: MLFLOW_TRACKING_URI, then mlr.config.json (relative to its folder)', async () => {
    const dir = tempDir('complete');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'mlr.config.json'), JSON.stringify({ store: path.relative(dir, FIXTURE) }));
    const names = async (opts: { env?: Record<string, string>; cwd?: string }): Promise<string[]> => {
      const r = await mlr(['__complete', '--', 'experiments', 'describe', ''], opts);
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(await names({ cwd: path.join(dir, 'sub') })).toEqual(['Default', 'nlp models', 'sweep']);
    expect(await names({ cwd: path.join(dir, 'sub'), env: { MLFLOW_TRACKING_URI: path.join(dir, 'none') } })).toEqual([]);
    expect(await names({ env: { MLFLOW_TRACKING_URI: FIXTURE } })).toEqual(['Default', 'nlp models', 'sweep']);
  });
  it('a store that cannot be read completes nothing, silently', async () => {
    expect(await complete('--store', '/nonexistent/mlruns', 'runs', 'describe', '')).toEqual([]);
  });
  it('loads only the groups of the command being completed', () => {
    const argv = (...w: string[]) => ['node', 'mlr', '__complete', '--', ...w];
    expect(groupsFor(argv('--store', 'x', 'log-metric', ''))).toEqual(['write', 'setup']);
    expect(groupsFor(argv('plot', '--metric', ''))).toEqual(['charts', 'setup']);
    // while the command itself is typed: every group (to list every command)
    expect(groupsFor(argv('ru'))).toEqual(groupsFor(['node', 'mlr', '--help']));
  });
});

describe('mlr __complete from the binary (without commander: dist/cli/completion-spec.json)', () => {
  it("the spec the build wrote is the program's", async () => {
    const built = JSON.parse(fs.readFileSync(path.join(REPO, 'dist', 'cli', 'completion-spec.json'), 'utf8')) as unknown;
    expect(built).toEqual(specOf(await buildProgram()));
  });
  it('answers as the in-process CLI does', async () => {
    const lines = [
      ['--', 'ru'],
      ['--', ...S, 'runs', 'ls', '-e', ''],
      ['--', ...S, 'runs', 'describe', ''],
      ['--', ...S, 'plot', '--metric', 'val'],
      ['--', '--store', '/nonexistent/mlruns', 'runs', 'describe', ''],
      // not the scripts' form: the full CLI answers
      ['runs', 'd'],
    ];
    for (const words of lines) {
      const bin = mlrBin(['__complete', ...words]);
      expect(bin, words.join(' ')).toEqual(await mlr(['__complete', ...words]));
      // every line has candidates but the unreadable store's
      expect(bin.stdout === '', words.join(' ')).toBe(words.includes('/nonexistent/mlruns'));
    }
  });
});

describe('mlr completion', () => {
  it('prints a script per shell; another shell is a usage error', async () => {
    for (const [shell, first] of [
      ['bash', '# mlr completion for bash: eval "$(mlr completion bash)" in ~/.bashrc'],
      ['zsh', '#compdef mlr'],
      ['fish', '# mlr completion for fish: mlr completion fish > ~/.config/fish/completions/mlr.fish'],
    ] as const) {
      const r = await mlr(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(first);
      expect(r.stdout).toContain('mlr __complete -- ');
    }
    expect(await mlr(['completion', 'tcsh'])).toEqual({ code: 2, stdout: '', stderr: "mlr: no completion for 'tcsh': use bash, zsh or fish\n" });
  });
  it('the bash script completes in bash, quoting names with spaces', () => {
    const script = [
      `mlr() { node ${JSON.stringify(BIN)} "$@"; }`,
      'eval "$(mlr completion bash)"',
      `COMP_WORDS=(mlr --store ${JSON.stringify(FIXTURE)} runs ls -e nl); COMP_CWORD=6`,
      '_mlr_complete; printf "[%s]\\n" "${COMPREPLY[@]}"',
      `COMP_WORDS=(mlr --store ${JSON.stringify(FIXTURE)} runs des); COMP_CWORD=4`,
      '_mlr_complete; printf "[%s]\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { cwd: REPO, env: cleanEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('[nlp\\ models]\n[describe]\n');
  });
});
