/**
 * Terminal output (issue 11): what a narrow terminal gives up first in `runs ls` (#8),
 * `runs diff` keys and changes (#11), long values in `runs describe` (#12), terminal escapes
 * in values (#33).
 * Exact expected output on fixtures/mlruns, at 80 and 160 columns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControls, wrapText } from '../../src/render/format.js';
import { FIXTURE, copyStore, mlr } from '../helpers.js';

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
    expect(wide.slice(-3)).toEqual([
      '(same on every row: Started 3 years ago)',
      '(7 more columns: 7 params; widen the terminal or use --columns / --format tsv)',
      '',
    ]);
    for (const lines of [narrow, wide]) for (const l of lines) expect(l.length).toBeLessThanOrEqual(lines === narrow ? 80 : 160);
  });

  it('one row: nothing counts as the same on every row; attributes go before metrics', async () => {
    const r = await tty(80, ['runs', 'ls', '-e', 'sweep', '--max-results', '1']);
    expect(r.stdout.split('\n')[0]).toBe('ID        Name                 Status    Duration  train_loss  val_acc  val_loss');
    expect(r.stdout).not.toContain('same on every row');
  });
});

const FIVE = ['65035d79', '0fcd845b', '43599031', 'a2ef7577', 'cc66ad54'];

describe('runs diff on a terminal (issue 11 #11)', () => {
  it('5 runs at 80 columns: every key whole (they were cut to `metrics.va…`, twice)', async () => {
    const r = await tty(80, ['runs', 'diff', ...FIVE]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '   key                       rmsprop…  AdamW-l…  sgd-lr1e…  adam-lr1…  child-40…',
        '   run_id                    65035d79  0fcd845b  43599031   a2ef7577   cc66ad54',
        '   run_name                  rmsprop…  AdamW-l…  sgd-lr1e…  adam-lr1…  child-40…',
        '   experiment                sweep (…  sweep (…  sweep (2…  sweep (2…  sweep (2…',
        '*  status                    FINISHED  FINISHED  FINISHED   RUNNING    FINISHED',
        '   user_id                   unknown   unknown   unknown    unknown    unknown',
        '   start_time                2023-11…  2023-11…  2023-11-…  2023-11-…  2023-11-…',
        '   end_time                  2023-11…  2023-11…  2023-11-…  -          2023-11-…',
        '*  duration                  50.0s     50.0s     1m 50s     -          200ms',
        '   lifecycle_stage           active    active    active     active     active',
        '*  params.batch_size         64        32        16         64         -',
        '*  params.fold               -         -         -          -          1',
        '*  params.lr                 1e-4      1e-4      1e-4       1e-4       -',
        '*  params.model/depth        -         50        -          18         -',
        '*  params.optimizer          rmsprop   AdamW     sgd        adam       -',
        '*  metrics.fold_score        -         -         -          -          0.75',
        '*  metrics.lr_final          -         -         1e-5       -          -',
        '*  metrics.train_loss        0.071208  0.12296   0.18505    0.21014    -',
        '*  metrics.val_acc           0.99      0.99      0.99       0.76507    -',
        '*  metrics.val_loss          0.093626  0.15848   0.20337    0.19167    -',
        '*  tags.mlflow.note.content  -         -         -          note for…  -',
        '*  tags.mlflow.parentRunId   -         -         -          -          2ee67772…',
        '*  tags.priority             -         -         0          -          -',
        '*  tags.team                 Vision    nlp       vision     Vision     -',
        '',
      ].join('\n'),
    );
  });

  it('--only-changed: no attribute row that did not change, run_id kept to tell the runs apart', async () => {
    const r = await tty(80, ['runs', 'diff', ...FIVE, '--only-changed']);
    expect(r.stdout).toBe(
      [
        '   key                       rmsprop…  AdamW-l…  sgd-lr1e…  adam-lr1…  child-40…',
        '   run_id                    65035d79  0fcd845b  43599031   a2ef7577   cc66ad54',
        '*  status                    FINISHED  FINISHED  FINISHED   RUNNING    FINISHED',
        '*  duration                  50.0s     50.0s     1m 50s     -          200ms',
        '*  params.batch_size         64        32        16         64         -',
        '*  params.fold               -         -         -          -          1',
        '*  params.lr                 1e-4      1e-4      1e-4       1e-4       -',
        '*  params.model/depth        -         50        -          18         -',
        '*  params.optimizer          rmsprop   AdamW     sgd        adam       -',
        '*  metrics.fold_score        -         -         -          -          0.75',
        '*  metrics.lr_final          -         -         1e-5       -          -',
        '*  metrics.train_loss        0.071208  0.12296   0.18505    0.21014    -',
        '*  metrics.val_acc           0.99      0.99      0.99       0.76507    -',
        '*  metrics.val_loss          0.093626  0.15848   0.20337    0.19167    -',
        '*  tags.mlflow.note.content  -         -         -          note for…  -',
        '*  tags.mlflow.parentRunId   -         -         -          -          2ee67772…',
        '*  tags.priority             -         -         0          -          -',
        '*  tags.team                 Vision    nlp       vision     Vision     -',
        '',
      ].join('\n'),
    );
  });

  it('60 columns: long keys wrap, so no two key cells read the same', async () => {
    const r = await tty(60, ['runs', 'diff', ...FIVE, '--only-changed']);
    expect(r.stdout).toBe(
      [
        '   key                rmspr…  AdamW…  sgd-l…  adam-…  child…',
        '   run_id             65035…  0fcd8…  43599…  a2ef7…  cc66a…',
        '*  status             FINIS…  FINIS…  FINIS…  RUNNI…  FINIS…',
        '*  duration           50.0s   50.0s   1m 50s  -       200ms',
        '*  params.batch_size  64      32      16      64      -',
        '*  params.fold        -       -       -       -       1',
        '*  params.lr          1e-4    1e-4    1e-4    1e-4    -',
        '*  params.model/      -       50      -       18      -',
        '   depth',
        '*  params.optimizer   rmspr…  AdamW   sgd     adam    -',
        '*  metrics.fold_      -       -       -       -       0.75',
        '   score',
        '*  metrics.lr_final   -       -       1e-5    -       -',
        '*  metrics.train_     0.071…  0.122…  0.185…  0.210…  -',
        '   loss',
        '*  metrics.val_acc    0.99    0.99    0.99    0.765…  -',
        '*  metrics.val_loss   0.093…  0.158…  0.203…  0.191…  -',
        '*  tags.mlflow.note.  -       -       -       note …  -',
        '   content',
        '*  tags.mlflow.       -       -       -       -       2ee67…',
        '   parentRunId',
        '*  tags.priority      -       -       0       -       -',
        '*  tags.team          Vision  nlp     vision  Vision  -',
        '',
      ].join('\n'),
    );
    for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(60);
  });

  it('values compare as shown: 50.0s | 50.0s is no change on a terminal, but is one in TSV (50047 | 50046 ms)', async () => {
    const shown = await tty(100, ['runs', 'diff', '65035d79', '0fcd845b']);
    expect(shown.stdout.split('\n').find((l) => l.includes('duration'))).toBe('   duration            50.0s                       50.0s');
    const only = await tty(100, ['runs', 'diff', '65035d79', '0fcd845b', '--only-changed']);
    expect(only.stdout).not.toMatch(/duration|run_name|start_time|end_time/);
    const piped = await mlr([...S, 'runs', 'diff', '65035d79', '0fcd845b', '--only-changed']);
    expect(piped.stdout.split('\n').slice(1, 3)).toEqual([
      'run_id\t65035d79c11541c68301c409c65af1ee\t0fcd845b07194992b396ad2f7047d7eb\t',
      'duration\t50047\t50046\t',
    ]);
  });

  it('wrapText breaks after . / _ - or a space, and joins back to the text', () => {
    expect(wrapText('metrics.val_loss', 10)).toEqual(['metrics.', 'val_loss']);
    expect(wrapText('tags.mlflow.note.content', 12)).toEqual(['tags.mlflow.', 'note.content']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('short', 10)).toEqual(['short']);
    for (const s of ['params.model/depth', 'a.b.c.d.e.f', 'x'.repeat(30), 'é😀é😀é😀']) expect(wrapText(s, 5).join('')).toBe(s);
  });
});

/** A copy of the fixture store (removed after `body`) whose run 65035d79 has tag `key` = `value`. */
async function withTag(key: string, value: string, body: (store: string) => Promise<void>): Promise<void> {
  const store = copyStore();
  try {
    fs.writeFileSync(path.join(store, '234684999513866976', '65035d79c11541c68301c409c65af1ee', 'tags', key), value);
    await body(store);
  } finally {
    fs.rmSync(path.dirname(store), { recursive: true, force: true });
  }
}

// a log-model history as MLflow writes it, here indented over many lines: about 13 KB
const HISTORY = JSON.stringify(
  Array.from({ length: 40 }, (_, i) => ({
    run_id: '65035d79c11541c68301c409c65af1ee',
    artifact_path: `model${i}`,
    utc_time_created: '2023-11-14 23:01:00.000000',
    flavors: {
      python_function: { loader_module: 'mlflow.sklearn', python_version: '3.10.12' },
      sklearn: { pickled_model: 'model.pkl', sklearn_version: '1.3.2' },
    },
    mlflow_version: '2.12.1',
  })),
  null,
  1,
);

describe('runs describe: long values collapsed on a terminal (issue 11 #12)', () => {
  it('a 13 KB tag takes three lines, saying how much is hidden; --full, JSON and a pipe show it whole', async () => {
    expect(HISTORY.length).toBeGreaterThan(12_000);
    await withTag('mlflow.log-model.history', HISTORY, async (store) => {
      const env = { env: { MLR_FORCE_TTY: '1', COLUMNS: '80' } };
      const r = await mlr(['--store', store, 'runs', 'describe', '65035d79'], env);
      expect(r.code).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.startsWith('tags.mlflow.log-model.history'))!;
      const key = 'tags.mlflow.log-model.history  ';
      const keep = line.indexOf('… [') - key.length; // characters shown (no newline among them)
      expect(keep).toBeGreaterThan(80);
      const hiddenLines = HISTORY.slice(keep).split('\n').length - 1;
      expect(line).toBe(
        key +
          HISTORY.slice(0, keep).replace(/\n/g, '⏎') +
          `… [${(HISTORY.length - keep).toLocaleString('en-US')} more characters, ${hiddenLines} more lines; --full or --format json shows all]`,
      );
      expect(line.length).toBeGreaterThan(3 * 80 - 5);
      expect(line.length).toBeLessThanOrEqual(3 * 80);
      for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(3 * 80);

      const full = await mlr(['--store', store, 'runs', 'describe', '65035d79', '--full'], env);
      expect(full.stdout).toContain('tags.mlflow.log-model.history  ' + HISTORY.replace(/\n/g, '⏎') + '\n');
      const json = JSON.parse((await mlr(['--store', store, 'runs', 'describe', '65035d79', '--format', 'json'])).stdout) as {
        data: { tags: { key: string; value: string }[] };
      };
      expect(json.data.tags.find((t) => t.key === 'mlflow.log-model.history')?.value).toBe(HISTORY);
      const piped = await mlr(['--store', store, 'runs', 'describe', '65035d79']);
      expect(piped.stdout).toContain('tags.mlflow.log-model.history\t' + HISTORY.replace(/\n/g, '\\n') + '\n');
    });
  });

  it('values that fit in three lines are shown whole', async () => {
    // the widest key is tags.mlflow.runName (19): values start at column 21
    const value = 'x'.repeat(3 * 80 - 21);
    await withTag('note', value, async (store) => {
      const r = await mlr(['--store', store, 'runs', 'describe', '65035d79'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '80' } });
      expect(r.stdout).toContain(`tags.note            ${value}\n`);
      const longer = await mlr(['--store', store, 'runs', 'describe', '65035d79'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '79' } });
      expect(longer.stdout).toMatch(/\ntags\.note {12}x+… \[\d+ more characters; --full or --format json shows all\]\n/);
    });
  });
});

// screen-clear, colour, window title, an OSC 8 hyperlink, BEL, C1 CSI and NEL, DEL, CR, NUL
const HOSTILE = 'a\x1b[2J\x1b[31mred\x1b]0;pwned\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\u009b2J\u0085\x7f\r\x00z';
const SHOWN = 'a\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07\\x1b]8;;http://evil.example\\x1b\\link\\x1b]8;;\\x1b\\\\x9b2J\\x85\\x7f\\x0d\\x00z';
/** Anything a terminal would act on, but tab and newline. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('control characters are shown, never sent, on a terminal (issue 11 #33)', () => {
  it('escapeControls writes C0 (but tab and newline), DEL and C1 as \\xNN and leaves the rest', () => {
    expect(escapeControls(HOSTILE)).toBe(SHOWN);
    expect(escapeControls('tab\there\nnewline é 😀 \u00a0 ⏎')).toBe('tab\there\nnewline é 😀 \u00a0 ⏎');
    for (let c = 0; c <= 0xa0; c++) {
      const ch = String.fromCharCode(c);
      const control = (c < 0x20 && c !== 9 && c !== 10) || (c >= 0x7f && c <= 0x9f);
      expect(escapeControls(ch)).toBe(control ? `\\x${c.toString(16).padStart(2, '0')}` : ch);
    }
  });

  it('runs ls, runs describe, runs diff and warnings on a terminal; CSV, TSV and JSON keep the bytes', async () => {
    const store = copyStore();
    try {
      const run = path.join(store, '234684999513866976', '65035d79c11541c68301c409c65af1ee');
      fs.writeFileSync(path.join(run, 'params', 'lr'), HOSTILE);
      fs.writeFileSync(path.join(run, 'tags', 'team'), HOSTILE);
      fs.appendFileSync(path.join(run, 'metrics', 'val_loss'), '\x1b[2J\x1b]0;title\x07 0.5 3\n');
      const env = { env: { MLR_FORCE_TTY: '1', COLUMNS: '300' } };
      const S2 = ['--store', store];

      const ls = await mlr([...S2, 'runs', 'ls', '-e', 'sweep', '--max-results', '2', '--columns', 'run_name,params.lr,tags.team'], env);
      // cut to the column's 24 characters like any long value: the escapes count
      const cut = SHOWN.slice(0, 23) + '…';
      expect(ls.stdout).toBe(
        [
          'Name                 ' + 'lr'.padEnd(24) + '  team',
          `rmsprop-lr1e-4-bs64  ${cut}  ${cut}`,
          'AdamW-lr1e-4-bs32    ' + '1e-4'.padEnd(24) + '  nlp',
          '',
        ].join('\n'),
      );
      const warning = "/metrics/val_loss line 21: timestamp '\\x1b[2J\\x1b]0;title\\x07' is not an integer\n";

      const describe = await mlr([...S2, 'runs', 'describe', '65035d79'], env);
      expect(describe.stdout).toContain(`\nparams.lr            ${SHOWN}\n`);
      expect(describe.stdout).toContain(`\ntags.team            ${SHOWN}\n`);
      const diff = await mlr([...S2, 'runs', 'diff', '65035d79', '0fcd845b', '--only-changed'], env);
      expect(diff.stdout).toContain(`*  params.lr           ${SHOWN.slice(0, 31)}…  1e-4`);
      for (const r of [describe, diff]) {
        expect(r.stdout).not.toMatch(RAW_CONTROL);
        expect(r.stderr).toContain(warning);
        expect(r.stderr).not.toMatch(RAW_CONTROL);
      }

      // as data, the value is the value
      const csv = await mlr([...S2, 'runs', 'ls', '-e', 'sweep', '--max-results', '1', '--columns', 'params.lr', '--format', 'csv']);
      expect(csv.stdout).toBe(`params.lr\n"${HOSTILE}"\n`);
      const tsv = await mlr([...S2, 'runs', 'ls', '-e', 'sweep', '--max-results', '1', '--columns', 'params.lr', '--format', 'tsv']);
      expect(tsv.stdout).toBe(`params.lr\n${HOSTILE.replace(/\\/g, '\\\\').replace(/\r/g, '\\r')}\n`);
      const json = JSON.parse((await mlr([...S2, 'runs', 'describe', '65035d79', '--format', 'json'])).stdout) as {
        data: { params: { key: string; value: string }[] };
      };
      expect(json.data.params.find((p) => p.key === 'lr')?.value).toBe(HOSTILE);
    } finally {
      fs.rmSync(path.dirname(store), { recursive: true, force: true });
    }
  });
});
