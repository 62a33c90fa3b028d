/**
 * docs/server.md shows real commands with their real output: its console blocks run (see
 * test/doc-runner.ts) against `mlr server` started here, as a child process (the doc runner
 * blocks this process while curl runs), over a copy of the example store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { REPO, copyStore } from '../helpers.js';
import { serverChild } from '../server/helpers.js';

const DOC = path.join(REPO, 'docs', 'server.md');
let server: Awaited<ReturnType<typeof serverChild>>;
let url = '';
let root = '';

beforeAll(async () => {
  root = copyStore();
  server = await serverChild(['--store', root, 'server', '--port', '0']);
  url = server.url;
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

describe('docs/server.md', () => {
  it('every console block prints what the doc says', async () => {
    await checkDoc(DOC, { cwd: path.dirname(root), columns: 100, env: { MLFLOW_TRACKING_URI: url } });
  });

  it('shows the commands to start the server and to point a script at it', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    expect(text).toContain("## Use MLflow's Python client with mlr server");
    expect(text).toContain('mlr server --store ./mlruns');
    expect(text).toContain('MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py');
    expect(docCommands(DOC).join('\n')).toContain('runs/search');
  });
});
