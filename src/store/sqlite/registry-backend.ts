/**
 * The model registry of a SQLite store (MLflow's SqlAlchemyStore registry tables, the same
 * database as the runs): loaded by SqliteBackend.registry() when a command asks for it, so
 * that the tracking commands never compile the registry's SQL.
 */
import type { CreateVersionOptions, ExperimentEntry, LoggedModel, ModelRegistry, ModelStage, ModelVersion, RegisteredModel, TraceInfo } from '../backend.js';
import type { KeyValue, Problem } from '../types.js';
import type { SqliteBackend } from './backend.js';
import type { MlflowDb } from './db.js';
import type { SqlLoggedModel } from './entities.js';
import * as reg from './registry.js';
import * as regw from './registry-write.js';
import { int64OrNull } from './rows.js';

export class SqliteRegistry implements ModelRegistry {
  readonly problems: Problem[] = [];
  private readonly b: SqliteBackend;
  private logged = new Map<string, SqlLoggedModel>();

  constructor(b: SqliteBackend) {
    this.b = b;
  }

  private get rdb(): MlflowDb {
    return this.b.readDb();
  }

  private get wdb(): MlflowDb {
    return this.b.writeDb();
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return reg.listRegisteredModels(this.rdb);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return reg.getRegisteredModel(this.rdb, name);
  }

  async listModelVersions(name: string, includeDeleted = false): Promise<ModelVersion[]> {
    return reg.listModelVersions(this.rdb, name, includeDeleted);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return reg.getModelVersion(this.rdb, name, version);
  }

  async createRegisteredModel(name: string, opts: { description?: string; tags?: KeyValue[] } = {}): Promise<void> {
    regw.createRegisteredModel(this.wdb, name, opts, this.b.writeCtx());
  }
  async renameRegisteredModel(name: string, newName: string): Promise<void> {
    regw.renameRegisteredModel(this.wdb, name, newName, this.b.writeCtx());
  }
  async updateRegisteredModel(name: string, description: string): Promise<void> {
    regw.updateRegisteredModel(this.wdb, name, description, this.b.writeCtx());
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    regw.deleteRegisteredModel(this.wdb, name);
  }
  async createModelVersion(name: string, opts: CreateVersionOptions): Promise<string> {
    const v = regw.createModelVersion(
      this.wdb,
      name,
      {
        source: opts.source,
        ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
        ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
        ...(opts.runLink !== undefined ? { runLink: opts.runLink } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
      },
      this.b.writeCtx(),
    );
    return v.version;
  }
  async updateModelVersion(name: string, version: string, description: string): Promise<void> {
    regw.updateModelVersion(this.wdb, name, version, description, this.b.writeCtx());
  }
  async deleteModelVersion(name: string, version: string): Promise<string[]> {
    const aliases = reg.getModelVersion(this.wdb, name, version).aliases;
    regw.deleteModelVersion(this.wdb, name, version, this.b.writeCtx());
    return aliases;
  }
  async transitionStage(name: string, version: string, stage: string, archiveExisting = false): Promise<ModelStage> {
    return regw.transitionModelVersionStage(this.wdb, name, version, stage, archiveExisting, this.b.writeCtx());
  }
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    regw.setRegisteredModelAlias(this.wdb, name, alias, version);
  }
  async deleteAlias(name: string, alias: string): Promise<boolean> {
    const had = reg.getRegisteredModel(this.wdb, name).aliases.some((a) => a.alias === alias);
    if (had) regw.deleteRegisteredModelAlias(this.wdb, name, alias);
    return had;
  }
  async setModelTag(name: string, key: string, value: string): Promise<void> {
    regw.setRegisteredModelTag(this.wdb, name, key, value);
  }
  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    regw.setModelVersionTag(this.wdb, name, version, key, value);
  }
  async deleteTag(name: string, version: string | undefined, key: string): Promise<boolean> {
    const holder = version === undefined ? reg.getRegisteredModel(this.wdb, name) : reg.getModelVersion(this.wdb, name, version);
    if (!holder.tags.some((t) => t.key === key)) return false;
    if (version === undefined) regw.deleteRegisteredModelTag(this.wdb, name, key);
    else regw.deleteModelVersionTag(this.wdb, name, version, key);
    return true;
  }

  async listLoggedModels(exp: ExperimentEntry): Promise<LoggedModel[]> {
    const models = reg.listLoggedModels(this.rdb, [exp.experiment.experiment_id]);
    for (const m of models) this.logged.set(m.model_id, m);
    return models;
  }

  async loggedModelData(model: LoggedModel, _opts?: { allMetrics?: boolean }) {
    const m = this.logged.get(model.model_id) ?? reg.listLoggedModels(this.rdb, [model.experiment_id]).find((x) => x.model_id === model.model_id);
    return {
      metrics: (m?.metrics ?? []).map((x) => ({ ...x, value: x.value ?? NaN })),
      params: m?.params ?? [],
      tags: m?.tags ?? [],
    };
  }

  async listTraces(exp: ExperimentEntry): Promise<TraceInfo[]> {
    const db = this.rdb;
    if (!db.has('trace_info')) return [];
    const rows = db
      .stmt('SELECT request_id, experiment_id, timestamp_ms, execution_time_ms, status FROM trace_info WHERE experiment_id = ? ORDER BY timestamp_ms DESC')
      .all(BigInt(exp.experiment.experiment_id)) as {
      request_id: string;
      experiment_id: bigint;
      timestamp_ms: bigint | null;
      execution_time_ms: bigint | null;
      status: string;
    }[];
    return rows.map((r) => ({
      request_id: r.request_id,
      experiment_id: String(r.experiment_id),
      timestamp_ms: int64OrNull(r.timestamp_ms),
      execution_time_ms: int64OrNull(r.execution_time_ms),
      status: r.status,
    }));
  }
}
