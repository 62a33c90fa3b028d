/**
 * Moving runs between experiments (MLflow has no such operation). What MLflow checks when
 * it reads a run, and so what a move must update:
 * - the folder: `<root>/<exp>/<run>` (a run is found by scanning experiment folders);
 * - `experiment_id` in the run's meta.yaml (a mismatch hides the run: "Wrong experiment ID");
 * - `artifact_uri`, when the artifacts live inside the run folder: it is rewritten to
 *   `<target artifact_location>/<run>/artifacts`, as MLflow builds it for new runs;
 *   artifacts kept elsewhere stay where they are and the URI is kept;
 * - dataset inputs: `<run>/inputs/*` refer to `<exp>/datasets/<id>/`, which is per
 *   experiment, so the datasets the run uses are copied to the target (same ids, same bytes).
 * Each run moves under the store lock: the folder is renamed (atomic on one filesystem),
 * then its meta.yaml is replaced atomically; if that fails the folder is moved back.
 */
import { fsReason } from '../fs-errors.js';
import { appendToUriPath } from '../uri.js';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { isResolved, parseLocation, pathSegments, resolveFolder, type ResolveContext } from '../artifacts/location.js';
import { listDir, readText } from './fsread.js';
import { listRegisteredModelNames, readModelVersions } from './registry-read.js';
import { withLock } from './lock.js';
import { encodePathForUri } from '../root.js';
import type { FileExperimentEntry, FileRunEntry, FileStore } from './store.js';
import { atomicWriteFile, createExclusive, ensureDir } from './atomic.js';
import { dumpYaml, type DumpValue } from './yaml-dump.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';

export interface MovePlan {
  run: FileRunEntry;
  from: FileExperimentEntry;
  to: FileExperimentEntry;
  /** the folder after the move */
  dest: string;
  oldArtifactUri: string;
  /** the artifact_uri written (equal to the old one when artifacts stay where they are) */
  newArtifactUri: string;
  /** dataset ids to copy into the target experiment's datasets/ */
  datasets: string[];
  /** things the user should know (children left behind, registry sources…) */
  warnings: string[];
  /** the parsed meta.yaml to rewrite */
  meta: YamlMap;
}

function readRunMeta(run: FileRunEntry): YamlMap {
  const file = path.join(run.dir, 'meta.yaml');
  const r = readText(file, 'meta');
  const p = r.ok ? parseYaml(r.text) : undefined;
  if (!p || p.errors.length > 0 || !isYamlMap(p.value)) {
    throw new StateError(`run ${run.info.run_id}: ${file} cannot be read as YAML; run mlr doctor first`, 'broken-run');
  }
  const exp = p.value['experiment_id'];
  if (exp !== undefined && String(exp) !== run.exp.experiment.experiment_id) {
    throw new StateError(
      `run ${run.info.run_id}: ${file} records experiment_id '${String(exp)}' but the run is in experiment ${run.exp.experiment.experiment_id}; run mlr doctor first`,
      'broken-run',
    );
  }
  return p.value;
}

/** Dataset ids the run's inputs point at (`<run>/inputs/*\/meta.yaml`, source_type DATASET). */
function datasetIds(run: FileRunEntry): string[] {
  const out: string[] = [];
  const dir = path.join(run.dir, 'inputs');
  for (const e of listDir(dir) ?? []) {
    if (!e.isDir) continue;
    const r = readText(path.join(dir, e.name, 'meta.yaml'), 'input');
    const p = r.ok ? parseYaml(r.text) : undefined;
    if (!p || !isYamlMap(p.value) || p.value['source_type'] !== 'DATASET') continue;
    const id = p.value['source_id'];
    if (typeof id === 'string' && /^[\w-]+$/.test(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Does `location` (an experiment's artifact_location) name that experiment's own folder? */
function locationIsExperimentDir(e: FileExperimentEntry, ctx: ResolveContext): boolean {
  const r = resolveFolder(e.experiment.artifact_location, ctx, { path: e.dir, suffix: [e.experiment.experiment_id] });
  return isResolved(r) && path.resolve(r.path) === path.resolve(e.dir);
}

/** The artifact_uri a moved run gets (see the module comment). */
function movedArtifactUri(run: FileRunEntry, to: FileExperimentEntry, dest: string, ctx: ResolveContext): { uri: string; inStore: boolean } {
  const uri = run.info.artifact_uri;
  const id = run.info.run_id;
  const from = run.exp.experiment.experiment_id;
  const inStoreDir = path.join(run.dir, 'artifacts');
  const r = resolveFolder(uri, ctx, { path: inStoreDir, suffix: [id, 'artifacts'] });
  const parsed = parseLocation(uri);
  const segs = parsed.kind === 'local' || parsed.kind === 'relative' ? pathSegments(parsed.path) : [];
  const standardTail = segs.length >= 3 && segs[segs.length - 1] === 'artifacts' && segs[segs.length - 2] === id && segs[segs.length - 3] === from;
  const inStore = isResolved(r) ? path.resolve(r.path) === path.resolve(inStoreDir) : uri === '' || (!r.remote && standardTail);
  if (!inStore) return { uri, inStore: false };
  if (locationIsExperimentDir(to, ctx)) return { uri: appendToUriPath(to.experiment.artifact_location, id, 'artifacts'), inStore: true };
  const tail = `/${from}/${id}/artifacts`;
  if (uri.endsWith(tail)) return { uri: uri.slice(0, -tail.length) + `/${to.experiment.experiment_id}/${id}/artifacts`, inStore: true };
  return { uri: 'file://' + encodePathForUri(path.join(dest, 'artifacts')), inStore: true };
}

/**
 * Check and plan moving `refs` (run ids or prefixes) to experiment `target`. Refuses the
 * whole move, before anything changes, when the target is deleted or missing, a run is
 * broken, or the target already holds a folder of that name. Runs already in the target
 * are reported in `skipped`.
 */
export function planMove(store: FileStore, ctx: ResolveContext, refs: string[], target: string): { plans: MovePlan[]; skipped: FileRunEntry[] } {
  if (refs.length === 0) throw new UsageError('name at least one run to move', 'no-runs');
  const to = store.getExperiment(target);
  if (to.inTrash || to.experiment.lifecycle_stage === 'deleted') {
    throw new StateError(
      `experiment '${to.experiment.name}' (${to.experiment.experiment_id}) is deleted: restore it first (mlr trash restore ${to.experiment.experiment_id}) or choose another`,
      'experiment-deleted',
    );
  }
  if (to.broken)
    throw new StateError(`experiment ${to.experiment.experiment_id} is broken (${to.problems[0]?.message}); run mlr doctor first`, 'broken-experiment');
  const plans: MovePlan[] = [];
  const skipped: FileRunEntry[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const run = store.findRun(ref);
    if (seen.has(run.info.run_id)) continue;
    seen.add(run.info.run_id);
    if (run.exp.dir === to.dir) {
      skipped.push(run);
      continue;
    }
    const meta = readRunMeta(run);
    const dest = path.join(to.dir, run.info.run_id);
    if (fs.existsSync(dest)) throw new StateError(`experiment ${to.experiment.experiment_id} already has a folder ${run.info.run_id}`, 'run-exists');
    const { uri } = movedArtifactUri(run, to, dest, ctx);
    plans.push({
      run,
      from: run.exp,
      to,
      dest,
      oldArtifactUri: run.info.artifact_uri,
      newArtifactUri: uri,
      datasets: datasetIds(run),
      warnings: [],
      meta,
    });
  }
  addFamilyWarnings(store, plans);
  return { plans, skipped };
}

/** Warn about parent/child links that would cross experiments after the move. */
function addFamilyWarnings(store: FileStore, plans: MovePlan[]): void {
  const moving = new Set(plans.map((p) => p.run.info.run_id));
  const sources = new Set(plans.map((p) => p.from));
  for (const exp of sources) {
    for (const r of store.listRuns([exp], 'all')) {
      if (moving.has(r.info.run_id)) continue;
      const parent = store.readTags(r, ['mlflow.parentRunId']).get('mlflow.parentRunId');
      const p = parent ? plans.find((x) => x.run.info.run_id === parent) : undefined;
      if (p) p.warnings.push(`its child run ${r.info.run_id} stays in experiment ${exp.experiment.experiment_id}`);
    }
  }
  for (const p of plans) {
    const parent = store.readTags(p.run, ['mlflow.parentRunId']).get('mlflow.parentRunId');
    if (parent && !moving.has(parent)) p.warnings.push(`its parent run ${parent} stays where it is`);
    if (p.newArtifactUri === p.oldArtifactUri && p.oldArtifactUri !== '') p.warnings.push(`its artifacts stay at ${p.oldArtifactUri}`);
    if (fs.existsSync(path.join(p.run.dir, 'outputs'))) p.warnings.push(`its MLflow 3 logged models stay in experiment ${p.from.experiment.experiment_id}`);
  }
  // registry versions keep their frozen source (the old path): MLflow will not find the
  // files there after the move (mlr still does, through the run id)
  for (const name of listRegisteredModelNames(store.root)) {
    for (const v of readModelVersions(path.join(store.root, 'models', name), [])) {
      const p = plans.find((x) => x.run.info.run_id === v.run_id);
      if (p && p.newArtifactUri !== p.oldArtifactUri) {
        p.warnings.push(`registered model '${name}' version ${v.version} keeps its source ${v.source}, which MLflow will no longer find`);
      }
    }
  }
}

/** Copy `<from>/datasets/<id>` to `<to>/datasets/<id>` when the target does not have it. */
function copyDataset(from: FileExperimentEntry, to: FileExperimentEntry, id: string): void {
  const src = path.join(from.dir, 'datasets', id);
  const dst = path.join(to.dir, 'datasets', id);
  if (fs.existsSync(dst) || !fs.existsSync(path.join(src, 'meta.yaml'))) return;
  ensureDir(dst);
  createExclusive(path.join(dst, 'meta.yaml'), fs.readFileSync(path.join(src, 'meta.yaml')));
}

/** Move one planned run (see the module comment); returns the new folder. */
export function applyMove(store: FileStore, plan: MovePlan): string {
  return withLock(store.root, () => {
    if (!fs.existsSync(plan.run.dir)) throw new NotFoundError(`run ${plan.run.info.run_id} is no longer at ${plan.run.dir}`, 'run-not-found');
    if (fs.existsSync(plan.dest))
      throw new StateError(`experiment ${plan.to.experiment.experiment_id} already has a folder ${plan.run.info.run_id}`, 'run-exists');
    for (const id of plan.datasets) copyDataset(plan.from, plan.to, id);
    const meta: Record<string, DumpValue> = { ...(plan.meta as Record<string, DumpValue>), experiment_id: plan.to.experiment.experiment_id };
    if ('artifact_uri' in meta || plan.newArtifactUri !== plan.oldArtifactUri) meta['artifact_uri'] = plan.newArtifactUri;
    const text = dumpYaml(meta);
    try {
      fs.renameSync(plan.run.dir, plan.dest);
    } catch (e) {
      throw new StateError(`cannot move run ${plan.run.info.run_id} to ${plan.dest}: ${fsReason(e, 'move')}; nothing changed for this run`, 'move-failed');
    }
    try {
      atomicWriteFile(path.join(plan.dest, 'meta.yaml'), text);
    } catch (e) {
      fs.renameSync(plan.dest, plan.run.dir);
      throw e;
    }
    return plan.dest;
  });
}
