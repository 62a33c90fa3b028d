/**
 * MLflow's SQLite URI forms (SQLAlchemy's): three slashes and a relative path, four and an
 * absolute one; in-memory databases are refused.
 */
import { describe, expect, it } from 'vitest';
import { isSqliteUri, sqlitePathFromUri } from '../../src/store/root.js';
import { knownHead, MLFLOW_HEADS } from '../../src/store/sqlite/heads.js';

describe('sqlite: URIs', () => {
  it.each([
    ['sqlite:///mlflow.db', '/work/proj/mlflow.db'],
    ['sqlite:///data/runs/mlflow.db', '/work/proj/data/runs/mlflow.db'],
    ['sqlite:////abs/mlflow.db', '/abs/mlflow.db'],
    ['sqlite+pysqlite:////abs/mlflow.db', '/abs/mlflow.db'],
    ['sqlite:///mlflow.db?mode=ro', '/work/proj/mlflow.db'],
  ])('%s → %s', (uri, want) => {
    expect(isSqliteUri(uri)).toBe(true);
    expect(sqlitePathFromUri(uri, '/work/proj')).toBe(want);
  });

  it('refuses in-memory databases, hosts and other schemes', () => {
    expect(() => sqlitePathFromUri('sqlite://', '/w')).toThrow(/in-memory/);
    expect(() => sqlitePathFromUri('sqlite:///:memory:', '/w')).toThrow(/in-memory/);
    expect(() => sqlitePathFromUri('sqlite://host/x.db', '/w')).toThrow(/host part/);
    expect(() => sqlitePathFromUri('postgresql://x/y', '/w')).toThrow(/not a SQLite tracking URI/);
    expect(isSqliteUri('file:///tmp/mlruns')).toBe(false);
    expect(isSqliteUri('./mlruns')).toBe(false);
  });

  it("knows MLflow's chain of heads, oldest first, without repeats", () => {
    const revs = MLFLOW_HEADS.map((h) => h.revision);
    expect(new Set(revs).size).toBe(revs.length);
    expect(revs[0]).toBe('451aebb31d03');
    for (const r of ['bd07f7e963c5', 'acf3f17fdcc7', '5b0e9adcef9c', '4465047574b1', 'bf29a5ff90ea']) expect(knownHead(r), r).toBeDefined();
    expect(revs.indexOf('acf3f17fdcc7')).toBeLessThan(revs.indexOf('bf29a5ff90ea'));
    expect(knownHead('v3.2.0.a')).toBeUndefined();
  });
});
