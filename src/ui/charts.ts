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
}

interface History {
  count: number;
  exact: boolean;
  steps: number[];
  values: (number | null)[];
}

const cache = new Map<string, { at: number; h: Promise<History> }>();

function history(runId: string, key: string, fresh: boolean, smooth: number, range?: [number, number]): Promise<History> {
  const k = `${runId}\u0000${key}\u0000${smooth}\u0000${range ? range.join(':') : ''}`;
  const c = cache.get(k);
  if (c && !fresh) return c.h;
  const p = getJson<History>(
    api('history', { run_id: runId, key, points: 2000, smooth: smooth || undefined, ...(range ? { x_min: range[0], x_max: range[1] } : {}) }),
  );
  cache.set(k, { at: Date.now(), h: p });
  p.catch(() => cache.delete(k));
  return p;
}

/** Steps are integers: tick every 1, 2, 5, 10, 20, 50, … steps, never at 2.5. */
const STEP_INCRS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

export interface ChartOptions {
  logY: boolean;
  /** mlr plot --smooth's weight, 0 for none */
  smooth: number;
}

/** One chart card: the metric's histories of `runs`, drawn into a new element. */
export async function metricChart(key: string, runs: ChartRun[], width: number, o: ChartOptions, fresh = false): Promise<{ el: HTMLElement; plot: uPlot }> {
  const hs = await Promise.all(
    runs.map((r) => history(r.run_id, key, fresh, o.smooth).catch(() => ({ count: 0, exact: true, steps: [], values: [] }) as History)),
  );
  const data = align(hs, o);
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
    const full = hs.every((x) => x.steps.length === 0 || (min <= x.steps[0]! && max >= x.steps[x.steps.length - 1]!));
    void Promise.all(
      runs.map((r, i) => (full ? Promise.resolve(hs[i]!) : history(r.run_id, key, false, o.smooth, [Math.floor(min), Math.ceil(max)]).catch(() => hs[i]!))),
    ).then((zs) => {
      if (my !== zoomGen) return;
      applying = true;
      try {
        u.setData(align(zs, o), false);
      } finally {
        applying = false;
      }
      el.dataset['exact'] = String(zs.every((z) => z.exact));
    });
  };
  el.dataset['exact'] = String(!downsampled);
  const series: uPlot.Series[] = [
    { label: 'step' },
    ...runs.map((r, i) => ({
      label: r.name,
      stroke: PALETTE[i % PALETTE.length]!,
      width: 1.5,
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
      scales: { x: { time: false }, y: o.logY ? { distr: 3 } : {} },
      axes: [
        { label: 'step', labelSize: 18, size: 36, incrs: STEP_INCRS, grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e3e6ea' } },
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
function align(hs: History[], o: ChartOptions): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = hs.map((x) => {
    // uPlot wants one increasing x array per table; repeated steps keep their last value
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    x.steps.forEach((s, i) => {
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
