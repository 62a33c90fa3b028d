/**
 * Issue 11 item 27: files a non-root user cannot read. An unreadable params/ or tags/
 * folder made runs describe and runs diff silently show none; an unreadable store root
 * gave a header-only runs ls with exit 0; metrics history on an unreadable metric file
 * printed a header, then "internal error … This is a bug in mlr". Now each warns naming
 * the path (the run marked `!`, as a broken record), or fails with one line and exit 1.
 *
 * Permissions mean nothing to root, so under root the built CLI runs as `nobody` through
 * setpriv (the copied store is world-readable except the part under test, and the folders
 * above it are made traversable); as another user it simply runs as that user. Skipped,
 * saying why, only when neither works.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, copyStore, type CliResult } from '../helpers.js';

const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const HAS_SETPRIV = IS_ROOT && spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'true']).status === 0;
const CAN_RUN = process.platform !== 'win32' && (!IS_ROOT || HAS_SETPRIV);
const WHY_NOT = IS_ROOT ? 'running as root and setpriv cannot switch to uid 65534 (nobody)' : 'no POSIX permissions here';

const SWEEP = '234684999513866976';
const A = '02df84e1e68a46eaa4f971068787bace';
const B = '048a6b5ba0b54943b93d297a31d308c7';

/** A copy of the fixture store that another user can read: every folder above it traversable. */
function readableStore(): string {
  const store = copyStore();
  if (IS_ROOT) {
    // mkdtemp made the temp folders 0700; nobody needs to pass through them (not to list them)
    for (let d = path.dirname(store); d !== path.dirname(d); d = path.dirname(d)) {
      const mode = fs.statSync(d).mode & 0o777;
      if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o111);
    }
  }
  return store;
}

/** The built CLI as a user the permissions apply to (nobody under root). */
function asUser(store: string, args: string[]): CliResult {
  const argv = [BIN, '--store', store, ...args];
  const [cmd, full] = IS_ROOT
    ? ['setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, ...argv]]
    : [process.execPath, argv];
  const r = spawnSync(cmd, full, { cwd: path.dirname(store), env: cleanEnv(), encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Run `fn` with `target` at mode `mode`, restoring its mode afterwards (so the temp store can be removed). */
function withMode<T>(target: string, mode: number, fn: () => T): T {
  const before = fs.statSync(target).mode & 0o7777;
  fs.chmodSync(target, mode);
  try {
    return fn();
  } finally {
    fs.chmodSync(target, before);
  }
}

const HINT = "mlr: the store has problems MLflow may choke on; 'mlr doctor' explains them and 'mlr doctor --fix' repairs them\n";

describe.skipIf(!CAN_RUN)(`unreadable files and folders${CAN_RUN ? '' : ` (skipped: ${WHY_NOT})`}`, () => {
  it('the store reads normally as that user (the setup is sound)', () => {
    const store = readableStore();
    const r = asUser(store, ['runs', 'describe', A]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('params.optimizer\tadam\n');
  });

  it('an unreadable params/ folder: runs describe and runs diff warn naming it, and mark the run', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP, A, 'params');
    const warning = `mlr: warning: cannot read ${dir} (permission denied): run ${A}'s params in it are left out\n`;
    withMode(dir, 0o000, () => {
      const d = asUser(store, ['runs', 'describe', A]);
      expect(d.code).toBe(0);
      expect(d.stderr).toBe(warning + HINT);
      expect(d.stdout).not.toContain('params.');
      const diff = asUser(store, ['runs', 'diff', A, B]);
      expect(diff.code).toBe(0);
      expect(diff.stderr).toBe(warning + HINT);
      expect(diff.stdout).toContain('params.optimizer\t\trmsprop\t\n');
      // listings mark the run as they mark a broken one
      const ls = asUser(store, ['runs', 'ls', '-e', 'sweep', '--columns', 'run_id,status,params.lr']);
      expect(ls.code).toBe(0);
      expect(ls.stdout).toContain(`${A}\t!FINISHED\t\n`);
      expect(ls.stderr).toBe(`mlr: warning: cannot read ${dir}/lr (permission denied): param 'lr' of run ${A} is left out\n` + HINT);
      const json = JSON.parse(asUser(store, ['runs', 'describe', A, '--format', 'json']).stdout) as { mlr_problems?: { path: string }[] };
      expect(json.mlr_problems).toEqual([{ code: 'run-data-unreadable', path: dir, message: `${dir} cannot be read (permission denied)` }]);
    });
  });

  it('an unreadable tags/ folder: the same', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP, A, 'tags');
    const warning = `mlr: warning: cannot read ${dir} (permission denied): run ${A}'s tags in it are left out\n`;
    withMode(dir, 0o000, () => {
      const d = asUser(store, ['runs', 'describe', A]);
      expect(d.code).toBe(0);
      expect(d.stderr).toBe(warning + HINT);
      expect(d.stdout).not.toContain('tags.');
      const diff = asUser(store, ['runs', 'diff', A, B]);
      expect(diff.code).toBe(0);
      expect(diff.stderr).toBe(warning + HINT);
    });
  });

  it('a params/ folder that can be entered but not listed: the same warning', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP, A, 'params');
    withMode(dir, 0o311, () => {
      const d = asUser(store, ['runs', 'describe', A]);
      expect(d.stderr).toBe(`mlr: warning: cannot read ${dir} (permission denied): run ${A}'s params in it are left out\n` + HINT);
    });
  });

  it('an unreadable store root: runs ls fails with one line, not a header and exit 0', () => {
    const store = readableStore();
    for (const mode of [0o000, 0o311]) {
      withMode(store, mode, () => {
        const r = asUser(store, ['runs', 'ls']);
        expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: cannot read the store at ${store} (from --tracking-uri): permission denied\n` });
      });
    }
  });

  it('an experiment folder that cannot be listed: a warning naming it', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP);
    withMode(dir, 0o311, () => {
      const r = asUser(store, ['runs', 'ls', '-e', 'sweep']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`mlr: warning: cannot read ${dir} (permission denied): the runs of experiment ${SWEEP} are left out\n` + HINT);
    });
  });

  it('metrics history on an unreadable metric file: one line, exit 1, nothing on stdout', () => {
    const store = readableStore();
    const file = path.join(store, SWEEP, A, 'metrics', 'val_loss');
    withMode(file, 0o000, () => {
      const r = asUser(store, ['metrics', 'history', A, 'val_loss']);
      expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: cannot read ${file}: permission denied\n` });
      // the latest value is left out of describe, with a warning and the run marked
      const d = asUser(store, ['runs', 'describe', A]);
      expect(d.code).toBe(0);
      expect(d.stdout).not.toContain('metrics.val_loss');
      expect(d.stderr).toBe(`mlr: warning: cannot read ${file} (permission denied): metric 'val_loss' of run ${A} is left out\n` + HINT);
    });
  });

  it('a run folder that cannot be read at all: one warning for the folder, the run shown marked', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP, A);
    withMode(dir, 0o000, () => {
      const d = asUser(store, ['runs', 'describe', A]);
      expect(d.code).toBe(0);
      expect(d.stderr).toBe(`mlr: warning: cannot read ${dir} (permission denied): run ${A} is shown without its data\n` + HINT);
      expect(d.stdout).toContain('status\tRUNNING\n'); // what a run without meta.yaml reads as
    });
  });

  it('an unreadable registry folder: models ls warns naming it', () => {
    const store = readableStore();
    const dir = path.join(store, 'models');
    withMode(dir, 0o000, () => {
      const r = asUser(store, ['models', 'ls']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`mlr: warning: cannot read ${dir} (permission denied): the registered models in it are left out\n` + HINT);
    });
  });

  it('an unreadable metrics/ folder: runs ls and the order by that metric warn, and the run is marked', () => {
    const store = readableStore();
    const dir = path.join(store, SWEEP, A, 'metrics');
    withMode(dir, 0o000, () => {
      const r = asUser(store, ['runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.val_loss', '--columns', 'run_id,status,metrics.val_loss']);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.indexOf(`${A}\t!FINISHED\t`);
      expect(at).toBeGreaterThan(0);
      // no value: after every run that has one, as MLflow orders a missing value
      expect(lines.slice(at).every((l) => l === '' || l.endsWith('\t'))).toBe(true);
      expect(r.stderr).toBe(`mlr: warning: cannot read ${dir}/val_loss (permission denied): metric 'val_loss' of run ${A} is left out\n` + HINT);
    });
  });
});
