/**
 * A backend that holds everything in memory, implementing the store interfaces of
 * src/store/backend.ts and nothing else: it has no folders, no files and no database. A
 * command that reached past the interfaces (to a path, a file store class, a meta.yaml)
 * cannot work on it, so running the CLI on it and on the file store it was copied from, and
 * getting the same output, shows that no command does (test/cli/interface.test.ts).
 */
import { Readable } from 'node:stream';
import { NotFoundError, StateError, UsageError } from '../src/errors.js';
import type {
  ArtifactEntry,
  ArtifactLocation,
  ArtifactOwner,
  ArtifactRepository,
  Backend,
  BatchInput,
  CreatedRun,
  CreateRunOptions,
  CreateVersionOptions,
  ExperimentEntry,
  FullRun,
  LoadNeeds,
  LoggedModel,
  LoggedModelMetric,
  MetricInput,
  MetricTail,
  ModelRegistry,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  RunEntry,
  RunSearch,
  SearchedRun,
  TraceInfo,
  TrackingReader,
  TrackingWriter,
} from '../src/store/backend.js';
import { MODEL_STAGES } from '../src/store/backend.js';
import { parseInt64 } from '../src/store/int64.js';
import { searchLocally } from '../src/store/local-search.js';
import type { DatasetInput, KeyValue, Metric, Problem, RunStatus, SearchableRun, ViewType } from '../src/store/types.js';

interface MemRun {
  entry: RunEntry;
  params: Map<string, string>;
  tags: Map<string, string>;
  /** every metric line, in logged order, per key */
  history: Map<string, Metric[]>;
  inputs: DatasetInput[];
  outputs: FullRun['outputs'];
  artifacts: Map<string, Buffer>;
}

interface MemModel {
  model: RegisteredModel;
  versions: ModelVersion[];
  deleted: Set<string>;
}

const inView = (stage: string, view: ViewType): boolean => view === 'all' || stage === view;

function latestOf(lines: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const m of lines)
    if (!best || m.step > best.step || (m.step === best.step && (m.timestamp > best.timestamp || (m.timestamp === best.timestamp && m.value > best.value))))
      best = m;
  return best;
}

function pick<V>(m: Map<string, V>, keys: Iterable<string> | 'all' | undefined): Map<string, V> {
  if (keys === 'all' || keys === undefined) return new Map(m);
  const out = new Map<string, V>();
  for (const k of keys) if (m.has(k)) out.set(k, m.get(k)!);
  return out;
}

const kv = (m: Map<string, string>): KeyValue[] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([key, value]) => ({ key, value }));

export class MemoryBackend implements Backend, TrackingReader, TrackingWriter, ArtifactRepository {
  readonly kind = 'memory' as const;
  readonly description = 'memory:';
  readonly trackingUri = 'memory:';
  readonly problems: Problem[] = [];
  readonly strays: Problem[] = [];
  readonly experiments: ExperimentEntry[] = [];
  readonly runs = new Map<string, MemRun>();
  readonly models = new Map<string, MemModel>();
  readonly loggedModels = new Map<string, LoggedModel[]>();
  private clock = 1800000000000;

  now(): number {
    return this.clock++;
  }

  reader = async (): Promise<TrackingReader> => this;
  writer = async (): Promise<TrackingWriter> => this;
  readonly reg = new MemoryRegistry(this);
  registry = async (): Promise<ModelRegistry> => this.reg;
  artifacts = async (): Promise<ArtifactRepository> => this;
  freshReader = async (): Promise<TrackingReader> => this;
  async close(): Promise<void> {}

  /** A copy of everything another backend holds, read through the interfaces only. */
  static async copyOf(from: Backend): Promise<MemoryBackend> {
    const mem = new MemoryBackend();
    const r = await from.reader();
    const a = await from.artifacts();
    for (const e of await r.listExperiments('all', true)) {
      const exp: ExperimentEntry = { experiment: { ...e.experiment, tags: [...e.experiment.tags] }, broken: e.broken, problems: [...e.problems] };
      mem.experiments.push(exp);
      for (const run of await r.listRuns([e], 'all')) {
        const full = r.loadRun(run);
        const history = new Map<string, Metric[]>();
        for (const key of r.listMetricKeys(run)) {
          const lines: Metric[] = [];
          for await (const chunk of r.metricHistory(run, key)) lines.push(...chunk);
          history.set(key, lines);
        }
        const artifacts = new Map<string, Buffer>();
        for (const f of await a.list({ run }, '', true).catch(() => [] as ArtifactEntry[])) {
          if (f.is_dir) continue;
          const { stream } = await a.open({ run }, f.path);
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          artifacts.set(f.path, Buffer.concat(chunks));
        }
        mem.runs.set(run.info.run_id, {
          entry: { info: { ...run.info }, exp, broken: run.broken, problems: [...run.problems] },
          params: new Map(full.data.params.map((p) => [p.key, p.value])),
          tags: new Map(full.data.tags.map((t) => [t.key, t.value])),
          history,
          inputs: full.inputs.dataset_inputs,
          outputs: full.outputs,
          artifacts,
        });
      }
    }
    const reg = await from.registry();
    for (const m of await reg.listRegisteredModels()) {
      const all = await reg.listModelVersions(m.name, true);
      const live = new Set((await reg.listModelVersions(m.name)).map((v) => v.version));
      mem.models.set(m.name, {
        model: structuredClone(m),
        versions: structuredClone(all),
        deleted: new Set(all.filter((v) => !live.has(v.version)).map((v) => v.version)),
      });
    }
    return mem;
  }

  private run(id: string): MemRun {
    const r = this.runs.get(id);
    if (!r) throw new NotFoundError(`run '${id}' not found in memory:`, 'run-not-found');
    return r;
  }

  // ------------------------------------------------------------------ TrackingReader

  async listExperiments(view: ViewType = 'active'): Promise<ExperimentEntry[]> {
    return this.experiments.filter((e) => inView(e.experiment.lifecycle_stage, view));
  }

  async getExperiment(idOrName: string): Promise<ExperimentEntry> {
    const hit =
      this.experiments.find((e) => e.experiment.experiment_id === idOrName) ??
      this.experiments.find((e) => e.experiment.name === idOrName && e.experiment.lifecycle_stage === 'active') ??
      this.experiments.find((e) => e.experiment.name === idOrName);
    if (!hit) throw new NotFoundError(`no experiment with id or name '${idOrName}' in memory:`, 'experiment-not-found');
    return hit;
  }

  async loadExperimentTags(e: ExperimentEntry): Promise<ExperimentEntry> {
    return e;
  }

  async listRuns(exps: readonly ExperimentEntry[], view: ViewType = 'active'): Promise<RunEntry[]> {
    const ids = new Set(exps.map((e) => e.experiment.experiment_id));
    return [...this.runs.values()].map((r) => r.entry).filter((e) => ids.has(e.info.experiment_id) && inView(e.info.lifecycle_stage, view));
  }

  searchRuns(search: RunSearch): Promise<SearchedRun[]> {
    return searchLocally(this, search);
  }

  async findRun(idOrPrefix: string): Promise<RunEntry> {
    const want = idOrPrefix.trim();
    if (!/^[a-zA-Z0-9][\w-]*$/.test(want)) throw new UsageError(`'${idOrPrefix}' is not a run id`, 'bad-run-id');
    const exact = this.runs.get(want);
    if (exact) return exact.entry;
    if (want.length < 6) throw new UsageError(`run id prefix '${want}' is too short: give at least 6 characters`, 'run-prefix-short');
    const hits = [...this.runs.keys()].filter((k) => k.startsWith(want));
    if (hits.length === 0) throw new NotFoundError(`run '${want}' not found in memory:`, 'run-not-found');
    if (hits.length > 1) throw new UsageError(`run id prefix '${want}' is ambiguous: ${hits.join(', ')}`, 'run-prefix-ambiguous');
    return this.run(hits[0]!).entry;
  }

  readParams(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return pick(this.run(run.info.run_id).params, keys);
  }

  readTags(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return pick(this.run(run.info.run_id).tags, keys);
  }

  readLatestMetrics(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, Metric> {
    const out = new Map<string, Metric>();
    for (const [k, lines] of pick(this.run(run.info.run_id).history, keys)) {
      const l = latestOf(lines);
      if (l) out.set(k, l);
    }
    return out;
  }

  listParamKeys(run: RunEntry): string[] {
    return [...this.run(run.info.run_id).params.keys()];
  }

  listMetricKeys(run: RunEntry): string[] {
    return [...this.run(run.info.run_id).history.keys()];
  }

  storedKeys(run: RunEntry, kind: 'metrics' | 'params' | 'tags'): string[] {
    const r = this.run(run.info.run_id);
    return [...(kind === 'metrics' ? r.history : kind === 'params' ? r.params : r.tags).keys()];
  }

  readDatasetInputs(run: RunEntry): DatasetInput[] {
    return this.run(run.info.run_id).inputs;
  }

  readRunOutputs(run: RunEntry) {
    return this.run(run.info.run_id).outputs?.model_outputs ?? [];
  }

  loadRun(run: RunEntry): FullRun {
    const r = this.run(run.info.run_id);
    const metrics = [...this.readLatestMetrics(run).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      info: r.entry.info,
      data: { metrics, params: kv(r.params), tags: kv(r.tags) },
      inputs: { dataset_inputs: r.inputs },
      ...(r.outputs ? { outputs: r.outputs } : {}),
    };
  }

  loadSearchable(run: RunEntry, needs: LoadNeeds): SearchableRun {
    return {
      info: run.info,
      metrics: new Map([...this.readLatestMetrics(run, needs.metrics ?? [])].map(([k, m]) => [k, m.value])),
      params: this.readParams(run, needs.params ?? []),
      tags: this.readTags(run, needs.tags ?? []),
      datasets: needs.datasets ? this.readDatasetInputs(run) : [],
    };
  }

  metricHistory(run: RunEntry, key: string): AsyncGenerator<Metric[]> {
    const lines = this.run(run.info.run_id).history.get(key);
    if (!lines) throw new NotFoundError(`run ${run.info.run_id} has no metric '${key}'`, 'metric-not-found');
    return (async function* () {
      for (let i = 0; i < lines.length; i += 100) yield lines.slice(i, i + 100);
    })();
  }

  tailMetric(run: RunEntry, key: string): MetricTail {
    let seen = 0;
    return {
      poll: async () => {
        const lines = this.run(run.info.run_id).history.get(key) ?? [];
        const fresh = lines.slice(seen);
        seen = lines.length;
        return { reset: false, lines: fresh };
      },
    };
  }

  // ------------------------------------------------------------------ TrackingWriter

  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {}) {
    const existing = this.experiments.find((e) => e.experiment.name === name && e.experiment.lifecycle_stage === 'active');
    if (existing) return { experiment_id: existing.experiment.experiment_id, created: false };
    if (this.experiments.some((e) => e.experiment.name === name))
      throw new StateError(`Experiment '${name}' already exists in deleted state.`, 'experiment-exists-deleted');
    const id = opts.experimentId ?? String(100 + this.experiments.length);
    const t = this.now();
    this.experiments.push({
      experiment: {
        experiment_id: id,
        name,
        artifact_location: opts.artifactLocation ?? `memory:/${id}`,
        lifecycle_stage: 'active',
        creation_time: t,
        last_update_time: t,
        tags: opts.tags ?? [],
      },
      broken: false,
      problems: [],
    });
    return { experiment_id: id, created: true };
  }

  async renameExperiment(idOrName: string, newName: string): Promise<string> {
    const e = await this.getExperiment(idOrName);
    e.experiment.name = newName;
    return e.experiment.experiment_id;
  }

  private async stage(idOrName: string, stage: 'active' | 'deleted'): Promise<string> {
    const e = await this.getExperiment(idOrName);
    e.experiment.lifecycle_stage = stage;
    for (const r of this.runs.values()) if (r.entry.info.experiment_id === e.experiment.experiment_id) r.entry.info.lifecycle_stage = stage;
    return e.experiment.experiment_id;
  }

  deleteExperiment(idOrName: string): Promise<string> {
    return this.stage(idOrName, 'deleted');
  }

  restoreExperiment(idOrName: string): Promise<string> {
    return this.stage(idOrName, 'active');
  }

  async setExperimentTag(idOrName: string, key: string, value: string): Promise<string> {
    const e = await this.getExperiment(idOrName);
    e.experiment.tags = [...e.experiment.tags.filter((t) => t.key !== key), { key, value }];
    return e.experiment.experiment_id;
  }

  async deleteExperimentTag(idOrName: string, key: string): Promise<string> {
    const e = await this.getExperiment(idOrName);
    e.experiment.tags = e.experiment.tags.filter((t) => t.key !== key);
    return e.experiment.experiment_id;
  }

  async createRun(opts: CreateRunOptions): Promise<CreatedRun> {
    const exp = await this.getExperiment(opts.experiment ?? '0');
    const id = opts.runId ?? (this.runs.size + 1).toString(16).padStart(32, 'f');
    const name = opts.runName ?? opts.tags?.find((t) => t.key === 'mlflow.runName')?.value ?? `run-${this.runs.size}`;
    const tags = new Map((opts.tags ?? []).map((t) => [t.key, t.value]));
    tags.set('mlflow.runName', name);
    if (opts.parentRunId) tags.set('mlflow.parentRunId', (await this.findRun(opts.parentRunId)).info.run_id);
    const artifactUri = `${exp.experiment.artifact_location}/${id}/artifacts`;
    this.runs.set(id, {
      entry: {
        info: {
          run_id: id,
          run_uuid: id,
          run_name: name,
          experiment_id: exp.experiment.experiment_id,
          user_id: opts.userId ?? 'unknown',
          status: 'RUNNING',
          start_time: opts.startTime ?? this.now(),
          end_time: null,
          artifact_uri: artifactUri,
          lifecycle_stage: 'active',
        },
        exp,
        broken: false,
        problems: [],
      },
      params: new Map(),
      tags,
      history: new Map(),
      inputs: [],
      outputs: undefined,
      artifacts: new Map(),
    });
    return { run_id: id, experiment_id: exp.experiment.experiment_id, run_name: name, artifact_uri: artifactUri };
  }

  async endRun(run: string, status: RunStatus = 'FINISHED', endTime?: number): Promise<string> {
    return this.updateRun(run, { status, endTime: endTime ?? this.now() });
  }

  async updateRun(run: string, u: { status?: RunStatus; endTime?: number | null; runName?: string }): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    if (u.status) r.entry.info.status = u.status;
    if (u.endTime !== undefined) r.entry.info.end_time = u.endTime;
    if (u.runName) {
      r.entry.info.run_name = u.runName;
      r.tags.set('mlflow.runName', u.runName);
    }
    return r.entry.info.run_id;
  }

  async deleteRun(run: string): Promise<string> {
    const e = await this.findRun(run);
    e.info.lifecycle_stage = 'deleted';
    return e.info.run_id;
  }

  async restoreRun(run: string): Promise<string> {
    const e = await this.findRun(run);
    e.info.lifecycle_stage = 'active';
    return e.info.run_id;
  }

  renameRun(run: string, name: string): Promise<string> {
    return this.updateRun(run, { runName: name });
  }

  async logMetrics(run: string, metrics: MetricInput[]): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    for (const m of metrics) {
      const value = typeof m.value === 'number' ? m.value : Number(m.value === 'nan' ? NaN : m.value);
      const line: Metric = { key: m.key, value, timestamp: parseInt64(String(m.timestamp)) ?? 0, step: parseInt64(String(m.step)) ?? 0 };
      r.history.set(m.key, [...(r.history.get(m.key) ?? []), line]);
    }
    return r.entry.info.run_id;
  }

  async logParams(run: string, params: KeyValue[]): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    for (const p of params) {
      const cur = r.params.get(p.key);
      if (cur !== undefined && cur !== p.value)
        throw new StateError(`Changing param values is not allowed. Param with key='${p.key}' was already logged`, 'param-changed');
      r.params.set(p.key, p.value);
    }
    return r.entry.info.run_id;
  }

  async setTags(run: string, tags: KeyValue[]): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    for (const t of tags) {
      r.tags.set(t.key, t.value);
      if (t.key === 'mlflow.runName') r.entry.info.run_name = t.value;
    }
    return r.entry.info.run_id;
  }

  async deleteTag(run: string, key: string): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    if (!r.tags.delete(key)) throw new NotFoundError(`No tag with name: ${key} in run with id ${r.entry.info.run_id}`, 'tag-not-found');
    return r.entry.info.run_id;
  }

  async logBatch(run: string, batch: BatchInput): Promise<string> {
    await this.logParams(run, batch.params ?? []);
    await this.logMetrics(run, batch.metrics ?? []);
    return this.setTags(run, batch.tags ?? []);
  }

  async logInputs(run: string, inputs: DatasetInput[]): Promise<string> {
    const r = this.run((await this.findRun(run)).info.run_id);
    r.inputs = [...r.inputs, ...inputs];
    return r.entry.info.run_id;
  }

  // ------------------------------------------------------------------ ArtifactRepository

  private files(owner: ArtifactOwner): Map<string, Buffer> {
    if ('run' in owner) return this.run(owner.run.info.run_id).artifacts;
    return new Map();
  }

  async locate(owner: ArtifactOwner): Promise<ArtifactLocation> {
    const recorded = 'run' in owner ? owner.run.info.artifact_uri : 'uri' in owner ? owner.uri : owner.loggedModel.artifact_location;
    return { recorded, where: 'memory:', how: 'recorded', missing: this.files(owner).size === 0 };
  }

  async list(owner: ArtifactOwner, rel: string, recursive = false): Promise<ArtifactEntry[]> {
    const files = this.files(owner);
    const base = rel
      .split('/')
      .filter((s) => s !== '' && s !== '.')
      .join('/');
    if (base !== '' && !files.has(base) && ![...files.keys()].some((k) => k.startsWith(base + '/'))) {
      throw new NotFoundError(`artifact '${base}' not found`, 'artifact-not-found');
    }
    if (files.has(base)) return [{ path: base, is_dir: false, file_size: files.get(base)!.length }];
    const prefix = base === '' ? '' : base + '/';
    const out = new Map<string, ArtifactEntry>();
    for (const [k, v] of files) {
      if (!k.startsWith(prefix)) continue;
      const parts = k.slice(prefix.length).split('/');
      for (let i = 1; i <= (recursive ? parts.length : 1); i++) {
        const p = prefix + parts.slice(0, i).join('/');
        const isFile = i === parts.length;
        out.set(p, { path: p, is_dir: !isFile, file_size: isFile ? v.length : null });
      }
    }
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async stat(owner: ArtifactOwner, rel: string): Promise<ArtifactEntry | undefined> {
    const files = this.files(owner);
    if (files.has(rel)) return { path: rel, is_dir: false, file_size: files.get(rel)!.length };
    return [...files.keys()].some((k) => k.startsWith(rel + '/') || rel === '') ? { path: rel, is_dir: true, file_size: null } : undefined;
  }

  async open(owner: ArtifactOwner, rel: string) {
    const b = this.files(owner).get(rel);
    if (!b) throw new NotFoundError(`artifact '${rel}' not found`, 'artifact-not-found');
    return { size: b.length, stream: Readable.from([b]) };
  }

  async download(): Promise<{ dest: string; files: number }> {
    throw new UsageError('the memory backend has no files to download', 'memory');
  }

  async upload(run: RunEntry, _source: string, artifactPath: string) {
    this.run(run.info.run_id).artifacts.set(`${artifactPath ? artifactPath + '/' : ''}uploaded`, Buffer.from('uploaded'));
    return { dest: 'memory:' };
  }

  async readText(owner: ArtifactOwner, rel: string): Promise<string | undefined> {
    return this.files(owner).get(rel)?.toString('utf8');
  }

  async localPath(): Promise<string | undefined> {
    return undefined;
  }
}

/** The memory backend's registry (its own object: deleteTag means something else on a writer). */
class MemoryRegistry implements ModelRegistry {
  private readonly b: MemoryBackend;
  constructor(b: MemoryBackend) {
    this.b = b;
  }

  get problems(): Problem[] {
    return this.b.problems;
  }

  private model(name: string): MemModel {
    const m = this.b.models.get(name);
    if (!m) throw new NotFoundError(`Registered Model with name=${name} not found`, 'model-not-found');
    return m;
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return [...this.b.models.values()].map((m) => m.model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.model(name).model;
  }

  async listModelVersions(name: string, includeDeleted = false): Promise<ModelVersion[]> {
    const m = this.model(name);
    return m.versions.filter((v) => includeDeleted || !m.deleted.has(v.version));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const v = (await this.listModelVersions(name)).find((x) => x.version === version);
    if (!v) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`, 'version-not-found');
    return v;
  }

  async createRegisteredModel(name: string, opts: { description?: string; tags?: KeyValue[] } = {}): Promise<void> {
    if (this.b.models.has(name)) throw new StateError(`Registered Model (name=${name}) already exists.`, 'model-exists');
    const t = this.b.now();
    this.b.models.set(name, {
      model: {
        name,
        creation_timestamp: t,
        last_updated_timestamp: t,
        description: opts.description ?? null,
        tags: opts.tags ?? [],
        aliases: [],
        latest_versions: [],
      },
      versions: [],
      deleted: new Set(),
    });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<void> {
    const m = this.model(name);
    this.b.models.delete(name);
    m.model.name = newName;
    this.b.models.set(newName, m);
  }

  async updateRegisteredModel(name: string, description: string): Promise<void> {
    this.model(name).model.description = description;
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    this.model(name);
    this.b.models.delete(name);
  }

  async createModelVersion(name: string, o: CreateVersionOptions): Promise<string> {
    const m = this.model(name);
    const version = String(m.versions.length + 1);
    const t = this.b.now();
    const v: ModelVersion = {
      name,
      version,
      creation_timestamp: t,
      last_updated_timestamp: t,
      current_stage: 'None',
      description: o.description ?? null,
      source: o.source,
      run_id: o.runId ?? null,
      status: 'READY',
      status_message: null,
      user_id: null,
      run_link: null,
      storage_location: o.source,
      aliases: [],
      tags: o.tags ?? [],
    };
    m.versions.push(v);
    m.model.latest_versions = [...m.model.latest_versions.filter((x) => x.current_stage !== 'None'), v];
    return version;
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<void> {
    (await this.getModelVersion(name, version)).description = description;
  }

  async deleteModelVersion(name: string, version: string): Promise<string[]> {
    const v = await this.getModelVersion(name, version);
    const m = this.model(name);
    m.deleted.add(version);
    const aliases = v.aliases;
    m.model.aliases = m.model.aliases.filter((a) => a.version !== version);
    return aliases;
  }

  async transitionStage(name: string, version: string, stage: string): Promise<ModelStage> {
    const s = MODEL_STAGES.find((x) => x.toLowerCase() === stage.toLowerCase());
    if (!s) throw new UsageError(`Invalid Model Version stage: ${stage}.`, 'bad-stage');
    (await this.getModelVersion(name, version)).current_stage = s;
    return s;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    const m = this.model(name);
    const v = await this.getModelVersion(name, version);
    m.model.aliases = [...m.model.aliases.filter((a) => a.alias !== alias), { alias, version }];
    v.aliases = [...v.aliases, alias];
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    const m = this.model(name);
    const had = m.model.aliases.some((a) => a.alias === alias);
    m.model.aliases = m.model.aliases.filter((a) => a.alias !== alias);
    for (const v of m.versions) v.aliases = v.aliases.filter((a) => a !== alias);
    return had;
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    const m = this.model(name);
    m.model.tags = [...m.model.tags.filter((t) => t.key !== key), { key, value }];
  }

  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    const v = await this.getModelVersion(name, version);
    v.tags = [...v.tags.filter((t) => t.key !== key), { key, value }];
  }

  async deleteTag(name: string, version: string | undefined, key: string): Promise<boolean> {
    const holder = version === undefined ? this.model(name).model : await this.getModelVersion(name, version);
    const had = holder.tags.some((t) => t.key === key);
    holder.tags = holder.tags.filter((t) => t.key !== key);
    return had;
  }

  async listLoggedModels(exp: ExperimentEntry): Promise<LoggedModel[]> {
    return this.b.loggedModels.get(exp.experiment.experiment_id) ?? [];
  }

  async loggedModelData(): Promise<{ metrics: LoggedModelMetric[]; params: KeyValue[]; tags: KeyValue[] }> {
    return { metrics: [], params: [], tags: [] };
  }

  async listTraces(): Promise<TraceInfo[]> {
    return [];
  }
}
