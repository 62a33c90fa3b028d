/**
 * `mlr ui`: the web viewer's static files and the few JSON endpoints it needs beyond
 * MLflow's REST API, under /ajax-api/mlr/. Each endpoint goes through the same commands and
 * store interface as the CLI (`runs ls` → its selection, order, tree and run table; `models ls` → listModels, …), so the
 * page shows what the CLI prints. Errors are answered as {error_code, message} with the
 * CLI's own message (a bad filter keeps its caret line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlrError, NotFoundError, UsageError } from '../errors.js';
import type { Backend, RunEntry, TrackingReader } from '../store/backend.js';
import type { AggregateQuery, TreeRow } from '../commands/table-controls.js';
import type { ColumnSpec } from '../commands/run-table.js';
import type { ViewType } from '../store/types.js';
import { artifactFile } from './artifacts.js';
import { HANDLED, type RequestContext } from './context.js';
import { ApiError } from './errors.js';

/** The built page (index.html, app.js, app.css) in memory, by request path. */
export interface UiAssets {
  files: Map<string, { type: string; body: Buffer }>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where `npm run build` put the page: `<package>/dist/ui` (the same from dist/server and,
 * in tests, src/server). Undefined when it was not built.
 */
export function defaultUiDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '..', '..', 'dist', 'ui');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

/** Reads the page's files once, at start-up. */
export function loadUiAssets(dir: string): UiAssets {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of ['index.html', 'app.js', 'app.css']) {
    const full = path.join(dir, name);
    if (existsSync(full)) files.set('/' + name, { type: TYPES[path.extname(name)]!, body: readFileSync(full) });
  }
  const index = files.get('/index.html');
  if (!index) throw new UsageError(`the web viewer is not built: ${dir}/index.html is missing (run npm run build)`, 'ui-not-built');
  files.set('/', index);
  return { files };
}

/**
 * Reads what the first page needs (every active experiment's run list) before the URL is
 * printed, so that the first table of a 10,000-run store does not parse 10,000 meta.yaml
 * files while the user waits: a long-lived backend keeps what it parsed, checking it later.
 */
export async function warmUp(backend: Backend): Promise<void> {
  const reader = await backend.freshReader();
  await reader.listRuns(await reader.listExperiments('active'), 'active');
}

// ------------------------------------------------------------------ JSON helpers

/** Numbers the browser's JSON.parse takes: non-finite ones as the CLI writes them (nan, inf, -inf), bigints as numbers (display only). */
function plain(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}

function list(q: URLSearchParams, name: string): string[] | undefined {
  const v = q
    .getAll(name)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return v.length > 0 ? v : undefined;
}

function view(q: URLSearchParams): ViewType {
  const v = q.get('view') ?? 'active';
  if (v !== 'active' && v !== 'deleted' && v !== 'all') throw new UsageError(`view must be active, deleted or all, got '${v}'`);
  return v;
}

function int(q: URLSearchParams, name: string, dflt: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a non-negative integer, got '${v}'`);
  return Math.min(Number(v), max);
}

function num(q: URLSearchParams, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (Number.isNaN(n)) throw new UsageError(`${name} must be a number, got '${v}'`);
  return n;
}

function required(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw new UsageError(`missing query parameter '${name}'`);
  return v;
}

// ------------------------------------------------------------------ endpoints

type UiHandler = (c: RequestContext) => Promise<unknown>;

/** Experiments with their run counts and last activity (`experiments ls` + the runs of each). */
async function experiments(c: RequestContext): Promise<unknown> {
  const { listExperiments } = await import('../commands/experiments.js');
  const reader = await c.reader();
  const exps = await listExperiments(reader, view(c.query));
  const runs = await reader.listRuns(exps, 'active');
  const counts = new Map<string, { runs: number; last: number }>();
  for (const r of runs) {
    const id = r.info.experiment_id;
    const e = counts.get(id) ?? { runs: 0, last: 0 };
    e.runs++;
    const t = Number(r.info.end_time ?? r.info.start_time ?? 0);
    if (t > e.last) e.last = t;
    counts.set(id, e);
  }
  return {
    experiments: exps.map((x) => {
      const e = x.experiment;
      const n = counts.get(e.experiment_id);
      return {
        experiment_id: e.experiment_id,
        name: e.name,
        lifecycle_stage: e.lifecycle_stage,
        creation_time: e.creation_time,
        last_update_time: e.last_update_time,
        runs: n?.runs ?? 0,
        last_activity: Math.max(n?.last ?? 0, Number(e.last_update_time ?? 0)) || null,
      };
    }),
  };
}

function queryOptions(q: URLSearchParams) {
  return {
    experiments: list(q, 'experiment_ids'),
    view: view(q),
    filter: q.get('filter') || undefined,
    orderBy: q.getAll('order_by').filter((s) => s.trim() !== ''),
  };
}

/** A column key the page asks for (`params.lr`, `tags.team`), parsed as `runs ls --columns` does. */
async function columnParam(key: string) {
  const { parseColumn } = await import('../commands/run-table.js');
  return parseColumn(key);
}

/** Sorts group values: numbers as numbers (when both are), then as text; a missing value last. */
function compareGroup(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : 1;
}

interface Arranged {
  runs: RunEntry[];
  /**
   * group mode: the groups in order, each with the number of its rows listed (they follow each
   * other in `runs`) and of its runs (more than its rows when the tree folds some away)
   */
  groups?: { value: string | null; count: number; runs: number }[];
  /** tree mode: each listed run's depth, number of children and whether its children are folded */
  tree?: Map<string, { depth: number; children: number; folded: boolean }>;
}

/**
 * The runs of a table view in the order the page lists them: runs ls's order, or grouped by a
 * param or tag (the groups in value order, runs ls's order inside each), or as a parent/child
 * tree (runs ls --tree's order) less the descendants of the runs in `fold`.
 */
async function arrangedRuns(c: RequestContext): Promise<{ store: TrackingReader; query: AggregateQuery; arranged: Arranged }> {
  // what arrange() reads of the query: not the page, nor the page's or picker's columns
  const key = JSON.stringify(['ui runs', ...[...c.query.entries()].filter(([k]) => !['offset', 'limit', 'column', 'detail'].includes(k)).sort()]);
  const backend = c.services.backend;
  if (backend.memo) {
    // a long-running file store: the same view's arrangement from memory while no file it
    // read has changed (Backend.memo: never stale); the sort, filter and grouping of 10,000
    // runs are then done once per change, not once per page or poll. An aggregate order-by
    // reads whole metric histories, which the memo does not follow: computed every time.
    const store = await c.reader();
    const hasAggregates = c.query.getAll('order_by').some((o) => o.includes('('));
    if (hasAggregates) return arrange(c, store);
    const { query, arranged } = await backend.memo(
      key,
      async () => {
        const a = await arrange(c, store);
        return { query: a.query, arranged: a.arranged };
      },
      { settle: true },
    );
    return { store, query, arranged };
  }
  // elsewhere, grouping and the tree read a tag or param of every run: the pages a scroll
  // asks for at once (same query, other offsets) share one arrangement for a second
  if (!c.query.get('group') && c.query.get('tree') !== '1') return arrange(c, await c.reader());
  let cache = ARRANGED.get(c.services);
  if (!cache) ARRANGED.set(c.services, (cache = new Map()));
  const now = Date.now();
  for (const [k, v] of cache) if (now - v.at > ARRANGED_MS) cache.delete(k);
  const hit = cache.get(key);
  if (hit) return hit.value;
  const value = c.reader().then((store) => arrange(c, store));
  cache.set(key, { at: now, value });
  value.catch(() => cache.delete(key));
  return value;
}

const ARRANGED_MS = 1000;
const ARRANGED = new WeakMap<object, Map<string, { at: number; value: ReturnType<typeof arrange> }>>();

async function arrange(c: RequestContext, store: TrackingReader): Promise<{ store: TrackingReader; query: AggregateQuery; arranged: Arranged }> {
  const controls = await import('../commands/table-controls.js');
  const o = queryOptions(c.query);
  const query = await controls.compileAggregateQuery(o.filter, o.orderBy);
  const selected = await controls.selectRunsWithAggregates(store, { experiments: o.experiments, view: o.view, query });
  const groupKey = c.query.get('group');
  const treeOn = c.query.get('tree') === '1';
  const fold = new Set(list(c.query, 'fold') ?? []);
  const tree = treeOn ? new Map<string, { depth: number; children: number; folded: boolean }>() : undefined;
  // tree mode: each run's children right after it (runs ls --tree's order), less the descendants of folded runs
  const nest = (runs: readonly RunEntry[]): RunEntry[] => (tree ? nestRuns(controls.buildTree(store, runs), fold, tree) : [...runs]);
  if (groupKey) {
    const g = await columnParam(groupKey);
    if (g.kind !== 'param' && g.kind !== 'tag') throw new UsageError(`group must be a param or a tag (params.<key>, tags.<key>), got '${groupKey}'`);
    const value = (r: RunEntry): string | null => (g.kind === 'param' ? store.readParams(r, [g.name]) : store.readTags(r, [g.name])).get(g.name) ?? null;
    const byValue = new Map<string | null, RunEntry[]>();
    for (const r of selected) {
      const v = value(r);
      const list = byValue.get(v);
      if (list) list.push(r);
      else byValue.set(v, [r]);
    }
    const values = [...byValue.keys()].sort(compareGroup);
    // with the tree, each group nests its own runs: a child whose parent is in another group is at its group's top
    const shown = values.map((v) => nest(byValue.get(v)!));
    return {
      store,
      query: { ...query, columns: [...query.columns, g] },
      arranged: {
        runs: shown.flat(),
        groups: values.map((v, i) => ({ value: v, count: shown[i]!.length, runs: byValue.get(v)!.length })),
        ...(tree ? { tree } : {}),
      },
    };
  }
  if (tree) return { store, query, arranged: { runs: nest(selected), tree } };
  return { store, query, arranged: { runs: selected } };
}

/**
 * The rows of buildTree less the descendants of the runs in `fold`; each row's depth, number of
 * children and fold state go into `tree`.
 */
function nestRuns(rows: readonly TreeRow[], fold: ReadonlySet<string>, tree: Map<string, { depth: number; children: number; folded: boolean }>): RunEntry[] {
  const runs: RunEntry[] = [];
  const stack: { depth: number; id: string }[] = [];
  let hideBelow = Infinity;
  for (const row of rows) {
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= row.depth) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) tree.get(parent.id)!.children++;
    stack.push({ depth: row.depth, id: row.run.info.run_id });
    const folded = fold.has(row.run.info.run_id);
    tree.set(row.run.info.run_id, { depth: row.depth, children: 0, folded });
    if (row.depth <= hideBelow) hideBelow = Infinity;
    if (row.depth > hideBelow) continue;
    runs.push(row.run);
    if (folded) hideBelow = row.depth;
  }
  return runs;
}

/**
 * A page of `runs ls`: the rows' values keyed by column. `column` (repeated) adds columns
 * (`tags.team`); `group=params.<k>` or `tags.<k>` groups the runs (the answer lists the
 * groups), `tree=1` nests child runs under their parents (each row has its depth and number
 * of children; `fold=<ids>` hides the descendants of those runs).
 */
async function runsPage(c: RequestContext): Promise<unknown> {
  const controls = await import('../commands/table-controls.js');
  const { buildRunTable, defaultColumns } = await import('../commands/run-table.js');
  const offset = int(c.query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = int(c.query, 'limit', 100, 1000);
  const extra = await Promise.all(c.query.getAll('column').filter(Boolean).map(columnParam));
  const { store, query, arranged } = await arrangedRuns(c);
  const page = arranged.runs.slice(offset, offset + limit);
  // the page's own columns: choosing them over all runs lists 20,000 folders for 10,000 runs
  // (the columns endpoint gives those, once, for the header)
  const cols = defaultColumns(store, page, false, [...query.columns, ...extra]);
  const table = buildRunTable(store, page, cols, await controls.aggregateValues(store, page, cols));
  return {
    total: arranged.runs.length,
    offset,
    columns: cols.map((x) => ({ key: x.key, kind: x.kind, name: x.name })),
    groups: arranged.groups,
    rows: table.rows.map((r) => {
      const values: Record<string, unknown> = {};
      cols.forEach((col, i) => {
        const v = r.values[i];
        if (v !== null && v !== undefined) values[col.key] = v;
      });
      const t = arranged.tree?.get(r.run.info.run_id);
      return {
        run_id: r.run.info.run_id,
        broken: r.run.broken || undefined,
        problems: r.run.problems.length ? r.run.problems : undefined,
        ...(t ? { depth: t.depth, children: t.children, folded: t.folded || undefined } : {}),
        values,
      };
    }),
  };
}

/**
 * The default columns of `runs ls` over every matching run (the page endpoint gives the
 * page's). With `detail=1`, for the column picker: the tag columns too, and for each
 * metric, param and tag column whether its value `varies` over the runs (as `runs ls
 * --only-changed` decides: a missing value differs from any value).
 */
async function columns(c: RequestContext): Promise<unknown> {
  const { runColumns } = await import('../commands/runs.js');
  const backend = c.services.backend;
  const key = JSON.stringify(['ui columns', ...[...c.query.entries()].filter(([k]) => k !== 'offset' && k !== 'limit').sort()]);
  // once per view and change of the store (Backend.memo: never stale), not per poll or opening of the picker
  const memo = <T>(compute: () => Promise<T>): Promise<T> =>
    backend.memo && !c.query.getAll('order_by').some((o) => o.includes('(')) ? backend.memo(key, compute, { settle: true }) : compute();
  if (c.query.get('detail') !== '1') {
    const reader = await c.reader();
    return memo(async () => {
      const cols = await runColumns(async () => reader, queryOptions(c.query));
      return { columns: cols.map((x) => ({ key: x.key, kind: x.kind, name: x.name })) };
    });
  }
  // the arrangement inside: a value made from it is kept only when it was read as carefully
  return memo(async () => {
    const { store, query, arranged } = await arrangedRuns(c);
    return columnDetail(store, query, arranged.runs);
  });
}

/** The column picker's columns over `runs`, each metric, param and tag column with whether it varies. */
async function columnDetail(store: TrackingReader, query: AggregateQuery, runs: RunEntry[]): Promise<unknown> {
  const { defaultColumns } = await import('../commands/run-table.js');
  const cols = defaultColumns(store, runs, false, query.columns).filter((x) => x.kind !== 'agg');
  // a key some run lacks varies (missing differs from any value) without a file read; a key
  // every run has is read run by run until two values differ, so only the columns that are
  // the same everywhere are read in every run
  const present = new Map<string, number>();
  for (const r of runs) {
    for (const k of store.listMetricKeys(r)) present.set(`metrics.${k}`, (present.get(`metrics.${k}`) ?? 0) + 1);
    for (const k of store.listParamKeys(r)) present.set(`params.${k}`, (present.get(`params.${k}`) ?? 0) + 1);
  }
  const tags = runs.map((r) => store.readTags(r, 'all'));
  const tagKeys = new Set(tags.flatMap((t) => [...t.keys()]));
  const known = new Set(cols.map((x) => x.key));
  for (const k of [...tagKeys].sort()) if (!known.has(`tags.${k}`)) cols.push({ key: `tags.${k}`, kind: 'tag', name: k });
  const same = (a: unknown, b: unknown): boolean => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
  const varies = (x: ColumnSpec): boolean | undefined => {
    if (x.kind === 'attr' || runs.length === 0) return x.kind === 'attr' ? undefined : false;
    if (x.kind === 'tag') {
      const first = tags[0]!.get(x.name) ?? null;
      return !tags.every((t) => (t.get(x.name) ?? null) === first);
    }
    if ((present.get(x.key) ?? 0) < runs.length) return true;
    const value = (r: RunEntry): unknown =>
      x.kind === 'param' ? (store.readParams(r, [x.name]).get(x.name) ?? null) : (store.readLatestMetrics(r, [x.name]).get(x.name)?.value ?? null);
    const first = value(runs[0]!);
    for (let i = 1; i < runs.length; i++) if (!same(value(runs[i]!), first)) return true;
    return false;
  };
  return { columns: cols.map((x) => ({ key: x.key, kind: x.kind, name: x.name, varies: varies(x) })) };
}

/** One run (`runs describe`): MLflow's Run, its experiment, the models it logged, its problems. */
async function run(c: RequestContext): Promise<unknown> {
  const { describeRun } = await import('../commands/runs.js');
  const { runJson } = await import('../render/runs.js');
  const r = await describeRun(await c.reader(), await c.registry(), await c.artifacts(), required(c.query, 'run_id'));
  return {
    run: runJson(r, r.entry.problems),
    experiment: { experiment_id: r.entry.exp.experiment.experiment_id, name: r.entry.exp.experiment.name },
    models: r.models,
  };
}

/**
 * The runs of a chart view (`run_id`, repeated, up to 50): name, start, status and metric
 * keys only — no metric value is read (the charts read the histories); a run not found is
 * left out, as the page leaves out a selected run that was deleted meanwhile.
 */
async function chartRuns(c: RequestContext): Promise<unknown> {
  const ids = c.query.getAll('run_id');
  if (ids.length === 0 || ids.length > 50) throw new UsageError(`run_id must be given 1 to 50 times, got ${ids.length}`);
  const reader = await c.reader();
  const found = await Promise.all(
    ids.map((id) =>
      reader.findRun(id).then(
        (r) => r,
        (e: unknown) => {
          if (e instanceof NotFoundError) return null;
          throw e;
        },
      ),
    ),
  );
  return {
    runs: found
      .filter((r): r is RunEntry => r !== null)
      .map((r) => ({
        run_id: r.info.run_id,
        run_name: r.info.run_name,
        start_time: r.info.start_time === null ? null : Number(r.info.start_time),
        status: r.info.status,
        metrics: reader.listMetricKeys(r),
      })),
  };
}

/** A metric's whole history as numbers, in logged order, as read when the history had `stamp`. */
interface HistoryColumns {
  /** the backend it was read from (each request has its own reader) */
  owner: WeakRef<object>;
  stamp: string;
  /** points in all */
  length: number;
  /** steps, times and values, a typed array of each per chunk read, in order */
  parts: [F64, F64, F64][];
}

/**
 * The histories read last (a chart view asks for 6 metrics × 20 runs, a zoom asks for one
 * again, the next view for the same ones), least recently used first, up to
 * HISTORY_MEMO_POINTS points in all (24 bytes each): kept while the backend's stamp of the
 * history (the file store: the file's size, mtime, ctime and inode) is unchanged, so a history logged to
 * since is read again. A longer history than that is streamed and not kept.
 */
const HISTORY_MEMO_POINTS = 3_000_000;
const historyMemo = new Map<string, HistoryColumns>();
let historyMemoPoints = 0;

function rememberHistory(k: string, h: HistoryColumns | undefined): void {
  const old = historyMemo.get(k);
  if (old) {
    historyMemo.delete(k);
    historyMemoPoints -= old.length;
  }
  if (!h) return;
  historyMemo.set(k, h);
  historyMemoPoints += h.length;
  for (const [ok, o] of historyMemo) {
    if (historyMemoPoints <= HISTORY_MEMO_POINTS) break;
    historyMemo.delete(ok);
    historyMemoPoints -= o.length;
  }
}

type F64 = Float64Array<ArrayBuffer>;

/**
 * A history's steps, times and values as they are read: a typed array of each per chunk,
 * kept as they are (joining them, or doubling arrays as they filled, cost a cold 1M-point
 * read ~90 ms of fresh memory).
 */
class Columns {
  length = 0;
  readonly parts: [F64, F64, F64][] = [];
  /** columns for `n` more points, to fill */
  add(n: number): [F64, F64, F64] {
    const part: [F64, F64, F64] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    this.parts.push(part);
    this.length += n;
    return part;
  }
}

/**
 * Every point of a run's metric in logged order, to `visit`: from the memo when the
 * history is unchanged (then `all` gets the columns first, and visit is left to it), else
 * read, streamed to `visit` and kept (up to HISTORY_MEMO_POINTS points).
 */
async function eachHistoryPoint(
  owner: object,
  reader: TrackingReader,
  runId: string,
  key: string,
  all: (h: HistoryColumns) => void,
  visit: (step: number, timestamp: number, value: number) => void,
): Promise<void> {
  const run = await reader.findRun(runId);
  const k = `${runId}\u0000${key}`;
  const stamp = reader.metricHistoryStamp?.(run, key);
  const hit = historyMemo.get(k);
  if (hit && stamp !== undefined && hit.stamp === stamp && hit.owner.deref() === owner) {
    rememberHistory(k, hit); // now the most recently used
    all(hit);
    return;
  }
  const chunks = reader.metricHistory(run, key);
  let keep: Columns | null = stamp === undefined ? null : new Columns();
  for await (const chunk of chunks) {
    if (keep && keep.length + chunk.length > HISTORY_MEMO_POINTS) keep = null;
    if (!keep) {
      for (const m of chunk) visit(Number(m.step), Number(m.timestamp), m.value);
      continue;
    }
    const [steps, times, values] = keep.add(chunk.length);
    let n = 0;
    for (const m of chunk) {
      const step = Number(m.step);
      const timestamp = Number(m.timestamp);
      visit(step, timestamp, m.value);
      steps[n] = step;
      times[n] = timestamp;
      values[n++] = m.value;
    }
  }
  rememberHistory(k, keep && stamp !== undefined ? { owner: new WeakRef(owner), stamp, length: keep.length, parts: keep.parts } : undefined);
}

/**
 * Metric histories (historyOf), at most HISTORY_READERS read at once, the others
 * waiting their turn: a chart asks for many at once (6 metrics × 20 runs), and read all
 * interleaved their per-point objects outlive V8's young generation — garbage collection
 * was a third of the time (bench/RESULTS.md, scenario u). Two, not one, so a long history
 * does not hold up the rest.
 */
const HISTORY_READERS = 2;
let historyReading = 0;
const historyWaiting: (() => void)[] = [];

/** `f` once one of the HISTORY_READERS places is free (in the order asked). */
async function inTurn<T>(f: () => Promise<T>): Promise<T> {
  // a finished reader hands its place to the next in line (so no newcomer slips in between)
  if (historyReading < HISTORY_READERS) historyReading++;
  else await new Promise<void>((resolve) => historyWaiting.push(resolve));
  try {
    return await f();
  } finally {
    const next = historyWaiting.shift();
    if (next) next();
    else historyReading--;
  }
}

async function history(c: RequestContext): Promise<unknown> {
  const q = historyQuery(c.query);
  const runId = required(c.query, 'run_id');
  const key = required(c.query, 'key');
  return inTurn(() => historyOf(c, q, runId, key));
}

/**
 * One metric's histories of several runs (`run_id` repeated, up to 50), each as `history`
 * answers it, in the order asked: a chart's runs in one request, not one each (a 20-run
 * chart view made 120 requests). A run not found, or without the metric, is
 * `{ run_id, error }`. The whole batch takes one reader's turn.
 */
async function histories(c: RequestContext): Promise<unknown> {
  const q = historyQuery(c.query);
  const ids = c.query.getAll('run_id');
  if (ids.length === 0 || ids.length > 50) throw new UsageError(`run_id must be given 1 to 50 times, got ${ids.length}`);
  const key = required(c.query, 'key');
  return inTurn(async () => {
    const out: unknown[] = [];
    for (const id of ids) {
      try {
        out.push({ run_id: id, ...(await historyOf(c, q, id, key)) });
      } catch (e) {
        if (!(e instanceof MlrError) || e instanceof ApiError) throw e;
        out.push({ run_id: id, error: e.message });
      }
    }
    return { histories: out };
  });
}

interface HistoryQuery {
  max: number;
  lo: number;
  hi: number;
  weight: number;
  byTime: boolean;
}

/** The query of `history`/`histories` but for the run and key (see historyOf). */
function historyQuery(query: URLSearchParams): HistoryQuery {
  const max = int(query, 'points', 2000, 20000);
  // a zoomed chart asks again for its step range only: exact once few enough points are in it
  const lo = num(query, 'x_min', -Infinity);
  const hi = num(query, 'x_max', Infinity);
  const weight = num(query, 'smooth', 0);
  const xKind = query.get('x') ?? 'step';
  if (xKind !== 'step' && xKind !== 'time') throw new UsageError(`x must be step or time, got '${xKind}'`);
  if (!(weight >= 0 && weight < 1)) throw new UsageError(`smooth must be from 0 to 0.999, got '${query.get('smooth')}'`);
  return { max, lo, hi, weight, byTime: xKind === 'time' };
}

/**
 * A metric's history for a chart: every point when there are at most `points`, else the
 * min/max-per-bucket downsample (src/series), which keeps every spike; `x_min`/`x_max`
 * keep the steps in that range (`count` is the points in it); `smooth` is `mlr plot
 * --smooth`'s weight. `x=time` puts the points on their timestamps instead of their steps
 * (in logged order; `x_min`/`x_max` are then epoch milliseconds) and answers `times`.
 */
async function historyOf(c: RequestContext, q: HistoryQuery, runId: string, key: string): Promise<Record<string, unknown>> {
  const { MinMaxDownsampler } = await import('../series/downsample.js');
  const { max, lo, hi, weight, byTime } = q;
  // mlr plot --smooth: TensorBoard's smoothing, over every point in logged order
  const smoother = (await import('../series/smooth.js')).createSmoother(weight);
  // the range's points as numbers, while there are at most `max` of them (no object per point)
  let xs: number[] | null = [];
  const ys: number[] = [];
  const ts: number[] = [];
  const ds = new MinMaxDownsampler(Math.max(1, Math.floor(max / 4)));
  let count = 0;
  const visit = (step: number, timestamp: number, raw: number): void => {
    const value = weight > 0 ? smoother(raw) : raw;
    const x = byTime ? timestamp : step;
    if (x < lo || x > hi) return;
    count++;
    ds.push(x, value);
    if (xs) {
      xs.push(x);
      ys.push(value);
      ts.push(timestamp);
      if (xs.length > max) xs = null;
    }
  };
  await eachHistoryPoint(
    c.services.backend,
    await c.reader(),
    runId,
    key,
    (h) => {
      // every point is here: the downsampler takes the width they need at once (no merging)
      let first = NaN;
      let xMin = Infinity;
      let xMax = -Infinity;
      for (const [steps, times] of h.parts) {
        const hx = byTime ? times : steps;
        for (let i = 0; i < hx.length; i++) {
          const x = hx[i]!;
          if (!(x >= lo && x <= hi) || !Number.isFinite(x)) continue;
          if (Number.isNaN(first)) first = x;
          if (x < xMin) xMin = x;
          if (x > xMax) xMax = x;
        }
      }
      ds.reserve(first, xMin, xMax);
      for (const [steps, times, values] of h.parts) for (let i = 0; i < steps.length; i++) visit(steps[i]!, times[i]!, values[i]!);
    },
    visit,
  );
  const exact = xs?.map((x, i) => ({ step: x, value: ys[i]!, timestamp: ts[i]! })) ?? null;
  let steps: number[];
  let values: (number | null)[];
  if (exact) {
    if (!byTime) exact.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    else exact.sort((a, b) => a.step - b.step);
    steps = exact.map((p) => p.step);
    values = exact.map((p) => (Number.isFinite(p.value) ? p.value : null));
  } else {
    steps = [];
    values = [];
    for (const b of ds.buckets()) {
      if (b.finite === 0) continue;
      const mid = (b.xMin + b.xMax) / 2;
      const pts: [number, number][] = [
        [b.firstX, b.first],
        [mid, b.first <= b.last ? b.min : b.max],
        [mid, b.first <= b.last ? b.max : b.min],
        [b.lastX, b.last],
      ];
      for (const [x, y] of pts) {
        if (!Number.isFinite(x)) continue;
        steps.push(x);
        values.push(Number.isFinite(y) ? y : null);
      }
    }
  }
  return byTime ? { count, exact: exact !== null, times: steps, values } : { count, exact: exact !== null, steps, values };
}

const PREVIEW_BYTES = 256 * 1024;

/** The start of a text artifact (its first 256 KiB), or why it is not shown. */
async function preview(c: RequestContext): Promise<unknown> {
  const { full, rel } = await artifactFile(c);
  let fh;
  try {
    fh = await open(full, 'r');
  } catch {
    throw new ApiError('RESOURCE_DOES_NOT_EXIST', `No such file or directory: '${rel}'`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UsageError(`'${rel}' is a directory, not a file`);
    const buf = Buffer.alloc(Math.min(st.size, PREVIEW_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const binary = head.subarray(0, 8192).includes(0);
    const text = binary ? null : head.toString('utf8');
    // an MLmodel file, read as MLflow reads it (YAML), for the page's summary of flavors and signature
    let mlmodel: unknown;
    if (text !== null && path.posix.basename(rel) === 'MLmodel' && st.size <= bytesRead) {
      const { parseYaml, isYamlMap } = await import('../store/file/yaml.js');
      const y = parseYaml(text);
      if (isYamlMap(y.value)) mlmodel = y.value;
    }
    return { path: rel, size: st.size, truncated: st.size > bytesRead, binary, text, mlmodel };
  } finally {
    await fh.close();
  }
}

/**
 * A folder of a run's artifacts (`path=` empty for all of them) as a ZIP, streamed: the files
 * stored as they are, below a folder named after the one asked for.
 */
async function zip(c: RequestContext): Promise<unknown> {
  const { zipEntries, zipSize, writeZip } = await import('./zip.js');
  const { full, rel } = await artifactFile(c);
  let st;
  try {
    st = await stat(full);
  } catch {
    throw new ApiError('RESOURCE_DOES_NOT_EXIST', `No such file or directory: '${rel}'`);
  }
  if (!st.isDirectory()) throw new UsageError(`'${rel}' is a file, not a folder: download it as it is`);
  const base = (rel === '' ? 'artifacts' : path.posix.basename(rel)).replace(/[^A-Za-z0-9._-]/g, '_');
  const entries = await zipEntries(full, `${base}/`);
  const size = zipSize(entries);
  c.res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Length': size,
    'Content-Disposition': `attachment; filename="${base}.zip"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  try {
    await writeZip(c.res, entries);
    c.res.end();
  } catch {
    // headers are sent: a short answer (its Content-Length unmet) is all that can tell the client
    c.res.destroy();
  }
  return HANDLED;
}

/** Registered models and their versions (`models ls` / `models describe`). */
async function models(c: RequestContext): Promise<unknown> {
  const { listModels, describeModel } = await import('../commands/models.js');
  const ctx = { reader: await c.reader(), registry: await c.registry(), artifacts: await c.artifacts() };
  const out = [];
  for (const m of await listModels(ctx)) {
    const full = await describeModel(ctx, m.model.name);
    out.push({
      name: m.model.name,
      description: m.model.description,
      creation_timestamp: m.model.creation_timestamp,
      last_updated_timestamp: m.model.last_updated_timestamp,
      tags: m.model.tags,
      aliases: m.model.aliases,
      versions: full.versions.map((v) => ({ ...v.version, flavors: v.flavors, run_name: v.run_name, run_stage: v.run_stage })),
    });
  }
  return { models: out };
}

const UI_ROUTES: Record<string, UiHandler> = {
  experiments,
  runs: runsPage,
  columns,
  run,
  'chart-runs': chartRuns,
  history,
  histories,
  preview,
  zip,
  models,
};

/** The /ajax-api/mlr/<name> handler, or undefined. */
export function uiRoute(pathname: string): UiHandler | undefined {
  const m = /^\/ajax-api\/mlr\/([a-z-]+)\/?$/.exec(pathname);
  const h = m ? UI_ROUTES[m[1]!] : undefined;
  if (!h) return undefined;
  return async (c) => {
    try {
      const out = await h(c);
      return out === HANDLED ? out : plain(out);
    } catch (e) {
      // the CLI's message, whole: a filter error keeps its caret line
      if (e instanceof MlrError && !(e instanceof ApiError)) {
        throw new ApiError(e.exitCode === 1 ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_PARAMETER_VALUE', e.message, e.exitCode === 1 ? 404 : 400);
      }
      throw e;
    }
  };
}
