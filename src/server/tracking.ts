/**
 * The tracking endpoints (experiments, runs, metrics, artifacts/list): MLflow's handlers
 * (mlflow/server/handlers.py) over the store interface. Each one reads its fields with
 * MLflow's schema, calls the same reader/writer methods the CLI's commands call, and
 * answers with the message MLflow's handler builds.
 */
import { MlrError, NotFoundError } from '../errors.js';
import { compileQuery, sortRuns } from '../search/index.js';
import { matchesExperiment, parseExperimentFilter, sortExperiments } from '../search/experiment-search.js';
import type { ExperimentEntry, RunEntry, TrackingReader } from '../store/backend.js';
import { MAX_RESULTS_LIMIT } from '../store/max-results.js';
import type { DatasetInput, RunStatus, ViewType } from '../store/types.js';
import { RUN_STATUSES } from '../store/types.js';
import { validateKeyName } from '../store/validate.js';
import { HANDLED, type RequestContext, type Route, type ServerServices } from './context.js';
import { ApiError, invalidParameter, notFound } from './errors.js';
import { pyJson } from './pyjson.js';
import { experimentJson, metricJson, runInfoJson, runJson } from './render.js';
import { keyValues, type Schema } from './request.js';
import { listRunArtifacts } from './artifacts.js';
import { MetricQueue } from './metric-queue.js';

const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
const VIEW: Record<string, ViewType> = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' };
const SEARCH_MAX_RESULTS_DEFAULT = 1000;

// ------------------------------------------------------------------ page tokens

/** SearchUtils.create_page_token: base64 of `{"offset": N}` (Python's json.dumps spacing). */
function pageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
}

/** SearchUtils.parse_start_offset_from_page_token, with MLflow's messages. */
function parsePageToken(token: string | undefined): number {
  if (!token) return 0;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token) || token.length % 4 === 1) throw invalidParameter('Invalid page token, could not base64-decode');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw invalidParameter(`Invalid page token, decoded value=${decoded}`);
  }
  const offset = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['offset'] : undefined;
  if (!offset) throw invalidParameter(`Invalid page token, parsed value=${decoded}`);
  const n = typeof offset === 'number' ? offset : typeof offset === 'string' && /^\s*\d+\s*$/.test(offset) ? Number(offset) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalidParameter(`Invalid page token, not stringable ${String(offset)}`);
  return n;
}

/** SearchUtils.paginate. */
export function paginate<T>(items: readonly T[], token: string | undefined, maxResults: number): { page: T[]; next?: string } {
  const start = parsePageToken(token);
  const end = start + maxResults;
  const page = items.slice(start, end);
  return end < items.length ? { page, next: pageToken(end) } : { page };
}

function intField(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

// ------------------------------------------------------------------ lookups with MLflow's words

/** The experiment with exactly this id (the reader also matches names; MLflow does not), without its tags. */
async function experimentEntryById(reader: TrackingReader, id: string): Promise<ExperimentEntry> {
  let e: ExperimentEntry | undefined;
  try {
    e = await reader.getExperiment(id);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (!e || e.experiment.experiment_id !== id) throw notFound(`Could not find experiment with ID ${id}`);
  return e;
}

/** experimentEntryById with the experiment's tags (in MLflow's order). */
async function experimentById(reader: TrackingReader, id: string): Promise<ExperimentEntry> {
  return reader.loadExperimentTags(await experimentEntryById(reader, id), 'stored');
}

/** The run with exactly this id (no prefix matching over HTTP). */
export async function runById(reader: TrackingReader, id: string): Promise<RunEntry> {
  let r: RunEntry | undefined;
  try {
    if (/^[a-zA-Z0-9][\w-]*$/.test(id)) r = await reader.findRun(id);
  } catch (err) {
    if (!(err instanceof MlrError)) throw err;
  }
  if (!r || r.info.run_id !== id) throw notFound(`Run '${id}' not found`);
  return r;
}

/** A write to a run: the run must exist with exactly this id before the writer (which takes prefixes) sees it. */
async function writeToRun<T>(c: RequestContext, runId: string, write: () => Promise<T>): Promise<T> {
  await runById(await c.reader(), runId);
  return write();
}

// ------------------------------------------------------------------ experiments

const createExperiment = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ name: { type: 'string', required: true }, artifact_location: { type: 'string' }, tags: { type: 'any', repeated: true } });
  const tags = keyValues(f['tags'], 'tags');
  const location = f['artifact_location'] as string | undefined;
  const w = await c.writer();
  const r = await w.createExperiment(f['name'] as string, { tags, ...(location ? { artifactLocation: location } : {}) });
  if (!r.created) throw new ApiError('RESOURCE_ALREADY_EXISTS', `Experiment '${f['name'] as string}' already exists.`);
  return { experiment_id: r.experiment_id };
};

const getExperiment = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ experiment_id: { type: 'string', required: true } });
  const e = await experimentById(await c.reader(), f['experiment_id'] as string);
  return { experiment: experimentJson(e.experiment) };
};

const getExperimentByName = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ experiment_name: { type: 'string', required: true } });
  const name = f['experiment_name'] as string;
  const reader = await c.reader();
  const all = (await reader.listExperiments('all')).filter((e) => e.experiment.name === name);
  const hit = all.find((e) => e.experiment.lifecycle_stage === 'active') ?? all[0];
  if (!hit) throw notFound(`Could not find experiment with name '${name}'`);
  await reader.loadExperimentTags(hit, 'stored');
  return { experiment: experimentJson(hit.experiment) };
};

const searchExperiments = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    view_type: { type: 'int64', values: VIEW_TYPES },
    max_results: { type: 'int64' },
    order_by: { type: 'string', repeated: true },
    filter: { type: 'string' },
    page_token: { type: 'string' },
  });
  const max = f['max_results'] === undefined ? SEARCH_MAX_RESULTS_DEFAULT : intField(f['max_results']);
  if (!Number.isInteger(max) || max < 1) throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${max}`);
  if (max > MAX_RESULTS_LIMIT)
    throw invalidParameter(`Invalid value for request parameter max_results. It must be at most ${MAX_RESULTS_LIMIT}, but got value ${max}`);
  const filter = (f['filter'] as string | undefined) ?? '';
  const clauses = filter.trim() === '' ? [] : parseExperimentFilter(filter);
  const orderBy = (f['order_by'] as string[] | undefined) ?? [];
  const reader = await c.reader();
  const entries = await reader.listExperiments(VIEW[(f['view_type'] as string | undefined) ?? 'ACTIVE_ONLY']!);
  for (const e of entries) await reader.loadExperimentTags(e, 'stored');
  const sorted = sortExperiments(
    entries.filter((e) => matchesExperiment(clauses, e.experiment)),
    orderBy.length ? orderBy : ['creation_time DESC', 'experiment_id ASC'],
  );
  const { page, next } = paginate(sorted, f['page_token'] as string | undefined, max);
  return { experiments: page.length ? page.map((e) => experimentJson(e.experiment)) : undefined, next_page_token: next };
};

const experimentIdSchema: Schema = { experiment_id: { type: 'string', required: true } };

/** A write on an experiment given by id: it must exist with exactly this id first. */
async function onExperiment(c: RequestContext, schema: Schema, write: (id: string, f: Record<string, unknown>) => Promise<unknown>): Promise<unknown> {
  const f = c.fields(schema);
  const id = f['experiment_id'] as string;
  await experimentById(await c.reader(), id);
  await write(id, f);
  return {};
}

const deleteExperiment = (c: RequestContext) => onExperiment(c, experimentIdSchema, async (id) => (await c.writer()).deleteExperiment(id));
const restoreExperiment = (c: RequestContext) => onExperiment(c, experimentIdSchema, async (id) => (await c.writer()).restoreExperiment(id));
const updateExperiment = (c: RequestContext) =>
  onExperiment(c, { ...experimentIdSchema, new_name: { type: 'string', required: true } }, async (id, f) =>
    (await c.writer()).renameExperiment(id, f['new_name'] as string),
  );
const setExperimentTag = (c: RequestContext) =>
  onExperiment(c, { ...experimentIdSchema, key: { type: 'string', required: true }, value: { type: 'string' } }, async (id, f) =>
    (await c.writer()).setExperimentTag(id, f['key'] as string, (f['value'] as string | undefined) ?? ''),
  );
const deleteExperimentTag = (c: RequestContext) =>
  onExperiment(c, { ...experimentIdSchema, key: { type: 'string', required: true } }, async (id, f) =>
    (await c.writer()).deleteExperimentTag(id, f['key'] as string),
  );

// ------------------------------------------------------------------ runs

const createRun = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    experiment_id: { type: 'string' },
    user_id: { type: 'string' },
    start_time: { type: 'int64' },
    tags: { type: 'any', repeated: true },
    run_name: { type: 'string' },
  });
  const expId = (f['experiment_id'] as string | undefined) || '0';
  const reader = await c.reader();
  // its tags are not part of the answer: not read
  const exp = await experimentEntryById(reader, expId);
  if (exp.experiment.lifecycle_stage !== 'active') {
    throw new ApiError('INVALID_STATE', `Could not create run under non-active experiment with ID ${expId}.`);
  }
  const tags = keyValues(f['tags'], 'tags');
  const w = await c.writer();
  const start = f['start_time'];
  const created = await w.createRun({
    experiment: expId,
    tags,
    userId: (f['user_id'] as string | undefined) ?? '',
    startTime: start === undefined ? c.services.now() : intField(start),
    ...(f['run_name'] ? { runName: f['run_name'] as string } : {}),
  });
  const fresh = await c.services.backend.freshReader();
  return { run: runJson(fresh, await runById(fresh, created.run_id)) };
};

const runIdSchema: Schema = { run_id: { type: 'string', required: true } };

const getRun = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields(runIdSchema);
  const reader = await c.reader();
  return { run: runJson(reader, await runById(reader, f['run_id'] as string)) };
};

const updateRun = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    run_id: { type: 'string', required: true },
    end_time: { type: 'int64' },
    status: { type: 'string', values: RUN_STATUSES },
    run_name: { type: 'string' },
  });
  const id = f['run_id'] as string;
  await writeToRun(c, id, async () =>
    (await c.writer()).updateRun(id, {
      ...(f['status'] !== undefined ? { status: f['status'] as RunStatus } : {}),
      ...(f['end_time'] !== undefined ? { endTime: intField(f['end_time']) } : {}),
      ...(f['run_name'] !== undefined ? { runName: f['run_name'] as string } : {}),
    }),
  );
  const fresh = await c.services.backend.freshReader();
  return { run_info: runInfoJson((await runById(fresh, id)).info) };
};

const deleteRun = async (c: RequestContext): Promise<unknown> => {
  const id = c.fields(runIdSchema)['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).deleteRun(id));
  return {};
};

const restoreRun = async (c: RequestContext): Promise<unknown> => {
  const id = c.fields(runIdSchema)['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).restoreRun(id));
  return {};
};

const logMetric = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    run_id: { type: 'string', required: true },
    key: { type: 'string', required: true },
    value: { type: 'double', required: true },
    timestamp: { type: 'int64', required: true },
    step: { type: 'int64' },
  });
  const id = f['run_id'] as string;
  const metric = {
    key: f['key'] as string,
    value: f['value'] as number,
    timestamp: f['timestamp'] as number | bigint,
    step: (f['step'] as number | bigint | undefined) ?? 0,
  };
  // the key is checked before the run is looked up, as MLflow's log_metric does
  validateKeyName('metric', metric.key);
  await metricQueue(c.services).add(id, metric);
  return {};
};

const queues = new WeakMap<ServerServices, MetricQueue>();

/** The server's log-metric queue (metric-queue.ts): the run checked as writeToRun checks it, then one writer call per batch. */
function metricQueue(services: ServerServices): MetricQueue {
  let q = queues.get(services);
  if (!q) {
    const backend = services.backend;
    q = new MetricQueue({
      checkRun: async (runId) => {
        await runById(await backend.freshReader(), runId);
      },
      write: async (runId, metrics) => {
        await (await backend.writer()).logMetrics(runId, metrics);
      },
    });
    queues.set(services, q);
  }
  return q;
}

const logParam = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ run_id: { type: 'string', required: true }, key: { type: 'string', required: true }, value: { type: 'string' } });
  const id = f['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).logParams(id, [{ key: f['key'] as string, value: (f['value'] as string | undefined) ?? '' }]));
  return {};
};

const setTag = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ run_id: { type: 'string', required: true }, key: { type: 'string', required: true }, value: { type: 'string' } });
  const id = f['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).setTags(id, [{ key: f['key'] as string, value: (f['value'] as string | undefined) ?? '' }]));
  return {};
};

const deleteTag = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ run_id: { type: 'string', required: true }, key: { type: 'string', required: true } });
  const id = f['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).deleteTag(id, f['key'] as string));
  return {};
};

/** MLflow's MAX_BATCH_LOG_REQUEST_SIZE. */
const MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000;

const logBatch = async (c: RequestContext): Promise<unknown> => {
  if (c.bodyBytes > MAX_BATCH_LOG_REQUEST_SIZE) {
    throw invalidParameter(`Batched logging API requests must be at most ${MAX_BATCH_LOG_REQUEST_SIZE} bytes, got a request of size ${c.bodyBytes}.`);
  }
  const f = c.fields({
    run_id: { type: 'string', required: true },
    metrics: { type: 'object', repeated: true },
    params: { type: 'object', repeated: true },
    tags: { type: 'object', repeated: true },
  });
  const required = (v: unknown, p: string): void => {
    if (v === undefined || v === null || v === '')
      throw invalidParameter(`Missing value for required parameter '${p}'. See the API docs for more information about request parameters.`);
  };
  const rawMetrics = (f['metrics'] as Record<string, unknown>[] | undefined) ?? [];
  const metrics = plainMetrics(rawMetrics) ?? readMetrics(c, rawMetrics, required);
  const params = keyValues(f['params'], 'params');
  const tags = keyValues(f['tags'], 'tags');
  const id = f['run_id'] as string;
  await writeToRun(c, id, async () => (await c.writer()).logBatch(id, { metrics, params, tags }));
  return {};
};

type BatchMetric = { key: string; value: number; timestamp: number | bigint; step: number | bigint };

/**
 * A log-batch's metrics when every one has the usual shape — a non-empty string key, a
 * number value, an integer timestamp, an integer step or none — which is what the checks
 * of readMetrics make of them (each passes them as they are); undefined otherwise. A sync
 * sends 600,000 of them: the schema walk per metric cost a second of the server.
 */
function plainMetrics(raw: Record<string, unknown>[]): BatchMetric[] | undefined {
  const out: BatchMetric[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const m = raw[i]!;
    const key = m['key'];
    const value = m['value'];
    const timestamp = m['timestamp'];
    const step = m['step'];
    if (typeof key !== 'string' || key === '' || typeof value !== 'number') return undefined;
    if (!(typeof timestamp === 'bigint' || (typeof timestamp === 'number' && Number.isInteger(timestamp)))) return undefined;
    if (!(step === undefined || step === null || typeof step === 'bigint' || (typeof step === 'number' && Number.isInteger(step)))) return undefined;
    out[i] = { key, value, timestamp, step: step ?? 0 };
  }
  return out;
}

/** A log-batch's metrics with MLflow's checks and words: every required field first, then each metric's fields. */
function readMetrics(c: RequestContext, rawMetrics: Record<string, unknown>[], required: (v: unknown, p: string) => void): BatchMetric[] {
  rawMetrics.forEach((m, i) => {
    required(m['key'], `metrics[${i}].key`);
    required(m['value'], `metrics[${i}].value`);
    required(m['timestamp'], `metrics[${i}].timestamp`);
  });
  return rawMetrics.map((m, i) => {
    const one = c.fieldsOf(m, { key: { type: 'string' }, value: { type: 'double' }, timestamp: { type: 'int64' }, step: { type: 'int64' } }, `metrics[${i}]`);
    return {
      key: one['key'] as string,
      value: one['value'] as number,
      timestamp: one['timestamp'] as number | bigint,
      step: (one['step'] as number | bigint | undefined) ?? 0,
    };
  });
}

const logInputs = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ run_id: { type: 'string', required: true }, datasets: { type: 'object', repeated: true } });
  const id = f['run_id'] as string;
  const inputs: DatasetInput[] = ((f['datasets'] as Record<string, unknown>[] | undefined) ?? []).map((d, i) => {
    const ds = d['dataset'];
    if (typeof ds !== 'object' || ds === null || Array.isArray(ds)) throw invalidParameter(`Missing value for required parameter 'datasets[${i}].dataset'.`);
    const o = ds as Record<string, unknown>;
    const text = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    for (const k of ['name', 'digest', 'source_type', 'source']) {
      if (text(k) === undefined) throw invalidParameter(`Missing value for required parameter 'datasets[${i}].dataset.${k}'.`);
    }
    return {
      tags: keyValues(d['tags'], `datasets[${i}].tags`),
      dataset: {
        name: text('name')!,
        digest: text('digest')!,
        source_type: text('source_type')!,
        source: text('source')!,
        schema: text('schema') ?? null,
        profile: text('profile') ?? null,
      },
    };
  });
  await writeToRun(c, id, async () => (await c.writer()).logInputs(id, inputs));
  return {};
};

const searchRuns = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    experiment_ids: { type: 'string', repeated: true },
    filter: { type: 'string' },
    run_view_type: { type: 'int64', values: VIEW_TYPES },
    max_results: { type: 'int64' },
    order_by: { type: 'string', repeated: true },
    page_token: { type: 'string' },
  });
  const max = f['max_results'] === undefined ? SEARCH_MAX_RESULTS_DEFAULT : intField(f['max_results']);
  if (max > MAX_RESULTS_LIMIT) {
    throw invalidParameter(`Invalid value ${max} for parameter 'max_results' supplied. See the API docs for more information about request parameters.`);
  }
  if (!Number.isInteger(max) || max < 1) throw invalidParameter(`Invalid value for parameter 'max_results' supplied: ${max}. It must be a positive integer.`);
  const filter = (f['filter'] as string | undefined) ?? '';
  const query = compileQuery({ ...(filter.trim() !== '' ? { filter } : {}), orderBy: (f['order_by'] as string[] | undefined) ?? [] });
  const ids = (f['experiment_ids'] as string[] | undefined) ?? [];
  const reader = await c.reader();
  // a long-running file store answers a repeated search from memory while no file it read
  // has changed (Backend.memo); the answer is the same as computing it again
  const backend = c.services.backend;
  const memo = <T>(key: unknown[], compute: () => Promise<T>, settle = false): Promise<T> =>
    backend.memo ? backend.memo(JSON.stringify(key), compute, { settle }) : compute();
  const exps = await memo(
    ['runs/search exps', ids],
    async () => {
      const out: ExperimentEntry[] = [];
      for (const id of ids) {
        // MLflow's file store: a missing experiment has no runs; its runs are listed once per mention
        try {
          const e = await reader.getExperiment(id);
          if (e.experiment.experiment_id === id) out.push(e);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return out;
    },
    true,
  );
  const start = parsePageToken(f['page_token'] as string | undefined);
  const view = (f['run_view_type'] as string | undefined) ?? 'ACTIVE_ONLY';
  const searchKey = ['runs/search', ids, view, filter, f['order_by'] ?? []];
  const matched = exps.length ? await memo(searchKey, () => reader.searchRuns({ experiments: exps, view: VIEW[view]!, query, unordered: true })) : [];
  const end = start + max;
  const sorted = await memo([...searchKey, end], async () => sortRuns(matched, query.order, end));
  const page = sorted.slice(start, end);
  const runs = await memo([...searchKey, start, end, 'page'], async () => page.map((r) => runJson(reader, r.entry)));
  return {
    runs: runs.length ? runs : undefined,
    next_page_token: end < matched.length ? pageToken(end) : undefined,
  };
};

// ------------------------------------------------------------------ metrics

const getMetricHistory = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    run_id: { type: 'string', required: true },
    metric_key: { type: 'string', required: true },
    page_token: { type: 'string' },
    max_results: { type: 'int64' },
  });
  const key = f['metric_key'] as string;
  validateKeyName('metric', key);
  const reader = await c.reader();
  const run = await runById(reader, f['run_id'] as string);
  let chunks: AsyncGenerator<import('../store/types.js').Metric[]>;
  try {
    chunks = reader.metricHistory(run, key);
  } catch (e) {
    if (e instanceof NotFoundError) return {};
    throw e;
  }
  // MLflow 2.12's file store answers the whole history in one page (max_results and
  // page_token are accepted and leave it whole); streamed, so a long history is never
  // held as one JSON text
  const res = c.res;
  let first = true;
  const write = (s: string): Promise<void> | void => {
    if (res.write(s)) return;
    return new Promise((resolve) => res.once('drain', resolve));
  };
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (first) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      await write('{\n  "metrics": [\n');
    }
    const text = chunk.map((m) => '    ' + pyJson(metricJson(m), 2).replace(/\n/g, '\n    ')).join(',\n');
    await write((first ? '' : ',\n') + text);
    first = false;
  }
  if (first) return {};
  res.end('\n  ]\n}');
  return HANDLED;
};

const MAX_RUNS_BULK_INTERVAL = 100;
const MAX_RESULTS_PER_RUN = 2500;
const MAX_RESULTS_GET_METRIC_HISTORY = 25000;

/** handlers._get_sampled_steps_from_steps. */
function sampledSteps(start: number, end: number, maxResults: number, all: number[]): Set<number> {
  const lo = all.findIndex((s) => s >= start);
  const startIdx = lo < 0 ? all.length : lo;
  let endIdx = all.length;
  while (endIdx > 0 && all[endIdx - 1]! > end) endIdx--;
  if (endIdx - startIdx <= maxResults) return new Set(all.slice(startIdx, endIdx));
  const numSteps = endIdx - startIdx;
  const interval = numSteps / maxResults;
  const out: number[] = [];
  for (let i = 0; i < maxResults; i++) {
    const idx = startIdx + Math.trunc(i * interval);
    if (idx < numSteps) out.push(all[idx]!);
  }
  out.push(all[endIdx - 1]!);
  return new Set(out);
}

const getMetricHistoryBulkInterval = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({
    run_ids: { type: 'string', repeated: true, required: true },
    metric_key: { type: 'string', required: true },
    start_step: { type: 'int64' },
    end_step: { type: 'int64' },
    max_results: { type: 'int64' },
  });
  const runIds = f['run_ids'] as string[];
  if (runIds.length > MAX_RUNS_BULK_INTERVAL) {
    throw invalidParameter(
      `GetMetricHistoryBulkInterval request must specify at most ${MAX_RUNS_BULK_INTERVAL} run_ids. Received ${runIds.length} run_ids. See the API docs for more information about request parameters.`,
    );
  }
  const maxResults = f['max_results'] === undefined ? MAX_RESULTS_PER_RUN : intField(f['max_results']);
  if (!(maxResults >= 1 && maxResults <= MAX_RESULTS_PER_RUN)) {
    throw invalidParameter(`max_results must be between 1 and ${MAX_RESULTS_PER_RUN}. See the API docs for more information about request parameters.`);
  }
  let start = f['start_step'] === undefined ? undefined : intField(f['start_step']);
  let end = f['end_step'] === undefined ? undefined : intField(f['end_step']);
  if (start !== undefined && end !== undefined) {
    if (start > end) throw invalidParameter(`end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`);
  } else if (start !== undefined || end !== undefined) {
    throw invalidParameter('If either start step or end step are specified, both must be specified.');
  }
  const key = f['metric_key'] as string;
  validateKeyName('metric', key);
  const reader = await c.reader();
  const histories: { runId: string; metrics: import('../store/types.js').Metric[] }[] = [];
  for (const runId of runIds) {
    const run = await runById(reader, runId);
    const metrics: import('../store/types.js').Metric[] = [];
    try {
      for await (const chunk of reader.metricHistory(run, key)) metrics.push(...chunk);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    histories.push({ runId, metrics });
  }
  const steps = (m: import('../store/types.js').Metric): number => Number(m.step);
  const minsAndMaxes = new Set<number>();
  for (const h of histories) {
    if (h.metrics.length === 0) continue;
    const s = h.metrics.map(steps);
    minsAndMaxes.add(Math.min(...s));
    minsAndMaxes.add(Math.max(...s));
  }
  const allSteps = [...new Set(histories.flatMap((h) => h.metrics.map(steps)))].sort((a, b) => a - b);
  if (start === undefined || end === undefined) {
    start = 0;
    end = allSteps.length ? allSteps[allSteps.length - 1]! : 0;
  }
  const lo = start;
  const hi = end;
  const sampled = sampledSteps(lo, hi, maxResults, allSteps);
  for (const s of minsAndMaxes) if (s >= lo && s <= hi) sampled.add(s);
  const out: unknown[] = [];
  for (const h of histories) {
    const kept = h.metrics
      .filter((m) => sampled.has(steps(m)))
      .sort((a, b) => (a.step < b.step ? -1 : a.step > b.step ? 1 : a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
      .slice(0, MAX_RESULTS_GET_METRIC_HISTORY);
    for (const m of kept) out.push({ ...metricJson(m), run_id: h.runId });
  }
  return { metrics: out.length ? out : undefined };
};

// ------------------------------------------------------------------ artifacts (tracking API)

const listArtifacts = async (c: RequestContext): Promise<unknown> => {
  const f = c.fields({ run_id: { type: 'string', required: true }, path: { type: 'string' }, page_token: { type: 'string' } });
  const reader = await c.reader();
  const run = await runById(reader, f['run_id'] as string);
  const files = await listRunArtifacts(c, run, f['path'] as string | undefined);
  return { root_uri: run.info.artifact_uri, files: files.length ? files : undefined };
};

export const TRACKING_ROUTES: Route[] = [
  { method: 'POST', path: 'experiments/create', write: true, handler: createExperiment },
  { method: 'GET', path: 'experiments/get', write: false, handler: getExperiment },
  { method: 'GET', path: 'experiments/get-by-name', write: false, handler: getExperimentByName },
  { method: 'POST', path: 'experiments/search', write: false, handler: searchExperiments },
  { method: 'GET', path: 'experiments/search', write: false, handler: searchExperiments },
  { method: 'POST', path: 'experiments/delete', write: true, handler: deleteExperiment },
  { method: 'POST', path: 'experiments/restore', write: true, handler: restoreExperiment },
  { method: 'POST', path: 'experiments/update', write: true, handler: updateExperiment },
  { method: 'POST', path: 'experiments/set-experiment-tag', write: true, handler: setExperimentTag },
  { method: 'POST', path: 'experiments/delete-experiment-tag', write: true, handler: deleteExperimentTag },
  { method: 'POST', path: 'runs/create', write: true, handler: createRun },
  { method: 'GET', path: 'runs/get', write: false, handler: getRun },
  { method: 'POST', path: 'runs/update', write: true, handler: updateRun },
  { method: 'POST', path: 'runs/delete', write: true, handler: deleteRun },
  { method: 'POST', path: 'runs/restore', write: true, handler: restoreRun },
  { method: 'POST', path: 'runs/log-metric', write: true, handler: logMetric },
  { method: 'POST', path: 'runs/log-parameter', write: true, handler: logParam },
  { method: 'POST', path: 'runs/set-tag', write: true, handler: setTag },
  { method: 'POST', path: 'runs/delete-tag', write: true, handler: deleteTag },
  { method: 'POST', path: 'runs/log-batch', write: true, handler: logBatch },
  { method: 'POST', path: 'runs/log-inputs', write: true, handler: logInputs },
  { method: 'POST', path: 'runs/search', write: false, handler: searchRuns },
  { method: 'GET', path: 'metrics/get-history', write: false, handler: getMetricHistory },
  { method: 'GET', path: 'metrics/get-history-bulk-interval', write: false, handler: getMetricHistoryBulkInterval },
  { method: 'GET', path: 'artifacts/list', write: false, handler: listArtifacts },
];
