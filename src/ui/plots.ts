/**
 * The compare page's two charts, drawn by hand on a canvas (uPlot draws series over one x
 * axis; these have one axis per param or none shared): parallel coordinates over the params
 * that vary and a chosen metric, and a scatter of any param or metric against a metric. A
 * param whose values are all numbers gets a numeric axis (logarithmic when they are positive
 * and span two decades or more, as learning rates do); any other gets one tick per value.
 */
import { fmtNum, h, PALETTE } from './util.js';

/** One run's values, by key (`params.lr`, `metrics.val_loss`), as strings or numbers. */
export interface PlotRun {
  name: string;
  color: string;
  values: Map<string, string | number>;
}

interface Scale {
  /** position 0..1 of a value on the axis, undefined when the run has none (or an unusable one) */
  pos(v: string | number | undefined): number | undefined;
  /** tick positions (0..1) and their labels */
  ticks: { at: number; label: string }[];
}

/** A value as a number: the CLI writes non-finite metrics as nan, inf and -inf. */
function numeric(v: string | number): number {
  if (typeof v === 'number') return v;
  const t = v.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return t === '' ? NaN : Number(t);
}

const NON_FINITE = /^(nan|-?inf(inity)?)$/i;

/** The axis of a key over the runs: numeric when every value is a finite number, else one tick per value. */
function scaleOf(runs: readonly PlotRun[], key: string): Scale {
  const vals = runs.map((r) => r.values.get(key)).filter((v): v is string | number => v !== undefined);
  // numeric when every value is a number (a nan or inf has no place on the axis, but keeps it numeric)
  const nums = vals.map(numeric).filter((n) => Number.isFinite(n));
  if (nums.length > 0 && vals.every((v) => Number.isFinite(numeric(v)) || (typeof v === 'string' ? NON_FINITE.test(v.trim()) : true))) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const log = lo > 0 && hi / lo >= 100;
    const f = (n: number): number => (log ? Math.log10(n) : n);
    const span = f(hi) - f(lo);
    const pos = (v: string | number | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = numeric(v);
      if (!Number.isFinite(n) || (log && n <= 0)) return undefined;
      return span === 0 ? 0.5 : (f(n) - f(lo)) / span;
    };
    const ticks =
      span === 0
        ? [{ at: 0.5, label: fmtNum(lo) }]
        : log
          ? [...new Set(nums)].sort((a, b) => a - b).map((n) => ({ at: pos(n)!, label: fmtNum(n) }))
          : [0, 0.25, 0.5, 0.75, 1].map((t) => ({ at: t, label: fmtNum(lo + (hi - lo) * t) }));
    // a log axis ticks each value (few: a sweep's grid); too many would overlap
    return { pos, ticks: ticks.length > 8 ? [ticks[0]!, ticks[ticks.length - 1]!] : ticks };
  }
  const cats = [...new Set(vals.map(String))].sort();
  const at = (i: number): number => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  return {
    pos: (v) => (v === undefined ? undefined : at(cats.indexOf(String(v)))),
    ticks: cats.map((c, i) => ({ at: at(i), label: c })),
  };
}

/** A canvas sized for the screen's pixel ratio, white, with its 2D context. */
function canvas(width: number, height: number): { el: HTMLCanvasElement; g: CanvasRenderingContext2D } {
  const dpr = window.devicePixelRatio || 1;
  const el = h('canvas', { width: Math.round(width * dpr), height: Math.round(height * dpr), style: { width: `${width}px`, height: `${height}px` } });
  const g = el.getContext('2d')!;
  g.scale(dpr, dpr);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.font = '11px system-ui, sans-serif';
  return { el, g };
}

function shortLabel(s: string, max = 18): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const AXIS = '#9aa3b2';
const TEXT = '#4b5563';

/**
 * Parallel coordinates: one vertical axis per key (the last one is the metric), a line per
 * run through its values; a run without a value on an axis has its line broken there.
 */
export function parallelCoordinates(runs: readonly PlotRun[], keys: readonly string[], width: number, height = 320): HTMLCanvasElement {
  const { el, g } = canvas(width, height);
  el.className = 'pc';
  el.dataset['dims'] = JSON.stringify(keys);
  const top = 34;
  const bottom = height - 18;
  const left = 70;
  const right = width - 80;
  const xs = keys.map((_, i) => (keys.length === 1 ? (left + right) / 2 : left + ((right - left) * i) / (keys.length - 1)));
  const scales = keys.map((k) => scaleOf(runs, k));
  const y = (p: number): number => bottom - p * (bottom - top);
  // the axes, then the runs' lines over them, then the labels over both
  g.strokeStyle = AXIS;
  g.lineWidth = 1;
  for (const x of xs) {
    g.beginPath();
    g.moveTo(x + 0.5, top);
    g.lineTo(x + 0.5, bottom);
    g.stroke();
  }
  g.lineWidth = 2;
  g.lineJoin = 'round';
  runs.forEach((r) => {
    g.strokeStyle = r.color;
    g.beginPath();
    let open = false;
    keys.forEach((k, i) => {
      const p = scales[i]!.pos(r.values.get(k));
      if (p === undefined) {
        open = false;
        return;
      }
      if (open) g.lineTo(xs[i]!, y(p));
      else g.moveTo(xs[i]!, y(p));
      open = true;
    });
    g.stroke();
    // a dot on each axis the run has a value on: a run with one value alone still shows
    g.fillStyle = r.color;
    keys.forEach((k, i) => {
      const p = scales[i]!.pos(r.values.get(k));
      if (p === undefined) return;
      g.beginPath();
      g.arc(xs[i]!, y(p), 3.5, 0, Math.PI * 2);
      g.fill();
    });
  });
  keys.forEach((k, i) => {
    const x = xs[i]!;
    g.lineWidth = 1;
    g.fillStyle = '#1d2330';
    g.textAlign = 'center';
    g.font = '600 12px system-ui, sans-serif';
    g.fillText(shortLabel(k.replace(/^(params|metrics)\./, ''), 22), x, 14);
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = k.startsWith('metrics.') ? '#7c3aed' : '#0f766e';
    g.fillText(k.startsWith('metrics.') ? 'metric' : 'param', x, 26);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = TEXT;
    g.textAlign = i === keys.length - 1 ? 'left' : 'right';
    for (const t of scales[i]!.ticks) {
      const ty = y(t.at);
      g.strokeStyle = AXIS;
      g.beginPath();
      g.moveTo(x - 3, ty + 0.5);
      g.lineTo(x + 3, ty + 0.5);
      g.stroke();
      g.fillText(shortLabel(t.label, 12), i === keys.length - 1 ? x + 6 : x - 6, ty + 4);
    }
  });
  return el;
}

/** A scatter of `xKey` (a param or metric) against `yKey` (a metric): a dot per run that has both. */
export function scatter(runs: readonly PlotRun[], xKey: string, yKey: string, width: number, height = 320): HTMLCanvasElement {
  const { el, g } = canvas(width, height);
  el.className = 'scatter';
  const left = 70;
  const right = width - 20;
  const top = 16;
  const bottom = height - 46;
  const sx = scaleOf(runs, xKey);
  const sy = scaleOf(runs, yKey);
  const px = (p: number): number => left + p * (right - left);
  const py = (p: number): number => bottom - p * (bottom - top);
  g.strokeStyle = AXIS;
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(left + 0.5, top);
  g.lineTo(left + 0.5, bottom + 0.5);
  g.lineTo(right, bottom + 0.5);
  g.stroke();
  g.fillStyle = TEXT;
  g.textAlign = 'center';
  for (const t of sx.ticks) {
    g.strokeStyle = '#eef0f3';
    g.beginPath();
    g.moveTo(px(t.at) + 0.5, top);
    g.lineTo(px(t.at) + 0.5, bottom);
    g.stroke();
    g.fillText(shortLabel(t.label, 12), px(t.at), bottom + 16);
  }
  g.textAlign = 'right';
  for (const t of sy.ticks) {
    g.strokeStyle = '#eef0f3';
    g.beginPath();
    g.moveTo(left, py(t.at) + 0.5);
    g.lineTo(right, py(t.at) + 0.5);
    g.stroke();
    g.fillText(shortLabel(t.label, 10), left - 6, py(t.at) + 4);
  }
  g.font = '600 12px system-ui, sans-serif';
  g.fillStyle = '#1d2330';
  g.textAlign = 'center';
  g.fillText(xKey, (left + right) / 2, height - 8);
  g.save();
  g.translate(14, (top + bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText(yKey, 0, 0);
  g.restore();
  const points: { name: string; x: number; y: number }[] = [];
  runs.forEach((r) => {
    const a = sx.pos(r.values.get(xKey));
    const b = sy.pos(r.values.get(yKey));
    if (a === undefined || b === undefined) return;
    const x = px(a);
    const y = py(b);
    g.fillStyle = r.color;
    g.beginPath();
    g.arc(x, y, 5, 0, Math.PI * 2);
    g.fill();
    points.push({ name: r.name, x: Math.round(x), y: Math.round(y) });
  });
  el.dataset['points'] = JSON.stringify(points);
  return el;
}

/** The palette colour of the i-th compared run (as the table's and the charts' legends use). */
export function runColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
