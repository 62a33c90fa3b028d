/**
 * What the doctor finds and what it plans to do about it. Findings are plain data (they
 * are printed and written into the backup manifest); edits are the planned repairs.
 */
import type { DumpValue } from '../store/file/yaml-dump.js';

/**
 * error: MLflow crashes on it or hides data because of it; warning: MLflow works but the
 * store is wrong (stale paths, clutter, ambiguous names); info: worth knowing, not a problem
 * (does not change the exit code).
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** stable code, e.g. `experiment-meta-missing`, `metric-bad-lines` */
  code: string;
  severity: Severity;
  /** store-relative path, `/`-separated (`.` for the store root) */
  path: string;
  /** one line: what is wrong */
  message: string;
  /** one line: what `--fix` does about it; absent when the finding is report-only */
  fix?: string;
  /** a command that resolves a report-only finding by hand */
  command?: string;
  /** every path concerned, when one finding stands for many entries of the same kind */
  paths?: string[];
}

/** A planned change to the store. Paths are absolute; the planner merges edits per file. */
export type Edit =
  /** set fields of a meta.yaml (parsed or rebuilt base); the file is rewritten whole */
  | { kind: 'meta'; file: string; set: Record<string, DumpValue | undefined> }
  /** rewrite a metric file keeping only its valid lines (recomputed from the bytes at apply) */
  | { kind: 'metric'; file: string }
  /** move a stray file or folder out of the store into the backup */
  | { kind: 'move-out'; path: string }
  /** move a folder to another place inside the store */
  | { kind: 'move'; from: string; to: string };

export interface PlannedFinding extends Finding {
  edits: Edit[];
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
