/**
 * Issue 11 item 17: mlr.config.json, found upward from the working folder or in
 * $XDG_CONFIG_HOME/mlr/; flags (and MLFLOW_TRACKING_URI) override it; `mlr config` says
 * what is in force and from where.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE, mlr, tempDir } from '../helpers.js';

/** A project folder holding `mlr.config.json` (`config`) and a `work/deeper` folder to run in. */
function project(config: unknown): { dir: string; deeper: string; xdg: string } {
  const dir = tempDir('cfg');
  fs.writeFileSync(path.join(dir, 'mlr.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  const deeper = path.join(dir, 'work', 'deeper');
  fs.mkdirSync(deeper, { recursive: true });
  const xdg = path.join(dir, 'xdg');
  fs.mkdirSync(xdg);
  return { dir, deeper, xdg };
}

const STORE = { store: FIXTURE };

describe('mlr.config.json', () => {
  it('sets the store, found from a folder below it', async () => {
    const p = project(STORE);
    const r = await mlr(['experiments', 'ls', '--format', 'csv'], { cwd: p.deeper, env: { XDG_CONFIG_HOME: p.xdg } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(',sweep,');
  });
  it('a relative store is relative to the file, not the working folder', async () => {
    const p = project({ store: './mlruns' });
    fs.symlinkSync(FIXTURE, path.join(p.dir, 'mlruns'));
    const r = await mlr(['experiments', 'ls', '--format', 'csv'], { cwd: p.deeper, env: { XDG_CONFIG_HOME: p.xdg } });
    expect(r.stdout).toContain(',sweep,');
  });
  it('--store and MLFLOW_TRACKING_URI win over it', async () => {
    const p = project({ store: '/nowhere/mlruns' });
    const env = { XDG_CONFIG_HOME: p.xdg };
    expect((await mlr(['--store', FIXTURE, 'experiments', 'ls'], { cwd: p.deeper, env })).code).toBe(0);
    expect((await mlr(['experiments', 'ls'], { cwd: p.deeper, env: { ...env, MLFLOW_TRACKING_URI: FIXTURE } })).code).toBe(0);
    expect((await mlr(['experiments', 'ls'], { cwd: p.deeper, env })).code).toBe(1);
  });
  it('sets the default columns of runs ls; --columns wins', async () => {
    const p = project({ ...STORE, columns: ['run_name', 'metrics.val_loss'] });
    const env = { XDG_CONFIG_HOME: p.xdg };
    const r = await mlr(['runs', 'ls', '-e', 'sweep', '--max-results', '2'], { cwd: p.deeper, env });
    expect(r.stdout).toBe('run_name\tmetrics.val_loss\nrmsprop-lr1e-4-bs64\t0.09362590033737264\nAdamW-lr1e-4-bs32\t0.15847638470575065\n');
    const f = await mlr(['runs', 'ls', '-e', 'sweep', '--max-results', '1', '--columns', 'run_id'], { cwd: p.deeper, env });
    expect(f.stdout).toBe('run_id\n65035d79c11541c68301c409c65af1ee\n');
  });
  it('gives a metric its direction: runs best -e sweep needs no --metric or --min', async () => {
    const p = project({ ...STORE, metrics: { val_loss: 'min' } });
    const env = { XDG_CONFIG_HOME: p.xdg };
    const best = await mlr(['runs', 'best', '-e', 'sweep', '--format', 'id'], { cwd: p.deeper, env });
    const explicit = await mlr(['--store', FIXTURE, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--format', 'id']);
    expect(best).toEqual({ code: 0, stdout: explicit.stdout, stderr: explicit.stderr });
    const max = await mlr(['runs', 'best', '-e', 'sweep', '--max', '--format', 'id'], { cwd: p.deeper, env });
    const explicitMax = await mlr(['--store', FIXTURE, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--max', '--format', 'id']);
    expect(max.stdout).toBe(explicitMax.stdout);
    expect(max.stdout).not.toBe(best.stdout);
  });
  it('with several directions, --metric picks one and the direction comes along', async () => {
    const p = project({ ...STORE, metrics: { val_loss: 'min', val_acc: 'max' } });
    const env = { XDG_CONFIG_HOME: p.xdg };
    const none = await mlr(['runs', 'best', '-e', 'sweep'], { cwd: p.deeper, env });
    expect(none).toEqual({ code: 2, stdout: '', stderr: 'mlr: runs best needs --metric: mlr.config.json gives directions for val_loss, val_acc\n' });
    const acc = await mlr(['runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--format', 'id'], { cwd: p.deeper, env });
    const explicit = await mlr(['--store', FIXTURE, 'runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--max', '--format', 'id']);
    expect(acc.stdout).toBe(explicit.stdout);
  });
  it('the user file ($XDG_CONFIG_HOME/mlr/) fills what the project file leaves out', async () => {
    const p = project({ metrics: { val_loss: 'max' } });
    fs.mkdirSync(path.join(p.xdg, 'mlr'));
    fs.writeFileSync(path.join(p.xdg, 'mlr', 'mlr.config.json'), JSON.stringify({ ...STORE, metrics: { val_loss: 'min', val_acc: 'max' } }));
    const r = await mlr(['config'], { cwd: p.deeper, env: { XDG_CONFIG_HOME: p.xdg } });
    const user = path.join(p.xdg, 'mlr', 'mlr.config.json');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'key\tvalue\tsource',
        `store\t${FIXTURE}\t${user}`,
        'columns\t(chosen per listing)\tdefault',
        `metrics.val_acc\tmax\t${user}`,
        `metrics.val_loss\tmax\t${path.join('..', '..', 'mlr.config.json')}`,
        '',
      ].join('\n'),
    });
  });
  it('mlr config names flags and the environment as sources', async () => {
    const p = project({ store: './mlruns' });
    const env = { XDG_CONFIG_HOME: p.xdg };
    const flag = await mlr(['--store', '/x', 'config', '--format', 'json'], { cwd: p.deeper, env });
    expect(JSON.parse(flag.stdout)).toEqual({
      settings: { store: { value: '/x', source: '--store' }, columns: { value: '(chosen per listing)', source: 'default' } },
      files: [path.join('..', '..', 'mlr.config.json')],
    });
    const envd = await mlr(['config'], { cwd: p.deeper, env: { ...env, MLFLOW_TRACKING_URI: '/y' } });
    expect(envd.stdout.split('\n')[1]).toBe('store\t/y\tMLFLOW_TRACKING_URI');
    const none = tempDir('cfg');
    const bare = await mlr(['config'], { cwd: none, env: { XDG_CONFIG_HOME: none } });
    expect(bare.stdout).toBe('key\tvalue\tsource\nstore\t./mlruns\tdefault\ncolumns\t(chosen per listing)\tdefault\n');
  });
  it('a broken file is a usage error naming it', async () => {
    const bad = project('{"store": ');
    const r = await mlr(['config'], { cwd: bad.deeper, env: { XDG_CONFIG_HOME: bad.xdg } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mlr: ${path.join(bad.dir, 'mlr.config.json').replace(/[.]/g, '\\.')} is not valid JSON: `));
    const unknown = project({ stor: 'x' });
    const u = await mlr(['runs', 'ls'], { cwd: unknown.deeper, env: { XDG_CONFIG_HOME: unknown.xdg } });
    expect(u).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlr: ${path.join(unknown.dir, 'mlr.config.json')}: unknown key 'stor' (known: store, columns, metrics)\n`,
    });
    const dir = project({ metrics: { val_loss: 'lowest' } });
    const d = await mlr(['config'], { cwd: dir.deeper, env: { XDG_CONFIG_HOME: dir.xdg } });
    expect(d.stderr).toBe(`mlr: ${path.join(dir.dir, 'mlr.config.json')}: metrics.val_loss must be "min" or "max", not "lowest"\n`);
  });
});
