/**
 * `mlr doctor --fix`: turn the planned edits into actions, save everything they will
 * replace, move or remove into a backup folder outside the store, write the manifest, then
 * apply the actions one by one (each file replaced atomically: temp file + rename), noting
 * each finished action in `done.log` so `--undo` can put back exactly what was done, even
 * after a crash half-way.
 *
 * Backup layout:
 *   manifest.json           every action, in order, with hashes and the findings it fixes
 *   done.log                index of each action once it is applied
 *   store/<path>            the original bytes of replaced files, and moved-out entries
 *   removed-lines/<path>    the bad lines taken out of a metric file, with their line numbers
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MlrError, UsageError } from '../errors.js';
import { describeFsError, readBytePieces } from '../store/file/fsread.js';
import { withLock } from '../store/file/lock.js';
import { atomicWriteFile, createTemp, dropTemp, fsyncDir, publishTemp, writeAll } from '../store/file/atomic.js';
import { dumpYaml, type DumpValue } from '../store/file/yaml-dump.js';
import type { Diagnosis } from './diagnose.js';
import { publicFinding } from './diagnose.js';
import { isInside, linkOnPath, present } from './locations.js';
import { MetricBytesAnalyzer, metaBytesRead, noLongLines, type BadLine } from './scan.js';
import type { Finding, PlannedFinding } from './types.js';

export const MANIFEST = 'manifest.json';
export const DONE_LOG = 'done.log';

export type ManifestAction =
  | { action: 'move-out'; path: string; backup: string; is_dir: boolean }
  | {
      action: 'replace';
      path: string;
      backup: string;
      sha256_before: string;
      sha256_after: string;
      /** the file was a symlink to this (replaced by a regular file; --undo puts the link back) */
      symlink?: string;
    }
  | { action: 'create'; path: string; sha256_after: string }
  | {
      action: 'rewrite-metric';
      path: string;
      backup: string;
      sha256_before: string;
      /** null when no valid line was left and the file was removed */
      sha256_after: string | null;
      kept_lines: number;
      removed_lines: { line: number; text: string; reason: string }[];
      symlink?: string;
    }
  | { action: 'move'; from: string; to: string };

export interface Manifest {
  mlr_doctor_backup: 1;
  mlr_version: string;
  store: string;
  created: string;
  findings: Finding[];
  actions: (ManifestAction & { codes: string[] })[];
  undone_at?: string;
}

export interface FixOptions {
  /** backup folder to create (default: `<store>.mlr-backup/<UTC timestamp>`) */
  backupDir?: string;
  now: number;
  version: string;
}

export interface FixResult {
  backupDir: string | undefined;
  /** findings the actions repaired */
  fixed: PlannedFinding[];
  actions: ManifestAction[];
  /** actions skipped because the store changed under the doctor */
  skipped: string[];
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** sha256 of a file, read in pieces (bounded memory whatever its size). */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Relative store path with `/` separators. */
function relOf(root: string, p: string): string {
  return path.relative(root, p).split(path.sep).join('/');
}

/** Fields MLflow writes as strings even when they look like numbers. */
const ID_FIELDS = ['experiment_id', 'run_id', 'run_uuid'];

/** The bytes of a planned meta.yaml, as PyYAML would write the map. */
function metaBytes(map: Record<string, DumpValue>): Buffer {
  const out: Record<string, DumpValue> = {};
  for (const [k, v] of Object.entries(map)) {
    out[k] = ID_FIELDS.includes(k) && (typeof v === 'number' || typeof v === 'bigint') ? String(v) : v;
  }
  return Buffer.from(dumpYaml(out), 'utf8');
}

/**
 * A metric file with its bad lines taken out, in the memory of one piece (readBytePieces): the kept lines
 * go to `keepFd`, each ending in "\n"; the sha256 of the file read and of what was kept.
 * Valid lines are kept byte for byte, in order; a kept last line without newline gets one.
 */
export function repairMetricFile(
  file: string,
  keepFd: number,
  pieceBytes?: number,
): { kept: number; removed: BadLine[]; sha256Before: string; sha256After: string | null } {
  const a = new MetricBytesAnalyzer(false);
  const before = createHash('sha256');
  const after = createHash('sha256');
  const NL = Buffer.from('\n');
  let kept = 0;
  let seen = 0; // bad lines already dealt with
  let lineNo = 0;
  const r = readBytePieces(
    file,
    'metric',
    (buf, from, to) => {
      before.update(buf.subarray(from, to));
      a.feed(buf, from, to);
      const bad = a.result().bad;
      const badHere = new Set<number>();
      for (; seen < bad.length; seen++) badHere.add(bad[seen]!.line);
      // the piece's lines (only the file's last piece may end without a newline)
      for (let i = from; i < to;) {
        let j = buf.indexOf(10, i);
        if (j < 0 || j >= to) j = to;
        lineNo++;
        if (!badHere.has(lineNo)) {
          const line = buf.subarray(i, j);
          writeAll(keepFd, line);
          writeAll(keepFd, NL);
          after.update(line).update(NL);
          kept++;
        }
        i = j + 1;
      }
    },
    noLongLines,
    pieceBytes,
    Infinity,
  );
  if (!r.ok) throw Object.assign(new Error(r.error), { code: r.missing ? 'ENOENT' : 'EIO' });
  return { kept, removed: a.result().bad, sha256Before: before.digest('hex'), sha256After: kept > 0 ? after.digest('hex') : null };
}

/** Where temp files for `file` go: never inside metrics/, params/ or tags/, where MLflow reads every file as a key. */
export function tempDirFor(file: string): string {
  let d = path.dirname(file);
  for (let up = d; up !== path.dirname(up); up = path.dirname(up)) {
    const base = path.basename(up);
    if (base === 'metrics' || base === 'params' || base === 'tags') d = path.dirname(up);
  }
  return d;
}

/** Move a file or folder, across filesystems if needed (copy, then remove the original). */
export function moveEntry(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
    fs.rmSync(from, { recursive: true, force: true });
  }
  fsyncDir(path.dirname(from));
  fsyncDir(path.dirname(to));
}

/** Copy a file into the backup by the kernel (never held in memory), keeping its permission bits. */
function saveFileCopy(file: string, dest: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(file, dest, fs.constants.COPYFILE_EXCL);
  keepMode(file, dest);
}

/** Copy a file into the backup, keeping its permission bits. */
function saveCopy(file: string, dest: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, bytes, { flag: 'wx' });
  keepMode(file, dest);
}

/** Give the backup copy `dest` the permission bits of `file`. */
function keepMode(file: string, dest: string): void {
  try {
    fs.chmodSync(dest, fs.statSync(file).mode & 0o7777);
  } catch {
    // keep the default mode
  }
}

function stamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The backup folder to create: given, or `<store>.mlr-backup/<UTC timestamp>` (made unique). */
function chooseBackupDir(root: string, opts: FixOptions): string {
  let dir: string;
  if (opts.backupDir !== undefined) {
    dir = path.resolve(opts.backupDir);
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
      // an existing folder: put this backup in a timestamped folder inside it
      dir = path.join(dir, stamp(opts.now));
    }
  } else {
    dir = path.join(path.resolve(root) + '.mlr-backup', stamp(opts.now));
  }
  for (let i = 2, base = dir; fs.existsSync(dir) && fs.readdirSync(dir).length > 0; i++) dir = `${base}-${i}`;
  if (isInside(root, dir)) {
    throw new UsageError(
      `the backup folder ${dir} is inside the store: MLflow would read it as an experiment; choose a folder outside ${root}`,
      'backup-inside-store',
    );
  }
  return dir;
}

interface PlannedAction {
  act: ManifestAction & { codes: string[] };
  /** bytes to write (replace/create) */
  bytes?: Buffer;
  /** bytes the file must still hold when the action runs (replace) */
  expect?: Buffer;
  /** sha256 the metric file must still have when its rewrite runs (rewrite-metric) */
  expectHash?: string;
  /** the repaired metric file, written beside the run (rewrite-metric; none when no line is kept) */
  keepTemp?: string | undefined;
}

/** Build the ordered list of actions from a diagnosis (nothing is touched). */
function planActions(d: Diagnosis): PlannedAction[] {
  const root = d.root;
  const codes = new Map<string, Set<string>>();
  const note = (p: string, code: string): void => {
    const s = codes.get(p) ?? new Set<string>();
    s.add(code);
    codes.set(p, s);
  };
  const moveOuts = new Set<string>();
  const metrics = new Set<string>();
  const moves = new Map<string, string>();
  for (const f of d.findings) {
    for (const e of f.edits) {
      if (e.kind === 'move-out') {
        moveOuts.add(e.path);
        note(e.path, f.code);
      } else if (e.kind === 'metric') {
        metrics.add(e.file);
        note(e.file, f.code);
      } else if (e.kind === 'move') {
        moves.set(e.from, e.to);
        note(e.from, f.code);
      } else note(e.file, f.code);
    }
  }
  const outs = [...moveOuts].sort();
  const underOut = (p: string): boolean => outs.some((o) => p !== o && (p.startsWith(o + path.sep) || p === o));
  const actions: PlannedAction[] = [];
  const codesOf = (p: string): string[] => [...(codes.get(p) ?? [])].sort();
  for (const o of outs) {
    if (outs.some((x) => x !== o && o.startsWith(x + path.sep))) continue;
    const rel = relOf(root, o);
    let isDir = false;
    try {
      isDir = fs.lstatSync(o).isDirectory();
    } catch {
      continue;
    }
    actions.push({ act: { action: 'move-out', path: rel, backup: `store/${rel}`, is_dir: isDir, codes: codesOf(o) } });
  }
  for (const { meta, map } of d.planner.plannedMetas()) {
    if (underOut(meta.file)) continue;
    const bytes = metaBytes(map);
    const rel = relOf(root, meta.file);
    const before = metaBytesRead(meta);
    if (before !== undefined) {
      if (bytes.equals(before)) continue;
      actions.push({
        act: { action: 'replace', path: rel, backup: `store/${rel}`, sha256_before: sha256(before), sha256_after: sha256(bytes), codes: codesOf(meta.file) },
        bytes,
        expect: before,
      });
    } else {
      actions.push({ act: { action: 'create', path: rel, sha256_after: sha256(bytes), codes: codesOf(meta.file) }, bytes });
    }
  }
  for (const m of [...metrics].sort()) {
    if (underOut(m)) continue;
    const rel = relOf(root, m);
    actions.push({
      act: {
        action: 'rewrite-metric',
        path: rel,
        backup: `store/${rel}`,
        sha256_before: '',
        sha256_after: null,
        kept_lines: 0,
        removed_lines: [],
        codes: codesOf(m),
      },
    });
  }
  for (const [from, to] of moves) {
    if (underOut(from)) continue;
    actions.push({ act: { action: 'move', from: relOf(root, from), to: relOf(root, to), codes: codesOf(from) } });
  }
  return actions;
}

/**
 * Apply every planned repair of `d`, backing up first. Returns what was done; when there is
 * nothing to repair no backup folder is created.
 */
export function applyFixes(d: Diagnosis, opts: FixOptions): FixResult {
  const root = path.resolve(d.root);
  const planned = planActions(d);
  const fixed = d.findings.filter((f) => f.edits.length > 0);
  if (planned.length === 0) return { backupDir: undefined, fixed: [], actions: [], skipped: [] };
  const backupDir = chooseBackupDir(root, opts);
  return withLock(root, () => {
    try {
      fs.mkdirSync(backupDir, { recursive: true });
    } catch (e) {
      throw new MlrError(
        `cannot create the backup folder ${backupDir}: ${describeFsError(e as NodeJS.ErrnoException)}; nothing was changed (choose another with --backup-dir)`,
        'backup-failed',
        1,
      );
    }
    const skipped: string[] = [];
    try {
      saveBackups(root, backupDir, planned);
    } catch (e) {
      dropTemps(planned);
      if (e instanceof MlrError) throw e;
      throw new MlrError(`cannot save the backup in ${backupDir}: ${describeFsError(e as NodeJS.ErrnoException)}; nothing was changed`, 'backup-failed', 1);
    }
    const manifest: Manifest = {
      mlr_doctor_backup: 1,
      mlr_version: opts.version,
      store: root,
      created: new Date(opts.now).toISOString(),
      findings: fixed.map(publicFinding),
      actions: planned.map((p) => p.act),
    };
    writeManifest(backupDir, manifest);
    const done = fs.openSync(path.join(backupDir, DONE_LOG), 'a');
    try {
      // 2. apply, one action at a time; each finished action is logged before the next starts
      planned.forEach((pa, i) => {
        const a = pa.act;
        let why: string | undefined;
        try {
          why = applyOne(root, backupDir, pa);
          dropTemps([pa]); // an action skipped leaves its repaired copy unused
        } catch (e) {
          dropTemps(planned);
          const where = 'path' in a ? a.path : a.from;
          throw new MlrError(
            `cannot repair ${where}: ${describeFsError(e as NodeJS.ErrnoException)}. The ${i} change${i === 1 ? '' : 's'} made before it can be undone with: mlr doctor --undo ${backupDir}`,
            'fix-failed',
            1,
          );
        }
        if (why) {
          skipped.push(`${'path' in a ? a.path : a.from}: ${why}`);
          return;
        }
        fs.writeSync(done, `${i}\n`);
        fs.fsyncSync(done);
      });
    } finally {
      fs.closeSync(done);
    }
    return { backupDir, fixed, actions: planned.map((p) => p.act), skipped };
  });
}

/** Save every byte the actions will replace or remove into the backup (nothing in the store changes). */
function saveBackups(root: string, backupDir: string, planned: PlannedAction[]): void {
  for (const pa of planned) {
    const a = pa.act;
    if (a.action === 'replace' || a.action === 'rewrite-metric') {
      const link = symlinkTarget(path.join(root, a.path));
      if (link !== undefined) a.symlink = link;
    }
    if (a.action === 'replace') {
      saveCopy(path.join(root, a.path), path.join(backupDir, a.backup), pa.expect!);
    } else if (a.action === 'rewrite-metric') {
      // never held whole (a metric file can be past V8's longest string): the backup is
      // copied by the kernel, then the repair reads that copy — so what is hashed, analysed
      // and kept is exactly what was saved — and writes the kept lines to a temp file
      const file = path.join(root, a.path);
      const backup = path.join(backupDir, a.backup);
      saveFileCopy(file, backup);
      const t = createTemp(tempDirFor(file));
      let r: ReturnType<typeof repairMetricFile>;
      try {
        r = repairMetricFile(backup, t.fd);
      } catch (e) {
        fs.closeSync(t.fd);
        dropTemp(t.path);
        throw e;
      }
      fs.closeSync(t.fd);
      if (r.kept > 0) pa.keepTemp = t.path;
      else dropTemp(t.path);
      a.sha256_before = r.sha256Before;
      a.sha256_after = r.sha256After;
      a.kept_lines = r.kept;
      a.removed_lines = r.removed.map((b) => ({ line: b.line, text: Buffer.from(b.text, 'latin1').toString('utf8'), reason: b.reason }));
      pa.expectHash = r.sha256Before;
      if (r.removed.length > 0) {
        const lines = r.removed.map((b) => Buffer.concat([Buffer.from(`line ${b.line}: `), Buffer.from(b.text, 'latin1'), Buffer.from('\n')]));
        const dest = path.join(backupDir, 'removed-lines', a.path);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, Buffer.concat(lines));
      }
    }
  }
}

/** Remove the repaired metric copies that were not published. */
function dropTemps(planned: PlannedAction[]): void {
  for (const pa of planned) {
    if (pa.keepTemp) dropTemp(pa.keepTemp);
    pa.keepTemp = undefined;
  }
}

/** What a symlink at `p` points at, or undefined when `p` is not one. */
function symlinkTarget(p: string): string | undefined {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Apply one action; returns why it was skipped, or undefined when done. */
function applyOne(root: string, backupDir: string, pa: PlannedAction): string | undefined {
  const a = pa.act;
  // never through a symlinked folder: the change would land in the folder it points at
  for (const rel of a.action === 'move' ? [a.from, a.to] : [a.path]) {
    const link = linkOnPath(root, path.join(root, rel));
    if (link !== undefined) return `it is reached through the symlink ${link}; not changed`;
  }
  switch (a.action) {
    case 'move-out': {
      const from = path.join(root, a.path);
      if (!present(from)) return 'gone before it could be moved';
      moveEntry(from, path.join(backupDir, a.backup));
      return undefined;
    }
    case 'rewrite-metric': {
      const file = path.join(root, a.path);
      let now: string;
      try {
        now = sha256File(file);
      } catch {
        return 'gone before it could be repaired';
      }
      if (now !== pa.expectHash) return 'changed while the doctor ran; run mlr doctor again';
      if (pa.keepTemp) {
        publishTemp(pa.keepTemp, file);
        pa.keepTemp = undefined;
      } else {
        fs.unlinkSync(file);
        fsyncDir(path.dirname(file));
      }
      return undefined;
    }
    case 'replace': {
      const file = path.join(root, a.path);
      let now: Buffer;
      try {
        now = fs.readFileSync(file);
      } catch {
        return 'gone before it could be repaired';
      }
      if (!now.equals(pa.expect!)) return 'changed while the doctor ran; run mlr doctor again';
      if (pa.bytes) atomicWriteFile(file, pa.bytes, { tempDir: tempDirFor(file) });
      else {
        fs.unlinkSync(file);
        fsyncDir(path.dirname(file));
      }
      return undefined;
    }
    case 'create': {
      const file = path.join(root, a.path);
      if (fs.existsSync(file)) return 'appeared while the doctor ran; run mlr doctor again';
      atomicWriteFile(file, pa.bytes!);
      return undefined;
    }
    case 'move': {
      const from = path.join(root, a.from);
      const to = path.join(root, a.to);
      if (fs.existsSync(to)) return `${a.to} appeared while the doctor ran`;
      if (!fs.existsSync(from)) return 'gone before it could be moved';
      fs.renameSync(from, to);
      fsyncDir(path.dirname(from));
      fsyncDir(path.dirname(to));
      return undefined;
    }
  }
}

export function writeManifest(backupDir: string, m: Manifest): void {
  atomicWriteFile(path.join(backupDir, MANIFEST), JSON.stringify(m, null, 2) + '\n');
}
