/**
 * End-to-end tests of search through the CLI (in-process): runs ls with --filter / --order-by in
 * every format, and runs best, with exact output, exit codes and error lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE, copyStore, mlr, tempDir } from '../helpers.js';

const S = ['--store', FIXTURE];
const NLP = ['-e', 'nlp models'];
const TTY = { env: { MLR_FORCE_TTY: '1', COLUMNS: '120' } };
const F = "params.model IN ('gpt2', 't5-small') AND metrics.rouge >= 0.3";

describe('runs ls --filter / --order-by', () => {
  it('pipe: TSV, the order-by key and then the filter keys come first', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...NLP, '--filter', F, '--order-by', 'metrics.val_loss DESC']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_id	run_name	experiment_id	experiment	status	start_time	end_time	metrics.val_loss	params.model	metrics.rouge	params.max_len	params.prompt
      49c5b47e41944f03bd081183d193068e	bert-7	146381941577740080	nlp models	FINISHED	2023-11-15T00:00:27.000Z	2023-11-15T00:00:28.000Z	1.0999999999999999	gpt2	0.31	512	p7
      73923fb0400d45f9ab0ad5bdd49aba52	bert-8	146381941577740080	nlp models	FINISHED	2023-11-15T00:01:27.000Z	2023-11-15T00:01:28.000Z	1	t5-small	0.32	128	p8
      61936487eebf493b92a5674140aefd62	bert-10	146381941577740080	nlp models	FINISHED	2023-11-15T00:03:27.000Z	2023-11-15T00:03:28.000Z	0.8	gpt2	0.34	384	p10
      0cc83f44547c4d709b0b04a335b0aa97	bert-11	146381941577740080	nlp models	FINISHED	2023-11-15T00:04:27.000Z	2023-11-15T00:04:28.000Z	0.7	t5-small	0.35	512	p11
      "
    `);
  });

  it('TTY: aligned, the query keys first', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...NLP, '--filter', F, '--order-by', 'metrics.val_loss DESC'], TTY);
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID        Name     Experiment  Status    Started      Duration  val_loss  model     rouge  max_len  prompt
      49c5b47e  bert-7   nlp models  FINISHED  3 years ago      1.0s       1.1  gpt2       0.31  512      p7
      73923fb0  bert-8   nlp models  FINISHED  3 years ago      1.0s         1  t5-small   0.32  128      p8
      61936487  bert-10  nlp models  FINISHED  3 years ago      1.0s       0.8  gpt2       0.34  384      p10
      0cc83f44  bert-11  nlp models  FINISHED  3 years ago      1.0s       0.7  t5-small   0.35  512      p11
      "
    `);
  });

  it('TTY narrow: the query keys are kept, other columns are dropped first', async () => {
    const r = await mlr(
      [
        ...S,
        'runs',
        'ls',
        '-e',
        'sweep',
        '--filter',
        "metrics.val_acc > 0.75 and params.optimizer = 'adam'",
        '--order-by',
        'metrics.val_loss',
        '--max-results',
        '2',
      ],
      { env: { MLR_FORCE_TTY: '1', COLUMNS: '100' } },
    );
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID        Name              Status    Duration  val_loss  val_acc  optimizer  train_loss  batch_size
      a2ef7577  adam-lr1e-4-bs64  RUNNING          -   0.19167  0.76507  adam          0.21014  64
      614b1c76  run 28            FINISHED     50.0s   0.21752  0.78825  adam          0.21292  32
      (same on every row: Experiment sweep, Started 3 years ago, lr 1e-4, model/depth 18)
      "
    `);
  });

  it('csv with --columns (OR and LIKE)', async () => {
    const r = await mlr([
      ...S,
      'runs',
      'ls',
      ...NLP,
      '--filter',
      "tags.dataset = 'xsum' OR run_name LIKE 'gpt%'",
      '--columns',
      'run_id,run_name,params.model,metrics.val_loss,tags.dataset',
      '--format',
      'csv',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_id,run_name,params.model,metrics.val_loss,tags.dataset
      0cc83f44547c4d709b0b04a335b0aa97,bert-11,t5-small,0.7,xsum
      6b57cc36cabf4d84b500345e62e6aff4,gpt 9,bert-base,0.9000000000000001,xsum
      49c5b47e41944f03bd081183d193068e,bert-7,gpt2,1.0999999999999999,xsum
      cd7256b28b654ed2b5c33524204390ab,gpt 6,bert-base,1.2,cnn_dm
      983d25cc34f54a96b0f4c0735efc0df5,bert-5,t5-small,1.3,xsum
      ef6d7b87fc9847568b176c8d759e61a3,gpt 3,bert-base,1.5,xsum
      941150f164de40b08240af3775c07279,bert-1,gpt2,1.7,xsum
      6f75aa772c664339ac9e1f1eeb981578,gpt 0,bert-base,1.8,cnn_dm
      "
    `);
  });

  it('tsv with --columns and two order keys', async () => {
    const r = await mlr([
      ...S,
      'runs',
      'ls',
      ...NLP,
      '--order-by',
      'params.model',
      '--order-by',
      'metrics.rouge DESC',
      '--columns',
      'run_name,params.model,metrics.rouge',
      '--format',
      'tsv',
      '--max-results',
      '5',
    ]);
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_name	params.model	metrics.rouge
      gpt 9	bert-base	0.33
      gpt 6	bert-base	0.3
      gpt 3	bert-base	0.27
      gpt 0	bert-base	0.24000000000000002
      bert-10	gpt2	0.34
      "
    `);
  });

  it('ids', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...NLP, '--filter', 'metrics.rouge > 0.33', '--format', 'ids']);
    expect(r.stdout).toBe('0cc83f44547c4d709b0b04a335b0aa97\n61936487eebf493b92a5674140aefd62\n');
  });

  it('json: REST Run objects of the matching runs, in order', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...NLP, '--filter', 'metrics.rouge > 0.33', '--order-by', 'metrics.rouge', '--format', 'json']);
    expect(r.code).toBe(0);
    const runs = JSON.parse(r.stdout) as Array<{ info: { run_id: string }; data: { metrics: { key: string; value: number }[] } }>;
    expect(runs.map((x) => x.info.run_id)).toEqual(['61936487eebf493b92a5674140aefd62', '0cc83f44547c4d709b0b04a335b0aa97']);
    expect(Object.keys(runs[0]!)).toEqual(['info', 'data', 'inputs']);
    expect(runs[0]!.data.metrics.find((m) => m.key === 'rouge')!.value).toBe(0.34);
  });

  it('an empty result is success with just the header', async () => {
    const r = await mlr([...S, 'runs', 'ls', ...NLP, '--filter', "params.model = 'nope'", '--columns', 'run_id,params.model']);
    expect(r).toEqual({ code: 0, stdout: 'run_id\tparams.model\n', stderr: '' });
  });

  it('a bad filter: exit 2, one message with the expression and a caret, nothing on stdout', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--filter', 'params.lr > 0.01']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        "mlr: Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.01 — params compare as strings: quote the value: params.lr = '0.01'",
        '  params.lr > 0.01',
        '              ^^^^',
        '',
      ].join('\n'),
    );
  });

  it('a bad filter is reported before the store is opened', async () => {
    const r = await mlr(['--store', '/nonexistent/mlruns', 'runs', 'ls', '--filter', 'metrics.x <']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlr: Invalid clause\(s\) in filter string: 'metrics.x', '<'/);
  });

  it('a bad order-by: exit 2', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--order-by', 'metrics.val_loss SIDEWAYS']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        "mlr: Invalid ordering key in order_by clause 'metrics.val_loss SIDEWAYS'. — the direction is ASC or DESC, found 'SIDEWAYS'",
        '  metrics.val_loss SIDEWAYS',
        '                   ^^^^^^^^',
        '',
      ].join('\n'),
    );
  });

  it('--max-results outside 1..50000 is a usage error', async () => {
    for (const n of ['0', '50001', 'abc', '2.5']) {
      const r = await mlr([...S, 'runs', 'ls', '--max-results', n]);
      expect(r.code, n).toBe(2);
      expect(r.stderr, n).toContain('expected a whole number from 1 to 50000');
    }
    expect((await mlr([...S, 'runs', 'ls', '--max-results', '50000', '--format', 'ids'])).code).toBe(0);
  });
});

describe('runs best', () => {
  it('table (pipe): the metric and the filter keys as columns', async () => {
    const r = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--filter', "params.optimizer = 'adam'"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_id	run_name	experiment	status	metrics.val_loss	params.optimizer
      a2ef757706a04acfb3e214a13b706ded	adam-lr1e-4-bs64	sweep	RUNNING	0.19167078870100052	adam
      "
    `);
  });

  it('table (TTY)', async () => {
    const r = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--filter', "params.optimizer = 'adam'"], TTY);
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID        Name              Experiment  Status   val_loss  optimizer
      a2ef7577  adam-lr1e-4-bs64  sweep       RUNNING   0.19167  adam
      "
    `);
  });

  it('--format id prints only the id, for RUN=$(mlr runs best …)', async () => {
    const r = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--max', '--format', 'id']);
    expect(r).toEqual({ code: 0, stdout: '65035d79c11541c68301c409c65af1ee\n', stderr: '' });
  });

  // issue 11 item 6: `runs best --min` returned a run whose value is -inf without a word
  it('±inf wins as MLflow orders it, with a warning naming the run and the value', async () => {
    const min = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--format', 'id']);
    expect(min).toEqual({
      code: 0,
      stdout: 'b92984aba45d4abc95751e11a9134946\n',
      stderr: 'mlr: warning: run b92984aba45d4abc95751e11a9134946 wins with val_loss = -inf, which is not finite; --finite skips such values\n',
    });
    // the same run MLflow's order-by puts first
    const ls = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.val_loss ASC', '--max-results', '1', '--format', 'ids']);
    expect(ls.stdout).toBe(min.stdout);
    const max = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--max', '--format', 'id']);
    expect(max).toEqual({
      code: 0,
      stdout: '2dbbe65218634f70a1b2880eee9ebd06\n',
      stderr: 'mlr: warning: run 2dbbe65218634f70a1b2880eee9ebd06 wins with val_loss = inf, which is not finite; --finite skips such values\n',
    });
    // --quiet drops the warning, not the answer
    expect(await mlr([...S, '--quiet', 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--format', 'id'])).toEqual({
      code: 0,
      stdout: min.stdout,
      stderr: '',
    });
  });

  it('--finite skips non-finite values: the best finite value wins, no warning', async () => {
    const min = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--finite']);
    expect(min).toEqual({
      code: 0,
      stdout:
        'run_id\trun_name\texperiment\tstatus\tmetrics.val_loss\n68c7bf511b5f4070b561a19c4279dccf\trmsprop-lr1e-4-bs32\tsweep\tFINISHED\t0.06452923234181886\n',
      stderr: '',
    });
    const max = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--max', '--finite', '--format', 'id']);
    expect(max).toEqual({ code: 0, stdout: '02df84e1e68a46eaa4f971068787bace\n', stderr: '' });
    // only non-finite values: no best run
    const none = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', '--min', '--finite', '--filter', 'metrics.val_loss < -1']);
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr: "mlr: no best run for metric 'val_loss' among 1 run matching the filter: none of them has a value for metric 'val_loss' other than NaN or ±inf\n",
    });
  });

  it('SQLite: the same answers, ±inf being the ±1.7976931348623157e308 MLflow stores for them', async () => {
    const dir = tempDir('best');
    const m = await mlr(['migrate', '--from', FIXTURE, '--to', 'sqlite:///m.db'], { cwd: dir });
    expect(m.code, m.stderr).toBe(0);
    const db = ['--store', `sqlite:///${path.join(dir, 'm.db')}`];
    const best = (dir: string, ...more: string[]) => mlr([...db, 'runs', 'best', '-e', 'sweep', '--metric', 'val_loss', dir, '--format', 'id', ...more]);
    expect(await best('--min')).toEqual({
      code: 0,
      stdout: 'b92984aba45d4abc95751e11a9134946\n',
      stderr:
        'mlr: warning: run b92984aba45d4abc95751e11a9134946 wins with val_loss = -1.7976931348623157e+308 (-inf as a SQL store keeps it), which is not finite; --finite skips such values\n',
    });
    // --max ordered ascending before (the order key went to SQL without its direction)
    expect(await best('--max')).toEqual({
      code: 0,
      stdout: '2dbbe65218634f70a1b2880eee9ebd06\n',
      stderr:
        'mlr: warning: run 2dbbe65218634f70a1b2880eee9ebd06 wins with val_loss = 1.7976931348623157e+308 (inf as a SQL store keeps it), which is not finite; --finite skips such values\n',
    });
    expect(await best('--min', '--finite')).toEqual({ code: 0, stdout: '68c7bf511b5f4070b561a19c4279dccf\n', stderr: '' });
    expect(await best('--max', '--finite')).toEqual({ code: 0, stdout: '02df84e1e68a46eaa4f971068787bace\n', stderr: '' });
  });

  it('--format json: the REST Run of the winner', async () => {
    const r = await mlr([...S, 'runs', 'best', ...NLP, '--metric', 'metrics.rouge', '--max', '--format', 'json']);
    const run = JSON.parse(r.stdout) as { info: { run_id: string; run_name: string } };
    expect(run.info).toMatchObject({ run_id: '0cc83f44547c4d709b0b04a335b0aa97', run_name: 'bert-11' });
  });

  it('ties go to the newest run, then the smallest run id (MLflow order-by)', async () => {
    // 29 active sweep runs share val_acc 0.99; the newest wins
    const r = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--max', '--format', 'id']);
    expect(r.stdout).toBe('65035d79c11541c68301c409c65af1ee\n');
    const ls = await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.val_acc DESC', '--max-results', '1', '--format', 'ids']);
    expect(ls.stdout).toBe(r.stdout);
  });

  it('NaN never wins, in either direction', async () => {
    const store = copyStore();
    const file = path.join(store, '234684999513866976', '65035d79c11541c68301c409c65af1ee', 'metrics', 'val_acc');
    fs.appendFileSync(file, '1700002848000 nan 20\n');
    const s = ['--store', store];
    expect((await mlr([...s, 'runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--max', '--format', 'id'])).stdout).toBe(
      '0fcd845b07194992b396ad2f7047d7eb\n',
    );
    // the same as --order-by DESC, where MLflow puts the NaN run after every real value
    const ls = await mlr([...s, 'runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.val_acc DESC', '--format', 'ids']);
    expect(ls.stdout.trim().split('\n').slice(0, 1)).toEqual(['0fcd845b07194992b396ad2f7047d7eb']);
    const only = await mlr([...s, 'runs', 'best', '-e', 'sweep', '--metric', 'val_acc', '--min', '--filter', "run_name = 'rmsprop-lr1e-4-bs64'"]);
    expect(only.code).toBe(1);
    expect(only.stderr).toBe(
      "mlr: no best run for metric 'val_acc' among 1 run matching the filter: none of them has a value for metric 'val_acc' other than NaN\n",
    );
  });

  it('no matching run: message on stderr, exit 1', async () => {
    const r = await mlr([...S, 'runs', 'best', ...NLP, '--metric', 'rouge', '--max', '--filter', "params.model = 'nope'"]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: "mlr: no best run for metric 'rouge' among 0 runs matching the filter\n" });
    const m = await mlr([...S, 'runs', 'best', ...NLP, '--metric', 'nope', '--min']);
    expect(m).toEqual({ code: 1, stdout: '', stderr: "mlr: no best run for metric 'nope' among 12 runs: none of them has a value for metric 'nope'\n" });
  });

  it('the direction is required, and only one', async () => {
    const none = await mlr([...S, 'runs', 'best', '--metric', 'val_loss']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'mlr: runs best needs --min or --max (which direction is better), or "val_loss": "min"|"max" under "metrics" in mlr.config.json\n',
    );
    const both = await mlr([...S, 'runs', 'best', '--metric', 'val_loss', '--min', '--max']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('mlr: runs best needs one of --min or --max, not both\n');
    expect((await mlr([...S, 'runs', 'best', '--min'])).code).toBe(2);
  });

  it('--view and a bad filter', async () => {
    const all = await mlr([...S, 'runs', 'best', '-e', 'sweep', '--view', 'deleted', '--metric', 'val_acc', '--max', '--format', 'id']);
    expect(all.stdout).toBe('694bd70d98c7410cae47478bd7e643b0\n');
    const bad = await mlr([...S, 'runs', 'best', '--metric', 'val_loss', '--min', '--filter', 'metrics.val_loss = NaN']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(
      'mlr: Expected numeric value type for metric. Found NaN — metrics compare with numbers such as 0.5, -1, 1e-3 (no inf or nan)',
    );
  });
});
