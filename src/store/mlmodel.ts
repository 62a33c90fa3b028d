/**
 * Models a run logged: the `mlflow.log-model.history` tag (a JSON array with one entry per
 * `log_model` call, spec §7.2) and `MLmodel` files among the run's artifacts. Both give
 * the flavors (`python_function`, `sklearn`, …); the MLmodel file wins when both exist.
 */
import type { ArtifactOwner, ArtifactRepository } from './backend.js';
import { isYamlMap, parseYaml } from './file/yaml.js';

export interface LoggedModelSummary {
  /** artifact path of the model folder inside the run's artifacts ('' = the root) */
  artifact_path: string;
  flavors: string[];
  mlflow_version: string | null;
  model_uuid: string | null;
  utc_time_created: string | null;
  /** where this was learnt from */
  from: ('history' | 'MLmodel')[];
}

export interface MLmodelInfo {
  flavors: string[];
  mlflow_version: string | null;
  model_uuid: string | null;
  utc_time_created: string | null;
  run_id: string | null;
}

function s(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/** Parse an MLmodel file's text; undefined when it is not a YAML mapping. */
function parseMLmodel(text: string): MLmodelInfo | undefined {
  const p = parseYaml(text);
  if (!isYamlMap(p.value)) return undefined;
  const m = p.value;
  const flavors = isYamlMap(m['flavors']) ? Object.keys(m['flavors']).sort() : [];
  return {
    flavors,
    mlflow_version: s(m['mlflow_version']),
    model_uuid: s(m['model_uuid']),
    utc_time_created: s(m['utc_time_created']),
    run_id: s(m['run_id']),
  };
}

/** The `MLmodel` of the folder `rel` of an owner's artifacts; undefined when missing or unreadable. */
export async function readMLmodel(artifacts: ArtifactRepository, owner: ArtifactOwner, rel = ''): Promise<MLmodelInfo | undefined> {
  let text: string | undefined;
  try {
    text = await artifacts.readText(owner, rel === '' ? 'MLmodel' : `${rel}/MLmodel`);
  } catch {
    return undefined; // remote storage, an unreadable folder: no model information
  }
  return text === undefined ? undefined : parseMLmodel(text);
}

/** Entries of a `mlflow.log-model.history` tag value; [] when it is not the expected JSON. */
function parseLogModelHistory(value: string): LoggedModelSummary[] {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const out: LoggedModelSummary[] = [];
  for (const item of data) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    const flavors = typeof o['flavors'] === 'object' && o['flavors'] !== null ? Object.keys(o['flavors']).sort() : [];
    out.push({
      artifact_path: s(o['artifact_path']) ?? '',
      flavors,
      mlflow_version: s(o['mlflow_version']),
      model_uuid: s(o['model_uuid']),
      utc_time_created: s(o['utc_time_created']),
      from: ['history'],
    });
  }
  return out;
}

/**
 * Folders of an owner's artifacts holding an `MLmodel` file, as `/`-joined relative paths,
 * searched `maxDepth` levels deep (models are logged at `model/`, `models/clf/`, …) and
 * stopping after `maxEntries` entries so a huge artifact tree costs little.
 */
async function findMLmodelDirs(artifacts: ArtifactRepository, owner: ArtifactOwner, maxDepth = 3, maxEntries = 5000): Promise<string[]> {
  const out: string[] = [];
  let budget = maxEntries;
  const walk = async (rel: string, depth: number): Promise<void> => {
    let ents;
    try {
      ents = await artifacts.list(owner, rel);
    } catch {
      return; // no artifact folder (or one mlr cannot read): no models
    }
    budget -= ents.length;
    const name = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
    if (ents.some((e) => !e.is_dir && name(e.path) === 'MLmodel')) out.push(rel);
    if (depth >= maxDepth) return;
    for (const e of ents.filter((x) => x.is_dir).sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (budget <= 0) return;
      await walk(e.path, depth + 1);
    }
  };
  await walk('', 0);
  return out;
}

/**
 * The models a run logged: entries of its log-model history tag merged with MLmodel files
 * found among its artifacts, keyed by artifact path. The last history entry for a path
 * wins (a model logged twice at one path was overwritten).
 */
export async function runLoggedModels(historyTag: string | undefined, artifacts: ArtifactRepository, owner: ArtifactOwner): Promise<LoggedModelSummary[]> {
  const byPath = new Map<string, LoggedModelSummary>();
  if (historyTag) for (const h of parseLogModelHistory(historyTag)) byPath.set(h.artifact_path, h);
  for (const rel of await findMLmodelDirs(artifacts, owner)) {
    const info = await readMLmodel(artifacts, owner, rel);
    if (!info) continue;
    const prev = byPath.get(rel);
    byPath.set(rel, {
      artifact_path: rel,
      flavors: info.flavors.length ? info.flavors : (prev?.flavors ?? []),
      mlflow_version: info.mlflow_version ?? prev?.mlflow_version ?? null,
      model_uuid: info.model_uuid ?? prev?.model_uuid ?? null,
      utc_time_created: info.utc_time_created ?? prev?.utc_time_created ?? null,
      from: prev ? ['history', 'MLmodel'] : ['MLmodel'],
    });
  }
  return [...byPath.values()].sort((a, b) => (a.artifact_path < b.artifact_path ? -1 : a.artifact_path > b.artifact_path ? 1 : 0));
}
