/**
 * The thread of read-ahead.ts: reads the files of one request, in order, and hands them over
 * a chunk at a time (one transferred buffer of bytes, one of signatures), at most WINDOW
 * chunks ahead of what the main thread has taken. Each file is opened, its signature taken
 * from the descriptor (fstat), then read: the bytes are at least as new as the signature,
 * as the parse cache needs (cache.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { MetricSummarizer, type MetricFileSummary } from './metrics.js';
import { AHEAD_MISSING, AHEAD_SKIPPED, AHEAD_SUMMARY, type AheadAck, type AheadChunk, type AheadJob } from './read-ahead.js';

/** chunks sent and not yet taken, at most */
const WINDOW = 4;

const port = parentPort!;
const jobs: AheadJob[] = [];
/** chunks of the running job the main thread has taken; jobs it gave up */
let current = 0;
let taken = 0;
const cancelled = new Set<number>();
let wake: (() => void) | undefined;

port.on('message', (m: AheadJob | AheadAck) => {
  if ('took' in m) {
    if (m.job === current) taken = Math.max(taken, m.took);
  } else if ('cancel' in m) cancelled.add(m.cancel);
  else jobs.push(m);
  wake?.();
});

const waitFor = (ok: () => boolean): Promise<void> =>
  ok()
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        wake = () => {
          if (!ok()) return;
          wake = undefined;
          resolve();
        };
      });

let slab = Buffer.allocUnsafeSlow(1 << 20);

/** Read `file` (at most `max` bytes, a regular file) to slab[at..]; its length, or AHEAD_MISSING / AHEAD_SKIPPED. */
function readOne(file: string, at: number, max: number, sig: Float64Array, i: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? AHEAD_MISSING : AHEAD_SKIPPED;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > max) return AHEAD_SKIPPED;
    sig[i * 4] = st.ino;
    sig[i * 4 + 1] = st.size;
    sig[i * 4 + 2] = st.mtimeMs;
    sig[i * 4 + 3] = st.ctimeMs;
    let n = 0;
    for (;;) {
      if (at + n + st.size + 1 > slab.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(slab.length * 2, at + n + st.size + 1));
        slab.copy(bigger, 0, 0, at + n);
        slab = bigger;
      }
      const room = Math.min(slab.length - at - n, max + 1 - n);
      if (room <= 0) return AHEAD_SKIPPED; // grew past the limit while read
      const got = fs.readSync(fd, slab, at + n, room, null);
      n += got;
      // a read short of the room asked for, with the size read: the end, without a read of 0
      if (got === 0 || (got < room && n >= st.size)) return n;
    }
  } catch {
    return AHEAD_SKIPPED;
  } finally {
    fs.closeSync(fd);
  }
}

async function run(job: AheadJob): Promise<void> {
  const { chunk, maxBytes, names } = job;
  // the plan's paths, folder by folder, as the main thread listed them (AheadPlan.files)
  const files: string[] = [];
  const metric: boolean[] = [];
  const dirs = job.dirs.split('\0');
  dirs.pop();
  for (let d = 0; d < dirs.length; d++)
    for (let k = 0; k < names.length; k++)
      if (job.want[d * names.length + k]) {
        files.push(dirs[d] + path.sep + names[k]);
        metric.push(job.metric[k]!);
      }
  current = job.id;
  taken = 0;
  let sent = 0;
  for (let from = 0; from < files.length; from += chunk) {
    await waitFor(() => sent - taken < WINDOW || cancelled.has(job.id));
    if (cancelled.has(job.id)) break;
    const at = Date.now();
    const count = Math.min(chunk, files.length - from);
    const sig = new Float64Array(count * 4);
    const len = new Int32Array(count);
    const summaries: (MetricFileSummary | undefined)[] = [];
    let size = 0;
    for (let i = 0; i < count; i++) {
      const n = readOne(files[from + i]!, size, maxBytes, sig, i);
      if (n >= 0 && metric[from + i]) {
        // a metric file: its summary, as the reader makes it (summarizeMetricFile), not its bytes
        const m = new MetricSummarizer();
        if (n > 0) m.feed(slab.toString('utf8', size, size + n));
        summaries[i] = m.result();
        len[i] = AHEAD_SUMMARY;
        continue;
      }
      len[i] = n;
      if (n > 0) size += n;
    }
    const data = new ArrayBuffer(size);
    new Uint8Array(data).set(slab.subarray(0, size));
    const msg: AheadChunk = { job: job.id, from, at, sig, len, data, summaries };
    sent++;
    port.postMessage(msg, [sig.buffer, len.buffer, data]);
  }
  port.postMessage({ job: job.id, done: true } satisfies AheadChunk);
}

for (;;) {
  await waitFor(() => jobs.length > 0);
  const job = jobs.shift()!;
  if (cancelled.has(job.id)) port.postMessage({ job: job.id, done: true } satisfies AheadChunk);
  else await run(job);
  // ids only grow: a cancel for this job or an earlier one has nothing left to stop
  for (const c of cancelled) if (c <= job.id) cancelled.delete(c);
}
