/**
 * Helpers for the SQLite backend's tests: where the ground truth is, and fresh copies of
 * databases in temporary folders (tests never touch the originals).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, SHARED } from '../helpers.js';

/** MLflow 2.12's SQLite conformance set, copied into fixtures/ (generated data) from shared/conformance/sqlite. */
export const CONFORMANCE_DIR = path.join(REPO, 'fixtures', 'conformance', 'sqlite');
export const CONFORMANCE_DB = path.join(CONFORMANCE_DIR, 'mlflow.db');
const CORPUS_DIR = path.join(SHARED, 'corpus', 'sqlite');
export const HAS_CONFORMANCE = fs.existsSync(CONFORMANCE_DB);
export const SKIP_REASON = `skipped: ${CONFORMANCE_DB} is absent`;

/** The three real databases of the corpus (absent: empty list). */
export function corpusDbs(): string[] {
  if (!fs.existsSync(CORPUS_DIR)) return [];
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.db'))
    .sort()
    .map((f) => path.join(CORPUS_DIR, f));
}

const temps: string[] = [];

/** A fresh folder under the OS temp dir, removed by cleanTemps(). */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-sqlite-'));
  temps.push(dir);
  return dir;
}

/** A writable copy of a database in a fresh temp folder; returns the copy's path. */
export function copyDb(src = CONFORMANCE_DB): string {
  const dst = path.join(tempDir(), path.basename(src));
  fs.copyFileSync(src, dst);
  fs.chmodSync(dst, 0o644);
  return dst;
}

/** Remove every temp folder made so far (call in afterAll). */
export function cleanTemps(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Files beside a database that SQLite would create: journals, WAL, shared memory. */
export function sidecars(file: string): string[] {
  return ['-journal', '-wal', '-shm'].map((s) => file + s).filter((f) => fs.existsSync(f));
}

/** A JSON-safe view of a value: bigints as decimal strings, non-finite numbers as MLflow's names. */
export function plain(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'bigint' ? x.toString() : typeof x === 'number' && !Number.isFinite(x) ? (Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity') : x,
    ),
  );
}
