/**
 * The file store (`mlruns/`) as a Backend: its reader, writer, registry and local
 * artifacts, each loaded on first use.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ArtifactRepository, Backend, ModelRegistry, TrackingImporter, TrackingReader, TrackingWriter } from '../backend.js';
import type { WriterOptions } from './run-writes.js';
import type { FileTrackingReader } from './reader.js';

export interface FileBackendOptions extends WriterOptions {
  /** how to name the store in messages ("./mlruns (the default …)") */
  describe: string;
  /** the tracking URI a child process should use */
  trackingUri: string;
}

export class FileBackend implements Backend {
  readonly kind = 'file' as const;
  readonly description: string;
  readonly trackingUri: string;
  readonly root: string;
  private readonly opts: FileBackendOptions;
  private readerP?: Promise<FileTrackingReader>;
  private writerP?: Promise<TrackingWriter>;
  private registryP?: Promise<ModelRegistry>;
  private artifactsP?: Promise<ArtifactRepository>;
  private hinted = false;
  /** the last check found a folder that is not a store's root: its warnings are not shown */
  private silenced = false;
  private modulesP?: Promise<[typeof import('./store.js'), typeof import('./reader.js'), typeof import('./root-check.js')]>;

  constructor(opts: FileBackendOptions) {
    this.opts = opts;
    this.root = opts.root;
    this.description = opts.describe;
    this.trackingUri = opts.trackingUri;
  }

  /** The reader (opening the store: NotFoundError when it does not exist or is not a store). */
  fileReader(): Promise<FileTrackingReader> {
    this.readerP ??= this.openReader();
    return this.readerP;
  }

  /**
   * A reader over a FileStore opened now; a folder that is not a store's root says so once
   * (issue 11 #5). Over the parse cache of a long-running process the root is checked again
   * only when it has changed (ParseCache.checkedDir), so a request opens the store for the
   * price of a stat.
   */
  private async openReader(cache?: WriterOptions['cache']): Promise<FileTrackingReader> {
    this.modulesP ??= Promise.all([import('./store.js'), import('./reader.js'), import('./root-check.js')]);
    const [{ FileStore }, { FileTrackingReader }, { misplacedReadHint }] = await this.modulesP;
    const check = (): void => {
      const looks = existsSync(this.root) && FileStore.looksLikeStore(this.root);
      const hint = misplacedReadHint(this.root, this.opts.cwd, looks);
      FileStore.open(this.root, this.description);
      if (hint && !this.hinted) this.opts.warn?.(hint);
      this.hinted ||= hint !== undefined;
      this.silenced = hint !== undefined;
    };
    if (cache) cache.checkedDir('read', this.root, check);
    else check();
    return new FileTrackingReader(new FileStore(this.root, cache), { silenced: this.silenced });
  }

  reader(): Promise<TrackingReader> {
    return this.fileReader();
  }

  /**
   * A reader of the store as it is now: a new FileStore over the shared parse cache (when
   * the backend was opened with one), so unchanged files cost a stat (a Map lookup where a
   * watch covers them) and changed ones are read again.
   */
  async freshReader(): Promise<TrackingReader> {
    return this.openReader(this.opts.cache);
  }

  /** the parse cache of a long-running process (for tests), or undefined */
  get cache(): FileBackendOptions['cache'] {
    return this.opts.cache;
  }

  memo<T>(key: string, compute: () => Promise<T>, opts: { settle?: boolean } = {}): Promise<T> {
    return this.opts.cache ? this.opts.cache.memo(key, compute, opts) : compute();
  }

  writer(): Promise<TrackingWriter> {
    this.writerP ??= import('./writer.js').then(({ FileTrackingWriter }) => new FileTrackingWriter(this.opts));
    return this.writerP;
  }

  registry(): Promise<ModelRegistry> {
    this.registryP ??= (async () => {
      const [reader, { FileModelRegistry }] = await Promise.all([this.fileReader(), import('./registry.js')]);
      return new FileModelRegistry(this.root, reader.problems, this.opts.now, { asyncLock: this.opts.asyncLock ?? false });
    })();
    return this.registryP;
  }

  artifacts(): Promise<ArtifactRepository> {
    this.artifactsP ??= (async () => {
      const [{ LocalArtifactRepository }, { fileRun }, { loggedModelDir }] = await Promise.all([
        import('../artifacts/repository.js'),
        import('./reader.js'),
        import('./registry.js'),
      ]);
      return new LocalArtifactRepository({
        ctx: { root: this.root, cwd: this.opts.cwd },
        runFolder: (run) => {
          const dir = fileRun(run).dir;
          return { path: path.join(dir, 'artifacts'), usable: existsSync(dir) };
        },
        loggedModelDir,
        experimentLocation: (run) => run.exp.experiment.artifact_location,
      });
    })();
    return this.artifactsP;
  }

  async importer(): Promise<TrackingImporter> {
    const { mkdirSync } = await import('node:fs');
    const existed = existsSync(this.root);
    mkdirSync(this.root, { recursive: true });
    const { FileImporter } = await import('./import.js');
    return new FileImporter(this.root, existed);
  }

  /** A folder holds logged models in any MLflow version's layout (`<exp>/models/<model_id>/`). */
  async holdsLoggedModels(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    await this.opts.cache?.readAhead?.close();
  }
}
