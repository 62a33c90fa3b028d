/**
 * Check 2 and the run half of check 3: a run folder whose meta.yaml is missing, empty, cut
 * off or unparsable is rebuilt from what the folder holds (id from the folder, experiment
 * from its parent, name/user from mlflow.* tags, times from metric timestamps); a run_id or
 * experiment_id that disagrees with where the folder is gets corrected; a run folder sitting
 * where an experiment belongs is moved into the experiment its meta.yaml names.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DumpValue } from '../../store/file/yaml-dump.js';
import type { YamlMap } from '../../store/file/yaml.js';
import { endsWithSegments, formOf, isInside, localPathOf, rootInForm } from '../locations.js';
import { RUN_ID_RE, shellQuote } from '../names.js';
import { int, str, type Planner } from '../planner.js';
import { formatIso } from '../../values.js';
import { salvageMeta } from '../salvage.js';
import { sameContent, type RunScan } from '../scan.js';

const STATUS_NAMES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

/** Move runs found at experiment level into the experiment their meta.yaml names. */
export function checkMisplacedRuns(p: Planner): void {
  for (const run of p.scan.misplacedRuns) {
    const map = run.meta.map!;
    const expId = str(map['experiment_id']);
    const where = run.inTrash ? '.trash' : 'the store root';
    const target = expId !== undefined ? p.experiment(expId) : undefined;
    const base = `a run folder sits in ${where} where experiments belong (its meta.yaml names experiment '${expId ?? '?'}'): MLflow skips it`;
    if (!target) {
      p.add({
        code: 'run-misplaced',
        severity: 'error',
        path: run.rel,
        message: `${base}, and no experiment '${expId ?? '?'}' exists`,
        command: `mlr experiments create <name>, then: mlr runs mv ${run.folder} --to <name>`,
        edits: [],
      });
      continue;
    }
    const dest = path.join(target.dir, run.folder);
    if (fs.existsSync(dest)) {
      if (sameContent(run.dir, dest)) {
        p.add({
          code: 'run-misplaced',
          severity: 'warning',
          path: run.rel,
          message: `${base}; it is an identical copy of ${target.rel}/${run.folder}`,
          fix: 'move the copy out of the store into the backup',
          edits: [{ kind: 'move-out', path: run.dir }],
        });
      } else {
        p.add({
          code: 'run-misplaced',
          severity: 'error',
          path: run.rel,
          message: `${base}; ${target.rel}/${run.folder} also exists and differs, so mlr will not choose`,
          edits: [],
        });
      }
      continue;
    }
    const fromTrash = run.inTrash;
    const stage = str(map['lifecycle_stage']) ?? 'active';
    const edits = [];
    let also = '';
    if (fromTrash && stage !== 'deleted') {
      // someone "deleted" it by moving it into .trash: keep that intent, as a deleted run (restorable)
      edits.push(p.set(run.meta, { lifecycle_stage: 'deleted', deleted_time: p.now }));
      also = ' and mark it deleted (it was put in .trash)';
    }
    edits.push({ kind: 'move' as const, from: run.dir, to: dest });
    p.add({
      code: 'run-misplaced',
      severity: 'error',
      path: run.rel,
      message: base,
      fix: `move it into experiment ${target.folder} (${target.rel}/${run.folder})${also}`,
      edits,
    });
    run.expFolder = target.folder;
    run.inTrash = target.inTrash;
    p.runs.push(run);
  }
}

function readTag(run: RunScan, key: string): string | undefined {
  if (!run.tagKeys.includes(key)) return undefined;
  try {
    return fs.readFileSync(path.join(run.dir, 'tags', key), 'utf8');
  } catch {
    return undefined;
  }
}

/** Earliest and latest modification time of the run's files (when nothing better is known). */
function fileTimes(run: RunScan): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  const visit = (p: string, depth: number): void => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (depth > 3) return;
      for (const n of fs.readdirSync(p)) if (n !== 'artifacts') visit(path.join(p, n), depth + 1);
      return;
    }
    first = Math.min(first, st.mtimeMs);
    last = Math.max(last, st.mtimeMs);
  };
  for (const sub of ['tags', 'params', 'metrics']) visit(path.join(run.dir, sub), 0);
  if (!Number.isFinite(first)) {
    try {
      first = last = fs.statSync(run.dir).mtimeMs;
    } catch {
      first = last = 0;
    }
  }
  return { first: Math.trunc(first), last: Math.trunc(last) };
}

function metricTimes(run: RunScan): { min?: number; max?: number } {
  let min: number | undefined;
  let max: number | undefined;
  for (const m of run.metrics) {
    if (m.minTs !== undefined && (min === undefined || m.minTs < min)) min = m.minTs;
    if (m.maxTs !== undefined && (max === undefined || m.maxTs > max)) max = m.maxTs;
  }
  return { min, max };
}

function validStatus(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5) return v;
  // a status written as its name ("FINISHED") crashes MLflow; the intent is clear
  if (typeof v === 'string') {
    const i = STATUS_NAMES.indexOf(v.toUpperCase());
    if (i >= 0) return i + 1;
  }
  return undefined;
}

/** The stage and deleted_time a rebuilt run gets from its experiment. */
function stageFromExperiment(p: Planner, run: RunScan): { stage: 'active' | 'deleted'; deletedTime?: number } {
  const exp = p.experimentOf(run);
  const em = exp ? p.effective(exp.meta) : undefined;
  if (em && em['lifecycle_stage'] === 'deleted') return { stage: 'deleted', deletedTime: int(em['last_update_time']) ?? p.now };
  return { stage: 'active' };
}

function artifactUriFor(p: Planner, run: RunScan): string | undefined {
  const exp = p.experimentOf(run);
  const loc = exp ? str(p.effective(exp.meta)?.['artifact_location']) : undefined;
  return loc === undefined ? undefined : `${loc.replace(/\/+$/, '')}/${run.folder}/artifacts`;
}

/**
 * The store's era for run_uuid: MLflow 1.x/2.x write it and 2.x fails on every search of an
 * experiment with a run lacking it (TypeError); 3.x no longer writes it. A store where some
 * run has run_uuid was written (at least partly) by 1.x/2.x, so a run without it is broken.
 */
function wantsRunUuid(p: Planner): boolean {
  return p.runs.some((r) => r.meta.state === 'ok' && r.meta.map?.['run_uuid'] !== undefined);
}

/** Keys MLflow needs that a parsed run meta.yaml lacks (absent, or null where None crashes). */
function requiredMissing(map: YamlMap, runUuid: boolean): string[] {
  const out: string[] = [];
  const absent = (k: string): boolean => map[k] === undefined || map[k] === null;
  if (absent('run_id') && absent('run_uuid')) out.push('run_id');
  else if (runUuid && absent('run_uuid')) out.push('run_uuid');
  if (absent('experiment_id')) out.push('experiment_id');
  if (int(map['start_time']) === undefined) out.push('start_time');
  if (!('end_time' in map)) out.push('end_time');
  if (absent('user_id')) out.push('user_id');
  return out;
}

export function checkRunMeta(p: Planner): void {
  const eraUuid = wantsRunUuid(p);
  for (const run of p.runs) {
    const meta = run.meta;
    if (meta.state === 'unreadable') continue;
    if (meta.state !== 'ok') {
      rebuildRun(p, run);
      continue;
    }
    const map = meta.map!;
    // cut off where it still parses (`artifact_uri: file:///…/mlr`): what is left is a
    // fragment, its last line possibly cut mid-value, so it is rebuilt like any truncated file
    if (meta.text !== undefined && !meta.text.endsWith('\n') && requiredMissing(map, eraUuid).length > 0) {
      rebuildRun(p, run, requiredMissing(map, eraUuid));
      continue;
    }
    if (!RUN_ID_RE.test(run.folder)) {
      p.add({
        code: 'run-folder-name-invalid',
        severity: 'error',
        path: run.rel,
        message: `'${run.folder}' is not a valid run id: MLflow cannot address this run`,
        command: str(map['run_id']) ? `mv ${shellQuote(run.dir)} ${shellQuote(path.join(path.dirname(run.dir), str(map['run_id'])!))}` : undefined,
        edits: [],
      });
      continue;
    }
    const runId = str(map['run_id']);
    const runUuid = str(map['run_uuid']);
    if ((runId !== undefined && runId !== run.folder) || (runUuid !== undefined && runUuid !== run.folder)) {
      const said = runId ?? runUuid;
      const set: Record<string, DumpValue> = { run_id: run.folder };
      if (runUuid !== undefined) set['run_uuid'] = run.folder;
      p.add({
        code: 'run-id-mismatch',
        severity: 'error',
        path: meta.rel,
        message: `meta.yaml says run_id '${said}' but the folder is '${run.folder}': MLflow lists the run under an id it cannot open`,
        fix: `set ${Object.keys(set).join(' and ')} to '${run.folder}'`,
        edits: [p.set(meta, set)],
      });
    }
    const expId = str(map['experiment_id']);
    if (expId !== undefined && expId !== run.expFolder && movedByHand(p, run, map, expId)) continue;
    if (expId !== undefined && expId !== run.expFolder) {
      p.add({
        code: 'run-experiment-mismatch',
        severity: 'error',
        path: meta.rel,
        message: `meta.yaml says experiment_id '${expId}' but the run is in experiment folder '${run.expFolder}': MLflow skips the run ("Wrong experiment ID")`,
        fix: `set experiment_id to '${run.expFolder}'`,
        edits: [p.set(meta, { experiment_id: run.expFolder })],
      });
    }
    incomplete(p, run, map, eraUuid);
  }
}

/**
 * A run folder moved by hand from one experiment into another: its experiment_id names an
 * experiment that exists (without this run) and its artifact_uri points into that
 * experiment's folder. It is kept where it is (made a run of this experiment, artifacts
 * included) and the report gives the `mlr runs mv` that puts it back.
 */
function movedByHand(p: Planner, run: RunScan, map: YamlMap, expId: string): boolean {
  const from = p.experiment(expId);
  const uri = str(map['artifact_uri']);
  if (!from || uri === undefined || !endsWithSegments(uri, `${expId}/${run.folder}/artifacts`)) return false;
  if (fs.existsSync(path.join(from.dir, run.folder))) return false;
  const name = str(p.effective(from.meta)?.['name']);
  const set: Record<string, DumpValue> = { experiment_id: run.expFolder };
  const old = localPathOf(uri, p.root);
  const fixes = [`set experiment_id to '${run.expFolder}'`];
  if (old !== undefined && !fs.existsSync(old)) {
    const now = artifactUriHere(p, run, uri);
    set['artifact_uri'] = now;
    fixes.push(`artifact_uri to ${now}`);
  }
  p.add({
    code: 'run-moved',
    severity: 'error',
    path: run.rel,
    message: `the run folder was moved by hand from experiment ${name !== undefined ? `'${name}' (${expId})` : expId} into ${run.expFolder}: its meta.yaml still says experiment_id '${expId}' and its artifact_uri points there, so MLflow skips the run ("Wrong experiment ID")`,
    fix: `keep it in experiment ${run.expFolder}: ${fixes.join(' and ')}`,
    command: `mlr runs mv ${run.folder} --to ${expId}   # after the fix, to put it back where it came from`,
    edits: [p.set(run.meta, set)],
  });
  return true;
}

/** The artifact_uri of a run whose artifacts are in its own folder: under its experiment's location when that is this folder, else the store's place. */
export function artifactUriHere(p: Planner, run: RunScan, like: string): string {
  const own = path.join(run.dir, 'artifacts');
  const fromExp = artifactUriFor(p, run);
  const lp = fromExp !== undefined ? localPathOf(fromExp, p.root) : undefined;
  if (fromExp !== undefined && lp !== undefined && path.resolve(lp) === own) return fromExp;
  const form = formOf(like) === 'file-uri' ? 'file-uri' : 'plain';
  const exp = run.inTrash ? `.trash/${run.expFolder}` : run.expFolder;
  return `${rootInForm(p.root, form)}/${exp}/${run.folder}/artifacts`;
}

/** Fields MLflow 2.12 needs (a missing one crashes every search of the experiment). */
function incomplete(p: Planner, run: RunScan, map: YamlMap, runUuid: boolean): void {
  const set: Record<string, DumpValue> = {};
  const missing: string[] = [];
  const times = (): { start: number; end: number | null } => {
    const mt = metricTimes(run);
    if (mt.min !== undefined) return { start: mt.min, end: mt.max ?? null };
    const ft = fileTimes(run);
    return { start: ft.first, end: null };
  };
  if (map['run_id'] === undefined && map['run_uuid'] === undefined) {
    missing.push('run_id');
    set['run_id'] = run.folder;
    set['run_uuid'] = run.folder;
  } else if (runUuid && (map['run_uuid'] === undefined || map['run_uuid'] === null)) {
    // MLflow 2.x: TypeError "missing 1 required positional argument: 'run_uuid'"
    missing.push(map['run_uuid'] === null ? 'run_uuid (it is null)' : 'run_uuid');
    set['run_uuid'] = run.folder;
  }
  if (map['experiment_id'] === undefined || map['experiment_id'] === null) {
    missing.push('experiment_id');
    set['experiment_id'] = run.expFolder;
  }
  if (int(map['start_time']) === undefined) {
    missing.push(map['start_time'] === undefined ? 'start_time' : `start_time ${String(map['start_time'])}`);
    set['start_time'] = int(map['end_time']) ?? times().start;
  }
  if (!('end_time' in map)) {
    missing.push('end_time');
    set['end_time'] = times().end;
  } else if (map['end_time'] !== null && int(map['end_time']) === undefined) {
    missing.push(`end_time ${String(map['end_time'])}`);
    set['end_time'] = times().end;
  }
  if (map['user_id'] === undefined || map['user_id'] === null) {
    missing.push('user_id');
    set['user_id'] = readTag(run, 'mlflow.user') ?? 'unknown';
  }
  if (map['status'] !== undefined && map['status'] !== null && validStatus(map['status']) !== map['status']) {
    missing.push(`a valid status (it has '${String(map['status'])}')`);
    const v = validStatus(map['status']);
    set['status'] = v ?? ((set['end_time'] ?? map['end_time']) !== null ? 3 : 1);
  }
  const stage = map['lifecycle_stage'];
  if (stage !== undefined && stage !== 'active' && stage !== 'deleted') {
    missing.push(`a valid lifecycle_stage (it has '${String(stage)}')`);
    set['lifecycle_stage'] = map['deleted_time'] !== undefined && map['deleted_time'] !== null ? 'deleted' : 'active';
  }
  if (missing.length > 0) {
    p.add({
      code: 'run-meta-incomplete',
      severity: 'error',
      path: run.meta.rel,
      message: `meta.yaml lacks ${missing.join(', ')}: MLflow fails on every search of the experiment`,
      fix: `fill in ${Object.entries(set)
        .map(([k, v]) => `${k}: ${v === null ? 'null' : String(v)}`)
        .join(', ')}`,
      edits: [p.set(run.meta, set)],
    });
    return;
  }
  const text = run.meta.text;
  if (text !== undefined && !text.endsWith('\n')) {
    p.add({
      code: 'run-meta-truncated',
      severity: 'warning',
      path: run.meta.rel,
      message: `meta.yaml does not end with a newline: it may have been cut off (last line '${text.slice(text.lastIndexOf('\n') + 1)}')`,
      fix: 'rewrite meta.yaml as MLflow writes it, keeping every value',
      edits: [p.set(run.meta, {})],
    });
  }
}

function rebuildRun(p: Planner, run: RunScan, lacks?: string[]): void {
  const meta = run.meta;
  const state = meta.state as 'missing' | 'empty' | 'unparsable' | 'not-a-map';
  const { map: s } = meta.text !== undefined && state !== 'empty' ? salvageMeta(meta.text, Boolean(meta.conflict)) : { map: {} as YamlMap };
  const notes: string[] = [];
  const tagName = readTag(run, 'mlflow.runName');
  const tagUser = readTag(run, 'mlflow.user');
  const parent = readTag(run, 'mlflow.parentRunId');

  let name = str(s['run_name']);
  if (name !== undefined && name.includes('\uFFFD') && tagName !== undefined && !tagName.includes('\uFFFD')) {
    // the bytes of the name were not valid UTF-8 (decoded to U+FFFD): the tag still has it
    name = tagName;
    notes.push(`name '${name}' (mlflow.runName tag; the one in meta.yaml is not valid UTF-8)`);
  } else if (name !== undefined) notes.push(`name '${name}' recovered`);
  else if (tagName !== undefined) {
    name = tagName;
    notes.push(`name '${name}' (mlflow.runName tag)`);
  } else {
    name = '';
    notes.push('no name (no mlflow.runName tag)');
  }
  let user = str(s['user_id']);
  if (user === undefined) {
    user = tagUser ?? 'unknown';
    notes.push(tagUser !== undefined ? `user '${user}' (mlflow.user tag)` : `user 'unknown' (no mlflow.user tag)`);
  }
  if (parent !== undefined) notes.push(`child of run ${parent}`);

  const mt = metricTimes(run);
  let start = int(s['start_time']);
  let end: number | null | undefined = 'end_time' in s ? (s['end_time'] === null ? null : int(s['end_time'])) : undefined;
  if (start === undefined || end === undefined) {
    if (mt.min !== undefined) {
      start ??= mt.min;
      end ??= mt.max ?? null;
      notes.push(`start ${formatIso(start)}${end !== null ? `, end ${formatIso(end)}` : ''} (from metric timestamps)`);
    } else {
      const ft = fileTimes(run);
      start ??= ft.first;
      end ??= null;
      notes.push(`start ${formatIso(start)} (the oldest file in the run; no metrics)`);
    }
  }
  let status = validStatus(s['status']);
  if (status === undefined) {
    status = end !== null ? 3 : 1;
    notes.push(end !== null ? 'status FINISHED (guessed: it has an end time)' : 'status RUNNING (guessed: no end time could be recovered)');
  }
  const stageS = s['lifecycle_stage'];
  let stage: 'active' | 'deleted';
  let deletedTime = int(s['deleted_time']);
  if (stageS === 'active' || stageS === 'deleted') stage = stageS;
  else {
    const fromExp = stageFromExperiment(p, run);
    stage = fromExp.stage;
    if (stage === 'deleted') {
      deletedTime ??= fromExp.deletedTime;
      notes.push('deleted, like its experiment');
    }
  }
  let artifactUri = str(s['artifact_uri']) ?? artifactUriFor(p, run);
  const salvagedUri = str(s['artifact_uri']);
  const salvagedPath = salvagedUri === undefined ? undefined : localPathOf(salvagedUri, p.root);
  if (salvagedUri !== undefined && salvagedPath !== undefined && (run.hasArtifacts || isInside(p.root, salvagedPath)) && !fs.existsSync(salvagedPath)) {
    // what survived may be cut mid-path (a folded line cut off): a place that does not exist
    // is replaced by the run's own artifacts folder
    const here = artifactUriHere(p, run, salvagedUri);
    if (here !== salvagedUri) {
      artifactUri = here;
      notes.push(`artifact_uri ${here} (the recovered ${salvagedUri} does not exist)`);
    }
  }
  const fields: Record<string, DumpValue | undefined> = {
    artifact_uri: artifactUri ?? '',
    deleted_time: stage === 'deleted' ? (deletedTime ?? p.now) : undefined,
    end_time: end,
    entry_point_name: str(s['entry_point_name']) ?? '',
    experiment_id: run.expFolder,
    lifecycle_stage: stage,
    run_id: run.folder,
    run_name: name,
    run_uuid: run.folder,
    source_name: str(s['source_name']) ?? '',
    source_type: int(s['source_type']) ?? 4,
    source_version: str(s['source_version']) ?? '',
    start_time: start,
    status,
    tags: [],
    user_id: user,
  };
  const what = meta.conflict
    ? (['run-meta-conflict', 'meta.yaml holds merge-conflict markers: MLflow fails on every search of the experiment'] as const)
    : state === 'missing'
      ? (['run-meta-missing', `run folder has ${describeContents(run)} but no meta.yaml: MLflow skips the run`] as const)
      : state === 'empty'
        ? (['run-meta-empty', 'meta.yaml is empty: MLflow fails on every search of the experiment'] as const)
        : lacks !== undefined
          ? ([
              'run-meta-truncated',
              `meta.yaml is cut off (it ends in '${meta.text!.slice(meta.text!.lastIndexOf('\n') + 1)}') and lacks ${lacks.join(', ')}: MLflow fails on every search of the experiment`,
            ] as const)
          : meta.text !== undefined && !meta.text.endsWith('\n')
            ? (['run-meta-truncated', 'meta.yaml is cut off and no longer parses: MLflow fails on every search of the experiment'] as const)
            : ([
                'run-meta-unparsable',
                `meta.yaml is not valid YAML${meta.error ? ` (${meta.error})` : ''}: MLflow fails on every search of the experiment`,
              ] as const);
  p.add({
    code: what[0],
    severity: 'error',
    path: state === 'missing' ? run.rel : meta.rel,
    message: what[1],
    fix: `rebuild meta.yaml: ${notes.join(', ')}`,
    edits: [p.rebuild(meta, fields)],
  });
}

function describeContents(run: RunScan): string {
  const parts: string[] = [];
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  if (run.paramKeys.length) parts.push(n(run.paramKeys.length, 'param'));
  if (run.metrics.length) parts.push(n(run.metrics.length, 'metric'));
  if (run.tagKeys.length) parts.push(n(run.tagKeys.length, 'tag'));
  return parts.join(', ');
}
