/**
 * The trash and garbage collection: what is deleted (soft-deleted runs, experiments in
 * `.trash/`), renaming a deleted experiment to free its name, and permanently deleting
 * what MLflow's `mlflow gc` deletes.
 *
 * gc is split in two so that what is listed is exactly what is deleted: `planGc` decides
 * everything (and refuses before touching anything), `applyGc` deletes the plan's folders
 * and nothing else. Artifacts already removed by hand are fine; artifacts on remote
 * storage are left alone and reported.
 */
import type { Int64 } from '../int64.js';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { isResolved, resolveFolder, type ResolveContext } from '../artifacts/location.js';
import { folderSize } from '../artifacts/local.js';
import { readText } from './fsread.js';
import { withLock } from './lock.js';
import { listRegisteredModelNames } from './registry-read.js';
import type { FileExperimentEntry, FileRunEntry, FileStore } from './store.js';
import { validateExperimentName } from '../validate.js';
import { atomicWriteFile } from './atomic.js';
import { dumpYaml, type DumpValue } from './yaml-dump.js';
import { isYamlMap, parseYaml } from './yaml.js';

export const TEMP_GC_PREFIX = '.mlr-tmp-gc-';

/** Where a run's artifacts live outside its own folder, and whether gc may remove them. */
export interface ExternalArtifacts {
  /** the recorded location */
  uri: string;
  /** local folder to delete with the run (a per-run `<run_id>/artifacts` folder) */
  path?: string;
  bytes: number;
  /** why nothing outside the run folder is deleted (remote, not per-run…) */
  note?: string;
}

export interface TrashItem {
  kind: 'experiment' | 'run';
  /** experiment id or run id */
  id: string;
  /** experiment name or run name */
  name: string;
  experiment_id: string;
  experiment_name: string;
  /** run: `deleted_time`; experiment: `last_update_time` (the deletion rewrote it); null for 1.x */
  deleted_time: Int64 | null;
  /** the folder that holds it */
  dir: string;
  /** bytes in the folder, plus local artifacts kept elsewhere */
  size: number;
  /** experiments: how many runs go with it */
  runs?: number;
  /** artifacts outside the folder (runs, and each run of an experiment) */
  external: ExternalArtifacts[];
  /** remarks, e.g. a 1.x deletion that recorded no time */
  notes: string[];
}

/** `deleted_time` from a run's meta.yaml (RunInfo does not carry it). */
export function readDeletedTime(runDir: string): number | null {
  const r = readText(path.join(runDir, 'meta.yaml'), 'meta');
  if (!r.ok) return null;
  const p = parseYaml(r.text);
  if (!isYamlMap(p.value)) return null;
  const v = p.value['deleted_time'];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Artifacts of a run that live outside its folder. Only a per-run folder (its path ends
 * with `<run_id>/artifacts`) is offered for deletion; missing ones cost nothing.
 */
export function externalArtifacts(run: FileRunEntry, ctx: ResolveContext): ExternalArtifacts | undefined {
  const uri = run.info.artifact_uri;
  if (uri === '') return undefined;
  const r = resolveFolder(uri, ctx, { path: path.join(run.dir, 'artifacts'), suffix: [run.info.run_id, 'artifacts'] });
  if (!isResolved(r)) {
    if (r.remote) return { uri, bytes: 0, note: `artifacts at ${uri} are on remote storage and are not deleted by mlr` };
    return undefined; // already gone: nothing to delete
  }
  if (isInside(r.path, run.dir)) return undefined;
  const segs = r.path.split(path.sep).filter(Boolean);
  if (segs[segs.length - 1] !== 'artifacts' || segs[segs.length - 2] !== run.info.run_id) {
    return { uri, bytes: 0, note: `artifacts at ${r.path} are not a per-run folder (<run_id>/artifacts) and are left alone` };
  }
  return { uri, path: r.path, bytes: folderSize(r.path) };
}

function runItem(run: FileRunEntry, ctx: ResolveContext): TrashItem {
  const ext = externalArtifacts(run, ctx);
  const deleted = readDeletedTime(run.dir);
  return {
    kind: 'run',
    id: run.info.run_id,
    name: run.info.run_name,
    experiment_id: run.exp.experiment.experiment_id,
    experiment_name: run.exp.experiment.name,
    deleted_time: deleted,
    dir: run.dir,
    size: folderSize(run.dir) + (ext?.bytes ?? 0),
    external: ext ? [ext] : [],
    notes: deleted === null ? ['no deleted_time recorded (deleted by MLflow 1.x): counts as old enough for gc'] : [],
  };
}

function experimentItem(store: FileStore, e: FileExperimentEntry, ctx: ResolveContext): TrashItem {
  const runs = store.listRuns([e], 'all');
  const external = runs.map((r) => externalArtifacts(r, ctx)).filter((x): x is ExternalArtifacts => x !== undefined);
  const notes: string[] = [];
  if (!e.inTrash) notes.push(`marked deleted but not in .trash/ (run mlr doctor); gc leaves it alone`);
  if (e.experiment.last_update_time === null) notes.push('no deletion time recorded (MLflow 1.x)');
  return {
    kind: 'experiment',
    id: e.experiment.experiment_id,
    name: e.experiment.name,
    experiment_id: e.experiment.experiment_id,
    experiment_name: e.experiment.name,
    deleted_time: e.experiment.last_update_time,
    dir: e.dir,
    size: folderSize(e.dir) + external.reduce((a, x) => a + x.bytes, 0),
    runs: runs.length,
    external,
    notes,
  };
}

/**
 * Everything in the trash: deleted experiments (with their runs counted, not listed) and
 * deleted runs of active experiments; most recently deleted first.
 */
export function listTrash(store: FileStore, ctx: ResolveContext): TrashItem[] {
  const out: TrashItem[] = [];
  for (const e of store.listExperiments('deleted')) out.push(experimentItem(store, e, ctx));
  for (const r of store.listRuns(store.listExperiments('active'), 'deleted')) out.push(runItem(r, ctx));
  return out.sort((a, b) => Number(b.deleted_time ?? -Infinity) - Number(a.deleted_time ?? -Infinity) || (a.id < b.id ? -1 : 1));
}

/** A deleted experiment by id or name; names that several deleted experiments share are refused. */
export function findDeletedExperiment(store: FileStore, ref: string): FileExperimentEntry | undefined {
  const deleted = store.listExperiments('deleted');
  const byId = deleted.find((e) => e.experiment.experiment_id === ref);
  if (byId) return byId;
  const byName = deleted.filter((e) => e.experiment.name === ref);
  if (byName.length > 1) {
    throw new UsageError(
      `${byName.length} deleted experiments are named '${ref}': use an id (${byName.map((e) => e.experiment.experiment_id).join(', ')})`,
      'ambiguous-experiment',
    );
  }
  return byName[0];
}

// ------------------------------------------------------------------ trash rename

/**
 * Rename a deleted experiment so its name can be used again, without purging it. Only
 * `name` changes in its meta.yaml: `last_update_time` is kept, so the deletion's age (what
 * `gc --older-than` looks at) is not reset. The new name must be free everywhere.
 */
export function renameDeletedExperiment(store: FileStore, ref: string, newName: string): { experiment: FileExperimentEntry; oldName: string } {
  validateExperimentName(newName);
  const e = findDeletedExperiment(store, ref);
  if (!e) {
    const active = store.listExperiments('active').find((x) => x.experiment.experiment_id === ref || x.experiment.name === ref);
    if (active) {
      throw new StateError(
        `experiment '${ref}' (${active.experiment.experiment_id}) is not deleted: rename active experiments with mlr experiments rename`,
        'experiment-active',
      );
    }
    throw new NotFoundError(`no deleted experiment with id or name '${ref}' (see mlr trash ls)`, 'experiment-not-found');
  }
  const clash = store.allExperiments().find((x) => x !== e && x.experiment.name === newName);
  if (clash) {
    throw new StateError(
      `the name '${newName}' is taken by ${clash.experiment.lifecycle_stage === 'deleted' ? 'deleted ' : ''}experiment ${clash.experiment.experiment_id}`,
      'name-taken',
    );
  }
  const file = path.join(e.dir, 'meta.yaml');
  return withLock(store.root, () => {
    const r = readText(file, 'meta');
    const p = r.ok ? parseYaml(r.text) : undefined;
    if (!p || p.errors.length > 0 || !isYamlMap(p.value)) {
      throw new StateError(`${file} cannot be read as YAML; run mlr doctor first`, 'broken-experiment');
    }
    const oldName = e.experiment.name;
    atomicWriteFile(file, dumpYaml({ ...(p.value as Record<string, DumpValue>), name: newName }));
    return { experiment: e, oldName };
  });
}

// ------------------------------------------------------------------ gc

export interface GcOptions {
  /** only what was deleted at least this long ago (ms); undefined = any age */
  olderThanMs?: number;
  /** the text given, for messages */
  olderThanText?: string;
  /** only these experiments (ids or names of deleted experiments) */
  experiments?: string[];
  /** only these runs (ids or prefixes of deleted runs) */
  runs?: string[];
  now: number;
}

export interface RegistryReference {
  model: string;
  version: string;
  run_id: string;
  stage: string;
}

export interface GcPlan {
  /** runs first, then experiments: the order they are deleted in */
  items: TrashItem[];
  /** deleted things gc keeps, and why (too young, no recorded time, not in .trash) */
  kept: { item: TrashItem; reason: string }[];
  /** registry versions whose run gc deletes */
  registry: RegistryReference[];
}

/**
 * Parse `--older-than` as `mlflow gc` does: `[Nd][Nh][Nm][Ns]` with decimal numbers
 * (`30d`, `1d12h`, `2.5h`); returns milliseconds.
 */
export function parseOlderThan(text: string): number {
  const m = /^(?:([.\d]+?)d)?(?:([.\d]+?)h)?(?:([.\d]+?)m)?(?:([.\d]+?)s)?$/.exec(text);
  const nums = m ? m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) : [];
  if (!m || text === '' || nums.some((n) => !Number.isFinite(n))) {
    throw new UsageError(`Could not parse any time information from '${text}'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'`, 'bad-duration');
  }
  const [d, h, mi, s] = nums as [number, number, number, number];
  return Math.trunc(((d * 24 + h) * 60 + mi) * 60_000 + s * 1000);
}

/**
 * Decide what gc deletes. With nothing named: every deleted run (in any experiment) and
 * every experiment in `.trash/`, limited by age. Naming runs or experiments limits gc to
 * exactly those (unlike `mlflow gc`, where naming runs still purges every deleted
 * experiment, and naming experiments still purges every deleted run). A named run that is
 * not deleted or too young, or a named experiment that is not deleted or too young, is
 * refused before anything is deleted, with MLflow's wording.
 */
export function planGc(store: FileStore, ctx: ResolveContext, o: GcOptions): GcPlan {
  const threshold = o.olderThanMs === undefined ? undefined : o.now - o.olderThanMs;
  const oldEnough = (t: number | null): boolean => threshold === undefined || t === null || t <= threshold;
  const age = o.olderThanText ?? '';
  const named = (o.runs?.length ?? 0) > 0 || (o.experiments?.length ?? 0) > 0;
  const kept: GcPlan['kept'] = [];

  // experiments
  const exps: FileExperimentEntry[] = [];
  if (o.experiments && o.experiments.length > 0) {
    const bad: string[] = [];
    for (const ref of o.experiments) {
      const e = findDeletedExperiment(store, ref);
      if (!e) {
        const any = store.allExperiments().find((x) => x.experiment.experiment_id === ref || x.experiment.name === ref);
        if (!any) throw new NotFoundError(`no experiment with id or name '${ref}'`, 'experiment-not-found');
        bad.push(any.experiment.experiment_id);
        continue;
      }
      if (!e.inTrash) throw new StateError(`experiment ${e.experiment.experiment_id} is marked deleted but is not in .trash/; run mlr doctor`, 'not-in-trash');
      if (e.broken)
        throw new StateError(`${e.dir} is not a readable experiment (${e.problems[0]?.message ?? 'broken'}); run mlr doctor first`, 'broken-experiment');
      if (threshold !== undefined && (e.experiment.last_update_time === null || e.experiment.last_update_time >= threshold)) {
        throw new StateError(
          `Experiments ['${e.experiment.experiment_id}'] are not older than the required age. Only experiments older than ${age} can be deleted.`,
          'too-young',
        );
      }
      if (!exps.includes(e)) exps.push(e);
    }
    if (bad.length) {
      throw new StateError(
        `Experiments [${bad.map((b) => `'${b}'`).join(', ')}] are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.`,
        'not-deleted',
      );
    }
  } else if (!named) {
    for (const e of store.listExperiments('deleted')) {
      const item = experimentItem(store, e, ctx);
      if (!e.inTrash) kept.push({ item, reason: 'not in .trash/' });
      // MLflow's gc skips what it cannot read as an experiment (a run folder dropped into .trash/…)
      else if (e.broken) kept.push({ item, reason: `not a readable experiment (${e.problems[0]?.code ?? 'broken'}); see mlr doctor` });
      // as mlflow gc's `last_update_time < threshold` filter: no recorded time never matches
      else if (threshold !== undefined && (e.experiment.last_update_time === null || e.experiment.last_update_time >= threshold)) {
        kept.push({
          item,
          reason: e.experiment.last_update_time === null ? 'no deletion time recorded (name it with --experiment to purge it)' : `deleted less than ${age} ago`,
        });
      } else exps.push(e);
    }
  }
  const expDirs = new Set(exps.map((e) => e.dir));

  // runs
  const runs: FileRunEntry[] = [];
  if (o.runs && o.runs.length > 0) {
    for (const ref of o.runs) {
      const r = store.findRun(ref);
      if (r.info.lifecycle_stage !== 'deleted' && !r.exp.inTrash) {
        throw new StateError(
          `Run ${r.info.run_id} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`,
          'not-deleted',
        );
      }
      if (!oldEnough(readDeletedTime(r.dir))) {
        throw new StateError(`Run ${r.info.run_id} is not older than the required age. Only runs older than ${age} can be deleted.`, 'too-young');
      }
      if (!expDirs.has(r.exp.dir) && !runs.some((x) => x.dir === r.dir)) runs.push(r);
    }
  } else if (!named) {
    for (const r of store.listRuns(store.allExperiments(), 'deleted')) {
      if (expDirs.has(r.exp.dir)) continue; // goes with its experiment
      if (oldEnough(readDeletedTime(r.dir))) runs.push(r);
      else kept.push({ item: runItem(r, ctx), reason: `deleted less than ${age} ago` });
    }
  }

  const byId = (a: TrashItem, b: TrashItem): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const items = [...runs.map((r) => runItem(r, ctx)).sort(byId), ...exps.map((e) => experimentItem(store, e, ctx)).sort(byId)];
  // registry versions whose run goes away (runs listed, and every run of a purged experiment)
  const gone = new Set(runs.map((r) => r.info.run_id));
  for (const e of exps) for (const r of store.listRuns([e], 'all')) gone.add(r.info.run_id);
  const registry: RegistryReference[] = [];
  for (const name of listRegisteredModelNames(store.root)) {
    for (const v of readVersions(path.join(store.root, 'models', name))) {
      if (v.run_id && gone.has(v.run_id)) registry.push({ model: name, version: v.version, run_id: v.run_id, stage: v.current_stage });
    }
  }
  kept.sort((a, b) => (a.item.kind !== b.item.kind ? (a.item.kind === 'experiment' ? -1 : 1) : byId(a.item, b.item)));
  return { items, kept, registry };
}

function readVersions(modelDir: string): { version: string; run_id: string | null; current_stage: string }[] {
  const out: { version: string; run_id: string | null; current_stage: string }[] = [];
  for (const e of fs.readdirSync(modelDir, { withFileTypes: true })) {
    const m = /^version-(\d+)$/.exec(e.name);
    if (!m || !e.isDirectory()) continue;
    const r = readText(path.join(modelDir, e.name, 'meta.yaml'), 'meta');
    const p = r.ok ? parseYaml(r.text) : undefined;
    if (!p || !isYamlMap(p.value)) continue;
    const stage = typeof p.value['current_stage'] === 'string' ? p.value['current_stage'] : 'None';
    if (stage === 'Deleted_Internal') continue;
    const run = p.value['run_id'];
    out.push({ version: m[1]!, run_id: typeof run === 'string' ? run : null, current_stage: stage });
  }
  return out.sort((a, b) => Number(a.version) - Number(b.version));
}

export interface GcResult {
  deleted: TrashItem[];
  failed: { item: TrashItem; error: string }[];
}

/** Remove a folder: first renamed aside (it disappears from MLflow's view at once), then deleted. */
function removeFolder(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const aside = path.join(path.dirname(dir), `${TEMP_GC_PREFIX}${path.basename(dir)}`);
  let target = dir;
  try {
    fs.renameSync(dir, aside);
    target = aside;
  } catch {
    target = dir;
  }
  fs.rmSync(target, { recursive: true, force: true });
}

/** Delete exactly the plan's items (runs, then experiments), with their per-run external artifacts. */
export function applyGc(store: FileStore, plan: GcPlan): GcResult {
  const result: GcResult = { deleted: [], failed: [] };
  withLock(store.root, () => {
    for (const item of plan.items) {
      try {
        for (const x of item.external) if (x.path) fs.rmSync(x.path, { recursive: true, force: true });
        removeFolder(item.dir);
        result.deleted.push(item);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        result.failed.push({ item, error: err.code ? `${err.code}: ${err.path ?? item.dir}` : err.message });
      }
    }
  });
  return result;
}
