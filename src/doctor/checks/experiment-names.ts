/**
 * Check 7: two experiments with the same name (concurrent `set_experiment` races, copied
 * folders) and names held by deleted experiments in .trash. MLflow's lookup by name then
 * picks one arbitrarily, or refuses to create or set the name. Report only: each finding
 * carries the command that frees the name; the doctor never merges experiments.
 */
import { shellQuote } from '../names.js';
import { int, str, type Planner } from '../planner.js';
import type { ExpScan } from '../scan.js';

interface Named {
  exp: ExpScan;
  name: string;
  deleted: boolean;
  created: number;
}

export function checkExperimentNames(p: Planner): void {
  const groups = new Map<string, Named[]>();
  const all = new Set<string>();
  for (const exp of p.scan.experiments) {
    const map = p.effective(exp.meta);
    const name = str(map?.['name']);
    if (!map || name === undefined) continue;
    all.add(name);
    const deleted = exp.inTrash || map['lifecycle_stage'] === 'deleted';
    const list = groups.get(name) ?? [];
    list.push({ exp, name, deleted, created: int(map['creation_time']) ?? Number.MAX_SAFE_INTEGER });
    groups.set(name, list);
  }
  for (const [name, list] of groups) {
    if (list.length < 2) continue;
    // the name stays with the oldest active experiment (or the oldest one when all are deleted)
    const sorted = [...list].sort((a, b) => Number(a.deleted) - Number(b.deleted) || a.created - b.created || (a.exp.folder < b.exp.folder ? -1 : 1));
    const keeper = sorted[0]!;
    for (const other of sorted.slice(1)) {
      let newName = `${name}-${other.exp.folder}`;
      for (let i = 2; all.has(newName); i++) newName = `${name}-${other.exp.folder}-${i}`;
      all.add(newName);
      const keeperText = `experiment ${keeper.exp.folder}${keeper.deleted ? ' (deleted)' : ''}`;
      p.add({
        code: other.deleted ? 'experiment-name-held-by-deleted' : 'experiment-name-duplicate',
        severity: 'warning',
        path: other.exp.meta.rel,
        message: other.deleted
          ? `deleted experiment ${other.exp.folder} in .trash holds the name '${name}', also used by ${keeperText}: MLflow may resolve the name to the deleted one and refuses to create it again`
          : `experiment ${other.exp.folder} has the same name '${name}' as ${keeperText}: MLflow resolves the name to either one`,
        command: other.deleted
          ? `mlr trash rename ${other.exp.folder} ${shellQuote(newName)}`
          : `mlr experiments rename ${other.exp.folder} ${shellQuote(newName)}`,
        edits: [],
      });
    }
  }
}
