/**
 * Plain entity types shaped like MLflow's own entities. Field names are MLflow's REST
 * names (snake_case) so `--format json` can print them as they are.
 */

import type { Int64 } from './int64.js';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** meta.yaml stores status as an int 1..5; index+1 of RUN_STATUSES. */
export function statusFromInt(n: number): RunStatus | undefined {
  return Number.isInteger(n) ? RUN_STATUSES[n - 1] : undefined;
}
/** The int MLflow writes for a status name. */
export function statusToInt(s: RunStatus): number {
  return RUN_STATUSES.indexOf(s) + 1;
}

/** MLflow 3's LoggedModelStatus names, by the integer both stores keep (the proto enum). */
export const LOGGED_MODEL_STATUSES = ['UNSPECIFIED', 'PENDING', 'READY', 'FAILED'] as const;
/** The integer MLflow stores for a logged model status name (a number given as text stays that number). */
export function loggedModelStatusToInt(s: string): number {
  const i = (LOGGED_MODEL_STATUSES as readonly string[]).indexOf(s);
  return i >= 0 ? i : /^\d+$/.test(s) ? Number(s) : 0;
}

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'active' | 'deleted' | 'all';

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  /** absent in 1.x files */
  creation_time: Int64 | null;
  /** absent in 1.x files */
  last_update_time: Int64 | null;
  /** from `<exp>/tags/`, never from the stale `tags:` copy in meta.yaml */
  tags: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: Int64 | null;
  end_time: Int64 | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Metric {
  key: string;
  /** may be NaN, ±Infinity or -0 */
  value: number;
  /** int64 milliseconds: exact beyond 2^53 */
  timestamp: Int64;
  /** int64: exact beyond 2^53 */
  step: Int64;
}

interface DatasetSummary {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string | null;
  profile?: string | null;
}

export interface DatasetInput {
  tags: KeyValue[];
  dataset: DatasetSummary;
}

interface RunData {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** MLflow's REST `Run` shape. */
export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: { dataset_inputs: DatasetInput[] };
}

/**
 * What the search evaluator sees of one run: its info plus whichever metrics (latest
 * values), params, tags and dataset inputs were loaded for the query. A key absent from a
 * map means the run does not have it (the loader loads every key the query names).
 */
export interface SearchableRun {
  info: RunInfo;
  metrics: Map<string, number>;
  params: Map<string, string>;
  tags: Map<string, string>;
  datasets: DatasetInput[];
}

/** A problem found while reading, reported instead of thrown (the row gets marked). */
export interface Problem {
  /** stable code, e.g. `run-meta-missing`, `metric-malformed` */
  code: string;
  /** the file or folder the problem is in */
  path: string;
  message: string;
}

/**
 * A RunInfo field by its MLflow attribute name (`run_id`, `status`, `start_time`, …);
 * undefined for a name that is not a field. Search, order-by and tables share it.
 */
export function runInfoField(info: RunInfo, key: string): string | Int64 | null | undefined {
  switch (key) {
    case 'run_id':
      return info.run_id;
    case 'run_name':
      return info.run_name;
    case 'experiment_id':
      return info.experiment_id;
    case 'status':
      return info.status;
    case 'user_id':
      return info.user_id;
    case 'artifact_uri':
      return info.artifact_uri;
    case 'start_time':
      return info.start_time;
    case 'end_time':
      return info.end_time;
    case 'lifecycle_stage':
      return info.lifecycle_stage;
    default:
      return undefined;
  }
}
