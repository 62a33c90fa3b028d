/**
 * The system tags MLflow's fluent `start_run` records, computed for a run created from
 * the command line: who (mlflow.user), what (mlflow.source.name/type) and which commit
 * (mlflow.source.git.commit, when the working directory is in a git work tree).
 */
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { KeyValue } from '../store/types.js';

/**
 * The user name MLflow records: MLFLOW_TRACKING_USERNAME, else what Python's
 * getpass.getuser() returns (LOGNAME, USER, LNAME, USERNAME, then the password database).
 */
export function currentUser(env: Record<string, string | undefined>): string {
  for (const k of ['MLFLOW_TRACKING_USERNAME', 'LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const v = env[k];
    if (v) return v;
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function readSmall(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The commit HEAD points to in the git work tree containing `cwd`, read from .git without running git. */
export function gitCommit(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const dotGit = path.join(dir, '.git');
    let gitDir: string | undefined;
    try {
      const st = statSync(dotGit);
      if (st.isDirectory()) gitDir = dotGit;
      else if (st.isFile()) {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit) ?? '');
        if (m) gitDir = path.resolve(dir, m[1]!);
      }
    } catch {
      // not here
    }
    if (gitDir) return resolveHead(gitDir);
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function resolveHead(gitDir: string): string | undefined {
  const head = readSmall(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const m = /^ref:\s*(\S+)$/.exec(head);
  if (!m) return undefined;
  const ref = m[1]!;
  // linked worktrees keep shared refs in the common dir
  const common = readSmall(path.join(gitDir, 'commondir'))?.trim();
  const dirs = [gitDir, ...(common ? [path.resolve(gitDir, common)] : [])];
  for (const d of dirs) {
    const loose = readSmall(path.join(d, ...ref.split('/')))?.trim();
    if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  }
  for (const d of dirs) {
    const packed = readSmall(path.join(d, 'packed-refs'));
    if (!packed) continue;
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
  }
  return undefined;
}

/** Quote a word for display the way a POSIX shell would need it. */
function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** A command line as one string (for mlflow.source.name of `mlr run`). */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * mlflow.user, mlflow.source.name, mlflow.source.type (LOCAL) and, inside a git work tree,
 * mlflow.source.git.commit — what `mlflow.start_run()` records for a local script.
 */
export function systemTags(env: Record<string, string | undefined>, cwd: string, sourceName: string): KeyValue[] {
  const tags: KeyValue[] = [
    { key: 'mlflow.user', value: currentUser(env) },
    { key: 'mlflow.source.name', value: sourceName },
    { key: 'mlflow.source.type', value: 'LOCAL' },
  ];
  const commit = gitCommit(cwd);
  if (commit) tags.push({ key: 'mlflow.source.git.commit', value: commit });
  return tags;
}
