/**
 * docs/ui.md shows real output: the start-up lines of `mlr ui` (its ```text block, the port
 * aside) come from `mlr ui` started here, as a child process, on a copy of the example
 * store, and its console blocks run against that server (see test/doc-runner.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDoc } from '../doc-runner.js';
import { BIN, REPO, copyStore } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'ui.md');
let child: ChildProcess;
let url = '';
let out = '';
let err = '';
let root = '';

beforeAll(async () => {
  root = copyStore();
  child = spawn(process.execPath, [BIN, '--store', './mlruns', 'ui', '--port', '0'], { cwd: path.dirname(root), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/\S+)\/$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`mlr ui exited with ${code}: ${err}`)));
  });
});
afterAll(async () => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
});

describe('docs/ui.md', () => {
  it('shows what mlr ui prints when it starts (on port 5000, its default)', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    expect(text).toContain('```sh\nmlr ui --store ./mlruns\n```');
    const block = /```sh\nmlr ui --store \.\/mlruns\n```\n\n```text\n([\s\S]*?)```/.exec(text)?.[1];
    const port = new URL(url).port;
    expect(block).toBe((err + out).replaceAll(`:${port}/`, ':5000/'));
  });

  it('every console block prints what the doc says', async () => {
    await checkDoc(DOC, { cwd: path.dirname(root), columns: 100, env: { MLR_UI: url, MLFLOW_TRACKING_URI: './mlruns' } });
  });

  it('shows each screenshot it names, and each one exists', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    const images = [...text.matchAll(/!\[[^\]]+\]\((img\/ui-[a-z-]+\.png)\)/g)].map((m) => m[1]!);
    expect(images).toEqual([
      'img/ui-runs.png',
      'img/ui-filter-error.png',
      'img/ui-columns.png',
      'img/ui-groups.png',
      'img/ui-tree.png',
      'img/ui-charts.png',
      'img/ui-compare.png',
      'img/ui-compare-plots.png',
      'img/ui-run.png',
      'img/ui-csv.png',
      'img/ui-models.png',
    ]);
    for (const i of images) expect(fs.existsSync(path.join(REPO, 'docs', i)), i).toBe(true);
  });
});
