/**
 * Importing records with their own ids and times into a file store (`mlr migrate`), as
 * MLflow 2.12's FileStore lays them out (spec §3–§9): experiment folders (deleted ones in
 * `.trash/`), run folders with meta.yaml, metrics/params/tags files and dataset inputs, and
 * the model registry under `models/`, and MLflow 3 logged models in `<exp>/models/<model_id>/`
 * as MLflow 3's FileStore writes them (spec §13.2).
 *
 * Every record appears whole or not at all: a run (or a registered model) is built in a
 * `.mlr-tmp-*` folder beside its final place and renamed into it, so a killed migration
 * leaves at most a temp folder (removed by the next run of the importer), never a half run.
 * Files inside a folder that is not yet visible need no temp-and-rename of their own.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StateError, UsageError } from '../../errors.js';
import type { ImportedLoggedModel, ImportedModel, ImportedRun, TrackingImporter } from '../backend.js';
import { formatPyFloat } from '../pyfloat.js';
import { loggedModelStatusToInt, statusToInt, type Experiment } from '../types.js';
import { atomicWriteFile, createExclusive, ensureDir, fsyncDir, TEMP_PREFIX } from './atomic.js';
import { withLock } from './lock.js';
import { dumpYaml, type DumpValue } from './yaml-dump.js';

const ID_RE = /^[a-zA-Z0-9][\w-]{0,63}$/;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function tempName(): string {
  return `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** `<dir>/<sub>/<key>` for a key that may hold '/' (nested keys are folders, as in MLflow). */
function keyFile(dir: string, sub: string, key: string): string {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new UsageError(`invalid key '${key}'`, 'bad-key');
  return path.join(dir, sub, ...parts);
}

function writeNew(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { flag: 'wx' });
}

function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Temp folders a killed import left directly inside `dir`. */
function sweepTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names)
    if (n.startsWith(TEMP_PREFIX) && fs.statSync(path.join(dir, n), { throwIfNoEntry: false })?.isDirectory()) removeTree(path.join(dir, n));
}

export class FileImporter implements TrackingImporter {
  readonly existed: boolean;
  readonly loggedModels = true;
  private readonly root: string;
  /** experiment id → its folder (filled as experiments are imported or found) */
  private readonly expDirs = new Map<string, string>();

  constructor(root: string, existed: boolean) {
    this.root = root;
    this.existed = existed;
    ensureDir(path.join(root, '.trash'));
    sweepTemps(root);
    sweepTemps(path.join(root, 'models'));
  }

  private findExpDir(id: string): string | undefined {
    const known = this.expDirs.get(id);
    if (known && fs.existsSync(known)) return known;
    for (const d of [path.join(this.root, id), path.join(this.root, '.trash', id)]) {
      if (fs.existsSync(path.join(d, 'meta.yaml'))) {
        this.expDirs.set(id, d);
        sweepTemps(d);
        return d;
      }
    }
    return undefined;
  }

  async importExperiment(e: Experiment, replace: boolean): Promise<void> {
    const id = e.experiment_id;
    if (!ID_RE.test(id)) throw new UsageError(`invalid experiment id '${id}'`, 'bad-experiment-id');
    const meta: Record<string, DumpValue> = {
      artifact_location: e.artifact_location,
      creation_time: e.creation_time,
      experiment_id: id,
      last_update_time: e.last_update_time,
      lifecycle_stage: e.lifecycle_stage,
      name: e.name,
    };
    const want = e.lifecycle_stage === 'deleted' ? path.join(this.root, '.trash', id) : path.join(this.root, id);
    withLock(this.root, () => {
      const have = this.findExpDir(id);
      if (have && !replace) throw new StateError(`experiment ${id} already exists`, 'experiment-exists');
      if (have) {
        if (have !== want) {
          if (fs.existsSync(want)) throw new StateError(`cannot move experiment ${id}: ${want} exists`, 'experiment-exists');
          fs.renameSync(have, want);
        }
        atomicWriteFile(path.join(want, 'meta.yaml'), dumpYaml(meta));
        const tagsDir = path.join(want, 'tags');
        const keep = new Set(e.tags.map((t) => t.key));
        for (const f of listFilesDeep(tagsDir)) if (!keep.has(f)) fs.unlinkSync(keyFile(want, 'tags', f));
        for (const t of e.tags) {
          const file = keyFile(want, 'tags', t.key);
          ensureDir(path.dirname(file));
          atomicWriteFile(file, t.value, { tempDir: want });
        }
      } else {
        const tmp = path.join(this.root, tempName());
        fs.mkdirSync(tmp);
        writeNew(path.join(tmp, 'meta.yaml'), dumpYaml(meta));
        for (const t of e.tags) writeNew(keyFile(tmp, 'tags', t.key), t.value);
        fs.renameSync(tmp, want);
        fsyncDir(path.dirname(want));
      }
      this.expDirs.set(id, want);
    });
  }

  /** The run folder's files, written under `dir` (not yet visible). */
  private buildRun(dir: string, expDir: string, r: ImportedRun): void {
    const i = r.info;
    const meta: Record<string, DumpValue> = {
      artifact_uri: i.artifact_uri,
      end_time: i.end_time,
      entry_point_name: '',
      experiment_id: i.experiment_id,
      lifecycle_stage: i.lifecycle_stage,
      run_id: i.run_id,
      run_name: i.run_name,
      run_uuid: i.run_id,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: i.start_time,
      status: statusToInt(i.status),
      tags: [],
      user_id: i.user_id,
    };
    if (i.lifecycle_stage === 'deleted' && r.deletedTime !== undefined && r.deletedTime !== null) meta['deleted_time'] = r.deletedTime;
    fs.mkdirSync(dir);
    writeNew(path.join(dir, 'meta.yaml'), dumpYaml(meta));
    for (const sub of ['metrics', 'params', 'tags']) fs.mkdirSync(path.join(dir, sub));
    for (const p of r.params) writeNew(keyFile(dir, 'params', p.key), p.value);
    const tags = new Map(r.tags.map((t) => [t.key, t.value]));
    for (const [k, v] of tags) writeNew(keyFile(dir, 'tags', k), v);
    const lines = new Map<string, string[]>();
    for (const m of r.metrics) {
      let l = lines.get(m.key);
      if (!l) lines.set(m.key, (l = []));
      l.push(`${m.timestamp} ${formatPyFloat(m.value)} ${m.step}\n`);
    }
    for (const [k, l] of lines) writeNew(keyFile(dir, 'metrics', k), l.join(''));
    for (const input of r.inputs) {
      const d = input.dataset;
      const datasetId = md5(d.name + d.digest);
      const dsMeta = path.join(expDir, 'datasets', datasetId, 'meta.yaml');
      if (!fs.existsSync(dsMeta)) {
        ensureDir(path.dirname(dsMeta));
        createExclusive(
          dsMeta,
          dumpYaml({ digest: d.digest, name: d.name, profile: d.profile ?? null, schema: d.schema ?? null, source: d.source, source_type: d.source_type }),
          { durable: false },
        );
      }
      const tags: Record<string, DumpValue> = {};
      for (const t of input.tags) tags[t.key] = t.value;
      const inputMeta = path.join(dir, 'inputs', md5(datasetId + i.run_id), 'meta.yaml');
      if (fs.existsSync(inputMeta)) continue;
      writeNew(inputMeta, dumpYaml({ destination_id: datasetId, destination_type: 'RUN', source_id: datasetId, source_type: 'DATASET', tags }));
    }
    // MLflow 3's model outputs, as its FileStore writes them (the model id in both id fields)
    for (const out of r.outputs ?? []) {
      if (!/^m-[\w-]{1,64}$/.test(out.model_id)) throw new UsageError(`invalid logged model id '${out.model_id}'`, 'bad-model-id');
      writeNew(
        path.join(dir, 'outputs', out.model_id, 'meta.yaml'),
        dumpYaml({
          destination_id: out.model_id,
          destination_type: 'MODEL_OUTPUT',
          source_id: out.model_id,
          source_type: 'RUN_OUTPUT',
          step: out.step,
          tags: {},
        }),
      );
    }
  }

  async importRuns(runs: readonly ImportedRun[], replace: ReadonlySet<string>): Promise<void> {
    for (const r of runs) {
      const i = r.info;
      if (!ID_RE.test(i.run_id)) throw new UsageError(`invalid run id '${i.run_id}'`, 'bad-run-id');
      const expDir = this.findExpDir(i.experiment_id);
      if (!expDir) throw new StateError(`experiment ${i.experiment_id} of run ${i.run_id} is not in the target`, 'experiment-not-found');
      const final = path.join(expDir, i.run_id);
      const exists = fs.existsSync(final);
      if (exists && !replace.has(i.run_id)) throw new StateError(`run ${i.run_id} already exists`, 'run-exists');
      const tmp = path.join(expDir, tempName());
      try {
        this.buildRun(tmp, expDir, r);
        if (exists) {
          const old = path.join(expDir, tempName());
          fs.renameSync(final, old);
          fs.renameSync(tmp, final);
          removeTree(old);
        } else {
          fs.renameSync(tmp, final);
        }
      } catch (e) {
        removeTree(tmp);
        throw e;
      }
    }
    fsyncDir(this.root);
  }

  async importModel(m: ImportedModel, replace: boolean): Promise<void> {
    const name = m.model.name;
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new UsageError(`invalid model name '${name}'`, 'bad-model-name');
    const models = path.join(this.root, 'models');
    ensureDir(models);
    const final = path.join(models, name);
    const exists = fs.existsSync(final);
    if (exists && !replace) throw new StateError(`registered model '${name}' already exists`, 'model-exists');
    const tmp = path.join(models, tempName());
    try {
      fs.mkdirSync(tmp);
      const aliases: Record<string, DumpValue> = {};
      for (const a of m.model.aliases) aliases[a.alias] = a.version;
      writeNew(
        path.join(tmp, 'meta.yaml'),
        dumpYaml({
          aliases,
          creation_timestamp: m.model.creation_timestamp,
          description: m.model.description,
          last_updated_timestamp: m.model.last_updated_timestamp,
          name,
        }),
      );
      for (const t of m.model.tags) writeNew(keyFile(tmp, 'tags', t.key), t.value);
      for (const a of m.model.aliases) writeNew(keyFile(tmp, 'aliases', a.alias), a.version);
      for (const v of m.versions) {
        const vdir = path.join(tmp, `version-${v.version}`);
        fs.mkdirSync(vdir);
        writeNew(
          path.join(vdir, 'meta.yaml'),
          dumpYaml({
            aliases: m.model.aliases
              .filter((a) => a.version === v.version)
              .map((a) => a.alias)
              .sort(),
            creation_timestamp: v.creation_timestamp,
            current_stage: v.current_stage,
            description: v.description,
            last_updated_timestamp: v.last_updated_timestamp,
            name,
            run_id: v.run_id,
            run_link: v.run_link,
            source: v.source,
            status: v.status,
            status_message: v.status_message,
            storage_location: v.storage_location,
            user_id: v.user_id,
            version: Number(v.version),
          }),
        );
        for (const t of v.tags) writeNew(keyFile(vdir, 'tags', t.key), t.value);
      }
      if (exists) {
        const old = path.join(models, tempName());
        fs.renameSync(final, old);
        fs.renameSync(tmp, final);
        removeTree(old);
      } else {
        fs.renameSync(tmp, final);
      }
      fsyncDir(models);
    } catch (e) {
      removeTree(tmp);
      throw e;
    }
  }

  async importLoggedModels(models: readonly ImportedLoggedModel[], replace: ReadonlySet<string>): Promise<void> {
    for (const x of models) {
      const m = x.model;
      if (!/^m-[\w-]{1,64}$/.test(m.model_id)) throw new UsageError(`invalid logged model id '${m.model_id}'`, 'bad-model-id');
      const expDir = this.findExpDir(m.experiment_id);
      if (!expDir) throw new StateError(`experiment ${m.experiment_id} of logged model ${m.model_id} is not in the target`, 'experiment-not-found');
      const parent = path.join(expDir, 'models');
      ensureDir(parent);
      sweepTemps(parent);
      const final = path.join(parent, m.model_id);
      const exists = fs.existsSync(final);
      if (exists && !replace.has(m.model_id)) throw new StateError(`logged model ${m.model_id} already exists`, 'model-exists');
      const tmp = path.join(parent, tempName());
      try {
        fs.mkdirSync(tmp);
        const meta: Record<string, DumpValue> = {
          artifact_location: m.artifact_location,
          creation_timestamp: m.creation_timestamp,
          experiment_id: m.experiment_id,
          last_updated_timestamp: m.last_updated_timestamp,
          model_id: m.model_id,
          model_type: m.model_type,
          name: m.name,
          source_run_id: m.source_run_id,
          status: loggedModelStatusToInt(m.status),
          status_message: m.status_message,
        };
        // MLflow 3's FileStore writes no lifecycle_stage for a live model
        if (m.lifecycle_stage === 'deleted') meta['lifecycle_stage'] = 'deleted';
        writeNew(path.join(tmp, 'meta.yaml'), dumpYaml(meta));
        for (const sub of ['metrics', 'params', 'tags']) fs.mkdirSync(path.join(tmp, sub));
        for (const p of x.params) writeNew(keyFile(tmp, 'params', p.key), p.value);
        for (const t of x.tags) writeNew(keyFile(tmp, 'tags', t.key), t.value);
        const lines = new Map<string, string[]>();
        for (const l of x.metrics) {
          if (l.run_id === null) throw new StateError(`logged model ${m.model_id}: metric '${l.key}' names no run`, 'metric-no-run');
          const dataset = l.dataset_name !== null && l.dataset_digest !== null ? ` ${l.dataset_name} ${l.dataset_digest}` : '';
          let list = lines.get(l.key);
          if (!list) lines.set(l.key, (list = []));
          list.push(`${l.timestamp} ${formatPyFloat(l.value)} ${l.step} ${l.run_id}${dataset}\n`);
        }
        for (const [k, l] of lines) writeNew(keyFile(tmp, 'metrics', k), l.join(''));
        if (exists) {
          const old = path.join(parent, tempName());
          fs.renameSync(final, old);
          fs.renameSync(tmp, final);
          removeTree(old);
        } else {
          fs.renameSync(tmp, final);
        }
        fsyncDir(parent);
      } catch (e) {
        removeTree(tmp);
        throw e;
      }
    }
  }

  async close(): Promise<void> {}
}

/** Relative paths of the files below `dir` ('/'-joined), for nested tag keys. */
function listFilesDeep(dir: string, prefix = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(...listFilesDeep(path.join(dir, e.name), `${prefix}${e.name}/`));
    else if (e.isFile()) out.push(prefix + e.name);
  }
  return out;
}
