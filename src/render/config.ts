/**
 * `mlr config`: the settings in force, one per line with where it comes from.
 */
import { renderJson } from './table.js';
import type { OutputMode } from './output.js';

export interface ConfigRow {
  key: string;
  value: string;
  /** a flag, an environment variable, a config file, or 'default' */
  source: string;
}

/** Aligned key / value / source on a terminal, tab-separated with a header when piped. */
export function renderConfig(rows: readonly ConfigRow[], _files: readonly string[], mode: OutputMode): string {
  if (!mode.tty) return ['key\tvalue\tsource', ...rows.map((r) => `${r.key}\t${r.value}\t${r.source}`)].join('\n') + '\n';
  const kw = Math.max(...rows.map((r) => r.key.length));
  const vw = Math.max(...rows.map((r) => r.value.length));
  return rows.map((r) => `${r.key.padEnd(kw)}  ${r.value.padEnd(vw)}  ${mode.chalk.dim(r.source)}`.trimEnd()).join('\n') + '\n';
}

/** `{"settings": {key: {value, source}}, "files": […]}`. */
export function renderConfigJson(rows: readonly ConfigRow[], files: readonly string[]): string {
  return renderJson({ settings: Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }])), files });
}
