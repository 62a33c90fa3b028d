/**
 * Shared test helpers: run the CLI in-process (`mlr`) or the BUILT binary as a child process
 * (`mlrBin`, for the few end-to-end tests that need a real process), make temporary folders
 * that are removed after the test (or the file), copy fixture stores into them, and find
 * ../shared when it exists.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { onFileFinished } from './file-cleanup.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin', 'mlr.js');
export const FIXTURE = path.join(REPO, 'fixtures', 'mlruns');
/** ../shared beside the repo (conformance data, third-party corpus); may be absent. MLR_SHARED_DIR overrides (a git worktree has no ../shared). */
export const SHARED = process.env['MLR_SHARED_DIR'] ?? path.resolve(REPO, '..', 'shared');
export const CORPUS = path.join(SHARED, 'corpus', 'real');
export const HAS_SHARED = fs.existsSync(CORPUS);

/** Store roots in the corpus: every folder named mlruns, and Ultralytics' runs/mlflow, outside artifacts. */
export function findStores(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === 'artifacts' || e.name === 'mlartifacts') continue;
    const p = path.join(dir, e.name);
    if (e.name === 'mlruns' || p.endsWith(path.join('runs', 'mlflow'))) out.push(p);
    else findStores(p, out);
  }
  return out;
}

/** mulberry32: a small seeded PRNG giving doubles in [0, 1), so a failing random test replays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fresh `mlr-<prefix>-XXXXXX` folder under os.tmpdir(), removed when the current test
 * finishes, or when the file finishes if it is made outside a test (in beforeAll or at
 * collection, for a store the whole file reads).
 */
export function tempDir(prefix = 'tmp'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlr-${prefix}-`));
  const remove = (): void => {
    try {
      removeTree(dir);
    } catch {
      // what the plain walk cannot remove (a folder left unwritable, a race): fs.rmSync's retries
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    onTestFinished(remove);
  } catch {
    // not inside a test: at collection or in beforeAll
    onFileFinished(remove);
  }
  return dir;
}

/**
 * Returns `child`, killed (SIGKILL) when the current test finishes if it is still running,
 * and waited for: nothing outlives its test or writes into a folder being removed.
 */
export function reap<T extends ChildProcess>(child: T): T {
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MlrOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

/** Variables of the machine that change what mlr prints: colour, layout, pager, config. */
const LEAKY = new Set([
  'NO_COLOR',
  'FORCE_COLOR',
  'CLICOLOR_FORCE',
  'MLR_FORCE_TTY',
  'COLUMNS',
  'LINES',
  'TERM',
  'PAGER',
  'MLR_PAGER',
  'LESS',
  'XDG_CONFIG_HOME',
]);

/** The environment `mlr` sees: this one without store variables or colour/terminal overrides, and a pinned clock, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('MLFLOW_') || LEAKY.has(k)) continue;
    env[k] = v;
  }
  env['MLR_NOW'] = '1795400000000';
  // no user mlr.config.json (~/.config/mlr/) reaches a test
  env['XDG_CONFIG_HOME'] = '/nonexistent/mlr-test-config';
  // nor is completion's cache written to ~/.cache (test/global-setup.ts)
  env['XDG_CACHE_HOME'] = '/dev/null/mlr-test-cache';
  return Object.assign(env, extra);
}

/** A stream that keeps what is written to it (as a pipe would: not a TTY). */
class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  constructor() {
    // never ask the CLI to wait for 'drain': a pipe being read as fast as it is written
    super({ highWaterMark: 1 << 30 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

// runCli sets a module-global chalk per invocation: one invocation at a time in this worker
let queue: Promise<unknown> = Promise.resolve();

/**
 * Run `mlr args…` in this process through runCli with exactly `env` (nothing inherited),
 * stdin from `input`, stdout and stderr captured. Invocations are queued, never overlapping.
 */
export function runMlr(args: string[], env: Record<string, string>, opts: { cwd?: string; input?: string; mergeStderr?: boolean } = {}): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    const stdout = new Capture();
    // mergeStderr: one stream for both, in the order written (as `2>&1` gives); stderr is then ''
    const stderr = opts.mergeStderr ? stdout : new Capture();
    const code = await runCli({
      argv: args,
      env,
      cwd: opts.cwd ?? REPO,
      stdin: Readable.from(opts.input ? [Buffer.from(opts.input)] : [], { objectMode: false }),
      stdout,
      stderr,
      signals: new EventEmitter(),
      inheritable: false,
    });
    return { code, stdout: stdout.text(), stderr: opts.mergeStderr ? '' : stderr.text() };
  };
  const r = queue.then(run, run);
  queue = r.catch(() => undefined);
  return r;
}

/**
 * Run the CLI in-process with stdout and stderr that say they are a terminal of 120 columns
 * and `rows` rows (as a real one does: colour, the pager), unlike MLR_FORCE_TTY's layout only.
 */
export function onTerminal(args: string[], env: Record<string, string> = {}, rows = 40, cwd = REPO): Promise<CliResult> {
  const capture = (): Writable & { isTTY: boolean; columns: number; rows: number; text(): string } => {
    const chunks: Buffer[] = [];
    const w = new Writable({
      highWaterMark: 1 << 30,
      write(c: Buffer, _e, done) {
        chunks.push(c);
        done();
      },
    }) as Writable & { isTTY: boolean; columns: number; rows: number; text(): string };
    w.isTTY = true;
    w.columns = 120;
    w.rows = rows;
    w.text = () => Buffer.concat(chunks).toString('utf8');
    return w;
  };
  const run = async (): Promise<CliResult> => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli({
      argv: args,
      env: cleanEnv(env),
      cwd,
      stdin: Readable.from([]),
      stdout,
      stderr,
      signals: new EventEmitter(),
      inheritable: false,
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
  const r = queue.then(run, run);
  queue = r.catch(() => undefined);
  return r;
}

/** Run `mlr args…` in-process with a clean environment (no colour, no store variables, pinned clock). */
export function mlr(args: string[], opts: MlrOptions = {}): Promise<CliResult> {
  return runMlr(args, cleanEnv(opts.env), opts);
}

/** Run the built `bin/mlr.js args…` as a child process, same environment as `mlr` (for tests that need a real process). */
export function mlrBin(args: string[], opts: MlrOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: cleanEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Copy the folder `src` to `dst` (made with its parents): files, folders and symlinks (as
 * links). Several times faster than fs.cpSync, which stats every entry more than once.
 */
export function copyTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) copyTree(s, d);
    else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
    else fs.copyFileSync(s, d);
  }
}

/**
 * Unlink a tree by its listing alone: fs.rmSync stats every entry first, and on this kind of
 * machine a syscall is dear (a fixture copy: ~55 ms this way, ~75 ms by fs.rmSync).
 */
function removeTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removeTree(p);
    else fs.unlinkSync(p);
  }
  fs.rmdirSync(dir);
}

/** A folder's entries with their bytes, read once per worker for the stores tests copy again and again. */
type Image = { name: string; entries?: Image; bytes?: Buffer; link?: string }[];
/** undefined: too big, or not only plain files, folders and links (copied by copyTree) */
const images = new Map<string, Image | undefined>();
const IMAGE_LIMIT = 16 << 20;
/** where the stores kept as images come from: folders no test writes to (a temp store may change between copies) */
const READ_ONLY_SOURCES = [path.join(REPO, 'fixtures'), path.resolve(REPO, '..', 'shared')];

function readImage(src: string, budget: { left: number }): Image | undefined {
  const out: Image = [];
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const p = path.join(src, e.name);
    if (e.isDirectory()) {
      const entries = readImage(p, budget);
      if (!entries) return undefined;
      out.push({ name: e.name, entries });
    } else if (e.isSymbolicLink()) out.push({ name: e.name, link: fs.readlinkSync(p) });
    else if (e.isFile()) {
      const bytes = fs.readFileSync(p);
      if ((budget.left -= bytes.length) < 0) return undefined;
      // only plain rw files: the copy writes them with the default mode, as copyTree's would be
      if ((fs.statSync(p).mode & 0o111) !== 0) return undefined;
      out.push({ name: e.name, bytes });
    } else return undefined;
  }
  return out;
}

function writeImage(dst: string, image: Image): void {
  fs.mkdirSync(dst);
  for (const e of image) {
    const p = path.join(dst, e.name);
    if (e.entries) writeImage(p, e.entries);
    else if (e.link !== undefined) fs.symlinkSync(e.link, p);
    else fs.writeFileSync(p, e.bytes!);
  }
}

/**
 * A fresh writable copy of a store in a temp folder (removed after the test); returns its path.
 * A store up to 16 MB is read once per worker and written from memory after that: three
 * syscalls a file instead of copyFileSync's seven (the fixture: ~20 ms instead of ~70 ms, and
 * the suite copies it ~140 times). Only stores under fixtures/ and ../shared, which no test
 * writes to, are kept: an image of a temp store could go stale.
 */
export function copyStore(src = FIXTURE): string {
  const dst = path.join(tempDir('test'), 'mlruns');
  if (!images.has(src) && READ_ONLY_SOURCES.some((d) => src.startsWith(d + path.sep))) images.set(src, readImage(src, { left: IMAGE_LIMIT }));
  const image = images.get(src);
  if (image) writeImage(dst, image);
  else copyTree(src, dst);
  return dst;
}

/** Write a small tree given as { 'a/b.txt': 'content' } under a fresh temp folder (removed after the test). */
export function writeTree(files: Record<string, string>): string {
  const dir = tempDir('tree');
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** Every file below `dir` as relative path → content (for whole-tree comparisons). */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}
