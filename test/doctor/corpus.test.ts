/**
 * Issue 5 on real stores: every mlruns folder in ../shared/corpus/real (third-party data,
 * outside this repo) is diagnosed on a copy (the test prints what it found), repaired with
 * --fix, and then reads cleanly: nothing repairable is left, `mlr runs ls --view all` lists
 * every run folder without a warning, every param and tag is still there byte for byte,
 * every metric line except the ones moved into the backup is still there, every changed
 * byte is in the backup, and --undo restores the copy exactly.
 * Skipped, and says so, when ../shared is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, HAS_SHARED, findStores, mlr, tempDir, copyTree } from '../helpers.js';
import { backups, doctor, expectBackupCovers, expectDataKept, listing, manifest, mlflowProblems, report, runFolders, snapshot, userData } from './helpers.js';

/** The stores SOURCES.md calls broken, and what must be found in each. */
const BROKEN: Record<string, string[]> = {
  'kuto5046__kaggle-rainforest@cb2c769a/mlruns': ['experiment-meta-missing'],
  'keimoriyama__baseline@1e3636da/mlruns': ['run-meta-missing'],
  'samuel29102002__AsteroidPredictionModel/mlruns': [
    'run-misplaced',
    'stray-duplicate',
    'stray-junk',
    'experiment-name-held-by-deleted',
    'experiment-id-duplicate',
  ],
  'PacktPublishing__Hyperparameter-Tuning-with-Python/mlruns': ['stray-junk'],
  '2025-2-productos__PRE-07-mlflow-tracking-basico-LissyGraceRestrepo@fde5365f/mlruns': ['artifact-only-folder'],
};

describe.skipIf(!HAS_SHARED)('doctor on the real-world corpus (../shared/corpus/real)', () => {
  const stores = HAS_SHARED ? findStores(CORPUS) : [];

  it('finds the stores', () => expect(stores.length).toBe(24));
  if (!HAS_SHARED) console.log(`skipped: ${CORPUS} is absent`);

  for (const src of stores) {
    const name = path.relative(CORPUS, src);
    it(`diagnoses and repairs ${name}`, async () => {
      const store = path.join(tempDir('doctor-corpus'), 'mlruns');
      copyTree(src, store);
      const before = await report(store);
      const byCode = new Map<string, number>();
      for (const f of before.findings) byCode.set(`${f.severity} ${f.code}`, (byCode.get(`${f.severity} ${f.code}`) ?? 0) + 1);
      console.log(`${name}: ${before.findings.length ? [...byCode].map(([c, n]) => `${c} ×${n}`).join(', ') : 'clean'}`);
      for (const code of BROKEN[name] ?? [])
        expect(
          before.findings.map((f) => f.code),
          name,
        ).toContain(code);

      const broken = snapshot(store);
      const data = userData(store);
      const fix = await doctor(store, '--fix');
      expect(fix.stderr).not.toMatch(/internal error/);
      const after = await report(store);
      // nothing repairable is left; what is left is report-only and was there before
      expect(after.findings.filter((f) => f.fix !== undefined)).toEqual([]);
      const left = after.findings.filter((f) => f.severity !== 'info');
      expect(fix.code).toBe(left.length ? 3 : 0);
      for (const f of left) expect(before.findings.some((b) => b.code === f.code && b.path === f.path)).toBe(true);
      // every run is listed; the only warnings left are about folders holding only another
      // store's artifacts, which MLflow skips too and the doctor must not move
      const l = await listing(store);
      const artifactOnly = after.findings.filter((f) => f.code === 'artifact-only-folder').map((f) => path.join(store, f.path));
      const foreign = new Set(artifactOnly.flatMap((a) => (fs.existsSync(a) ? fs.readdirSync(a) : [])));
      expect(l.ids.filter((id) => !foreign.has(id))).toEqual(runFolders(store).filter((id) => !foreign.has(id)));
      for (const w of l.warnings.filter((x) => x.startsWith('mlr: warning:')))
        expect(
          artifactOnly.some((a) => w.includes(a + ' ') || w.includes(a + '/')),
          w,
        ).toBe(true);

      // MLflow's own parsers (PyYAML, Python int/float) open the repaired store
      const mp = await mlflowProblems(
        store,
        after.findings.filter((f) => f.code === 'artifact-only-folder').map((f) => f.path),
      );
      if (mp) expect(mp, name).toEqual([]);

      const [backup] = backups(store);
      if (!before.findings.some((f) => f.fix !== undefined)) {
        expect(backup).toBeUndefined();
        expect(snapshot(store)).toEqual(broken);
        return;
      }
      const m = manifest(backup!);
      // what the fix took out on purpose: strays moved out, bad metric lines
      const gone = m.actions.filter((a) => a.action === 'move-out').map((a) => a.path);
      for (const g of gone) {
        const parts = g.split('/');
        const i = parts.findIndex((x) => x === 'params' || x === 'tags' || x === 'metrics');
        if (i > 0) data.delete(`${parts[i - 1]}/${parts.slice(i).join('/')}`);
      }
      const dropped: Record<string, string[]> = {};
      for (const a of m.actions) {
        if (a.action !== 'rewrite-metric') continue;
        const parts = a.path.split('/');
        const i = parts.indexOf('metrics');
        dropped[`${parts[i - 1]}/metrics/${parts.slice(i + 1).join('/')}`] = a.removed_lines!.map((l) => Buffer.from(l.text, 'utf8').toString('latin1'));
      }
      expectDataKept(data, userData(store), dropped);
      expectBackupCovers(broken, snapshot(store), backup!);
      const undo = await mlr(['doctor', '--undo', backup!]);
      expect(undo.code, undo.stderr).toBe(0);
      expect(snapshot(store)).toEqual(broken);
    });
  }
});
