/**
 * Text for `mlr runs diff`: an aligned side-by-side table on a TTY (changed rows highlighted),
 * tab-separated full-precision values when piped, or JSON.
 */
import type { DiffRow, DiffValue, RunDiff } from '../commands/diff.js';
import { formatDuration, formatIso, formatNumberFull, formatNumberShort, jsonNumber } from './format.js';
import type { OutputMode } from './output.js';
import { renderAligned, renderJson, renderMarkdown, renderTsv, type Cell, type Column } from './table.js';

export type DiffFormat = 'table' | 'json' | 'tsv' | 'md';

const TIMES = new Set(['start_time', 'end_time']);

function machineValue(row: DiffRow, v: DiffValue): string {
  if (v === null) return '';
  if (typeof v !== 'string') return TIMES.has(row.key) ? formatIso(v) : formatNumberFull(v);
  return v;
}

function ttyValue(row: DiffRow, v: DiffValue, precision: number, idWidth: number): string | null {
  if (v === null) return null;
  if (row.key === 'run_id') return String(v).slice(0, idWidth);
  if (typeof v !== 'string') {
    if (TIMES.has(row.key)) return formatIso(v);
    if (row.key === 'duration') return formatDuration(0, v);
    return formatNumberShort(v, precision);
  }
  return v.replace(/\n/g, '⏎');
}

/** "+0.012 (+8.1%)": the change from the first run to the second, with the relative change. */
export function formatDelta(delta: number, from: number, precision: number): string {
  if (Number.isNaN(delta)) return 'NaN';
  if (delta === 0) return '0';
  let s = `${delta > 0 ? '+' : ''}${formatNumberShort(delta, precision)}`;
  if (Number.isFinite(delta) && Number.isFinite(from) && from !== 0) {
    const pct = (delta / Math.abs(from)) * 100;
    s += ` (${pct > 0 ? '+' : ''}${formatNumberShort(pct, 3)}%)`;
  }
  return s;
}

function shortIdWidth(ids: string[]): number {
  for (let w = 8; w < 32; w++) if (new Set(ids.map((i) => i.slice(0, w))).size === new Set(ids).size) return w;
  return 32;
}

export interface DiffRenderOptions {
  /** significant digits on a TTY (default 5) */
  precision?: number;
}

/** Renders a run diff in the chosen format. `table` on a non-TTY gives tab-separated values. */
export function renderDiff(d: RunDiff, format: DiffFormat, mode: OutputMode, opts: DiffRenderOptions = {}): string {
  const two = d.runs.length === 2;
  if (format === 'json') {
    return renderJson({
      runs: d.runs.map((r) => ({ run_id: r.info.run_id, run_name: r.info.run_name, experiment_id: r.info.experiment_id })),
      rows: d.rows.map((row) => {
        const out: Record<string, unknown> = {
          key: row.key,
          values: row.values.map((v) => (typeof v === 'number' ? jsonNumber(v) : v)),
          changed: row.changed,
        };
        if (row.delta !== undefined) out['delta'] = row.delta === null ? null : jsonNumber(row.delta);
        return out;
      }),
    });
  }
  if (format === 'md') {
    // for a PR comment: run names as headers (ids where names clash), values as a terminal shows them, a * after changed keys
    const precision = opts.precision ?? 5;
    const idWidth = shortIdWidth(d.runs.map((r) => r.info.run_id));
    const names = d.runs.map((r) => r.info.run_name);
    const headers = [
      'key',
      ...d.runs.map((r, i) => (names[i] && names.indexOf(names[i]) === names.lastIndexOf(names[i]) ? names[i] : r.info.run_id.slice(0, idWidth))),
      ...(two ? ['Δ'] : []),
    ];
    const rows = d.rows
      .map((row) => {
        const texts = row.values.map((v) => ttyValue(row, v, precision, idWidth));
        return { row, texts, changed: !row.identity && texts.some((t) => t !== texts[0]) };
      })
      .filter((x) => !d.onlyChanged || x.changed || x.row.key === 'run_id')
      .map((x) => [
        x.changed ? `${x.row.key} *` : x.row.key,
        ...x.texts.map((t) => t ?? '-'),
        ...(two ? [x.row.delta === undefined || x.row.delta === null ? '' : formatDelta(x.row.delta, x.row.values[0] as number, precision)] : []),
      ]);
    return renderMarkdown(headers, rows, [false, ...d.runs.map(() => false), ...(two ? [true] : [])]) + '\n`*` marks the rows that differ.\n';
  }
  if (format === 'tsv' || !mode.tty) {
    const headers = ['key', ...d.runs.map((r) => r.info.run_id), ...(two ? ['delta'] : [])];
    const rows = d.rows.map((row) => [
      row.key,
      ...row.values.map((v) => machineValue(row, v)),
      ...(two ? [row.delta === undefined || row.delta === null ? '' : formatNumberFull(row.delta)] : []),
    ]);
    return renderTsv(headers, rows);
  }
  const precision = opts.precision ?? 5;
  const idWidth = shortIdWidth(d.runs.map((r) => r.info.run_id));
  const marker = !mode.color; // without colour, a * marks the rows that differ
  // a row is a change when its values differ as shown (issue 11 #11: `50.0s | 50.0s`, whose
  // milliseconds differ, is not one); rows that only tell the runs apart never are
  const shown = d.rows.map((row) => {
    const texts = row.values.map((v) => ttyValue(row, v, precision, idWidth));
    return { row, texts, changed: !row.identity && texts.some((t) => t !== texts[0]) };
  });
  const listed = d.onlyChanged ? shown.filter((x) => x.changed || x.row.key === 'run_id') : shown;
  const names = d.runs.map((r) => r.info.run_name);
  const cols: Column[] = [
    ...(marker ? [{ header: '' }] : []),
    // keys are wrapped, never cut: two cut keys can look the same (`metrics.va…` twice)
    { header: 'key', maxWidth: 40, wrap: true, shrinkLast: true, minWidth: 12 },
    ...d.runs.map((r, i): Column => ({
      // a run's name, unless another run has the same one (or it has none): then its id
      header: names[i] && names.indexOf(names[i]) === names.lastIndexOf(names[i]) ? names[i] : r.info.run_id.slice(0, idWidth),
      maxWidth: 32,
    })),
    ...(two ? [{ header: 'change', align: 'right' as const }] : []),
  ];
  const rows: Cell[][] = listed.map(({ row, texts, changed }) => {
    const tone = row.identity ? undefined : changed ? 'yellow' : 'dim';
    const values: Cell[] = texts.map((text) => (text === null ? { text: '-', tone: 'dim' } : tone ? { text, tone } : text));
    let change: Cell[] = [];
    if (two) {
      const [a] = row.values;
      change = [row.delta === undefined || row.delta === null ? '' : formatDelta(row.delta, a as number, precision)];
    }
    return [...(marker ? [changed ? '*' : ''] : []), row.key, ...values, ...change];
  });
  return renderAligned(cols, rows, mode).text;
}
