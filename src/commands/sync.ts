/**
 * `mlr sync`: copy runs from one backend into another — a local store into a tracking
 * server (push), a server into a local store (pull), or any pair — with their history kept
 * exactly, and idempotently, so that a run still training can be synced again and again.
 *
 * - Experiments are matched by name and created on the target when missing (with their
 *   tags; on a local target with their source id when it is free).
 * - Runs keep their ids where the target can hold any id (the file store, SQLite). A
 *   tracking server picks its own ids: the target run then carries the source id in the tag
 *   `mlr.source_run_id`, which is how a later sync finds it again. Parent links
 *   (`mlflow.parentRunId`) are rewritten to the target's ids.
 * - What is already on the target is not sent again: params and tags it has, dataset inputs
 *   it has, artifacts of the same path and size, and for each metric the lines it already
 *   holds — the history is sent in logged order and a target's history is a prefix of the
 *   source's, so only the lines past the target's count go (batches of 1,000). A sync that
 *   was killed resumes where it stopped without duplicating a line.
 * - Status, end time and name follow the source. Nothing is ever deleted on either side.
 *   The source's one write: a local run pushed to a server records its copy's id in
 *   `mlr.synced.<host_port>` (never sent, never a change to sync), so that a re-sync asks
 *   the server for those runs by id instead of listing the experiment.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlrError, NotFoundError, UsageError } from '../errors.js';
import { compileQuery } from '../search/index.js';
import { compareNatural } from '../search/order-by.js';
import type { ArtifactEntry, Backend, ExperimentEntry, RunEntry, TrackingReader, TrackingWriter } from '../store/backend.js';
import { int64Equal } from '../store/int64.js';
import { localPathOfUri } from '../store/uri.js';
import type { DatasetInput, KeyValue, Metric } from '../store/types.js';

/** The tag a target run keeps its source run's id in, when the ids differ. */
const SOURCE_RUN_TAG = 'mlr.source_run_id';
/** The tags a local source run keeps the id of its copy on a server in: `mlr.synced.<host>`. */
const SYNCED_PREFIX = 'mlr.synced.';

/**
 * The local tag naming a server: its host and port (and path prefix, if any), every
 * character a tag key cannot hold (MLflow's `[/\w.\- ]`, and no `/` so the file store
 * keeps one file) as `_`: `http://mlflow.internal:5000` → `mlr.synced.mlflow.internal_5000`.
 */
function syncedTagKey(trackingUri: string): string {
  const u = new URL(trackingUri);
  const where = u.host + u.pathname.replace(/\/+$/, '');
  return SYNCED_PREFIX + where.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
}
const PARENT_TAG = 'mlflow.parentRunId';
const BATCH = 1000;

export interface SyncOptions {
  from: Backend;
  to: Backend;
  /** experiment ids or names of the source (default: every active experiment) */
  experiments?: string[];
  /** run ids or prefixes of the source (default: every active run of the experiments) */
  runs?: string[];
  /** a search filter over the source runs */
  filter?: string;
  /** compute what would be sent, write nothing */
  dryRun?: boolean;
  /** copy artifacts (default true) */
  artifacts?: boolean;
  /** called after each run, for a progress line */
  onProgress?: (p: SyncProgress) => void;
}

interface SyncProgress {
  runsDone: number;
  runsTotal: number;
  linesSent: number;
}

type SyncAction = 'created' | 'updated' | 'unchanged' | 'failed';

/** What sync did (or, with dryRun, would do) to one run. */
export interface SyncedRun {
  source_run_id: string;
  target_run_id: string | null;
  experiment: string;
  run_name: string;
  action: SyncAction;
  metric_lines: number;
  params: number;
  tags: number;
  artifacts: number;
  error: string | null;
}

export interface SyncResult {
  runs: SyncedRun[];
  experimentsCreated: string[];
  failed: number;
  /** something that did not fail a run but should be said (the local tags could not be written) */
  warning?: string;
}

const hasKeptIds = (b: Backend): boolean => b.kind !== 'rest';

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

async function allLines(r: TrackingReader, run: RunEntry, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  for await (const chunk of r.metricHistory(run, key)) out.push(...chunk);
  return out;
}

const datasetKey = (d: DatasetInput): string =>
  JSON.stringify([d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source, d.tags.map((t) => [t.key, t.value])]);

const cmpKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** MLflow's latest-value order: step, then timestamp, then value. */
function cmpLine(a: Metric, b: Metric): number {
  if (a.step !== b.step) return a.step < b.step ? -1 : 1;
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Whether a target whose history is a prefix of `lines` and whose latest line is `latest`
 * holds all of them, without fetching its history: true when the last line logged is
 * strictly above every other (the usual rising step) and the target's latest is that line —
 * a prefix that contains the last line is the whole history.
 */
function complete(lines: Metric[], latest: Metric | undefined): boolean {
  const last = lines[lines.length - 1];
  if (!last || !latest) return false;
  for (let i = 0; i < lines.length - 1; i++) if (cmpLine(lines[i]!, last) >= 0) return false;
  return cmpLine(latest, last) === 0 && Object.is(latest.value, last.value);
}

/** How deep each run sits below a parent of the selection (0: no parent in it). */
function depths(runs: RunEntry[], r: TrackingReader): Map<string, number> {
  const ids = new Set(runs.map((x) => x.info.run_id));
  const parent = new Map(runs.map((x) => [x.info.run_id, r.readTags(x, [PARENT_TAG]).get(PARENT_TAG)]));
  const depth = (id: string, seen = new Set<string>()): number => {
    const p = parent.get(id);
    if (p === undefined || !ids.has(p) || seen.has(p)) return 0;
    seen.add(id);
    return 1 + depth(p, seen);
  };
  return new Map(runs.map((x) => [x.info.run_id, depth(x.info.run_id)]));
}

/** Runs in flight at once (requests overlap; each run's own requests stay in order). */
const CONCURRENCY = 8;

/** MLflow's log-batch limits: at most 1,000 metrics, 100 params, 100 tags, 1,000 entities in all. */
function batches(params: KeyValue[], tags: KeyValue[], metrics: Metric[]): { params: KeyValue[]; tags: KeyValue[]; metrics: Metric[] }[] {
  const out: { params: KeyValue[]; tags: KeyValue[]; metrics: Metric[] }[] = [];
  let p = 0;
  let t = 0;
  let m = 0;
  while (p < params.length || t < tags.length || m < metrics.length) {
    const bp = params.slice(p, p + 100);
    const bt = tags.slice(t, t + 100);
    const bm = metrics.slice(m, m + Math.min(BATCH, 1000 - bp.length - bt.length));
    p += bp.length;
    t += bt.length;
    m += bm.length;
    out.push({ params: bp, tags: bt, metrics: bm });
  }
  return out;
}

/** Sync runs from `o.from` into `o.to`; failures are reported per run, not thrown. */
export async function syncRuns(o: SyncOptions): Promise<SyncResult> {
  const src = await o.from.reader();
  const dst = await o.to.freshReader();
  const writer = o.dryRun ? undefined : await o.to.writer();
  const keepIds = hasKeptIds(o.to);
  const query = o.filter !== undefined ? compileQuery({ filter: o.filter }) : undefined;

  // the source runs
  const exps = o.experiments?.length ? await Promise.all(o.experiments.map((e) => src.getExperiment(e))) : await src.listExperiments('active');
  let runs: RunEntry[];
  if (o.runs?.length) {
    runs = [];
    for (const ref of o.runs) runs.push(await src.findRun(ref));
    if (o.experiments?.length) {
      const ids = new Set(exps.map((e) => e.experiment.experiment_id));
      runs = runs.filter((r) => ids.has(r.info.experiment_id));
    }
    if (query) {
      const keep = new Set((await src.searchRuns({ experiments: exps, view: 'all', query, unordered: true })).map((r) => r.entry.info.run_id));
      runs = runs.filter((r) => keep.has(r.info.run_id));
    }
  } else if (query) {
    runs = (await src.searchRuns({ experiments: exps, view: 'active', query, unordered: true })).map((r) => r.entry);
  } else {
    runs = await src.listRuns(exps, 'active');
  }
  // MLflow's order (newest first); parents are synced before their children
  runs = [...runs].sort(compareNatural);
  const depth = depths(runs, src);

  // a local source pushed to a server records the copy's id on each run (never on a dry run)
  const localTag = o.to.kind === 'rest' && o.from.kind !== 'rest' ? syncedTagKey(o.to.trackingUri) : undefined;
  const runsOfExp = new Map<string, RunEntry[]>();
  for (const r of runs) runsOfExp.set(r.info.experiment_id, [...(runsOfExp.get(r.info.experiment_id) ?? []), r]);
  let srcWriter: Promise<TrackingWriter> | undefined;
  let tagFailure: string | undefined;

  // experiments on the target, by name (once each, however many runs ask at once)
  const experimentsCreated: string[] = [];
  const targetExp = new Map<string, Promise<string | null>>();
  const targetRuns = new Map<string, Map<string, RunEntry>>();
  const expFor = (e: ExperimentEntry): Promise<string | null> => {
    const id = e.experiment.experiment_id;
    let p = targetExp.get(id);
    if (!p) {
      p = findOrCreateExperiment(e);
      targetExp.set(id, p);
    }
    return p;
  };
  async function findOrCreateExperiment(e: ExperimentEntry): Promise<string | null> {
    const id = e.experiment.experiment_id;
    let t = await orNull(dst.getExperiment(e.experiment.name));
    if (t && t.experiment.name !== e.experiment.name) t = null; // an id that happens to equal the name
    let tid: string | null = t ? t.experiment.experiment_id : null;
    if (!t) {
      experimentsCreated.push(e.experiment.name);
      if (writer) {
        const tags = (await src.loadExperimentTags(e, 'key')).experiment.tags;
        const opts = { ...(tags.length ? { tags } : {}) };
        let made: { experiment_id: string } | undefined;
        if (keepIds) made = await writer.createExperiment(e.experiment.name, { ...opts, experimentId: id }).catch(() => undefined);
        made ??= await writer.createExperiment(e.experiment.name, opts);
        tid = made.experiment_id;
        if (keepIds && o.artifacts !== false) await makeArtifactFolder(o.to, tid);
      }
    }
    // every run already there, by its own id and by the source id it records: when each
    // source run of the experiment names its copy (the local tag), only those are asked for
    // (runs/search by run_id, 100 a request), else every run of the target experiment
    const byId = new Map<string, RunEntry>();
    if (t) {
      const named = localTag ? (runsOfExp.get(id) ?? []).map((r) => src.readTags(r, [localTag]).get(localTag)) : [];
      let found: RunEntry[];
      if (named.length > 0 && named.every((x) => x !== undefined && /^[0-9a-f]{32}$/.test(x))) {
        found = [];
        const ids = [...new Set(named as string[])];
        for (let i = 0; i < ids.length; i += 100) {
          const list = ids.slice(i, i + 100).map((x) => `'${x}'`);
          const query = compileQuery({ filter: `attributes.run_id IN (${list.join(', ')})` });
          found.push(...(await dst.searchRuns({ experiments: [t], view: 'all', query, unordered: true })).map((r) => r.entry));
        }
      } else found = await dst.listRuns([t], 'all');
      for (const r of found) {
        byId.set(r.info.run_id, r);
        const from = dst.readTags(r, [SOURCE_RUN_TAG]).get(SOURCE_RUN_TAG);
        if (from !== undefined) byId.set(from, r);
      }
    }
    if (tid !== null) targetRuns.set(tid, byId);
    return tid;
  }

  const idMap = new Map<string, string>();
  const rows: SyncedRun[] = runs.map((run) => ({
    source_run_id: run.info.run_id,
    target_run_id: null,
    experiment: run.exp.experiment.name,
    run_name: run.info.run_name,
    action: 'unchanged',
    metric_lines: 0,
    params: 0,
    tags: 0,
    artifacts: 0,
    error: null,
  }));
  let done = 0;
  let linesSent = 0;
  const levels = [...new Set(depth.values())].sort((a, b) => a - b);
  for (const level of levels) {
    const todo = runs.map((run, i) => ({ run, row: rows[i]! })).filter((x) => depth.get(x.run.info.run_id) === level);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const { run, row } = todo[next++]!;
        try {
          linesSent += await syncOne(run, row);
        } catch (e) {
          if (!(e instanceof MlrError)) throw e;
          row.action = 'failed';
          row.error = e.message.split('\n')[0]!;
        }
        done++;
        o.onProgress?.({ runsDone: done, runsTotal: runs.length, linesSent });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker));
  }
  return { runs: rows, experimentsCreated, failed: rows.filter((r) => r.action === 'failed').length, ...(tagFailure ? { warning: tagFailure } : {}) };

  async function syncOne(run: RunEntry, row: SyncedRun): Promise<number> {
    const tExp = await expFor(run.exp);
    // params, tags and inputs (not loadRun: its latest metrics would read every history once more)
    const srcParams: KeyValue[] = [...src.readParams(run, 'all')].map(([key, value]) => ({ key, value })).sort((a, b) => cmpKey(a.key, b.key));
    const allTags = src.readTags(run, 'all');
    const srcInputs = src.readDatasetInputs(run);
    // the local mapping tags are this machine's, never sent (and never a change to sync)
    const sourceTags = new Map([...allTags].filter(([k]) => !k.startsWith(SYNCED_PREFIX)).sort((a, b) => cmpKey(a[0], b[0])));
    const named = localTag ? allTags.get(localTag) : undefined;
    const parent = sourceTags.get(PARENT_TAG);
    const wantTags = new Map(sourceTags);
    if (parent !== undefined) wantTags.set(PARENT_TAG, idMap.get(parent) ?? parent);
    if (!keepIds) wantTags.set(SOURCE_RUN_TAG, run.info.run_id);

    let target = tExp === null ? undefined : targetRuns.get(tExp)?.get(run.info.run_id);
    if (!target && named !== undefined && /^[0-9a-f]{32}$/.test(named)) {
      // the copy the local tag names, wherever it is now (moved to another experiment, its
      // mlr.source_run_id deleted), unless it says it is another run's copy
      const there = (tExp === null ? undefined : targetRuns.get(tExp)?.get(named)) ?? (await orNull(dst.findRun(named)));
      const from = there ? dst.readTags(there, [SOURCE_RUN_TAG]).get(SOURCE_RUN_TAG) : undefined;
      if (there && there.info.run_id === named && (from === undefined || from === run.info.run_id)) target = there;
    }
    if (!target && keepIds) {
      // the run may be in another experiment of the target (moved): its id is taken
      const elsewhere = await orNull(dst.findRun(run.info.run_id)).catch(() => null);
      if (elsewhere && elsewhere.info.run_id === run.info.run_id) target = elsewhere;
    }

    // what the target holds: nothing but the creation's tags for a run created now
    let targetId: string;
    let haveParams = new Map<string, string>();
    let haveTags = new Map<string, string>();
    let haveKeys = new Set<string>();
    let haveInputs = new Set<string>();
    let status = 'RUNNING';
    let endTime: Metric['step'] | null = null;
    let name = run.info.run_name;
    const created = !target;
    if (!target) {
      row.action = 'created';
      if (!writer || tExp === null) {
        // dry run: everything would be sent
        row.params = srcParams.length;
        row.tags = wantTags.size;
        for (const key of src.listMetricKeys(run)) row.metric_lines += (await allLines(src, run, key)).length;
        if (o.artifacts !== false) row.artifacts = (await listFiles(o.from, run)).length;
        return 0;
      }
      // mlflow.runName is the name (a store refuses the two when they differ)
      const createTags: KeyValue[] = [...wantTags].filter(([k, v]) => k !== 'mlflow.runName' || v === name).map(([key, value]) => ({ key, value }));
      const made = await writer.createRun({
        experiment: tExp,
        ...(name ? { runName: name } : {}),
        tags: createTags,
        ...(run.info.start_time !== null ? { startTime: run.info.start_time } : {}),
        userId: run.info.user_id,
        ...(keepIds ? { runId: run.info.run_id } : {}),
      });
      targetId = made.run_id;
      name = made.run_name;
      haveTags = new Map(createTags.map((t) => [t.key, t.value]));
      row.tags = createTags.length;
    } else {
      targetId = target.info.run_id;
      haveParams = dst.readParams(target, 'all');
      haveTags = dst.readTags(target, 'all');
      haveKeys = new Set(dst.listMetricKeys(target));
      haveInputs = new Set(dst.readDatasetInputs(target).map(datasetKey));
      status = target.info.status;
      endTime = target.info.end_time;
      name = target.info.run_name;
    }
    row.target_run_id = targetId;
    idMap.set(run.info.run_id, targetId);
    if (localTag && writer && named !== targetId) await recordCopy(run.info.run_id, localTag, targetId);

    // params and tags the target lacks
    const conflict = srcParams.find((p) => haveParams.has(p.key) && haveParams.get(p.key) !== p.value);
    if (conflict)
      throw new MlrError(`param '${conflict.key}' is '${haveParams.get(conflict.key)}' on the target but '${conflict.value}' here`, 'sync-conflict');
    const params = srcParams.filter((p) => !haveParams.has(p.key));
    const tags = [...wantTags].filter(([k, v]) => haveTags.get(k) !== v).map(([key, value]) => ({ key, value }));
    row.params += params.length;
    row.tags += tags.length;

    // metric lines past what the target holds, key after key in logged order
    const fresh: Metric[] = [];
    for (const key of src.listMetricKeys(run)) {
      const lines = await allLines(src, run, key);
      const have = !haveKeys.has(key)
        ? 0
        : complete(lines, dst.readLatestMetrics(target!, [key]).get(key))
          ? lines.length
          : (await allLines(dst, target!, key)).length;
      if (have > lines.length) throw new MlrError(`metric '${key}' has ${have} lines on the target but ${lines.length} here`, 'sync-conflict');
      for (let i = have; i < lines.length; i++) fresh.push(lines[i]!);
    }
    row.metric_lines = fresh.length;
    let sent = 0;
    if (writer) {
      for (const b of batches(params, tags, fresh)) {
        await writer.logBatch(targetId, {
          params: b.params,
          tags: b.tags,
          metrics: b.metrics.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step })),
        });
        sent += b.metrics.length;
      }
    }

    // dataset inputs
    const inputs = srcInputs.filter((d) => !haveInputs.has(datasetKey(d)));
    if (writer && inputs.length) await writer.logInputs(targetId, inputs);

    // status, end time, name
    const info = run.info;
    const endDiffers = info.end_time !== null && (endTime === null || !int64Equal(endTime, info.end_time));
    if (writer && (status !== info.status || endDiffers)) {
      await writer.updateRun(targetId, { status: info.status, ...(info.end_time !== null ? { endTime: Number(info.end_time) } : {}) });
    }
    if (writer && info.run_name && name !== info.run_name) await writer.renameRun(targetId, info.run_name);
    const changed = params.length + tags.length + fresh.length + inputs.length > 0 || status !== info.status || endDiffers;

    // artifacts
    if (o.artifacts !== false) row.artifacts = await syncArtifacts(run, target ?? targetId, writer);
    if (!created && (changed || row.artifacts > 0)) row.action = 'updated';
    return sent;
  }

  /**
   * The local tag on the source run: one file written whole (renamed into place, not
   * fsynced: it caches what the server holds, so a crash that loses it costs one lookup),
   * or one row. A sync that stops before it is written finds the copy again by its
   * `mlr.source_run_id`. A source that cannot be written (read-only) is said once and does
   * not fail the run.
   */
  async function recordCopy(runId: string, key: string, targetId: string): Promise<void> {
    try {
      srcWriter ??= o.from.writer();
      await (await srcWriter).setTags(runId, [{ key, value: targetId }], { durable: false });
    } catch (e) {
      if (!(e instanceof MlrError)) throw e;
      tagFailure ??= `could not record the server's run ids on the source runs (${key}): ${e.message.split('\n')[0]!}`;
    }
  }

  async function syncArtifacts(run: RunEntry, target: RunEntry | string, w: TrackingWriter | undefined): Promise<number> {
    const files = await listFiles(o.from, run);
    if (files.length === 0) return 0;
    // a run created just now: read its record (the repository needs its artifact location)
    const entry = typeof target === 'string' ? await (await o.to.freshReader()).findRun(target) : target;
    const have = typeof target === 'string' ? new Map<string, number | null>() : new Map((await listFiles(o.to, entry)).map((f) => [f.path, f.file_size]));
    const todo = files.filter((f) => have.get(f.path) !== f.file_size);
    if (!w || todo.length === 0) return todo.length;
    const from = await o.from.artifacts();
    const to = await o.to.artifacts();
    let tmp: string | undefined;
    try {
      for (const f of todo) {
        let local = await from.localPath({ run }, f.path);
        if (local === undefined || !fs.existsSync(local)) {
          tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-sync-'));
          const dir = fs.mkdtempSync(path.join(tmp, 'f'));
          await from.download({ run }, f.path, dir);
          local = path.join(dir, ...f.path.split('/'));
        }
        const parentDir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
        await to.upload(entry, local, parentDir);
      }
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
    return todo.length;
  }
}

/**
 * A local target's new experiment gets its artifact folder, as MLflow's file store makes one:
 * uploads go below it (a run's recorded artifact folder is written only where its
 * experiment's is there, so that a stale path from another machine is never recreated).
 */
export async function makeArtifactFolder(b: Backend, expId: string): Promise<void> {
  const location = (await (await b.freshReader()).getExperiment(expId)).experiment.artifact_location;
  const dir = localPathOfUri(location, '/');
  if (dir !== undefined && path.isAbsolute(dir)) fs.mkdirSync(dir, { recursive: true });
}

/** Every file of a run's artifacts (none when it has no artifact folder). */
async function listFiles(b: Backend, run: RunEntry): Promise<ArtifactEntry[]> {
  const repo = await b.artifacts();
  try {
    return (await repo.list({ run }, '', true)).filter((f) => !f.is_dir);
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof UsageError) return [];
    throw e;
  }
}
