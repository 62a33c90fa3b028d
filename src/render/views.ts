/**
 * Turning command data into text for each output format. Every function returns a
 * string (or string chunks); printing is the CLI's job.
 */
import type { ExperimentDescription } from '../commands/experiments.js';
import type { CellValue, ColumnSpec, RunTable } from '../commands/run-table.js';
import type { ExperimentEntry } from '../store/backend.js';
import type { Metric, Problem, Run } from '../store/types.js';
import {
  escapeControls,
  formatDuration,
  formatIso,
  formatNumberFull,
  formatNumberShort,
  formatRelative,
  jsonNumber,
  nearbyIntegerFormatter,
  truncate,
} from './format.js';
import type { OutputMode } from './output.js';
import { cellText, renderAligned, renderCsv, renderJson, renderMarkdown, renderTsv, type Cell, type Column } from './table.js';

export { renderJson } from './table.js';

export type ListFormat = 'table' | 'json' | 'csv' | 'tsv' | 'md';

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

// ------------------------------------------------------------------ experiments

/** Experiment in MLflow's REST shape (plus `mlr_problems` when broken). */
function experimentJson(e: ExperimentEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e.experiment };
  if (e.broken) out['mlr_problems'] = e.problems;
  return out;
}

export function renderExperiments(entries: ExperimentEntry[], format: ListFormat, mode: OutputMode): string {
  if (format === 'json') return renderJson(entries.map(experimentJson));
  const headers = ['experiment_id', 'name', 'lifecycle_stage', 'creation_time', 'last_update_time', 'artifact_location'];
  if (format === 'csv' || format === 'tsv' || format === 'md' || !mode.tty) {
    const rows = entries.map((e) => {
      const x = e.experiment;
      return [
        x.experiment_id,
        e.broken ? `!${x.name}` : x.name,
        x.lifecycle_stage,
        formatIso(x.creation_time),
        formatIso(x.last_update_time),
        x.artifact_location,
      ];
    });
    if (format === 'md') return renderMarkdown(headers, rows);
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  const cols: Column[] = [
    { header: 'ID' },
    { header: 'Name', maxWidth: 40 },
    { header: 'Stage' },
    { header: 'Created' },
    { header: 'Artifact location', optional: true, maxWidth: 60 },
  ];
  const rows: Cell[][] = entries.map((e) => {
    const x = e.experiment;
    return [
      x.experiment_id,
      e.broken ? { text: `! ${x.name || '(unreadable)'}`, tone: 'red' } : x.name,
      x.lifecycle_stage === 'deleted' ? { text: 'deleted', tone: 'dim' } : 'active',
      formatRelative(x.creation_time, mode.now),
      { text: x.artifact_location, tone: 'dim' },
    ];
  });
  return renderAligned(cols, rows, mode).text;
}

export function renderExperimentDescription(d: ExperimentDescription, format: 'json' | 'table', mode: OutputMode): string {
  const x = d.entry.experiment;
  if (format === 'json') {
    return renderJson({ ...experimentJson(d.entry), mlr_counts: { runs: d.runs, logged_models: d.loggedModels, traces: d.traces } });
  }
  const pairs: [string, string][] = [
    ['experiment_id', x.experiment_id],
    ['name', x.name],
    ['lifecycle_stage', x.lifecycle_stage],
    ['artifact_location', x.artifact_location],
    ['creation_time', mode.tty ? `${formatIso(x.creation_time)} (${formatRelative(x.creation_time, mode.now)})` : formatIso(x.creation_time)],
    ['last_update_time', formatIso(x.last_update_time)],
    ['runs', `${d.runs.active} active, ${d.runs.deleted} deleted` + (d.runs.broken ? `, ${d.runs.broken} unreadable` : '')],
    ['logged_models', String(d.loggedModels)],
    ['traces', String(d.traces)],
  ];
  for (const t of x.tags) pairs.push([`tags.${t.key}`, t.value]);
  for (const p of d.entry.problems) pairs.push(['problem', p.message]);
  return renderPairs(pairs, mode);
}

/** How many terminal lines a value may take in `runs describe` before it is collapsed. */
const DESCRIBE_VALUE_LINES = 3;

/**
 * key/value lines. On a TTY the keys are padded and dimmed, and with `collapse` a value
 * longer than DESCRIBE_VALUE_LINES terminal lines is cut there, saying what was left out.
 */
function renderPairs(pairs: [string, string][], mode: OutputMode, opts: { collapse?: boolean } = {}): string {
  if (!mode.tty) return renderTsv(['key', 'value'], pairs).split('\n').slice(1).join('\n');
  const w = Math.max(...pairs.map(([k]) => escapeControls(k).length));
  // the value starts after the key and two spaces; the terminal wraps the rest
  const budget = Math.max(40, DESCRIBE_VALUE_LINES * mode.width - (w + 2));
  return (
    pairs
      .map(([k, v]) => {
        // control characters are shown, never sent (issue 11 #33)
        const shown = opts.collapse ? collapseValue(v, budget) : oneLineShown(v);
        const key = escapeControls(k).padEnd(w);
        return `${mode.color ? mode.chalk.dim(key) : key}  ${shown}`;
      })
      .join('\n') + '\n'
  );
}

/** How a character of a value is shown on a terminal line: a newline as ⏎, a control character escaped. */
const shownChar = (c: string): string => (c === '\n' ? '⏎' : escapeControls(c));

/** A value on one terminal line: newlines as ⏎, control characters escaped. */
function oneLineShown(value: string): string {
  return escapeControls(value).replace(/\n/g, '⏎');
}

/**
 * A value on one line (newlines shown as ⏎, control characters escaped), cut to `budget`
 * characters when longer, with a note of how many characters and lines of the value were
 * left out (issue 11 #12: a 13 KB `mlflow.log-model.history` tag filled the screen).
 */
function collapseValue(value: string, budget: number): string {
  const chars = [...value];
  const shown = chars.map(shownChar);
  let length = 0;
  for (const s of shown) length += s.length;
  if (length <= budget) return shown.join('');
  const note = (keep: number): string => {
    const hidden = chars.length - keep;
    const lines = chars.slice(keep).filter((c) => c === '\n').length;
    return `… [${hidden.toLocaleString('en-US')} more characters${lines > 0 ? `, ${lines.toLocaleString('en-US')} more line${lines === 1 ? '' : 's'}` : ''}; --full or --format json shows all]`;
  };
  // as many characters as fit before the note (whose length depends on what it counts)
  const room = budget - note(0).length;
  let keep = 0;
  let used = 0;
  while (keep < shown.length && used + shown[keep]!.length <= room) used += shown[keep++]!.length;
  return shown.slice(0, keep).join('') + note(keep);
}

// ------------------------------------------------------------------ runs

/** A run in MLflow's REST shape for JSON output: non-finite metrics as strings. */
export function runJson(run: Run & { outputs?: unknown }, problems: Problem[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {
    info: run.info,
    data: {
      metrics: run.data.metrics.map((m) => ({ key: m.key, value: jsonNumber(m.value), timestamp: m.timestamp, step: m.step })),
      params: run.data.params,
      tags: run.data.tags,
    },
    inputs: run.inputs,
  };
  if (run.outputs) out['outputs'] = run.outputs;
  if (problems.length > 0) out['mlr_problems'] = problems;
  return out;
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

export function renderRunDescription(
  run: Run & { outputs?: unknown; models?: { artifact_path: string; flavors: string[]; mlflow_version: string | null }[] },
  problems: Problem[],
  mode: OutputMode,
  opts: { full?: boolean } = {},
): string {
  const i = run.info;
  const pairs: [string, string][] = [
    ['run_id', i.run_id],
    ['run_name', i.run_name],
    ['experiment_id', i.experiment_id],
    ['status', i.status],
    ['lifecycle_stage', i.lifecycle_stage],
    ['user_id', i.user_id],
    ['start_time', formatIso(i.start_time)],
    ['end_time', formatIso(i.end_time)],
    ['duration', formatDuration(i.start_time, i.end_time)],
    ['artifact_uri', i.artifact_uri],
  ];
  for (const m of run.data.metrics) {
    pairs.push([`metrics.${m.key}`, `${mode.tty ? formatNumberShort(m.value, 6) : formatNumberFull(m.value)} (step ${m.step})`]);
  }
  for (const p of run.data.params) pairs.push([`params.${p.key}`, p.value]);
  for (const t of run.data.tags) pairs.push([`tags.${t.key}`, t.value]);
  for (const d of run.inputs.dataset_inputs) {
    const ctx = d.tags.find((t) => t.key === 'mlflow.data.context')?.value;
    pairs.push(['dataset', `${d.dataset.name} (digest ${d.dataset.digest}${ctx ? `, ${ctx}` : ''})`]);
  }
  // models the run logged (log-model history tag, MLmodel files, MLflow 3 outputs): their flavors
  for (const m of run.models ?? []) {
    pairs.push([`model ${m.artifact_path || '.'}`, (m.flavors.join(', ') || '-') + (m.mlflow_version ? ` (mlflow ${m.mlflow_version})` : '')]);
  }
  for (const p of problems) pairs.push(['problem', p.message]);
  // on a TTY, multi-line values (notes, JSON tags) are shown on one line (renderPairs)
  return renderPairs(pairs, mode, { collapse: !opts.full });
}

// ------------------------------------------------------------------ metric history

export type HistoryFormat = 'table' | 'json' | 'csv' | 'tsv';

/**
 * Stream a history as text in the chosen format (constant memory): one string per array
 * of lines (the store yields one per 64 KiB read), so the caller writes once per chunk.
 */
export async function* renderHistory(chunks: AsyncIterable<readonly Metric[]>, format: HistoryFormat, mode: OutputMode): AsyncGenerator<string> {
  const time = nearbyIntegerFormatter();
  if (format === 'json') {
    let first = true;
    yield '[';
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      yield historyJson(chunk, first, time);
      first = false;
    }
    yield first ? ']\n' : '\n]\n';
    return;
  }
  const sep = format === 'csv' ? ',' : '\t';
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    yield ['step', 'value', 'timestamp'].join(sep) + '\n';
    for await (const chunk of chunks) yield historyDelimited(chunk, sep, time);
    return;
  }
  const head = `${'step'.padStart(8)}  ${'value'.padStart(14)}  time\n`;
  yield mode.color ? mode.chalk.bold(head) : head;
  for await (const chunk of chunks) yield historyAligned(chunk);
}

/** `step<sep>value<sep>timestamp` lines, full precision. */
function historyDelimited(chunk: readonly Metric[], sep: string, time: (n: number | bigint) => string): string {
  let s = '';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    s += `${m.step}${sep}${formatNumberFull(m.value)}${sep}${time(m.timestamp)}\n`;
  }
  return s;
}

/** JSON array elements, each on its own line after a comma (none before the very first). */
function historyJson(chunk: readonly Metric[], first: boolean, time: (n: number | bigint) => string): string {
  let s = '';
  let key = '';
  let keyJson = '""';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    if (m.key !== key) {
      key = m.key;
      keyJson = JSON.stringify(key);
    }
    // what JSON.stringify({ key, value: jsonNumber(value), timestamp, step }) gives, built by hand
    s += `${first && i === 0 ? '\n' : ',\n'}  {"key":${keyJson},"value":${jsonValue(m.value)},"timestamp":${jsonInteger(m.timestamp, time)},"step":${jsonInteger(m.step, String)}}`;
  }
  return s;
}

/** JSON text of jsonNumber(v): non-finite values as strings, -0 as -0.0 (stringifyJson's spelling). */
function jsonValue(v: number): string {
  return Number.isFinite(v) ? (v === 0 && 1 / v < 0 ? '-0.0' : String(v)) : `"${jsonNumber(v)}"`;
}

/** JSON text of a timestamp or step: its exact digits. */
function jsonInteger(v: number | bigint, text: (n: number | bigint) => string): string {
  return typeof v === 'bigint' || Number.isFinite(v) ? text(v) : 'null';
}

/** The TTY table's rows: right-aligned step and short value, ISO time. */
function historyAligned(chunk: readonly Metric[]): string {
  let s = '';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    s += `${String(m.step).padStart(8)}  ${formatNumberShort(m.value, 8).padStart(14)}  ${formatIso(m.timestamp)}\n`;
  }
  return s;
}
