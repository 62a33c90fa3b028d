/**
 * Many processes logging into one run at once: busy timeout plus BEGIN IMMEDIATE make
 * them queue, so every row lands and none fails with "database is locked".
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openForRead, openForWrite } from '../../src/store/sqlite/db.js';
import { getRun } from '../../src/store/sqlite/read.js';
import { createRun } from '../../src/store/sqlite/write.js';
import { HAS_CONFORMANCE, cleanTemps, copyDb } from './helpers.js';

afterAll(cleanTemps);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'log-metrics-child.mjs');
const WORKERS = 8;
const PER_WORKER = 200;

function runChild(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe.skipIf(!HAS_CONFORMANCE)('concurrent writers', () => {
  it(`${WORKERS} processes × ${PER_WORKER} metric logs into one run: exactly ${WORKERS * PER_WORKER} rows`, async () => {
    const file = copyDb();
    const w = openForWrite(file);
    const runId = createRun(w, { experimentId: '1', runName: 'contended' }).run_id;
    w.close();
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runChild([file, runId, String(i), String(PER_WORKER)])));
    for (const r of results) {
      expect(r.stderr).not.toMatch(/locked/i);
      expect(r.code, r.stderr).toBe(0);
    }
    const db = openForRead(file);
    try {
      const n = db.sql.prepare('SELECT count(*) AS n FROM metrics WHERE run_uuid = ?').get(runId) as { n: bigint };
      expect(n.n).toBe(BigInt(WORKERS * PER_WORKER));
      // the latest value is the one with the highest step, whoever wrote last
      const [latest] = getRun(db, runId).data.metrics;
      expect(latest).toMatchObject({ key: 'loss', step: (WORKERS - 1) * 1000 + PER_WORKER - 1 });
    } finally {
      db.close();
    }
  }, 120_000);
});
