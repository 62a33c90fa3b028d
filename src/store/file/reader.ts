/**
 * The file store behind the TrackingReader interface: FileStore (store.ts) does the reading,
 * synchronously and lazily; this adapter gives it the interface's shape and answers searches
 * in-process (local-search.ts), reading only the files a query needs.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentEntry, FullRun, LoadNeeds, MetricTail, RunEntry, RunOutput, RunSearch, SearchedRun, TrackingReader } from '../backend.js';
import { searchLocally } from '../local-search.js';
import type { DatasetInput, Metric, Problem, SearchableRun, ViewType } from '../types.js';
import { isSafeKeyPath, readText } from './fsread.js';
import { isYamlMap, parseYaml } from './yaml.js';
import type { Int64 } from '../int64.js';
import type { FileExperimentEntry, FileRunEntry, FileStore } from './store.js';
import { tailMetricFile } from './tail.js';
import { UsageError } from '../../errors.js';

/** The file-store record behind an interface record (every record this backend hands out is one). */
export function fileRun(run: RunEntry): FileRunEntry {
  if (typeof (run as Partial<FileRunEntry>).dir !== 'string') throw new Error('internal: a run record of another backend reached the file store');
  return run as FileRunEntry;
}

/** The file-store record behind an interface experiment record. */
export function fileExperiment(e: ExperimentEntry): FileExperimentEntry {
  if (typeof (e as Partial<FileExperimentEntry>).dir !== 'string') throw new Error('internal: an experiment record of another backend reached the file store');
  return e as FileExperimentEntry;
}

export class FileTrackingReader implements TrackingReader {
  readonly store: FileStore;
  /**
   * The store's warnings are not shown: the folder is not a store's root (an experiment
   * folder given as --store), and every warning would only repeat that (issue 11 #5).
   */
  private readonly silenced: boolean;

  constructor(store: FileStore, opts: { silenced?: boolean } = {}) {
    this.store = store;
    this.silenced = opts.silenced ?? false;
  }

  get problems(): Problem[] {
    return this.silenced ? [] : this.store.problems;
  }

  get strays(): Problem[] {
    return this.silenced ? [] : this.store.strays;
  }

  async listExperiments(view: ViewType = 'active', withTags = false): Promise<ExperimentEntry[]> {
    return this.store.listExperiments(view, withTags);
  }

  async getExperiment(idOrName: string, withTags = false): Promise<ExperimentEntry> {
    return this.store.getExperiment(idOrName, withTags);
  }

  async loadExperimentTags(e: ExperimentEntry, order: 'key' | 'stored' = 'key'): Promise<ExperimentEntry> {
    return this.store.loadExperimentTags(fileExperiment(e), order);
  }

  async estimateRuns(): Promise<number> {
    return this.store.estimateRuns();
  }

  async listRuns(exps: readonly ExperimentEntry[], view: ViewType = 'active'): Promise<RunEntry[]> {
    return this.store.listRuns(exps.map(fileExperiment), view);
  }

  searchRuns(search: RunSearch): Promise<SearchedRun[]> {
    // a long-running process on a cold cache: the files are read on another thread first
    return this.store.withReadAhead(search.experiments.map(fileExperiment), search.query?.needs ?? {}, () => searchLocally(this, search));
  }

  async findRun(idOrPrefix: string): Promise<RunEntry> {
    return this.store.findRun(idOrPrefix);
  }

  readParams(run: RunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, string> {
    return this.store.readParams(fileRun(run), keys);
  }

  readTags(run: RunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, string> {
    return this.store.readTags(fileRun(run), keys);
  }

  readLatestMetrics(run: RunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, Metric> {
    return this.store.readLatestMetrics(fileRun(run), keys);
  }

  listParamKeys(run: RunEntry): string[] {
    return this.store.listParamKeys(fileRun(run));
  }

  storedKeys(run: RunEntry, kind: 'metrics' | 'params' | 'tags'): string[] {
    return this.store.storedKeys(fileRun(run), kind);
  }

  listMetricKeys(run: RunEntry): string[] {
    return this.store.listMetricKeys(fileRun(run));
  }

  readDatasetInputs(run: RunEntry): DatasetInput[] {
    return this.store.readDatasetInputs(fileRun(run));
  }

  deletedTime(run: RunEntry): Int64 | null {
    if (run.info.lifecycle_stage !== 'deleted') return null;
    const r = readText(path.join(fileRun(run).dir, 'meta.yaml'), 'meta');
    if (!r.ok) return null;
    const p = parseYaml(r.text);
    if (!isYamlMap(p.value)) return null;
    const v = p.value['deleted_time'];
    return (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint' ? v : null;
  }

  readRunOutputs(run: RunEntry): RunOutput[] {
    return this.store.readRunOutputs(fileRun(run));
  }

  loadRun(run: RunEntry): FullRun {
    return this.store.loadRun(fileRun(run));
  }

  loadSearchable(run: RunEntry, needs: LoadNeeds): SearchableRun {
    return this.store.loadSearchable(fileRun(run), needs);
  }

  metricHistory(run: RunEntry, key: string): AsyncGenerator<Metric[]> {
    return this.store.metricHistoryChunks(fileRun(run), key);
  }

  metricHistoryStamp(run: RunEntry, key: string): string | undefined {
    if (!isSafeKeyPath(key)) return undefined;
    try {
      const st = statSync(path.join(fileRun(run).dir, 'metrics', key), { bigint: true });
      return st.isFile() ? `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}` : undefined;
    } catch {
      return undefined;
    }
  }

  tailMetric(run: RunEntry, key: string): MetricTail {
    if (!isSafeKeyPath(key)) throw new UsageError(`invalid metric key '${key}'`, 'bad-key');
    const file = path.join(fileRun(run).dir, 'metrics', key);
    return tailMetricFile(file, key, (line, _text, reason) =>
      this.store.problems.push({ code: 'metric-malformed', path: file, message: `${file} line ${line}: ${reason}` }),
    );
  }
}
