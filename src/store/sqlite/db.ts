/**
 * Opening an MLflow tracking database (`mlflow.db`): the URI forms, the read-only and the
 * writing connection, what schema is there, and transactions.
 *
 * Reading never changes the file: the connection is read-only (`fileMustExist`), so no
 * schema upgrade, no journal-mode switch and no `-journal` file. The one exception is a hot
 * journal left by a writer killed mid-transaction: it is rolled back (as any SQLite
 * connection that may write does on its first read) and the reader is told. Every connection waits up
 * to 20 s for a lock, like MLflow's (`PRAGMA busy_timeout = 20000`), and LIKE is
 * case-sensitive as in MLflow's sessions (`PRAGMA case_sensitive_like = true`).
 * Integers come back as bigint (safeIntegers), so int64 values are exact; see rows.ts.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { MlrError, NotFoundError, StateError, UsageError } from '../../errors.js';
import { knownHead, MLFLOW_HEADS, type KnownHead } from './heads.js';

/** MLflow's busy timeout for SQLite sessions (mlflow/store/db/utils.py). */
export const BUSY_TIMEOUT_MS = 20_000;

export interface OpenOptions {
  /** told once per database whose alembic head mlr does not know */
  warn?: (message: string) => void;
}

/** An open MLflow tracking database. */
export interface MlflowDb {
  readonly sql: Database.Database;
  /** absolute path of the file */
  readonly path: string;
  /** `alembic_version.version_num`, or null when the table is empty or missing */
  readonly head: string | null;
  /** the head's entry on MLflow's chain; undefined for an unknown (newer) head */
  readonly known: KnownHead | undefined;
  readonly readonly: boolean;
  /** whether the table exists, and with `column`, whether it has that column */
  has(table: string, column?: string): boolean;
  /** a prepared statement, cached by its text */
  stmt(text: string): Database.Statement;
  close(): void;
}

class Db implements MlflowDb {
  readonly sql: Database.Database;
  readonly path: string;
  readonly head: string | null;
  readonly known: KnownHead | undefined;
  readonly readonly: boolean;
  private readonly columns: Map<string, Set<string>>;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(sql: Database.Database, file: string, readonly: boolean) {
    this.sql = sql;
    this.path = file;
    this.readonly = readonly;
    this.columns = readColumns(sql);
    this.head = this.columns.has('alembic_version') ? readHead(sql) : null;
    this.known = this.head === null ? undefined : knownHead(this.head);
  }

  has(table: string, column?: string): boolean {
    const cols = this.columns.get(table);
    return cols !== undefined && (column === undefined || cols.has(column));
  }

  stmt(text: string): Database.Statement {
    let s = this.cache.get(text);
    if (!s) {
      s = this.sql.prepare(text);
      this.cache.set(text, s);
    }
    return s;
  }

  close(): void {
    this.cache.clear();
    if (this.sql.open) this.sql.close();
  }
}

function readColumns(sql: Database.Database): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const rows = sql.prepare("SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'").all() as {
    t: string;
    c: string;
  }[];
  for (const r of rows) {
    let set = out.get(r.t);
    if (!set) out.set(r.t, (set = new Set()));
    set.add(r.c);
  }
  return out;
}

function readHead(sql: Database.Database): string | null {
  const row = sql.prepare('SELECT version_num FROM alembic_version').get() as { version_num: string } | undefined;
  return row ? row.version_num : null;
}

function connect(file: string, readonly: boolean): Database.Database {
  let sql: Database.Database;
  try {
    sql = new Database(file, { readonly, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new StateError(`cannot open ${file}: ${(e as Error).message}`, 'sqlite-open');
  }
  try {
    sql.defaultSafeIntegers(true);
    // MLflow's session pragmas (busy_timeout is the `timeout` option above); none writes
    sql.pragma('case_sensitive_like = true');
    sql.pragma('foreign_keys = ON');
  } catch (e) {
    sql.close();
    throw notADatabase(file, e);
  }
  return sql;
}

function notADatabase(file: string, e: unknown): MlrError {
  const msg = (e as Error).message;
  return new StateError(`${file} is not a SQLite database (${msg})`, 'not-sqlite');
}

/** Refuses a SQLite file that is not an MLflow tracking database (an Optuna study also has alembic_version). */
function checkMlflow(db: Db): void {
  const missing = ['experiments', 'runs'].filter((t) => !db.has(t));
  const runsOk = db.has('runs', 'run_uuid') && db.has('runs', 'experiment_id') && db.has('experiments', 'experiment_id');
  if (missing.length === 0 && runsOk) return;
  const head = db.head ? `alembic head ${db.head}, ` : '';
  const tables = listTables(db);
  db.close();
  throw new StateError(
    `${db.path} is not an MLflow tracking database: it has no MLflow ${missing.length ? missing.join(' and ') + ' table' : 'runs/experiments columns'} ` +
      `(${head}tables: ${tables.length ? tables.join(', ') : 'none'})`,
    'not-mlflow-db',
  );
}

function listTables(db: Db): string[] {
  const rows = db.sql.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  const names = rows.map((r) => r.name);
  return names.length > 8 ? [...names.slice(0, 8), '…'] : names;
}

function checkFile(file: string): void {
  if (!existsSync(file)) throw new NotFoundError(`no MLflow database at ${file}: the file does not exist`, 'store-not-found');
  if (statSync(file).isDirectory()) throw new UsageError(`${file} is a folder, not a SQLite database`, 'store-not-a-file');
}

/**
 * A connection to an existing file that is an MLflow database (else NotFoundError /
 * StateError). `onRecovered` is told when a read-only open first had to roll back what a
 * writer killed mid-transaction left in the `-journal` (a hot journal, which a read-only
 * connection cannot undo: SQLITE_READONLY_ROLLBACK).
 */
function openMlflow(file: string, readonly: boolean, onRecovered?: (message: string) => void): Db {
  const abs = path.resolve(file);
  checkFile(abs);
  const sql = connect(abs, readonly);
  let db: Db;
  try {
    db = new Db(sql, abs, readonly);
  } catch (e) {
    sql.close();
    if (readonly && (e as { code?: string }).code === 'SQLITE_READONLY_ROLLBACK') {
      rollBackHotJournal(abs, e);
      onRecovered?.(
        `${abs}: rolled back the transaction a writer left unfinished in ${path.basename(abs)}-journal (it was stopped mid-way); the database is as of its last commit`,
      );
      return openMlflow(abs, true);
    }
    throw notADatabase(abs, e);
  }
  checkMlflow(db);
  return db;
}

/**
 * What any SQLite connection that may write does on its first read of a database with a hot
 * journal (MLflow's among them): put back the pages the interrupted transaction changed, so
 * the file is as of its last commit. Only when this process can write the file.
 */
function rollBackHotJournal(file: string, cause: unknown): void {
  let rw: Database.Database | undefined;
  try {
    rw = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    rw.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    throw new StateError(
      `${file}: a writer stopped in the middle of a transaction (${path.basename(file)}-journal is still there), and it cannot be rolled back from here: ${(e as Error).message} (${(cause as Error).message})`,
      'sqlite-hot-journal',
    );
  } finally {
    rw?.close();
  }
}

/**
 * Opens a database for reading. Throws NotFoundError when the file is missing, StateError
 * when it is not an MLflow database. An unknown alembic head is read best-effort: `warn`
 * is told once.
 */
export function openForRead(file: string, opts: OpenOptions = {}): MlflowDb {
  const db = openMlflow(file, true, opts.warn);
  if (!db.known) {
    opts.warn?.(
      `${db.path}: ${db.head ? `alembic head ${db.head} is newer than mlr knows (latest known: ${MLFLOW_HEADS.at(-1)!.revision})` : 'no alembic_version recorded'}; reading it best-effort`,
    );
  }
  return db;
}

/**
 * Opens a database for writing. Refuses a database whose alembic head mlr does not know
 * (it may have columns or constraints mlr would violate). Never changes journal_mode.
 */
export function openForWrite(file: string): MlflowDb {
  const db = openMlflow(file, false);
  const abs = db.path;
  if (!db.known) {
    db.close();
    throw new StateError(
      db.head
        ? `${abs}: refusing to write: its alembic head ${db.head} is not one mlr knows (mlr knows MLflow's schema up to ${MLFLOW_HEADS.at(-1)!.revision}); write it with MLflow, or upgrade mlr`
        : `${abs}: refusing to write: it records no alembic_version, so its schema is unknown`,
      'unknown-schema',
    );
  }
  return db;
}

/**
 * Runs `fn` inside one read transaction, so every query of a command sees the same
 * snapshot. Nested calls join the outer transaction. Consume iterators inside `fn`.
 */
export function snapshot<T>(db: MlflowDb, fn: () => T): T {
  if (db.sql.inTransaction) return fn();
  db.sql.exec('BEGIN');
  try {
    const out = fn();
    db.sql.exec('COMMIT');
    return out;
  } catch (e) {
    if (db.sql.inTransaction) db.sql.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Runs `fn` in one short `BEGIN IMMEDIATE` transaction: the write lock is taken up front
 * (waiting up to the busy timeout), so concurrent writers queue instead of failing with
 * "database is locked" when they upgrade a read lock. Rolled back when `fn` throws.
 */
export function writeTransaction<T>(db: MlflowDb, fn: () => T): T {
  if (db.readonly) throw new StateError(`${db.path} is open read-only`, 'read-only');
  return db.sql.transaction(fn).immediate();
}
