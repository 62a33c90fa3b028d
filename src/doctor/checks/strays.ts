/**
 * Check 6: entries that do not belong in the store (.DS_Store, .ipynb_checkpoints, Finder
 * and iCloud duplicates, folders that are neither experiments nor runs). Reported; with
 * --fix they are moved out of the store into the backup, never deleted. Junk files and
 * duplicates are reported one finding per kind and experiment (a synced store can hold
 * thousands), with every path listed in `paths`. Folders holding only artifacts (another
 * tracking server's or database store's artifact root sharing the folder) are noted and
 * left alone: moving them would break that other store.
 */
import { shellQuote } from '../names.js';
import type { Planner } from '../planner.js';
import type { Alias, Stray, StrayWhere } from '../scan.js';

function consequence(s: Stray): string {
  const name = s.rel.split('/').pop() ?? s.rel;
  switch (s.where) {
    case 'root':
    case 'trash':
      return s.isDir ? 'MLflow warns about a malformed experiment on every listing' : 'clutter (MLflow ignores it)';
    case 'experiment':
      return s.isDir ? 'MLflow warns about a malformed run on every search' : 'clutter (MLflow ignores it)';
    case 'run':
      return 'clutter (MLflow ignores it)';
    case 'metrics':
      return s.kind === 'duplicate'
        ? `MLflow shows it as a metric named '${name}'`
        : `MLflow reads it as metric '${name}' and fails on every search of the experiment`;
    case 'params':
      return `MLflow shows it as a param named '${name}'`;
    case 'tags':
      return `MLflow shows it as a tag named '${name}'`;
    case 'registry':
      return 'clutter in the model registry';
  }
}

const WHERE_TEXT: Record<StrayWhere, string> = {
  root: 'at the store root',
  trash: 'in .trash',
  experiment: 'in the experiment folder',
  run: 'in run folders',
  metrics: 'in metrics/',
  params: 'in params/',
  tags: 'in tags/',
  registry: 'in the model registry',
};

function groupConsequence(list: Stray[]): string {
  const has = (w: StrayWhere): boolean => list.some((s) => s.where === w);
  if (list.some((s) => s.where === 'metrics' && s.kind === 'junk'))
    return 'MLflow reads the ones in metrics/ as metrics and fails on every search of the experiment';
  if (has('metrics') || has('params') || has('tags')) return 'MLflow shows the ones in metrics/, params/ and tags/ as extra keys';
  if (has('registry')) return 'clutter in the model registry';
  return 'clutter (MLflow ignores them)';
}

/** The experiment (or top folder) a path belongs to: `0`, `.trash/5`, `models`. */
function topOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === '.trash' && parts.length > 2) return parts.slice(0, 2).join('/');
  return parts.length > 1 ? parts[0]! : '.';
}

function codeOf(s: Stray): string {
  if (s.kind === 'duplicate') return 'stray-duplicate';
  if (s.kind === 'junk') return 'stray-junk';
  return s.isDir ? 'stray-folder' : 'stray-file';
}

export function checkStrays(p: Planner): void {
  const groups = new Map<string, Stray[]>();
  for (const s of p.scan.strays) {
    if (s.kind === 'other') {
      p.add({
        code: codeOf(s),
        severity: s.severity,
        path: s.rel,
        message: `${s.reason}: ${consequence(s)}`,
        fix: 'move it out of the store into the backup',
        edits: [{ kind: 'move-out', path: s.path }],
      });
      continue;
    }
    const key = `${s.kind}\0${topOf(s.rel)}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  for (const [key, list] of groups) {
    const top = key.split('\0')[1]!;
    const first = list[0]!;
    const severity = list.some((s) => s.severity === 'error') ? 'error' : 'warning';
    if (list.length === 1) {
      p.add({
        code: codeOf(first),
        severity,
        path: first.rel,
        message: `${first.reason}: ${consequence(first)}`,
        fix: 'move it out of the store into the backup',
        edits: [{ kind: 'move-out', path: first.path }],
      });
      continue;
    }
    const counts = new Map<StrayWhere, number>();
    for (const s of list) counts.set(s.where, (counts.get(s.where) ?? 0) + 1);
    const breakdown = [...counts].map(([w, n]) => `${n} ${WHERE_TEXT[w]}`).join(', ');
    const names = [...new Set(list.map((s) => s.rel.split('/').pop()!))];
    const examples =
      names
        .slice(0, 3)
        .map((n) => `'${n}'`)
        .join(', ') + (names.length > 3 ? ', …' : '');
    const what = first.kind === 'duplicate' ? 'Finder/iCloud duplicates of files still there' : 'operating-system or tool files';
    p.add({
      code: codeOf(first),
      severity,
      path: top,
      message: `${list.length} ${what} (${breakdown}; e.g. ${examples}): ${groupConsequence(list)}`,
      fix: 'move them out of the store into the backup',
      paths: list.map((s) => s.rel),
      edits: list.map((s) => ({ kind: 'move-out' as const, path: s.path })),
    });
  }
  for (const a of p.scan.aliases) checkAlias(p, a);
  for (const rel of p.scan.artifactOnly) {
    p.add({
      code: 'artifact-only-folder',
      severity: 'info',
      path: rel,
      message: 'holds only artifacts and no meta.yaml: the artifact root of a tracking server or a database store sharing this folder; left alone',
      edits: [],
    });
  }
  for (const l of p.scan.lookalikes) {
    p.add({
      code: 'duplicate-lookalike',
      severity: 'info',
      path: l.rel,
      message: `named like a Finder duplicate of '${l.original}' but its content differs: left alone (it may be a real key)`,
      edits: [],
    });
  }
}

/**
 * A symlinked experiment, run or key folder: an alias of another folder. Never scanned and
 * never repaired through (what the doctor would write there lands in the folder it points
 * at); a key-folder link that loops is moved out (MLflow does not follow it either).
 */
function checkAlias(p: Planner, a: Alias): void {
  const link = `a symlink to '${a.target}'`;
  const rm = `rm ${shellQuote(a.path)}   # removes the link only`;
  if (a.where === 'root' || a.where === 'trash') {
    p.add({
      code: 'experiment-alias',
      severity: 'warning',
      path: a.rel,
      message: `${link} where experiments live${a.loop ? ' (it points back at the store: a loop)' : ''}: MLflow reads what it points at a second time as experiment '${a.rel.split('/').pop()!}'; the doctor checks and repairs nothing through it`,
      command: rm,
      edits: [],
    });
    return;
  }
  if (a.where === 'experiment') {
    p.add({
      code: 'run-alias',
      severity: 'warning',
      path: a.rel,
      message: `${link} where runs live${a.loop ? ' (it points back at the experiment: a loop)' : ''}: MLflow reads what it points at a second time as run '${a.rel.split('/').pop()!}'; the doctor checks and repairs nothing through it`,
      command: rm,
      edits: [],
    });
    return;
  }
  const kind = a.where === 'metrics' ? 'metric' : a.where === 'params' ? 'param' : 'tag';
  if (a.loop) {
    p.add({
      code: 'key-symlink-loop',
      severity: 'warning',
      path: a.rel,
      message: `${link} inside ${a.where}/ that points back at the folder holding it: a loop (listing through it repeats every ${kind} as '${a.rel.split('/').pop()!}/…'); MLflow does not follow it`,
      fix: 'move the link out of the store into the backup',
      edits: [{ kind: 'move-out', path: a.path }],
    });
    return;
  }
  p.add({
    code: 'key-symlink',
    severity: 'warning',
    path: a.rel,
    message: `${link} inside ${a.where}/: MLflow does not follow symlinked folders there, so none of the ${kind}s behind it are shown (by MLflow or mlr)`,
    command: rm,
    edits: [],
  });
}
