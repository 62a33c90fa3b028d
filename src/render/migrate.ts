/**
 * `mlr migrate` output: the summary table (what was created, skipped as the same, left
 * alone as different, replaced, failed), the notes under it, and the progress line.
 */
import { stringifyJson } from '../json.js';
import type { MigrateResult } from '../commands/migrate.js';
import { OUTCOMES } from '../commands/migrate.js';
import type { OutputMode } from './output.js';
import { renderAligned, type Column } from './table.js';

const HEADERS: Record<(typeof OUTCOMES)[number], [string, string]> = {
  created: ['created', 'would create'],
  same: ['same', 'same'],
  differs: ['differs', 'differs'],
  replaced: ['replaced', 'would replace'],
  failed: ['failed', 'failed'],
};

/** The summary table and its notes. */
export function renderMigrateSummary(r: MigrateResult, mode: OutputMode): string {
  const cols: Column[] = [{ header: '' }, ...OUTCOMES.map((o) => ({ header: HEADERS[o][r.dryRun ? 1 : 0], align: 'right' as const }))];
  const row = (label: string, c: MigrateResult['runs']): string[] => [label, ...OUTCOMES.map((o) => String(c[o]))];
  const rows = [row('experiments', r.experiments), row('runs', r.runs)];
  // MLflow 3 logged models: a row when the source has any that were migrated or compared
  if (OUTCOMES.some((o) => r.loggedModels[o] > 0)) rows.push(row('logged models', r.loggedModels));
  rows.push(row('registered models', r.models));
  const table = renderAligned(cols, rows, mode).text;
  const lines = [table.trimEnd()];
  lines.push(`${r.dryRun ? 'would write' : 'wrote'} ${r.metricLines} metric line${r.metricLines === 1 ? '' : 's'}`);
  lines.push(
    r.artifactRoot !== undefined
      ? `artifacts were not copied: artifact locations now point under ${r.artifactRoot}; copy the files there`
      : 'artifacts were not copied: runs keep their artifact URIs (re-root them with --artifact-root)',
  );
  if (r.loggedModelsSkipped > 0) {
    lines.push(
      `${r.loggedModelsSkipped} MLflow 3 logged model${r.loggedModelsSkipped === 1 ? ' was' : 's were'} not migrated: the target's schema has no logged-model tables (MLflow 2.12's: mlflow db upgrade adds them, then migrate again)`,
    );
  }
  if (r.dryRun) lines.push('dry run: nothing was written');
  return lines.join('\n') + '\n';
}

export function migrateJson(r: MigrateResult): string {
  const { seconds: _s, ...rest } = r;
  return stringifyJson(rest) + '\n';
}

/** One progress line: runs done / total, rate, ETA. */
export function progressLine(done: number, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const pct = total ? ` ${Math.floor((100 * done) / Math.max(total, 1))}%` : '';
  const eta = total && rate > 0 ? `, ETA ${formatSeconds((total - done) / rate)}` : '';
  return `migrating: ${done}${total !== undefined ? `/${total}` : ''} runs${pct}, ${Math.round(rate)} runs/s${eta}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.ceil(s - m * 60)).padStart(2, '0')}s`;
}
