/**
 * Metric charts of selected runs with uPlot: one chart per metric, the runs overlaid. Each
 * history comes from /ajax-api/mlr/history, whole when short and as a min/max-per-bucket
 * downsample when long (no spike is lost).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, fmtNum, getJson, h, PALETTE } from './util.js';

export interface ChartRun {
  run_id: string;
  name: string;
  /** epoch ms: the zero of the relative-time axis (the first point's time when unknown) */
  start_time?: number | null;
}

/** The x axis: the step, the wall-clock time of each point, or the time since the run started. */
export type XAxis = 'step' | 'time' | 'rel';

interface History {
  count: number;
  exact: boolean;
  /** x=step answers steps, x=time answers epoch-ms times */
  steps?: number[];
  times?: number[];
  values: (number | null)[];
}

const cache = new Map<string, { at: number; h: Promise<History> }>();

const NO_HISTORY: History = { count: 0, exact: true, steps: [], times: [], values: [] };

function cacheKey(runId: string, key: string, points: number, smooth: number, byTime: boolean, range?: [number, number]): string {
  return `${runId}\u0000${key}\u0000${points}\u0000${smooth}\u0000${byTime}\u0000${range ? range.join(':') : ''}`;
}

function history(runId: string, key: string, points: number, fresh: boolean, smooth: number, byTime: boolean, range?: [number, number]): Promise<History> {
  const k = cacheKey(runId, key, points, smooth, byTime, range);
  const c = cache.get(k);
  if (c && !fresh) return c.h;
  const p = getJson<History>(
    api('history', {
      run_id: runId,
      key,
      points,
      smooth: smooth || undefined,
      x: byTime ? 'time' : undefined,
      ...(range ? { x_min: range[0], x_max: range[1] } : {}),
    }),
  );
  cache.set(k, { at: Date.now(), h: p });
  p.catch(() => cache.delete(k));
  return p;
}

/**
 * The whole histories of `key` for every run, those not cached (all when `fresh`) in one
 * `histories` request; a run whose history cannot be read has none.
 */
function histories(runIds: string[], key: string, points: number, fresh: boolean, smooth: number, byTime: boolean): Promise<History[]> {
  const missing = runIds.filter((id) => fresh || !cache.has(cacheKey(id, key, points, smooth, byTime)));
  if (missing.length > 0) {
    const p = getJson<{ histories: (History & { error?: string })[] }>(
      api('histories', { run_id: missing, key, points, smooth: smooth || undefined, x: byTime ? 'time' : undefined }),
    );
    missing.forEach((id, i) => {
      const k = cacheKey(id, key, points, smooth, byTime);
      const h = p.then((r) => {
        const x = r.histories[i];
        if (!x || x.error !== undefined) throw new Error(x?.error ?? 'no history');
        return x;
      });
      cache.set(k, { at: Date.now(), h });
      h.catch(() => cache.delete(k));
    });
  }
  return Promise.all(runIds.map((id) => cache.get(cacheKey(id, key, points, smooth, byTime))!.h.catch(() => NO_HISTORY)));
}

/** Steps are integers: tick every 1, 2, 5, 10, 20, 50, … steps, never at 2.5. */
const STEP_INCRS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
/** Relative time in seconds: ticks on round seconds, minutes, hours and days. */
const REL_INCRS = [
  0.001,
  0.01,
  0.1,
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86400,
  2 * 86400,
  7 * 86400,
  30 * 86400,
];

/** Seconds since the start as an axis writes them: "45 s", "2 min", "1.5 h", "3 d". */
function fmtRel(sec: number): string {
  const a = Math.abs(sec);
  const r = (v: number) => String(Number(v.toPrecision(3)));
  if (a === 0) return '0';
  if (a < 60) return `${r(sec)} s`;
  if (a < 3600) return `${r(sec / 60)} min`;
  if (a < 86400) return `${r(sec / 3600)} h`;
  return `${r(sec / 86400)} d`;
}

const X_LABEL: Record<XAxis, string> = { step: 'step', time: 'wall time', rel: 'relative time' };

export interface ChartOptions {
  logY: boolean;
  /** mlr plot --smooth's weight, 0 for none */
  smooth: number;
  x?: XAxis;
}

/** A history's x values on the chosen axis: steps, epoch seconds, or seconds since the run started. */
function xsOf(x: History, xAxis: XAxis, start: number | null | undefined): number[] {
  if (xAxis === 'step') return x.steps ?? [];
  const t = x.times ?? [];
  if (xAxis === 'time') return t.map((v) => v / 1000);
  const zero = start ?? t[0] ?? 0;
  return t.map((v) => (v - zero) / 1000);
}

/** An x range of the chart back in the history endpoint's units (steps, or epoch ms for this run). */
function toQueryRange(min: number, max: number, xAxis: XAxis, start: number | null | undefined, x: History): [number, number] {
  if (xAxis === 'step') return [Math.floor(min), Math.ceil(max)];
  const zero = xAxis === 'time' ? 0 : (start ?? x.times?.[0] ?? 0);
  return [Math.floor(min * 1000 + zero), Math.ceil(max * 1000 + zero)];
}

/** The y axis and the plot's padding, in CSS pixels: the rest of a chart's width is the plot's. */
const PLOT_INSET = 56 + 16;

/**
 * How many points to ask for per history: 2 per device pixel of the plot's width. The
 * server keeps between `points`/4 and `points`/2 min/max buckets (4 points each), so a
 * bucket is 1–2 pixels wide and every spike is in it; more only costs time.
 */
function pointsFor(width: number): number {
  const px = Math.max(100, width - PLOT_INSET) * (globalThis.devicePixelRatio || 1);
  return Math.min(20000, Math.ceil(px * 2));
}

/** One chart card: the metric's histories of `runs`, drawn into a new element. */
export async function metricChart(key: string, runs: ChartRun[], width: number, o: ChartOptions, fresh = false): Promise<{ el: HTMLElement; plot: uPlot }> {
  const xAxis = o.x ?? 'step';
  const points = pointsFor(width);
  const hs = await histories(
    runs.map((r) => r.run_id),
    key,
    points,
    fresh,
    o.smooth,
    xAxis !== 'step',
  );
  const starts = runs.map((r) => r.start_time);
  const data = align(hs, o, xAxis, starts);
  const el = h('div', { class: 'chart card', 'data-metric': key });
  const downsampled = hs.some((x) => !x.exact);
  let zoomGen = 0;
  let applying = false;
  /** zoomed in on a downsampled history: the exact points of the range, drawn in place */
  const refetch = (u: uPlot): void => {
    const min = u.scales['x']?.min;
    const max = u.scales['x']?.max;
    if (min === undefined || max === undefined || min === null || max === null) return;
    const my = ++zoomGen;
    const full = hs.every((x, i) => {
      const xs = xsOf(x, xAxis, starts[i]);
      return xs.length === 0 || (min <= xs[0]! && max >= xs[xs.length - 1]!);
    });
    void Promise.all(
      runs.map((r, i) =>
        full
          ? Promise.resolve(hs[i]!)
          : history(r.run_id, key, points, false, o.smooth, xAxis !== 'step', toQueryRange(min, max, xAxis, starts[i], hs[i]!)).catch(() => hs[i]!),
      ),
    ).then((zs) => {
      if (my !== zoomGen) return;
      applying = true;
      try {
        u.setData(align(zs, o, xAxis, starts), false);
      } finally {
        applying = false;
      }
      el.dataset['exact'] = String(zs.every((z) => z.exact));
      // how many zooms have been drawn (the bench times a zoom to this)
      el.dataset['zooms'] = String(my);
    });
  };
  el.dataset['exact'] = String(!downsampled);
  const series: uPlot.Series[] = [
    {
      label: X_LABEL[xAxis],
      value: (_u: uPlot, v: number | null) =>
        v === null ? '-' : xAxis === 'rel' ? fmtRel(v) : xAxis === 'time' ? new Date(v * 1000).toISOString() : String(v),
    },
    ...runs.map((r, i) => ({
      label: r.name,
      stroke: PALETTE[i % PALETTE.length]!,
      // many series: 1 px lines, which a software canvas draws as hairlines — 1.5 px ones
      // took ~20× as long to rasterise (bench/RESULTS.md, scenario u)
      width: runs.length > 4 ? 1 : 1.5,
      spanGaps: true,
      points: { show: (hs[i]?.count ?? 0) <= 1 },
      value: (_u: uPlot, v: number | null) => (v === null ? '-' : fmtNum(v)),
    })),
  ];
  const plot = new uPlot(
    {
      title: key,
      width,
      height: 220,
      series,
      scales: { x: { time: xAxis === 'time' }, y: o.logY ? { distr: 3 } : {} },
      axes: [
        {
          label: X_LABEL[xAxis],
          labelSize: 18,
          size: xAxis === 'time' ? 44 : 36,
          grid: { stroke: '#eef0f3' },
          ticks: { stroke: '#e3e6ea' },
          ...(xAxis === 'step' ? { incrs: STEP_INCRS } : xAxis === 'rel' ? { incrs: REL_INCRS, values: (_u: uPlot, vals: number[]) => vals.map(fmtRel) } : {}),
        },
        { label: key, labelSize: 18, size: 56, grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e3e6ea' }, values: (_u, vals) => vals.map((v) => fmtNum(v)) },
      ],
      cursor: { drag: { x: true, y: false } },
      // a zoom (or its reset) on a downsampled chart asks for the range's own points
      hooks: downsampled ? { setScale: [(u: uPlot, k: string) => void (k === 'x' && !applying && setTimeout(() => refetch(u), 0))] } : {},
      legend: { show: true, live: true },
    },
    data,
    el,
  );
  return { el, plot };
}

/** One x array for all runs (uPlot.join), each run's values on it (null where it has none). */
function align(hs: History[], o: ChartOptions, xAxis: XAxis, starts: (number | null | undefined)[]): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = hs.map((x, k) => {
    // uPlot wants one increasing x array per table; repeated x values keep their last value
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    xsOf(x, xAxis, starts[k]).forEach((s, i) => {
      const y = x.values[i] ?? null;
      if (xs.length > 0 && xs[xs.length - 1] === s) ys[ys.length - 1] = y;
      else {
        xs.push(s);
        ys.push(o.logY && y !== null && y <= 0 ? null : y);
      }
    });
    return [xs, ys] as uPlot.AlignedData;
  });
  return tables.length === 1 ? tables[0]! : uPlot.join(tables);
}

/** Metric keys of the runs, in order of how many runs have them (then by name). */
export function metricKeys(runs: { metrics: string[] }[]): string[] {
  const n = new Map<string, number>();
  for (const r of runs) for (const k of r.metrics) n.set(k, (n.get(k) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
}
