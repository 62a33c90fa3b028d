/**
 * models ls / describe / versions, `models ls --logged`, and the registry writes: return
 * data, never print.
 */
import { StateError } from '../errors.js';
import { pathSegments } from '../store/artifacts/location.js';
import { appendToUriPath } from '../store/uri.js';
import type {
  ArtifactOwner,
  ArtifactRepository,
  ExperimentEntry,
  LoggedModel,
  LoggedModelMetric,
  ModelRegistry,
  ModelVersion,
  RegisteredModel,
  RunEntry,
  TrackingReader,
} from '../store/backend.js';
import { cmpInt64 } from '../store/int64.js';
import { readMLmodel } from '../store/mlmodel.js';
import { validateModelName, validateRegistryTag } from '../store/registry-rules.js';
import type { KeyValue } from '../store/types.js';
import { matchesModel, parseModelFilter } from '../search/model-filter.js';
import { resolveExperiments } from './select.js';

/** What the model commands read: runs (for source runs), the registry, artifacts (MLmodel files). */
export interface ModelsContext {
  reader: TrackingReader;
  registry: ModelRegistry;
  artifacts: ArtifactRepository;
}

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

async function tryFindRun(store: TrackingReader, id: string | null): Promise<RunEntry | undefined> {
  if (!id) return undefined;
  try {
    return await store.findRun(id);
  } catch {
    return undefined;
  }
}

/** Where a version's model files are: the owner and path inside its artifacts, and how that was found. */
interface VersionSource {
  owner: ArtifactOwner;
  rel: string;
  /** the source run, when it is in this store */
  run?: RunEntry;
  /** a sentence for --verbose when the files are not where the version records them */
  note: string | null;
}

/**
 * Where a version's `source` is: under its run's artifacts when the source lies under the
 * run's artifact URI (so a moved store still works), else the recorded URI itself, else
 * under any `<run_id>/artifacts/…` run of this store the recorded path names.
 */
async function resolveVersionSource(c: ModelsContext, v: Pick<ModelVersion, 'source' | 'run_id' | 'storage_location'>): Promise<VersionSource> {
  const source = v.storage_location || v.source;
  const run = await tryFindRun(c.reader, v.run_id);
  const viaRun = async (r: RunEntry, rel: string): Promise<VersionSource> => {
    let note: string | null = null;
    try {
      note = (await c.artifacts.locate({ run: r })).note ?? null;
    } catch (e) {
      note = (e as Error).message;
    }
    return { owner: { run: r }, rel, run: r, note };
  };
  if (run) {
    const base = run.info.artifact_uri.replace(/\/+$/, '');
    if (source === base || source.startsWith(base + '/')) return viaRun(run, source.slice(base.length).replace(/^\/+/, ''));
  }
  const direct: ArtifactOwner = { uri: source };
  let where: Awaited<ReturnType<ArtifactRepository['locate']>> | undefined;
  let reason: string | null = null;
  try {
    where = await c.artifacts.locate(direct);
  } catch (e) {
    reason = (e as Error).message;
  }
  if (where && !where.missing) return { owner: direct, rel: '', note: where.note ?? null, ...(run ? { run } : {}) };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(source) || /^file:/i.test(source)) {
    const segs = pathSegments(source.replace(/^file:\/*/i, '/'));
    for (let k = segs.length - 2; k >= 0; k--) {
      if (RUN_ID_SEG.test(segs[k]!) && segs[k + 1] === 'artifacts') {
        const r = await tryFindRun(c.reader, segs[k]!);
        if (r) return viaRun(r, segs.slice(k + 2).join('/'));
      }
    }
  }
  return { owner: direct, rel: '', note: where?.note ?? reason, ...(run ? { run } : {}) };
}

async function viewVersion(c: ModelsContext, v: ModelVersion): Promise<VersionView> {
  const src = await resolveVersionSource(c, v);
  const ml = await readMLmodel(c.artifacts, src.owner, src.rel);
  let local: string | undefined;
  try {
    local = await c.artifacts.localPath(src.owner, src.rel);
  } catch {
    local = undefined;
  }
  return {
    version: v,
    flavors: ml ? ml.flavors : null,
    run_name: src.run?.info.run_name ?? null,
    run_stage: src.run?.info.lifecycle_stage ?? null,
    local_path: local ?? null,
    note: src.note,
  };
}

async function viewModel(c: ModelsContext, m: RegisteredModel, versions: 'latest' | 'all'): Promise<ModelView> {
  const live = await c.registry.listModelVersions(m.name);
  const all = await c.registry.listModelVersions(m.name, true);
  // 'latest': MLflow's latest_versions (the newest version of each stage), ascending
  const shown = versions === 'all' ? live : m.latest_versions;
  const views: VersionView[] = [];
  for (const v of shown) views.push(await viewVersion(c, v));
  return { model: m, versions: views, live_versions: live.length, deleted_versions: all.length - live.length };
}

/**
 * Registered models matching `filter` (MLflow's registered-model filter), by name
 * ascending as MLflow orders them, each with its latest version's flavors.
 */
export async function listModels(c: ModelsContext, opts: { filter?: string } = {}): Promise<ModelView[]> {
  const clauses = opts.filter ? parseModelFilter(opts.filter) : [];
  const models = (await c.registry.listRegisteredModels())
    .filter((m) => matchesModel(clauses, m.name, new Map(m.tags.map((t) => [t.key, t.value]))))
    .sort((a, b) => cmpCodePoints(a.name, b.name));
  const out: ModelView[] = [];
  for (const m of models) out.push(await viewModel(c, m, 'latest'));
  return out;
}

/** One registered model with every live version (or deleted ones too, with `includeDeleted`). */
export async function describeModel(c: ModelsContext, name: string, includeDeleted = false): Promise<ModelView> {
  const m = await c.registry.getRegisteredModel(name);
  const view = await viewModel(c, m, 'all');
  if (includeDeleted) {
    view.versions = [];
    for (const v of await c.registry.listModelVersions(name, true)) view.versions.push(await viewVersion(c, v));
  }
  return view;
}

/** Python's str ordering: by code point, not UTF-16 unit. */
function cmpCodePoints(a: string, b: string): number {
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
export async function listLoggedModelViews(c: ModelsContext, opts: { experiments?: string[]; includeDeleted?: boolean } = {}): Promise<LoggedModelView[]> {
  const exps = await resolveExperiments(c.reader, opts.experiments);
  const out: LoggedModelView[] = [];
  for (const exp of exps) {
    for (const m of await c.registry.listLoggedModels(exp)) {
      if (m.lifecycle_stage === 'deleted' && !opts.includeDeleted) continue;
      const ml = await readMLmodel(c.artifacts, { loggedModel: m });
      const run = m.source_run_id ? await tryFindRun(c.reader, m.source_run_id) : undefined;
      const data = await c.registry.loggedModelData(m);
      out.push({ model: m, experiment: exp, ...data, flavors: ml ? ml.flavors : null, run_name: run?.info.run_name ?? null });
    }
  }
  return out.sort((a, b) => cmpInt64(b.model.creation_timestamp ?? 0, a.model.creation_timestamp ?? 0) || cmpCodePoints(a.model.model_id, b.model.model_id));
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
export async function registerModelVersion(c: ModelsContext, o: RegisterOptions): Promise<RegisterResult> {
  validateModelName(o.name);
  for (const t of o.tags ?? []) validateRegistryTag(t.key, t.value);
  const run = await c.reader.findRun(o.run);
  if (run.info.lifecycle_stage === 'deleted') {
    throw new StateError(
      `run ${run.info.run_id} is deleted: restore it first (mlr trash restore ${run.info.run_id}); mlr gc would purge what the version points at`,
      'run-deleted',
    );
  }
  const rel = o.artifactPath
    .split('/')
    .filter((x) => x !== '' && x !== '.')
    .join('/');
  let warning: string | undefined;
  if (o.check !== false) {
    let where: Awaited<ReturnType<ArtifactRepository['locate']>> | undefined;
    try {
      where = await c.artifacts.locate({ run });
    } catch (e) {
      warning = `not checking that '${rel}' exists: ${(e as Error).message}`;
    }
    if (where) {
      // NotFoundError naming what the folder holds when the path is not there
      await c.artifacts.list({ run }, rel);
      const st = await c.artifacts.stat({ run }, rel);
      if (st?.is_dir && !(await readMLmodel(c.artifacts, { run }, rel))) {
        warning = `'${rel || '.'}' of run ${run.info.run_id} has no MLmodel file: MLflow will not be able to load it as a model`;
      }
    }
  }
  const source = appendToUriPath(run.info.artifact_uri, rel);
  const exists = (await c.registry.listRegisteredModels()).some((m) => m.name === o.name);
  if (!exists) await c.registry.createRegisteredModel(o.name, {});
  const version = await c.registry.createModelVersion(o.name, {
    source,
    runId: run.info.run_id,
    ...(o.description !== undefined ? { description: o.description } : {}),
    tags: o.tags ?? [],
  });
  return { version, createdModel: !exists, source, run, ...(warning ? { warning } : {}) };
}

/** What `models delete` would remove, for the confirmation listing. */
export async function modelDeletionPlan(c: ModelsContext, name: string): Promise<{ model: RegisteredModel; versions: number; deleted_versions: number }> {
  const m = await c.registry.getRegisteredModel(name);
  const live = (await c.registry.listModelVersions(name)).length;
  const all = (await c.registry.listModelVersions(name, true)).length;
  return { model: m, versions: live, deleted_versions: all - live };
}

// ------------------------------------------------------------------ the other registry writes

/** `models create`: an empty registered model. */
export function createModel(c: Pick<ModelsContext, 'registry'>, name: string, opts: { description?: string; tags?: KeyValue[] }): Promise<void> {
  return c.registry.createRegisteredModel(name, opts);
}

/** `models alias`: point `alias` at `version`, or remove it (`version` undefined); false when there was nothing to remove. */
export async function setOrDeleteAlias(c: Pick<ModelsContext, 'registry'>, name: string, alias: string, version: string | undefined): Promise<boolean> {
  if (version === undefined) return c.registry.deleteAlias(name, alias);
  await c.registry.setAlias(name, alias, version);
  return true;
}

/** `models set-tag`: on the model, or on one version. */
export function setModelOrVersionTag(c: Pick<ModelsContext, 'registry'>, name: string, key: string, value: string, version?: string): Promise<void> {
  return version !== undefined ? c.registry.setVersionTag(name, version, key, value) : c.registry.setModelTag(name, key, value);
}

/** `models delete-tag`: false when there was no such tag. */
export function deleteModelOrVersionTag(c: Pick<ModelsContext, 'registry'>, name: string, key: string, version?: string): Promise<boolean> {
  return c.registry.deleteTag(name, version, key);
}

/** `models stage`: the canonical stage the version is now in. */
export function stageVersion(c: Pick<ModelsContext, 'registry'>, name: string, version: string, stage: string, archiveExisting: boolean) {
  return c.registry.transitionStage(name, version, stage, archiveExisting);
}

/** `models delete-version`: the aliases that pointed at it (removed with it). */
export function deleteVersion(c: Pick<ModelsContext, 'registry'>, name: string, version: string): Promise<string[]> {
  return c.registry.deleteModelVersion(name, version);
}

/** `models delete --yes`. */
export function deleteModel(c: Pick<ModelsContext, 'registry'>, name: string): Promise<void> {
  return c.registry.deleteRegisteredModel(name);
}
