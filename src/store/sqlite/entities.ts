/**
 * The entities the SQLite backend returns: src/store/types.ts's (MLflow's REST shapes) with
 * every int64 field as an Int64, so steps, timestamps and times beyond 2^53 stay exact.
 * For the lead: once types.ts takes Int64 for these fields, these aliases collapse into it.
 */
import type { Int64 } from '../int64.js';
import type { ModelVersion, RegisteredModel, LoggedModel } from '../registry.js';
import type { DatasetInput, Experiment, KeyValue, Metric, RunInfo } from '../types.js';

export type SqlExperiment = Omit<Experiment, 'creation_time' | 'last_update_time'> & {
  creation_time: Int64 | null;
  last_update_time: Int64 | null;
};

export type SqlRunInfo = Omit<RunInfo, 'start_time' | 'end_time'> & {
  start_time: Int64 | null;
  end_time: Int64 | null;
};

export type SqlMetric = Omit<Metric, 'timestamp' | 'step'> & { timestamp: Int64; step: Int64 };

export interface SqlRunData {
  metrics: SqlMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** MLflow's REST `Run`. */
export interface SqlRun {
  info: SqlRunInfo;
  data: SqlRunData;
  inputs: { dataset_inputs: DatasetInput[] };
}

export type SqlModelVersion = Omit<ModelVersion, 'dir' | 'creation_timestamp' | 'last_updated_timestamp'> & {
  creation_timestamp: Int64 | null;
  last_updated_timestamp: Int64 | null;
};

export type SqlRegisteredModel = Omit<RegisteredModel, 'dir' | 'creation_timestamp' | 'last_updated_timestamp' | 'latest_versions'> & {
  creation_timestamp: Int64 | null;
  last_updated_timestamp: Int64 | null;
  /** the highest version of each stage, as MLflow's SqlRegisteredModel reports them */
  latest_versions: SqlModelVersion[];
};

/** A logged model's metric row (logged_model_metrics), one per (key, timestamp, step, run). */
export interface SqlLoggedModelMetric {
  key: string;
  value: number | null;
  timestamp: Int64;
  step: Int64;
  run_id: string;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export type SqlLoggedModel = Omit<LoggedModel, 'dir' | 'creation_timestamp' | 'last_updated_timestamp'> & {
  creation_timestamp: Int64;
  last_updated_timestamp: Int64;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: SqlLoggedModelMetric[];
};
