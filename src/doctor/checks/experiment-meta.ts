/**
 * Check 1 and the experiment half of check 3: an experiment folder whose meta.yaml is
 * missing, empty, cut off, unparsable (merge-conflict markers included) or lacks a field
 * MLflow needs is rebuilt; an `experiment_id` that disagrees with the folder is corrected.
 */
import fs from 'node:fs';
import type { DumpValue } from '../../store/file/yaml-dump.js';
import type { YamlMap } from '../../store/file/yaml.js';
import { learnArtifactRoots, rootInForm, type ArtifactRoots } from '../locations.js';
import { int, str, type Planner } from '../planner.js';
import { formatIso } from '../../values.js';
import { salvageMeta } from '../salvage.js';
import type { ExpScan } from '../scan.js';

/** The store's artifact-location convention, learned from the experiments' files as they are. */
export function artifactRootsOf(p: Planner): ArtifactRoots {
  return learnArtifactRoots(
    p.root,
    p.scan.experiments.map((e) => ({ folder: e.folder, dir: e.dir, location: str(e.meta.map?.['artifact_location']) })),
  );
}

/** Where a new or rebuilt experiment's artifacts go, in the form its siblings use. */
function newExperimentLocation(p: Planner, roots: ArtifactRoots, folder: string): string {
  if (roots.local !== undefined) return `${roots.local}/${folder}`;
  if (roots.remote !== undefined) return `${roots.remote}/${folder}`;
  return `${rootInForm(p.root, roots.localForm)}/${folder}`;
}

/** The earliest start of the experiment's runs (meta start_time, else first metric timestamp). */
function earliestRun(exp: ExpScan): number | undefined {
  let best: number | undefined;
  for (const r of exp.runs) {
    let t = int(r.meta.map?.['start_time']);
    if (t === undefined) for (const m of r.metrics) if (m.minTs !== undefined && (t === undefined || m.minTs < t)) t = m.minTs;
    if (t !== undefined && (best === undefined || t < best)) best = t;
  }
  return best;
}

function folderTime(dir: string): number {
  try {
    return Math.trunc(fs.statSync(dir).mtimeMs);
  } catch {
    return 0;
  }
}

const STATE_TEXT = {
  missing: ['experiment-meta-missing', 'has runs but no meta.yaml: MLflow skips the experiment and all its runs'],
  empty: ['experiment-meta-empty', 'meta.yaml is empty: MLflow fails on every experiment listing'],
  unparsable: ['experiment-meta-unparsable', 'meta.yaml is not valid YAML'],
  'not-a-map': ['experiment-meta-unparsable', 'meta.yaml is not a YAML mapping'],
} as const;

export function checkExperimentMeta(p: Planner): void {
  const roots = artifactRootsOf(p);
  const taken = new Set<string>();
  for (const e of p.scan.experiments) {
    const n = str(e.meta.map?.['name']);
    if (n) taken.add(n);
  }
  for (const exp of p.scan.experiments) {
    const meta = exp.meta;
    if (meta.state === 'unreadable') continue; // reported by the consistency check
    if (meta.state !== 'ok') {
      rebuildExperiment(p, exp, roots, taken);
      continue;
    }
    const map = meta.map!;
    const missing: string[] = [];
    const set: Record<string, DumpValue> = {};
    const name = str(map['name']);
    if (name === undefined || name === '') {
      missing.push('name');
      set['name'] = uniqueName(exp.folder === '0' ? 'Default' : `recovered-${exp.folder}`, taken);
    }
    if (map['experiment_id'] === undefined || map['experiment_id'] === null) {
      missing.push('experiment_id');
      set['experiment_id'] = exp.folder;
    }
    if (typeof map['artifact_location'] !== 'string') {
      missing.push('artifact_location');
      set['artifact_location'] = newExperimentLocation(p, roots, exp.folder);
    }
    const stage = map['lifecycle_stage'];
    if (stage !== 'active' && stage !== 'deleted') {
      missing.push(stage === undefined ? 'lifecycle_stage' : `lifecycle_stage '${String(stage)}'`);
      set['lifecycle_stage'] = exp.inTrash ? 'deleted' : 'active';
    }
    if (missing.length > 0) {
      p.add({
        code: 'experiment-meta-incomplete',
        severity: 'error',
        path: meta.rel,
        message: `meta.yaml lacks ${missing.join(', ')}: MLflow fails on every experiment listing`,
        fix: `fill in ${Object.entries(set)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(', ')}`,
        edits: [p.set(meta, set)],
      });
    }
    const id = str(map['experiment_id']);
    if (id !== undefined && id !== exp.folder) {
      p.add({
        code: 'experiment-id-mismatch',
        severity: 'error',
        path: meta.rel,
        message: `meta.yaml says experiment_id '${id}' but the folder is '${exp.folder}': MLflow skips the experiment ("Experiment ID mismatch")`,
        fix: `set experiment_id to '${exp.folder}'`,
        edits: [p.set(meta, { experiment_id: exp.folder })],
      });
    }
    if (missing.length === 0 && meta.text !== undefined && !meta.text.endsWith('\n')) {
      const lastLine = meta.text.slice(meta.text.lastIndexOf('\n') + 1);
      p.add({
        code: 'experiment-meta-truncated',
        severity: 'warning',
        path: meta.rel,
        message: `meta.yaml does not end with a newline: it may have been cut off (last line '${lastLine}')`,
        fix: 'rewrite meta.yaml as MLflow writes it, keeping every value',
        edits: [p.set(meta, {})],
      });
    }
  }
}

function uniqueName(want: string, taken: Set<string>): string {
  let name = want;
  for (let i = 2; taken.has(name); i++) name = `${want}-${i}`;
  taken.add(name);
  return name;
}

function rebuildExperiment(p: Planner, exp: ExpScan, roots: ArtifactRoots, taken: Set<string>): void {
  const meta = exp.meta;
  const state = meta.state as 'missing' | 'empty' | 'unparsable' | 'not-a-map';
  const { map: s, theirs } =
    meta.text !== undefined && state !== 'empty' ? salvageMeta(meta.text, Boolean(meta.conflict)) : { map: {} as YamlMap, theirs: {} as YamlMap };
  const notes: string[] = [];

  let name = str(s['name']);
  if (name) {
    if (taken.has(name)) notes.push(`name '${name}' recovered (also used by another experiment)`);
    else
      notes.push(
        `name '${name}' recovered from the file` + (theirs['name'] !== undefined ? ` (the other side of the conflict says '${str(theirs['name'])}')` : ''),
      );
    taken.add(name);
  } else {
    name = uniqueName(exp.folder === '0' ? 'Default' : `recovered-${exp.folder}`, taken);
    notes.push(exp.folder === '0' ? `name 'Default' (experiment 0)` : `name '${name}' (the original name is lost)`);
  }

  let creation = int(s['creation_time']);
  if (creation !== undefined) notes.push(`created ${formatIso(creation)} (recovered)`);
  else {
    creation = earliestRun(exp);
    if (creation !== undefined) notes.push(`created ${formatIso(creation)} (its earliest run)`);
    else {
      creation = folderTime(exp.dir);
      notes.push(`created ${formatIso(creation)} (the folder's modification time)`);
    }
  }
  const lastUpdate = int(s['last_update_time']) ?? creation;

  let location = str(s['artifact_location']);
  if (location === undefined) {
    location = newExperimentLocation(p, roots, exp.folder);
    notes.push(`artifact_location ${location}`);
  }
  const stageS = s['lifecycle_stage'];
  const stage = stageS === 'active' || stageS === 'deleted' ? stageS : exp.inTrash ? 'deleted' : 'active';

  const [code, what] = meta.conflict
    ? (['experiment-meta-conflict', 'meta.yaml holds merge-conflict markers: MLflow fails on every experiment listing (YAML ScannerError)'] as const)
    : state === 'unparsable' && meta.text !== undefined && !meta.text.endsWith('\n')
      ? (['experiment-meta-truncated', `meta.yaml is cut off and no longer parses: MLflow fails on every experiment listing`] as const)
      : STATE_TEXT[state];
  const runs = exp.runs.length;
  p.add({
    code,
    severity: 'error',
    path: meta.rel,
    message:
      state === 'missing'
        ? `experiment folder ${what.replace('all its runs', `its ${runs} run${runs === 1 ? '' : 's'}`)}`
        : state === 'unparsable' && !meta.conflict && meta.error
          ? `${what} (${meta.error})`
          : what,
    fix: `rebuild meta.yaml: ${notes.join(', ')}`,
    edits: [
      p.rebuild(meta, {
        artifact_location: location,
        creation_time: creation,
        experiment_id: exp.folder,
        last_update_time: lastUpdate,
        lifecycle_stage: stage,
        name,
      }),
    ],
  });
}
