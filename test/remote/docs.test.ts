/**
 * docs/remote.md shows real commands with their real output: its console blocks run (see
 * test/doc-runner.ts) against `mlr server` started here as a child process over an empty
 * store (`$TEAM_SERVER`), beside a copy of the example store (`./mlruns`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { BIN, REPO, copyStore } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'remote.md');
let child: ChildProcess;
let url = '';
let root = '';

beforeAll(async () => {
  root = copyStore();
  const serverStore = path.join(path.dirname(root), 'team-store');
  child = spawn(
    process.execPath,
    [BIN, '--store', serverStore, 'server', '--port', '0', '--artifacts-destination', path.join(path.dirname(root), 'team-artifacts')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^MLFLOW_TRACKING_URI=(\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`mlr server exited with ${code}`)));
  });
});
afterAll(async () => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

describe('docs/remote.md', () => {
  it('every console block prints what the doc says', () => {
    checkDoc(DOC, { cwd: path.dirname(root), columns: 100, env: { TEAM_SERVER: url } });
  });

  it('shows a push, a re-push of a grown run, and a pull', () => {
    const cmds = docCommands(DOC);
    expect(cmds.filter((c) => c.startsWith('mlr sync --from ./mlruns --to "$TEAM_SERVER"'))).toHaveLength(2);
    expect(cmds.some((c) => c.startsWith('mlr sync --from "$TEAM_SERVER" --to ./mirror'))).toBe(true);
    expect(fs.readFileSync(DOC, 'utf8')).toContain('## Team server');
  });
});
