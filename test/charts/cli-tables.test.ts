/**
 * End-to-end: the table controls of `mlr runs ls` (--tree, --only-changed, --keep/--drop,
 * aggregates and --order-by on them, --spark, --precision), in TTY and pipe mode, against the
 * CLI (in-process) and a small nested store written to a temp folder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, makeStore, mlr, out, runId, stripAnsi } from './helpers.js';

const T = 1700000000000;
const hist = (vals: number[], t0: number) => vals.map((v, i) => `${t0 + i * 1000} ${v} ${i}`);

let root = '';
let S: string[] = [];
beforeAll(() => {
  // natural order (newest first): solo, orphan, grandchild, child-2, child-1, parent
  root = makeStore([
    { id: runId('aa'), name: 'parent', start: T + 100000, params: { lr: '0.1', seed: '1' }, metrics: { loss: hist([0.9, 0.5, 0.4], T + 100000) } },
    {
      id: runId('bb'),
      name: 'child-1',
      start: T + 101000,
      parent: runId('aa'),
      params: { lr: '0.01', seed: '1' },
      metrics: { loss: hist([0.8, 0.3, 0.35, 0.2], T + 101000) },
    },
    {
      id: runId('cc'),
      name: 'child-2',
      start: T + 102000,
      parent: runId('aa'),
      params: { lr: '0.001', seed: '1' },
      metrics: { loss: hist([0.7, NaN, 0.6], T + 102000) },
    },
    { id: runId('dd'), name: 'grandchild', start: T + 103000, parent: runId('cc'), params: { lr: '0.001', seed: '1' } },
    { id: runId('ee'), name: 'solo', start: T + 200000, params: { lr: '0.1', seed: '1' }, metrics: { loss: hist([1, 0.25, 0.25, 0.5, 0.1], T + 200000) } },
    // its parent is not in the store: shown at the top level
    {
      id: runId('ff'),
      name: 'orphan',
      start: T + 150000,
      parent: runId('99'),
      params: { lr: '0.1', seed: '1' },
      metrics: { loss: hist([Infinity, 2], T + 150000) },
    },
  ]);
  S = ['--store', root];
});

describe('runs ls --tree', () => {
  it('indents children under their parent on a TTY', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--tree', '--columns', 'run_id,run_name,params.lr,metrics.loss'], { tty: 80 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      out(
        'ID        Name              lr     loss',
        'ee000000  solo              0.1     0.1',
        'ff000000  orphan            0.1       2',
        'aa000000  parent            0.1     0.4',
        'cc000000  ├─ child-2        0.001   0.6',
        'dd000000  │  └─ grandchild  0.001     -',
        'bb000000  └─ child-1        0.01    0.2',
      ),
    );
  });

  it('keeps tree order and adds the parent id column when piped', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--tree', '--columns', 'run_id,run_name,params.lr,metrics.loss']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      out(
        'run_id\trun_name\tparams.lr\tmetrics.loss\ttags.mlflow.parentRunId',
        `${runId('ee')}\tsolo\t0.1\t0.1\t`,
        `${runId('ff')}\torphan\t0.1\t2\t${runId('99')}`,
        `${runId('aa')}\tparent\t0.1\t0.4\t`,
        `${runId('cc')}\tchild-2\t0.001\t0.6\t${runId('aa')}`,
        `${runId('dd')}\tgrandchild\t0.001\t\t${runId('cc')}`,
        `${runId('bb')}\tchild-1\t0.01\t0.2\t${runId('aa')}`,
      ),
    );
  });

  it('adds a name column to indent when --columns has none', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--tree', '--columns', 'run_id'], { tty: 80 });
    expect(r.stdout).toBe(
      out(
        'ID        Name',
        'ee000000  solo',
        'ff000000  orphan',
        'aa000000  parent',
        'cc000000  ├─ child-2',
        'dd000000  │  └─ grandchild',
        'bb000000  └─ child-1',
      ),
    );
  });

  it('orders ids as a tree too', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--tree', '--format', 'ids']);
    expect(r.stdout).toBe(out(...['ee', 'ff', 'aa', 'cc', 'dd', 'bb'].map(runId)));
  });
});

describe('runs ls --only-changed', () => {
  const cols = ['--columns', 'run_name,status,params.lr,params.seed,metrics.loss'];
  it('hides data columns that are the same on every run (TTY)', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--only-changed', ...cols], { tty: 80 });
    expect(r.stdout).toBe(
      out(
        'Name        Status    lr     loss',
        'solo        FINISHED  0.1     0.1',
        'orphan      FINISHED  0.1       2',
        'grandchild  FINISHED  0.001     -',
        'child-2     FINISHED  0.001   0.6',
        'child-1     FINISHED  0.01    0.2',
        'parent      FINISHED  0.1     0.4',
      ),
    );
  });

  it('hides the same columns when piped', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--only-changed', ...cols]);
    expect(r.stdout).toBe(
      out(
        'run_name\tstatus\tparams.lr\tmetrics.loss',
        'solo\tFINISHED\t0.1\t0.1',
        'orphan\tFINISHED\t0.1\t2',
        'grandchild\tFINISHED\t0.001\t',
        'child-2\tFINISHED\t0.001\t0.6',
        'child-1\tFINISHED\t0.01\t0.2',
        'parent\tFINISHED\t0.1\t0.4',
      ),
    );
  });

  it('still shows an unchanged column that --keep names', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--only-changed', '--keep', 'seed', ...cols]);
    expect(r.stdout.split('\n')[0]).toBe('run_name\tstatus\tparams.seed');
  });
});

describe('runs ls --keep / --drop', () => {
  it('keeps matching data columns and drops matching attributes (TTY)', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--keep', '^params\\.lr$', '--drop', '^(run_id|experiment|status|start_time|duration)$'], { tty: 80 });
    expect(r.stdout).toBe(
      out('Name        lr', 'solo        0.1', 'orphan      0.1', 'grandchild  0.001', 'child-2     0.001', 'child-1     0.01', 'parent      0.1'),
    );
  });

  it('works on the piped default columns', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--keep', '^params\\.lr$', '--drop', '_time$|^experiment']);
    expect(r.stdout).toBe(
      out(
        'run_id\trun_name\tstatus\tparams.lr',
        `${runId('ee')}\tsolo\tFINISHED\t0.1`,
        `${runId('ff')}\torphan\tFINISHED\t0.1`,
        `${runId('dd')}\tgrandchild\tFINISHED\t0.001`,
        `${runId('cc')}\tchild-2\tFINISHED\t0.001`,
        `${runId('bb')}\tchild-1\tFINISHED\t0.01`,
        `${runId('aa')}\tparent\tFINISHED\t0.1`,
      ),
    );
  });

  it('rejects an invalid regex with a usage error', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--drop', '(']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mlr: --drop '\(' is not a valid regular expression: .+\n$/);
  });
});

describe('runs ls metric aggregates', () => {
  const cols = [
    '--columns',
    'run_name,min(metrics.loss),argmin(metrics.loss),max(metrics.loss),first(metrics.loss),last(metrics.loss),mean(metrics.loss),count(metrics.loss)',
  ];
  it('shows aggregate columns and orders by one (TTY)', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...cols, '--order-by', 'min(metrics.loss)'], { tty: 120 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      out(
        'Name        min(loss)  argmin(loss)  max(loss)  first(loss)  last(loss)  mean(loss)  count(loss)',
        'solo              0.1             4          1            1         0.1        0.42            5',
        'child-1           0.2             3        0.8          0.8         0.2      0.4125            4',
        'parent            0.4             2        0.9          0.9         0.4         0.6            3',
        'child-2           0.6             2        0.7          0.7         0.6        0.65            3',
        'orphan              2             1        inf          inf           2         inf            2',
        'grandchild          -             -          -            -           -           -            0',
      ),
    );
  });

  it('prints full precision when piped', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...cols, '--order-by', 'min(metrics.loss)']);
    expect(r.stdout).toBe(
      out(
        'run_name\tmin(metrics.loss)\targmin(metrics.loss)\tmax(metrics.loss)\tfirst(metrics.loss)\tlast(metrics.loss)\tmean(metrics.loss)\tcount(metrics.loss)',
        'solo\t0.1\t4\t1\t1\t0.1\t0.42000000000000004\t5',
        'child-1\t0.2\t3\t0.8\t0.8\t0.2\t0.41250000000000003\t4',
        'parent\t0.4\t2\t0.9\t0.9\t0.4\t0.6\t3',
        'child-2\t0.6\t2\t0.7\t0.7\t0.6\t0.6499999999999999\t3',
        'orphan\t2\t1\tinf\tinf\t2\tinf\t2',
        'grandchild\t\t\t\t\t\t\t0',
      ),
    );
  });

  it('orders descending with missing values still last, and cuts to --max-results after sorting', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--columns', 'run_name,max(metrics.loss)', '--order-by', 'max(metrics.loss) DESC', '--max-results', '3']);
    expect(r.stdout).toBe(out('run_name\tmax(metrics.loss)', 'orphan\tinf', 'solo\t1', 'parent\t0.9'));
    const all = await mlr([...S, 'runs', 'ls', '--columns', 'run_name', '--order-by', 'argmin(metrics.loss) desc', '--format', 'ids']);
    // argmin: solo 4, child-1 3, parent 2 / child-2 2 (tie: natural order), orphan 1, grandchild missing
    expect(all.stdout).toBe(out(...['ee', 'bb', 'cc', 'aa', 'ff', 'dd'].map(runId)));
  });

  it('combines with --filter, and shows the keys the query names first (TTY and piped)', async () => {
    const args = [
      ...S,
      'runs',
      'ls',
      '--filter',
      "params.lr != '0.01'",
      '--order-by',
      'max(metrics.loss) DESC',
      '--drop',
      '^(experiment|start_time|end_time|duration)',
    ];
    expect((await mlr(args, { tty: 120 })).stdout).toBe(
      out(
        'ID        Name        Status    lr     max(loss)  loss  seed',
        'ff000000  orphan      FINISHED  0.1          inf     2  1',
        'ee000000  solo        FINISHED  0.1            1   0.1  1',
        'aa000000  parent      FINISHED  0.1          0.9   0.4  1',
        'cc000000  child-2     FINISHED  0.001        0.7   0.6  1',
        'dd000000  grandchild  FINISHED  0.001          -     -  1',
      ),
    );
    expect((await mlr(args)).stdout).toBe(
      out(
        'run_id\trun_name\tstatus\tparams.lr\tmax(metrics.loss)\tmetrics.loss\tparams.seed',
        `${runId('ff')}\torphan\tFINISHED\t0.1\tinf\t2\t1`,
        `${runId('ee')}\tsolo\tFINISHED\t0.1\t1\t0.1\t1`,
        `${runId('aa')}\tparent\tFINISHED\t0.1\t0.9\t0.4\t1`,
        `${runId('cc')}\tchild-2\tFINISHED\t0.001\t0.7\t0.6\t1`,
        `${runId('dd')}\tgrandchild\tFINISHED\t0.001\t\t\t1`,
      ),
    );
  });

  it('rejects unknown aggregates and non-metric arguments', async () => {
    const a = await mlr([...S, 'runs', 'ls', '--columns', 'median(metrics.loss)']);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("mlr: unknown aggregate 'median' in 'median(metrics.loss)': use one of min, max, first, last, mean, count, argmin, argmax, spark\n");
    const b = await mlr([...S, 'runs', 'ls', '--columns', 'min(params.lr)']);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe("mlr: min() takes a metric, e.g. min(metrics.val_loss); got 'params.lr'\n");
    const c = await mlr([...S, 'runs', 'ls', '--order-by', 'min(metrics.loss) UP']);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe(
      "mlr: Invalid ordering key in order_by clause 'min(metrics.loss) UP'. — the direction is ASC or DESC, found 'UP'\n  min(metrics.loss) UP\n                    ^^\n",
    );
  });
});

describe('runs ls --spark', () => {
  it('adds a sparkline column (TTY)', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--columns', 'run_name,metrics.loss', '--spark', 'metrics.loss'], { tty: 80 });
    expect(r.stdout).toBe(
      out(
        'Name        loss  spark(loss)',
        'solo         0.1  █▂▂▄▁',
        'orphan         2  █▁',
        'grandchild     -  -',
        'child-2      0.6  █ ▁',
        'child-1      0.2  █▂▃▁',
        'parent       0.4  █▂▁',
      ),
    );
  });

  it('prints the same sparklines when piped', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--columns', 'run_name,metrics.loss', '--spark', 'loss']);
    expect(r.stdout).toBe(
      out(
        'run_name\tmetrics.loss\tspark(metrics.loss)',
        'solo\t0.1\t█▂▂▄▁',
        'orphan\t2\t█▁',
        'grandchild\t\t',
        'child-2\t0.6\t█ ▁',
        'child-1\t0.2\t█▂▃▁',
        'parent\t0.4\t█▂▁',
      ),
    );
  });

  it('puts the sparkline before the default metric columns so a narrow terminal keeps it', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--spark', 'loss', '--max-results', '1'], { tty: 80 });
    expect(stripAnsi(r.stdout).split('\n')[0]).toMatch(/^ID +Name +Experiment +Status +Started +Duration +spark\(loss\)/);
  });
});

describe('runs ls aggregates on a narrow terminal', () => {
  it('never drops an asked-for aggregate or sparkline column (other columns shrink first)', async () => {
    const r = await mlr(
      ['--store', FIXTURE, 'runs', 'ls', '-e', 'sweep', '--columns', 'run_name,min(metrics.val_loss)', '--spark', 'val_loss', '--max-results', '2'],
      { tty: 50 },
    );
    expect(r.stdout).toBe(
      out(
        'Name               min(val_loss)  spark(val_loss)',
        'rmsprop-lr1e-4-b…       0.072637  █▄▃▃▃▂▂▂▂▂▂▁▁▁▁▁',
        'AdamW-lr1e-4-bs32        0.14598  █▅▄▃▂▂▂▂▂▁▁▁▁▁▁',
      ),
    );
  });
});

describe('runs ls --precision', () => {
  it('sets significant digits on a TTY and leaves piped output at full precision', async () => {
    const tty = await mlr([...S, 'runs', 'ls', '--columns', 'run_name,mean(metrics.loss)', '--precision', '2', '--max-results', '2'], { tty: 80 });
    expect(tty.stdout).toBe(out('Name    mean(loss)', 'solo          0.42', 'orphan         inf'));
    const piped = await mlr([...S, 'runs', 'ls', '--columns', 'run_name,mean(metrics.loss)', '--precision', '2', '--max-results', '1']);
    expect(piped.stdout).toBe(out('run_name\tmean(metrics.loss)', 'solo\t0.42000000000000004'));
    const bad = await mlr([...S, 'runs', 'ls', '--precision', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--precision <n>' argument '0' is invalid. expected a whole number from 1 to 17.");
  });
});
