/**
 * Tables: aligned and width-fitted on a TTY (cli-table3, borderless), tab-separated and
 * untruncated when piped, RFC 4180 CSV on request. Cells arrive as plain text; colour is
 * applied here so widths are measured on plain text.
 */
import { stringifyJson } from '../json.js';
import Table from 'cli-table3';
import type { OutputMode } from './output.js';
import { escapeControls, truncate, wrapText } from './format.js';

export type Tone = 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'bold' | 'magenta';
export type Cell = string | { text: string; tone?: Tone };

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** optional columns are dropped from the right when the terminal is too narrow */
  optional?: boolean;
  /**
   * Makes the column optional with a rank: when the terminal is too narrow, columns of the
   * highest rank go first (the rightmost first within a rank). `optional` alone is rank 0.
   */
  dropRank?: number;
  /** widest a cell may be on a TTY before it is cut with an ellipsis */
  maxWidth?: number;
  /** a cell too wide for the column is wrapped over lines instead of cut (nothing is lost) */
  wrap?: boolean;
  /** when the table is too wide, shrink this column only once the others are as narrow as they go */
  shrinkLast?: boolean;
  /** narrowest the column is shrunk to when the table is too wide (default 6) */
  minWidth?: number;
}

/** The plain text of a cell. */
export const cellText = (c: Cell): string => (typeof c === 'string' ? c : c.text);

function paint(mode: OutputMode, c: Cell, text: string): string {
  if (typeof c === 'string' || !c.tone || !mode.color) return text;
  const k = mode.chalk;
  switch (c.tone) {
    case 'dim':
      return k.dim(text);
    case 'red':
      return k.red(text);
    case 'green':
      return k.green(text);
    case 'yellow':
      return k.yellow(text);
    case 'cyan':
      return k.cyan(text);
    case 'magenta':
      return k.magenta(text);
    case 'bold':
      return k.bold(text);
  }
}

const GAP = 2;
const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: ' '.repeat(GAP),
};

/** Escape a TSV cell: tabs, newlines and backslashes become `\t`, `\n`, `\\`. */
export function escapeTsv(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Tab-separated text: a header line, then one line per row; nothing truncated. */
export function renderTsv(headers: string[], rows: Cell[][]): string {
  const lines = [headers.map(escapeTsv).join('\t')];
  for (const r of rows) lines.push(r.map((c) => escapeTsv(cellText(c))).join('\t'));
  return lines.join('\n') + '\n';
}

/** A Markdown table cell: `\`, `|`, `*`, backticks and `<` escaped, line breaks as `<br>`, control characters written out. */
export function escapeMarkdown(s: string): string {
  const t = s.replace(/[\\|*`<]/g, (c) => (c === '<' ? '&lt;' : '\\' + c)).replace(/\r?\n/g, '<br>');
  return escapeControls(t);
}

/**
 * A GitHub-flavoured Markdown table (for PR comments and CI summaries): a header, the
 * alignment line (`right[i]` right-aligns column i) and one line per row; nothing truncated.
 */
export function renderMarkdown(headers: string[], rows: Cell[][], right: readonly boolean[] = []): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const out = [line(headers.map(escapeMarkdown)), line(headers.map((_, i) => (right[i] ? '---:' : '---')))];
  for (const r of rows) out.push(line(r.map((c) => escapeMarkdown(cellText(c)))));
  return out.join('\n') + '\n';
}

/** RFC 4180 CSV (quotes only where needed), `\n` line ends. */
export function renderCsv(headers: string[], rows: Cell[][]): string {
  const q = (s: string): string => (/[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [headers.map(q).join(',')];
  for (const r of rows) lines.push(r.map((c) => q(cellText(c))).join(','));
  return lines.join('\n') + '\n';
}

/**
 * An aligned table fitted to `mode.width`: cells longer than a column's maxWidth are cut,
 * optional columns that do not fit are left out — the highest dropRank first, the rightmost
 * first within a rank — and their indices returned in `hidden` (`dropped` counts them).
 */
export function renderAligned(cols: Column[], given: Cell[][], mode: OutputMode): { text: string; dropped: number; hidden: number[] } {
  // a terminal table: control characters in values are shown, never sent (issue 11 #33)
  const rows = given.map((r) => r.map((c) => (typeof c === 'string' ? escapeControls(c) : { ...c, text: escapeControls(c.text) })));
  cols = cols.map((c) => ({ ...c, header: escapeControls(c.header) }));
  const widths = cols.map((c, i) => {
    let w = [...c.header].length;
    for (const r of rows) w = Math.max(w, [...cellText(r[i] ?? '')].length);
    return Math.min(w, c.maxWidth ?? Infinity);
  });
  const droppable = (c: Column): boolean => c.optional === true || c.dropRank !== undefined;
  // keep required columns, then optional ones, the most valuable first, while they fit
  const keep: number[] = [];
  let used = 0;
  cols.forEach((c, i) => {
    if (!droppable(c)) {
      keep.push(i);
      used += widths[i]! + (keep.length > 1 ? GAP : 0);
    }
  });
  const byValue = cols.map((_, i) => i).filter((i) => droppable(cols[i]!));
  byValue.sort((a, b) => (cols[a]!.dropRank ?? 0) - (cols[b]!.dropRank ?? 0) || a - b);
  const hidden: number[] = [];
  for (const i of byValue) {
    const need = widths[i]! + (keep.length > 0 ? GAP : 0);
    if (used + need <= mode.width) {
      keep.push(i);
      used += need;
    } else hidden.push(i);
  }
  hidden.sort((a, b) => a - b);
  keep.sort((a, b) => a - b);
  // still too wide: shrink the widest required columns (shrinkLast ones only after the rest)
  let over = used - mode.width;
  for (const last of [false, true]) {
    while (over > 0) {
      let widest = -1;
      for (const i of keep) if ((cols[i]!.shrinkLast === true) === last && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0 || widths[widest]! <= (cols[widest]!.minWidth ?? 6)) break;
      widths[widest]!--;
      over--;
    }
  }
  const table = new Table({
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: keep.map((i) => cols[i]!.align ?? 'left'),
  });
  const head = keep.map((i) => {
    const t = truncate(cols[i]!.header, widths[i]!);
    return mode.color ? mode.chalk.bold(t) : t;
  });
  table.push(head);
  for (const r of rows) {
    table.push(
      keep.map((i) => {
        const c = r[i] ?? '';
        const fit = cols[i]!.wrap ? wrapText(cellText(c), widths[i]!).join('\n') : truncate(cellText(c), widths[i]!);
        return paint(mode, c, fit);
      }),
    );
  }
  const text = table
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
  return { text: text + '\n', dropped: hidden.length, hidden };
}

/** JSON with two-space indent and a final newline. */
export function renderJson(value: unknown): string {
  return stringifyJson(value, 2) + '\n';
}
