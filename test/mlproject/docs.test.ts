/**
 * The MLproject and sweep sections of docs/writes.md show real commands with their real
 * output: the project files are the document's own yaml and python blocks, and every
 * console block of the sections is run (test/doc-runner.ts). UPDATE_DOCS=1 rewrites them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDoc } from '../doc-runner.js';
import { BIN, REPO } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'writes.md');
const START = '### MLproject: ';
const END = '### Commands';

/** The code blocks of a language in `text`, in order. */
function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

describe('docs/writes.md: MLproject and sweeps', () => {
  it('prints what the document shows', async () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    const from = doc.indexOf(START);
    const to = doc.indexOf(END, from);
    expect(from, 'the MLproject section').toBeGreaterThan(0);
    const section = doc.slice(from, to);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-docs-mlproject-'));
    const [mlproject, grid] = codeBlocks(section, 'yaml');
    const [train] = codeBlocks(section, 'python');
    fs.writeFileSync(path.join(work, 'MLproject'), mlproject!);
    fs.mkdirSync(path.join(work, 'src'));
    fs.writeFileSync(path.join(work, 'src', 'train.py'), train!);
    expect(grid!.startsWith('# grid.yaml\n')).toBe(true);
    fs.writeFileSync(path.join(work, 'grid.yaml'), grid!);
    // train.py calls `mlr` itself: put a real one on its PATH
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-docs-bin-'));
    fs.writeFileSync(path.join(bin, 'mlr'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const file = path.join(work, 'section.md');
    fs.writeFileSync(file, section);
    try {
      await checkDoc(file, {
        cwd: work,
        columns: 100,
        env: { MLFLOW_TRACKING_URI: path.join(work, 'mlruns'), MLFLOW_TRACKING_USERNAME: 'ana', PATH: `${bin}:${process.env['PATH']}` },
      });
      if (process.env['UPDATE_DOCS'] === '1') fs.writeFileSync(DOC, doc.slice(0, from) + fs.readFileSync(file, 'utf8') + doc.slice(to));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
