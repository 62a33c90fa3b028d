/**
 * docs/remote.md shows real commands with their real output: its console blocks run (see
 * test/doc-runner.ts) against `mlr server` started here as a child process over an empty
 * store (`$TEAM_SERVER`), beside a copy of the example store (`./mlruns`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { REPO, copyStore } from '../helpers.js';
import { serverChild } from '../server/helpers.js';

const DOC = path.join(REPO, 'docs', 'remote.md');
let server: Awaited<ReturnType<typeof serverChild>>;
let url = '';
let root = '';

beforeAll(async () => {
  root = copyStore();
  server = await serverChild([
    '--store',
    path.join(path.dirname(root), 'team-store'),
    'server',
    '--port',
    '0',
    '--artifacts-destination',
    path.join(path.dirname(root), 'team-artifacts'),
  ]);
  url = server.url;
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

describe('docs/remote.md', () => {
  it('every console block prints what the doc says', async () => {
    await checkDoc(DOC, { cwd: path.dirname(root), columns: 100, env: { TEAM_SERVER: url } });
  });

  it('shows a push, a re-push of a grown run, and a pull', () => {
    const cmds = docCommands(DOC);
    expect(cmds.filter((c) => c.startsWith('mlr sync --from ./mlruns --to "$TEAM_SERVER"'))).toHaveLength(2);
    expect(cmds.some((c) => c.startsWith('mlr sync --from "$TEAM_SERVER" --to ./mirror'))).toBe(true);
    expect(fs.readFileSync(DOC, 'utf8')).toContain('## Team server');
  });
});
