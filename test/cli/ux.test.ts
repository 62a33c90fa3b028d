/**
 * Issue 11 item 15: what a new user types first. Each case failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE, copyStore, mlr, onTerminal } from '../helpers.js';

const S = ['--store', FIXTURE];
const RUN = '0fcd845b';

describe('log-metric with a missing value', () => {
  it('a key without a value says what was expected, not "no run given"', async () => {
    const r = await mlr([...S, 'log-metric', RUN, 'loss']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('mlr: expected <run> <key> <value> (or <key> <value> with MLFLOW_RUN_ID set), got 2 arguments\n');
  });
  it('a key=value pair points at log-metrics', async () => {
    const r = await mlr([...S, 'log-metric', RUN, 'loss=0.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'mlr: expected <run> <key> <value> (or <key> <value> with MLFLOW_RUN_ID set), got 2 arguments; for key=value pairs use mlr log-metrics <run> <key>=<value>…\n',
    );
  });
  it('log-param does the same for log-params', async () => {
    const r = await mlr([...S, 'log-param', RUN, 'lr=0.1']);
    expect(r.stderr).toContain('; for key=value pairs use mlr log-params <run> <key>=<value>…');
  });
  it('with MLFLOW_RUN_ID set, <key> <value> still works', async () => {
    const store = copyStore();
    const r = await mlr(['--store', store, 'log-metric', 'loss', '0.5'], { env: { MLFLOW_RUN_ID: '0fcd845b0e9c4a1e9d2e5b4ad3c0f8e7' } });
    // the run does not exist: the command got as far as looking it up
    expect(r.stderr).toMatch(/not found/);
  });
});

describe('--format id and ids', () => {
  it('runs best takes ids', async () => {
    const a = await mlr([...S, 'runs', 'best', '--metric', 'val_loss', '--min', '--format', 'ids']);
    const b = await mlr([...S, 'runs', 'best', '--metric', 'val_loss', '--min', '--format', 'id']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect(a.stdout).toBe(b.stdout);
  });
  it('runs ls takes id', async () => {
    const a = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--format', 'id', '--max-results', '3']);
    const b = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--format', 'ids', '--max-results', '3']);
    expect(a.code).toBe(0);
    expect(a.stdout.split('\n')).toHaveLength(4);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('-n means --name', () => {
  it('runs create -n names the run', async () => {
    const store = copyStore();
    const r = await mlr(['--store', store, 'runs', 'create', '-e', 'sweep', '-n', 'my-run']);
    expect(r.code).toBe(0);
    const d = await mlr(['--store', store, 'runs', 'describe', r.stdout.trim(), '--format', 'json']);
    expect(JSON.parse(d.stdout).info.run_name).toBe('my-run');
  });
  it('runs mv has no -n (it was --dry-run there)', async () => {
    const r = await mlr([...S, 'runs', 'mv', RUN, '--to', 'sweep', '-n']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlr: unknown option '-n'/);
  });
  it('mlr run -n is the run name', async () => {
    const store = copyStore();
    const r = await mlr(['--store', store, 'run', '-n', 'named', '--dry-run', '--', 'true']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('named');
  });
});

it('gc takes -e', async () => {
  const r = await mlr([...S, 'gc', '-e', 'old-exp']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('577419433840892238');
});

describe('colour', () => {
  it('a terminal gets colour, TERM=dumb does not', async () => {
    const coloured = await onTerminal([...S, 'experiments', 'ls']);
    expect(coloured.stdout).toContain('\x1b[');
    const dumb = await onTerminal([...S, 'experiments', 'ls'], { TERM: 'dumb' });
    expect(dumb.code).toBe(0);
    expect(dumb.stdout).not.toContain('\x1b[');
    expect(dumb.stdout).toContain('Default');
  });
});

describe('an empty result', () => {
  it('says so on stderr on a terminal', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--filter', "params.optimizer = 'nope'"], { env: { MLR_FORCE_TTY: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('mlr: no runs match the filter\n');
  });
  it('and says nothing to a pipe', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--filter', "params.optimizer = 'nope'"]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^run_id\t/);
  });
});

describe('near misses', () => {
  it('mlr run ls suggests mlr runs ls', async () => {
    const r = await mlr([...S, 'run', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlr: 'ls' is not a project folder; did you mean 'mlr runs ls'?\n");
  });
  it.each([
    ['--json', '--format json'],
    ['--sort-by', '--order-by'],
    ['--limit', '--max-results'],
  ])('%s suggests %s', async (flag, hint) => {
    const r = await mlr([...S, 'runs', 'ls', flag, ...(flag === '--json' ? [] : ['3'])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mlr: unknown option '${flag}'\n(Did you mean ${hint}?)\n(run with --help for usage)\n`);
  });
});
