/**
 * `mlr doctor` without --fix: scan the store once, run every check, return the findings
 * (each with the repair it plans, if any). Reads only; never writes.
 */
import fs from 'node:fs';
import { MlrError, NotFoundError } from '../errors.js';
import { describeFsError } from '../store/file/fsread.js';
import { checkArtifactLocations } from './checks/artifacts.js';
import { checkConsistency } from './checks/consistency.js';
import { checkExperimentMeta } from './checks/experiment-meta.js';
import { checkExperimentNames } from './checks/experiment-names.js';
import { checkMetrics } from './checks/metrics.js';
import { checkMisplacedRuns, checkRunMeta } from './checks/run-meta.js';
import { checkStrays } from './checks/strays.js';
import { Planner } from './planner.js';
import { scanStore, type StoreScan } from './scan.js';
import { SEVERITY_ORDER, type Finding, type PlannedFinding } from './types.js';

export interface DiagnoseOptions {
  /** "now" in ms (deleted_time of runs the repair marks deleted) */
  now?: number;
  onProgress?: (runs: number) => void;
  /** threads reading ahead for the scan (default: by store size and cores; 0: none) */
  workers?: number;
  /** a scan of this root already made: diagnosed as it is (the store is not read again) */
  scan?: StoreScan;
}

export interface Diagnosis {
  root: string;
  experiments: number;
  runs: number;
  findings: PlannedFinding[];
  planner: Planner;
}

/** Throw (exit 1) when the store folder cannot be read at all. */
function assertReadableStore(root: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw new NotFoundError(`no MLflow store at ${root}: ${describeFsError(e as NodeJS.ErrnoException)}`, 'store-not-found');
  }
  if (!st.isDirectory()) throw new NotFoundError(`no MLflow store at ${root}: not a folder`, 'store-not-found');
  try {
    fs.readdirSync(root);
  } catch (e) {
    throw new MlrError(`cannot read the store ${root}: ${describeFsError(e as NodeJS.ErrnoException)}`, 'store-unreadable', 1);
  }
}

/** Run every check over the store at `root`. */
export function diagnose(root: string, opts: DiagnoseOptions = {}): Diagnosis {
  assertReadableStore(root);
  const scan = opts.scan ?? scanStore(root, { onProgress: opts.onProgress, workers: opts.workers });
  const p = new Planner(scan, opts.now ?? Date.now());
  checkStrays(p);
  checkExperimentMeta(p);
  checkMisplacedRuns(p);
  checkRunMeta(p);
  checkMetrics(p);
  checkArtifactLocations(p);
  checkExperimentNames(p);
  checkConsistency(p);
  const findings = [...p.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || cmp(a.path, b.path) || cmp(a.code, b.code));
  return { root, experiments: scan.experiments.length, runs: p.runs.length, findings, planner: p };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A finding without its internal edits, for output and the manifest. */
export function publicFinding(f: PlannedFinding): Finding {
  const out: Finding = { code: f.code, severity: f.severity, path: f.path, message: f.message };
  if (f.fix !== undefined && f.edits.length > 0) out.fix = f.fix;
  if (f.command !== undefined) out.command = f.command;
  if (f.paths !== undefined) out.paths = f.paths;
  return out;
}
