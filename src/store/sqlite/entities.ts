/**
 * The entities the SQLite backend returns: the store interface's (src/store/types.ts,
 * backend.ts), whose int64 fields are Int64, plus the logged-model rows only SQL has.
 */
import type { Int64 } from '../int64.js';
import type { LoggedModel } from '../backend.js';
import type { KeyValue } from '../types.js';

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
