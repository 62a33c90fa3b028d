/**
 * Shell completion's memory of a file store's runs (issue 11 item 16: a TAB answers in
 * < 150 ms). `mlr runs describe <TAB>` lists every active run's id and name; on a 1,000-run
 * store reading and parsing each meta.yaml is most of the answer's time. The cache keeps, per
 * run folder, what completion shows, with the identity of the meta.yaml it came from (inode,
 * size, mtime): a folder whose meta.yaml is unchanged is answered from the cache after one
 * stat, any other is read by the store as always. A 1.x run, whose name is its
 * `tags/mlflow.runName` file, is also keyed by that file.
 *
 * The cache is a plain hint: it lives under $XDG_CACHE_HOME/mlr/completion/ (else
 * ~/.cache), one JSON file per store root, written whole (a temp file and a rename) and only
 * when something changed; one that cannot be read or written is ignored, and it never holds
 * a run whose record has problems (those are read every time).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileRunEntry } from '../store/file/store.js';
import type { RunInfo } from '../store/types.js';

/** What completion needs of a run. */
export interface CompletionRun {
  info: Pick<RunInfo, 'run_id' | 'run_name' | 'start_time' | 'lifecycle_stage'>;
}

interface Entry {
  /** identity of the run's meta.yaml */
  k: string;
  /** identity of tags/mlflow.runName ('' when absent), for a run whose meta.yaml has no run_name */
  t?: string;
  id: string;
  name: string;
  start: number | null;
  stage: RunInfo['lifecycle_stage'];
}

interface CacheFile {
  version: number;
  root: string;
  runs: Record<string, Entry>;
}

const VERSION = 1;

function identity(file: string): string | undefined {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st?.isFile() ? `${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/** Where the cache of `root` lives (undefined when there is no home to keep it in). */
export function completionCacheFile(root: string, env: Record<string, string | undefined>): string | undefined {
  const home = env['HOME'] || os.homedir();
  const base = env['XDG_CACHE_HOME'] || (home ? path.join(home, '.cache') : undefined);
  if (!base || !path.isAbsolute(base)) return undefined;
  return path.join(base, 'mlr', 'completion', crypto.createHash('sha1').update(root).digest('hex').slice(0, 16) + '.json');
}

export class CompletionCache {
  private readonly old: Record<string, Entry>;
  private readonly fresh: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
  private changed = false;

  private readonly root: string;
  private readonly file: string | undefined;

  constructor(root: string, file: string | undefined) {
    this.root = root;
    this.file = file;
    let old: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
    try {
      const parsed = file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile) : undefined;
      if (parsed?.version === VERSION && parsed.root === root && parsed.runs && typeof parsed.runs === 'object') old = parsed.runs;
    } catch {
      // none yet, or unreadable: every run is read
    }
    this.old = old;
  }

  /** The run in `dir` (a run folder of the store): from the cache when its files are unchanged, else `read()`. */
  run(dir: string, read: () => FileRunEntry | undefined): CompletionRun | undefined {
    // concatenated, not path.join'd: a thousand normalisations are a visible part of a TAB
    const meta = dir + path.sep + 'meta.yaml';
    const tag = dir + path.sep + 'tags' + path.sep + 'mlflow.runName';
    const key = identity(meta);
    const hit = key === undefined ? undefined : this.old[dir];
    if (hit && hit.k === key && (hit.t === undefined || hit.t === (identity(tag) ?? ''))) {
      this.fresh[dir] = hit;
      return { info: { run_id: hit.id, run_name: hit.name, start_time: hit.start, lifecycle_stage: hit.stage } };
    }
    const run = read();
    if (!run || run.broken || key === undefined) return run;
    // the file changed between the stat and the read: keep nothing for it
    if (identity(meta) !== key) return run;
    const start = run.info.start_time === null ? null : Number(run.info.start_time);
    const entry: Entry = { k: key, id: run.info.run_id, name: run.info.run_name, start, stage: run.info.lifecycle_stage };
    if (run.nameFromTag) entry.t = identity(tag) ?? '';
    this.fresh[dir] = entry;
    this.changed = true;
    return run;
  }

  /** Write what this completion saw, when it differs from what was cached (runs added, changed or gone). */
  save(): void {
    if (!this.file) return;
    if (!this.changed && Object.keys(this.fresh).length === Object.keys(this.old).length) return;
    const body: CacheFile = { version: VERSION, root: this.root, runs: this.fresh };
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch {
      // a hint not kept: the next TAB reads the runs again
      try {
        fs.unlinkSync(tmp);
      } catch {
        // never made
      }
    }
  }
}
