/**
 * Metric aggregates over full histories — `min(metrics.val_loss)`, `argmin(…)`, `spark(…)` —
 * usable as run-table columns and as order-by keys. Plain `metrics.x` keeps MLflow's meaning
 * (the latest value); these read every line of the metric file, streamed, one file at a time.
 */
import { FilterError, NotFoundError, UsageError } from '../errors.js';
import { parseOrderByCall } from '../search/order-by.js';
import { MinMaxDownsampler } from '../series/downsample.js';
import { renderSparkline } from '../series/spark.js';
import { isLater, type MetricLine } from '../store/file/metrics.js';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import type { Int64 } from '../store/int64.js';

const AGGREGATE_FNS = ['min', 'max', 'first', 'last', 'mean', 'count', 'argmin', 'argmax'] as const;
type AggregateFn = (typeof AGGREGATE_FNS)[number];

/** One aggregate of one metric: `fn(metrics.<metric>)`; `spark` renders a sparkline. */
export interface AggregateSpec {
  /** canonical text, e.g. `min(metrics.val_loss)` */
  key: string;
  fn: AggregateFn | 'spark';
  metric: string;
}

/** A computed aggregate: a number, a sparkline string, or null when the run lacks the metric. */
export type AggregateValue = number | bigint | string | null;

/** Characters in a sparkline cell. */
const SPARK_CELLS = 16;

// no parentheses inside the argument: no metric name has them (`min(x))` is not a call)
const CALL_RE = /^\s*([A-Za-z_]+)\s*\(\s*([^()]*?)\s*\)\s*$/s;

function unquote(s: string): string {
  return /^(`.*`|".*")$/s.test(s) ? s.slice(1, -1) : s;
}

/** How a bad aggregate is reported: what is wrong, its code, and whether the name or the argument is to blame. */
type Complain = (message: string, code: string, at: 'fn' | 'arg') => Error;

/** The aggregate `fn(arg)` names; throws what `complain` makes for an unknown function or a non-metric argument. */
function aggregateSpec(fnWritten: string, arg: string, text: string, complain: Complain): AggregateSpec {
  const fnText = fnWritten.toLowerCase();
  const fn = fnText === 'spark' ? 'spark' : (AGGREGATE_FNS as readonly string[]).includes(fnText) ? (fnText as AggregateFn) : undefined;
  if (fn === undefined) {
    throw complain(`unknown aggregate '${fnWritten}' in '${text}': use one of ${[...AGGREGATE_FNS, 'spark'].join(', ')}`, 'unknown-aggregate', 'fn');
  }
  let metric: string;
  const dot = arg.indexOf('.');
  const prefix = dot > 0 ? arg.slice(0, dot) : '';
  if (prefix === 'metrics' || prefix === 'metric') metric = unquote(arg.slice(dot + 1));
  else if (['params', 'param', 'parameters', 'tags', 'tag', 'attributes', 'attribute', 'attr', 'run', 'datasets', 'dataset'].includes(prefix)) {
    throw complain(`${fn}() takes a metric, e.g. ${fn}(metrics.val_loss); got '${arg}'`, 'aggregate-not-metric', 'arg');
  } else metric = unquote(arg);
  if (metric === '') throw complain(`${fn}() needs a metric, e.g. ${fn}(metrics.val_loss)`, 'aggregate-not-metric', 'arg');
  return { key: `${fn}(metrics.${metric})`, fn, metric };
}

/**
 * Parses `fn(metrics.key)` (also `fn(metric.key)`, `fn(metrics.\`a b\`)` and the bare
 * `fn(key)`). Returns undefined when `text` is not a call at all, so callers can fall back
 * to plain column keys; throws UsageError for an unknown function or a non-metric argument.
 */
export function parseAggregate(text: string): AggregateSpec | undefined {
  const m = CALL_RE.exec(text);
  if (!m) return undefined;
  return aggregateSpec(m[1]!, m[2]!, text.trim(), (message, code) => new UsageError(message, code));
}

/** Running state for every aggregate of one metric history. */
class Accumulator {
  count = 0;
  private realCount = 0;
  private sum = 0;
  private min = NaN;
  private minStep: Int64 = 0;
  private max = NaN;
  private maxStep: Int64 = 0;
  private first?: MetricLine;
  private last?: MetricLine;
  private spark?: MinMaxDownsampler;

  constructor(withSpark: boolean) {
    if (withSpark) this.spark = new MinMaxDownsampler(4 * SPARK_CELLS);
  }

  push(p: MetricLine): void {
    // the sparkline's x is the line's position in the file: robust to histories logged
    // without steps (all step 0), and a history is written in time order
    this.spark?.push(this.count, p.value);
    this.count++;
    if (!this.first || p.step < this.first.step || (p.step === this.first.step && p.timestamp < this.first.timestamp)) this.first = p;
    if (!this.last || isLater(this.last, p)) this.last = p;
    const v = p.value;
    if (Number.isNaN(v)) return;
    this.realCount++;
    this.sum += v;
    // ties: the smallest step (the first time the best value was reached)
    if (Number.isNaN(this.min) || v < this.min || (v === this.min && p.step < this.minStep)) {
      this.min = v;
      this.minStep = p.step;
    }
    if (Number.isNaN(this.max) || v > this.max || (v === this.max && p.step < this.maxStep)) {
      this.max = v;
      this.maxStep = p.step;
    }
  }

  /** NaN values are skipped by min/max/mean (like pandas); a history of only NaN gives NaN. */
  value(fn: AggregateFn | 'spark'): AggregateValue {
    if (fn === 'count') return this.count;
    if (this.count === 0) return null;
    switch (fn) {
      case 'spark':
        return renderSparkline(this.spark!.buckets(), SPARK_CELLS);
      case 'first':
        return this.first!.value;
      case 'last':
        return this.last!.value;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'mean':
        return this.realCount === 0 ? NaN : this.sum / this.realCount;
      case 'argmin':
        return this.realCount === 0 ? null : this.minStep;
      case 'argmax':
        return this.realCount === 0 ? null : this.maxStep;
    }
  }
}

/**
 * Computes `specs` for every run: one streamed pass over each (run, metric) file, whatever
 * the number of aggregates on it. A run without the metric gets null (count: 0).
 * Returns run id → spec key → value.
 */
export async function computeAggregates(
  store: TrackingReader,
  runs: readonly RunEntry[],
  specs: readonly AggregateSpec[],
): Promise<Map<string, Map<string, AggregateValue>>> {
  const byMetric = new Map<string, AggregateSpec[]>();
  for (const s of specs) byMetric.set(s.metric, [...(byMetric.get(s.metric) ?? []), s]);
  const out = new Map<string, Map<string, AggregateValue>>();
  for (const run of runs) {
    const values = new Map<string, AggregateValue>();
    for (const [metric, list] of byMetric) {
      const acc = new Accumulator(list.some((s) => s.fn === 'spark'));
      try {
        for await (const chunk of store.metricHistory(run, metric)) for (const m of chunk) acc.push(m);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e; // no such metric: the values stay empty
      }
      for (const s of list) values.set(s.key, acc.value(s.fn));
    }
    out.set(run.info.run_id, values);
  }
  return out;
}

/** An order-by clause on an aggregate: `min(metrics.val_loss) DESC`. */
export interface AggregateOrder {
  spec: AggregateSpec;
  descending: boolean;
}

/**
 * Parses an order-by clause whose key is an aggregate (`argmin(metrics.val_loss) asc`).
 * Returns undefined when the key is not a call (a plain key for the search module). Every
 * error is a FilterError with a caret: trailing text after the call or the direction
 * (issue 11 #29), an unknown function, a non-metric argument, a sparkline.
 */
export function parseAggregateOrderBy(clause: string): AggregateOrder | undefined {
  const call = parseOrderByCall(clause);
  if (!call) return undefined;
  const text = clause.slice(...call.callPos);
  const spec = aggregateSpec(call.fn, call.arg, text, (message, code, at) => new FilterError(message, clause, at === 'fn' ? call.fnPos : call.argPos, code));
  if (spec.fn === 'spark') throw new FilterError(`cannot order by a sparkline: '${clause}'`, clause, call.fnPos, 'order-by-spark');
  return { spec, descending: !call.ascending };
}
