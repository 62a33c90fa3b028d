// Child process of concurrency.test.ts: logs `count` metrics into one run, one transaction
// each, as `mlr log-metric` in a loop would, through the built backend (dist/, made by
// `npm test`; plain node, no TypeScript loader). Args: db path, run id, worker, count.
import { SqliteBackend } from '../../dist/store/sqlite/backend.js';

const [file, runId, worker, count] = process.argv.slice(2);
const w = Number(worker);
const backend = new SqliteBackend({ file, artifactRoot: '/tmp/unused', cwd: process.cwd(), describe: file, trackingUri: `sqlite:///${file}` });
try {
  const writer = await backend.writer();
  for (let i = 0; i < Number(count); i++) {
    await writer.logMetrics(runId, [{ key: 'loss', value: w + i / 1000, timestamp: 1_700_000_000_000 + i, step: w * 1000 + i }]);
  }
} finally {
  await backend.close();
}
