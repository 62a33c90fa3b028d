/**
 * Every run gets a private temporary folder (on tmpfs when the machine has /dev/shm: copying
 * and removing fixture stores there is several times faster than on a disk mounted with
 * `discard`). Workers and the processes they start inherit it through TMPDIR, so
 * os.tmpdir() points there. At the end the run fails if anything is left in it: every test
 * must remove what it creates (test/helpers.ts tempDir). The folder itself is removed
 * either way, so a failing run does not litter /tmp either.
 */
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

export default function setup(): () => void {
  const outer = process.env['TMPDIR'];
  const dir = fs.mkdtempSync(path.join(base(), 'mlr-run-'));
  process.env['TMPDIR'] = dir;
  return () => {
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
