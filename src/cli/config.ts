/**
 * mlr.config.json (issue 11 item 17): defaults a project or a user keeps, so a command line
 * can be short. The nearest `mlr.config.json` from the working folder upward (the project's)
 * wins over `$XDG_CONFIG_HOME/mlr/mlr.config.json` (default `~/.config`, the user's), key by
 * key; command-line flags and MLFLOW_TRACKING_URI win over both. Read by the CLI only: the
 * commands get plain options.
 *
 *     {
 *       "store": "./mlruns",                        // relative to the file's folder
 *       "columns": ["run_name", "status", "metrics.val_loss"],
 *       "metrics": { "val_loss": "min", "val_acc": "max" }
 *     }
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export const CONFIG_FILE = 'mlr.config.json';

/** A value and the file it came from. */
interface Sourced<T> {
  value: T;
  file: string;
}

export interface MlrConfig {
  /** the files read, project's first */
  files: string[];
  store?: Sourced<string>;
  columns?: Sourced<string[]>;
  /** a metric's better direction, by key (without `metrics.`) */
  metrics: Record<string, Sourced<'min' | 'max'>>;
}

const KEYS = ['store', 'columns', 'metrics'];

/** The nearest `mlr.config.json` at or above `cwd`, or undefined. */
function findProjectConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const f = path.join(dir, CONFIG_FILE);
    if (fs.existsSync(f)) return f;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The user's config file (it may not exist): $XDG_CONFIG_HOME/mlr/, else ~/.config/mlr/. */
export function userConfigPath(env: Record<string, string | undefined>): string | undefined {
  const base = env['XDG_CONFIG_HOME'] || (env['HOME'] ? path.join(env['HOME'], '.config') : undefined);
  return base ? path.join(base, 'mlr', CONFIG_FILE) : undefined;
}

/** Both config files merged (project over user); a usage error naming the file for a bad one. */
export function loadConfig(cwd: string, env: Record<string, string | undefined>): MlrConfig {
  const config: MlrConfig = { files: [], metrics: {} };
  const user = userConfigPath(env);
  const project = findProjectConfig(cwd);
  // user first, so the project's values overwrite
  for (const file of [user && fs.existsSync(user) && user !== project ? user : undefined, project]) {
    if (file) apply(config, file, readJson(file));
  }
  config.files.reverse();
  return config;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'config-unreadable');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`, 'config-invalid');
  }
}

function apply(config: MlrConfig, file: string, data: unknown): void {
  const bad = (what: string): UsageError => new UsageError(`${file}: ${what}`, 'config-invalid');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('expected a JSON object such as {"store": "./mlruns"}');
  config.files.push(file);
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k === '$schema' || k.startsWith('//')) continue;
    if (!KEYS.includes(k)) throw bad(`unknown key '${k}' (known: ${KEYS.join(', ')})`);
    if (k === 'store') {
      if (typeof v !== 'string' || v === '') throw bad('"store" must be a path or tracking URI (a string)');
      config.store = { value: v, file };
    } else if (k === 'columns') {
      const list = typeof v === 'string' ? v.split(',') : v;
      if (!Array.isArray(list) || list.some((c) => typeof c !== 'string')) throw bad('"columns" must be a list of column names, or one comma-separated string');
      config.columns = { value: (list as string[]).map((c) => c.trim()).filter((c) => c !== ''), file };
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('"metrics" must map metric keys to "min" or "max", e.g. {"val_loss": "min"}');
      for (const [key, dir] of Object.entries(v as Record<string, unknown>)) {
        if (dir !== 'min' && dir !== 'max') throw bad(`metrics.${key} must be "min" or "max", not ${JSON.stringify(dir)}`);
        config.metrics[key.replace(/^metrics\./, '')] = { value: dir, file };
      }
    }
  }
}
