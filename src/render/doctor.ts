/**
 * Doctor output: an aligned report on a TTY (severity, code, path, then the problem and its
 * fix wrapped to the terminal), tab-separated rows when piped, JSON on request.
 */
import type { Finding } from '../doctor/types.js';
import type { OutputMode } from './output.js';
import { renderJson, renderMarkdown, renderTsv } from './table.js';
import { escapeControls } from './format.js';

export type DoctorFormat = 'table' | 'json' | 'tsv' | 'md';

export interface ReportData {
  store: string;
  experiments: number;
  runs: number;
  findings: Finding[];
}

export interface FixData extends ReportData {
  backup: string | undefined;
  fixed: Finding[];
  actions: number;
  skipped: string[];
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * Greedy word wrap to `width` columns. A word longer than a line (a path, a URI) stays whole
 * on its own line, so it can still be copied.
 */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (!line) line = w;
    else if ([...line].length + 1 + [...w].length <= width) line += ' ' + w;
    else {
      out.push(line);
      line = w;
    }
  }
  out.push(line);
  return out;
}

function severityCell(f: Finding, mode: OutputMode, padTo: number): string {
  const t = f.severity.padEnd(padTo);
  if (!mode.color) return t;
  const k = mode.chalk;
  return f.severity === 'error' ? k.red(t) : f.severity === 'warning' ? k.yellow(t) : k.dim(t);
}

/**
 * The findings for a terminal: a SEVERITY / CODE / PATH line per finding, then the problem,
 * the fix and the command indented under it, wrapped to the terminal width.
 */
function renderFindingsTable(findings: Finding[], mode: OutputMode, what: 'report' | 'fixed' = 'report'): string {
  if (findings.length === 0) return '';
  const k = mode.chalk;
  const sevW = Math.max(8, ...findings.map((f) => f.severity.length));
  const codeW = Math.max(4, ...findings.map((f) => f.code.length));
  const gap = '  ';
  const indent = ' '.repeat(sevW + gap.length);
  const textW = Math.max(30, mode.width - indent.length);
  const head = ['SEVERITY'.padEnd(sevW), 'CODE'.padEnd(codeW), 'PATH'].join(gap);
  const lines = [mode.color ? k.bold(head) : head];
  for (const given of findings) {
    // paths and messages can quote a store's bytes: show control characters, never send them (issue 11 #33)
    const f = {
      ...given,
      path: escapeControls(given.path),
      message: escapeControls(given.message),
      fix: given.fix && escapeControls(given.fix),
      command: given.command && escapeControls(given.command),
    };
    lines.push([severityCell(f, mode, sevW), f.code.padEnd(codeW), f.path].join(gap).replace(/\s+$/, ''));
    if (what === 'fixed') {
      // what was done, not again what was wrong
      for (const l of wrap(`fixed: ${f.fix ?? ''}`, textW)) lines.push(indent + (mode.color ? k.green(l) : l));
      // a repair that chose one of two ways (a run moved by hand kept where it is) names the other
      if (f.command) for (const l of wrap(`run: ${f.command}`, textW)) lines.push(indent + (mode.color ? k.cyan(l) : l));
      continue;
    }
    for (const l of wrap(f.message, textW)) lines.push(indent + l);
    if (f.fix) for (const l of wrap(`fix: ${f.fix}`, textW)) lines.push(indent + (mode.color ? k.green(l) : l));
    if (f.command) for (const l of wrap(`run: ${f.command}`, textW)) lines.push(indent + (mode.color ? k.cyan(l) : l));
  }
  return lines.join('\n') + '\n';
}

/** One line: what was found, and what to do next. */
export function summaryLine(d: ReportData): string {
  const errors = d.findings.filter((f) => f.severity === 'error').length;
  const warnings = d.findings.filter((f) => f.severity === 'warning').length;
  const infos = d.findings.filter((f) => f.severity === 'info').length;
  const where = `${d.store} (${plural(d.experiments, 'experiment')}, ${plural(d.runs, 'run')})`;
  const notes = infos ? `; ${plural(infos, 'note')}` : '';
  if (errors + warnings === 0) return `No problems found in ${where}${notes}.`;
  const fixable = d.findings.filter((f) => f.fix !== undefined && f.severity !== 'info').length;
  const parts = [errors ? plural(errors, 'error') : '', warnings ? plural(warnings, 'warning') : ''].filter(Boolean).join(', ');
  const next =
    fixable === 0
      ? ' None can be repaired automatically: see the commands above.'
      : ` mlr doctor --fix repairs ${fixable === errors + warnings ? (fixable === 1 ? 'it' : `all ${fixable}`) : `${fixable} of them`}, keeping a backup of every file it changes.`;
  return `${parts} in ${where}${notes}.${next}`;
}

const TSV_HEADERS = ['severity', 'code', 'path', 'message', 'fix', 'command'];

function tsvRows(findings: Finding[]): string[][] {
  return findings.map((f) => [f.severity, f.code, f.path, f.message, f.fix ?? '', f.command ?? '']);
}

/** The report of `mlr doctor` (stdout part). */
export function renderReport(d: ReportData, format: DoctorFormat, mode: OutputMode): string {
  if (format === 'json') {
    return renderJson({
      store: d.store,
      experiments: d.experiments,
      runs: d.runs,
      problems: d.findings.filter((f) => f.severity !== 'info').length,
      findings: d.findings,
    });
  }
  if (format === 'md') {
    const summary = summaryLine(d);
    return d.findings.length ? `${renderMarkdown(TSV_HEADERS, tsvRows(d.findings))}\n${summary}\n` : `${summary}\n`;
  }
  if (format === 'tsv' || !mode.tty) return renderTsv(TSV_HEADERS, tsvRows(d.findings));
  const table = renderFindingsTable(d.findings, mode);
  return (table ? table + '\n' : '') + wrap(summaryLine(d), mode.width).join('\n') + '\n';
}

/** The report of `mlr doctor --fix` (stdout part). */
export function renderFix(d: FixData, format: DoctorFormat, mode: OutputMode): string {
  if (format === 'json') {
    return renderJson({
      store: d.store,
      backup: d.backup ?? null,
      undo: d.backup ? `mlr doctor --undo ${d.backup}` : null,
      actions: d.actions,
      fixed: d.fixed,
      skipped: d.skipped,
      remaining: d.findings,
      problems: d.findings.filter((f) => f.severity !== 'info').length,
    });
  }
  if (format === 'tsv' || format === 'md' || !mode.tty) {
    const rows = [...d.fixed.map((f) => ['fixed', ...tsvRows([f])[0]!]), ...d.findings.map((f) => ['remaining', ...tsvRows([f])[0]!])];
    return (format === 'md' ? renderMarkdown : renderTsv)(['state', ...TSV_HEADERS], rows);
  }
  const out: string[] = [];
  if (d.fixed.length === 0) out.push(`Nothing to repair in ${d.store}.`);
  else {
    out.push(`Repaired ${plural(d.fixed.length, 'problem')} in ${d.store} (${plural(d.actions, 'file change')}).`);
    out.push(renderFindingsTable(d.fixed, mode, 'fixed'));
  }
  if (d.skipped.length) out.push(`Skipped (the store changed meanwhile; run mlr doctor again):\n${d.skipped.map((s) => `  ${s}`).join('\n')}\n`);
  const left = d.findings.filter((f) => f.severity !== 'info');
  if (left.length) out.push(`Still needs you (${left.length}):\n${renderFindingsTable(left, mode)}`);
  else out.push(`The store is clean now.${d.findings.length ? ` (${plural(d.findings.length, 'note')} left: run mlr doctor to see them.)` : ''}`);
  if (d.backup) out.push(`Backup of everything changed: ${d.backup}\nUndo with: mlr doctor --undo ${d.backup}`);
  return out.join('\n') + '\n';
}
