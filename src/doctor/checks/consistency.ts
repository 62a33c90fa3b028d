/**
 * Check 8, report only: runs whose lifecycle_stage disagrees with their experiment's,
 * experiments whose stage disagrees with where their folder is, one experiment id in two
 * places, registry versions pointing at runs that are not in the store, broken registry
 * files, and files or folders that cannot be read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../names.js';
import { str, type Planner } from '../planner.js';
import type { ExpScan, RunScan } from '../scan.js';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

export function checkConsistency(p: Planner): void {
  const runsOf = new Map<ExpScan, RunScan[]>();
  for (const run of p.runs) {
    const exp = p.experimentOf(run);
    const map = p.effective(run.meta);
    if (!exp || !map) continue;
    if ((str(map['lifecycle_stage']) ?? 'active') === 'active') runsOf.set(exp, [...(runsOf.get(exp) ?? []), run]);
  }
  const seen = new Map<string, ExpScan>();
  for (const exp of p.scan.experiments) {
    const map = p.effective(exp.meta);
    if (!map) continue;
    const stage = str(map['lifecycle_stage']);
    const activeRuns = runsOf.get(exp) ?? [];
    const active = activeRuns.length;
    if (!exp.inTrash && stage === 'deleted') {
      // MLflow deletes by rewriting meta.yaml, then moving the folder: this one stopped half-way
      const trashed = path.join(p.root, '.trash', exp.folder);
      p.add({
        code: 'experiment-lifecycle-mismatch',
        severity: 'warning',
        path: exp.meta.rel,
        message: `meta.yaml says deleted but the folder is not in .trash (a delete that stopped half-way): MLflow shows it as deleted and cannot restore it`,
        command: fs.existsSync(trashed)
          ? undefined
          : `mlr experiments delete ${shellQuote(exp.folder)}   # finishes the delete (mlr experiments restore ${shellQuote(exp.folder)} undoes it)`,
        edits: [],
      });
    } else if (exp.inTrash && stage === 'active') {
      p.add({
        code: 'legacy-deleted-experiment',
        severity: 'info',
        path: exp.rel,
        message: `in .trash but meta.yaml says active (deleted by MLflow 1.x, or moved there by hand)${active ? `: MLflow 2+ still lists its ${plural(active, 'run')} as active` : ''}; mlr treats it as deleted`,
        edits: [],
      });
    } else if (exp.inTrash && stage === 'deleted' && active > 0) {
      p.add({
        code: 'run-lifecycle-mismatch',
        severity: 'warning',
        path: exp.rel,
        message: `${plural(active, 'run')} of deleted experiment ${exp.folder} ${active === 1 ? 'is' : 'are'} still active (a delete that stopped half-way): MLflow lists them in searches of this experiment`,
        command:
          active === 1 ? `mlr runs delete ${activeRuns[0]!.folder}` : `for r in ${activeRuns.map((r) => r.folder).join(' ')}; do mlr runs delete "$r"; done`,
        paths: activeRuns.map((r) => r.meta.rel),
        edits: [],
      });
    }
    const twin = seen.get(exp.folder);
    if (twin) {
      const [atRoot, inTrash] = twin.inTrash ? [exp, twin] : [twin, exp];
      p.add({
        code: 'experiment-id-duplicate',
        severity: 'warning',
        path: inTrash.rel,
        message: `experiment id ${exp.folder} exists both at ${atRoot.rel} and in .trash: MLflow finds only the one at the root; look at ${inTrash.rel} and remove it if nothing there is needed`,
        edits: [],
      });
    } else seen.set(exp.folder, exp);
  }

  const runIds = new Set<string>(p.runs.map((r) => r.folder));
  for (const v of p.scan.versions) {
    if (v.deleted || v.runId === null || runIds.has(v.runId)) continue;
    p.add({
      code: 'registry-run-missing',
      severity: 'warning',
      path: v.rel,
      message: `model '${v.model}' version ${v.version} points at run ${v.runId}, which is not in the store`,
      command: `mlr models delete-version ${shellQuote(v.model)} ${v.version}   # if the model is no longer needed`,
      edits: [],
    });
  }
  for (const r of p.scan.registryProblems) {
    p.add({
      code: 'registry-meta-broken',
      severity: 'error',
      path: r.rel,
      message: `registry meta.yaml is ${r.error}: MLflow fails on every model search`,
      edits: [],
    });
  }
  for (const u of p.scan.unreadable) {
    p.add({
      code: 'file-unreadable',
      severity: 'error',
      path: u.rel,
      message: `cannot be read (${u.error}): MLflow fails on it too`,
      command: `chmod -R u+rwX ${shellQuote(path.join(p.root, u.rel))}`,
      edits: [],
    });
  }
}
