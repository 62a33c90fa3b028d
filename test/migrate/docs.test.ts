/**
 * docs/backends.md shows real commands with their real output: its console blocks run (see
 * test/doc-runner.ts) in a folder holding a copy of the example store as ./mlruns, so the
 * migration summary is the one `mlr migrate` prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { copyStore, REPO } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'backends.md');

describe('docs/backends.md', () => {
  it('every console block prints what the doc says', async () => {
    const dir = path.dirname(copyStore());
    await checkDoc(DOC, { cwd: dir, columns: 100 });
    expect(fs.existsSync(path.join(dir, 'mlflow.db'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'back-to-files'))).toBe(false);
  });

  it('shows a sqlite:/// store and a migration both ways', () => {
    const cmds = docCommands(DOC).join('\n');
    expect(cmds).toContain('mlr --store sqlite:///mlflow.db runs ls');
    expect(cmds).toContain('mlr migrate --from ./mlruns --to sqlite:///mlflow.db');
    expect(cmds).toContain('mlr migrate --from sqlite:///mlflow.db --to ./back-to-files --dry-run');
  });
});
