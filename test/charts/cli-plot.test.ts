/**
 * End-to-end: `mlr plot` and `mlr runs diff` through the CLI (in-process) and the read-only fixture
 * store (MLflow 2.12), in pipe and forced-TTY mode; `--follow` (the built binary, stopped by a
 * signal) against a temp copy.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURE, cleanEnv, makeStore, mlr, out, runId, stripAnsi } from './helpers.js';
import { copyStore, reap } from '../helpers.js';

const S = ['--store', FIXTURE];
const A = '65035d79'; // rmsprop-lr1e-4-bs64: 20 steps
const B = '0fcd845b'; // AdamW-lr1e-4-bs32: 15 steps
const C = 'a2ef7577'; // adam-lr1e-4-bs64: 5 steps, RUNNING

describe('mlr plot', () => {
  it('draws several runs in one chart without colour when piped', async () => {
    const r = await mlr([...S, 'plot', A, B, C, '--metric', 'val_loss', '--height', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      out(
        'val_loss',
        '1.24 ┼+',
        '1.11 ┤++',
        '0.98 ┤ ++',
        '0.85 ┼* ++',
        '0.72 ┼xx*+++',
        '0.59 ┤ xx* ++++',
        '0.46 ┤  xxx** ++++',
        '0.33 ┤    xxxxxxxx+++++++++++++',
        '0.20 ┤           xxxxx********+++++++++++++++++++++++++++++2',
        '0.07 ┤                3            **    *****     ***************************1',
        '     └────────────────────────────────────────────────────────────────────────',
        '      0                                step                                 19',
        '1 * rmsprop-lr1e-4-bs64  last 0.09363  min 0.07264  max 0.8668',
        '2 + AdamW-lr1e-4-bs32    last  0.1585  min   0.146  max  1.236',
        '3 x adam-lr1e-4-bs64     last  0.1917  min  0.1917  max 0.7358',
      ),
    );
  });

  it('fits the terminal width on a TTY and names the run in the title for one run', async () => {
    const r = await mlr([...S, 'plot', A, '--metric', 'val_loss', '--metric', 'train_loss', '--height', '8'], { tty: 60 });
    expect(r.stdout).toBe(
      out(
        'rmsprop-lr1e-4-bs64 (65035d79)',
        '1.24 ┼+',
        '1.07 ┤++',
        '0.90 ┼*++',
        '0.74 ┤**+',
        '0.57 ┤ *+++',
        '0.40 ┤   *++++',
        '0.23 ┤      *+++++++++++++*  **                           2',
        '0.07 ┤                   +++++++++++++++++++++++++++++++++1',
        '     └────────────────────────────────────────────────────',
        '      0                      step                       19',
        '1 * val_loss    last 0.09363  min 0.07264  max 0.8668',
        '2 + train_loss  last 0.07121  min 0.06746  max  1.239',
      ),
    );
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });

  it('colours series on a colour TTY, and only there', async () => {
    const colored = await mlr([...S, 'plot', A, B, '--metric', 'val_loss', '--height', '6'], { tty: 70, color: true });
    const plain = await mlr([...S, 'plot', A, B, '--metric', 'val_loss', '--height', '6'], { tty: 70 });
    expect(colored.stdout).toContain('\x1b[34m');
    expect(colored.stdout).toContain('\x1b[33m');
    expect(plain.stdout).not.toContain('\x1b');
    // colour tells the lines apart in box glyphs; without it each series has its own marker
    expect(stripAnsi(colored.stdout)).not.toMatch(/[*+]/);
    expect(stripAnsi(colored.stdout)).toMatch(/^1 ── rmsprop-lr1e-4-bs64 .*\n2 ── AdamW-lr1e-4-bs32 /m);
    expect(plain.stdout).toMatch(/^1 \* rmsprop-lr1e-4-bs64 .*\n2 \+ AdamW-lr1e-4-bs32 /m);
  });

  it('puts time and elapsed time on the x axis', async () => {
    const time = await mlr([...S, 'plot', A, '--metric', 'val_loss', '--height', '4', '--width', '40', '--x', 'time']);
    expect(time.stdout).toBe(
      out(
        'val_loss · rmsprop-lr1e-4-bs64 (65035d79)',
        '0.87 ┼╮',
        '0.60 ┤╰─╮',
        '0.34 ┤  ╰──────╮',
        '0.07 ┤         ╰───────────────────────╴',
        '     └──────────────────────────────────',
        '      2023-11-14T23:00:28Z 2023-11-14T23:00:47Z',
        '── val_loss',
        '   last 0.09363  min 0.07264  max 0.8668',
      ),
    );
    const rel = await mlr([...S, 'plot', A, '--metric', 'val_loss', '--height', '4', '--width', '40', '--x', 'relative', '--smooth', '0.6', '--since', '10']);
    expect(rel.stdout).toBe(
      out(
        'val_loss · rmsprop-lr1e-4-bs64 (65035d79)',
        '0.138 ┤  ╭─────╮',
        '0.120 ┼──╯     ╰───╮',
        '0.101 ┤            ╰───────╮',
        '0.083 ┤                    ╰───────────╴',
        '      └─────────────────────────────────',
        '       11s     time since start      20s',
        '── val_loss',
        '   last 0.09363  min 0.07264  max 0.146',
      ),
    );
  });

  it('prints the points as CSV or JSON, from --since on, with smoothed values when smoothing', async () => {
    const csv = await mlr([...S, 'plot', A, '--metric', 'val_loss', '--format', 'csv', '--since', '17']);
    expect(csv.stdout).toBe(
      out(
        'run_id,run_name,metric,step,timestamp,value',
        '65035d79c11541c68301c409c65af1ee,rmsprop-lr1e-4-bs64,val_loss,17,1700002845000,0.07263723047060928',
        '65035d79c11541c68301c409c65af1ee,rmsprop-lr1e-4-bs64,val_loss,18,1700002846000,0.0914477285190898',
        '65035d79c11541c68301c409c65af1ee,rmsprop-lr1e-4-bs64,val_loss,19,1700002847000,0.09362590033737264',
      ),
    );
    const json = await mlr([...S, 'plot', A, B, '--metric', 'val_loss', '--format', 'json', '--since', '18', '--smooth', '0.5']);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        run_id: '65035d79c11541c68301c409c65af1ee',
        run_name: 'rmsprop-lr1e-4-bs64',
        metric: 'val_loss',
        points: [
          { step: 18, timestamp: 1700002846000, value: 0.0914477285190898, smoothed: 0.0914477285190898 },
          // debiased EMA: (0.5·0.5·v18 + 0.5·v19) / (1 − 0.25)
          { step: 19, timestamp: 1700002847000, value: 0.09362590033737264, smoothed: (0.25 * 0.0914477285190898 + 0.5 * 0.09362590033737264) / 0.75 },
        ],
      },
      { run_id: '0fcd845b07194992b396ad2f7047d7eb', run_name: 'AdamW-lr1e-4-bs32', metric: 'val_loss', points: [] },
    ]);
  });

  it('chooses runs by query: experiment, aggregate order, max results', async () => {
    const r = await mlr([
      ...S,
      'plot',
      '-e',
      'sweep',
      '--order-by',
      'min(metrics.val_loss)',
      '--max-results',
      '2',
      '--metric',
      'val_loss',
      '--height',
      '5',
      '--width',
      '60',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      out(
        'val_loss',
        '0.80 ┼+',
        '0.61 ┼+++',
        '0.43 ┤  +++++',
        '0.25 ┤    **+++++++++++++++ +++                           2',
        '0.06 ┤              ******+++*+++++++++++++++++++++++++++▼1',
        '     └────────────────────────────────────────────────────',
        '      0                      step                       19',
        '1 * rmsprop-lr0.1-bs32',
        '    last    -inf  min 0.06828  max 0.6967  (−Inf ×1 ▼)',
        '2 + rmsprop-lr1e-4-bs32',
        '    last 0.06453  min 0.06453  max 0.7981',
      ),
    );
    const many = await mlr([...S, 'plot', '-e', 'sweep', '--metric', 'val_loss', '--height', '3']);
    expect(many.code).toBe(0);
    expect(many.stderr).toMatch(/^mlr: warning: plotting the first 10 of \d+ runs; use --max-results to change\n/);
  });

  it('suggests a time axis when every point was logged at the same step', async () => {
    const root = makeStore([
      { id: runId('ab'), name: 'nostep', start: 1700000000000, metrics: { acc: ['1700000001000 0.5 0', '1700000002000 0.7 0', '1700000004000 0.6 0'] } },
    ]);
    try {
      const step = await mlr(['--store', root, 'plot', runId('ab'), '--metric', 'acc', '--height', '3', '--width', '30']);
      expect(step.stderr).toBe('mlr: warning: every point is at step 0; try --x time or --x relative\n');
      const rel = await mlr(['--store', root, 'plot', runId('ab'), '--metric', 'acc', '--height', '3', '--width', '30', '--x', 'relative']);
      expect(rel.stderr).toBe('');
      expect(rel.stdout).toBe(
        out(
          'acc · nostep (ab000000)',
          '0.7 ┤     ╭──────────╮',
          '0.6 ┤ ╭───╯          ╰───────╴',
          '0.5 ┼─╯',
          '    └─────────────────────────',
          '     1s  time since start   4s',
          '── acc',
          '   last 0.6  min 0.5  max 0.7',
        ),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('chooses runs by search filter and plain order-by keys too', async () => {
    const r = await mlr([
      ...S,
      'plot',
      '-e',
      'sweep',
      '--filter',
      "params.optimizer = 'adam'",
      '--order-by',
      'metrics.val_loss',
      '--max-results',
      '3',
      '--metric',
      'val_loss',
      '--height',
      '5',
      '--width',
      '60',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      out(
        'val_loss',
        '0.77 ┼xxxx',
        '0.63 ┤+++xxxxxxx',
        '0.48 ┤       ++xxxxxxxxxxx                                3',
        '0.34 ┤              *++++xxxxxxxxxxxxxxxxxxx***           2',
        '0.19 ┤                                    +xxxxxxxxxxxxxxx1',
        '     └────────────────────────────────────────────────────',
        '      0                       step                       4',
        '1 * adam-lr1e-4-bs64   last 0.1917  min 0.1917  max 0.7358',
        '2 + adam-lr0.01-bs32   last 0.2036  min 0.2036  max 0.7144',
        '3 x adam-lr0.001-bs16  last 0.2107  min 0.2107  max 0.7737',
      ),
    );
    // the same three runs, in the same order, as runs ls picks them
    const ids = await mlr([
      ...S,
      'runs',
      'ls',
      '-e',
      'sweep',
      '--filter',
      "params.optimizer = 'adam'",
      '--order-by',
      'metrics.val_loss',
      '--max-results',
      '3',
      '--columns',
      'run_name',
    ]);
    expect(ids.stdout).toBe(out('run_name', 'adam-lr1e-4-bs64', 'adam-lr0.01-bs32', 'adam-lr0.001-bs16'));
  });

  it('warns about a run without the metric and plots the others', async () => {
    const r = await mlr([...S, 'plot', A, 'cc66ad54', '--metric', 'val_loss', '--height', '3', '--width', '40']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("mlr: warning: run child-40-1 (cc66ad54) has no metric 'val_loss'\n");
    expect(r.stdout).toBe(
      out(
        'val_loss',
        '0.9 ┼─╮',
        '0.5 ┤ ╰───╮',
        '0.1 ┤     ╰────────────────────────────╴',
        '    └───────────────────────────────────',
        '     0              step              19',
        '── rmsprop-lr1e-4-bs64',
        '   last 0.09363  min 0.07264  max 0.8668',
      ),
    );
  });

  it('fails with one clear line and the right exit code', async () => {
    const cases: [string[], number, string][] = [
      [[A], 2, 'mlr: say which metric to plot with --metric <key>; the runs have: train_loss, val_acc, val_loss\n'],
      [[A, '--metric', 'nope'], 1, "mlr: nothing to plot: run rmsprop-lr1e-4-bs64 (65035d79) has no metric 'nope'\n"],
      [['--metric', 'val_loss'], 2, 'mlr: say which runs to plot: run ids, or a query such as -e <experiment> --order-by "min(metrics.val_loss)"\n'],
      [['zzzzzzzz', '--metric', 'val_loss'], 1, "mlr: no run named 'zzzzzzzz' in the active experiments (and 'zzzzzzzz' is not a run id)\n"],
      [['ffffffff', '--metric', 'val_loss'], 1, `mlr: run 'ffffffff' not found in ${FIXTURE}\n`],
      [[A, '-e', 'sweep', '--metric', 'val_loss'], 2, 'mlr: give run ids or a query (-e, --filter, --order-by, --max-results), not both\n'],
      [[A, '--metric', 'val_loss', '--follow', '--format', 'csv'], 2, 'mlr: --follow redraws a chart; it cannot be used with --format json or csv\n'],
      [
        ['-e', 'sweep', '--filter', 'params.optimizer = adam', '--metric', 'val_loss'],
        2,
        "mlr: Parameter value is either not quoted or unidentified quote types used for string value adam. Use either single or double quotes. — e.g. params.optimizer = 'adam'\n  params.optimizer = adam\n                     ^^^^\n",
      ],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await mlr([...S, 'plot', ...args]);
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code, stderr, stdout: '' });
    }
    const bad: [string, string][] = [
      ['--smooth', '1'],
      ['--smooth', '-0.1'],
      ['--width', '10'],
      ['--height', '1'],
      ['--since', '1.5'],
      ['--x', 'epoch'],
    ];
    for (const [flag, value] of bad) {
      const r = await mlr([...S, 'plot', A, '--metric', 'val_loss', flag, value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`argument '${value}' is invalid`);
    }
  });

  it('redraws with --follow as lines are appended, and stops cleanly on SIGINT', async () => {
    const store = copyStore();
    const file = path.join(store, '234684999513866976', 'a2ef757706a04acfb3e214a13b706ded', 'metrics', 'val_loss');
    const child = reap(
      spawn(process.execPath, [BIN, '--store', store, 'plot', C, '--metric', 'val_loss', '--height', '3', '--width', '40', '--follow', '--interval', '0.1'], {
        env: cleanEnv(),
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (pred: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      if (!pred()) throw new Error(`timed out waiting for ${what}; stdout so far:\n${stdout}\nstderr:\n${stderr}`);
    };
    await waitFor(() => stderr.includes('Ctrl-C to stop') && stdout.includes('── val_loss'), 'the first chart');
    expect(stdout.split('\n').at(-3)).toBe('── val_loss');
    expect(stdout).toContain('      0              step              4\n');
    // half a line first: it must not be drawn until its newline arrives
    appendFileSync(file, '1700002653000 0.05');
    // eight reads at --interval 0.1
    await new Promise((r) => setTimeout(r, 800));
    expect(stdout.match(/step/g)).toHaveLength(1);
    appendFileSync(file, ' 5\n1700002654000 0.04 6\n');
    await waitFor(() => (stdout.match(/step/g) ?? []).length === 2, 'the redraw');
    const frames = stdout.split('\n\n');
    expect(frames).toHaveLength(2);
    expect(frames[1]).toBe(
      [
        'val_loss · adam-lr1e-4-bs64 (a2ef7577)',
        '0.74 ┼───╮',
        '0.39 ┤   ╰────────────────╮',
        '0.04 ┤                    ╰────────────╴',
        '     └──────────────────────────────────',
        '      0              step              6',
        '── val_loss',
        '   last 0.04  min 0.04  max 0.7358',
        '',
      ].join('\n'),
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});

describe('mlr plot --follow on a TTY', () => {
  it('redraws the chart in place', async () => {
    const store = copyStore();
    const file = path.join(store, '234684999513866976', 'a2ef757706a04acfb3e214a13b706ded', 'metrics', 'val_loss');
    const child = reap(
      spawn(process.execPath, [BIN, '--store', store, 'plot', C, '--metric', 'val_loss', '--height', '3', '--width', '40', '--follow', '--interval', '0.1'], {
        env: cleanEnv({ tty: 40 }),
      }),
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    for (let i = 0; i < 200 && !stdout.includes('── val_loss'); i++) await new Promise((r) => setTimeout(r, 50));
    appendFileSync(file, '1700002653000 0.05 5\n');
    for (let i = 0; i < 200 && !stdout.includes('\x1b['); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))).toBe(0);
    // the first frame has 8 lines (title, 3 rows, axis, labels, legend on 2): go up 8, clear, draw
    const [first, second] = stdout.split('\x1b[8A\r\x1b[J');
    expect(first!.split('\n')).toHaveLength(9);
    expect(second).toContain('      0              step              5\n');
  });
});

describe('mlr runs diff', () => {
  it('shows two runs side by side with the change of each metric (TTY, no colour: * marks changes)', async () => {
    const r = await mlr([...S, 'runs', 'diff', A, B], { tty: 100 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      out(
        '   key                 rmsprop-lr1e-4-bs64         AdamW-lr1e-4-bs32                       change',
        '   run_id              65035d79                    0fcd845b',
        '   run_name            rmsprop-lr1e-4-bs64         AdamW-lr1e-4-bs32',
        '   experiment          sweep (234684999513866976)  sweep (234684999513866976)',
        '   status              FINISHED                    FINISHED',
        '   user_id             unknown                     unknown',
        '   start_time          2023-11-14T23:00:27.000Z    2023-11-14T22:59:27.000Z',
        '   end_time            2023-11-14T23:01:17.047Z    2023-11-14T23:00:17.046Z',
        '   duration            50.0s                       50.0s',
        '   lifecycle_stage     active                      active',
        '*  params.batch_size   64                          32',
        '   params.lr           1e-4                        1e-4',
        '*  params.model/depth  -                           50',
        '*  params.optimizer    rmsprop                     AdamW',
        '*  metrics.train_loss  0.071208                    0.12296                     +0.051755 (+72.7%)',
        '   metrics.val_acc     0.99                        0.99                                         0',
        '*  metrics.val_loss    0.093626                    0.15848                      +0.06485 (+69.3%)',
        '*  tags.team           Vision                      nlp',
      ),
    );
  });

  it('highlights changed values in colour on a colour TTY', async () => {
    const r = await mlr([...S, 'runs', 'diff', A, B, '--only-changed'], { tty: 100, color: true });
    const lines = r.stdout.split('\n');
    expect(lines[2]).toBe('params.batch_size   \x1b[33m64\x1b[39m                   \x1b[33m32\x1b[39m');
    expect(lines[3]).toBe('params.model/depth  \x1b[2m-\x1b[22m                    \x1b[33m50\x1b[39m');
    expect(stripAnsi(lines[0]!)).toBe('key                 rmsprop-lr1e-4-bs64  AdamW-lr1e-4-bs32              change');
  });

  it('prints tab-separated full-precision values when piped', async () => {
    const r = await mlr([...S, 'runs', 'diff', A, B, '--only-changed']);
    expect(r.stdout).toBe(
      out(
        'key\t65035d79c11541c68301c409c65af1ee\t0fcd845b07194992b396ad2f7047d7eb\tdelta',
        'run_id\t65035d79c11541c68301c409c65af1ee\t0fcd845b07194992b396ad2f7047d7eb\t',
        'duration\t50047\t50046\t',
        'params.batch_size\t64\t32\t',
        'params.model/depth\t\t50\t',
        'params.optimizer\trmsprop\tAdamW\t',
        'metrics.train_loss\t0.07120752184926112\t0.12296290155825179\t0.051755379708990676',
        'metrics.val_loss\t0.09362590033737264\t0.15847638470575065\t0.06485048436837801',
        'tags.team\tVision\tnlp\t',
      ),
    );
  });

  it('compares three runs without a change column', async () => {
    const r = await mlr([...S, 'runs', 'diff', A, B, C, '--only-changed'], { tty: 120 });
    expect(r.stdout).toBe(
      out(
        '   key                       rmsprop-lr1e-4-bs64  AdamW-lr1e-4-bs32  adam-lr1e-4-bs64',
        '   run_id                    65035d79             0fcd845b           a2ef7577',
        '*  status                    FINISHED             FINISHED           RUNNING',
        '*  duration                  50.0s                50.0s              -',
        '*  params.batch_size         64                   32                 64',
        '*  params.model/depth        -                    50                 18',
        '*  params.optimizer          rmsprop              AdamW              adam',
        '*  metrics.train_loss        0.071208             0.12296            0.21014',
        '*  metrics.val_acc           0.99                 0.99               0.76507',
        '*  metrics.val_loss          0.093626             0.15848            0.19167',
        '*  tags.mlflow.note.content  -                    -                  note for run 44',
        '*  tags.team                 Vision               nlp                Vision',
      ),
    );
  });

  it('prints JSON with typed values, changed flags and deltas', async () => {
    const r = await mlr([...S, 'runs', 'diff', A, B, '--format', 'json']);
    const d = JSON.parse(r.stdout) as { runs: unknown[]; rows: { key: string; values: unknown[]; changed: boolean; delta?: unknown }[] };
    expect(d.runs).toEqual([
      { run_id: '65035d79c11541c68301c409c65af1ee', run_name: 'rmsprop-lr1e-4-bs64', experiment_id: '234684999513866976' },
      { run_id: '0fcd845b07194992b396ad2f7047d7eb', run_name: 'AdamW-lr1e-4-bs32', experiment_id: '234684999513866976' },
    ]);
    expect(d.rows.map((r) => r.key)).toEqual([
      'run_id',
      'run_name',
      'experiment',
      'status',
      'user_id',
      'start_time',
      'end_time',
      'duration',
      'lifecycle_stage',
      'params.batch_size',
      'params.lr',
      'params.model/depth',
      'params.optimizer',
      'metrics.train_loss',
      'metrics.val_acc',
      'metrics.val_loss',
      'tags.team',
    ]);
    expect(d.rows.find((r) => r.key === 'metrics.val_acc')).toEqual({ key: 'metrics.val_acc', values: [0.99, 0.99], changed: false, delta: 0 });
    expect(d.rows.find((r) => r.key === 'params.model/depth')).toEqual({ key: 'params.model/depth', values: [null, '50'], changed: true });
    expect(d.rows.find((r) => r.key === 'start_time')).toEqual({ key: 'start_time', values: [1700002827000, 1700002767000], changed: true });
  });

  it('needs two runs', async () => {
    const r = await mlr([...S, 'runs', 'diff', A]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mlr: runs diff needs at least two runs\n');
  });
});
