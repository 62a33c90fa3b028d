/**
 * The data behind the runs table: which columns to show and each run's values for them.
 * Only the files behind the chosen columns are read.
 */
import type { RunEntry, TrackingReader } from '../store/backend.js';
import { subInt64 } from '../store/int64.js';
import { runInfoField } from '../store/types.js';
import { UsageError } from '../errors.js';
import { parseAggregate, type AggregateSpec, type AggregateValue } from './aggregates.js';

export type CellValue = string | number | bigint | null;

export interface ColumnSpec {
  /** canonical key: an attribute name, or metrics.<k> / params.<k> / tags.<k> */
  key: string;
  kind: 'attr' | 'metric' | 'param' | 'tag' | 'agg';
  /** the metric/param/tag key, or the attribute name; `min(val_loss)` for aggregates */
  name: string;
  /** kind 'agg': the aggregate (`min(metrics.val_loss)`, `spark(metrics.val_loss)`, …) */
  agg?: AggregateSpec;
  /** kept on a narrow terminal like the attributes (the keys a --filter / --order-by names) */
  pinned?: boolean;
}

export interface RunTable {
  columns: ColumnSpec[];
  rows: { run: RunEntry; values: CellValue[] }[];
}

const ATTRIBUTE_COLUMNS = [
  'run_id',
  'run_name',
  'experiment_id',
  'experiment',
  'status',
  'start_time',
  'end_time',
  'duration',
  'user_id',
  'artifact_uri',
  'lifecycle_stage',
] as const;

const PREFIXES: Record<string, ColumnSpec['kind']> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
};
const CANON: Record<ColumnSpec['kind'], string> = { metric: 'metrics', param: 'params', tag: 'tags', attr: '', agg: '' };

/** Parse one `--columns` entry (`params.lr`, `metrics.val_loss`, `run_name`, `attributes.status`). */
export function parseColumn(text: string): ColumnSpec {
  const t = text.trim();
  const agg = parseAggregate(t);
  if (agg) return { key: agg.key, kind: 'agg', name: `${agg.fn}(${agg.metric})`, agg };
  const dot = t.indexOf('.');
  if (dot > 0) {
    const prefix = t.slice(0, dot);
    let name = t.slice(dot + 1);
    if (/^[`"].*[`"]$/.test(name)) name = name.slice(1, -1);
    const kind = PREFIXES[prefix];
    if (kind) return { key: `${CANON[kind]}.${name}`, kind, name };
    if (prefix === 'attributes' || prefix === 'attribute' || prefix === 'attr' || prefix === 'run') return parseColumn(name);
  }
  if ((ATTRIBUTE_COLUMNS as readonly string[]).includes(t)) return { key: t, kind: 'attr', name: t };
  throw new UsageError(
    `unknown column '${text}': use metrics.<key>, params.<key>, tags.<key>, an aggregate such as min(metrics.<key>) or one of ${ATTRIBUTE_COLUMNS.join(', ')}`,
    'unknown-column',
  );
}

function byFrequency(counts: Map<string, number>): string[] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k]) => k);
}

/**
 * Default columns: key attributes, then every metric and param the listed runs have
 * (most common first). `tty` picks the compact attribute set.
 */
export function defaultColumns(store: TrackingReader, runs: RunEntry[], tty: boolean, extraFirst: ColumnSpec[] = []): ColumnSpec[] {
  const attrs = tty
    ? ['run_id', 'run_name', 'experiment', 'status', 'start_time', 'duration']
    : ['run_id', 'run_name', 'experiment_id', 'experiment', 'status', 'start_time', 'end_time'];
  const metricCounts = new Map<string, number>();
  const paramCounts = new Map<string, number>();
  for (const r of runs) {
    for (const k of store.listMetricKeys(r)) metricCounts.set(k, (metricCounts.get(k) ?? 0) + 1);
    for (const k of store.listParamKeys(r)) paramCounts.set(k, (paramCounts.get(k) ?? 0) + 1);
  }
  const cols: ColumnSpec[] = attrs.map((a) => ({ key: a, kind: 'attr', name: a }));
  const seen = new Set(cols.map((c) => c.key));
  const push = (c: ColumnSpec): void => {
    if (!seen.has(c.key)) {
      seen.add(c.key);
      cols.push(c);
    }
  };
  for (const c of extraFirst) push(c);
  for (const k of byFrequency(metricCounts)) push({ key: `metrics.${k}`, kind: 'metric', name: k });
  for (const k of byFrequency(paramCounts)) push({ key: `params.${k}`, kind: 'param', name: k });
  return cols;
}

function attrValue(run: RunEntry, name: string): CellValue {
  const i = run.info;
  if (name === 'experiment') return run.exp.experiment.name;
  if (name === 'duration') return i.start_time !== null && i.end_time !== null ? subInt64(i.end_time, i.start_time) : null;
  return runInfoField(i, name) ?? null;
}

/**
 * Read each run's values for the columns (only those files). Aggregate columns take their
 * values from `aggregates` (run id → column key → value; see computeAggregates), which the
 * caller computes first because histories are streamed asynchronously.
 */
export function buildRunTable(store: TrackingReader, runs: RunEntry[], columns: ColumnSpec[], aggregates?: Map<string, Map<string, AggregateValue>>): RunTable {
  const metricKeys = columns.filter((c) => c.kind === 'metric').map((c) => c.name);
  const paramKeys = columns.filter((c) => c.kind === 'param').map((c) => c.name);
  const tagKeys = columns.filter((c) => c.kind === 'tag').map((c) => c.name);
  const rows = runs.map((run) => {
    const metrics = metricKeys.length ? store.readLatestMetrics(run, metricKeys) : undefined;
    const params = paramKeys.length ? store.readParams(run, paramKeys) : undefined;
    const tags = tagKeys.length ? store.readTags(run, tagKeys) : undefined;
    const values = columns.map((c): CellValue => {
      switch (c.kind) {
        case 'attr':
          return attrValue(run, c.name);
        case 'metric':
          return metrics?.get(c.name)?.value ?? null;
        case 'param':
          return params?.get(c.name) ?? null;
        case 'tag':
          return tags?.get(c.name) ?? null;
        case 'agg':
          return aggregates?.get(run.info.run_id)?.get(c.key) ?? null;
      }
    });
    return { run, values };
  });
  return { columns, rows };
}
