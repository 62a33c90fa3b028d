/**
 * `mlr run --dry-run`: what would run, with which params and tags. Values are printed as
 * they would be logged (an MLproject string param keeps its shell quotes).
 */
import type { DryRun, DryRunEntry } from '../commands/run-main.js';
import type { KeyValue } from '../store/types.js';

function block(title: string, kvs: readonly KeyValue[]): string[] {
  if (kvs.length === 0) return [`${title}: (none)`];
  return [`${title}:`, ...kvs.map((kv) => `  ${kv.key}: ${kv.value}`)];
}

function entry(e: DryRunEntry): string[] {
  return [`command: ${e.command}`, `directory: ${e.cwd}`, ...block('params', e.params), ...block('tags', e.tags)];
}

/** The dry run as text: one block per run (a sweep's parent first). */
export function renderDryRun(d: DryRun): string {
  const lines: string[] = [];
  if (!d.parent) {
    lines.push(`experiment: ${d.experiment}`, ...entry(d.runs[0]!));
  } else {
    const n = d.runs.length;
    lines.push(`sweep: ${n} run${n === 1 ? '' : 's'}, ${Math.min(d.parent.jobs, n)} at a time, in experiment ${d.experiment}`);
    lines.push(...block('parent run tags', d.parent.tags));
    d.runs.forEach((r, i) => lines.push('', `run ${i + 1} of ${n}${r.name !== undefined ? ` (${r.name})` : ''}`, ...entry(r)));
  }
  return lines.join('\n') + '\n';
}
