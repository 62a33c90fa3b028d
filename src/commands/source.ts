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

/** The git work tree containing `dir`: its top folder and its git dir (`.git`, or where a `.git` file points). */
function findGit(dir: string): { workTree: string; gitDir: string } | undefined {
  let at = path.resolve(dir);
  for (;;) {
    const dotGit = path.join(at, '.git');
    let gitDir: string | undefined;
    try {
      const st = statSync(dotGit);
      if (st.isDirectory()) gitDir = dotGit;
      else if (st.isFile()) {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit) ?? '');
        if (m) gitDir = path.resolve(at, m[1]!);
      }
    } catch {
      // not here
    }
    if (gitDir) return { workTree: at, gitDir };
    const up = path.dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/** The commit HEAD points to in the git work tree containing `cwd`, read from .git without running git. */
function gitCommit(cwd: string): string | undefined {
  const git = findGit(cwd);
  return git ? resolveHead(git.gitDir) : undefined;
}

/** The folder a linked worktree shares refs and config with (its own git dir otherwise). */
function commonDir(gitDir: string): string {
  const common = readSmall(path.join(gitDir, 'commondir'))?.trim();
  return common ? path.resolve(gitDir, common) : gitDir;
}

/**
 * The URL of the first remote in a git config file, as GitPython's `repo.remotes[0].url`
 * gives it (sections in file order, the last `url` of the section), or undefined.
 */
function firstRemoteUrl(configText: string): string | undefined {
  let inRemote = false;
  let found = false;
  let url: string | undefined;
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      if (found) break;
      inRemote = section[1]!.toLowerCase() === 'remote' && section[2] !== undefined;
      found = inRemote;
      continue;
    }
    if (!inRemote) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (kv && kv[1]!.toLowerCase() === 'url') url = unquoteGitValue(kv[2]!);
  }
  return url;
}

/** A git config value: quotes removed, `\"` `\\` `\t` `\n` unescaped, a trailing `;`/`#` comment dropped. */
function unquoteGitValue(v: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) {
      const n = v[++i]!;
      out += n === 't' ? '\t' : n === 'n' ? '\n' : n;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ';' || c === '#')) break;
    else out += c;
  }
  return out.trim();
}

export interface GitCheckout {
  /** the top folder of the work tree */
  workTree: string;
  commit?: string;
  /** the first remote's URL */
  repoUrl?: string;
}

/** What MLflow's git helpers find for a folder: work tree, HEAD commit, first remote URL. */
export function gitCheckout(dir: string): GitCheckout | undefined {
  const git = findGit(dir);
  if (!git) return undefined;
  const commit = resolveHead(git.gitDir);
  const repoUrl = firstRemoteUrl(readSmall(path.join(commonDir(git.gitDir), 'config')) ?? '');
  return { workTree: git.workTree, ...(commit ? { commit } : {}), ...(repoUrl ? { repoUrl } : {}) };
}

function resolveHead(gitDir: string): string | undefined {
  const head = readSmall(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const m = /^ref:\s*(\S+)$/.exec(head);
  if (!m) return undefined;
  const ref = m[1]!;
  // linked worktrees keep shared refs in the common dir
  const common = commonDir(gitDir);
  const dirs = common === gitDir ? [gitDir] : [gitDir, common];
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
