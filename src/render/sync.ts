/**
 * Rendering `mlr sync`'s summary: one row per run (what was sent), as a table on a
 * terminal, TSV/CSV when piped or asked, JSON with stable snake_case fields.
 */
import type { SyncResult, SyncedRun } from '../commands/sync.js';
import type { OutputMode } from './output.js';
import { renderAligned, renderCsv, renderJson, renderTsv, type Cell, type Column } from './table.js';

export type SyncFormat = 'table' | 'json' | 'csv' | 'tsv';

const HEADERS = ['source_run_id', 'target_run_id', 'experiment', 'run_name', 'action', 'metric_lines', 'params', 'tags', 'artifacts', 'error'];

function machineRow(r: SyncedRun): string[] {
  return [
    r.source_run_id,
    r.target_run_id ?? '',
    r.experiment,
    r.run_name,
    r.action,
    String(r.metric_lines),
    String(r.params),
    String(r.tags),
    String(r.artifacts),
    r.error ?? '',
  ];
}

/** The per-run summary (the target's ids in JSON/TSV/CSV; a terminal shows what was sent). */
export function renderSync(result: SyncResult, format: SyncFormat, mode: OutputMode, dryRun: boolean): string {
  if (format === 'json') return renderJson({ dry_run: dryRun, experiments_created: result.experimentsCreated, runs: result.runs, failed: result.failed });
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const rows = result.runs.map(machineRow);
    return format === 'csv' ? renderCsv(HEADERS, rows) : renderTsv(HEADERS, rows);
  }
  if (result.runs.length === 0) return '';
  const cols: Column[] = [
    { header: 'Run' },
    { header: 'Experiment', maxWidth: 24 },
    { header: 'Name', maxWidth: 24 },
    { header: dryRun ? 'Would be' : 'Action' },
    { header: 'Lines', align: 'right' },
    { header: 'Params', align: 'right' },
    { header: 'Tags', align: 'right' },
    { header: 'Artifacts', align: 'right', optional: true },
  ];
  const errors = result.runs.some((r) => r.error !== null);
  if (errors) cols.push({ header: 'Error', maxWidth: 60, optional: true, wrap: true });
  const dash: Cell = { text: '-', tone: 'dim' };
  const tone = (a: SyncedRun['action']): Cell => ({
    text: a,
    ...(a === 'failed' ? { tone: 'red' as const } : a === 'unchanged' ? { tone: 'dim' as const } : {}),
  });
  const rows: Cell[][] = result.runs.map((r) => [
    r.source_run_id.slice(0, 8),
    r.experiment,
    r.run_name || dash,
    tone(r.action),
    String(r.metric_lines),
    String(r.params),
    String(r.tags),
    String(r.artifacts),
    ...(errors ? [r.error ?? dash] : []),
  ]);
  return renderAligned(cols, rows, mode).text;
}

/** The last line on stderr: counts by action. */
export function syncSummary(result: SyncResult, dryRun: boolean): string {
  const by = (a: SyncedRun['action']): number => result.runs.filter((r) => r.action === a).length;
  const lines = result.runs.reduce((n, r) => n + r.metric_lines, 0);
  const parts = [`${by('created')} created`, `${by('updated')} updated`, `${by('unchanged')} unchanged`];
  if (result.failed) parts.push(`${result.failed} failed`);
  const runs = result.runs.length;
  return `${dryRun ? 'would sync' : 'synced'} ${runs} run${runs === 1 ? '' : 's'} (${parts.join(', ')}), ${lines} metric line${lines === 1 ? '' : 's'}${dryRun ? '; nothing changed (drop --dry-run to sync)' : ''}`;
}
