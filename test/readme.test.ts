/**
 * README.md is assembled from docs/*.md (docs/build-readme.mjs) so each section keeps its
 * own checks; this test fails when the README and its sections drift apart, and runs the
 * overview's console blocks against the bundled store.
 * `npm run readme` rebuilds README.md; `UPDATE_DOCS=1` rewrites the overview's outputs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDoc } from './doc-runner.js';
import { FIXTURE, REPO } from './helpers.js';

describe('README.md', () => {
  it('is docs/*.md assembled (run `npm run readme` after editing a section)', () => {
    const built = execFileSync(process.execPath, [path.join(REPO, 'docs', 'build-readme.mjs'), '--stdout'], { encoding: 'utf8' });
    expect(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')).toBe(built);
  });

  it('opens with the install-and-run command and the test command', () => {
    const lines = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8').split('\n');
    expect(lines.slice(2, 6)).toEqual([
      '```sh',
      'npm ci && node bin/mlr.js --store fixtures/mlruns runs ls -e sweep --order-by "metrics.val_loss ASC" --max-results 5',
      'npm ci && npm test',
      '```',
    ]);
    expect(fs.readFileSync(path.join(REPO, '.ci', 'run'), 'utf8')).toContain('npm ci --no-audit --no-fund && npm test');
  });

  it('docs/overview.md: every console block prints what it says', async () => {
    await checkDoc(path.join(REPO, 'docs', 'overview.md'), { cwd: REPO, columns: 100, env: { MLFLOW_TRACKING_URI: FIXTURE } });
  });
});
