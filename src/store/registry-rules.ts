/**
 * The model registry's rules, whatever the backend: names, aliases, tags, version numbers
 * and stages, with MLflow's messages.
 */
import { UsageError } from '../errors.js';
import { MODEL_STAGES, type ModelStage } from './backend.js';
import { validateKeyName, validateLength } from './validate.js';

const MAX_REGISTRY_TAG_KEY_LENGTH = 250;
const MAX_REGISTRY_TAG_VALUE_LENGTH = 5000;
const MAX_ALIAS_LENGTH = 255;

/** MLflow's `_validate_model_name` (plus: no name that cannot be a folder). Throws UsageError. */
export function validateModelName(name: string): void {
  if (name === '') throw new UsageError('Registered model name cannot be empty.', 'bad-model-name');
  if (name.includes('/')) {
    throw new UsageError(`Invalid name: '${name}'. Registered model name cannot contain path separator`, 'bad-model-name');
  }
  if (name.includes('%')) {
    throw new UsageError(`Invalid name: '${name}'. Registered model name cannot contain '%' character`, 'bad-model-name');
  }
  if (name === '.' || name === '..' || name.includes('\0')) {
    throw new UsageError(`Invalid name: '${name}'. It cannot be used as a folder name`, 'bad-model-name');
  }
}

/** MLflow's `_validate_model_alias_name`. Throws UsageError. */
export function validateAlias(alias: string): void {
  if (alias === '') throw new UsageError('Registered model alias name cannot be empty.', 'bad-alias');
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) {
    throw new UsageError(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`, 'bad-alias');
  }
  validateLength('Registered model alias name', MAX_ALIAS_LENGTH, alias);
  if (alias.toLowerCase() === 'latest') throw new UsageError("'latest' alias name (case insensitive) is reserved.", 'bad-alias');
  if (/^[vV]\d+$/.test(alias)) throw new UsageError(`Version alias name '${alias}' is reserved.`, 'bad-alias');
}

/** A registered-model or model-version tag: MLflow's tag-name rule, key ≤ 250, value ≤ 5000. */
export function validateRegistryTag(key: string, value: string): void {
  validateKeyName('tag', key);
  validateLength('Registered model tag key', MAX_REGISTRY_TAG_KEY_LENGTH, key);
  validateLength('Registered model tag value', MAX_REGISTRY_TAG_VALUE_LENGTH, value);
}

/** MLflow's `_validate_model_version`: an integer; returned in canonical form ("07" → "7"). */
export function parseVersion(v: string): string {
  if (!/^\s*\d+\s*$/.test(v)) throw new UsageError(`Model version must be an integer, got '${v}'`, 'bad-version');
  return String(BigInt(v.trim()));
}

/** Canonical stage name as MLflow's `get_canonical_stage` (case-insensitive input). */
export function canonicalStage(s: string): ModelStage {
  const hit = MODEL_STAGES.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!hit) throw new UsageError(`Invalid Model Version stage: ${s}. Value must be one of ${MODEL_STAGES.join(', ')}.`, 'bad-stage');
  return hit;
}
