/**
 * Issue 2: every real store in ../shared/corpus/real (third-party data, kept outside this
 * repo) lists without a crash, and `runs ls --view all` over every experiment shows every
 * run folder the store holds. Broken stores produce warnings, not failures.
 * Skipped, and says so, when ../shared is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, HAS_SHARED, findStores, mlr } from '../helpers.js';

const RESERVED = new Set(['tags', 'datasets', 'traces', 'models']);

/**
 * Count run folders independently of mlr: sub-folders of experiment folders with a meta.yaml
 * or run data (metrics/, params/, tags/). Folders holding only artifacts (the artifact root of
 * a database-backed MLflow sharing the folder) are not runs.
 */
function countRunFolders(store: string): number {
  let n = 0;
  const dirs = (d: string) =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : [];
  const expDirs = [
    ...dirs(store)
      .filter((e) => e !== '.trash' && e !== 'models')
      .map((e) => path.join(store, e)),
    ...dirs(path.join(store, '.trash')).map((e) => path.join(store, '.trash', e)),
  ];
  for (const exp of expDirs) {
    for (const name of dirs(exp)) {
      if (RESERVED.has(name)) continue;
      const run = path.join(exp, name);
      if (fs.existsSync(path.join(run, 'meta.yaml')) || dirs(run).some((d) => d === 'metrics' || d === 'params' || d === 'tags')) n++;
    }
  }
  return n;
}

describe.skipIf(!HAS_SHARED)('real-world corpus (../shared/corpus/real)', () => {
  const stores = HAS_SHARED ? findStores(CORPUS) : [];

  it('finds the stores', () => expect(stores.length).toBe(24));

  for (const store of stores) {
    const name = path.relative(CORPUS, store);
    it(`lists ${name}`, async () => {
      const exps = await mlr(['--store', store, 'experiments', 'ls', '--view', 'all', '--format', 'json']);
      expect(exps.stderr).not.toMatch(/internal error/);
      expect(exps.code, exps.stderr).toBe(0);
      const ids = (JSON.parse(exps.stdout) as { experiment_id: string }[]).map((e) => e.experiment_id);
      const table = await mlr(['--store', store, 'experiments', 'ls', '--view', 'all']);
      expect(table.code).toBe(0);

      const args = ['--store', store, 'runs', 'ls', '--view', 'all', '--format', 'ids'];
      for (const id of new Set(ids)) args.push('-e', id);
      const runs = ids.length ? await mlr(args) : { code: 0, stdout: '', stderr: '' };
      expect(runs.stderr).not.toMatch(/internal error/);
      expect(runs.code, runs.stderr).toBe(0);
      const listed = runs.stdout.split('\n').filter(Boolean).length;
      const warnings = (exps.stderr + runs.stderr).split('\n').filter((l) => l.startsWith('mlr: warning')).length;
      console.log(`${name}: ${ids.length} experiments, ${listed} runs, ${warnings} warnings`);
      expect(listed).toBe(countRunFolders(store));

      // the human table works on broken stores too
      const tty = await mlr(['--store', store, 'runs', 'ls', '--view', 'all', ...ids.flatMap((i) => ['-e', i])], {
        env: { MLR_FORCE_TTY: '1', COLUMNS: '120' },
      });
      expect(tty.code, tty.stderr).toBe(0);
    });
  }
});
