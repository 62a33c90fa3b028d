/**
 * docs/charts.md shows real commands with their real output in a 100-column terminal: every
 * console block is run in fixtures/ (the store is ./mlruns), see test/doc-runner.ts.
 * `UPDATE_DOCS=1 npx vitest run test/charts/docs.test.ts` rewrites the outputs.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDoc, docCommands } from '../doc-runner.js';
import { REPO } from './helpers.js';

const DOC = path.join(REPO, 'docs', 'charts.md');

describe('docs/charts.md', () => {
  it('every console block prints what the doc says', async () => {
    await checkDoc(DOC, { cwd: path.join(REPO, 'fixtures'), columns: 100 });
  });

  it('shows a chart, a diff, aggregates, sparklines and the table controls', () => {
    const cmds = docCommands(DOC).join('\n');
    for (const needle of [
      'mlr plot',
      '--smooth',
      '--log',
      'runs diff',
      'min(metrics.val_loss)',
      '--spark',
      '--only-changed',
      '--keep',
      '--drop',
      '--precision',
      '--tree',
    ]) {
      expect(cmds).toContain(needle);
    }
  });
});
