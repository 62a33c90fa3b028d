/**
 * The run table of `runs ls` / `runs best`: machine formats (TSV, CSV, Markdown) with full
 * values, and on a terminal short values, coloured statuses and the columns a narrow
 * terminal gives up first, named in a footer.
 */
import type { CellValue, ColumnSpec, RunTable } from '../commands/run-table.js';
import { escapeControls, formatDuration, formatIso, formatNumberFull, formatNumberShort, formatRelative, truncate } from './format.js';
import type { OutputMode } from './output.js';
import { cellText, renderAligned, renderCsv, renderMarkdown, renderTsv, type Cell, type Column } from './table.js';

const TIME_ATTRS = new Set(['start_time', 'end_time', 'creation_time', 'last_update_time']);

function statusTone(s: string): Cell {
  switch (s) {
    case 'FINISHED':
      return { text: s, tone: 'green' };
    case 'FAILED':
      return { text: s, tone: 'red' };
    case 'KILLED':
      return { text: s, tone: 'magenta' };
    case 'RUNNING':
      return { text: s, tone: 'cyan' };
    default:
      return s;
  }
}

/** Header text on a TTY: the key without its prefix unless another column has the same key. */
function ttyHeader(c: ColumnSpec, all: ColumnSpec[]): string {
  if (c.kind === 'attr') {
    const names: Record<string, string> = {
      run_id: 'ID',
      run_name: 'Name',
      experiment: 'Experiment',
      experiment_id: 'Experiment ID',
      status: 'Status',
      start_time: 'Started',
      end_time: 'Ended',
      duration: 'Duration',
      user_id: 'User',
      artifact_uri: 'Artifact URI',
      lifecycle_stage: 'Stage',
    };
    return names[c.name] ?? c.name;
  }
  const clash = all.some((o) => o !== c && o.kind !== 'attr' && o.name === c.name);
  return clash ? c.key : c.name;
}

function machineCell(c: ColumnSpec, v: CellValue): string {
  if (v === null) return '';
  if (typeof v !== 'string') {
    if (c.kind === 'attr' && TIME_ATTRS.has(c.name)) return formatIso(v);
    return formatNumberFull(v);
  }
  return v;
}

function ttyCell(c: ColumnSpec, v: CellValue, mode: OutputMode, idWidth: number, precision: number): Cell {
  if (v === null) return { text: '-', tone: 'dim' };
  if (c.kind === 'attr') {
    switch (c.name) {
      case 'run_id':
        return String(v).slice(0, idWidth);
      case 'status':
        return statusTone(String(v));
      case 'start_time':
      case 'end_time':
        return formatRelative(v as number | bigint, mode.now);
      case 'duration':
        return formatDuration(0, v as number | bigint);
      default:
        return String(v);
    }
  }
  if (typeof v !== 'string') return formatNumberShort(v, precision);
  return v;
}

/** Shortest prefix length (≥ 8) that keeps the listed ids distinct. */
function shortIdWidth(ids: string[]): number {
  for (let w = 8; w < 32; w++) {
    if (new Set(ids.map((i) => i.slice(0, w))).size === ids.length) return w;
  }
  return 32;
}

export interface RunTableOptions {
  precision?: number;
}

export function renderRunTable(t: RunTable, format: 'table' | 'csv' | 'tsv' | 'md', mode: OutputMode, opts: RunTableOptions = {}): string {
  const headers = t.columns.map((c) => c.key);
  if (format === 'csv' || format === 'tsv' || format === 'md' || !mode.tty) {
    const rows = t.rows.map((r) =>
      t.columns.map((c, i) => {
        const text = machineCell(c, r.values[i] ?? null);
        if (c.key === 'status' && r.run.broken) return r.run.metaUnreadable ? '!' : `!${text}`;
        return text;
      }),
    );
    // Markdown keeps full precision (a PR comment is a record) and right-aligns numbers
    if (format === 'md')
      return renderMarkdown(
        headers,
        rows,
        t.columns.map((c) => c.kind === 'metric' || (c.kind === 'agg' && c.agg?.fn !== 'spark') || c.name === 'duration'),
      );
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  const idWidth = shortIdWidth(t.rows.map((r) => r.run.info.run_id));
  const rows: Cell[][] = t.rows.map((r) =>
    t.columns.map((c, i) => {
      const cell = ttyCell(c, r.values[i] ?? null, mode, idWidth, opts.precision ?? 5);
      if (c.key === 'status' && r.run.broken) {
        return { text: r.run.metaUnreadable ? '!' : `! ${typeof cell === 'string' ? cell : cell.text}`, tone: 'red' };
      }
      return cell;
    }),
  );
  const constant = t.columns.map((_, i) => rows.length > 1 && rows.every((r) => cellText(r[i]!) === cellText(rows[0]![i]!)));
  const cols: Column[] = t.columns.map((c, i) => ({
    header: ttyHeader(c, t.columns),
    align: c.kind === 'metric' || (c.kind === 'agg' && c.agg?.fn !== 'spark') || c.name === 'duration' ? 'right' : 'left',
    dropRank: dropRank(c, constant[i]!),
    maxWidth: c.kind === 'attr' ? (c.name === 'run_name' || c.name === 'experiment' ? 28 : 40) : 24,
  }));
  const { text, hidden } = renderAligned(cols, rows, mode);
  return text + hiddenFooter(cols, rows, hidden, constant, mode);
}

/**
 * Which columns a narrow terminal gives up first (issue 11 #8): a higher rank goes first.
 * Columns equal on every row, then tags, then params, then attributes other than ID, name
 * and status, then metrics; the keys the query names (pinned) last, its metrics the very
 * last. ID, name, a status that varies, and aggregates (only there because they were asked
 * for) always stay: undefined.
 */
function dropRank(c: ColumnSpec, constant: boolean): number | undefined {
  if (c.kind === 'agg' || (c.kind === 'attr' && (c.name === 'run_id' || c.name === 'run_name'))) return undefined;
  if (c.pinned) return c.kind === 'metric' ? 0 : constant ? 6 : 1;
  if (constant) return 6;
  switch (c.kind) {
    case 'tag':
      return 5;
    case 'param':
      return 4;
    case 'attr':
      return c.name === 'status' ? undefined : 3;
    default:
      return 2;
  }
}

/** `text` wrapped at spaces to lines of at most `width` (a longer word stays whole), each ending in a newline; later lines indented by two. */
function wrapWords(text: string, width: number): string {
  let out = '';
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out += line + '\n';
      line = ' ' + word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return out + line + '\n';
}

/**
 * The footer under a table that left columns out: the values of those that are the same on
 * every row, and what kinds of columns the others were.
 */
function hiddenFooter(cols: Column[], rows: Cell[][], hidden: number[], constant: boolean[], mode: OutputMode): string {
  if (hidden.length === 0) return '';
  const dim = mode.color ? mode.chalk.dim : (s: string) => s;
  let out = '';
  const same = hidden.filter((i) => constant[i]);
  if (same.length > 0) {
    const items = same.map((i) => escapeControls(`${cols[i]!.header} ${truncate(cellText(rows[0]![i]!), 24)}`));
    out += dim(wrapWords(`(same on every row: ${items.join(', ')})`, mode.width));
  }
  const rest = hidden.filter((i) => !constant[i]);
  if (rest.length > 0) {
    const kinds: string[] = [];
    const count = (rank: number, one: string, many: string): void => {
      const of = rest.filter((i) => cols[i]!.dropRank === rank);
      if (of.length > 0) kinds.push(of.length === 1 ? `${one} ${cols[of[0]!]!.header}` : `${of.length} ${many}`);
    };
    count(2, 'metric', 'metrics');
    count(4, 'param', 'params');
    count(5, 'tag', 'tags');
    // attributes and the query's own keys by name: there are few of them
    for (const i of rest) if (cols[i]!.dropRank !== 2 && cols[i]!.dropRank !== 4 && cols[i]!.dropRank !== 5) kinds.push(cols[i]!.header);
    out += dim(
      wrapWords(
        escapeControls(`(${rest.length} more column${rest.length === 1 ? '' : 's'}: ${kinds.join(', ')}; widen the terminal or use --columns / --format tsv)`),
        mode.width,
      ),
    );
  }
  return out;
}
