/**
 * Issue 11 item 13: `--format md` (for PR comments and CI summaries) for runs ls, runs diff,
 * experiments ls and doctor; on a terminal, output taller than the screen goes through the
 * pager ($MLR_PAGER, $PAGER, less -FRX), `--no-pager` and `MLR_PAGER=` turn it off.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE, copyStore, mlr, onTerminal, writeTree } from '../helpers.js';

const S = ['--store', FIXTURE];

describe('--format md', () => {
  it('experiments ls', async () => {
    const r = await mlr([...S, 'experiments', 'ls', '--format', 'md']);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        '| experiment_id | name | lifecycle_stage | creation_time | last_update_time | artifact_location |',
        '| --- | --- | --- | --- | --- | --- |',
        '| 146381941577740080 | nlp models | active | 2026-11-22T03:31:19.990Z | 2026-11-22T03:31:19.990Z | file:///home/ana/cv-project/mlruns/146381941577740080 |',
        '| 234684999513866976 | sweep | active | 2026-11-22T03:31:19.985Z | 2026-11-22T03:31:19.985Z | file:///home/ana/cv-project/mlruns/234684999513866976 |',
        '| 0 | Default | active | 2026-11-22T03:31:19.981Z | 2026-11-22T03:31:19.981Z | file:///home/ana/cv-project/mlruns/0 |',
        '',
      ].join('\n'),
    });
  });
  it('runs ls: numbers right-aligned and in full; |, *, < and line breaks escaped', async () => {
    const store = copyStore();
    expect((await mlr(['--store', store, 'set-tag', '65035d79', 'note', 'a|b *c* <x>\nnext'])).code).toBe(0);
    const r = await mlr([
      '--store',
      store,
      'runs',
      'ls',
      '-e',
      'sweep',
      '--max-results',
      '2',
      '--columns',
      'run_name,metrics.val_loss,tags.note',
      '--format',
      'md',
    ]);
    expect(r.stdout).toBe(
      [
        '| run_name | metrics.val_loss | tags.note |',
        '| --- | ---: | --- |',
        '| rmsprop-lr1e-4-bs64 | 0.09362590033737264 | a\\|b \\*c\\* &lt;x><br>next |',
        '| AdamW-lr1e-4-bs32 | 0.15847638470575065 |  |',
        '',
      ].join('\n'),
    );
    // the same on a terminal: md is never the aligned table
    const tty = await mlr(['--store', store, 'runs', 'ls', '-e', 'sweep', '--max-results', '2', '--columns', 'run_name', '--format', 'markdown'], {
      env: { MLR_FORCE_TTY: '1' },
    });
    expect(tty.stdout).toBe('| run_name |\n| --- |\n| rmsprop-lr1e-4-bs64 |\n| AdamW-lr1e-4-bs32 |\n');
  });
  it('runs diff: names as headers, values as on a terminal, changed rows marked', async () => {
    const r = await mlr([...S, 'runs', 'diff', '65035d79', '0fcd845b', '--only-changed', '--format', 'md']);
    expect(r.stdout).toBe(
      [
        '| key | rmsprop-lr1e-4-bs64 | AdamW-lr1e-4-bs32 | Δ |',
        '| --- | --- | --- | ---: |',
        '| run_id | 65035d79 | 0fcd845b |  |',
        '| params.batch_size \\* | 64 | 32 |  |',
        '| params.model/depth \\* | - | 50 |  |',
        '| params.optimizer \\* | rmsprop | AdamW |  |',
        '| metrics.train_loss \\* | 0.071208 | 0.12296 | +0.051755 (+72.7%) |',
        '| metrics.val_loss \\* | 0.093626 | 0.15848 | +0.06485 (+69.3%) |',
        '| tags.team \\* | Vision | nlp |  |',
        '',
        '`*` marks the rows that differ.',
        '',
      ].join('\n'),
    );
  });
  it('doctor: the findings and the summary, nothing on stderr', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml': 'artifact_location: mlruns/0\nexperiment_id: "0"\nlifecycle_stage: active\nname: Default\n',
      'mlruns/0/r1/params/lr': '0.1',
    });
    const r = await mlr(['--store', `${dir}/mlruns`, 'doctor', '--format', 'md']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('| severity | code | path | message | fix | command |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- | --- |');
    expect(lines[2]).toMatch(/^\| (error|warning) \| [a-z-]+ \| /);
    expect(lines.at(-3)).toBe('');
    expect(lines.at(-2)).toMatch(/ in .*mlruns \(1 experiment, 1 run\)/);
  });
  it('clean doctor: the summary alone', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml':
        'artifact_location: mlruns/0\nexperiment_id: "0"\nlifecycle_stage: active\nname: Default\ncreation_time: 1700000000000\nlast_update_time: 1700000000000\n',
    });
    const r = await mlr(['--store', `${dir}/mlruns`, 'doctor', '--format', 'md']);
    expect(r.stdout).not.toContain('|');
  });
});

describe('the pager', () => {
  const PAGED = { NO_COLOR: '1', MLR_PAGER: "sed 's/^/P: /'" };
  it('pages output taller than the terminal', async () => {
    const r = await onTerminal([...S, 'runs', 'ls', '-e', 'sweep', '--max-results', '12', '--columns', 'run_name'], PAGED, 10);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    expect(lines.every((l) => l.startsWith('P: '))).toBe(true);
    expect(lines[1]).toBe('P: rmsprop-lr1e-4-bs64');
  });
  it('prints short output as it is', async () => {
    const r = await onTerminal([...S, 'experiments', 'ls'], PAGED, 10);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID +Name/);
  });
  it('--no-pager and MLR_PAGER= turn it off; $PAGER is used when MLR_PAGER is unset', async () => {
    const args = [...S, 'runs', 'ls', '-e', 'sweep', '--columns', 'run_name'];
    expect((await onTerminal(['--no-pager', ...args], PAGED, 10)).stdout).toMatch(/^Name\n/);
    expect((await onTerminal(args, { NO_COLOR: '1', MLR_PAGER: '', PAGER: "sed 's/^/Q: /'" }, 10)).stdout).toMatch(/^Name\n/);
    expect((await onTerminal(args, { NO_COLOR: '1', PAGER: "sed 's/^/Q: /'" }, 10)).stdout).toMatch(/^Q: Name\n/);
  });
  it('never pages a pipe or a forced layout', async () => {
    const r = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--columns', 'run_name'], { env: { ...PAGED, MLR_FORCE_TTY: '1', LINES: '5' } });
    expect(r.stdout).toMatch(/^Name\n/);
  });
  it('a pager that quits early ends the command quietly', async () => {
    const r = await onTerminal([...S, 'runs', 'ls', '--columns', 'run_id'], { NO_COLOR: '1', MLR_PAGER: 'head -2' }, 5);
    expect(r).toEqual({ code: 0, stdout: 'ID\n0b5d6da9\n', stderr: '' });
  });
});
