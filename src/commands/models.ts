/**
 * models ls / describe / versions and `models ls --logged`: return data, never print.
 */
import path from 'node:path';
import { StateError } from '../errors.js';
import { appendToUri, isResolved, pathSegments, resolveFolder, type ResolveContext } from '../store/artifacts/location.js';
import { normalizeArtifactPath, requireArtifact, runArtifactRoot, type ArtifactRoot } from '../store/artifacts/local.js';
import { isDirectory } from '../store/file/fsread.js';
import { readMLmodel } from '../store/mlmodel.js';
import { createModelVersion, createRegisteredModel, validateRegistryTag } from '../store/file/registry-write.js';
import {
  getRegisteredModel,
  registeredModelDir,
  validateModelName,
  listLoggedModels,
  listRegisteredModels,
  readLoggedModelMetrics,
  readLoggedModelParams,
  readLoggedModelTags,
  readModelVersions,
  type LoggedModel,
  type LoggedModelMetric,
  type ModelVersion,
  type RegisteredModel,
} from '../store/file/registry-read.js';
import type { ExperimentEntry, RunEntry, Store } from '../store/file/store.js';
import type { KeyValue } from '../store/types.js';
import { matchesModel, parseModelFilter } from '../search/model-filter.js';
import { resolveExperiments } from './select.js';

/** A version plus what mlr could learn about it on this machine. */
export interface VersionView {
  version: ModelVersion;
  /** flavors from `<source>/MLmodel`; null when the model folder could not be read */
  flavors: string[] | null;
  /** the source run's name when the run is in this store */
  run_name: string | null;
  /** the source run's lifecycle stage when it is in this store; null when not found */
  run_stage: 'active' | 'deleted' | null;
  /** local folder of the model, when found */
  local_path: string | null;
  /** how the folder was found, or why it was not (for --verbose) */
  note: string | null;
}

export interface ModelView {
  model: RegisteredModel;
  /** live versions (MLflow hides Deleted_Internal ones), ascending: all of them, or for
   *  listings the model's latest_versions (newest per stage); the last one is the newest */
  versions: VersionView[];
  /** number of live versions */
  live_versions: number;
  /** number of versions marked Deleted_Internal */
  deleted_versions: number;
}

const RUN_ID_SEG = /^[0-9a-f]{32}$/;

function tryFindRun(store: Store, id: string | null): RunEntry | undefined {
  if (!id) return undefined;
  try {
    return store.findRun(id);
  } catch {
    return undefined;
  }
}

/**
 * The local folder a version's `source` names: through its run's artifact root when the
 * source lies under the run's artifact URI (so a moved store still works), else the
 * recorded path, else any `<run_id>/artifacts/…` of a run in this store.
 */
export function resolveVersionSource(
  store: Store,
  v: Pick<ModelVersion, 'source' | 'run_id' | 'storage_location'>,
  ctx: ResolveContext,
): { path: string | null; note: string | null; run?: RunEntry } {
  const source = v.storage_location || v.source;
  const run = tryFindRun(store, v.run_id);
  const viaRun = (r: RunEntry, rel: string): { path: string | null; note: string | null; run: RunEntry } => {
    try {
      const root = runArtifactRoot(r, ctx);
      if (root.missing) return { path: null, note: root.note ?? null, run: r };
      return { path: rel ? path.join(root.path, ...rel.split('/')) : root.path, note: root.note ?? null, run: r };
    } catch (e) {
      return { path: null, note: (e as Error).message, run: r };
    }
  };
  if (run) {
    const base = run.info.artifact_uri.replace(/\/+$/, '');
    if (source === base || source.startsWith(base + '/')) return viaRun(run, source.slice(base.length).replace(/^\/+/, ''));
  }
  const direct = resolveFolder(source, ctx);
  if (isResolved(direct)) return { path: direct.path, note: direct.note ?? null, ...(run ? { run } : {}) };
  if (!direct.remote) {
    const segs = pathSegments(source.replace(/^file:\/*/i, '/'));
    for (let k = segs.length - 2; k >= 0; k--) {
      if (RUN_ID_SEG.test(segs[k]!) && segs[k + 1] === 'artifacts') {
        const r = tryFindRun(store, segs[k]!);
        if (r) return viaRun(r, segs.slice(k + 2).join('/'));
      }
    }
  }
  return { path: null, note: direct.reason, ...(run ? { run } : {}) };
}

function viewVersion(store: Store, v: ModelVersion, ctx: ResolveContext): VersionView {
  const src = resolveVersionSource(store, v, ctx);
  const ml = src.path ? readMLmodel(src.path) : undefined;
  return {
    version: v,
    flavors: ml ? ml.flavors : null,
    run_name: src.run?.info.run_name ?? null,
    run_stage: src.run?.info.lifecycle_stage ?? null,
    local_path: src.path,
    note: src.note,
  };
}

function viewModel(store: Store, m: RegisteredModel, ctx: ResolveContext, versions: 'latest' | 'all'): ModelView {
  const live = readModelVersions(m.dir, store.problems);
  const all = readModelVersions(m.dir, [], true);
  // 'latest': MLflow's latest_versions (the newest version of each stage), ascending
  const shown = versions === 'all' ? live : m.latest_versions;
  return {
    model: m,
    versions: shown.map((v) => viewVersion(store, v, ctx)),
    live_versions: live.length,
    deleted_versions: all.length - live.length,
  };
}

/**
 * Registered models matching `filter` (MLflow's registered-model filter), by name
 * ascending as MLflow orders them, each with its latest version's flavors.
 */
export function listModels(store: Store, ctx: ResolveContext, opts: { filter?: string } = {}): ModelView[] {
  const clauses = opts.filter ? parseModelFilter(opts.filter) : [];
  const models = listRegisteredModels(store.root, store.problems)
    .filter((m) => matchesModel(clauses, m.name, new Map(m.tags.map((t) => [t.key, t.value]))))
    .sort((a, b) => cmpCodePoints(a.name, b.name));
  return models.map((m) => viewModel(store, m, ctx, 'latest'));
}

/** One registered model with every live version (or deleted ones too, with `includeDeleted`). */
export function describeModel(store: Store, ctx: ResolveContext, name: string, includeDeleted = false): ModelView {
  const m = getRegisteredModel(store.root, name, store.problems);
  const view = viewModel(store, m, ctx, 'all');
  if (includeDeleted) {
    view.versions = readModelVersions(m.dir, [], true).map((v) => viewVersion(store, v, ctx));
  }
  return view;
}

/** Python's str ordering: by code point, not UTF-16 unit. */
export function cmpCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

// ------------------------------------------------------------------ logged models (MLflow 3)

export interface LoggedModelView {
  model: LoggedModel;
  experiment: ExperimentEntry;
  metrics: LoggedModelMetric[];
  params: KeyValue[];
  tags: KeyValue[];
  /** flavors from the model's MLmodel, when its artifacts are here */
  flavors: string[] | null;
  /** the source run's name when it is in this store */
  run_name: string | null;
}

/**
 * MLflow 3 logged models (`<exp>/models/m-*`) of the named experiments, or of every active
 * one; newest first. Deleted logged models are left out unless `includeDeleted`.
 */
export function listLoggedModelViews(
  store: Store,
  ctx: ResolveContext,
  opts: { experiments?: string[]; includeDeleted?: boolean } = {},
): LoggedModelView[] {
  const exps = resolveExperiments(store, opts.experiments);
  const out: LoggedModelView[] = [];
  for (const exp of exps) {
    for (const m of listLoggedModels(exp.dir, store.problems)) {
      if (m.lifecycle_stage === 'deleted' && !opts.includeDeleted) continue;
      const inStore = path.join(m.dir, 'artifacts');
      const folder = resolveFolder(m.artifact_location, ctx, { path: inStore, suffix: [m.model_id, 'artifacts'], anyway: true });
      const ml = isResolved(folder) ? readMLmodel(folder.path) : undefined;
      const run = m.source_run_id ? tryFindRun(store, m.source_run_id) : undefined;
      out.push({
        model: m,
        experiment: exp,
        metrics: readLoggedModelMetrics(m.dir, store.problems),
        params: readLoggedModelParams(m.dir),
        tags: readLoggedModelTags(m.dir),
        flavors: ml ? ml.flavors : null,
        run_name: run?.info.run_name ?? null,
      });
    }
  }
  return out.sort(
    (a, b) => (b.model.creation_timestamp ?? 0) - (a.model.creation_timestamp ?? 0) || cmpCodePoints(a.model.model_id, b.model.model_id),
  );
}

// ------------------------------------------------------------------ registry writes

export interface RegisterOptions {
  run: string;
  artifactPath: string;
  name: string;
  description?: string;
  tags?: KeyValue[];
  /** check that the artifact exists where mlr can see it (default true) */
  check?: boolean;
}

export interface RegisterResult {
  version: string;
  /** the registered model did not exist and was created first (as mlflow.register_model does) */
  createdModel: boolean;
  source: string;
  run: RunEntry;
  /** a warning for the user (artifact not checkable), if any */
  warning?: string;
}

/**
 * Register `<run's artifact URI>/<artifactPath>` as a new version of `name` (created when
 * missing), the way `mlflow.register_model("runs:/<run>/<path>", name)` does. Deleted
 * runs are refused: `mlr gc` would purge what the version points at.
 */
export function registerModelVersion(store: Store, ctx: ResolveContext, o: RegisterOptions, now?: () => number): RegisterResult {
  validateModelName(o.name);
  for (const t of o.tags ?? []) validateRegistryTag(t.key, t.value);
  const run = store.findRun(o.run);
  if (run.info.lifecycle_stage === 'deleted') {
    throw new StateError(`run ${run.info.run_id} is deleted: restore it first (mlr trash restore ${run.info.run_id}); mlr gc would purge what the version points at`, 'run-deleted');
  }
  const rel = normalizeArtifactPath(o.artifactPath);
  let warning: string | undefined;
  if (o.check !== false) {
    let root: ArtifactRoot | undefined;
    try {
      root = runArtifactRoot(run, ctx);
    } catch (e) {
      warning = `not checking that '${rel}' exists: ${(e as Error).message}`;
    }
    if (root) {
      const hit = requireArtifact(root, rel, `run ${run.info.run_id}`);
      if (hit.stat.isDirectory() && !readMLmodel(hit.full)) {
        warning = `'${rel || '.'}' of run ${run.info.run_id} has no MLmodel file: MLflow will not be able to load it as a model`;
      }
    }
  }
  const source = appendToUri(run.info.artifact_uri, rel);
  const exists = isDirectory(registeredModelDir(store.root, o.name));
  if (!exists) createRegisteredModel(store.root, o.name, {}, now);
  const version = createModelVersion(
    store.root,
    o.name,
    { source, run_id: run.info.run_id, description: o.description ?? null, tags: o.tags ?? [] },
    now,
  );
  return { version, createdModel: !exists, source, run, ...(warning ? { warning } : {}) };
}

/** What `models delete` would remove, for the confirmation listing. */
export function modelDeletionPlan(store: Store, name: string): { model: RegisteredModel; versions: number; deleted_versions: number } {
  const m = getRegisteredModel(store.root, name, store.problems);
  const live = readModelVersions(m.dir, []).length;
  const all = readModelVersions(m.dir, [], true).length;
  return { model: m, versions: live, deleted_versions: all - live };
}
