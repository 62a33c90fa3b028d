/**
 * Experiments as text: `experiments ls` (table, TSV/CSV, Markdown, JSON) and
 * `experiments describe`.
 */
import type { ExperimentDescription } from '../commands/experiments.js';
import type { ExperimentEntry } from '../store/backend.js';
import { formatIso, formatRelative } from './format.js';
import type { OutputMode } from './output.js';
import { renderPairs } from './pairs.js';
import { renderAligned, renderCsv, renderJson, renderMarkdown, renderTsv, type Cell, type Column } from './table.js';

export type ListFormat = 'table' | 'json' | 'csv' | 'tsv' | 'md';

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
