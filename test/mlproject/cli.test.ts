/**
 * `mlr run [PROJECT_DIR]` end to end: refusals (one line, exit code, nothing created),
 * defaults and overrides of each entry point, the run's environment, env fields, dry runs,
 * and the `--` form living beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, mlr } from '../helpers.js';
import { GOLDEN_DIR, makeWork, metaField, startedRuns, storedRuns, type Work } from './helpers.js';

const EXITS = fs.readFileSync(path.join(GOLDEN_DIR, 'exits.txt'), 'utf8');
const works: Work[] = [];
afterEach(() => {
  for (const w of works.splice(0)) fs.rmSync(w.dir, { recursive: true, force: true });
});
function work(opts: Parameters<typeof makeWork>[0] = {}): Work {
  const w = makeWork(opts);
  works.push(w);
  return w;
}

describe('refusals: one line, MLflow-like exit codes, no run created', () => {
  const cases: Record<string, { args: string[]; files?: Record<string, string>; code: number; message: string | RegExp; mlflow?: string }> = {
    'an unknown entry point lists the ones there are': {
      args: ['-e', 'nope'],
      code: 1,
      mlflow: '3-unknown-entry: exit 1',
      message:
        "entry point 'nope' not found in proj/MLproject: it has generate_data, train (a .py or .sh file in the project can be run as an entry point too)",
    },
    'a path that does not exist (MLflow leaves a RUNNING run behind)': {
      args: ['-e', 'train', '-P', 'data=/nonexistent'],
      code: 1,
      mlflow: '4-missing-path: exit 1',
      message: 'Got value /nonexistent for parameter data, but no such file or directory was found.',
    },
    'a missing required parameter is a usage error naming it': {
      args: ['-e', 'need'],
      files: {
        MLproject:
          'entry_points:\n  need:\n    parameters:\n      alpha: float\n      beta: {type: int}\n      gamma: {type: int, default: 3}\n    command: "echo {alpha} {beta}"\n',
      },
      code: 2,
      message: "No value given for missing parameters: 'alpha', 'beta' (give them with -P alpha=<value>)",
    },
    'malformed YAML names the line': {
      args: [],
      files: { MLproject: 'name: x\nentry_points:\n  main:\n    command: [echo\n' },
      code: 1,
      message: /^proj\/MLproject:5: not valid YAML: .+$/,
    },
    'an entry point without a command names its line': {
      args: ['-e', 'b'],
      files: { MLproject: 'entry_points:\n  a:\n    command: echo a\n  b:\n    parameters: {x: int}\n' },
      code: 1,
      message: "proj/MLproject:4: entry point 'b' has no command",
    },
    'a parameter that is neither a type nor a mapping': {
      args: [],
      files: { MLproject: 'entry_points:\n  main:\n    parameters:\n      x: [1, 2]\n    command: echo {x}\n' },
      code: 1,
      message: "proj/MLproject:4: entry point 'main', parameter 'x' must be a type name or {type: …, default: …}",
    },
    'a command using a name that is no parameter': {
      args: [],
      files: { MLproject: 'entry_points:\n  main:\n    parameters: {x: {default: 1}}\n    command: echo {y}\n' },
      code: 2,
      message: "the command of entry point 'main' uses {y}, which is not one of its parameters (x)",
    },
    'a uri parameter without a scheme': {
      args: ['-P', 'u=data.csv'],
      files: { MLproject: 'entry_points:\n  main:\n    parameters: {u: uri}\n    command: echo {u}\n' },
      code: 2,
      message: 'Expected URI for parameter u but got data.csv',
    },
    'a remote path parameter (mlr downloads nothing)': {
      args: ['-e', 'train', '-P', 'data=s3://bucket/x'],
      code: 2,
      message: "parameter data is a path, and mlr does not download 's3://bucket/x': give a local path (MLflow would download it)",
    },
    'a repeated -P': { args: ['-e', 'train', '-P', 'lr=1', '-P', 'lr=2'], code: 2, message: "Repeated parameter: 'lr'" },
    'two environment fields': {
      args: [],
      files: { MLproject: 'conda_env: c.yaml\npython_env: p.yaml\nentry_points:\n  main:\n    command: echo\n' },
      code: 1,
      message: "proj/MLproject:2: Project cannot contain multiple environment fields: {'conda_env', 'python_env'}",
    },
    'a conda_env file that is missing': {
      args: [],
      files: { MLproject: 'conda_env: conda.yaml\nentry_points:\n  main:\n    command: echo\n' },
      code: 1,
      message: /^proj\/MLproject:1: Project specified conda environment file .*\/proj\/conda\.yaml, but no such file was found\.$/,
    },
    'a .py entry point that is not there': {
      args: ['-e', 'missing.py'],
      code: 1,
      message: /^entry point 'missing\.py' is not in proj\/MLproject and there is no file .*\/proj\/missing\.py$/,
    },
    'both --experiment-name and --experiment-id': {
      args: ['-e', 'train', '--experiment-name', 'a', '--experiment-id', '0'],
      code: 2,
      message: "Specify only one of 'experiment_name' or 'experiment_id' (-e/--experiment, --experiment-name, --experiment-id).",
    },
    'a command given without --': {
      args: ['extra-word'],
      code: 2,
      message: 'put the command after --: mlr run [options] -- <command> [args…] (without --, mlr run takes one MLproject folder)',
    },
    '--entry-point with --': { args: ['--entry-point', 'x', '--', 'true'], code: 2, message: /^a project folder \('proj'\) is for MLproject runs/ },
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const c = cases[name]!;
    const w = work({ git: false, ...(c.files ? { files: c.files } : {}) });
    const r = await mlr(['run', 'proj', ...c.args], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(c.code);
    if (c.mlflow) expect(EXITS).toContain(c.mlflow);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').length, r.stderr).toBe(2);
    const line = r.stderr.replace(/^mlr: /, '').replace(/\n$/, '');
    if (typeof c.message === 'string') expect(line).toBe(c.message);
    else expect(line).toMatch(c.message);
    expect(fs.existsSync(w.store), 'no store, no run').toBe(false);
  });

  it.each(['https://github.com/mlflow/mlflow-example', 'git@github.com:mlflow/mlflow-example.git', 'file://otherhost/proj'])(
    'refuses the remote project %s',
    async (uri) => {
      const w = work({ git: false });
      const r = await mlr(['run', uri], { cwd: w.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mlr: mlr runs project folders on this machine only: clone '${uri}' and give the folder\n`);
    },
  );

  it('takes a file: URI of a local folder', async () => {
    const w = work({ git: false });
    const r = await mlr(['run', `file://${w.proj}`, '-e', 'generate_data', '-P', 'n_samples=2'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('2 20\n');
  });

  it('--env-manager takes local only', async () => {
    const w = work({ git: false });
    expect((await mlr(['run', 'proj', '-e', 'generate_data', '--env-manager', 'local'], { cwd: w.dir })).code).toBe(0);
    const r = await mlr(['run', 'proj', '--env-manager', 'conda'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlr: option '--env-manager <name>' argument 'conda' is invalid\. mlr runs projects in the current environment only/);
  });
});

describe('entry points with defaults and overrides', () => {
  it.each([
    { entry: 'generate_data', args: [], params: { n_samples: '1000', n_features: '20' }, stdout: '1000 20\n' },
    { entry: 'generate_data', args: ['-P', 'n_features=7', '-P', 'n_samples=3'], params: { n_samples: '3', n_features: '7' }, stdout: '3 7\n' },
    // the default path `src` is the project's src, wherever mlr runs; MLflow logs it as written
    {
      entry: 'train',
      args: [],
      params: { lr: '0.001', epochs: '50', hidden_dims: "'[64, 32]'", data: 'src' },
      stdout: "train ['--hidden_dims', '[64, 32]', '--lr', '0.001', '--epochs', '50']\n",
    },
    {
      entry: 'train',
      args: ['-P', 'hidden_dims=[8]', '-P', "note=it's", '-P', 'epochs=2'],
      params: { lr: '0.001', epochs: '2', hidden_dims: "'[8]'", data: 'src', note: `'it'"'"'s'` },
      stdout: "train ['--hidden_dims', '[8]', '--lr', '0.001', '--epochs', '2', '--note', \"it's\"]\n",
    },
  ])('$entry $args', async ({ entry, args, params, stdout }) => {
    const w = work();
    const r = await mlr(['run', 'proj', '-e', entry, ...args], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(stdout);
    const [run] = storedRuns(w.store).filter((x) => x.id === startedRuns(r.stderr)[0]);
    expect(run!.params).toEqual(params);
    expect(run!.tags['mlflow.project.entryPoint']).toBe(entry);
    expect(metaField(run!.meta, 'status')).toBe('3');
  });

  it('runs main by default, in the current folder by default, with bash -c in the project folder', async () => {
    const w = work({ files: { MLproject: 'entry_points:\n  main:\n    command: "pwd; echo $0"\n' } });
    const r = await mlr(['run'], { cwd: w.proj });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${w.proj}\nbash\n`);
  });

  it('finds the MLproject file in any case', async () => {
    const w = work({ git: false });
    fs.renameSync(path.join(w.proj, 'MLproject'), path.join(w.proj, 'mlproject'));
    const r = await mlr(['run', 'proj', '-e', 'generate_data', '-P', 'n_samples=1'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1 20\n');
  });

  it('runs a .py file as an entry point with python, undeclared -P values appended', async () => {
    const w = work({ files: { 'show.py': 'import sys; print(sys.argv[1:])\n' } });
    const r = await mlr(['run', 'proj', '-e', 'show.py', '-P', 'k=a b'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("['--k', 'a b']\n");
    expect(r.stderr).toContain("mlr: command: python show.py --k 'a b'\n");
  });

  it('gives the command MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID', async () => {
    const w = work({ files: { MLproject: 'entry_points:\n  main:\n    command: echo "$MLFLOW_RUN_ID $MLFLOW_EXPERIMENT_ID $MLFLOW_TRACKING_URI"\n' } });
    const r = await mlr(['run', 'proj', '--experiment-name', 'e1'], { cwd: w.dir, env: { MLFLOW_EXPERIMENT_NAME: 'ignored' } });
    expect(r.code, r.stderr).toBe(0);
    const [run] = storedRuns(w.store).filter((x) => x.exp !== '0');
    expect(r.stdout).toBe(`${run!.id} ${run!.exp} file://${w.store}\n`);
  });

  it('keeps the status of a run the command ended itself', async () => {
    const inner = `"${process.execPath}" "${BIN}"`;
    const w = work({ files: { MLproject: `entry_points:\n  main:\n    command: '${inner} runs end --status KILLED && ${inner} log-param from inside'\n` } });
    const r = await mlr(['run', 'proj'], { cwd: w.dir });
    const [run] = storedRuns(w.store);
    expect(r.code, r.stderr).toBe(0);
    expect(metaField(run!.meta, 'status')).toBe('5'); // KILLED: MLflow's _maybe_set_run_terminated keeps it
    expect(r.stderr).toMatch(/^mlr: run [0-9a-f]{32} KILLED \(ended by the command\)$/m);
  });

  it('says once that it builds no environment, and records none', async () => {
    const w = work({ files: { 'conda.yaml': 'name: x\n', MLproject: 'conda_env: conda.yaml\nentry_points:\n  main:\n    command: "true"\n' } });
    const r = await mlr(['run', 'proj', '--sweep', 'a=1,2'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.includes('does not build environments'));
    expect(notes).toEqual([
      'mlr: proj/MLproject declares conda_env (conda.yaml); mlr does not build environments: the command runs in the current one (like mlflow run --env-manager local)',
    ]);
    for (const run of storedRuns(w.store)) expect(Object.keys(run.tags)).not.toContain('mlflow.project.env');
  });

  it('records the first remote as repoURL (without credentials), under its legacy name too', async () => {
    const w = work();
    fs.appendFileSync(
      path.join(w.proj, '.git', 'config'),
      '[remote "origin"]\n\turl = https://ana:s3cret@example.com/team/proj.git\n[remote "fork"]\n\turl = git@example.com:me/proj.git\n',
    );
    const r = await mlr(['run', 'proj', '-e', 'generate_data'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    const [run] = storedRuns(w.store);
    expect(run!.tags['mlflow.source.git.repoURL']).toBe('https://example.com/team/proj.git');
    expect(run!.tags['mlflow.gitRepoURL']).toBe('https://example.com/team/proj.git');
  });

  it('names a project in a sub-folder of a checkout file://<work tree>#<sub-folder>', async () => {
    const w = work({ git: false });
    fs.renameSync(w.proj, path.join(w.dir, 'inner'));
    fs.mkdirSync(w.proj);
    fs.renameSync(path.join(w.dir, 'inner'), path.join(w.proj, 'inner'));
    const { git } = await import('./helpers.js');
    git(w.proj, 'init', '-q');
    git(w.proj, 'add', '.');
    git(w.proj, 'commit', '-qm', 'x');
    const r = await mlr(['run', 'proj/inner', '-e', 'generate_data'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    const [run] = storedRuns(w.store);
    expect(run!.tags['mlflow.source.name']).toBe(`file://${w.proj}#inner`);
    expect(run!.tags['mlflow.source.git.commit']).toBe(git(w.proj, 'rev-parse', 'HEAD'));
  });
});

describe('--dry-run', () => {
  it('prints the resolved command, params and tags, and creates nothing', async () => {
    const w = work();
    const r = await mlr(['run', 'proj', '-e', 'train', '-P', 'lr=0.5', '--run-name', 'try', '--tag', 'team=core', '--dry-run'], {
      cwd: w.dir,
      env: { MLFLOW_TRACKING_USERNAME: 'ana' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'experiment: 0',
        "command: python3 src/train.py --hidden_dims '[64, 32]' --lr 0.5 --epochs 50",
        `directory: ${w.proj}`,
        'params:',
        '  lr: 0.5',
        '  epochs: 50',
        "  hidden_dims: '[64, 32]'",
        '  data: src',
        'tags:',
        '  mlflow.user: ana',
        `  mlflow.source.name: file://${w.proj}`,
        '  mlflow.source.type: PROJECT',
        '  mlflow.project.entryPoint: train',
        `  mlflow.source.git.commit: ${w.commit}`,
        '  mlflow.project.backend: local',
        '  team: core',
        '  mlflow.runName: try',
        '',
      ].join('\n'),
    );
    expect(fs.existsSync(w.store)).toBe(false);
  });
});

describe('the -- form beside the MLproject form', () => {
  it('keeps -e as the experiment after --, and -P fills {key} and logs it', async () => {
    const w = work({ git: false });
    expect((await mlr(['--store', w.store, 'experiments', 'create', 'x'], { cwd: w.dir })).code).toBe(0);
    const r = await mlr(['--store', w.store, 'run', '-e', 'x', '-P', 'lr=0.1', '--', 'echo', 'lr={lr}'], { cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('lr=0.1\n');
    const [run] = storedRuns(w.store).filter((x) => x.exp !== '0');
    expect(run!.params).toEqual({ lr: '0.1' });
    expect(run!.tags['mlflow.source.type']).toBe('LOCAL');
    expect(run!.tags['mlflow.source.name']).toBe('echo lr=0.1');
  });
});
