/**
 * The model registry of a tracking server (`registered-models/*`, `model-versions/*`).
 * MLflow 3's logged models and traces are not part of the 2.0 API: they list as none.
 */
import { stringifyJson } from '../../json.js';
import type {
  CreateVersionOptions,
  ExperimentEntry,
  LoggedModel,
  LoggedModelMetric,
  ModelRegistry,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  TraceInfo,
} from '../backend.js';
import { MODEL_STAGES } from '../backend.js';
import type { KeyValue, Problem } from '../types.js';
import { arr, modelVersionOf, obj, registeredModelOf, str } from './entities.js';
import type { Json, RestClient } from './http.js';

/** A filter string literal: MLflow's model filters take '…' (no escapes), or "…" when the text has a quote. */
const lit = (s: string): string => (s.includes("'") ? `"${s}"` : `'${s}'`);

export class RestRegistry implements ModelRegistry {
  readonly problems: Problem[] = [];
  private readonly c: RestClient;

  constructor(c: RestClient) {
    this.c = c;
  }

  private get(endpoint: string, query: Record<string, string | string[] | undefined>): Promise<Json> {
    return this.c.call('GET', endpoint, { query, idempotent: true });
  }

  private send(method: string, endpoint: string, body: Record<string, unknown>): Promise<Json> {
    return this.c.call(method, endpoint, { body: stringifyJson(body), idempotent: false });
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const out: RegisteredModel[] = [];
    let token: string | undefined;
    do {
      const r = await this.get('registered-models/search', { max_results: '1000', page_token: token });
      out.push(...arr(r['registered_models']).map(registeredModelOf));
      token = typeof r['next_page_token'] === 'string' && r['next_page_token'] !== '' ? r['next_page_token'] : undefined;
    } while (token);
    return out;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return registeredModelOf((await this.get('registered-models/get', { name }))['registered_model']);
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    await this.getRegisteredModel(name); // NotFoundError naming the model
    const out: ModelVersion[] = [];
    let token: string | undefined;
    do {
      const r = await this.get('model-versions/search', { filter: `name = ${lit(name)}`, max_results: '10000', page_token: token });
      out.push(
        ...arr(r['model_versions'])
          .map(modelVersionOf)
          .filter((v) => v.name === name),
      );
      token = typeof r['next_page_token'] === 'string' && r['next_page_token'] !== '' ? r['next_page_token'] : undefined;
    } while (token);
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return modelVersionOf((await this.get('model-versions/get', { name, version }))['model_version']);
  }

  async createRegisteredModel(name: string, opts: { description?: string; tags?: KeyValue[] } = {}): Promise<void> {
    await this.send('POST', 'registered-models/create', { name, description: opts.description, tags: opts.tags?.length ? opts.tags : undefined });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<void> {
    await this.send('POST', 'registered-models/rename', { name, new_name: newName });
  }

  async updateRegisteredModel(name: string, description: string): Promise<void> {
    await this.send('PATCH', 'registered-models/update', { name, description });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.send('DELETE', 'registered-models/delete', { name });
  }

  async createModelVersion(name: string, o: CreateVersionOptions): Promise<string> {
    const r = await this.send('POST', 'model-versions/create', {
      name,
      source: o.source,
      run_id: o.runId,
      tags: o.tags?.length ? o.tags : undefined,
      run_link: o.runLink,
      description: o.description,
    });
    return str(obj(r['model_version'])['version']);
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<void> {
    await this.send('PATCH', 'model-versions/update', { name, version, description });
  }

  async deleteModelVersion(name: string, version: string): Promise<string[]> {
    await this.getModelVersion(name, version);
    await this.send('DELETE', 'model-versions/delete', { name, version });
    return [version];
  }

  async transitionStage(name: string, version: string, stage: string, archiveExisting = false): Promise<ModelStage> {
    const r = await this.send('POST', 'model-versions/transition-stage', { name, version, stage, archive_existing_versions: archiveExisting });
    const got = str(obj(r['model_version'])['current_stage'], stage);
    return MODEL_STAGES.find((s) => s.toLowerCase() === got.toLowerCase()) ?? (got as ModelStage);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.send('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    const had = (await this.getRegisteredModel(name)).aliases.some((a) => a.alias === alias);
    await this.send('DELETE', 'registered-models/alias', { name, alias });
    return had;
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    await this.send('POST', 'registered-models/set-tag', { name, key, value });
  }

  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.send('POST', 'model-versions/set-tag', { name, version, key, value });
  }

  async deleteTag(name: string, version: string | undefined, key: string): Promise<boolean> {
    const holder = version === undefined ? await this.getRegisteredModel(name) : await this.getModelVersion(name, version);
    const had = holder.tags.some((t) => t.key === key);
    if (version === undefined) await this.send('DELETE', 'registered-models/delete-tag', { name, key });
    else await this.send('DELETE', 'model-versions/delete-tag', { name, version, key });
    return had;
  }

  async listLoggedModels(_exp: ExperimentEntry): Promise<LoggedModel[]> {
    return [];
  }

  async loggedModelData(): Promise<{ metrics: LoggedModelMetric[]; params: KeyValue[]; tags: KeyValue[] }> {
    return { metrics: [], params: [], tags: [] };
  }

  async listTraces(_exp: ExperimentEntry): Promise<TraceInfo[]> {
    return [];
  }
}
