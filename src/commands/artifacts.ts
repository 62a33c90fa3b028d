/**
 * artifacts ls / get / cat: return data, never print. Read-only on the store.
 */
import type { ArtifactEntry, ArtifactLocation, ArtifactRepository, RunEntry, TrackingReader } from '../store/backend.js';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';

const ReadableFrom = (it: AsyncIterable<Buffer>): Readable => Readable.from(it, { objectMode: false });

export interface ArtifactListing {
  run: RunEntry;
  root: ArtifactLocation;
  /** the normalised path that was listed ('' = root) */
  path: string;
  entries: ArtifactEntry[];
}

/** Artifacts of a run under `rel` (direct children, or everything with `recursive`). */
export async function listRunArtifacts(
  store: TrackingReader,
  artifacts: ArtifactRepository,
  runId: string,
  rel = '',
  recursive = false,
): Promise<ArtifactListing> {
  const run = await store.findRun(runId);
  const root = await artifacts.locate({ run });
  const entries = await artifacts.list({ run }, rel, recursive);
  return {
    run,
    root,
    path: rel
      .split('/')
      .filter((s) => s !== '' && s !== '.')
      .join('/'),
    entries,
  };
}

/**
 * One artifact file of a run as a stream of its bytes (`artifacts cat`). With `refuseBinary`
 * (a terminal), a file with a NUL byte in its first 8 KiB is refused instead: it would
 * garble the screen.
 */
export async function catArtifact(
  store: TrackingReader,
  artifacts: ArtifactRepository,
  runId: string,
  rel: string,
  opts: { refuseBinary?: boolean } = {},
): Promise<{ run: RunEntry; root: ArtifactLocation; size: number; stream: Readable }> {
  const run = await store.findRun(runId);
  const root = await artifacts.locate({ run });
  const { size, stream } = await artifacts.open({ run }, rel);
  if (!opts.refuseBinary) return { run, root, size, stream };
  const chunks = stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let seen = 0;
  let done = false;
  while (seen < 8192) {
    const r = (await chunks.next()) as IteratorResult<Buffer>;
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    seen += r.value.length;
  }
  if (Buffer.concat(head).subarray(0, 8192).includes(0)) {
    stream.destroy();
    throw new UsageError(
      `'${rel}' is a binary file (${size} bytes): redirect the output (mlr artifacts cat … > file) or use mlr artifacts get`,
      'binary-artifact',
    );
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (;;) {
      const r = (await chunks.next()) as IteratorResult<Buffer>;
      if (r.done) return;
      yield r.value;
    }
  }
  return { run, root, size, stream: ReadableFrom(rest()) };
}

export interface DownloadResult {
  run: RunEntry;
  root: ArtifactLocation;
  /** the local file or folder written */
  dest: string;
  files: number;
}

/**
 * Copy an artifact (file or folder) of a run to `<outDir>/<path>`, as MLflow's
 * download_artifacts lays it out ('.' copies the whole root into outDir). Existing files
 * are never overwritten.
 */
export async function downloadArtifact(
  store: TrackingReader,
  artifacts: ArtifactRepository,
  runId: string,
  rel: string,
  outDir: string,
): Promise<DownloadResult> {
  const run = await store.findRun(runId);
  const root = await artifacts.locate({ run });
  const { dest, files } = await artifacts.download({ run }, rel, outDir);
  return { run, root, dest, files };
}
