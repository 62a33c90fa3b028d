/**
 * An MLproject folder on disk: find and read its MLproject file, the tags `mlflow run`
 * records for it, and the run plan for one entry point (mlflow/projects/utils.py's
 * _create_run and get_entry_point_command; backend/local.py's _run_entry_point).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { KeyValue } from '../store/types.js';
import { findMLprojectFile, localPathOf, parseMLproject, resolveEntryPoint, selectEntryPoint, urlScheme, type MLproject } from './mlproject.js';
import { currentUser, gitCheckout } from './source.js';

export interface LoadedProject {
  /** the project folder, absolute */
  dir: string;
  project: MLproject;
  /** one-line notes for stderr (the environment mlr does not build) */
  notes: string[];
}

/** Subcommands of `mlr runs`, which `mlr run <word>` most likely meant when <word> is not a folder. */
const RUNS_SUBCOMMANDS = new Set(['ls', 'list', 'describe', 'show', 'diff', 'best', 'create', 'end', 'delete', 'restore', 'rename', 'mv', 'move']);

/**
 * The folder `given` (a path or file: URI, relative to `cwd`) as a project: its MLproject
 * file parsed (a folder without one is a project whose entry points are its .py/.sh files).
 */
export function loadProject(given: string, cwd: string): LoadedProject {
  // a path, or a file: URI of this machine; git URIs (https://…, git@host:…) are not fetched
  const scheme = urlScheme(given);
  const local = scheme === '' ? given : scheme === 'file' ? localPathOf(given) : undefined;
  if (local === undefined || /^[\w.-]+@[\w.-]+:/.test(given)) {
    throw new UsageError(`mlr runs project folders on this machine only: clone '${given}' and give the folder`, 'remote-project');
  }
  const dir = path.resolve(cwd, local);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // not there either: most likely a command given without --
  }
  if (!isDir && RUNS_SUBCOMMANDS.has(given)) {
    // `mlr run ls`: one letter away from `mlr runs ls` (issue 11)
    throw new UsageError(`'${given}' is not a project folder; did you mean 'mlr runs ${given}'?`, 'run-not-runs');
  }
  if (!isDir) {
    throw new UsageError(`'${given}' is not a project folder; to run a command, put it after --: mlr run [options] -- <command> [args…]`, 'run-needs-dashdash');
  }
  const file = findMLprojectFile(readdirSync(dir));
  const shown = (f: string): string => path.relative(cwd, path.join(dir, f)) || f;
  const project = file ? parseMLproject(readFileSync(path.join(dir, file), 'utf8'), shown(file)) : { entryPoints: [], warnings: [] };
  const notes: string[] = [];
  const env = project.env;
  if (env && env.field !== 'docker_env') {
    // MLflow refuses a project whose environment file is missing, even with --env-manager local
    if (!existsSync(path.join(dir, env.value))) {
      const kind = env.field === 'conda_env' ? 'conda environment file' : 'python_env file';
      throw new NotFoundError(
        `${project.file}:${env.line}: Project specified ${kind} ${path.join(dir, env.value)}, but no such file was found.`,
        'env-file-missing',
      );
    }
  }
  const declared = env
    ? `${project.file} declares ${env.field} (${env.value})`
    : ['python_env.yaml', 'conda.yaml'].filter((f) => existsSync(path.join(dir, f))).map((f) => `the project has ${f}`)[0];
  if (declared) {
    notes.push(`${declared}; mlr does not build environments: the command runs in the current one (like mlflow run --env-manager local)`);
  }
  return { dir, project, notes };
}

/**
 * The tags `mlflow run` records for a project run (utils._create_run): who, the project's
 * location (file://<work tree>[#<sub folder>] in a git checkout, else its path), PROJECT,
 * the entry point, the HEAD commit and the first remote's URL (under the current and the
 * legacy name). No branch tags: MLflow sets them only for `--version`, which mlr has not.
 */
export function projectTags(env: Record<string, string | undefined>, dir: string, entryPoint: string): KeyValue[] {
  const git = gitCheckout(dir);
  let sourceName = dir;
  if (git) {
    const rel = path.relative(git.workTree, dir);
    sourceName = `file://${git.workTree}${rel ? `#${rel}` : ''}`;
  }
  const tags: KeyValue[] = [
    { key: 'mlflow.user', value: currentUser(env) },
    { key: 'mlflow.source.name', value: sourceName },
    { key: 'mlflow.source.type', value: 'PROJECT' },
    { key: 'mlflow.project.entryPoint', value: entryPoint },
  ];
  if (git?.commit) tags.push({ key: 'mlflow.source.git.commit', value: git.commit });
  if (git?.repoUrl) {
    const url = withoutCredentials(git.repoUrl);
    tags.push({ key: 'mlflow.source.git.repoURL', value: url });
    tags.push({ key: 'mlflow.gitRepoURL', value: url });
  }
  return tags;
}

/**
 * A remote URL without the user and password of `scheme://user:token@host/…` (newer MLflow
 * strips them too: a tag is shown to everyone who reads the store). `git@host:path` stays.
 */
function withoutCredentials(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (!m || !m[2]!.includes('@')) return url;
  return m[1]! + m[2]!.slice(m[2]!.lastIndexOf('@') + 1) + m[3]!;
}

export interface ProjectRun {
  entryPoint: string;
  /** the params the run logs (declared ones with defaults, then undeclared ones) */
  params: KeyValue[];
  /** the shell command (run with `bash -c` in the project folder) */
  command: string;
}

/** Resolve one entry point with the given -P values; every check made before anything is created. */
export function planProjectRun(
  loaded: LoadedProject,
  entryPoint: string,
  given: readonly KeyValue[],
  env: Record<string, string | undefined>,
  cwd: string,
): ProjectRun {
  const entry = selectEntryPoint(loaded.project, entryPoint, env['SHELL']);
  if (entry.line === undefined && !existsSync(path.join(loaded.dir, entryPoint))) {
    // MLflow would create the run and let the shell fail
    throw new NotFoundError(
      `entry point '${entryPoint}' is not in ${loaded.project.file ?? 'the project (it has no MLproject file)'} and there is no file ${path.join(loaded.dir, entryPoint)}`,
      'entry-point-not-found',
    );
  }
  const r = resolveEntryPoint(entry, { given, projectDir: loaded.dir, cwd, exists: existsSync });
  return { entryPoint, ...r };
}
