/**
 * Helpers for the charts end-to-end tests: run the CLI in-process with a controlled environment,
 * and write small stores into a fresh temp folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMlr, tempDir } from '../helpers.js';

export { BIN, FIXTURE, REPO } from '../helpers.js';
/** "now" for relative times: 2023-11-15T01:20:00Z, a little after the fixture runs */
const NOW = '1700011200000';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface RunOptions {
  /** force TTY layout at this width (MLR_FORCE_TTY=1, COLUMNS) */
  tty?: number;
  /** force colour on (FORCE_COLOR=1) */
  color?: boolean;
  env?: Record<string, string>;
}

/** The environment the CLI sees: nothing inherited that changes its output. */
export function cleanEnv(opts: RunOptions = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MLR_NOW: NOW };
  if (opts.tty !== undefined) {
    env['MLR_FORCE_TTY'] = '1';
    env['COLUMNS'] = String(opts.tty);
  }
  if (opts.color) env['FORCE_COLOR'] = '1';
  return { ...env, ...opts.env };
}

/** Runs `mlr <args>` in-process to completion, with exactly the environment `cleanEnv` gives. */
export function mlr(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runMlr(args, cleanEnv(opts));
}

/** Lines joined with newlines, plus the final newline a command prints. */
export const out = (...lines: string[]): string => lines.join('\n') + '\n';

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

export interface RunSpec {
  id: string;
  name: string;
  start: number;
  end?: number | null;
  status?: number;
  parent?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** metric key → lines "<ts> <value> <step>" */
  metrics?: Record<string, string[]>;
}

/** A one-experiment store (id 1, name "nested") in a fresh temp folder; returns the root. */
export function makeStore(runs: RunSpec[]): string {
  const root = tempDir('charts');
  const exp = path.join(root, '1');
  mkdirSync(exp, { recursive: true });
  writeFileSync(
    path.join(exp, 'meta.yaml'),
    `artifact_location: file://${exp}\ncreation_time: 1700000000000\nexperiment_id: '1'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: nested\n`,
  );
  for (const r of runs) {
    const dir = path.join(exp, r.id);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(path.join(dir, sub), { recursive: true });
    const end = r.end === undefined ? r.start + 1000 : r.end;
    writeFileSync(
      path.join(dir, 'meta.yaml'),
      [
        `artifact_uri: file://${dir}/artifacts`,
        `end_time: ${end === null ? 'null' : end}`,
        `entry_point_name: ''`,
        `experiment_id: '1'`,
        `lifecycle_stage: active`,
        `run_id: ${r.id}`,
        `run_name: ${r.name}`,
        `run_uuid: ${r.id}`,
        `source_name: ''`,
        `source_type: 4`,
        `source_version: ''`,
        `start_time: ${r.start}`,
        `status: ${r.status ?? 3}`,
        `tags: []`,
        `user_id: ana`,
        '',
      ].join('\n'),
    );
    const tags = { 'mlflow.runName': r.name, ...(r.parent ? { 'mlflow.parentRunId': r.parent } : {}), ...r.tags };
    for (const [k, v] of Object.entries(tags)) writeFileSync(path.join(dir, 'tags', k), v);
    for (const [k, v] of Object.entries(r.params ?? {})) writeFileSync(path.join(dir, 'params', k), v);
    for (const [k, lines] of Object.entries(r.metrics ?? {})) writeFileSync(path.join(dir, 'metrics', k), lines.map((l) => l + '\n').join(''));
  }
  return root;
}

/** A 32-hex run id made from a short tag, e.g. id('a1') = 'a1000000…'. */
export function runId(tag: string): string {
  return (tag + '0'.repeat(32)).slice(0, 32);
}
