/**
 * One pass over the store: every folder listed once, every meta.yaml and metric file read
 * once (params and tags are listed, not read). The result is a plain model of what is on
 * disk, classified (experiment, run, stray, artifacts of another store) but not judged:
 * the checks in ./checks turn it into findings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MAX_DATE_MS } from '../values.js';
import { describeFsError, joinPath, listDirOrError, readBytePieces } from '../store/file/fsread.js';
import { parseMetricLine } from '../store/file/metrics.js';
import { isYamlMap, parseYaml, type YamlMap } from '../store/file/yaml.js';
import { fastLineEnd, skipDigits } from './metric-lines.js';
import { Prefetch, type Ent, type FastLines, type PrefetchOptions, type RunFiles } from './prefetch.js';
import { duplicateOf, EXPERIMENT_ID_RE, isAcceptableKey, junkDirReason, junkFileReason, RESERVED_EXPERIMENT_DIRS, RUN_UUID_RE } from './names.js';
import type { Severity } from './types.js';

type MetaState = 'ok' | 'missing' | 'empty' | 'unparsable' | 'not-a-map' | 'unreadable';

export interface MetaRead {
  file: string;
  rel: string;
  state: MetaState;
  /** the bytes as read, kept only when they are not valid UTF-8 (see metaBytes) */
  raw?: Buffer;
  /** the text (absent when missing or unreadable) */
  text?: string;
  map?: YamlMap;
  /** the file holds merge-conflict markers */
  conflict?: boolean;
  /** parser or filesystem error, one line */
  error?: string;
}

export interface BadLine {
  /** 1-based line number */
  line: number;
  /** the line as stored (latin1-decoded, so every byte survives) */
  text: string;
  reason: string;
}

export interface MetricScan {
  key: string;
  file: string;
  rel: string;
  good: number;
  bad: BadLine[];
  /** the file has no bytes at all (MLflow: "No data found") */
  empty: boolean;
  /** the last line is valid but has no newline: the next append would glue onto it */
  unterminated: boolean;
  /** smallest and largest timestamps of the valid lines (only when asked for) */
  minTs?: number;
  maxTs?: number;
}

export interface RunScan {
  folder: string;
  dir: string;
  rel: string;
  /** the experiment folder holding it; for a misplaced run, the one it sits in place of */
  expFolder: string;
  inTrash: boolean;
  meta: MetaRead;
  metrics: MetricScan[];
  /** key files under params/ and tags/ (names only, `/`-joined) */
  paramKeys: string[];
  tagKeys: string[];
  /** the run folder holds an `artifacts/` folder */
  hasArtifacts: boolean;
}

export interface ExpScan {
  folder: string;
  dir: string;
  rel: string;
  inTrash: boolean;
  meta: MetaRead;
  runs: RunScan[];
}

/**
 * A symlinked folder where the store has experiments, runs or key folders: an alias of
 * another folder. It is reported and never scanned or repaired through (a fix through
 * `ln -s <exp> mlruns/<other id>` would rewrite the real experiment).
 */
export interface Alias {
  path: string;
  rel: string;
  /** what the link says (readlink) */
  target: string;
  where: 'root' | 'trash' | 'experiment' | 'metrics' | 'params' | 'tags';
  /** it points at the folder holding it or one above it: listing through it never ends */
  loop: boolean;
}

export type StrayWhere = 'root' | 'trash' | 'experiment' | 'run' | 'metrics' | 'params' | 'tags' | 'registry';

export interface Stray {
  path: string;
  rel: string;
  isDir: boolean;
  where: StrayWhere;
  /** why it does not belong, e.g. "a macOS Finder file" */
  reason: string;
  /** junk and duplicates are grouped in the report; other strays are listed one by one */
  kind: 'junk' | 'duplicate' | 'other';
  severity: Severity;
}

interface VersionScan {
  rel: string;
  model: string;
  version: string;
  runId: string | null;
  deleted: boolean;
}

export interface StoreScan {
  root: string;
  experiments: ExpScan[];
  /** run folders found where an experiment folder belongs (a run meta.yaml at experiment level) */
  misplacedRuns: RunScan[];
  strays: Stray[];
  aliases: Alias[];
  /** folders holding only artifacts (no meta.yaml anywhere): another store's artifact root */
  artifactOnly: string[];
  unreadable: { rel: string; error: string }[];
  invalidKeys: { rel: string; kind: 'metric' | 'param' | 'tag' }[];
  /** keys that look like Finder duplicates but differ from their original: left alone */
  lookalikes: { rel: string; original: string }[];
  versions: VersionScan[];
  registryProblems: { rel: string; error: string }[];
  runCount: number;
}

export interface ScanOptions extends PrefetchOptions {
  /** called every few hundred runs with the number scanned so far */
  onProgress?: (runs: number) => void;
}

const CONFLICT_START = /^<{7}(?: |$)/m;
const CONFLICT_END = /^>{7}(?: |$)/m;

/** True when a parsed meta.yaml is a run's, not an experiment's. */
function isRunMeta(map: YamlMap): boolean {
  return map['name'] === undefined && (map['run_id'] !== undefined || map['run_uuid'] !== undefined);
}

/** The bytes a meta.yaml held when it was read. */
export function metaBytesRead(m: MetaRead): Buffer | undefined {
  return m.raw ?? (m.text !== undefined ? Buffer.from(m.text, 'utf8') : undefined);
}

/** Read and classify one meta.yaml (`read`: its bytes or the error reading it, when already read). */
function readMeta(file: string, rel: string, read?: Buffer | NodeJS.ErrnoException): MetaRead {
  let buf: Buffer;
  try {
    if (read instanceof Error) throw read;
    buf = read ?? fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return { file, rel, state: 'missing' };
    return { file, rel, state: 'unreadable', error: describeFsError(err) };
  }
  const text = buf.toString('utf8');
  // keep bytes only when the text does not give them back: readFileSync's small buffers are
  // slices of 8 KB pool chunks, and keeping 10,000 of them would keep 80 MB
  const raw = Buffer.byteLength(text) === buf.length && Buffer.from(text).equals(buf) ? undefined : Buffer.from(buf);
  if (text.trim() === '') return { file, rel, state: 'empty', raw, text };
  if (CONFLICT_START.test(text) && CONFLICT_END.test(text)) {
    return { file, rel, state: 'unparsable', raw, text, conflict: true, error: 'merge-conflict markers' };
  }
  const parsed = parseYaml(text);
  if (parsed.errors.length > 0 || parsed.value === undefined) {
    return { file, rel, state: 'unparsable', raw, text, error: parsed.errors[0] ?? 'not YAML' };
  }
  // a file of only comments is None to PyYAML: MLflow treats it like an empty one
  if (parsed.value === null) return { file, rel, state: 'empty', raw, text };
  if (!isYamlMap(parsed.value)) return { file, rel, state: 'not-a-map', raw, text, error: 'not a YAML mapping' };
  return { file, rel, state: 'ok', raw, text, map: parsed.value };
}

/** The leading timestamp of a line fastLineEnd accepted (what Number() makes of its digits). */
function fastTimestamp(b: Buffer, s: number, n: number): number {
  const e = skipDigits(b, s, n);
  // up to 15 digits the running value is exact (< 2^53); 16 need Number's rounding
  if (e - s > 15) return Number(b.toString('latin1', s, e));
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (b[i]! - 48);
  return v;
}

/**
 * Check every line of a metric file the way MLflow 2.12/3.x parses it. A last line without
 * a newline is "torn" when it does not parse or has fewer fields than the file's other lines
 * (the tail of `1700000000000 0.25 12` cut to `1700000000000 0.25` still parses).
 */
export function analyzeMetricBytes(buf: Buffer, wantTimes: boolean): Omit<MetricScan, 'key' | 'file' | 'rel'> {
  const a = new MetricBytesAnalyzer(wantTimes);
  a.feed(buf, 0, buf.length);
  return a.result();
}

/**
 * analyzeMetricBytes fed in pieces (readBytePieces): each piece holds whole lines, and only
 * the last one may end without a newline. What it finds is what analyzeMetricBytes finds on
 * the whole file (test/doctor/metric-pieces.test.ts), in the memory of one piece.
 */
export class MetricBytesAnalyzer {
  private readonly out: Omit<MetricScan, 'key' | 'file' | 'rel'> = { good: 0, bad: [], empty: true, unterminated: false };
  private lineNo = 0;
  private fieldsSeen = 0;
  private minTs = Infinity;
  private maxTs = -Infinity;
  private readonly wantTimes: boolean;

  constructor(wantTimes: boolean) {
    this.wantTimes = wantTimes;
  }

  /** The lines of buf[s, n). */
  feed(buf: Buffer, s: number, n: number): void {
    if (n <= s) return;
    const out = this.out;
    out.empty = false;
    const wantTimes = this.wantTimes;
    const terminated = buf[n - 1] === 10;
    let i = s;
    while (i < n) {
      const start = i;
      let j = fastLineEnd(buf, start, n);
      const fast = j >= 0;
      if (!fast) {
        j = buf.indexOf(10, start);
        if (j < 0 || j > n) j = n;
      }
      const last = j === n;
      const lineNo = ++this.lineNo;
      i = j + 1;
      let fields = 3;
      let ts: number | undefined;
      if (fast) {
        if (wantTimes) ts = fastTimestamp(buf, start, n);
      } else {
        const line = buf.toString('latin1', start, j);
        const p = parseMetricLine(line);
        if (typeof p === 'string') {
          out.bad.push({ line: lineNo, text: line, reason: last ? `torn last line (no newline): ${p}` : p });
          continue;
        }
        fields = line.trim().split(' ').length;
        // a timestamp beyond 2^53 is far past what a date holds: never inferred from
        ts = typeof p.timestamp === 'bigint' ? undefined : p.timestamp;
      }
      if (last && !terminated) {
        if (this.fieldsSeen > fields) {
          const line = buf.toString('latin1', start, j);
          out.bad.push({ line: lineNo, text: line, reason: `torn last line (no newline): ${fields} fields where the other lines have ${this.fieldsSeen}` });
          continue;
        }
        out.unterminated = true;
      }
      if (fields > this.fieldsSeen) this.fieldsSeen = fields;
      out.good++;
      // a start or end time is inferred only from timestamps a date can hold (MLflow accepts
      // any integer: a negative or 20-digit one would make a nonsense start_time)
      if (ts !== undefined && ts >= 0 && ts <= MAX_DATE_MS) {
        if (ts < this.minTs) this.minTs = ts;
        if (ts > this.maxTs) this.maxTs = ts;
      }
    }
  }

  result(): Omit<MetricScan, 'key' | 'file' | 'rel'> {
    const out = this.out;
    if (this.wantTimes && out.good > 0 && Number.isFinite(this.minTs)) {
      out.minTs = this.minTs;
      out.maxTs = this.maxTs;
    }
    return out;
  }
}

/**
 * analyzeMetricBytes(buf, false) of a non-empty file whose every line countFastLines
 * accepted, from its line count alone (test/doctor/metric-bytes.test.ts checks the two agree).
 */
export function fastLinesScan(f: FastLines): Omit<MetricScan, 'key' | 'file' | 'rel'> {
  return { good: f.lines, bad: [], empty: false, unterminated: !f.terminated };
}

/** True when the run's meta.yaml cannot give start/end times, so metric timestamps are needed. */
function needsTimes(meta: MetaRead): boolean {
  if (meta.state !== 'ok' || !meta.map) return true;
  const m = meta.map;
  return typeof m['start_time'] !== 'number' || !('end_time' in m);
}

class Scanner {
  readonly out: StoreScan;
  private readonly onProgress: ((runs: number) => void) | undefined;
  private readonly opts: ScanOptions;
  /** listings made while planning the read-ahead, used (once) by the scan */
  private readonly listed = new Map<string, Ent[] | NodeJS.ErrnoException>();
  private prefetch: Prefetch | undefined;
  /** what the read-ahead found in the run folder being scanned */
  private pre: RunFiles | undefined;

  constructor(root: string, opts: ScanOptions) {
    this.out = {
      root,
      experiments: [],
      misplacedRuns: [],
      strays: [],
      aliases: [],
      artifactOnly: [],
      unreadable: [],
      invalidKeys: [],
      lookalikes: [],
      versions: [],
      registryProblems: [],
      runCount: 0,
    };
    this.onProgress = opts.onProgress;
    this.opts = opts;
  }

  rel(p: string): string {
    const root = this.out.root;
    if (p.startsWith(root) && p[root.length] === path.sep)
      return path.sep === '/'
        ? p.slice(root.length + 1)
        : p
            .slice(root.length + 1)
            .split(path.sep)
            .join('/');
    const r = path.relative(root, p);
    return r === '' ? '.' : r.split(path.sep).join('/');
  }

  list(dir: string): Ent[] | undefined {
    // each folder of a run is listed once, so what the read-ahead found is not removed from it
    const r = this.pre?.lists.get(dir) ?? this.took(this.listed, dir) ?? listDirOrError(dir);
    if (!Array.isArray(r)) {
      if (r.code !== 'ENOENT' && r.code !== 'ENOTDIR') this.out.unreadable.push({ rel: this.rel(dir), error: describeFsError(r) });
      return undefined;
    }
    return r.sort(byName);
  }

  /** The entry for `key` in `m`, removed from it (so a second look lists again). */
  private took<T>(m: Map<string, T>, key: string): T | undefined {
    const v = m.get(key);
    if (v !== undefined) m.delete(key);
    return v;
  }

  meta(file: string): MetaRead {
    const m = readMeta(file, this.rel(file), this.pre?.files.get(file));
    if (m.state === 'unreadable') this.out.unreadable.push({ rel: m.rel, error: m.error ?? 'unreadable' });
    return m;
  }

  stray(list: Stray[], p: string, isDir: boolean, where: StrayWhere, reason: string, severity: Severity = 'warning'): void {
    const kind = reason.includes('duplicate of') ? 'duplicate' : junkFileReason(path.basename(p)) || junkDirReason(path.basename(p)) ? 'junk' : 'other';
    list.push({ path: p, rel: this.rel(p), isDir, where, reason, kind, severity });
  }

  alias(p: string, where: Alias['where']): void {
    let target = '?';
    let loop = false;
    try {
      target = fs.readlinkSync(p);
      const real = fs.realpathSync(p);
      const holder = fs.realpathSync(path.dirname(p));
      loop = holder === real || holder.startsWith(real + path.sep);
    } catch {
      // a dangling link: not a loop
    }
    this.out.aliases.push({ path: p, rel: this.rel(p), target, where, loop });
  }

  /** A junk or duplicate entry among `ents` (in folder `dir`), else undefined. */
  strayReason(ent: Ent, names: ReadonlySet<string>): string | undefined {
    const junk = ent.isDir ? junkDirReason(ent.name) : junkFileReason(ent.name);
    if (junk) return junk;
    const orig = duplicateOf(ent.name, names);
    if (orig !== undefined) return `a Finder/iCloud duplicate of '${orig}'`;
    return undefined;
  }

  scan(): StoreScan {
    const plan = this.planRuns();
    const workers = Prefetch.workersFor(plan.length, this.opts);
    if (workers > 0) this.prefetch = new Prefetch(plan, workers);
    try {
      return this.scanRoot();
    } finally {
      this.prefetch?.close();
      this.prefetch = undefined;
      this.listed.clear();
    }
  }

  /**
   * The folders the scan will probably treat as runs, in the order it will visit them: every
   * folder inside an experiment-like folder of the root or of .trash. Only a guess for the
   * read-ahead (what it gets wrong is read again by the scan); the listings it makes are kept
   * for the scan, so no folder is listed twice.
   */
  private planRuns(): string[] {
    const plan: string[] = [];
    const listSorted = (dir: string): Ent[] => {
      const r = listDirOrError(dir);
      this.listed.set(dir, r);
      return Array.isArray(r) ? r.sort(byName) : [];
    };
    const experiment = (dir: string): void => {
      for (const e of listSorted(dir)) if (e.isDir && !e.isLink && !RESERVED_EXPERIMENT_DIRS.has(e.name)) plan.push(child(dir, e.name));
    };
    const root = this.out.root;
    for (const e of listSorted(root)) {
      if (!e.isDir || e.isLink) continue;
      const p = path.join(root, e.name);
      if (e.name === '.trash') {
        for (const t of listSorted(p)) if (t.isDir && !t.isLink && EXPERIMENT_ID_RE.test(t.name)) experiment(path.join(p, t.name));
      } else if (e.name !== 'models' && EXPERIMENT_ID_RE.test(e.name)) experiment(p); // not *.trash, junk or duplicates
    }
    return plan;
  }

  private scanRoot(): StoreScan {
    const root = this.out.root;
    const ents = this.list(root) ?? [];
    const names = new Set(ents.map((e) => e.name));
    for (const e of ents) {
      const p = path.join(root, e.name);
      if (!e.isDir) {
        const why = e.isFile ? this.strayReason(e, names) : undefined;
        if (why) this.stray(this.out.strays, p, false, 'root', why);
        continue;
      }
      if (e.isLink) {
        // MLflow hides *.trash names whatever they are
        if (!e.name.endsWith('.trash') || e.name === '.trash') this.alias(p, 'root');
        continue;
      }
      if (e.name === '.trash') {
        this.scanTrash(p);
        continue;
      }
      if (e.name === 'models') {
        this.scanRegistry(p);
        continue;
      }
      // MLflow hides every folder whose name ends in .trash
      if (e.name.endsWith('.trash')) continue;
      const why = this.strayReason(e, names);
      if (why) {
        this.stray(this.out.strays, p, true, 'root', why);
        continue;
      }
      if (!EXPERIMENT_ID_RE.test(e.name)) {
        this.stray(this.out.strays, p, true, 'root', 'not an experiment: its name is not a valid experiment id');
        continue;
      }
      this.scanExperimentFolder(p, e.name, false);
    }
    return this.out;
  }

  scanTrash(dir: string): void {
    const ents = this.list(dir) ?? [];
    const names = new Set(ents.map((e) => e.name));
    for (const e of ents) {
      const p = path.join(dir, e.name);
      const why = e.isDir || e.isFile ? this.strayReason(e, names) : undefined;
      if (!e.isDir) {
        if (why) this.stray(this.out.strays, p, false, 'trash', why);
        continue;
      }
      if (e.isLink) {
        this.alias(p, 'trash');
        continue;
      }
      if (why) {
        this.stray(this.out.strays, p, true, 'trash', why);
        continue;
      }
      if (!EXPERIMENT_ID_RE.test(e.name)) {
        this.stray(this.out.strays, p, true, 'trash', 'not an experiment: its name is not a valid experiment id');
        continue;
      }
      this.scanExperimentFolder(p, e.name, true);
    }
  }

  /** What a folder without meta.yaml holds, not descending into artifacts/ folders. */
  private contentsOf(dir: string, depth = 0): { meta: boolean; keys: boolean; artifacts: boolean; files: number } {
    const r = { meta: false, keys: false, artifacts: false, files: 0 };
    if (depth > 6) return r;
    for (const e of this.list(dir) ?? []) {
      if (e.isDir) {
        if (e.isLink) continue;
        if (e.name === 'artifacts') {
          r.artifacts = true;
          continue;
        }
        const sub = this.contentsOf(path.join(dir, e.name), depth + 1);
        if (e.name === 'metrics' || e.name === 'params' || e.name === 'tags') r.keys ||= sub.files > 0;
        r.meta ||= sub.meta;
        r.keys ||= sub.keys;
        r.artifacts ||= sub.artifacts;
        r.files += sub.files;
      } else {
        r.files++;
        if (e.name === 'meta.yaml' || e.name === 'trace_info.yaml') r.meta = true;
      }
    }
    return r;
  }

  scanExperimentFolder(dir: string, folder: string, inTrash: boolean): void {
    const meta = this.meta(path.join(dir, 'meta.yaml'));
    if (meta.state === 'ok' && meta.map && isRunMeta(meta.map)) {
      // a run folder placed where experiments live (seen in real stores: runs moved into .trash by hand)
      const r = this.scanRunFolder(dir, folder, folder, inTrash, meta);
      if (r.run) this.out.misplacedRuns.push(r.run);
      this.out.strays.push(...r.strays);
      return;
    }
    if (meta.state === 'missing') {
      const c = this.contentsOf(dir);
      if (!c.meta && !c.keys) {
        if (c.artifacts) this.out.artifactOnly.push(this.rel(dir));
        else
          this.stray(
            this.out.strays,
            dir,
            true,
            inTrash ? 'trash' : 'root',
            c.files === 0 ? 'an empty folder, not an experiment' : 'not an experiment: no meta.yaml and no runs',
          );
        return;
      }
    }
    const exp: ExpScan = { folder, dir, rel: this.rel(dir), inTrash, meta, runs: [] };
    const strays: Stray[] = [];
    const ents = this.list(dir) ?? [];
    const names = new Set(ents.map((e) => e.name));
    for (const e of ents) {
      const p = child(dir, e.name);
      if (!e.isDir) {
        if (e.name === 'meta.yaml') continue;
        const why = e.isFile ? this.strayReason(e, names) : undefined;
        if (why) this.stray(strays, p, false, 'experiment', why);
        continue;
      }
      if (e.isLink) {
        this.alias(p, 'experiment');
        continue;
      }
      if (RESERVED_EXPERIMENT_DIRS.has(e.name)) {
        if (e.name === 'tags') this.scanKeys(p, 'tags', strays, []);
        continue;
      }
      const why = this.strayReason(e, names);
      if (why) {
        this.stray(strays, p, true, 'experiment', why);
        continue;
      }
      const r = this.scanRunFolder(p, e.name, folder, inTrash);
      strays.push(...r.strays);
      if (r.run) exp.runs.push(r.run);
      else if (r.artifactOnly) this.out.artifactOnly.push(this.rel(p));
      else this.stray(strays, p, true, 'experiment', r.notRun ?? 'not a run');
    }
    if (meta.state === 'missing' && exp.runs.length === 0) {
      // nothing here is a run after all (only strays): the folder itself is the stray
      const c = this.contentsOf(dir);
      if (c.artifacts && !c.meta) this.out.artifactOnly.push(this.rel(dir));
      else this.stray(this.out.strays, dir, true, inTrash ? 'trash' : 'root', 'not an experiment: no meta.yaml and no runs');
      return;
    }
    this.out.strays.push(...strays);
    this.out.experiments.push(exp);
  }

  /**
   * Scan a run folder. Without a meta.yaml it is still a run when it holds params, metrics or
   * tags; a folder with only artifacts belongs to another store; anything else is a stray.
   */
  scanRunFolder(
    dir: string,
    folder: string,
    expFolder: string,
    inTrash: boolean,
    knownMeta?: MetaRead,
  ): { run?: RunScan; strays: Stray[]; artifactOnly?: boolean; notRun?: string } {
    this.pre = this.prefetch?.take(dir);
    try {
      return this.scanRun(dir, folder, expFolder, inTrash, knownMeta);
    } finally {
      this.pre = undefined;
    }
  }

  private scanRun(
    dir: string,
    folder: string,
    expFolder: string,
    inTrash: boolean,
    knownMeta?: MetaRead,
  ): { run?: RunScan; strays: Stray[]; artifactOnly?: boolean; notRun?: string } {
    const meta = knownMeta ?? this.meta(child(dir, 'meta.yaml'));
    const run: RunScan = { folder, dir, rel: this.rel(dir), expFolder, inTrash, meta, metrics: [], paramKeys: [], tagKeys: [], hasArtifacts: false };
    const strays: Stray[] = [];
    const ents = this.list(dir);
    if (!ents) {
      return meta.state === 'missing' ? { strays, notRun: 'not a run' } : { run, strays };
    }
    const names = new Set(ents.map((e) => e.name));
    const keysBefore = this.out.invalidKeys.length;
    const lookalikesBefore = this.out.lookalikes.length;
    let artifacts = false;
    let other = false;
    const wantTimes = needsTimes(meta);
    for (const e of ents) {
      const p = child(dir, e.name);
      if (!e.isDir) {
        if (e.name === 'meta.yaml') continue;
        const why = e.isFile ? this.strayReason(e, names) : undefined;
        if (why) this.stray(strays, p, false, 'run', why);
        else other = true;
        continue;
      }
      switch (e.name) {
        case 'metrics':
          this.scanKeys(p, 'metrics', strays, run.metrics, wantTimes);
          continue;
        case 'params':
          run.paramKeys = this.scanKeys(p, 'params', strays, []);
          continue;
        case 'tags':
          run.tagKeys = this.scanKeys(p, 'tags', strays, []);
          continue;
        case 'artifacts':
          artifacts = true;
          run.hasArtifacts = true;
          continue;
        case 'inputs':
        case 'outputs':
          other = true;
          continue;
      }
      const why = this.strayReason(e, names);
      if (why) this.stray(strays, p, true, 'run', why);
      else other = true;
    }
    this.out.runCount++;
    if (this.onProgress && this.out.runCount % 250 === 0) this.onProgress(this.out.runCount);
    if (meta.state !== 'missing') return { run, strays };
    const hasKeys = run.metrics.length + run.paramKeys.length + run.tagKeys.length > 0;
    if (hasKeys) return { run, strays };
    this.out.runCount--;
    // not a run after all: what was noted inside it goes with the folder
    this.out.invalidKeys.length = keysBefore;
    this.out.lookalikes.length = lookalikesBefore;
    if (artifacts && !other) return { strays: [], artifactOnly: true };
    if (ents.length === 0)
      return { strays: [], notRun: RUN_UUID_RE.test(folder) ? 'an empty run folder (no meta.yaml, no data)' : 'an empty folder, not a run' };
    return { strays: [], notRun: 'not a run: no meta.yaml, params, metrics or tags' };
  }

  /**
   * List the key files under params/, tags/ or metrics/ (recursively: `/` in a key is a
   * folder). Junk and identical duplicates become strays; metric files are read and checked.
   */
  scanKeys(dir: string, where: 'metrics' | 'params' | 'tags', strays: Stray[], metrics: MetricScan[], wantTimes = false): string[] {
    const keys: string[] = [];
    const kind = where === 'metrics' ? 'metric' : where === 'params' ? 'param' : 'tag';
    const walk = (d: string, prefix: string): void => {
      const ents = this.list(d);
      if (!ents) return;
      const names = new Set(ents.map((e) => e.name));
      for (const e of ents) {
        const p = child(d, e.name);
        const key = prefix + e.name;
        const junk = e.isDir ? junkDirReason(e.name) : junkFileReason(e.name);
        if (junk) {
          // a junk file under metrics/ makes MLflow fail on the whole run; elsewhere it shows up as a bogus key
          this.stray(strays, p, e.isDir, where, junk, where === 'metrics' ? 'error' : 'warning');
          continue;
        }
        if (e.isDir && e.isLink) {
          // MLflow's os.walk does not follow it: no keys come from it
          this.alias(p, where);
          continue;
        }
        const orig = duplicateOf(e.name, names);
        if (orig !== undefined) {
          if (sameContent(p, path.join(d, orig))) {
            // an identical copy reads fine: MLflow just shows an extra key
            this.stray(strays, p, e.isDir, where, `a Finder/iCloud duplicate of '${prefix + orig}' (identical)`);
            continue;
          }
          this.out.lookalikes.push({ rel: this.rel(p), original: prefix + orig });
        }
        if (e.isDir) {
          walk(p, key + '/');
          continue;
        }
        if (!e.isFile) continue;
        if (!isAcceptableKey(key)) this.out.invalidKeys.push({ rel: this.rel(p), kind });
        keys.push(key);
        if (where === 'metrics') {
          const fast = wantTimes ? undefined : this.pre?.fast.get(p);
          if (fast) {
            metrics.push({ key, file: p, rel: this.rel(p), ...fastLinesScan(fast) });
            continue;
          }
          const got = this.pre?.files.get(p);
          if (got instanceof Error) {
            this.out.unreadable.push({ rel: this.rel(p), error: describeFsError(got) });
            continue;
          }
          if (got) {
            metrics.push({ key, file: p, rel: this.rel(p), ...analyzeMetricBytes(got, wantTimes) });
            continue;
          }
          // read here in pieces (a big file is never held whole); a line is held whole, however long, so it is reported as it is
          const a = new MetricBytesAnalyzer(wantTimes);
          const r = readBytePieces(p, 'metric', (b, from, to) => a.feed(b, from, to), noLongLines, undefined, Infinity);
          if (!r.ok) {
            this.out.unreadable.push({ rel: this.rel(p), error: r.error });
            continue;
          }
          metrics.push({ key, file: p, rel: this.rel(p), ...a.result() });
        }
      }
    };
    walk(dir, '');
    return keys;
  }

  scanRegistry(dir: string): void {
    const ents = this.list(dir) ?? [];
    const names = new Set(ents.map((e) => e.name));
    for (const e of ents) {
      const p = path.join(dir, e.name);
      const why = e.isDir || e.isFile ? this.strayReason(e, names) : undefined;
      if (why) {
        this.stray(this.out.strays, p, e.isDir, 'registry', why);
        continue;
      }
      if (!e.isDir) continue;
      this.scanModel(p, e.name);
    }
  }

  private scanModel(dir: string, model: string): void {
    const ents = this.list(dir) ?? [];
    const names = new Set(ents.map((e) => e.name));
    const m = this.meta(path.join(dir, 'meta.yaml'));
    if (m.state !== 'ok' && m.state !== 'unreadable') {
      this.out.registryProblems.push({
        rel: m.rel,
        error: m.state === 'missing' ? 'missing' : m.state === 'empty' ? 'empty' : `not valid YAML (${m.error ?? m.state})`,
      });
    }
    for (const e of ents) {
      const p = path.join(dir, e.name);
      const why = e.isDir || e.isFile ? this.strayReason(e, names) : undefined;
      if (why) {
        this.stray(this.out.strays, p, e.isDir, 'registry', why);
        continue;
      }
      if (!e.isDir) continue;
      if (e.name === 'tags' || e.name === 'aliases') {
        this.scanRegistryKeys(p);
        continue;
      }
      const v = /^version-(\d+)$/.exec(e.name);
      if (!v) continue;
      const vents = this.list(p) ?? [];
      const vnames = new Set(vents.map((x) => x.name));
      for (const x of vents) {
        const why2 = x.isDir || x.isFile ? this.strayReason(x, vnames) : undefined;
        if (why2) this.stray(this.out.strays, path.join(p, x.name), x.isDir, 'registry', why2);
        else if (x.isDir && x.name === 'tags') this.scanRegistryKeys(path.join(p, x.name));
      }
      const vm = this.meta(path.join(p, 'meta.yaml'));
      if (vm.state !== 'ok' || !vm.map) {
        if (vm.state !== 'unreadable') {
          this.out.registryProblems.push({
            rel: vm.rel,
            error: vm.state === 'missing' ? 'missing' : vm.state === 'empty' ? 'empty' : `not valid YAML (${vm.error ?? vm.state})`,
          });
        }
        continue;
      }
      const runId = vm.map['run_id'];
      this.out.versions.push({
        rel: this.rel(p),
        model,
        version: v[1]!,
        runId: typeof runId === 'string' && runId !== '' ? runId : null,
        deleted: vm.map['current_stage'] === 'Deleted_Internal',
      });
    }
  }

  private scanRegistryKeys(dir: string): void {
    const ents = this.list(dir) ?? [];
    const names = new Set(ents.map((e) => e.name));
    for (const e of ents) {
      const p = path.join(dir, e.name);
      const junk = e.isDir ? junkDirReason(e.name) : junkFileReason(e.name);
      if (junk) {
        this.stray(this.out.strays, p, e.isDir, 'registry', junk);
        continue;
      }
      const orig = duplicateOf(e.name, names);
      if (orig !== undefined && sameContent(p, path.join(dir, orig))) {
        this.stray(this.out.strays, p, e.isDir, 'registry', `a Finder/iCloud duplicate of '${orig}' (identical)`);
      }
    }
  }
}

/** path.join for a name listed in an already normal folder (fsread.joinPath; prefetch.ts's worker builds its keys the same way). */
const child = joinPath;

function byName(a: Ent, b: Ent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** readBytePieces' long-line hook, for a reader that holds every line whole. */
export const noLongLines = (): void => {};

/** True when two files (or two folders, recursively) hold the same bytes. */
export function sameContent(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    if (sa.isDirectory() !== sb.isDirectory()) return false;
    if (!sa.isDirectory()) return sa.size === sb.size && fs.readFileSync(a).equals(fs.readFileSync(b));
    const la = fs.readdirSync(a).sort();
    const lb = fs.readdirSync(b).sort();
    if (la.length !== lb.length || la.some((n, i) => n !== lb[i])) return false;
    return la.every((n) => sameContent(path.join(a, n), path.join(b, n)));
  } catch {
    return false;
  }
}

/** Scan the store at `root` (which must exist) in one pass. */
export function scanStore(root: string, opts: ScanOptions = {}): StoreScan {
  return new Scanner(root, opts).scan();
}
