/**
 * `log-metric` requests coalesced per run. A training job with many workers (or many jobs
 * logging to one run) sends a stream of one-metric requests; answering each with its own run
 * lookup and its own append costs a dozen system calls per request, and on a busy machine the
 * requests queue up behind each other. Instead, the requests that arrive in the same turn of
 * the event loop (or while the previous batch is being written) are written together: the run
 * is looked up once, and each metric file gets one O_APPEND write holding all their lines, in
 * the order the requests arrived — so no line is lost or torn, and a line is in the file
 * before its request is answered.
 *
 * Each request keeps its own answer: the run's check (missing: 404) and the write's failure
 * (a deleted run, a full disk) are its batch's, while a metric that fails validation is
 * refused alone, exactly where the one-request path would have refused it.
 */
import type { MetricInput } from '../store/backend.js';
import { validateMetric } from '../store/validate.js';

interface Pending {
  metric: MetricInput;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Metrics per writer call at most (MLflow's log-batch limit, which a remote backend enforces). */
const CHUNK = 1000;

export interface MetricSink {
  /** throws when the run cannot be written (missing), before anything is validated */
  checkRun(runId: string): Promise<void>;
  /** appends `metrics` (already validated) to the run, in order */
  write(runId: string, metrics: MetricInput[]): Promise<void>;
}

export class MetricQueue {
  private readonly sink: MetricSink;
  private byRun = new Map<string, Pending[]>();
  private scheduled = false;
  private flushing = false;

  constructor(sink: MetricSink) {
    this.sink = sink;
  }

  /** Resolves once `metric` is written to `runId` (rejects with the error its write met). */
  add(runId: string, metric: MetricInput): Promise<void> {
    return new Promise((resolve, reject) => {
      let list = this.byRun.get(runId);
      if (!list) this.byRun.set(runId, (list = []));
      list.push({ metric, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        // after the other requests read in this poll phase have queued theirs
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      while (this.byRun.size > 0) {
        const batch = this.byRun;
        this.byRun = new Map();
        for (const [runId, list] of batch) await this.writeRun(runId, list);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeRun(runId: string, list: Pending[]): Promise<void> {
    try {
      await this.sink.checkRun(runId);
    } catch (e) {
      for (const p of list) p.reject(e);
      return;
    }
    const valid: Pending[] = [];
    for (const p of list) {
      try {
        validateMetric(p.metric);
        valid.push(p);
      } catch (e) {
        p.reject(e);
      }
    }
    for (let i = 0; i < valid.length; i += CHUNK) {
      const chunk = valid.slice(i, i + CHUNK);
      try {
        await this.sink.write(
          runId,
          chunk.map((p) => p.metric),
        );
        for (const p of chunk) p.resolve();
      } catch (e) {
        for (const p of chunk) p.reject(e);
      }
    }
  }
}
