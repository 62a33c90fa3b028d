/**
 * The mlruns model: experiments, runs and their lazily read params, metrics and tags.
 * Knows files, nothing about terminals. Broken entries never throw: they come back
 * marked `broken` with Problems, and the store's `problems` list collects warnings.
 */
import path from 'node:path';
import { NotFoundError, StateError, UsageError } from '../../errors.js';
import {
  describeFsError,
  isDirectory,
  isFile,
  isSafeKeyPath,
  joinPath,
  listDir,
  listDirOrError,
  listKeyFiles,
  listKeyFilesStored,
  readSmallLatin1,
  readText,
  readTextPieces,
  type DirEntry,
  type FileKind,
  type ReadResult,
} from './fsread.js';
import { METRIC_CHUNK_BYTES, MetricChunkParser, MetricSummarizer, streamMetricChunks, type MetricFileSummary } from './metrics.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { yamlInt64Lenient, yamlString } from './yaml-values.js';
import type { ParseCache } from './cache.js';
import type { ExperimentEntry, FullRun, LoadNeeds, RunEntry, RunOutput } from '../backend.js';
import {
  statusFromInt,
  type DatasetInput,
  type Experiment,
  type KeyValue,
  type LifecycleStage,
  type Metric,
  type Problem,
  type RunInfo,
  type SearchableRun,
  type ViewType,
} from '../types.js';

/** An experiment of the file store: the interface's entry plus its folder. */
export interface FileExperimentEntry extends ExperimentEntry {
  dir: string;
  /** the folder is under `.trash/` (deleted, MLflow's soft delete) */
  inTrash: boolean;
}

/** A run of the file store: the interface's entry plus its folder. */
export interface FileRunEntry extends RunEntry {
  dir: string;
  exp: FileExperimentEntry;
  /** the name is the tags/mlflow.runName file's: a 1.x meta.yaml has no run_name */
  nameFromTag?: boolean;
}

/** Folders inside an experiment that are not runs (2.12: tags, datasets; 3.x: traces, models). */
const RESERVED_EXPERIMENT_DIRS = new Set(['tags', 'datasets', 'traces', 'models']);
const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\w-]{0,63}$/;

function problem(code: string, p: string, message: string): Problem {
  return { code, path: p, message };
}

/**
 * Maps parsed from a file that does not end with a newline: cut off (every writer ends
 * meta.yaml with one), so what parsed is a fragment. A WeakSet, so it holds for maps kept by
 * the parse cache too.
 */
const CUT_OFF = new WeakSet<YamlMap>();

/** Read and parse a YAML file into a map, or return the problem. */
function readYamlMap(
  file: string,
  kind: FileKind,
  what: string,
  src?: number | Buffer,
  size?: number,
): { map?: YamlMap; problem?: Problem; missing?: boolean } {
  const r = readText(file, kind, src, size);
  if (!r.ok) {
    return {
      missing: r.missing,
      problem: problem(
        r.missing ? `${what}-meta-missing` : `${what}-meta-unreadable`,
        file,
        r.missing ? `${what} folder ${path.dirname(file)} has no meta.yaml` : `${file}: ${r.error}`,
      ),
    };
  }
  if (r.text.trim() === '') return { problem: problem(`${what}-meta-empty`, file, `${file} is empty`) };
  const parsed = parseYaml(r.text);
  if (parsed.errors.length > 0 || parsed.value === undefined) {
    const why = r.text.includes('<<<<<<<') ? 'has merge-conflict markers' : `is not valid YAML (${parsed.errors[0]})`;
    return { problem: problem(`${what}-meta-unparsable`, file, `${file} ${why}`) };
  }
  if (!isYamlMap(parsed.value)) return { problem: problem(`${what}-meta-unparsable`, file, `${file} is not a YAML mapping`) };
  if (!r.text.endsWith('\n')) CUT_OFF.add(parsed.value);
  return { map: parsed.value };
}

/**
 * The summary of one metric file (its latest line, line count and malformed lines), or why it
 * could not be read. Read in pieces: the latest value needs every line (max by step,
 * timestamp, value), not the whole file in memory at once. `src`, `size`: as readText's.
 */
function summarizeMetricFile(file: string, src?: number | Buffer, size?: number): MetricFileSummary | Extract<ReadResult, { ok: false }> {
  const m = new MetricSummarizer();
  const r = readTextPieces(
    file,
    'metric',
    (text) => m.feed(text),
    (start, max) => m.longLine(start, max),
    undefined,
    undefined,
    src,
    size,
  );
  return r.ok ? m.result() : r;
}

/** An entry of an experiment folder that can be a run: a folder, not one of the reserved names (`tags`, `models`, …). */
const isRunFolder = (e: { name: string; isDir: boolean }): boolean => e.isDir && !RESERVED_EXPERIMENT_DIRS.has(e.name);

/** Metric keys a search names that read-ahead reads for every run (more: each as the search needs it). */
const READ_AHEAD_METRICS = 4;

export class FileStore {
  readonly root: string;
  /** warnings collected while reading (broken entries); the CLI prints them to stderr */
  readonly problems: Problem[] = [];
  /** stray entries skipped (`.ipynb_checkpoints`, `.DS_Store`, …); printed under --verbose */
  readonly strays: Problem[] = [];
  private expCache?: FileExperimentEntry[];
  /** parsed files kept across instances by a long-running process (see cache.ts); none for the CLI */
  private readonly cache: ParseCache | undefined;

  constructor(root: string, cache?: ParseCache) {
    this.cache = cache;
    // normalised once, so that paths built below by concatenation equal path.join's
    const norm = path.normalize(root);
    this.root = norm.length > 1 && norm.endsWith(path.sep) ? norm.slice(0, -1) : norm;
  }

  /**
   * Open an existing store. Throws NotFoundError (exit 1) when the folder does not exist
   * or does not look like an MLflow store. Never creates anything.
   */
  static open(root: string, describe = root, cache?: ParseCache): FileStore {
    if (!isDirectory(root)) {
      throw new NotFoundError(`no MLflow store at ${describe}: the folder does not exist`, 'store-not-found');
    }
    // a root that cannot be listed would read as an empty store (a header and exit 0)
    const listed = listDirOrError(root);
    if (!Array.isArray(listed)) throw new StateError(`cannot read the store at ${describe}: ${describeFsError(listed)}`, 'store-unreadable');
    if (!FileStore.looksLikeStore(root)) {
      throw new NotFoundError(`${describe} is not an MLflow store: it has no experiment folders (<id>/meta.yaml) and no .trash`, 'not-a-store');
    }
    return new FileStore(root, cache);
  }

  /** Whether an existing folder looks like a store's root: empty, or with `.trash`, `models` or an experiment folder. */
  static looksLikeStore(root: string): boolean {
    const ents = listDir(root) ?? [];
    return (
      ents.length === 0 ||
      ents.some(
        (e) =>
          e.isDir &&
          (e.name === '.trash' ||
            e.name === 'models' ||
            (EXPERIMENT_ID_RE.test(e.name) && (/^\d+$/.test(e.name) || readText(path.join(root, e.name, 'meta.yaml'), 'meta').ok))),
      )
    );
  }

  /** readYamlMap, answered from the parse cache when the file is unchanged. */
  private yamlMap(file: string, kind: FileKind, what: string): ReturnType<typeof readYamlMap> {
    if (!this.cache) return readYamlMap(file, kind, what);
    let failed: ReturnType<typeof readYamlMap> | undefined;
    const map = this.cache.through(file, 'yaml', (src, size) => {
      const r = readYamlMap(file, kind, what, src, size);
      if (!r.map) failed = r;
      return r.map;
    });
    return map ? { map } : (failed ?? readYamlMap(file, kind, what));
  }

  /** A folder about to be read: the parse cache's memo must know whether a watch covers it. */
  private track(dir: string): void {
    this.cache?.track(dir);
  }

  /** A read no watch covers (the cache's memo keeps nothing computed meanwhile). */
  private taint(): void {
    this.cache?.taint();
  }

  /** Keys listed from a folder: those in sub-folders were listed before any watch covered them. */
  private trackedKeys(dir: string, keys: string[]): string[] {
    this.track(dir);
    if (this.cache && keys.some((k) => k.includes('/'))) this.cache.taint();
    return keys;
  }

  private warn(p: Problem): void {
    this.problems.push(p);
  }

  /** A folder's entries; one that exists but cannot be listed (permissions) is a warning saying what is left out, and lists as empty. */
  private listOrWarn(dir: string, leftOut: string): DirEntry[] {
    const r = listDirOrError(dir);
    if (Array.isArray(r)) return r;
    if (r.code !== 'ENOENT' && r.code !== 'ENOTDIR') this.warn(problem('folder-unreadable', dir, `cannot read ${dir} (${describeFsError(r)}): ${leftOut}`));
    return [];
  }

  /**
   * A run's data that could not be read (a folder or file with no read permission): a
   * warning naming the path, and the run marked broken (`!` in listings), as a broken
   * meta.yaml is: the run is shown with what could be read.
   */
  private runDataUnreadable(run: FileRunEntry | undefined, file: string, reason: string, what: string): void {
    // a key of a folder already reported (it cannot be listed, so its files cannot be read either) is not news
    const known = run?.problems.some((q) => q.code === 'run-data-unreadable' && (q.path === file || file.startsWith(q.path + path.sep)));
    if (known) return;
    this.warn(problem('run-data-unreadable', file, `cannot read ${file} (${reason}): ${what} left out`));
    if (!run) return;
    run.problems.push(problem('run-data-unreadable', file, `${file} cannot be read (${reason})`));
    run.broken = true;
  }

  /** The onError of a key listing: the folder is reported and the run marked. */
  private onListError(run: FileRunEntry | undefined, kind: 'metrics' | 'params' | 'tags') {
    return (dir: string, reason: string): void =>
      this.runDataUnreadable(run, dir, reason, run ? `run ${run.info.run_id}'s ${kind} in it are` : `the ${kind} in it are`);
  }

  // ------------------------------------------------------------------ experiments

  /** Every experiment folder, active ones first then `.trash`, each parsed (cached). */
  allExperiments(): FileExperimentEntry[] {
    if (this.expCache) return this.expCache;
    const out: FileExperimentEntry[] = [];
    const scan = (dir: string, inTrash: boolean): void => {
      this.track(dir);
      for (const e of this.listOrWarn(dir, inTrash ? 'deleted experiments in it are left out' : 'its experiments are left out')) {
        if (!e.isDir) continue;
        const full = joinPath(dir, e.name);
        if (!inTrash && (e.name.endsWith('.trash') || e.name === 'models')) continue;
        const entry = this.readExperimentDir(full, e.name, inTrash);
        if (entry) out.push(entry);
      }
    };
    scan(this.root, false);
    scan(path.join(this.root, '.trash'), true);
    this.expCache = out;
    return out;
  }

  private readExperimentDir(dir: string, folder: string, inTrash: boolean): FileExperimentEntry | undefined {
    const file = joinPath(dir, 'meta.yaml');
    const { map, problem: p, missing } = this.yamlMap(file, 'meta', 'experiment');
    const base: Experiment = {
      experiment_id: folder,
      name: folder === '0' ? 'Default' : '',
      artifact_location: '',
      lifecycle_stage: inTrash ? 'deleted' : 'active',
      creation_time: null,
      last_update_time: null,
      tags: [],
    };
    if (!map) {
      this.taint();
      if (missing && !this.looksLikeExperiment(dir, folder)) {
        this.strays.push(problem('stray-folder', dir, `${dir} is not an experiment (no meta.yaml); skipped`));
        return undefined;
      }
      this.warn(p!);
      return { experiment: base, dir, inTrash, broken: true, problems: [p!] };
    }
    const problems: Problem[] = [];
    if (map['name'] === undefined && (map['run_id'] !== undefined || map['run_uuid'] !== undefined)) {
      problems.push(
        problem('run-at-experiment-level', file, `${dir} holds a run's meta.yaml, not an experiment's: a run folder was placed at experiment level`),
      );
    }
    const id = yamlString(map['experiment_id']);
    if (problems.length === 0 && id !== undefined && id !== folder) {
      problems.push(problem('experiment-id-mismatch', file, `${file} says experiment_id '${id}' but the folder is '${folder}'`));
    }
    const stage = yamlString(map['lifecycle_stage']);
    const exp: Experiment = {
      experiment_id: folder,
      name: yamlString(map['name']) ?? base.name,
      artifact_location: yamlString(map['artifact_location']) ?? '',
      // a folder in .trash is deleted whatever its meta.yaml says (1.x only moved it)
      lifecycle_stage: inTrash || stage === 'deleted' ? 'deleted' : 'active',
      creation_time: yamlInt64Lenient(map['creation_time']) ?? null,
      last_update_time: yamlInt64Lenient(map['last_update_time']) ?? null,
      tags: [],
    };
    for (const q of problems) this.warn(q);
    return { experiment: exp, dir, inTrash, broken: problems.length > 0, problems };
  }

  /**
   * A folder without meta.yaml is a broken experiment when it holds runs (folders with a
   * meta.yaml or run data); one holding only artifacts is the artifact root of a
   * database-backed MLflow sharing the folder, not an experiment.
   */
  private looksLikeExperiment(dir: string, folder: string): boolean {
    if (!EXPERIMENT_ID_RE.test(folder)) return false;
    return (listDir(dir) ?? []).some((e) => isRunFolder(e) && (isFile(path.join(dir, e.name, 'meta.yaml')) || this.looksLikeRun(path.join(dir, e.name))));
  }

  /** Experiments in a view (active, deleted, all); tags are read only when asked for. */
  listExperiments(view: ViewType = 'active', withTags = false): FileExperimentEntry[] {
    const out = this.allExperiments().filter((e) => matchesView(e.experiment.lifecycle_stage, view));
    if (withTags) for (const e of out) this.loadExperimentTags(e);
    return out;
  }

  private tagsLoaded = new WeakSet<FileExperimentEntry>();

  /** Fill `experiment.tags` from `<exp>/tags/` (once): sorted by key, or in the folder's order ('stored', MLflow's). */
  loadExperimentTags(e: FileExperimentEntry, order: 'key' | 'stored' = 'key'): FileExperimentEntry {
    if (!this.tagsLoaded.has(e)) {
      this.tagsLoaded.add(e);
      const dir = path.join(e.dir, 'tags');
      const onError = (d: string, reason: string): void =>
        this.warn(problem('folder-unreadable', d, `cannot read ${d} (${reason}): the tags of experiment ${e.experiment.experiment_id} in it are left out`));
      if (order === 'stored')
        e.experiment.tags = [...this.readKeyValueDir(dir, 'tag', this.trackedKeys(dir, listKeyFilesStored(dir, onError)))].map(([key, value]) => ({
          key,
          value,
        }));
      else e.experiment.tags = mapToKv(this.readKeyValueDir(dir, 'tag', 'all', undefined, onError));
    }
    return e;
  }

  /**
   * An experiment by id or name (ids win; active names win over deleted ones); tags are
   * read only when asked for. Throws NotFoundError listing what exists when nothing matches.
   */
  getExperiment(idOrName: string, withTags = false): FileExperimentEntry {
    const all = this.allExperiments();
    const byId = all.filter((e) => e.experiment.experiment_id === idOrName);
    const hit =
      byId.find((e) => !e.inTrash) ??
      byId[0] ??
      all.find((e) => e.experiment.name === idOrName && e.experiment.lifecycle_stage === 'active') ??
      all.find((e) => e.experiment.name === idOrName);
    if (!hit) {
      const names = all
        .filter((e) => e.experiment.lifecycle_stage === 'active')
        .map((e) => `${e.experiment.name || '!'} (${e.experiment.experiment_id})`)
        .sort();
      throw new NotFoundError(
        `no experiment with id or name '${idOrName}' in ${this.root}` + (names.length ? `; experiments: ${names.join(', ')}` : ''),
        'experiment-not-found',
      );
    }
    return withTags ? this.loadExperimentTags(hit) : hit;
  }

  // ------------------------------------------------------------------ runs

  /**
   * `search()` over `exps`, which needs `needs`. In a long-running process whose parse cache
   * has no entry for most of the files the search will read (each run's meta.yaml, the metric
   * files it names, up to READ_AHEAD_METRICS): the search reads them as the CLI does, keeping
   * nothing (ParseCache.bypassForThisTurn), and once it is answered a thread reads them
   * again (read-ahead.ts), and the cache's entries are made from what it sends, a chunk per
   * turn. A search that comes meanwhile waits for that, then uses them.
   */
  async withReadAhead<T>(exps: FileExperimentEntry[], needs: LoadNeeds, search: () => Promise<T>): Promise<T> {
    const cache = this.cache;
    const ra = cache?.readAhead;
    if (!cache || !ra) return search();
    // a fill under way: wait for it, then use what it read since this request came in
    const arrived = Date.now();
    const filling = cache.fillDone();
    if (filling) {
      await filling;
      cache.trustForThisTurn(arrived);
    }
    const metrics = needs.metrics === 'all' || !needs.metrics ? [] : [...needs.metrics].filter(isSafeKeyPath).slice(0, READ_AHEAD_METRICS);
    const names = ['meta.yaml', ...metrics.map((k) => joinPath('metrics', k))];
    const dirs: string[] = [];
    let cold = 0;
    for (const exp of exps) {
      for (const e of listDir(exp.dir) ?? []) {
        if (!isRunFolder(e)) continue;
        // as readRunDir builds them: they are the cache's keys
        const dir = joinPath(exp.dir, e.name);
        dirs.push(dir);
        if (!cache.has(joinPath(dir, 'meta.yaml'))) cold++;
      }
    }
    if (cold * names.length < ra.minFiles) return search();
    cache.bypassForThisTurn();
    const out = await search();
    cache.fillLater(async () => {
      const files: string[] = [];
      const want = new Uint8Array(dirs.length * names.length);
      for (let d = 0; d < dirs.length; d++)
        for (let k = 0; k < names.length; k++) {
          const file = joinPath(dirs[d]!, names[k]!);
          if (cache.has(file)) continue;
          want[d * names.length + k] = 1;
          files.push(file);
        }
      for await (const f of ra.read({ dirs, names, want, metric: names.map((_, i) => i > 0), files })) {
        if (f.summary) {
          const summary = f.summary;
          cache.through(f.file, 'metric', () => summary, f);
        } else cache.through(f.file, 'yaml', (src) => readYamlMap(f.file, 'meta', 'run', src).map, f);
      }
    });
    return out;
  }

  /** The folders of every experiment (active and deleted) that may be runs, counted without reading them. */
  estimateRuns(): number {
    let n = 0;
    for (const exp of this.allExperiments()) for (const e of listDir(exp.dir) ?? []) if (isRunFolder(e)) n++;
    return n;
  }

  /** Runs of the given experiments (in that order) whose lifecycle stage is in the view. */
  listRuns(exps: FileExperimentEntry[], view: ViewType = 'active'): FileRunEntry[] {
    return this.listRunInfos(exps, view, (exp, folder) => this.readRunDir(exp, folder));
  }

  /**
   * As listRuns, with `read` reading each run folder: it may answer from elsewhere (shell
   * completion's cache, cli/complete-cache.ts) and call `readRun` for the folders it cannot.
   */
  listRunInfos<R extends { info: Pick<RunInfo, 'lifecycle_stage'> }>(
    exps: FileExperimentEntry[],
    view: ViewType,
    read: (exp: FileExperimentEntry, folder: string) => R | undefined,
  ): R[] {
    const out: R[] = [];
    for (const exp of exps) {
      this.track(exp.dir);
      for (const e of this.listOrWarn(exp.dir, `the runs of experiment ${exp.experiment.experiment_id} are left out`)) {
        if (!isRunFolder(e)) continue;
        const run = read(exp, e.name);
        if (run && matchesView(run.info.lifecycle_stage, view)) out.push(run);
      }
    }
    return out;
  }

  /** One run folder of `exp`, read as listRuns reads it. */
  readRun(exp: FileExperimentEntry, folder: string): FileRunEntry | undefined {
    return this.readRunDir(exp, folder);
  }

  private readRunDir(exp: FileExperimentEntry, folder: string): FileRunEntry | undefined {
    const dir = joinPath(exp.dir, folder);
    const file = joinPath(dir, 'meta.yaml');
    const { map, problem: p, missing } = this.yamlMap(file, 'meta', 'run');
    const problems: Problem[] = [];
    if (!map) {
      this.taint();
      if (missing && !this.looksLikeRun(dir)) {
        this.strays.push(problem('stray-folder', dir, `${dir} is not a run (no meta.yaml); skipped`));
        return undefined;
      }
      // a run folder that cannot be read at all is one problem, not one per file in it
      const listed = missing ? [] : listDirOrError(dir);
      if (!Array.isArray(listed) && listed.code !== 'ENOENT' && listed.code !== 'ENOTDIR')
        problems.push(problem('run-data-unreadable', dir, `cannot read ${dir} (${describeFsError(listed)}): run ${folder} is shown without its data`));
      else problems.push(p!);
    }
    const m: YamlMap = map ?? {};
    const runId = yamlString(m['run_id']) ?? yamlString(m['run_uuid']) ?? folder;
    if (map && runId !== folder) {
      problems.push(problem('run-id-mismatch', file, `${file} says run_id '${runId}' but the folder is '${folder}'`));
    }
    const expId = yamlString(m['experiment_id']);
    if (map && expId !== undefined && expId !== exp.experiment.experiment_id) {
      problems.push(
        problem('run-experiment-mismatch', file, `${file} says experiment_id '${expId}' but the run is in experiment folder '${exp.experiment.experiment_id}'`),
      );
    }
    if (map && CUT_OFF.has(map)) {
      // a fragment (a meta.yaml cut off where it still parses): MLflow crashes on what is missing
      const absent = (k: string): boolean => m[k] === undefined || m[k] === null;
      const lacks = [
        ...(absent('run_id') && absent('run_uuid') ? ['run_id'] : []),
        ...['experiment_id', 'start_time'].filter(absent),
        ...(!('end_time' in m) ? ['end_time'] : []),
        ...(absent('user_id') ? ['user_id'] : []),
      ];
      if (lacks.length > 0)
        problems.push(problem('run-meta-incomplete', file, `${file} lacks ${lacks.join(', ')}: MLflow fails on every search of the experiment`));
    }
    const statusRaw = m['status'];
    let status = statusRaw === undefined || statusRaw === null ? 'RUNNING' : typeof statusRaw === 'number' ? statusFromInt(statusRaw) : undefined;
    if (!status) {
      problems.push(problem('run-status-invalid', file, `${file} has status '${String(statusRaw)}', not one of 1-5`));
      status = 'RUNNING';
    }
    const stageRaw = yamlString(m['lifecycle_stage']) ?? 'active';
    if (stageRaw !== 'active' && stageRaw !== 'deleted') {
      problems.push(problem('run-lifecycle-invalid', file, `${file} has lifecycle_stage '${stageRaw}'`));
    }
    let runName = yamlString(m['run_name']);
    const nameFromTag = runName === undefined;
    if (runName === undefined) {
      // 1.x files have no run_name: MLflow takes it from the mlflow.runName tag
      this.track(path.join(dir, 'tags'));
      const t = readText(path.join(dir, 'tags', 'mlflow.runName'), 'tag');
      runName = t.ok ? t.text : '';
    }
    const info: RunInfo = {
      run_id: folder,
      run_uuid: folder,
      run_name: runName,
      experiment_id: exp.experiment.experiment_id,
      user_id: yamlString(m['user_id']) ?? '',
      status,
      start_time: yamlInt64Lenient(m['start_time']) ?? null,
      end_time: yamlInt64Lenient(m['end_time']) ?? null,
      artifact_uri: yamlString(m['artifact_uri']) ?? '',
      lifecycle_stage: stageRaw === 'deleted' ? 'deleted' : 'active',
    };
    for (const q of problems) this.warn(q);
    return { info, dir, exp, broken: problems.length > 0, metaUnreadable: !map, problems, ...(nameFromTag ? { nameFromTag } : {}) };
  }

  /** A run folder without meta.yaml still holds run data (metrics/, params/ or tags/); artifacts alone do not make a run. */
  private looksLikeRun(dir: string): boolean {
    return (listDir(dir) ?? []).some((e) => e.isDir && (e.name === 'metrics' || e.name === 'params' || e.name === 'tags'));
  }

  /** The run folder `<exp>/<id>` for a full id, active experiments first, then `.trash`. */
  private findRunDirect(want: string): FileRunEntry | undefined {
    if (RESERVED_EXPERIMENT_DIRS.has(want)) return undefined;
    for (const [parent, inTrash] of [
      [this.root, false],
      [path.join(this.root, '.trash'), true],
    ] as const) {
      for (const e of listDir(parent) ?? []) {
        if (!e.isDir || (!inTrash && (e.name.endsWith('.trash') || e.name === 'models'))) continue;
        const expDir = path.join(parent, e.name);
        if (!isDirectory(path.join(expDir, want))) continue;
        const exp = this.expCache?.find((x) => x.dir === expDir) ?? this.readExperimentDir(expDir, e.name, inTrash);
        const r = exp && this.readRunDir(exp, want);
        if (r) return r;
      }
    }
    return undefined;
  }

  /** The run with exactly this id, or undefined (no prefix matching, no error). */
  findRunOrUndefined(id: string): FileRunEntry | undefined {
    return /^[a-zA-Z0-9][\w-]*$/.test(id) ? this.findRunDirect(id) : undefined;
  }

  /**
   * A run by full id or a unique prefix of at least 6 characters, searched in every
   * experiment (active and deleted). Ambiguous prefixes list the candidates.
   */
  findRun(idOrPrefix: string): FileRunEntry {
    const want = idOrPrefix.trim();
    if (!/^[a-zA-Z0-9][\w-]*$/.test(want)) {
      throw new UsageError(`'${idOrPrefix}' is not a run id`, 'bad-run-id');
    }
    // full id: a stat per experiment folder, parsing only the experiment that has it
    // (one-shot writes like `mlr log-metric` must not parse every experiment's meta.yaml)
    const direct = this.findRunDirect(want);
    if (direct) return direct;
    const exps = this.allExperiments();
    if (want.length < 6) {
      throw new UsageError(`run id prefix '${want}' is too short: give at least 6 characters`, 'run-prefix-short');
    }
    const hits: { exp: FileExperimentEntry; folder: string }[] = [];
    for (const exp of exps) {
      for (const e of listDir(exp.dir) ?? []) {
        if (isRunFolder(e) && e.name.startsWith(want)) hits.push({ exp, folder: e.name });
      }
    }
    if (hits.length === 0) throw new NotFoundError(`run '${want}' not found in ${this.root}`, 'run-not-found');
    if (hits.length > 1) {
      const list = hits.map((h) => `${h.folder} (experiment ${h.exp.experiment.experiment_id})`).join(', ');
      throw new UsageError(`run id prefix '${want}' is ambiguous: ${list}`, 'run-prefix-ambiguous');
    }
    const r = this.readRunDir(hits[0]!.exp, hits[0]!.folder);
    if (!r) throw new NotFoundError(`run '${want}' not found in ${this.root}`, 'run-not-found');
    return r;
  }

  // ------------------------------------------------------------------ run data

  /**
   * key → value of files under a params/ or tags/ folder: all of them, or only `keys`. A
   * long-running process keeps a folder's whole map while the folder's watch sees no change
   * (ParseCache.folder), and answers `keys` from it when it has it.
   */
  private readKeyValueDir(
    dir: string,
    kind: 'param' | 'tag',
    keys: Iterable<string> | 'all',
    run?: FileRunEntry,
    onError: (dir: string, reason: string) => void = this.onListError(run, kind === 'param' ? 'params' : 'tags'),
  ): Map<string, string> {
    this.track(dir);
    const cache = this.cache;
    if (!cache) return this.readKeyValueFiles(dir, kind, keys, run, onError).value;
    if (keys === 'all') {
      // a copy: callers may change the map they get
      return new Map(cache.folder(dir, kind, () => this.readKeyValueFiles(dir, kind, 'all', run, onError)));
    }
    const all = cache.folderHit<Map<string, string>>(dir, kind);
    if (!all) return this.readKeyValueFiles(dir, kind, keys, run, onError).value;
    const out = new Map<string, string>();
    for (const key of keys) {
      const v = all.get(key);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  /** readKeyValueDir's reads; `keep` when the answer may be kept (no sub-folder read, no error reported). */
  private readKeyValueFiles(
    dir: string,
    kind: 'param' | 'tag',
    keys: Iterable<string> | 'all',
    run: FileRunEntry | undefined,
    onError: (dir: string, reason: string) => void,
  ): { value: Map<string, string>; keep: boolean } {
    const out = new Map<string, string>();
    let keep = true;
    const list =
      keys === 'all'
        ? this.trackedKeys(
            dir,
            listKeyFiles(dir, (d, reason) => {
              keep = false;
              onError(d, reason);
            }),
          )
        : keys;
    for (const key of list) {
      if (!isSafeKeyPath(key)) continue;
      if (key.includes('/')) {
        keep = false;
        if (this.cache) this.track(path.dirname(joinPath(dir, key)));
      }
      const file = joinPath(dir, key);
      const r = readText(file, kind);
      if (r.ok) out.set(key, r.text);
      else if (!r.missing) {
        keep = false;
        this.runDataUnreadable(run, file, r.error, `${kind} '${key}'${run ? ` of run ${run.info.run_id}` : ''} is`);
      }
    }
    return { value: out, keep };
  }

  /** Params of a run (all, or only the given keys). */
  readParams(run: FileRunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, string> {
    return this.readKeyValueDir(joinPath(run.dir, 'params'), 'param', keys, run);
  }

  /** Tags of a run (all, or only the given keys). */
  readTags(run: FileRunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, string> {
    return this.readKeyValueDir(joinPath(run.dir, 'tags'), 'tag', keys, run);
  }

  /** Names of the run's params (file names under params/, `/`-joined), without reading them. */
  listParamKeys(run: FileRunEntry): string[] {
    return this.listKeys(run, 'params');
  }

  /** A run's keys of one kind in the order its folder keeps them (MLflow's order: os.walk, unsorted). */
  storedKeys(run: FileRunEntry, kind: 'metrics' | 'params' | 'tags'): string[] {
    return this.trackedKeys(path.join(run.dir, kind), listKeyFilesStored(path.join(run.dir, kind), this.onListError(run, kind)));
  }

  /** Names of the run's metrics (file names under metrics/, `/`-joined). */
  listMetricKeys(run: FileRunEntry): string[] {
    return this.listKeys(run, 'metrics');
  }

  /** A run's metric or param names, kept by a long-running process while the folder's watch sees no change. */
  private listKeys(run: FileRunEntry, kind: 'metrics' | 'params'): string[] {
    const dir = path.join(run.dir, kind);
    const onError = this.onListError(run, kind);
    if (!this.cache) return listKeyFiles(dir, onError);
    this.track(dir);
    const keys = this.cache.folder(dir, `${kind} keys`, () => {
      let keep = true;
      const value = listKeyFiles(dir, (d, reason) => {
        keep = false;
        onError(d, reason);
      });
      return { value, keep: keep && !value.some((k) => k.includes('/')) };
    });
    return [...this.trackedKeys(dir, keys)];
  }

  /**
   * Latest value of each metric (all, or only the given keys): the line with the largest
   * (step, timestamp, value). Malformed lines are skipped with a warning; a file with no
   * good line has no latest value.
   */
  readLatestMetrics(run: FileRunEntry, keys: Iterable<string> | 'all' = 'all'): Map<string, Metric> {
    const out = new Map<string, Metric>();
    const dir = joinPath(run.dir, 'metrics');
    const list = keys === 'all' ? this.trackedKeys(dir, listKeyFiles(dir, this.onListError(run, 'metrics'))) : keys;
    for (const key of list) {
      if (!isSafeKeyPath(key)) continue;
      const file = joinPath(dir, key);
      let failed: ReadResult | undefined;
      const summarize = (src?: number | Buffer, size?: number): MetricFileSummary | undefined => {
        const r = summarizeMetricFile(file, src, size);
        if ('error' in r) failed = r;
        else return r;
      };
      const s = this.cache ? this.cache.through(file, 'metric', summarize) : summarize();
      if (!s) {
        if (failed && !failed.ok && !failed.missing) this.runDataUnreadable(run, file, failed.error, `metric '${key}' of run ${run.info.run_id} is`);
        continue;
      }
      if (s.bad.length > 0) {
        const b = s.bad[0]!;
        const more = s.bad.length > 1 ? ` (and ${s.bad.length - 1} more bad lines)` : '';
        this.warn(problem('metric-malformed', file, `${file} line ${b.line}: ${b.reason}${more}`));
        run.problems.push(problem('metric-malformed', file, `metric '${key}' has malformed lines`));
        run.broken = true;
      } else if (s.count === 0) {
        this.warn(problem('metric-empty', file, `${file} is empty: no data found`));
      }
      if (s.latest) out.set(key, { key, value: s.latest.value, timestamp: s.latest.timestamp, step: s.latest.step });
    }
    return out;
  }

  /**
   * Every line of one metric in file order, streamed (never loaded whole) as one array per
   * read chunk: what per-line consumers of long histories should loop over. Throws at once
   * (not on the first read) when the key is invalid or the run has no such metric.
   */
  metricHistoryChunks(run: FileRunEntry, key: string): AsyncGenerator<Metric[]> {
    if (!isSafeKeyPath(key)) throw new UsageError(`invalid metric key '${key}'`, 'bad-key');
    const file = path.join(run.dir, 'metrics', key);
    // opened now, to fail before the first line is printed (a header and then an error is
    // worse than the error); a file of one chunk is read whole at once — most histories are
    // a few KiB, and a stream costs five thread-pool round trips a file (a migration reads 60,000)
    const r = readSmallLatin1(file, 'metric', METRIC_CHUNK_BYTES);
    if (!r.ok && r.missing) {
      const known = this.listMetricKeys(run);
      throw new NotFoundError(`run ${run.info.run_id} has no metric '${key}'` + (known.length ? `; metrics: ${known.join(', ')}` : ''), 'metric-not-found');
    }
    if (!r.ok) throw new StateError(`cannot read ${file}: ${r.error}`, 'metric-unreadable');
    const onBad = (line: number, _text: string, reason: string): void => this.warn(problem('metric-malformed', file, `${file} line ${line}: ${reason}`));
    const text = r.text;
    if (text === undefined) return streamMetricChunks(file, key, onBad);
    return (async function* () {
      const parser = new MetricChunkParser(key, onBad);
      const lines = parser.feed(text);
      for (const m of parser.end()) lines.push(m);
      if (lines.length > 0) yield lines;
    })();
  }

  /** metricHistoryChunks one line at a time, for callers where per-line cost does not matter. */
  metricHistory(run: FileRunEntry, key: string): AsyncGenerator<Metric> {
    return eachMetric(this.metricHistoryChunks(run, key));
  }

  /** Dataset inputs of a run (2.4+): `<run>/inputs/*` joined with `<exp>/datasets/*`. */
  readDatasetInputs(run: FileRunEntry): DatasetInput[] {
    const inputsDir = path.join(run.dir, 'inputs');
    this.track(inputsDir);
    const listed = listDirOrError(inputsDir);
    if (!Array.isArray(listed) && listed.code !== 'ENOENT' && listed.code !== 'ENOTDIR')
      this.runDataUnreadable(run, inputsDir, describeFsError(listed), `the dataset inputs of run ${run.info.run_id} are`);
    const ents = Array.isArray(listed) ? listed : [];
    const out: DatasetInput[] = [];
    for (const e of ents) {
      if (!e.isDir) continue;
      this.track(path.join(inputsDir, e.name));
      const { map } = readYamlMap(path.join(inputsDir, e.name, 'meta.yaml'), 'input', 'input');
      if (!map || yamlString(map['source_type']) !== 'DATASET') continue;
      const sourceId = yamlString(map['source_id']);
      if (!sourceId || !isSafeKeyPath(sourceId)) continue;
      const dsFile = path.join(run.exp.dir, 'datasets', sourceId, 'meta.yaml');
      this.track(path.dirname(dsFile));
      const ds = readYamlMap(dsFile, 'input', 'dataset');
      if (!ds.map) {
        this.warn(problem('input-dataset-missing', dsFile, `run ${run.info.run_id} input ${e.name} refers to dataset ${sourceId}, which is missing`));
        continue;
      }
      const tags = isYamlMap(map['tags']) ? Object.entries(map['tags']).map(([key, v]) => ({ key, value: yamlString(v) ?? '' })) : [];
      out.push({
        tags,
        dataset: {
          name: yamlString(ds.map['name']) ?? '',
          digest: yamlString(ds.map['digest']) ?? '',
          source_type: yamlString(ds.map['source_type']) ?? '',
          source: yamlString(ds.map['source']) ?? '',
          schema: yamlString(ds.map['schema']) ?? null,
          profile: yamlString(ds.map['profile']) ?? null,
        },
      });
    }
    return out;
  }

  /** Model outputs of a run (3.x): `<run>/outputs/<model_id>/meta.yaml`. */
  readRunOutputs(run: FileRunEntry): RunOutput[] {
    this.taint();
    const dir = path.join(run.dir, 'outputs');
    const out: RunOutput[] = [];
    for (const e of listDir(dir) ?? []) {
      if (!e.isDir) continue;
      const { map } = readYamlMap(path.join(dir, e.name, 'meta.yaml'), 'input', 'output');
      if (!map) continue;
      out.push({ model_id: yamlString(map['source_id']) ?? e.name, step: yamlInt64Lenient(map['step']) ?? 0 });
    }
    return out;
  }

  /** The whole run in MLflow's REST shape: latest metrics, params, tags, inputs. */
  loadRun(run: FileRunEntry): FullRun {
    const metrics = [...this.readLatestMetrics(run).values()].sort((a, b) => cmp(a.key, b.key));
    const result: FullRun = {
      info: run.info,
      data: {
        metrics,
        params: mapToKv(this.readParams(run)),
        tags: mapToKv(this.readTags(run)),
      },
      inputs: { dataset_inputs: this.readDatasetInputs(run) },
    };
    const outputs = this.readRunOutputs(run);
    if (outputs.length > 0) result.outputs = { model_outputs: outputs };
    return result;
  }

  /**
   * The run as the search evaluator sees it. Named keys are read on first use, not up
   * front: an AND stops at its first false clause, so a run that fails a cheap clause never
   * has the files of the other clauses or of the order-by keys read. Keys a query does not
   * name are never read ('all' loads every file at once, one listing per folder).
   */
  loadSearchable(run: FileRunEntry, needs: LoadNeeds): SearchableRun {
    const metrics: Map<string, number> =
      needs.metrics === 'all'
        ? new Map([...this.readLatestMetrics(run, 'all')].map(([k, m]) => [k, m.value]))
        : new LazyKeyMap(needs.metrics, (key) => this.readLatestMetrics(run, [key]).get(key)?.value);
    const params = needs.params === 'all' ? this.readParams(run) : new LazyKeyMap(needs.params, (key) => this.readParams(run, [key]).get(key));
    const tags = needs.tags === 'all' ? this.readTags(run) : new LazyKeyMap(needs.tags, (key) => this.readTags(run, [key]).get(key));
    return { info: run.info, metrics, params, tags, datasets: needs.datasets ? this.readDatasetInputs(run) : [] };
  }
}

/**
 * A Map that reads a key the first time `get`/`has` asks for it, and only keys in `allowed`
 * (others are absent, as in a map that was filled with just those keys). Values `set` by the
 * caller (aggregate order keys) are kept as in any Map.
 */
class LazyKeyMap<V> extends Map<string, V> {
  private readonly allowed: ReadonlySet<string>;
  private readonly load: (key: string) => V | undefined;
  private readonly tried = new Set<string>();

  constructor(allowed: Iterable<string> | undefined, load: (key: string) => V | undefined) {
    super();
    this.allowed = allowed instanceof Set ? allowed : new Set(allowed ?? []);
    this.load = load;
  }

  override get(key: string): V | undefined {
    this.fill(key);
    return super.get(key);
  }

  override has(key: string): boolean {
    this.fill(key);
    return super.has(key);
  }

  private fill(key: string): void {
    if (!this.allowed.has(key) || this.tried.has(key) || super.has(key)) return;
    this.tried.add(key);
    const v = this.load(key);
    if (v !== undefined) super.set(key, v);
  }
}

function matchesView(stage: LifecycleStage, view: ViewType): boolean {
  return view === 'all' || (view === 'active' ? stage === 'active' : stage === 'deleted');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Map → [{key, value}] sorted by key (MLflow's own order is the filesystem's). */
function mapToKv(m: Map<string, string>): KeyValue[] {
  return [...m.entries()].sort((a, b) => cmp(a[0], b[0])).map(([key, value]) => ({ key, value }));
}

/** The lines of a chunked history one at a time. */
async function* eachMetric(chunks: AsyncIterable<Metric[]>): AsyncGenerator<Metric> {
  for await (const chunk of chunks) yield* chunk;
}
