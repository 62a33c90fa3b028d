/**
 * `mlr runs diff`: key attributes, params, latest metrics and tags of two or more runs side
 * by side, with the change between two runs' metrics. Returns data; src/render/diff.ts prints.
 */
import { UsageError } from '../errors.js';
import type { RunEntry, TrackingReader } from '../store/backend.js';
import { subInt64 } from '../store/int64.js';
import { runInfoField } from '../store/types.js';

type DiffSection = 'attributes' | 'params' | 'metrics' | 'tags';
export type DiffValue = string | number | bigint | null;

export interface DiffRow {
  section: DiffSection;
  /** `run_name`, `params.lr`, `metrics.val_loss`, `tags.team`, … */
  key: string;
  /** one per run, in the order the runs were given; null = the run has no such key */
  values: DiffValue[];
  /** false when every run has the same value (NaN equals NaN, missing equals missing) */
  changed: boolean;
  /**
   * true for the rows that tell runs apart rather than compare them (`run_id`, `run_name`,
   * `start_time`, `end_time`): never shown as a change, and `onlyChanged` keeps only `run_id`
   */
  identity?: boolean;
  /** metrics of exactly two runs: second − first (null when either is missing) */
  delta?: number | null;
}

export interface RunDiff {
  runs: RunEntry[];
  rows: DiffRow[];
  /** the rows were cut to those that changed */
  onlyChanged?: boolean;
}

/** Attribute rows, in this order; times are epoch milliseconds. */
const ATTRIBUTES = ['run_id', 'run_name', 'experiment', 'status', 'user_id', 'start_time', 'end_time', 'duration', 'lifecycle_stage'] as const;

/** Attribute rows that identify a run: they differ between any two runs, which says nothing. */
const IDENTITY = new Set<string>(['run_id', 'run_name', 'start_time', 'end_time']);

/** Tags left out: the run name is already an attribute row. */
const SKIP_TAGS = new Set(['mlflow.runName']);

function attribute(run: RunEntry, name: (typeof ATTRIBUTES)[number]): DiffValue {
  const i = run.info;
  if (name === 'experiment') return `${run.exp.experiment.name} (${i.experiment_id})`;
  if (name === 'duration') return i.start_time !== null && i.end_time !== null ? subInt64(i.end_time, i.start_time) : null;
  return runInfoField(i, name) ?? null;
}

function same(a: DiffValue, b: DiffValue): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

function sortedKeys(maps: readonly Map<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const m of maps) for (const k of m.keys()) keys.add(k);
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Compares runs given by id or unique prefix (at least two). Reads each run's params, tags
 * and latest metrics once. `onlyChanged` keeps only rows whose values differ, and the
 * `run_id` row to say which run is which (issue 11 #11: run names and times always differ,
 * which is no change). A renderer that rounds may hide more (see render/diff.ts).
 */
export async function diffRuns(store: TrackingReader, ids: readonly string[], options: { onlyChanged?: boolean } = {}): Promise<RunDiff> {
  if (ids.length < 2) throw new UsageError('runs diff needs at least two runs', 'diff-needs-two');
  const runs: RunEntry[] = [];
  for (const id of ids) runs.push(await store.findRun(id));
  const params = runs.map((r) => store.readParams(r));
  const tags = runs.map((r) => {
    const t = store.readTags(r);
    for (const k of SKIP_TAGS) t.delete(k);
    return t;
  });
  const metrics = runs.map((r) => store.readLatestMetrics(r));
  const rows: DiffRow[] = [];
  const push = (section: DiffSection, key: string, values: DiffValue[]): void => {
    const row: DiffRow = { section, key, values, changed: !values.every((v) => same(v, values[0]!)) };
    if (section === 'attributes' && IDENTITY.has(key)) row.identity = true;
    if (section === 'metrics' && runs.length === 2) {
      const [a, b] = values;
      row.delta = typeof a === 'number' && typeof b === 'number' ? b - a : null;
    }
    rows.push(row);
  };
  for (const a of ATTRIBUTES)
    push(
      'attributes',
      a,
      runs.map((r) => attribute(r, a)),
    );
  for (const k of sortedKeys(params))
    push(
      'params',
      `params.${k}`,
      params.map((p) => p.get(k) ?? null),
    );
  for (const k of sortedKeys(metrics))
    push(
      'metrics',
      `metrics.${k}`,
      metrics.map((m) => m.get(k)?.value ?? null),
    );
  for (const k of sortedKeys(tags))
    push(
      'tags',
      `tags.${k}`,
      tags.map((t) => t.get(k) ?? null),
    );
  return {
    runs,
    onlyChanged: options.onlyChanged === true,
    rows: options.onlyChanged ? rows.filter((r) => r.key === 'run_id' || (r.changed && !r.identity)) : rows,
  };
}
