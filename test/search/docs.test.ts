/**
 * docs/search.md shows real commands with their real output: every console block is run
 * against the bundled store, in a scratch folder (see test/doc-runner.ts).
 * `UPDATE_DOCS=1 npx vitest run test/search/docs.test.ts` rewrites the outputs.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { FIXTURE, REPO, tempDir } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'search.md');
const HAS_JQ = spawnSync('jq', ['--version']).status === 0;
const HAS_SQLITE = spawnSync('sqlite3', ['-version']).status === 0;

describe('docs/search.md', () => {
  // the doc pipes into jq and sqlite3; without them the outputs cannot be reproduced
  it.skipIf(!HAS_JQ || !HAS_SQLITE)('every console block prints what the doc says (skipped without jq and sqlite3)', async () => {
    await checkDoc(DOC, { cwd: tempDir('docs'), columns: 120, env: { MLFLOW_TRACKING_URI: FIXTURE } });
  });

  it('shows a filter, an order-by, each extension, runs best in a script and CSV into another tool', () => {
    const cmds = docCommands(DOC).join('\n');
    for (const needle of ['--filter', '--order-by', ' OR ', 'IN (', "LIKE '%.%'", 'runs best', '--format id)', '--format csv >', 'sqlite3']) {
      expect(cmds).toContain(needle);
    }
  });
});
