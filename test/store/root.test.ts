import { describe, expect, it } from 'vitest';
import { resolveTrackingUri } from '../../src/store/root.js';
import { UsageError } from '../../src/errors.js';

const cwd = '/p/proj';
const r = (uri: string | undefined, env: Record<string, string> = {}) => resolveTrackingUri(uri, env, cwd);

describe('resolveTrackingUri (spec §1.1)', () => {
  it.each([
    // uri, root, artifact root
    ['mlruns', '/p/proj/mlruns', '/p/proj/mlruns'],
    ['./rel/mlruns', '/p/proj/rel/mlruns', '/p/proj/rel/mlruns'],
    ['/abs/path', '/abs/path', '/abs/path'],
    ['file:///abs/path', '/abs/path', 'file:///abs/path'],
    ['file:/abs/path', '/abs/path', 'file:///abs/path'],
    ['file:rel', '/p/proj/rel', 'file:///p/proj/rel'],
    ['file:../mlruns', '/p/mlruns', 'file:///p/proj/../mlruns'],
    ['file://localhost/abs/path', '/abs/path', 'file://localhost/abs/path'],
    ['file:///abs/with%20space', '/abs/with space', 'file:///abs/with%20space'],
    ['file:///abs/with space', '/abs/with space', 'file:///abs/with space'],
    ['file:///C%C3%A1/x', '/Cá/x', 'file:///C%C3%A1/x'],
  ])('%s', (uri, root, artifactRoot) => {
    expect(r(uri)).toMatchObject({ root, artifactRoot, origin: '--tracking-uri' });
  });

  it('defaults to ./mlruns with a percent-encoded file URI artifact root', () => {
    expect(resolveTrackingUri(undefined, {}, '/home/me/my proj')).toEqual({
      kind: 'file',
      root: '/home/me/my proj/mlruns',
      artifactRoot: 'file:///home/me/my%20proj/mlruns',
      origin: 'default',
      uri: './mlruns',
    });
  });

  it('--tracking-uri wins over MLFLOW_TRACKING_URI, which wins over the default', () => {
    expect(r('/a', { MLFLOW_TRACKING_URI: '/b' }).root).toBe('/a');
    expect(r(undefined, { MLFLOW_TRACKING_URI: '/b' })).toMatchObject({ root: '/b', origin: 'MLFLOW_TRACKING_URI' });
    expect(r('', { MLFLOW_TRACKING_URI: '' }).origin).toBe('default');
  });

  it('treats Windows drive paths as plain paths, not schemes', () => {
    expect(r('C:/Users/x/mlruns').origin).toBe('--tracking-uri');
  });

  it("sqlite:///mlflow.db is MLflow's SQLite database, relative to the working folder; new artifacts under ./mlruns", () => {
    expect(r('sqlite:///mlflow.db')).toEqual({
      kind: 'sqlite',
      root: '/p/proj/mlflow.db',
      artifactRoot: '/p/proj/mlruns',
      origin: '--tracking-uri',
      uri: 'sqlite:///mlflow.db',
    });
    expect(r('sqlite:////abs/m.db')).toMatchObject({ kind: 'sqlite', root: '/abs/m.db' });
  });

  it('http:// and https:// are a tracking server (the REST backend)', () => {
    expect(r('http://localhost:5000')).toEqual({ kind: 'rest', root: '', artifactRoot: '', origin: '--tracking-uri', uri: 'http://localhost:5000' });
    expect(r('HTTPS://mlflow.example.com/prefix')).toMatchObject({ kind: 'rest', uri: 'HTTPS://mlflow.example.com/prefix' });
  });

  it.each(['databricks', 'postgresql://u@h/db', 'ftp://x'])('rejects %s as unsupported (usage error, exit 2)', (uri) => {
    if (!uri.includes(':')) return; // 'databricks' alone is a relative path, as in MLflow
    const run = () => r(uri);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(/scheme, which mlr does not support/);
  });

  it('rejects a file URI on another host', () => {
    expect(() => r('file://otherhost/x')).toThrow(/host 'otherhost' is not this machine/);
  });
});
