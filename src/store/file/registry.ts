/**
 * The file store's model registry (`<root>/models/`) and MLflow 3 entities inside
 * experiments (logged models, traces) behind the ModelRegistry interface.
 */
import { NotFoundError } from '../../errors.js';
import type { CreateVersionOptions, ExperimentEntry, LoggedModel, ModelRegistry, ModelStage, ModelVersion, RegisteredModel, TraceInfo } from '../backend.js';
import type { KeyValue, Problem } from '../types.js';
import { fileExperiment } from './reader.js';
import { validateModelName } from '../registry-rules.js';
import { listLoggedModels, listTraces, readLoggedModelMetrics, readLoggedModelParams, readLoggedModelTags, type FileLoggedModel } from './logged-models.js';
import { getRegisteredModel, listRegisteredModels, readModelVersions } from './registry-read.js';

type Writes = typeof import('./registry-write.js');

/** The folder behind a logged model record this backend handed out. */
export function loggedModelDir(m: LoggedModel): string {
  const dir = (m as Partial<FileLoggedModel>).dir;
  if (typeof dir !== 'string') throw new Error('internal: a logged model of another backend reached the file store');
  return dir;
}

export class FileModelRegistry implements ModelRegistry {
  readonly problems: Problem[];
  private readonly root: string;
  private readonly now: () => number;
  private writes?: Writes;
  private readonly asyncLock: boolean;

  /** `asyncLock`: a long-running process (`mlr server`), which takes the store lock without blocking its event loop */
  constructor(root: string, problems: Problem[], now: () => number = Date.now, opts: { asyncLock?: boolean } = {}) {
    this.root = root;
    this.problems = problems;
    this.now = now;
    this.asyncLock = opts.asyncLock ?? false;
  }

  /**
   * A registry change (each takes the store lock): with asyncLock the lock is taken first,
   * waited for with timers (the change's own withLock then finds it held).
   */
  private async change<T>(fn: (w: Writes) => T): Promise<T> {
    this.writes ??= await import('./registry-write.js');
    const w = this.writes;
    if (!this.asyncLock) return fn(w);
    const { withLockAsync } = await import('./lock.js');
    return withLockAsync(this.root, () => fn(w));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return listRegisteredModels(this.root, this.problems);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return getRegisteredModel(this.root, name, this.problems);
  }

  async listModelVersions(name: string, includeDeleted = false): Promise<ModelVersion[]> {
    validateModelName(name);
    const m = getRegisteredModel(this.root, name, this.problems);
    return readModelVersions(m.dir, includeDeleted ? [] : this.problems, includeDeleted);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const v = (await this.listModelVersions(name)).find((x) => x.version === version);
    if (!v) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`, 'version-not-found');
    return v;
  }

  async createRegisteredModel(name: string, opts: { description?: string; tags?: KeyValue[] } = {}): Promise<void> {
    await this.change((w) => w.createRegisteredModel(this.root, name, opts, this.now));
  }
  async renameRegisteredModel(name: string, newName: string): Promise<void> {
    await this.change((w) => w.renameRegisteredModel(this.root, name, newName, this.now));
  }
  async updateRegisteredModel(name: string, description: string): Promise<void> {
    await this.change((w) => w.updateRegisteredModel(this.root, name, description, this.now));
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.change((w) => w.deleteRegisteredModel(this.root, name));
  }
  async createModelVersion(name: string, opts: CreateVersionOptions): Promise<string> {
    return this.change((w) =>
      w.createModelVersion(
        this.root,
        name,
        {
          source: opts.source,
          run_id: opts.runId ?? null,
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
          ...(opts.runLink !== undefined ? { run_link: opts.runLink } : {}),
        },
        this.now,
      ),
    );
  }
  async updateModelVersion(name: string, version: string, description: string): Promise<void> {
    await this.change((w) => w.updateModelVersion(this.root, name, version, description, this.now));
  }
  async deleteModelVersion(name: string, version: string): Promise<string[]> {
    return this.change((w) => w.deleteModelVersion(this.root, name, version, this.now));
  }
  async transitionStage(name: string, version: string, stage: string, archiveExisting = false): Promise<ModelStage> {
    return this.change((w) => w.transitionStage(this.root, name, version, stage, archiveExisting, this.now));
  }
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.change((w) => w.setAlias(this.root, name, alias, version, this.now));
  }
  async deleteAlias(name: string, alias: string): Promise<boolean> {
    return this.change((w) => w.deleteAlias(this.root, name, alias, this.now));
  }
  async setModelTag(name: string, key: string, value: string): Promise<void> {
    await this.change((w) => w.setModelTag(this.root, name, key, value, this.now));
  }
  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.change((w) => w.setVersionTag(this.root, name, version, key, value, this.now));
  }
  async deleteTag(name: string, version: string | undefined, key: string): Promise<boolean> {
    return this.change((w) => w.deleteTag(this.root, name, version, key, this.now));
  }

  async listLoggedModels(exp: ExperimentEntry): Promise<LoggedModel[]> {
    return listLoggedModels(fileExperiment(exp).dir, this.problems);
  }

  async loggedModelData(model: LoggedModel) {
    const dir = loggedModelDir(model);
    return { metrics: readLoggedModelMetrics(dir, this.problems), params: readLoggedModelParams(dir), tags: readLoggedModelTags(dir) };
  }

  async listTraces(exp: ExperimentEntry): Promise<TraceInfo[]> {
    return listTraces(fileExperiment(exp).dir, this.problems);
  }
}
