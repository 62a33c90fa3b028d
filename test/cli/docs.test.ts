/**
 * docs/terminal.md shows real commands with their real output: its console blocks run (see
 * test/doc-runner.ts) in a folder holding a copy of the example store as ./mlruns (the config
 * examples write mlr.config.json there), with no MLFLOW_TRACKING_URI.
 */
import path from 'node:path';
import { describe, it } from 'vitest';
import { checkDoc } from '../doc-runner.js';
import { REPO, copyStore } from '../helpers.js';

describe('docs/terminal.md', () => {
  it('every console block prints what the doc says', async () => {
    const store = copyStore();
    await checkDoc(path.join(REPO, 'docs', 'terminal.md'), {
      cwd: path.dirname(store),
      columns: 100,
      env: { XDG_CONFIG_HOME: path.join(path.dirname(store), 'no-config') },
    });
  });
});
