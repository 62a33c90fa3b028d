/**
 * MLflow 3 entities of the file store that live inside experiments: logged models
 * (`<exp>/models/m-*`, spec §13.2) and traces (`<exp>/traces/*`, §13.3).
 */
import path from 'node:path';
import type { LoggedModel, LoggedModelMetric, TraceInfo } from '../backend.js';
import { parsePyFloat, parsePyInt } from '../pyfloat.js';
import { LOGGED_MODEL_STATUSES, type KeyValue, type Problem } from '../types.js';
import { listDir, listKeyFiles, readText } from './fsread.js';
import { isLater } from './metrics.js';
import { ms, readKv, readMap } from './registry-read.js';
import { yamlInt64Lenient, yamlString } from './yaml-values.js';

export interface FileLoggedModel extends LoggedModel {
  dir: string;
}

export interface FileTraceInfo extends TraceInfo {
  dir: string;
}

/** MLflow 3 logged models of one experiment folder (`<exp>/models/m-*`). */
export function listLoggedModels(expDir: string, problems: Problem[] = []): FileLoggedModel[] {
  const out: FileLoggedModel[] = [];
  for (const e of listDir(path.join(expDir, 'models')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'models', e.name);
    const map = readMap(path.join(dir, 'meta.yaml'), problems);
    if (!map) continue;
    const rawStatus = yamlInt64Lenient(map['status']);
    const st = rawStatus === undefined ? null : Number(rawStatus);
    out.push({
      model_id: yamlString(map['model_id']) ?? e.name,
      name: yamlString(map['name']) ?? '',
      experiment_id: yamlString(map['experiment_id']) ?? path.basename(expDir),
      source_run_id: yamlString(map['source_run_id']) ?? null,
      model_type: yamlString(map['model_type']) ?? null,
      status: st !== null ? (LOGGED_MODEL_STATUSES[st] ?? String(st)) : (yamlString(map['status']) ?? 'UNSPECIFIED'),
      lifecycle_stage: yamlString(map['lifecycle_stage']) ?? 'active',
      creation_timestamp: ms(yamlInt64Lenient(map['creation_timestamp'])),
      last_updated_timestamp: ms(yamlInt64Lenient(map['last_updated_timestamp'])),
      artifact_location: yamlString(map['artifact_location']) ?? '',
      status_message: yamlString(map['status_message']) ?? null,
      dir,
    });
  }
  return out.sort((a, b) => (a.model_id < b.model_id ? -1 : 1));
}

/**
 * Latest metric values of a logged model (`<model>/metrics/<key>`, lines
 * `<ts> <value> <step> <run_id> [<dataset_name> <dataset_digest>]`), one per key and
 * dataset group, chosen by the largest (step, timestamp, value) as for runs (§13.2).
 * Malformed lines are skipped and reported. With `all`, every line, in file order.
 */
export function readLoggedModelMetrics(modelDir: string, problems: Problem[] = [], all = false): LoggedModelMetric[] {
  const dir = path.join(modelDir, 'metrics');
  const out = new Map<string, LoggedModelMetric>();
  const every: LoggedModelMetric[] = [];
  for (const key of listKeyFiles(dir).sort()) {
    const file = path.join(dir, key);
    const r = readText(file, 'metric');
    if (!r.ok) continue;
    let lineNo = 0;
    for (const raw of r.text.split('\n')) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      const f = line.split(' ');
      const ts = parsePyInt(f[0] ?? '');
      const value = parsePyFloat(f[1] ?? '');
      const step = parsePyInt(f[2] ?? '');
      if ((f.length !== 4 && f.length !== 6) || ts === undefined || value === undefined || step === undefined) {
        problems.push({ code: 'metric-malformed', path: file, message: `${file} line ${lineNo}: expected <ts> <value> <step> <run_id> [<dataset> <digest>]` });
        continue;
      }
      const m: LoggedModelMetric = {
        key,
        value,
        timestamp: ts,
        step,
        run_id: f[3] ?? null,
        dataset_name: f.length === 6 ? f[4]! : null,
        dataset_digest: f.length === 6 ? f[5]! : null,
      };
      if (all) {
        every.push(m);
        continue;
      }
      const group = `${key}\u0000${m.dataset_name ?? ''}\u0000${m.dataset_digest ?? ''}`;
      const prev = out.get(group);
      if (!prev || isLater(prev, m)) out.set(group, m);
    }
  }
  return all ? every : [...out.values()];
}

/** Params of a logged model (`<model>/params/<key>`), sorted by key. */
export function readLoggedModelParams(modelDir: string): KeyValue[] {
  return readKv(path.join(modelDir, 'params'));
}

/** Tags of a logged model (`<model>/tags/<key>`), sorted by key. */
export function readLoggedModelTags(modelDir: string): KeyValue[] {
  return readKv(path.join(modelDir, 'tags'));
}

/** Traces of one experiment folder (`<exp>/traces/<request_id>/trace_info.yaml`). */
export function listTraces(expDir: string, problems: Problem[] = []): FileTraceInfo[] {
  const out: FileTraceInfo[] = [];
  for (const e of listDir(path.join(expDir, 'traces')) ?? []) {
    if (!e.isDir) continue;
    const dir = path.join(expDir, 'traces', e.name);
    const map = readMap(path.join(dir, 'trace_info.yaml'), problems);
    if (!map) continue;
    out.push({
      request_id: yamlString(map['request_id']) ?? e.name,
      experiment_id: yamlString(map['experiment_id']) ?? path.basename(expDir),
      timestamp_ms: ms(yamlInt64Lenient(map['timestamp_ms'])),
      execution_time_ms: ms(yamlInt64Lenient(map['execution_time_ms'])),
      status: yamlString(map['status']) ?? 'UNSPECIFIED',
      dir,
    });
  }
  return out.sort((a, b) => (a.request_id < b.request_id ? -1 : 1));
}
