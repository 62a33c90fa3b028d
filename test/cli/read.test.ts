/**
 * End-to-end tests of the read commands through the CLI (in-process): exact stdout in TTY and
 * pipe mode, exit codes, error lines. MLR_NOW pins "now" for relative times.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURE, REPO, copyStore, mlr, writeTree } from '../helpers.js';

const S = ['--store', FIXTURE];
const TTY = { env: { MLR_FORCE_TTY: '1', COLUMNS: '110' } };

describe('experiments ls', () => {
  it('pipe: tab-separated, ISO times, untruncated', async () => {
    const r = await mlr([...S, 'experiments', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatchInlineSnapshot(`
      "experiment_id	name	lifecycle_stage	creation_time	last_update_time	artifact_location
      146381941577740080	nlp models	active	2026-11-22T03:31:19.990Z	2026-11-22T03:31:19.990Z	file:///home/ana/cv-project/mlruns/146381941577740080
      234684999513866976	sweep	active	2026-11-22T03:31:19.985Z	2026-11-22T03:31:19.985Z	file:///home/ana/cv-project/mlruns/234684999513866976
      0	Default	active	2026-11-22T03:31:19.981Z	2026-11-22T03:31:19.981Z	file:///home/ana/cv-project/mlruns/0
      "
    `);
  });
  it('TTY: aligned, relative times', async () => {
    const r = await mlr([...S, 'experiments', 'ls', '--view', 'all'], TTY);
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID                  Name        Stage    Created       Artifact location
      577419433840892238  old-exp     deleted  22 hours ago  file:///home/ana/cv-project/mlruns/577419433840892238
      146381941577740080  nlp models  active   22 hours ago  file:///home/ana/cv-project/mlruns/146381941577740080
      234684999513866976  sweep       active   22 hours ago  file:///home/ana/cv-project/mlruns/234684999513866976
      0                   Default     active   22 hours ago  file:///home/ana/cv-project/mlruns/0
      "
    `);
  });
  it('csv', async () => {
    expect((await mlr([...S, 'experiments', 'ls', '--view', 'deleted', '--format', 'csv'])).stdout).toMatchInlineSnapshot(`
      "experiment_id,name,lifecycle_stage,creation_time,last_update_time,artifact_location
      577419433840892238,old-exp,deleted,2026-11-22T03:31:19.993Z,2026-11-22T03:31:20.843Z,file:///home/ana/cv-project/mlruns/577419433840892238
      "
    `);
  });
});

describe('experiments describe', () => {
  it('by name, TTY', async () => {
    const r = await mlr([...S, 'experiments', 'describe', 'sweep'], TTY);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "experiment_id      234684999513866976
      name               sweep
      lifecycle_stage    active
      artifact_location  file:///home/ana/cv-project/mlruns/234684999513866976
      creation_time      2026-11-22T03:31:19.985Z (22 hours ago)
      last_update_time   2026-11-22T03:31:19.985Z
      runs               56 active, 4 deleted
      logged_models      0
      traces             0
      tags.owner         ana
      tags.project       vision
      "
    `);
  });
  it('json adds counts', async () => {
    const r = JSON.parse((await mlr([...S, 'experiments', 'describe', '146381941577740080', '--format', 'json'])).stdout);
    expect(r).toMatchObject({ name: 'nlp models', mlr_counts: { runs: { active: 12, deleted: 0, broken: 0 }, logged_models: 0, traces: 0 } });
  });
  it('unknown experiment: exit 1 naming what exists', async () => {
    const r = await mlr([...S, 'experiments', 'describe', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mlr: no experiment with id or name 'nope' in ${FIXTURE}; experiments: Default (0), nlp models (146381941577740080), sweep (234684999513866976)\n`,
    );
  });
});

describe('runs ls', () => {
  it('pipe: default columns, all metrics and params, full ids', async () => {
    const r = await mlr([...S, 'runs', 'ls', '-e', 'nlp models', '--max-results', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_id	run_name	experiment_id	experiment	status	start_time	end_time	metrics.rouge	metrics.val_loss	params.max_len	params.model	params.prompt
      0cc83f44547c4d709b0b04a335b0aa97	bert-11	146381941577740080	nlp models	FINISHED	2023-11-15T00:04:27.000Z	2023-11-15T00:04:28.000Z	0.35	0.7	512	t5-small	p11
      61936487eebf493b92a5674140aefd62	bert-10	146381941577740080	nlp models	FINISHED	2023-11-15T00:03:27.000Z	2023-11-15T00:03:28.000Z	0.34	0.8	384	gpt2	p10
      6b57cc36cabf4d84b500345e62e6aff4	gpt 9	146381941577740080	nlp models	FINISHED	2023-11-15T00:02:27.000Z	2023-11-15T00:02:28.000Z	0.33	0.9000000000000001	256	bert-base	p9
      "
    `);
  });
  it('TTY: short ids, relative times, fitted to the width', async () => {
    const r = await mlr([...S, 'runs', 'ls', '-e', 'nlp models', '--max-results', '4'], TTY);
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID        Name     Experiment  Status    Started      Duration  rouge  val_loss  max_len  model      prompt
      0cc83f44  bert-11  nlp models  FINISHED  3 years ago      1.0s   0.35       0.7  512      t5-small   p11
      61936487  bert-10  nlp models  FINISHED  3 years ago      1.0s   0.34       0.8  384      gpt2       p10
      6b57cc36  gpt 9    nlp models  FINISHED  3 years ago      1.0s   0.33       0.9  256      bert-base  p9
      73923fb0  bert-8   nlp models  FINISHED  3 years ago      1.0s   0.32         1  128      t5-small   p8
      "
    `);
  });
  it('TTY narrow: optional columns dropped with a note', async () => {
    const r = await mlr([...S, 'runs', 'ls', '-e', '146381941577740080', '--max-results', '2'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '60' } });
    expect(r.stdout).toMatchInlineSnapshot(`
      "ID        Name     rouge  val_loss  max_len  model
      0cc83f44  bert-11   0.35       0.7  512      t5-small
      61936487  bert-10   0.34       0.8  384      gpt2
      (same on every row: Experiment nlp models, Status FINISHED,
       Started 3 years ago, Duration 1.0s)
      (1 more column: param prompt; widen the terminal or use
       --columns / --format tsv)
      "
    `);
  });
  it('--columns picks columns; csv keeps full precision and quotes keys with spaces', async () => {
    const r = await mlr([
      ...S,
      'runs',
      'ls',
      '-e',
      'sweep',
      '--max-results',
      '3',
      '--columns',
      'run_name,params.dropout rate,metrics.val_loss,tags.team',
      '--format',
      'csv',
    ]);
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_name,params.dropout rate,metrics.val_loss,tags.team
      rmsprop-lr1e-4-bs64,,0.09362590033737264,Vision
      AdamW-lr1e-4-bs32,,0.15847638470575065,nlp
      sgd-lr1e-4-bs16,,0.203371479556831,vision
      "
    `);
  });
  it('ids: one full id per line, natural order across experiments', async () => {
    const r = await mlr([...S, 'runs', 'ls', '--format', 'ids', '--max-results', '4']);
    expect(r.stdout).toBe(
      ['0b5d6da9ab5f454188661064e2e37804', 'd254d28523e64f99895d14bade77b0a4', 'ed84e72c3ad1485d9d289d0c96a2883d', '0cc83f44547c4d709b0b04a335b0aa97', ''].join(
        '\n',
      ),
    );
  });
  it('--view deleted lists only deleted runs; the deleted experiment by name', async () => {
    expect((await mlr([...S, 'runs', 'ls', '--view', 'deleted', '--format', 'ids'])).stdout.split('\n').filter(Boolean)).toHaveLength(4);
    expect((await mlr([...S, 'runs', 'ls', '-e', 'old-exp', '--view', 'all', '--format', 'ids'])).stdout).toBe('7d5ddb0def1046c1b03d9851ae7ea36a\n');
    expect((await mlr([...S, 'runs', 'ls', '-e', 'old-exp', '--format', 'ids'])).stdout).toBe('');
  });
  it('json: an array of REST Run objects with infinite values as strings', async () => {
    const r = JSON.parse((await mlr([...S, 'runs', 'ls', '-e', 'sweep', '--view', 'all', '--format', 'json'])).stdout) as {
      info: { run_id: string };
      data: { metrics: { value: unknown }[] };
    }[];
    const folders = fs.readdirSync(path.join(FIXTURE, '234684999513866976')).filter((f) => /^[0-9a-f]{32}$/.test(f));
    expect(r).toHaveLength(folders.length);
    expect(r.map((x) => x.info.run_id).sort()).toEqual(folders.sort());
    const inf = r.find((x) => x.info.run_id === '2dbbe65218634f70a1b2880eee9ebd06')!;
    expect(inf.data.metrics.map((m) => m.value)).toContain('Infinity');
  });
  it('empty result is success', async () => {
    const dir = writeTree({ 'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n" });
    const r = await mlr(['--store', path.join(dir, 'mlruns'), 'runs', 'ls']);
    expect(r).toEqual({ code: 0, stdout: 'run_id\trun_name\texperiment_id\texperiment\tstatus\tstart_time\tend_time\n', stderr: '' });
  });
  it('`| head` exits quietly', () => {
    const r = spawnSync('bash', ['-c', `node ${BIN} --store ${FIXTURE} runs ls --view all | head -1; echo "rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^run_id\trun_name.*\nrc=0\n$/);
    expect(r.stderr).toBe('');
  });
});

describe('runs describe', () => {
  it('by prefix, pipe: key<TAB>value lines', async () => {
    const r = await mlr([...S, 'runs', 'describe', '0cc83f44']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "run_id	0cc83f44547c4d709b0b04a335b0aa97
      run_name	bert-11
      experiment_id	146381941577740080
      status	FINISHED
      lifecycle_stage	active
      user_id	unknown
      start_time	2023-11-15T00:04:27.000Z
      end_time	2023-11-15T00:04:28.000Z
      duration	1.0s
      artifact_uri	file:///home/ana/cv-project/mlruns/146381941577740080/0cc83f44547c4d709b0b04a335b0aa97/artifacts
      metrics.rouge	0.35 (step 2)
      metrics.val_loss	0.7 (step 2)
      params.max_len	512
      params.model	t5-small
      params.prompt	p11
      tags.a.b.c	dotted
      tags.dataset	xsum
      tags.mlflow.runName	bert-11
      "
    `);
  });
  it('ambiguous prefix lists candidates, exit 2', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
      'mlruns/0/abcdef0000000000000000000000000a/meta.yaml': 'run_id: x\n',
      'mlruns/0/abcdef0000000000000000000000000b/meta.yaml': 'run_id: y\n',
    });
    const r = await mlr(['--store', path.join(dir, 'mlruns'), 'runs', 'describe', 'abcdef']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "mlr: run id prefix 'abcdef' is ambiguous: abcdef0000000000000000000000000a (experiment 0), abcdef0000000000000000000000000b (experiment 0)\n",
    );
  });
  it('unknown run: exit 1', async () => {
    expect(await mlr([...S, 'runs', 'describe', 'ffffffffff'])).toEqual({ code: 1, stdout: '', stderr: `mlr: run 'ffffffffff' not found in ${FIXTURE}\n` });
  });
});

describe('metrics history', () => {
  it('streams every line in file order; csv', async () => {
    const r = await mlr([...S, 'metrics', 'history', '2dbbe652', 'val_loss', '--format', 'csv']);
    const file = fs.readFileSync(path.join(FIXTURE, '234684999513866976', '2dbbe65218634f70a1b2880eee9ebd06', 'metrics', 'val_loss'), 'utf8');
    // the file's `ts value step` lines, reordered as step,value,timestamp
    const want = file
      .trim()
      .split('\n')
      .map((l) => {
        const [ts, v, step] = l.split(' ');
        return `${step},${v === 'inf' ? 'inf' : Number(v)},${ts}`;
      });
    expect(r.stdout).toBe(['step,value,timestamp', ...want, ''].join('\n'));
  });
  it('TTY table', async () => {
    expect((await mlr([...S, 'metrics', 'history', '0cc83f44', 'rouge'], TTY)).stdout).toMatchInlineSnapshot(`
      "    step           value  time
             0            0.31  2023-11-15T00:04:27.000Z
             1            0.33  2023-11-15T00:04:27.001Z
             2            0.35  2023-11-15T00:04:27.002Z
      "
    `);
  });
  it('timestamps no date can hold (MLflow keeps any Python int) print as numbers, in the table and on a time axis', async () => {
    const store = copyStore();
    const [run] = fs.readdirSync(path.join(store, '146381941577740080')).filter((d) => d.startsWith('0cc83f44'));
    const file = path.join(store, '146381941577740080', run!, 'metrics', 'rouge');
    fs.writeFileSync(file, '1700000000000 0.5 0\n99999999999999999999 0.25 1\n-9000000000000000 0.125 2\n');
    const r = await mlr(['--store', store, 'metrics', 'history', '0cc83f44', 'rouge'], TTY);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '    step           value  time',
        '       0             0.5  2023-11-14T22:13:20.000Z',
        '       1            0.25  99999999999999999999',
        '       2           0.125  -9000000000000000',
        '',
      ].join('\n'),
    );
    const p = await mlr(['--store', store, 'plot', '0cc83f44', '--metric', 'rouge', '--x', 'time', '--width', '60', '--height', '4']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('-9000000000000000');
    expect(p.stdout).toContain('100000000000000000000');
  });
  describe('a history longer than one 64 KiB read: lines cut by reads, a bad line, a torn last line', () => {
    // value spelling in the file → TSV/CSV text, JSON text, TTY table text
    const SPELLINGS: [string, string, string, string][] = [
      ['0.5', '0.5', '0.5', '0.5'],
      ['-1.25', '-1.25', '-1.25', '-1.25'],
      ['2.6059679535195523', '2.6059679535195523', '2.6059679535195523', '2.605968'],
      ['nan', 'NaN', '"NaN"', 'NaN'],
      ['inf', 'inf', '"Infinity"', 'inf'],
      ['-inf', '-inf', '"-Infinity"', '-inf'],
      ['1e-05', '0.00001', '0.00001', '1e-5'],
      ['+2.5', '2.5', '2.5', '2.5'], // the exact parser's lines
      ['1_000.5', '1000.5', '1000.5', '1000.5'],
      ['5.0', '5', '5', '5'],
      ['-0.0', '-0', '-0.0', '-0'], // the sign kept (MLflow reports -0.0)
      ['1e21', '1e+21', '1e+21', '1e+21'],
    ];
    const BOUNDARY = 1 << 16;
    const BAD = '1700000000000 oops 1';
    const TORN = '17000000999';
    const lines: string[] = [];
    const rows: { step: number; ts: number; spelling: (typeof SPELLINGS)[number] }[] = [];
    let size = 0;
    let badAt = -1; // byte offset of the bad line
    let badLine = 0; // its 1-based number
    for (let i = 0; size < 3 * BOUNDARY; i++) {
      if (badAt < 0 && size + BAD.length > BOUNDARY) {
        badAt = size;
        lines.push(BAD);
        badLine = lines.length;
      } else {
        const spelling = SPELLINGS[i % SPELLINGS.length]!;
        const ts = 1700000000000 + i * 7;
        // 2-field (step 0) and 5-field (3.x) lines among the usual 3-field ones
        const step = i % 7 === 3 ? 0 : i;
        lines.push(i % 7 === 3 ? `${ts} ${spelling[0]}` : i % 11 === 5 ? `${ts} ${spelling[0]} ${step} train 1f2e` : `${ts} ${spelling[0]} ${step}`);
        rows.push({ step, ts, spelling });
      }
      size += lines[lines.length - 1]!.length + 1;
    }
    const text = lines.join('\n') + '\n' + TORN;
    const run = 'abcdef0123456789abcdef0123456789';
    const dir = writeTree({
      'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
      [`mlruns/0/${run}/meta.yaml`]: `artifact_uri: /x/0/${run}/artifacts\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${run}\nrun_name: long\nstart_time: 1700000000000\nstatus: 3\nuser_id: ana\n`,
      [`mlruns/0/${run}/metrics/loss`]: text,
    });
    const file = path.join(dir, 'mlruns', '0', run, 'metrics', 'loss');
    const history = (format: string, opts = {}) =>
      mlr(['--store', path.join(dir, 'mlruns'), 'metrics', 'history', 'abcdef01', 'loss', '--format', format], opts);
    const stderr =
      `mlr: warning: ${file} line ${badLine}: value 'oops' is not a number\n` +
      `mlr: warning: ${file} line ${lines.length + 1}: persisted metric data contained 1 fields. Expected 2 or 3 fields.\n` +
      "mlr: the store has problems MLflow may choke on; 'mlr doctor' explains them and 'mlr doctor --fix' repairs them\n";

    it('the file is what the test means: the bad line straddles the first read boundary, lines straddle the others', () => {
      expect(badAt).toBeLessThan(BOUNDARY);
      expect(badAt + BAD.length).toBeGreaterThan(BOUNDARY);
      expect(text.length).toBeGreaterThan(3 * BOUNDARY);
      // the byte before each later boundary is not a line end: a line is cut there
      for (const b of [2 * BOUNDARY, 3 * BOUNDARY]) expect(text.lastIndexOf('\n', b - 1)).toBeLessThan(b - 1);
      expect(rows.length).toBe(lines.length - 1);
    });
    it.each([
      ['tsv', '\t'],
      ['csv', ','],
    ])('%s', async (format, sep) => {
      const r = await history(format);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(stderr);
      expect(r.stdout).toBe(['step,value,timestamp', ...rows.map((w) => `${w.step},${w.spelling[1]},${w.ts}`)].join('\n').replaceAll(',', sep) + '\n');
    });
    it('json', async () => {
      const r = await history('json');
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(stderr);
      const items = rows.map((w) => `  {"key":"loss","value":${w.spelling[2]},"timestamp":${w.ts},"step":${w.step}}`);
      expect(r.stdout).toBe(`[\n${items.join(',\n')}\n]\n`);
    });
    it('TTY table', async () => {
      const r = await history('table', TTY);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(stderr);
      const body = rows.map((w) => `${String(w.step).padStart(8)}  ${w.spelling[3].padStart(14)}  ${new Date(w.ts).toISOString()}\n`);
      expect(r.stdout).toBe('    step           value  time\n' + body.join(''));
    });
  });
  it('unknown metric names the ones that exist', async () => {
    const r = await mlr([...S, 'metrics', 'history', '0cc83f44', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mlr: run 0cc83f44547c4d709b0b04a335b0aa97 has no metric 'nope'; metrics: rouge, val_loss\n");
  });
});

describe('store resolution through the CLI', () => {
  it('MLFLOW_TRACKING_URI as a file: URI', async () => {
    const r = await mlr(['experiments', 'ls', '--format', 'csv'], { env: { MLFLOW_TRACKING_URI: 'file://' + FIXTURE } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('experiment_id,name,lifecycle_stage,creation_time,last_update_time,artifact_location');
  });
  it('default ./mlruns relative to the working directory', async () => {
    const r = await mlr(['experiments', 'ls', '--format', 'csv'], { cwd: path.dirname(FIXTURE) });
    expect(r.code).toBe(0);
  });
  it('unsupported scheme: exit 2, one line', async () => {
    expect(await mlr(['--tracking-uri', 'postgresql://u@h/db', 'runs', 'ls'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "mlr: tracking URI 'postgresql://u@h/db' uses the 'postgresql' scheme, which mlr does not support: mlr reads MLflow's file store (a path or a file: URI), its SQLite database (sqlite:///mlflow.db) and tracking servers (http:// or https://)\n",
    });
  });
  it('missing store: exit 1, and nothing is created', async () => {
    const dir = writeTree({});
    const r = await mlr(['experiments', 'ls'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mlr: no MLflow store at ${path.join(fs.realpathSync(dir), 'mlruns')} (the default ./mlruns; set --store or MLFLOW_TRACKING_URI): the folder does not exist\n`,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });
  it('a folder that is not a store: exit 1', async () => {
    const r = await mlr(['--store', path.join(REPO, 'src'), 'runs', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not an MLflow store: it has no experiment folders/);
  });
  it('bad option values are usage errors (exit 2)', async () => {
    expect((await mlr([...S, 'runs', 'ls', '--view', 'everything'])).code).toBe(2);
    expect((await mlr([...S, 'runs', 'ls', '--max-results', '0'])).code).toBe(2);
    expect((await mlr([...S, 'frobnicate'])).code).toBe(2);
  });
});

describe('colour', () => {
  const ESC = '\u001b[';
  it('off when piped, on with --color, off with NO_COLOR even on a forced TTY', async () => {
    expect((await mlr([...S, 'experiments', 'ls'])).stdout).not.toContain(ESC);
    expect((await mlr([...S, 'experiments', 'ls', '--color'], TTY)).stdout).toContain(ESC);
    expect((await mlr([...S, 'experiments', 'ls', '--color'], { env: { ...TTY.env, NO_COLOR: '1' } })).stdout).toContain(ESC);
    expect((await mlr([...S, 'experiments', 'ls'], { env: { ...TTY.env, NO_COLOR: '1' } })).stdout).not.toContain(ESC);
    expect((await mlr([...S, 'experiments', 'ls', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout).not.toContain(ESC);
  });
});

describe('broken stores: mark, warn, continue', () => {
  it('folders holding only artifacts (a database-backed MLflow sharing the folder) are strays, not broken runs', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
      'mlruns/0/0123456789abcdef0123456789abcdef/artifacts/model.pkl': '',
      'mlruns/1/fedcba9876543210fedcba9876543210/artifacts/model/MLmodel': 'flavors: {}\n',
    });
    const store = path.join(dir, 'mlruns');
    expect(await mlr(['--store', store, 'runs', 'ls', '--view', 'all', '--format', 'ids'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await mlr(['--store', store, 'experiments', 'ls', '--format', 'csv'])).stdout.split('\n').filter(Boolean)).toHaveLength(2);
    const v = await mlr(['--store', store, '--verbose', 'experiments', 'ls']);
    expect(v.stderr).toBe(`mlr: warning: ${store}/1 is not an experiment (no meta.yaml); skipped\n`);
  });

  it('a run without meta.yaml is listed with ! and a warning; a stray folder only under --verbose', async () => {
    const dir = writeTree({
      'mlruns/0/meta.yaml': "artifact_location: /x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n",
      'mlruns/0/0123456789abcdef0123456789abcdef/metrics/loss': '1700000000000 0.5 0\n',
      'mlruns/0/.ipynb_checkpoints/x.txt': '',
      'mlruns/0/fedcba9876543210fedcba9876543210/meta.yaml':
        "run_id: fedcba9876543210fedcba9876543210\nexperiment_id: '0'\nstatus: 3\nstart_time: 5\nend_time: 6\n",
      'mlruns/0/fedcba9876543210fedcba9876543210/metrics/loss': '1 0.5 0\n2\t0.4\t1\n',
    });
    const store = path.join(dir, 'mlruns');
    const r = await mlr(['--store', store, 'runs', 'ls', '--columns', 'run_id,status,metrics.loss']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('run_id\tstatus\tmetrics.loss\nfedcba9876543210fedcba9876543210\t!FINISHED\t0.5\n0123456789abcdef0123456789abcdef\t!\t0.5\n');
    expect(r.stderr).toBe(
      [
        `mlr: warning: run folder ${store}/0/0123456789abcdef0123456789abcdef has no meta.yaml`,
        `mlr: warning: ${store}/0/fedcba9876543210fedcba9876543210/metrics/loss line 2: persisted metric data contained 1 fields. Expected 2 or 3 fields.`,
        "mlr: the store has problems MLflow may choke on; 'mlr doctor' explains them and 'mlr doctor --fix' repairs them",
        '',
      ].join('\n'),
    );
    const v = await mlr(['--store', store, '--verbose', 'runs', 'ls', '--format', 'ids']);
    expect(v.stderr).toContain(`mlr: warning: ${store}/0/.ipynb_checkpoints is not a run (no meta.yaml); skipped`);
    expect((await mlr(['--store', store, '--quiet', 'runs', 'ls', '--format', 'ids'])).stderr).toBe('');
  });
});
