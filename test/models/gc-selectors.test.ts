/**
 * issue 11 #24: `gc --run '' --yes` (a script's unset $RUN) purged every deleted run and
 * experiment. An empty or blank selector is a usage error and nothing is deleted.
 */
import { describe, expect, it } from 'vitest';
import { copyStore } from '../helpers.js';
import { diffSnapshots, on, snapshot } from './helpers.js';

describe('gc with an empty selector (issue 11 #24)', () => {
  it.each([
    [['--run', ''], "mlr: --run '' names no run: an empty or blank selector is refused (is a variable unset?)\n"],
    [['--experiment', ''], "mlr: --experiment '' names no experiment: an empty or blank selector is refused (is a variable unset?)\n"],
    [['--run', ','], "mlr: --run ',' names no run: an empty or blank selector is refused (is a variable unset?)\n"],
    [['--run', '  '], "mlr: --run '  ' names no run: an empty or blank selector is refused (is a variable unset?)\n"],
    [
      ['--run', '2ee677726ea047b29ffa9fddb9fcf75d,'],
      "mlr: --run '2ee677726ea047b29ffa9fddb9fcf75d,' names no run: an empty or blank selector is refused (is a variable unset?)\n",
    ],
  ])('gc %j --yes: exit 2, nothing deleted', async (sel, stderr) => {
    const store = copyStore();
    const before = snapshot(store);
    const r = await on(store)('gc', ...sel, '--yes');
    expect(r).toEqual({ code: 2, stdout: '', stderr });
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });
});
