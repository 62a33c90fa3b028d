/**
 * Child process of concurrency.test.ts: logs `count` metrics into one run, one
 * transaction each, as `mlr log-metric` in a loop would. Args: db path, run id, worker, count.
 */
import { openForWrite } from '../../src/store/sqlite/db.js';
import { logMetrics } from '../../src/store/sqlite/write.js';

const [file, runId, worker, count] = process.argv.slice(2);
const w = Number(worker);
const db = openForWrite(file!);
try {
  for (let i = 0; i < Number(count); i++) {
    logMetrics(db, runId!, [{ key: 'loss', value: w + i / 1000, timestamp: 1_700_000_000_000 + i, step: w * 1000 + i }]);
  }
} finally {
  db.close();
}
