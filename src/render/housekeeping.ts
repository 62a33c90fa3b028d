/**
 * Rendering the trash, gc plans and results, and run moves.
 */
import type { GcPlan, GcResult, TrashItem } from '../store/file/housekeeping.js';
import type { MovePlan } from '../store/file/move.js';
import { formatBytes } from './artifacts.js';
import { formatIso, formatRelative } from './format.js';
import type { OutputMode } from './output.js';
import { renderAligned, renderCsv, renderJson, renderTsv, type Cell, type Column } from './table.js';

export type TrashFormat = 'table' | 'json' | 'csv' | 'tsv';

/** A trash item as JSON (stable snake_case fields). */
function trashItemJson(t: TrashItem): Record<string, unknown> {
  return {
    kind: t.kind,
    id: t.id,
    name: t.name,
    experiment_id: t.experiment_id,
    experiment_name: t.experiment_name,
    deleted_time: t.deleted_time,
    size_bytes: t.size,
    ...(t.runs !== undefined ? { runs: t.runs } : {}),
    dir: t.dir,
    external_artifacts: t.external.map((x) => ({ uri: x.uri, path: x.path ?? null, bytes: x.bytes, note: x.note ?? null })),
    notes: t.notes,
  };
}

const HEADERS = ['kind', 'id', 'name', 'experiment_id', 'experiment_name', 'deleted_time', 'size_bytes', 'runs', 'dir'];

function machineRow(t: TrashItem): string[] {
  return [
    t.kind,
    t.id,
    t.name,
    t.experiment_id,
    t.experiment_name,
    formatIso(t.deleted_time),
    String(t.size),
    t.runs === undefined ? '' : String(t.runs),
    t.dir,
  ];
}

/** Trash items as a table (TTY) or TSV/CSV/JSON. `extra` adds a last column (gc: why kept). */
export function renderTrash(items: TrashItem[], format: TrashFormat, mode: OutputMode, extra?: { header: string; values: string[] }): string {
  if (format === 'json') return renderJson(items.map(trashItemJson));
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const headers = extra ? [...HEADERS, extra.header] : HEADERS;
    const rows = items.map((t, i) => (extra ? [...machineRow(t), extra.values[i] ?? ''] : machineRow(t)));
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  if (items.length === 0) return '';
  const cols: Column[] = [
    { header: 'Kind' },
    { header: 'ID' },
    { header: 'Name', maxWidth: 28 },
    { header: 'Experiment', maxWidth: 24 },
    { header: 'Deleted' },
    { header: 'Size', align: 'right' },
    { header: extra?.header ?? 'Notes', maxWidth: 50, optional: true },
  ];
  const dash: Cell = { text: '-', tone: 'dim' };
  const rows: Cell[][] = items.map((t, i) => [
    t.kind,
    t.kind === 'run' ? t.id.slice(0, 8) : t.id,
    t.name || dash,
    t.kind === 'run' ? t.experiment_name : { text: `${t.runs ?? 0} run${t.runs === 1 ? '' : 's'}`, tone: 'dim' },
    t.deleted_time === null ? { text: 'unknown', tone: 'dim' } : formatRelative(t.deleted_time, mode.now),
    formatBytes(t.size),
    (extra ? extra.values[i] : t.notes.join('; ')) || dash,
  ]);
  return renderAligned(cols, rows, mode).text;
}

/** A gc plan (dry run) or result as JSON. */
export function gcJson(plan: GcPlan, result?: GcResult): string {
  return renderJson({
    dry_run: result === undefined,
    items: plan.items.map(trashItemJson),
    kept: plan.kept.map((k) => ({ ...trashItemJson(k.item), reason: k.reason })),
    registry: plan.registry,
    ...(result ? { deleted: result.deleted.map((d) => d.dir), failed: result.failed.map((f) => ({ dir: f.item.dir, error: f.error })) } : {}),
  });
}

/** The summary sentence of a gc plan. */
export function gcSummary(items: TrashItem[]): string {
  const runs = items.filter((i) => i.kind === 'run').length;
  const exps = items.length - runs;
  const bytes = items.reduce((a, i) => a + i.size, 0);
  const parts: string[] = [];
  if (exps) parts.push(`${exps} experiment${exps === 1 ? '' : 's'}`);
  if (runs) parts.push(`${runs} run${runs === 1 ? '' : 's'}`);
  return `${parts.join(' and ') || 'nothing'} (${formatBytes(bytes)})`;
}

/** MLflow gc's own lines for what was deleted. */
export function gcDeletedLines(result: GcResult): string {
  return result.deleted
    .map((d) => (d.kind === 'run' ? `Run with ID ${d.id} has been permanently deleted.\n` : `Experiment with ID ${d.id} has been permanently deleted.\n`))
    .join('');
}

/** One line per planned or done move: run id, from, to (TSV when piped). */
export function renderMoves(plans: MovePlan[], format: 'table' | 'json', mode: OutputMode): string {
  if (format === 'json') {
    return renderJson(
      plans.map((p) => ({
        run_id: p.run.info.run_id,
        run_name: p.run.info.run_name,
        from_experiment_id: p.from.experiment.experiment_id,
        to_experiment_id: p.to.experiment.experiment_id,
        dir: p.dest,
        old_artifact_uri: p.oldArtifactUri,
        artifact_uri: p.newArtifactUri,
        datasets_copied: p.datasets,
        warnings: p.warnings,
      })),
    );
  }
  if (!mode.tty)
    return renderTsv(
      ['run_id', 'from_experiment_id', 'to_experiment_id', 'artifact_uri'],
      plans.map((p) => [p.run.info.run_id, p.from.experiment.experiment_id, p.to.experiment.experiment_id, p.newArtifactUri]),
    );
  if (plans.length === 0) return '';
  const cols: Column[] = [{ header: 'Run' }, { header: 'Name', maxWidth: 28 }, { header: 'From', maxWidth: 44 }, { header: 'To', maxWidth: 44 }];
  const rows: Cell[][] = plans.map((p) => [
    p.run.info.run_id.slice(0, 8),
    p.run.info.run_name,
    `${p.from.experiment.name} (${p.from.experiment.experiment_id})`,
    `${p.to.experiment.name} (${p.to.experiment.experiment_id})`,
  ]);
  return renderAligned(cols, rows, mode).text;
}
