/**
 * Terminal line charts of downsampled metric series.
 *
 * The look is asciichart's (its glyphs `┤ ┼ ─ │ ╭ ╮ ╰ ╯` and its rule that the step between two
 * values is drawn in the column of the earlier one), but the grid is drawn here: asciichart
 * 1.5.25 throws "Invalid array length" on NaN or ±Infinity, collapses a flat series to a single
 * row, and draws exactly one value per column, so it can neither leave gaps nor show the min/max
 * extent of a downsampled bucket. Each column here covers one x-range; a series draws the whole
 * vertical extent of its bucket in that column, so a one-step spike among a million points stays
 * visible.
 *
 * Pure: takes series and options, returns a string.
 */
import { mergeBuckets, type Bucket } from '../series/downsample.js';
import { escapeControls, formatNumberShort } from './format.js';
import type { ChartSeries } from '../series/series.js';

export type { ChartSeries } from '../series/series.js';

export interface ChartOptions {
  /** total width of every output line, in terminal columns */
  width: number;
  /** rows of the plot area (the x axis, its labels and the legend come on top of that) */
  height: number;
  /** colour series with ANSI escapes (only on a TTY that allows colour) */
  color: boolean;
  /** y values in the series are log10 values (built with `logY`): label the axis with 10^y */
  logY?: boolean;
  /** name of the x axis, printed between the min and max x labels when it fits */
  xLabel?: string;
  /** formats an x value for the axis labels (default: integers as is, else 6 significant digits) */
  formatX?: (x: number) => string;
  /** a line printed above the chart */
  title?: string;
}

/** Smallest plot area the renderer will draw, whatever width is asked for. */
const MIN_PLOT_WIDTH = 2;
const MIN_HEIGHT = 2;

const COLORS = ['34', '33', '32', '31', '35', '36', '94', '93', '92', '91', '95', '96'];
const ESC = '\x1b[';
const RESET_FG = '\x1b[39m';

/**
 * Without colour, several lines drawn in the same box glyphs cannot be told apart: each
 * series then draws every cell of its line with its own marker (issue 11 #10), shown in the
 * legend. The list repeats after 12 series (the end numbers still tell them apart).
 */
const MARKS = ['*', '+', 'x', 'o', '#', '@', '%', '&', '=', '$', '~', '?'];

/** The marker of series `i` when lines are told apart by markers. */
export function seriesMark(i: number): string {
  return MARKS[i % MARKS.length]!;
}

/** Escape code for series `i`'s colour (the palette repeats after 12 series). */
function seriesColor(i: number): string {
  return `${ESC}${COLORS[i % COLORS.length]!}m`;
}

// --- tick labels -------------------------------------------------------------------------

function normalizeZero(s: string): string {
  // "-0", "-0.00", "-0e+0" would read as a negative value
  return /^-0(\.0*)?(e[+-]?\d+)?$/.test(s) ? s.slice(1) : s;
}

function allDistinct(labels: readonly string[]): boolean {
  for (let i = 1; i < labels.length; i++) if (labels[i] === labels[i - 1]) return false;
  return true;
}

function formatExp(v: number, digits: number): string {
  return normalizeZero(v.toExponential(Math.max(0, digits - 1)));
}

function formatSig(v: number, digits: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-4)) return formatExp(v, digits);
  return normalizeZero(String(Number(v.toPrecision(digits))));
}

/**
 * Labels for evenly spaced ascending tick values, with the fewest digits that keep every label
 * within a tenth of a tick step of its true value (so neighbouring labels differ and the spacing
 * reads evenly): a common number of decimals on a linear axis (exponent form beyond 1e7 or
 * below 1e-4), the fewest significant digits on a log axis, whose ticks are 10^t for evenly
 * spaced t.
 */
export function formatTicks(values: readonly number[], log: boolean): string[] {
  if (values.length === 0) return [];
  const pos = log ? values.map(Math.log10) : values;
  const step = pos.length > 1 ? Math.abs(pos[1]! - pos[0]!) : 0;
  const fits = (labels: string[]): boolean => {
    if (!allDistinct(labels)) return false;
    if (step === 0) return true;
    return labels.every((l, i) => {
      const back = log ? Math.log10(Number(l)) : Number(l);
      return Math.abs(back - pos[i]!) <= step / 10;
    });
  };
  const pick = (format: (v: number, d: number) => string, from: number, to: number): string[] => {
    for (let d = from; d <= to; d++) {
      const labels = values.map((v) => format(v, d));
      if (fits(labels)) return labels;
    }
    return values.map((v) => format(v, to));
  };
  if (log) return pick(formatSig, 1, 17);
  const maxAbs = Math.max(...values.map(Math.abs));
  if (maxAbs !== 0 && (maxAbs >= 1e7 || maxAbs < 1e-4)) return pick(formatExp, 1, 17);
  return pick((v, d) => normalizeZero(v.toFixed(d)), 0, 20);
}

/** Default x label: integers as they are, other values with up to 6 significant digits. */
function defaultFormatX(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

// --- layout --------------------------------------------------------------------------------

interface Range {
  lo: number;
  hi: number;
}

/** y range over the finite values of every series; a flat range is widened around its value. */
function yRange(series: readonly ChartSeries[], height: number, log: boolean): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const b of s.buckets)
      if (b.finite > 0) {
        if (b.min < lo) lo = b.min;
        if (b.max > hi) hi = b.max;
      }
  if (lo > hi) lo = hi = 0; // only infinite values: centre the axis on 0
  if (lo < hi) return { lo, hi };
  // Flat: put the value exactly on the middle row, ticks one step apart where the step is a
  // round number a digit below the value's magnitude (0.5 → 0.01 steps, 3 → 0.1 steps).
  const v = lo;
  const step = log ? 0.01 : v === 0 ? 1 : Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 1);
  const below = Math.floor((height - 1) / 2);
  const start = v - step * below;
  return { lo: start, hi: start + step * (height - 1) };
}

const GLYPHS: Record<string, string> = {
  // key: left right up down
  '0000': '•',
  '1000': '╴',
  '0100': '╶',
  '0010': '╵',
  '0001': '╷',
  '1100': '─',
  '0011': '│',
  '1010': '╯',
  '1001': '╮',
  '0110': '╰',
  '0101': '╭',
  '1110': '┴',
  '1101': '┬',
  '1011': '┤',
  '0111': '├',
  '1111': '┼',
};

function glyph(left: boolean, right: boolean, up: boolean, down: boolean): string {
  return GLYPHS[`${+left}${+right}${+up}${+down}`]!;
}

interface Cell {
  ch: string;
  color: number; // series index, -1 = none
}

/** Per-column drawing data for one series, in row units (0 = bottom row). */
interface Column {
  first: number;
  last: number;
  low: number;
  high: number;
  /** +Inf / −Inf present in this column (not for interpolated columns) */
  posInf: boolean;
  negInf: boolean;
}

/** Groups a series' buckets into plot columns. */
function binColumns(buckets: readonly Bucket[], colOf: (x: number) => number, cols: number): (Bucket | undefined)[] {
  const groups: Bucket[][] = Array.from({ length: cols }, () => []);
  for (const b of buckets) groups[colOf((b.xMin + b.xMax) / 2)]!.push(b);
  return groups.map((g) => mergeBuckets(g));
}

/**
 * Draws one series into `grid` and adds its ±Infinity marks to `markers` (drawn after every
 * line, so no line hides them). Returns where its line ends (row 0 = bottom), or undefined if
 * nothing was drawn.
 */
function drawSeries(
  grid: Cell[][],
  axis: Cell[],
  buckets: readonly (Bucket | undefined)[],
  index: number,
  rowF: (v: number) => number,
  height: number,
  markers: { row: number; col: number; cell: Cell }[],
  mark: string | undefined,
): { row: number; col: number } | undefined {
  const cols = buckets.length;
  const clampRow = (r: number) => Math.min(height - 1, Math.max(0, Math.round(r)));
  const columns: (Column | undefined)[] = new Array(cols).fill(undefined);
  const connectedLeft: boolean[] = new Array(cols).fill(false);
  let prev: number | undefined;
  let gapSincePrev = false;
  let end: { row: number; col: number } | undefined;
  for (let c = 0; c < cols; c++) {
    const b = buckets[c];
    if (b === undefined) continue;
    if (b.finite + b.posInf + b.negInf === 0) {
      gapSincePrev = true; // NaN only: the line breaks here
      continue;
    }
    const rows = [rowF(b.first), rowF(b.last)];
    if (b.finite > 0) rows.push(rowF(b.min), rowF(b.max));
    if (b.posInf > 0) rows.push(height - 1);
    if (b.negInf > 0) rows.push(0);
    const rounded = rows.map(clampRow);
    columns[c] = {
      first: rounded[0]!,
      last: rounded[1]!,
      low: Math.min(...rounded),
      high: Math.max(...rounded),
      posInf: b.posInf > 0,
      negInf: b.negInf > 0,
    };
    if (prev !== undefined && !gapSincePrev) {
      // columns without points between two connected ones: interpolate the line across them
      const from = rowF(buckets[prev]!.last);
      const to = rowF(b.first);
      for (let k = prev + 1; k < c; k++) {
        const r = clampRow(from + ((to - from) * (k - prev)) / (c - prev));
        columns[k] = { first: r, last: r, low: r, high: r, posInf: false, negInf: false };
        connectedLeft[k] = true;
      }
      connectedLeft[c] = true;
    }
    prev = c;
    gapSincePrev = false;
    end = { row: columns[c]!.last, col: c };
  }
  for (let c = 0; c < cols; c++) {
    const col = columns[c];
    if (col === undefined) continue;
    const next = c + 1 < cols && connectedLeft[c + 1] ? columns[c + 1] : undefined;
    // a series that starts in the first column joins the axis, as in asciichart
    const left = connectedLeft[c] || c === 0;
    if (c === 0) axis[height - 1 - col.first] = { ch: '┼', color: index };
    const low = next === undefined ? col.low : Math.min(col.low, next.first);
    const high = next === undefined ? col.high : Math.max(col.high, next.first);
    for (let r = low; r <= high; r++) {
      const ch = mark ?? glyph(left && r === col.first, next !== undefined && r === next.first, r < high, r > low);
      grid[height - 1 - r]![c] = { ch, color: index };
    }
    if (col.posInf) markers.push({ row: 0, col: c, cell: { ch: '▲', color: index } });
    if (col.negInf) markers.push({ row: height - 1, col: c, cell: { ch: '▼', color: index } });
  }
  return end;
}

function paint(cells: readonly Cell[], color: boolean): string {
  if (!color) return cells.map((c) => c.ch).join('');
  let out = '';
  let cur = -1;
  for (const c of cells) {
    const want = c.ch === ' ' ? cur : c.color; // spaces keep whatever colour is current
    if (want !== cur) {
      if (cur !== -1) out += RESET_FG;
      if (want !== -1) out += seriesColor(want);
      cur = want;
    }
    out += c.ch;
  }
  if (cur !== -1) out += RESET_FG;
  return out;
}

function legendNotes(s: ChartSeries, log: boolean): string[] {
  const notes: string[] = [];
  const plottable = s.buckets.some((b) => b.finite + b.posInf + b.negInf > 0);
  if (!plottable) notes.push(s.count === 0 ? 'no points' : 'no plottable values');
  if (s.nan > 0) notes.push(`NaN ×${s.nan}`);
  if (s.posInf > 0) notes.push(`+Inf ×${s.posInf} ▲`);
  // on a log axis −Infinity is one of the masked values below
  if (s.negInf > 0 && !log) notes.push(`−Inf ×${s.negInf} ▼`);
  if (s.masked > 0) notes.push(`${s.masked} value${s.masked === 1 ? '' : 's'} ≤ 0 not shown on log scale`);
  return notes;
}

/** A value for the legend: four significant digits, `-` when there is none. */
function legendValue(v: number | undefined): string {
  return v === undefined ? '-' : formatNumberShort(v, 4);
}

/**
 * A line per series: its number (several series), its colour or marker, its label, then
 * the last, lowest and highest value as logged (issue 11 #10), aligned across series, and
 * notes. When a label and its values do not fit in `width`, every series puts its values on
 * a line of their own under its label: labels are never cut.
 */
function legendLines(
  series: readonly ChartSeries[],
  opts: { color: boolean; log: boolean; marks: boolean; width: number; unlabeled?: ReadonlySet<number> },
): string[] {
  const numbered = series.length > 1;
  const nw = String(series.length).length;
  const stats = series.map((s) => (s.last === undefined ? undefined : { last: legendValue(s.last), min: legendValue(s.min), max: legendValue(s.max) }));
  const w = (k: 'last' | 'min' | 'max') => Math.max(0, ...stats.map((x) => (x ? x[k].length : 0)));
  const [lastW, minW, maxW] = [w('last'), w('min'), w('max')];
  const headW = (numbered ? nw + 1 : 0) + (opts.marks ? 1 : 2);
  const labels = series.map((s) => escapeControls(s.label));
  const labelW = Math.max(0, ...labels.map((l) => [...l].length));
  const statsText = (i: number): string => {
    const st = stats[i]!;
    return `last ${st.last.padStart(lastW)}  min ${st.min.padStart(minW)}  max ${st.max.padStart(maxW)}`;
  };
  const statsW = stats.some(Boolean) ? `last ${''.padEnd(lastW)}  min ${''.padEnd(minW)}  max ${''.padEnd(maxW)}`.length : 0;
  const oneLine = headW + 1 + labelW + 2 + statsW <= opts.width;
  return series.flatMap((s, i) => {
    const mark = opts.marks ? seriesMark(i) : opts.color ? `${seriesColor(i)}──${RESET_FG}` : '──';
    const notes = legendNotes(s, opts.log);
    if (opts.unlabeled?.has(i)) notes.push('no room for its end label');
    const head = numbered ? `${String(i + 1).padStart(nw)} ${mark}` : mark;
    const tail = notes.length > 0 ? `  (${notes.join(', ')})` : '';
    if (!stats[i]) return [`${head} ${labels[i]}${tail}`];
    if (oneLine) return [`${head} ${labels[i]!.padEnd(labelW)}  ${statsText(i)}${tail}`];
    return [`${head} ${labels[i]}`, `${' '.repeat(headW + 1)}${statsText(i)}${tail}`];
  });
}

/**
 * Renders one chart with a line per series, y labels on every row, an x axis with the min and
 * max x, and a legend (numbered, with matching numbers at each line's right end, when there is
 * more than one series). Every line fits in `width` columns unless `width` is too small for
 * the labels plus a two-column plot. NaN values leave gaps, ±Infinity is clipped to the top or
 * bottom row and marked ▲/▼, and notes in the legend count them.
 */
export function renderChart(series: readonly ChartSeries[], options: ChartOptions): string {
  const title = options.title ? [escapeControls(options.title)] : [];
  if (series.length === 0) return [...title, 'No data to plot.'].join('\n');
  const height = Math.max(MIN_HEIGHT, Math.floor(options.height));
  const log = options.logY ?? false;
  const plottable = series.some((s) => s.buckets.some((b) => b.finite + b.posInf + b.negInf > 0));
  const marks = !options.color && series.length > 1;
  const legendOpts = { color: options.color, log, marks, width: Math.floor(options.width) };
  if (!plottable) return [...title, 'No plottable values.', ...legendLines(series, legendOpts)].join('\n');

  const { lo, hi } = yRange(series, height, log);
  const ticks = Array.from({ length: height }, (_, i) => lo + ((hi - lo) * i) / (height - 1));
  const labels = formatTicks(log ? ticks.map((t) => Math.pow(10, t)) : ticks, log);
  const labelWidth = Math.max(...labels.map((l) => l.length));

  let xMin = Infinity;
  let xMax = -Infinity;
  for (const s of series)
    for (const b of s.buckets) {
      if (b.xMin < xMin) xMin = b.xMin;
      if (b.xMax > xMax) xMax = b.xMax;
    }

  const n = series.length;
  // columns right of the plot, for the number of a line that ends at its right edge
  const gutter = n > 1 ? 1 + String(n).length : 0;
  const plotWidth = Math.max(MIN_PLOT_WIDTH, Math.floor(options.width) - labelWidth - 2 - gutter);

  const colOf = (x: number) => (xMax > xMin ? Math.round(((x - xMin) / (xMax - xMin)) * (plotWidth - 1)) : 0);
  const rowF = (v: number) => (v === Infinity ? height - 1 : v === -Infinity ? 0 : ((v - lo) / (hi - lo)) * (height - 1));

  const grid: Cell[][] = Array.from({ length: height }, () => Array.from({ length: plotWidth }, () => ({ ch: ' ', color: -1 })));
  const axis: Cell[] = Array.from({ length: height }, () => ({ ch: '┤', color: -1 }));
  const endPoints: { row: number; col: number; index: number }[] = [];
  const markers: { row: number; col: number; cell: Cell }[] = [];
  series.forEach((s, i) => {
    const end = drawSeries(grid, axis, binColumns(s.buckets, colOf, plotWidth), i, rowF, height, markers, marks ? seriesMark(i) : undefined);
    if (end !== undefined) endPoints.push({ row: height - 1 - end.row, col: end.col, index: i });
  });
  for (const m of markers) grid[m.row]![m.col] = m.cell;
  // the gutter joins the plot's rows, so a label can run into it
  for (const row of grid) for (let k = 0; k < gutter; k++) row.push({ ch: ' ', color: -1 });
  const unlabeled = new Set<number>();
  if (n > 1) {
    // number each line right after its last point, on its row, or nudged up to three rows up
    // or down when that place is taken; with no free place near, the legend says so (issue 11
    // #10: labels used to pile up as `1,2,+` at the right edge, away from their lines)
    const free = (r: number, from: number, len: number): boolean => {
      const row = grid[r];
      if (row === undefined || from + len > row.length) return false;
      for (let k = from; k < Math.min(row.length, from + len + 1); k++) if (row[k]!.ch !== ' ') return false;
      return true;
    };
    for (const e of endPoints) {
      const label = String(e.index + 1);
      const from = e.col + 1;
      const r = [0, -1, 1, -2, 2, -3, 3].map((d) => e.row + d).find((row) => free(row, from, label.length));
      if (r === undefined) unlabeled.add(e.index);
      else [...label].forEach((ch, k) => (grid[r]![from + k] = { ch, color: e.index }));
    }
  }

  const lines: string[] = options.title ? [escapeControls(options.title)] : [];
  for (let r = 0; r < height; r++) {
    const label = labels[height - 1 - r]!.padStart(labelWidth);
    const cells = [axis[r]!, ...grid[r]!];
    let used = cells.length;
    while (used > 1 && cells[used - 1]!.ch === ' ') used--;
    lines.push(`${label} ${paint(cells.slice(0, used), options.color)}`);
  }
  lines.push(`${' '.repeat(labelWidth + 1)}└${'─'.repeat(plotWidth)}`);
  lines.push(xAxisLabels(xMin, xMax, plotWidth, labelWidth + 2, options));
  lines.push(...legendLines(series, { ...legendOpts, unlabeled }));
  return lines.join('\n');
}

/** The line under the x axis: min x at the left edge of the plot, max x at its right edge, the axis name between. */
function xAxisLabels(xMin: number, xMax: number, plotWidth: number, indent: number, options: ChartOptions): string {
  const fmt = options.formatX ?? defaultFormatX;
  const left = fmt(xMin);
  const right = xMax > xMin ? fmt(xMax) : '';
  const name = options.xLabel ?? '';
  let inner = left;
  const room = plotWidth - left.length - right.length;
  if (name !== '' && room >= name.length + 2) {
    const before = Math.floor((room - name.length) / 2);
    inner += ' '.repeat(before) + name + ' '.repeat(room - name.length - before) + right;
  } else if (right !== '') {
    inner += ' '.repeat(Math.max(1, room)) + right;
  } else if (name !== '') {
    inner += `  ${name}`;
  }
  return (' '.repeat(indent) + inner).trimEnd();
}
