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
import { BIN, FIXTURE, REPO, cleanEnv, copyStore, mlr, mlrBin, tempDir } from '../helpers.js';

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

describe("completion's cache of a file store's runs (src/cli/complete-cache.ts)", () => {
  const RUN = 'a2ef757706a04acfb3e214a13b706ded';
  const setup = () => {
    const cache = tempDir('complete-cache');
    const store = copyStore();
    const env = { XDG_CACHE_HOME: cache };
    const runs = async (): Promise<string[]> => {
      const r = await mlr(['__complete', '--', '--store', store, 'runs', 'describe', ''], { env });
      expect([r.code, r.stderr]).toEqual([0, '']);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    const files = (): string[] => (fs.existsSync(path.join(cache, 'mlr', 'completion')) ? fs.readdirSync(path.join(cache, 'mlr', 'completion')) : []);
    return { cache, store, env, runs, files };
  };

  it('is written once, answers the same, and is what a TAB reads while the run files are unchanged', async () => {
    const { store, runs, files, cache } = setup();
    const uncached = await mlr(['__complete', '--', '--store', store, 'runs', 'describe', '']);
    const first = await runs();
    expect(first.map((l) => l + '\n').join('')).toBe(uncached.stdout);
    expect(files()).toHaveLength(1);
    const file = path.join(cache, 'mlr', 'completion', files()[0]!);
    const before = fs.readFileSync(file, 'utf8');
    expect(await runs()).toEqual(first);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    // a name the cache holds for an unchanged meta.yaml is the one shown: the files were not read again
    const json = JSON.parse(before) as { runs: Record<string, { name: string }> };
    const key = Object.keys(json.runs).find((k) => k.endsWith(RUN))!;
    json.runs[key]!.name = 'from-the-cache';
    fs.writeFileSync(file, JSON.stringify(json));
    expect(await runs()).toContain('from-the-cache');
  });

  it('follows renames, deletions, new runs and a 1.x run named by its tag file; a broken cache is read around', async () => {
    const { store, runs, files, cache } = setup();
    await runs();
    await mlr(['--store', store, 'runs', 'rename', RUN, 'renamed-run']);
    let now = await runs();
    expect(now).toContain('renamed-run');
    expect(now).not.toContain('adam-lr1e-4-bs64');
    await mlr(['--store', store, 'runs', 'delete', '65035d79']);
    expect(await runs()).not.toContain('rmsprop-lr1e-4-bs64');
    const made = (await mlr(['--store', store, 'runs', 'create', '-e', 'sweep', '--name', 'brand-new'])).stdout.trim();
    expect(await runs()).toContain('brand-new');
    // a meta.yaml without run_name (MLflow 1.x): the name is tags/mlflow.runName, and a change to it shows
    const dir = path.join(store, '234684999513866976', made);
    fs.writeFileSync(path.join(dir, 'meta.yaml'), fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8').replace(/^run_name:.*\n/m, ''));
    expect(await runs()).toContain('brand-new');
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.runName'), 'tag-named');
    now = await runs();
    expect(now).toContain('tag-named');
    expect(now).not.toContain('brand-new');
    fs.writeFileSync(path.join(cache, 'mlr', 'completion', files()[0]!), '{"version": 1, "runs": ');
    expect(await runs()).toEqual(now);
    expect(await mlr(['__complete', '--', '--store', store, 'runs', 'describe', ''])).toMatchObject({ stdout: now.map((l) => l + '\n').join('') });
  });

  it('a cache folder that cannot be made changes nothing', async () => {
    const store = copyStore();
    const r = await mlr(['__complete', '--', '--store', store, 'runs', 'describe', 'adam-lr1e-4-bs6'], { env: { XDG_CACHE_HOME: '/dev/null/x' } });
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'adam-lr1e-4-bs64\n' });
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
