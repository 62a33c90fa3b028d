/**
 * `mlr plot`: metric histories of one or more runs as one chart, or as their raw points.
 * Histories are streamed (the store's iterator, or an incremental tail for --follow) and go
 * straight into O(width) downsamplers; nothing holds a whole history.
 */
import { NotFoundError, UsageError } from '../errors.js';
import { SeriesBuilder, type ChartSeries } from '../series/series.js';
import { createSmoother } from '../series/smooth.js';
import { formatIso, formatNumberFull, jsonNumber } from '../values.js';
import type { Metric } from '../store/types.js';
import { int64ToNumber, subInt64 } from '../store/int64.js';
import { stringifyJson } from '../json.js';
import type { MetricTail, RunEntry, TrackingReader } from '../store/backend.js';

const X_AXES = ['step', 'time', 'relative'] as const;
export type XAxis = (typeof X_AXES)[number];

/** One (run, metric) series to draw. */
export interface PlotTarget {
  run: RunEntry;
  metric: string;
  /** legend text */
  label: string;
}

/** A point of a history: what the series need of a metric line. */
type MetricLine = Pick<Metric, 'timestamp' | 'value' | 'step'>;

export interface SeriesOptions {
  x: XAxis;
  /** only points with step >= since */
  since?: number;
  /** TensorBoard smoothing weight in [0, 1) */
  smooth: number;
  logY: boolean;
  /** chart width: the downsamplers keep up to twice as many buckets */
  width: number;
}

/** Metric keys from `--metric` values: repeatable, comma-separated, `metrics.` prefix optional. */
export function parseMetricKeys(values: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? [])
    for (const part of v.split(',')) {
      let k = part.trim();
      if (k.startsWith('metrics.')) k = k.slice('metrics.'.length);
      else if (k.startsWith('metric.')) k = k.slice('metric.'.length);
      if (/^(`.*`|".*")$/.test(k)) k = k.slice(1, -1);
      if (k !== '' && !out.includes(k)) out.push(k);
    }
  return out;
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * The series to draw: every (run, metric) pair in run order, metric order. Legends name the run
 * (its name, plus a short id when names repeat or are empty) when there are several runs, and
 * the metric when there are several metrics or one run (see plotTitle for the rest). Pairs whose metric file does not exist are
 * returned in `missing` (a warning for the caller) unless `keepMissing` (for --follow, where
 * the file may still appear).
 */
export function resolveTargets(
  store: TrackingReader,
  runs: readonly RunEntry[],
  metrics: readonly string[],
  keepMissing = false,
): { targets: PlotTarget[]; missing: string[] } {
  if (metrics.length === 0) {
    const known = [...new Set(runs.flatMap((r) => store.listMetricKeys(r)))].sort();
    throw new UsageError(
      `say which metric to plot with --metric <key>` + (known.length > 0 ? `; the runs have: ${known.join(', ')}` : '; the runs have no metrics'),
      'plot-needs-metric',
    );
  }
  const names = runs.map((r) => r.info.run_name);
  const runLabel = (r: RunEntry): string => {
    const n = r.info.run_name;
    if (n === '') return shortId(r.info.run_id);
    return names.filter((x) => x === n).length > 1 ? `${n} (${shortId(r.info.run_id)})` : n;
  };
  const targets: PlotTarget[] = [];
  const missing: string[] = [];
  for (const run of runs) {
    const keys = new Set(store.listMetricKeys(run));
    for (const metric of metrics) {
      // what the title (plotTitle) does not already say
      const parts = [...(runs.length > 1 ? [runLabel(run)] : []), ...(metrics.length > 1 || runs.length === 1 ? [metric] : [])];
      const target = { run, metric, label: parts.join(' ') };
      if (keys.has(metric) || keepMissing) targets.push(target);
      else missing.push(`run ${runLabel(run)} (${shortId(run.info.run_id)}) has no metric '${metric}'`);
    }
  }
  return { targets, missing };
}

/** The line above the chart: the metric when there is one, the run (name and short id) when there is one. */
export function plotTitle(runs: readonly RunEntry[], metrics: readonly string[]): string {
  const parts: string[] = [];
  if (metrics.length === 1) parts.push(metrics[0]!);
  const run = runs.length === 1 ? runs[0] : undefined;
  if (run) parts.push(run.info.run_name ? `${run.info.run_name} (${shortId(run.info.run_id)})` : shortId(run.info.run_id));
  return parts.join(' · ');
}

/** Maps a metric line to its x value; `relative` counts ms from the run's start (or first point). */
function xMapper(run: RunEntry, x: XAxis): (m: MetricLine) => number {
  // a chart's x is a double: steps and times beyond 2^53 land on the nearest one
  if (x === 'step') return (m) => int64ToNumber(m.step);
  if (x === 'time') return (m) => int64ToNumber(m.timestamp);
  let origin = run.info.start_time;
  return (m) => {
    origin ??= m.timestamp;
    return subInt64(m.timestamp, origin);
  };
}

/** The x-axis name printed under the chart. */
export function xAxisName(x: XAxis): string {
  return x === 'step' ? 'step' : x === 'time' ? 'time (UTC)' : 'time since start';
}

/** Formats x values for the axis labels. */
export function xFormatter(x: XAxis): ((v: number) => string) | undefined {
  if (x === 'step') return undefined;
  if (x === 'time') return (v) => formatIso(v).replace(/\.000Z$/, 'Z');
  return formatElapsed;
}

/** Milliseconds as "850ms", "12.5s", "4m05s", "2h03m", "3d04h" (negative with a '-'). */
export function formatElapsed(ms: number): string {
  if (ms < 0) return `-${formatElapsed(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(1))}s`;
  const total = Math.floor(s);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  if (total < 86400) return `${Math.floor(total / 3600)}h${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86400)}d${pad(Math.floor((total % 86400) / 3600))}h`;
}

/** A series builder for a target, with its x mapping and --since filter. */
class TargetSeries {
  readonly target: PlotTarget;
  private builder: SeriesBuilder;
  private toX: (m: MetricLine) => number;
  private readonly options: SeriesOptions;

  constructor(target: PlotTarget, options: SeriesOptions) {
    this.target = target;
    this.options = options;
    this.builder = new SeriesBuilder(target.label, options);
    this.toX = xMapper(target.run, options.x);
  }

  push(m: MetricLine): void {
    if (this.options.since !== undefined && m.step < this.options.since) return;
    this.builder.push(this.toX(m), m.value);
  }

  /** Starts over (the file was truncated or replaced). */
  reset(): void {
    this.builder = new SeriesBuilder(this.target.label, this.options);
    this.toX = xMapper(this.target.run, this.options.x);
  }

  result(): ChartSeries {
    return this.builder.result();
  }
}

/** Streams every target's history through its downsampler; returns the chart series. */
export async function buildChartSeries(store: TrackingReader, targets: readonly PlotTarget[], options: SeriesOptions): Promise<ChartSeries[]> {
  const out: ChartSeries[] = [];
  for (const t of targets) {
    const s = new TargetSeries(t, options);
    try {
      for await (const chunk of store.metricHistory(t.run, t.metric)) for (const m of chunk) s.push(m);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    out.push(s.result());
  }
  return out;
}

/**
 * A hint when --x step cannot spread the points out: several points, all at one step (MLflow
 * logs step 0 when no step is given). Undefined otherwise.
 */
export function sameStepHint(series: readonly ChartSeries[], x: XAxis): string | undefined {
  if (x !== 'step') return undefined;
  const xs = new Set<number>();
  for (const s of series) for (const b of s.buckets) xs.add(b.xMin).add(b.xMax);
  const points = series.reduce((n, s) => n + s.count, 0);
  if (xs.size !== 1 || points < 2) return undefined;
  return `every point is at step ${[...xs][0]}; try --x time or --x relative`;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The raw points of every target (all of them, or from --since on), streamed as JSON or CSV
 * text chunks. With smoothing, each point also carries its smoothed value.
 */
export async function* renderSeriesData(
  store: TrackingReader,
  targets: readonly PlotTarget[],
  options: { since?: number; smooth: number },
  format: 'json' | 'csv',
): AsyncGenerator<string> {
  const withSmooth = options.smooth > 0;
  const batch: string[] = [];
  const flush = () => batch.splice(0).join('');
  if (format === 'csv') yield `run_id,run_name,metric,step,timestamp,value${withSmooth ? ',smoothed' : ''}\n`;
  else yield '[';
  let firstSeries = true;
  for (const t of targets) {
    const smoother = createSmoother(options.smooth);
    const chunks = store.metricHistory(t.run, t.metric);
    const prefix = `${csvField(t.run.info.run_id)},${csvField(t.run.info.run_name)},${csvField(t.metric)},`;
    if (format === 'json') {
      const head = JSON.stringify({ run_id: t.run.info.run_id, run_name: t.run.info.run_name, metric: t.metric });
      batch.push(`${firstSeries ? '\n' : ',\n'}  ${head.slice(0, -1)},"points":[`);
    }
    firstSeries = false;
    let firstPoint = true;
    for await (const chunk of chunks) {
      for (const m of chunk) {
        if (options.since !== undefined && m.step < options.since) continue;
        // the smoother sees the same points the chart does
        const sm = withSmooth ? smoother(m.value) : undefined;
        if (format === 'csv') {
          batch.push(`${prefix}${m.step},${m.timestamp},${formatNumberFull(m.value)}${sm === undefined ? '' : `,${formatNumberFull(sm)}`}\n`);
        } else {
          const p: Record<string, unknown> = { step: m.step, timestamp: m.timestamp, value: jsonNumber(m.value) };
          if (sm !== undefined) p['smoothed'] = jsonNumber(sm);
          batch.push(`${firstPoint ? '\n' : ',\n'}    ${stringifyJson(p)}`);
        }
        firstPoint = false;
      }
      if (batch.length >= 4096) yield flush();
    }
    if (format === 'json') batch.push(firstPoint ? ']}' : '\n  ]}');
    yield flush();
  }
  if (format === 'json') yield firstSeries ? ']\n' : '\n]\n';
}

export interface PlotSelection {
  /** run ids or unique prefixes given on the command line */
  ids: readonly string[];
  experiments?: readonly string[];
  view: 'active' | 'deleted' | 'all';
  orderBy?: readonly string[];
  maxResults?: number;
  filter?: string;
  /** $MLFLOW_RUN_ID, used when neither ids nor a query is given */
  envRunId?: string;
}

/** Runs plotted when chosen by query and --max-results is not given. */
const DEFAULT_QUERY_RUNS = 10;

/**
 * The runs to plot: the ids given, else the runs a query picks (`-e`, `--filter`, `--order-by`
 * — plain keys or aggregates — and `--max-results`; at most DEFAULT_QUERY_RUNS unless told),
 * else $MLFLOW_RUN_ID. `total` is how many runs the query matched before the cut.
 */
export async function selectPlotRuns(store: TrackingReader, sel: PlotSelection): Promise<{ runs: RunEntry[]; total: number }> {
  const query = (sel.experiments?.length ?? 0) > 0 || (sel.orderBy?.length ?? 0) > 0 || sel.maxResults !== undefined || sel.filter !== undefined;
  if (sel.ids.length > 0) {
    if (query) throw new UsageError('give run ids or a query (-e, --filter, --order-by, --max-results), not both', 'plot-ids-and-query');
    const runs: RunEntry[] = [];
    for (const id of sel.ids) runs.push(await store.findRun(id));
    return { runs, total: runs.length };
  }
  if (!query) {
    if (sel.envRunId) return { runs: [await store.findRun(sel.envRunId)], total: 1 };
    throw new UsageError('say which runs to plot: run ids, or a query such as -e <experiment> --order-by "min(metrics.val_loss)"', 'plot-needs-runs');
  }
  const { compileAggregateQuery, selectRunsWithAggregates } = await import('./table-controls.js');
  const q = await compileAggregateQuery(sel.filter, sel.orderBy);
  const all = await selectRunsWithAggregates(store, { experiments: sel.experiments ? [...sel.experiments] : undefined, view: sel.view, query: q });
  return { runs: all.slice(0, sel.maxResults ?? DEFAULT_QUERY_RUNS), total: all.length };
}

/**
 * The targets a query picks for `plot --follow`: runs that have none of the metrics take no
 * slot (issue 11 #9), so `--max-results` counts runs that can be drawn.
 */
export async function selectQueryTargets(store: TrackingReader, sel: PlotSelection, metrics: readonly string[]): Promise<PlotTarget[]> {
  const { runs } = await selectPlotRuns(store, { ...sel, ids: [], maxResults: 50000 });
  const max = sel.maxResults ?? DEFAULT_QUERY_RUNS;
  const drawn = runs.filter((r) => {
    const keys = new Set(store.listMetricKeys(r));
    return metrics.some((m) => keys.has(m));
  });
  return resolveTargets(store, drawn.slice(0, max), metrics).targets;
}

/** How `followSeries` looks at the store again (fresh run records: status, new runs). */
export interface FollowWatch {
  /** the targets to draw now, from a fresh read (a query's new runs included) */
  refresh(): Promise<PlotTarget[]>;
  /** polls between refreshes (default 4: every 2 s) */
  every?: number;
  /** stop once every run that was RUNNING has ended (runs named by id; a query keeps following) */
  stopWhenEnded: boolean;
}

/** One frame of `plot --follow`: the chart's data, its runs, and the runs that ended (the last frame). */
export interface FollowFrame {
  series: ChartSeries[];
  runs: RunEntry[];
  /** set on the last frame: the runs that were RUNNING and have ended, with their final status */
  ended?: RunEntry[];
}

const targetKey = (t: PlotTarget): string => `${t.run.info.run_id}\0${t.metric}`;

/**
 * `plot --follow`: the series of every target, first as they are, then again each time new
 * lines arrive (polled every `pollMs`) or the targets change, until `stop` is aborted or,
 * with `watch.stopWhenEnded`, every run that was RUNNING has ended (then a last frame with
 * `ended`). Each yielded frame is the whole chart's data; the caller draws it.
 */
export async function* followSeries(
  store: TrackingReader,
  targets: readonly PlotTarget[],
  options: SeriesOptions,
  stop: AbortSignal,
  pollMs = 500,
  watch?: FollowWatch,
): AsyncGenerator<FollowFrame> {
  type Entry = { target: PlotTarget; series: TargetSeries; tail: MetricTail };
  const open = (t: PlotTarget): Entry => ({ target: t, series: new TargetSeries(t, options), tail: store.tailMetric(t.run, t.metric) });
  let entries: Entry[] = targets.map(open);
  const running = new Set(targets.filter((t) => t.run.info.status === 'RUNNING').map((t) => t.run.info.run_id));
  const ended = new Map<string, RunEntry>();
  const frame = (last = false): FollowFrame => {
    const runs = [...new Map(entries.map((e) => [e.target.run.info.run_id, e.target.run])).values()];
    // labels as the current set of runs needs them (a second run turns "loss" into run names)
    return { series: entries.map((e) => ({ ...e.series.result(), label: e.target.label })), runs, ...(last ? { ended: [...ended.values()] } : {}) };
  };
  const poll = async (): Promise<number> => {
    let added = 0;
    for (const e of entries) {
      const { reset, lines } = await e.tail.poll();
      if (reset) e.series.reset();
      for (const m of lines) e.series.push(m);
      added += lines.length + (reset ? 1 : 0);
    }
    return added;
  };
  /** true when the set of targets changed */
  const refresh = async (): Promise<boolean> => {
    if (!watch) return false;
    const fresh = await watch.refresh();
    const old = new Map(entries.map((e) => [targetKey(e.target), e]));
    let changed = fresh.length !== entries.length;
    entries = fresh.map((t, i) => {
      const e = old.get(targetKey(t));
      if (!e || entries[i] !== e) changed = true;
      if (!e) {
        if (t.run.info.status === 'RUNNING') running.add(t.run.info.run_id);
        return open(t);
      }
      if (e.target.label !== t.label) changed = true;
      e.target = t;
      return e;
    });
    for (const t of fresh) if (running.has(t.run.info.run_id) && t.run.info.status !== 'RUNNING') ended.set(t.run.info.run_id, t.run);
    return changed;
  };
  await poll();
  yield frame();
  for (let n = 1; !stop.aborted; n++) {
    await new Promise<void>((resolve) => {
      // one listener at a time: a listener per poll would pile up on the signal
      const done = (): void => {
        clearTimeout(t);
        stop.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, pollMs);
      stop.addEventListener('abort', done, { once: true });
    });
    if (stop.aborted) return;
    const changed = watch && n % (watch.every ?? 4) === 0 ? await refresh() : false;
    const added = await poll();
    if (watch?.stopWhenEnded && running.size > 0 && [...running].every((id) => ended.has(id))) {
      // one more read: the last lines a run logs just before it ends
      await poll();
      yield frame(true);
      return;
    }
    if (added > 0 || changed) yield frame();
  }
}
