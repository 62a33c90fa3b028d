/**
 * The write commands: turn command-line arguments and MLflow's environment variables into
 * TrackingWriter calls, and return what the CLI prints (ids). Never prints, never exits;
 * the environment and working directory come in through WriteContext.
 */
import { StateError, UsageError } from '../errors.js';
import type { ArtifactRepository, BatchInput, MetricInput, RunEntry, TrackingReader, TrackingWriter } from '../store/backend.js';
import { RUN_STATUSES, type KeyValue, type RunStatus } from '../store/types.js';
import { parseJsonExact } from '../json.js';

/** What the write commands need: the backend's writer, and for some its reader and artifacts. */
export interface WriteContext {
  writer: TrackingWriter;
  /** a run reference (id, prefix, name, latest~N) → the run id; ids pass through when absent */
  resolveRun?: (ref: string) => Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => number;
  reader(): Promise<TrackingReader>;
  artifacts(): Promise<ArtifactRepository>;
}

/** `key=value` → {key, value}; the key ends at the first `=`. */
export function parsePair(s: string, what = 'key=value'): KeyValue {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`expected ${what}, got '${s}'`, 'bad-pair');
  return { key: s.slice(0, i), value: s.slice(i + 1) };
}

/** The run a command acts on: the argument, else MLFLOW_RUN_ID. */
function runArg(given: string | undefined, env: Record<string, string | undefined>): string {
  if (given !== undefined && given !== '') return given;
  const fromEnv = env['MLFLOW_RUN_ID'];
  if (fromEnv) return fromEnv;
  throw new UsageError('no run given: pass a run id (or a unique prefix) or set MLFLOW_RUN_ID', 'no-run');
}

/**
 * The experiment a new run goes to: -e, else MLFLOW_EXPERIMENT_NAME, else
 * MLFLOW_EXPERIMENT_ID (MLflow's order; both set must agree), else the Default '0'.
 */
export function experimentArg(given: string | undefined, env: Record<string, string | undefined>): { ref: string; expectId?: string } {
  if (given !== undefined && given !== '') return { ref: given };
  const name = env['MLFLOW_EXPERIMENT_NAME'];
  const id = env['MLFLOW_EXPERIMENT_ID'];
  if (name) return { ref: name, ...(id ? { expectId: id } : {}) };
  if (id) return { ref: id };
  return { ref: '0' };
}

/** Parse a status name (FINISHED, FAILED, KILLED, RUNNING, SCHEDULED; any case). */
function parseStatus(s: string): RunStatus {
  const up = s.toUpperCase();
  if (!(RUN_STATUSES as readonly string[]).includes(up)) {
    throw new UsageError(`invalid status '${s}': use one of ${RUN_STATUSES.join(', ')}`, 'bad-status');
  }
  return up as RunStatus;
}

/** A non-negative integer of milliseconds. */
export function parseMillis(s: string, what: string): number {
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new UsageError(`invalid ${what} '${s}': expected whole milliseconds since the epoch`, 'bad-time');
  }
  return Number(s);
}

// ------------------------------------------------------------------ experiments

export function experimentsCreate(
  ctx: WriteContext,
  name: string,
  opts: { artifactLocation?: string; tags?: string[] },
): Promise<{ experiment_id: string; created: boolean }> {
  const tags = (opts.tags ?? []).map((t) => parsePair(t, '--tag key=value'));
  return ctx.writer.createExperiment(name, { ...(opts.artifactLocation !== undefined ? { artifactLocation: opts.artifactLocation } : {}), tags });
}

// ------------------------------------------------------------------ runs

// ------------------------------------------------------------------ logging

/** The run id a reference names (names and latest~N need the CLI's resolver). */
function resolve(ctx: WriteContext, ref: string): Promise<string> {
  return ctx.resolveRun ? ctx.resolveRun(ref) : Promise.resolve(ref);
}

/** Split `[run] rest…` where the run is optional: present when there are `full` args. */
function splitRun(args: string[], full: number, usage: string, env: Record<string, string | undefined>, plural?: string): { run: string; rest: string[] } {
  if (args.length === full) return { run: runArg(args[0], env), rest: args.slice(1) };
  if (args.length === full - 1 && env['MLFLOW_RUN_ID']) return { run: runArg(undefined, env), rest: args };
  // `log-metric $RUN loss=0.5`: a key=value pair where a key and a value were expected (issue 11 item 15)
  const pair = plural !== undefined && args.length < full && args.slice(1).some((a) => /^[^=]+=/.test(a));
  const without = usage.replace(/^\[<run>\] /, '');
  throw new UsageError(
    `expected <run> ${without} (or ${without} with MLFLOW_RUN_ID set), got ${args.length} argument${args.length === 1 ? '' : 's'}` +
      (pair ? `; for key=value pairs use mlr ${plural} <run> <key>=<value>…` : ''),
    'bad-args',
  );
}

/** Split `[run] k=v…`: the run is there when the first argument has no `=`. */
function splitRunPairs(args: string[], usage: string, env: Record<string, string | undefined>): { run: string; pairs: KeyValue[] } {
  const hasRun = args.length > 0 && !args[0]!.includes('=');
  const pairs = (hasRun ? args.slice(1) : args).map((a) => parsePair(a));
  if (pairs.length === 0) throw new UsageError(`expected ${usage}`, 'bad-args');
  return { run: runArg(hasRun ? args[0] : undefined, env), pairs };
}

const OPTIONLIKE = /^-/;
const NUMBERLIKE = /^-(?:\d|\.\d|inf|infinity|nan)/i;

/** Arguments that look like options but are not negative numbers or -inf/-nan are mistakes. */
function refuseStrayOptions(args: string[]): void {
  for (const a of args) {
    if (OPTIONLIKE.test(a) && !NUMBERLIKE.test(a)) throw new UsageError(`unknown option '${a}'`, 'unknown-option');
  }
}

export interface MetricOptions {
  step?: string;
  timestamp?: string;
}

function metricInput(ctx: WriteContext, key: string, value: string, opts: MetricOptions): MetricInput {
  return { key, value, timestamp: opts.timestamp ?? String(ctx.now()), step: opts.step ?? '0' };
}

/** mlr log-metric [<run>] <key> <value> [--step N] [--timestamp MS] */
export async function logMetric(ctx: WriteContext, args: string[], opts: MetricOptions): Promise<string> {
  refuseStrayOptions(args);
  const { run, rest } = splitRun(args, 3, '[<run>] <key> <value>', ctx.env, 'log-metrics');
  return ctx.writer.logMetrics(await resolve(ctx, run), [metricInput(ctx, rest[0]!, rest[1]!, opts)]);
}

/** mlr log-metrics [<run>] k=v… [--step N] [--timestamp MS] (one timestamp for all) */
export async function logMetrics(ctx: WriteContext, args: string[], opts: MetricOptions): Promise<string> {
  refuseStrayOptions(args);
  const { run, pairs } = splitRunPairs(args, '[<run>] <key>=<value>…', ctx.env);
  const ts = opts.timestamp ?? String(ctx.now());
  return ctx.writer.logMetrics(
    await resolve(ctx, run),
    pairs.map((p) => metricInput(ctx, p.key, p.value, { ...opts, timestamp: ts })),
  );
}

/** mlr log-param [<run>] <key> <value> */
export async function logParam(ctx: WriteContext, args: string[]): Promise<string> {
  const { run, rest } = splitRun(args, 3, '[<run>] <key> <value>', ctx.env, 'log-params');
  return ctx.writer.logParams(await resolve(ctx, run), [{ key: rest[0]!, value: rest[1]! }]);
}

/** mlr log-params [<run>] k=v… */
export async function logParams(ctx: WriteContext, args: string[]): Promise<string> {
  const { run, pairs } = splitRunPairs(args, '[<run>] <key>=<value>…', ctx.env);
  return ctx.writer.logParams(await resolve(ctx, run), pairs);
}

/** mlr set-tag [<run>] <key> <value> */
export async function setTag(ctx: WriteContext, args: string[]): Promise<string> {
  const { run, rest } = splitRun(args, 3, '[<run>] <key> <value>', ctx.env);
  return ctx.writer.setTags(await resolve(ctx, run), [{ key: rest[0]!, value: rest[1]! }]);
}

/** mlr delete-tag [<run>] <key> */
export async function deleteTag(ctx: WriteContext, args: string[]): Promise<string> {
  const { run, rest } = splitRun(args, 2, '[<run>] <key>', ctx.env);
  return ctx.writer.deleteTag(await resolve(ctx, run), rest[0]!);
}

/** mlr runs end [<run>] */
export async function runsEnd(ctx: WriteContext, run: string | undefined, opts: { status?: string; endTime?: string }): Promise<string> {
  const status = parseStatus(opts.status ?? 'FINISHED');
  const endTime = opts.endTime !== undefined ? parseMillis(opts.endTime, 'end time') : undefined;
  return ctx.writer.endRun(await resolve(ctx, runArg(run, ctx.env)), status, endTime);
}

function asText(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  throw new UsageError(`${what} must be a string, got ${JSON.stringify(v)}`, 'bad-batch');
}

/**
 * Parse a log-batch body in the shape of MLflow's REST `runs/log-batch`:
 * `{"run_id"?, "metrics": [{key, value, timestamp, step}], "params": [{key, value}], "tags": [{key, value}]}`.
 * Values may be numbers or strings ("NaN", "Infinity"); int64 fields may be strings.
 * A metric without timestamp gets `now`, without step 0.
 */
function parseBatch(text: string, now: number): BatchInput & { run_id?: string } {
  let body: unknown;
  try {
    body = parseJsonExact(text);
  } catch (e) {
    throw new UsageError(`log-batch: the input is not JSON (${(e as Error).message})`, 'bad-batch');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UsageError('log-batch: expected a JSON object with "metrics", "params" and/or "tags"', 'bad-batch');
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!['run_id', 'run_uuid', 'metrics', 'params', 'tags'].includes(k)) {
      throw new UsageError(`log-batch: unknown field "${k}" (expected run_id, metrics, params, tags)`, 'bad-batch');
    }
  }
  const list = (field: string): Record<string, unknown>[] => {
    const v = b[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new UsageError(`log-batch: "${field}" must be a list`, 'bad-batch');
    return v.map((x, i) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new UsageError(`log-batch: ${field}[${i}] must be an object`, 'bad-batch');
      if (typeof (x as Record<string, unknown>)['key'] !== 'string') throw new UsageError(`log-batch: ${field}[${i}] has no "key" string`, 'bad-batch');
      return x as Record<string, unknown>;
    });
  };
  const num = (v: unknown, what: string): string | number | bigint => {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint') return v;
    throw new UsageError(`log-batch: ${what} must be a number, got ${JSON.stringify(v)}`, 'bad-batch');
  };
  const metrics: MetricInput[] = list('metrics').map((m, i) => {
    if (m['value'] === undefined) throw new UsageError(`log-batch: metrics[${i}] has no "value"`, 'bad-batch');
    return {
      key: m['key'] as string,
      // a value is a double: an integer literal too long for one becomes the nearest double, as in Python's float()
      value: ((v) => (typeof v === 'bigint' ? Number(v) : v))(num(m['value'], `metrics[${i}].value`)),
      timestamp: m['timestamp'] === undefined || m['timestamp'] === null ? now : num(m['timestamp'], `metrics[${i}].timestamp`),
      step: m['step'] === undefined || m['step'] === null ? 0 : num(m['step'], `metrics[${i}].step`),
    };
  });
  const kv = (field: string): KeyValue[] => list(field).map((x, i) => ({ key: x['key'] as string, value: asText(x['value'], `${field}[${i}].value`) }));
  const runId = b['run_id'] ?? b['run_uuid'];
  return {
    metrics,
    params: kv('params'),
    tags: kv('tags'),
    ...(typeof runId === 'string' && runId !== '' ? { run_id: runId } : {}),
  };
}

/** mlr log-batch [<run>] --file <path|-> (the body's run_id is used when no run is given). */
export async function logBatch(ctx: WriteContext, given: string | undefined, text: string): Promise<string> {
  const batch = parseBatch(text, ctx.now());
  const run = given === undefined ? undefined : await resolve(ctx, given);
  if (run !== undefined && batch.run_id !== undefined && batch.run_id !== run && !batch.run_id.startsWith(run)) {
    throw new UsageError(`log-batch: the body's run_id ${batch.run_id} is not the run given (${run})`, 'run-mismatch');
  }
  return ctx.writer.logBatch(runArg(run ?? batch.run_id, ctx.env), batch);
}

/** mlr log-artifact [<run>] <path> [--artifact-path dir] */
export async function logArtifact(
  ctx: WriteContext,
  args: string[],
  opts: { artifactPath?: string },
): Promise<{ run_id: string; dest: string; note?: string }> {
  const { run: ref, rest } = splitRun(args, 2, '[<run>] <path>', ctx.env);
  const run = await (await ctx.reader()).findRun(await resolve(ctx, ref));
  requireActive(run);
  const r = await (await ctx.artifacts()).upload(run, rest[0]!, opts.artifactPath ?? '');
  return { run_id: run.info.run_id, ...r };
}

/** MLflow's check_run_is_active, and an active experiment: what every write to a run needs. */
function requireActive(run: RunEntry): void {
  const metaProblem = run.problems.find((p) => /meta-(missing|empty|unparsable|unreadable)$/.test(p.code) || p.code === 'run-experiment-mismatch');
  if (metaProblem) throw new StateError(`run ${run.info.run_id} is broken: ${metaProblem.message}; run 'mlr doctor'`, 'broken-run');
  if (run.info.lifecycle_stage !== 'active') {
    throw new StateError(`The run ${run.info.run_id} must be in 'active' lifecycle_stage.`, 'run-deleted');
  }
  if (run.exp.experiment.lifecycle_stage !== 'active') {
    throw new StateError(
      `The run ${run.info.run_id} belongs to the deleted experiment ${run.exp.experiment.experiment_id}; restore the experiment first`,
      'experiment-deleted',
    );
  }
}
