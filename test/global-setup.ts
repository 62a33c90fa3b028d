/**
 * Every run gets a private temporary folder (on tmpfs when the machine has /dev/shm: copying
 * and removing fixture stores there is several times faster than on a disk mounted with
 * `discard`). Workers and the processes they start inherit it through TMPDIR, so
 * os.tmpdir() points there. At the end the run fails if anything is left in it: every test
 * must remove what it creates (test/helpers.ts tempDir). The folder itself is removed
 * either way, so a failing run does not litter /tmp either.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function base(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no tmpfs here: the usual temp folder
  }
  return os.tmpdir();
}

/**
 * The folder of the python3 that `python3` on PATH starts, when PATH finds a launcher first
 * (a pyenv shim: a bash script that runs a dozen bash, readlink and pyenv processes, about
 * 0.4 s of CPU, before the interpreter's 0.1 s). Undefined when PATH already finds it.
 */
function pythonBehindShim(dirs: string[]): string | undefined {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  const exe = r.status === 0 ? r.stdout.trim() : '';
  if (!path.isAbsolute(exe)) return undefined;
  const first = dirs.map((d) => path.join(d, 'python3')).find((p) => fs.existsSync(p));
  if (first === undefined || fs.realpathSync(first) === fs.realpathSync(exe)) return undefined;
  return path.dirname(exe);
}

export default function setup(): () => void {
  // the same interpreter (and its python, pip…) the shim would pick, started directly by the
  // tests' oracles and by the commands `mlr run` starts
  const outerPath = process.env['PATH'];
  const python = pythonBehindShim((outerPath ?? '').split(path.delimiter));
  if (python !== undefined) process.env['PATH'] = python + path.delimiter + outerPath;
  // node reads and parses a whole CA bundle at start-up when NODE_EXTRA_CA_CERTS names one (a
  // machine-wide setting here): 40 ms of the 90 ms CPU of `node -e 0`, paid by every mlr the
  // tests start. They talk TLS only to a server whose certificate they made themselves.
  const outerCa = process.env['NODE_EXTRA_CA_CERTS'];
  delete process.env['NODE_EXTRA_CA_CERTS'];
  const outer = process.env['TMPDIR'];
  const dir = fs.mkdtempSync(path.join(base(), 'mlr-run-'));
  process.env['TMPDIR'] = dir;
  // shell completion keeps a cache (src/cli/complete-cache.ts): never in the user's ~/.cache
  // (below /dev/null no folder can be made, even by root)
  // from a test; the tests of the cache name their own
  const outerCache = process.env['XDG_CACHE_HOME'];
  process.env['XDG_CACHE_HOME'] = '/dev/null/mlr-test-cache';
  return () => {
    if (outerCache === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = outerCache;
    if (outerPath === undefined) delete process.env['PATH'];
    else process.env['PATH'] = outerPath;
    if (outerCa !== undefined) process.env['NODE_EXTRA_CA_CERTS'] = outerCa;
    if (outer === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = outer;
    const left = fs.readdirSync(dir).sort();
    fs.rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest only logs a teardown error: set the exit code ourselves
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} temporary folder(s) behind (every test must remove what it creates):\n  ${left.join('\n  ')}`);
    }
  };
}
