/**
 * Terminal output (issue 11): what a narrow terminal gives up first in `runs ls` (#8), …
 * Exact expected output on fixtures/mlruns, at 80 and 160 columns.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE, mlr } from '../helpers.js';

const S = ['--store', FIXTURE];
/** Runs mlr as on a terminal of `columns` columns, without colour. */
const tty = (columns: number, args: string[]) => mlr([...S, ...args], { env: { MLR_FORCE_TTY: '1', COLUMNS: String(columns) } });

describe('runs ls on a narrow terminal (issue 11 #8)', () => {
  it('80 columns: columns equal on every row go first, then params and attributes; metrics stay', async () => {
    const r = await tty(80, ['runs', 'ls', '-e', 'sweep', '--max-results', '6']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'ID        Name                 Status    train_loss  val_acc  val_loss  lr_final',
        '65035d79  rmsprop-lr1e-4-bs64  FINISHED    0.071208     0.99  0.093626         -',
        '0fcd845b  AdamW-lr1e-4-bs32    FINISHED     0.12296     0.99   0.15848         -',
        '43599031  sgd-lr1e-4-bs16      FINISHED     0.18505     0.99   0.20337      1e-5',
        'a2ef7577  adam-lr1e-4-bs64     RUNNING      0.21014  0.76507   0.19167         -',
        'cc66ad54  child-40-1           FINISHED           -        -         -         -',
        'f0c53573  child-40-0           FINISHED           -        -         -         -',
        '(same on every row: Experiment sweep, Started 3 years ago)',
        '(7 more columns: metric fold_score, 5 params, Duration; widen the terminal or',
        ' use --columns / --format tsv)',
        '',
      ].join('\n'),
    );
  });

  it('160 columns: only what is the same on every row is left out, and its value is said', async () => {
    const r = await tty(160, ['runs', 'ls', '-e', 'sweep', '--max-results', '6']);
    expect(r.stdout).toBe(
      [
        'ID        Name                 Status    Duration  train_loss  val_acc  val_loss  fold_score  lr_final  batch_size  lr    optimizer  fold  model/depth',
        '65035d79  rmsprop-lr1e-4-bs64  FINISHED     50.0s    0.071208     0.99  0.093626           -         -  64          1e-4  rmsprop    -     -',
        '0fcd845b  AdamW-lr1e-4-bs32    FINISHED     50.0s     0.12296     0.99   0.15848           -         -  32          1e-4  AdamW      -     50',
        '43599031  sgd-lr1e-4-bs16      FINISHED    1m 50s     0.18505     0.99   0.20337           -      1e-5  16          1e-4  sgd        -     -',
        'a2ef7577  adam-lr1e-4-bs64     RUNNING          -     0.21014  0.76507   0.19167           -         -  64          1e-4  adam       -     18',
        'cc66ad54  child-40-1           FINISHED     200ms           -        -         -        0.75         -  -           -     -          1     -',
        'f0c53573  child-40-0           FINISHED     200ms           -        -         -        0.74         -  -           -     -          0     -',
        '(same on every row: Experiment sweep, Started 3 years ago)',
        '',
      ].join('\n'),
    );
  });

  it('80 columns: the metrics a query names are the last to go; its constant param goes with the constants', async () => {
    const r = await tty(80, ['runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.val_acc', '--filter', "params.optimizer = 'adam'", '--max-results', '5']);
    expect(r.stdout).toBe(
      [
        'ID        Name               Status    Duration  val_acc  train_loss  val_loss',
        '31918f3c  adam-lr0.001-bs16  FAILED       50.0s  0.71014     0.23375   0.21069',
        'e759ef61  adam-lr0.001-bs64  RUNNING          -   0.7143     0.31906   0.31656',
        '347577af  adam-lr0.1-bs32    KILLED       50.0s  0.71617     0.26119   0.24222',
        'd6105782  run 0              FINISHED    1m 50s  0.72232     0.27304   0.24689',
        'c0ed5349  adam-lr0.01-bs16   FINISHED    1m 50s  0.72286      0.2873   0.27543',
        '(same on every row: Experiment sweep, Started 3 years ago, optimizer adam,',
        ' model/depth 18)',
        '(3 more columns: 3 params; widen the terminal or use --columns / --format tsv)',
        '',
      ].join('\n'),
    );
  });

  it('80 columns across experiments: Experiment varies and stays before params', async () => {
    const r = await tty(80, ['runs', 'ls', '--max-results', '8']);
    expect(r.stdout).toBe(
      [
        'ID        Name       Experiment  Duration  rouge  val_loss  score  max_len  k',
        '0b5d6da9  default-2  Default          5ms      -         -     20  -        2',
        'd254d285  default-1  Default          5ms      -         -     10  -        1',
        'ed84e72c  default-0  Default          5ms      -         -      0  -        0',
        '0cc83f44  bert-11    nlp models      1.0s   0.35       0.7      -  512      -',
        '61936487  bert-10    nlp models      1.0s   0.34       0.8      -  384      -',
        '6b57cc36  gpt 9      nlp models      1.0s   0.33       0.9      -  256      -',
        '73923fb0  bert-8     nlp models      1.0s   0.32         1      -  128      -',
        '49c5b47e  bert-7     nlp models      1.0s   0.31       1.1      -  512      -',
        '(same on every row: Status FINISHED, Started 3 years ago)',
        '(2 more columns: 2 params; widen the terminal or use --columns / --format tsv)',
        '',
      ].join('\n'),
    );
  });

  it('the whole store at 80 and 160 columns: metrics shown, the constant Started column said once', async () => {
    const narrow = (await tty(80, ['runs', 'ls'])).stdout.split('\n');
    expect(narrow[0]).toBe('ID        Name                  Status    val_loss  train_loss  val_acc  rouge');
    expect(narrow.slice(-4)).toEqual([
      '(same on every row: Started 3 years ago)',
      '(15 more columns: 3 metrics, 10 params, Experiment, Duration; widen the terminal',
      ' or use --columns / --format tsv)',
      '',
    ]);
    const wide = (await tty(160, ['runs', 'ls'])).stdout.split('\n');
    expect(wide[0]).toBe(
      'ID        Name                  Experiment  Status    Duration  val_loss  train_loss  val_acc  fold_score  rouge  lr_final  score  batch_size  lr     optimizer',
    );
    expect(wide.slice(-3)).toEqual(['(same on every row: Started 3 years ago)', '(7 more columns: 7 params; widen the terminal or use --columns / --format tsv)', '']);
    for (const lines of [narrow, wide]) for (const l of lines) expect(l.length).toBeLessThanOrEqual(lines === narrow ? 80 : 160);
  });

  it('one row: nothing counts as the same on every row; attributes go before metrics', async () => {
    const r = await tty(80, ['runs', 'ls', '-e', 'sweep', '--max-results', '1']);
    expect(r.stdout.split('\n')[0]).toBe('ID        Name                 Status    Duration  train_loss  val_acc  val_loss');
    expect(r.stdout).not.toContain('same on every row');
  });
});
