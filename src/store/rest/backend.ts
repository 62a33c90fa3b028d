/**
 * The REST backend: a remote MLflow tracking server (`http://…`, `https://…`) behind the
 * store interfaces, so that every command works on a team server as on a folder.
 *
 * A run record handed out carries the data the server sent with it (runs/search and
 * runs/get answer info, latest metrics, params, tags and inputs together), so the
 * synchronous per-run reads of the interface cost no request. Searches send MLflow's part
 * of the filter and the order-by to the server (pushdown.ts) and evaluate mlr's extensions
 * here; pages are followed through next_page_token.
 */
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import { evaluate, sortRuns } from '../../search/index.js';
import { stringifyJson } from '../../json.js';
import type {
  ArtifactRepository,
  Backend,
  BatchInput,
  CreatedRun,
  CreateRunOptions,
  ExperimentEntry,
  FullRun,
  LoadNeeds,
  MetricInput,
  MetricTail,
  ModelRegistry,
  RunEntry,
  RunOutput,
  RunSearch,
  SearchedRun,
  TrackingReader,
  TrackingWriter,
} from '../backend.js';
import { checkMaxResults, MAX_RESULTS_LIMIT } from '../max-results.js';
import type { DatasetInput, KeyValue, Metric, Problem, RunStatus, SearchableRun, ViewType } from '../types.js';
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, validateMetric } from '../validate.js';
import { arr, datasetInputsOf, experimentOf, metricOf, obj, runInfoOf, str } from './entities.js';
import { RestClient, ServerError, type Json } from './http.js';
import { pushDown } from './pushdown.js';

const VIEW: Record<ViewType, string> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };
const FULL_RUN_ID = /^[0-9a-f]{32}$/;

/** What the server sent with a run. */
interface RunData {
  metrics: Map<string, Metric>;
  params: Map<string, string>;
  tags: Map<string, string>;
  inputs: DatasetInput[];
}

function pick<V>(m: Map<string, V>, keys: Iterable<string> | 'all' | undefined): Map<string, V> {
  if (keys === 'all' || keys === undefined) return new Map(m);
  const out = new Map<string, V>();
  for (const k of keys) if (m.has(k)) out.set(k, m.get(k)!);
  return out;
}

const sorted = (keys: Iterable<string>): string[] => [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export interface RestBackendOptions {
  uri: string;
  env: Record<string, string | undefined>;
  /** the folder local paths (artifact uploads) are relative to */
  cwd: string;
  describe?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RestBackend implements Backend {
  readonly kind = 'rest' as const;
  readonly description: string;
  readonly trackingUri: string;
  readonly client: RestClient;
  readonly now: () => number;
  readonly cwd: string;
  private readerP?: RestReader;
  private writerP?: RestWriter;

  constructor(o: RestBackendOptions) {
    this.client = new RestClient({ uri: o.uri, env: o.env, ...(o.sleep ? { sleep: o.sleep } : {}) });
    this.description = o.describe ?? this.client.base;
    this.trackingUri = this.client.base;
    this.now = o.now ?? Date.now;
    this.cwd = o.cwd;
  }

  async reader(): Promise<TrackingReader> {
    this.readerP ??= new RestReader(this);
    return this.readerP;
  }

  async freshReader(): Promise<TrackingReader> {
    this.readerP = new RestReader(this);
    return this.readerP;
  }

  async writer(): Promise<TrackingWriter> {
    this.writerP ??= new RestWriter(this);
    return this.writerP;
  }

  async registry(): Promise<ModelRegistry> {
    const { RestRegistry } = await import('./registry.js');
    return new RestRegistry(this.client);
  }

  async artifacts(): Promise<ArtifactRepository> {
    const { RestArtifacts } = await import('./artifacts.js');
    return new RestArtifacts(this.client, this.cwd);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export class RestReader implements TrackingReader {
  readonly problems: Problem[] = [];
  readonly strays: Problem[] = [];
  private readonly b: RestBackend;
  private readonly c: RestClient;
  private readonly exps = new Map<string, ExperimentEntry>();
  private readonly data = new WeakMap<RunEntry, RunData>();

  constructor(b: RestBackend) {
    this.b = b;
    this.c = b.client;
  }

  /** the tags of each experiment in the server's order (entries hold them sorted by key) */
  private readonly storedTags = new WeakMap<ExperimentEntry, KeyValue[]>();

  private expEntry(v: Json): ExperimentEntry {
    const experiment = experimentOf(v);
    const stored = experiment.tags;
    experiment.tags = [...stored].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const known = this.exps.get(experiment.experiment_id);
    if (known) {
      Object.assign(known.experiment, experiment);
      this.storedTags.set(known, stored);
      return known;
    }
    const e: ExperimentEntry = { experiment, broken: false, problems: [] };
    this.exps.set(experiment.experiment_id, e);
    this.storedTags.set(e, stored);
    return e;
  }

  private async expById(id: string): Promise<ExperimentEntry> {
    const known = this.exps.get(id);
    if (known) return known;
    const r = await this.c.call('GET', 'experiments/get', { query: { experiment_id: id }, idempotent: true });
    return this.expEntry(obj(r['experiment']));
  }

  /** A run record from a Run JSON, with its data kept for the synchronous reads. */
  private async runEntry(v: Json): Promise<RunEntry> {
    const info = runInfoOf(v['info']);
    const d = obj(v['data']);
    const entry: RunEntry = { info, exp: await this.expById(info.experiment_id), broken: false, problems: [] };
    this.data.set(entry, {
      metrics: new Map(
        arr(d['metrics'])
          .map((m) => metricOf(m))
          .map((m) => [m.key, m]),
      ),
      params: new Map(arr(d['params']).map((p) => [str(obj(p)['key']), str(obj(p)['value'])])),
      tags: new Map(arr(d['tags']).map((p) => [str(obj(p)['key']), str(obj(p)['value'])])),
      inputs: datasetInputsOf(obj(v['inputs'])['dataset_inputs']),
    });
    return entry;
  }

  private runData(run: RunEntry): RunData {
    const d = this.data.get(run);
    if (!d) throw new NotFoundError(`run ${run.info.run_id} was not read from ${this.b.description}`, 'run-not-found');
    return d;
  }

  async listExperiments(view: ViewType = 'active'): Promise<ExperimentEntry[]> {
    const out: ExperimentEntry[] = [];
    let token: string | undefined;
    do {
      const body: Record<string, unknown> = { view_type: VIEW[view], max_results: MAX_RESULTS_LIMIT, page_token: token };
      const r = await this.c.call('POST', 'experiments/search', { body: stringifyJson(body), idempotent: true });
      for (const e of arr(r['experiments'])) out.push(this.expEntry(obj(e)));
      token = typeof r['next_page_token'] === 'string' && r['next_page_token'] !== '' ? r['next_page_token'] : undefined;
    } while (token);
    return out;
  }

  async getExperiment(idOrName: string): Promise<ExperimentEntry> {
    const known = this.exps.get(idOrName);
    if (known) return known;
    try {
      return await this.expById(idOrName);
    } catch (e) {
      // real MLflow servers answer INVALID_PARAMETER_VALUE for an id that is not a number
      if (!(e instanceof NotFoundError) && !(e instanceof Error && 'errorCode' in e)) throw e;
    }
    try {
      const r = await this.c.call('GET', 'experiments/get-by-name', { query: { experiment_name: idOrName }, idempotent: true });
      return this.expEntry(obj(r['experiment']));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    const names = (await this.listExperiments('active')).map((x) => `${x.experiment.name} (${x.experiment.experiment_id})`).sort();
    throw new NotFoundError(
      `no experiment with id or name '${idOrName}' in ${this.b.description}` + (names.length ? `; experiments: ${names.join(', ')}` : ''),
      'experiment-not-found',
    );
  }

  async loadExperimentTags(e: ExperimentEntry, order: 'key' | 'stored' = 'key'): Promise<ExperimentEntry> {
    // sent with the experiment; 'stored' is the server's own order
    const stored = this.storedTags.get(e);
    if (order === 'stored' && stored) e.experiment.tags = [...stored];
    return e;
  }

  /** runs/search, every page (or the first `limit` runs). */
  private async search(ids: string[], view: ViewType, filter: string, orderBy: string[], limit?: number): Promise<RunEntry[]> {
    const out: RunEntry[] = [];
    if (ids.length === 0) return out;
    let token: string | undefined;
    do {
      const want = limit === undefined ? MAX_RESULTS_LIMIT : Math.min(MAX_RESULTS_LIMIT, limit - out.length);
      const body = {
        experiment_ids: ids,
        filter: filter || undefined,
        run_view_type: VIEW[view],
        max_results: want,
        order_by: orderBy.length ? orderBy : undefined,
        page_token: token,
      };
      let r: Json;
      try {
        r = await this.c.call('POST', 'runs/search', { body: stringifyJson(body), idempotent: true });
      } catch (e) {
        // mlr parsed the filter already; a server that refuses what it was sent says so as a usage error
        if (e instanceof ServerError && e.errorCode === 'INVALID_PARAMETER_VALUE')
          throw new UsageError(`${this.b.description} refused the search: ${e.message}`, 'server-bad-filter');
        throw e;
      }
      for (const run of arr(r['runs'])) out.push(await this.runEntry(obj(run)));
      token = typeof r['next_page_token'] === 'string' && r['next_page_token'] !== '' ? r['next_page_token'] : undefined;
    } while (token && (limit === undefined || out.length < limit));
    return limit === undefined ? out : out.slice(0, limit);
  }

  async listRuns(exps: readonly ExperimentEntry[], view: ViewType = 'active'): Promise<RunEntry[]> {
    for (const e of exps) if (!this.exps.has(e.experiment.experiment_id)) this.exps.set(e.experiment.experiment_id, e);
    return this.search([...new Set(exps.map((e) => e.experiment.experiment_id))], view, '', []);
  }

  async searchRuns(search: RunSearch): Promise<SearchedRun[]> {
    checkMaxResults(search.maxResults);
    for (const e of search.experiments) if (!this.exps.has(e.experiment.experiment_id)) this.exps.set(e.experiment.experiment_id, e);
    const q = search.query;
    const p = pushDown(q);
    const serverOrders = !search.unordered && p.orderBy !== undefined;
    const ids = [...new Set(search.experiments.map((e) => e.experiment.experiment_id))];
    const entries = await this.search(ids, search.view, p.filter, serverOrders ? p.orderBy! : [], serverOrders ? search.maxResults : undefined);
    let runs = entries.map((entry): SearchedRun => ({ ...this.loadSearchable(entry, q?.needs ?? {}), entry }));
    if (p.local) runs = runs.filter((r) => evaluate(p.local, r));
    if (search.unordered || serverOrders) return runs;
    return sortRuns(runs, q?.order ?? [], search.maxResults);
  }

  async findRun(idOrPrefix: string): Promise<RunEntry> {
    const want = idOrPrefix.trim();
    if (!/^[a-zA-Z0-9][\w-]*$/.test(want)) throw new UsageError(`'${idOrPrefix}' is not a run id`, 'bad-run-id');
    try {
      const r = await this.c.call('GET', 'runs/get', { query: { run_id: want }, idempotent: true });
      return await this.runEntry(obj(r['run']));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    // a whole run id is nobody's prefix: no need to look through every run
    if (FULL_RUN_ID.test(want)) throw new NotFoundError(`run '${want}' not found in ${this.b.description}`, 'run-not-found');
    if (want.length < 6) throw new UsageError(`run id prefix '${want}' is too short: give at least 6 characters`, 'run-prefix-short');
    // a prefix: MLflow's API has no prefix match, so look through every run
    const all = await this.search(
      (await this.listExperiments('all')).map((e) => e.experiment.experiment_id),
      'all',
      '',
      [],
    );
    const hits = all.filter((r) => r.info.run_id.startsWith(want));
    if (hits.length === 0) throw new NotFoundError(`run '${want}' not found in ${this.b.description}`, 'run-not-found');
    if (hits.length > 1) {
      const list = hits
        .slice(0, 10)
        .map((r) => `${r.info.run_id} (experiment ${r.info.experiment_id})`)
        .join(', ');
      throw new UsageError(`run id prefix '${want}' is ambiguous: ${list}`, 'run-prefix-ambiguous');
    }
    return hits[0]!;
  }

  readParams(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return pick(this.runData(run).params, keys);
  }

  readTags(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, string> {
    return pick(this.runData(run).tags, keys);
  }

  readLatestMetrics(run: RunEntry, keys?: Iterable<string> | 'all'): Map<string, Metric> {
    return pick(this.runData(run).metrics, keys);
  }

  listParamKeys(run: RunEntry): string[] {
    return sorted(this.runData(run).params.keys());
  }

  listMetricKeys(run: RunEntry): string[] {
    return sorted(this.runData(run).metrics.keys());
  }

  storedKeys(run: RunEntry, kind: 'metrics' | 'params' | 'tags'): string[] {
    return [...this.runData(run)[kind].keys()];
  }

  readDatasetInputs(run: RunEntry): DatasetInput[] {
    return this.runData(run).inputs;
  }

  readRunOutputs(): RunOutput[] {
    return []; // MLflow 3's outputs are not in the 2.0 API
  }

  loadRun(run: RunEntry): FullRun {
    const d = this.runData(run);
    const kv = (m: Map<string, string>): KeyValue[] => sorted(m.keys()).map((key) => ({ key, value: m.get(key)! }));
    return {
      info: run.info,
      data: { metrics: sorted(d.metrics.keys()).map((k) => d.metrics.get(k)!), params: kv(d.params), tags: kv(d.tags) },
      inputs: { dataset_inputs: d.inputs },
    };
  }

  loadSearchable(run: RunEntry, needs: LoadNeeds): SearchableRun {
    const d = this.runData(run);
    return {
      info: run.info,
      metrics: new Map([...pick(d.metrics, needs.metrics ?? [])].map(([k, m]) => [k, m.value])),
      params: pick(d.params, needs.params ?? []),
      tags: pick(d.tags, needs.tags ?? []),
      datasets: needs.datasets ? d.inputs : [],
    };
  }

  /** One metric's lines, a page at a time (MLflow's SQL store pages get-history; its file store answers in one). */
  private async *pages(runId: string, key: string): AsyncGenerator<Metric[]> {
    let token: string | undefined;
    do {
      const r = await this.c.call('GET', 'metrics/get-history', {
        query: { run_id: runId, metric_key: key, max_results: '25000', page_token: token },
        idempotent: true,
      });
      const lines = arr(r['metrics']).map((m) => metricOf(m));
      for (let i = 0; i < lines.length; i += 10000) yield lines.slice(i, i + 10000);
      token = typeof r['next_page_token'] === 'string' && r['next_page_token'] !== '' ? r['next_page_token'] : undefined;
    } while (token);
  }

  private async history(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    for await (const page of this.pages(runId, key)) out.push(...page);
    return out;
  }

  metricHistory(run: RunEntry, key: string): AsyncGenerator<Metric[]> {
    const d = this.runData(run);
    if (!d.metrics.has(key)) {
      const known = sorted(d.metrics.keys());
      throw new NotFoundError(`run ${run.info.run_id} has no metric '${key}'` + (known.length ? `; metrics: ${known.join(', ')}` : ''), 'metric-not-found');
    }
    return this.pages(run.info.run_id, key);
  }

  tailMetric(run: RunEntry, key: string): MetricTail {
    let seen = 0;
    return {
      poll: async () => {
        const all = await this.history(run.info.run_id, key);
        if (all.length < seen) {
          seen = all.length;
          return { reset: true, lines: all };
        }
        const lines = all.slice(seen);
        seen = all.length;
        return { reset: false, lines };
      },
    };
  }
}

/** Metrics in MLflow's REST shape (value a proto double: NaN and the infinities as strings). */
function metricBody(m: MetricInput): Record<string, unknown> {
  const v = validateMetric(m);
  const value = Number.isNaN(v.value) ? 'NaN' : v.value === Infinity ? 'Infinity' : v.value === -Infinity ? '-Infinity' : v.value;
  return { key: v.key, value, timestamp: BigInt(v.timestamp), step: BigInt(v.step) };
}

/** metric keys validateMetric accepted (a sync sends the same few keys thousands of times), as JSON strings */
const validKeys = new Map<string, string>();
const safeCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

/**
 * One metric of a log-batch as JSON text, as metricBody renders it without building the
 * object; a known key with a number value and safe integer step and timestamp skips the
 * int64 parsing of validateMetric (it would accept them as they are).
 */
function metricText(m: MetricInput): string {
  let keyJson = validKeys.get(m.key);
  let x: number;
  let ts: string;
  let step: string;
  if (keyJson !== undefined && typeof m.value === 'number' && safeCount(m.timestamp) && m.timestamp >= 0 && safeCount(m.step)) {
    x = m.value;
    ts = String(m.timestamp);
    step = String(m.step);
  } else {
    const v = validateMetric(m);
    keyJson = JSON.stringify(v.key);
    if (validKeys.size < 10_000) validKeys.set(v.key, keyJson);
    x = v.value;
    ts = v.timestamp;
    step = v.step;
  }
  const value = Number.isNaN(x) ? '"NaN"' : x === Infinity ? '"Infinity"' : x === -Infinity ? '"-Infinity"' : Object.is(x, -0) ? '-0.0' : String(x);
  return `{"key":${keyJson},"value":${value},"timestamp":${ts},"step":${step}}`;
}

/** A log-batch body: the metrics already rendered (the bulk of a sync's bytes). */
function batchText(runId: string, metrics: string[], params: KeyValue[], tags: KeyValue[]): string {
  let out = `{"run_id":${JSON.stringify(runId)}`;
  if (metrics.length) out += `,"metrics":[${metrics.join(',')}]`;
  if (params.length) out += `,"params":${JSON.stringify(params.map((p) => ({ key: p.key, value: p.value })))}`;
  if (tags.length) out += `,"tags":${JSON.stringify(tags.map((t) => ({ key: t.key, value: t.value })))}`;
  return out + '}';
}

export class RestWriter implements TrackingWriter {
  private readonly b: RestBackend;
  private readonly c: RestClient;

  constructor(b: RestBackend) {
    this.b = b;
    this.c = b.client;
  }

  private post(endpoint: string, body: Record<string, unknown>): Promise<Json> {
    return this.postText(endpoint, stringifyJson(body));
  }

  private postText(endpoint: string, body: string): Promise<Json> {
    return this.c.call('POST', endpoint, { body, idempotent: false });
  }

  /** A full run id: as given when it is one, else looked up (prefixes). */
  private async runId(run: string): Promise<string> {
    if (FULL_RUN_ID.test(run)) return run;
    return (await (await this.b.reader()).findRun(run)).info.run_id;
  }

  private async expId(idOrName: string): Promise<string> {
    return (await (await this.b.reader()).getExperiment(idOrName)).experiment.experiment_id;
  }

  async createExperiment(
    name: string,
    opts: { artifactLocation?: string; tags?: KeyValue[]; experimentId?: string } = {},
  ): Promise<{ experiment_id: string; created: boolean }> {
    if (opts.experimentId !== undefined)
      throw new UsageError(`a tracking server picks experiment ids itself; ${this.b.description} cannot create experiment ${opts.experimentId}`, 'rest-no-ids');
    try {
      const r = await this.post('experiments/create', { name, artifact_location: opts.artifactLocation, tags: opts.tags?.length ? opts.tags : undefined });
      return { experiment_id: str(r['experiment_id']), created: true };
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      const r = await this.c.call('GET', 'experiments/get-by-name', { query: { experiment_name: name }, idempotent: true });
      const exp = experimentOf(r['experiment']);
      if (exp.lifecycle_stage !== 'active') throw new StateError(`Experiment '${name}' already exists in deleted state.`, 'experiment-exists-deleted');
      return { experiment_id: exp.experiment_id, created: false };
    }
  }

  async renameExperiment(idOrName: string, newName: string): Promise<string> {
    const id = await this.expId(idOrName);
    await this.post('experiments/update', { experiment_id: id, new_name: newName });
    return id;
  }

  async deleteExperiment(idOrName: string): Promise<string> {
    const id = await this.expId(idOrName);
    await this.post('experiments/delete', { experiment_id: id });
    return id;
  }

  async restoreExperiment(idOrName: string): Promise<string> {
    const id = await this.expId(idOrName);
    await this.post('experiments/restore', { experiment_id: id });
    return id;
  }

  async setExperimentTag(idOrName: string, key: string, value: string): Promise<string> {
    const id = await this.expId(idOrName);
    await this.post('experiments/set-experiment-tag', { experiment_id: id, key, value });
    return id;
  }

  async deleteExperimentTag(idOrName: string, key: string): Promise<string> {
    const id = await this.expId(idOrName);
    await this.post('experiments/delete-experiment-tag', { experiment_id: id, key });
    return id;
  }

  async createRun(opts: CreateRunOptions): Promise<CreatedRun> {
    if (opts.runId !== undefined)
      throw new UsageError(`a tracking server picks run ids itself; ${this.b.description} cannot create run ${opts.runId}`, 'rest-no-ids');
    const expId = await this.expId(opts.experiment ?? '0');
    const tags = [...(opts.tags ?? [])];
    if (opts.parentRunId !== undefined) {
      const parent = await this.runId(opts.parentRunId);
      tags.push({ key: 'mlflow.parentRunId', value: parent });
    }
    const r = await this.post('runs/create', {
      experiment_id: expId,
      user_id: opts.userId ?? tags.find((t) => t.key === 'mlflow.user')?.value ?? 'unknown',
      start_time: opts.startTime ?? this.b.now(),
      tags: tags.length ? tags : undefined,
      run_name: opts.runName,
    });
    const info = runInfoOf(obj(r['run'])['info']);
    return { run_id: info.run_id, experiment_id: info.experiment_id, run_name: info.run_name, artifact_uri: info.artifact_uri };
  }

  endRun(run: string, status: RunStatus = 'FINISHED', endTime?: number): Promise<string> {
    return this.updateRun(run, { status, endTime: endTime ?? this.b.now() });
  }

  async updateRun(run: string, update: { status?: RunStatus; endTime?: number | null; runName?: string }): Promise<string> {
    const id = await this.runId(run);
    await this.post('runs/update', { run_id: id, status: update.status, end_time: update.endTime ?? undefined, run_name: update.runName });
    return id;
  }

  async deleteRun(run: string): Promise<string> {
    const id = await this.runId(run);
    await this.post('runs/delete', { run_id: id });
    return id;
  }

  async restoreRun(run: string): Promise<string> {
    const id = await this.runId(run);
    await this.post('runs/restore', { run_id: id });
    return id;
  }

  renameRun(run: string, name: string): Promise<string> {
    return this.updateRun(run, { runName: name });
  }

  async logMetrics(run: string, metrics: MetricInput[]): Promise<string> {
    const id = await this.runId(run);
    if (metrics.length === 1) {
      await this.post('runs/log-metric', { run_id: id, ...metricBody(metrics[0]!) });
      return id;
    }
    const texts = metrics.map(metricText);
    for (let i = 0; i < texts.length; i += MAX_METRICS_PER_BATCH)
      await this.postText('runs/log-batch', batchText(id, texts.slice(i, i + MAX_METRICS_PER_BATCH), [], []));
    return id;
  }

  async logParams(run: string, params: KeyValue[]): Promise<string> {
    const id = await this.runId(run);
    if (params.length === 1) await this.post('runs/log-parameter', { run_id: id, key: params[0]!.key, value: params[0]!.value });
    else
      for (let i = 0; i < params.length; i += MAX_PARAMS_TAGS_PER_BATCH)
        await this.post('runs/log-batch', { run_id: id, params: params.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH) });
    return id;
  }

  async setTags(run: string, tags: KeyValue[]): Promise<string> {
    const id = await this.runId(run);
    if (tags.length === 1) await this.post('runs/set-tag', { run_id: id, key: tags[0]!.key, value: tags[0]!.value });
    else
      for (let i = 0; i < tags.length; i += MAX_PARAMS_TAGS_PER_BATCH)
        await this.post('runs/log-batch', { run_id: id, tags: tags.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH) });
    return id;
  }

  async deleteTag(run: string, key: string): Promise<string> {
    const id = await this.runId(run);
    await this.post('runs/delete-tag', { run_id: id, key });
    return id;
  }

  /** One log-batch when it fits MLflow's limits, else chunks: params and tags first, then metrics. */
  async logBatch(run: string, batch: BatchInput): Promise<string> {
    const metrics = (batch.metrics ?? []).map(metricText);
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    const id = await this.runId(run);
    if (
      metrics.length <= MAX_METRICS_PER_BATCH &&
      params.length <= MAX_PARAMS_TAGS_PER_BATCH &&
      tags.length <= MAX_PARAMS_TAGS_PER_BATCH &&
      metrics.length + params.length + tags.length <= 1000
    ) {
      await this.postText('runs/log-batch', batchText(id, metrics, params, tags));
      return id;
    }
    for (let i = 0; i < params.length; i += MAX_PARAMS_TAGS_PER_BATCH)
      await this.post('runs/log-batch', { run_id: id, params: params.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH) });
    for (let i = 0; i < tags.length; i += MAX_PARAMS_TAGS_PER_BATCH)
      await this.post('runs/log-batch', { run_id: id, tags: tags.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH) });
    for (let i = 0; i < metrics.length; i += MAX_METRICS_PER_BATCH)
      await this.postText('runs/log-batch', batchText(id, metrics.slice(i, i + MAX_METRICS_PER_BATCH), [], []));
    return id;
  }

  async logInputs(run: string, inputs: DatasetInput[]): Promise<string> {
    const id = await this.runId(run);
    await this.post('runs/log-inputs', {
      run_id: id,
      datasets: inputs.map((d) => ({
        tags: d.tags.length ? d.tags : undefined,
        dataset: { ...d.dataset, schema: d.dataset.schema ?? undefined, profile: d.dataset.profile ?? undefined },
      })),
    });
    return id;
  }
}
