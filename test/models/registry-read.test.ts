/**
 * Reading the registry: the registered-model filter (MLflow's SearchModelUtils semantics),
 * models ls / describe / versions in every output mode, MLflow 3 logged models, and the
 * flavors runs describe shows for a run that logged a model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/errors.js';
import { likeToRegex, matchesModel, parseModelFilter } from '../../src/search/model-filter.js';
import { FIXTURE, copyStore, mlr } from '../helpers.js';
import { CORPUS, HAS_CORPUS, on } from './helpers.js';

const S = ['--store', FIXTURE];
const TTY = { env: { MLR_FORCE_TTY: '1', COLUMNS: '120' } };

describe('registered-model filter', () => {
  const tags = new Map([
    ['task', 'vision'],
    ['my key', 'x.y'],
  ]);
  const m = (filter: string, name = 'resnet-classifier', t = tags): boolean => matchesModel(parseModelFilter(filter), name, t);
  it.each([
    ["name = 'resnet-classifier'", true],
    ["name = 'Resnet-classifier'", false],
    ["name != 'x'", true],
    ["name LIKE 'resnet%'", true],
    ["name like '%CLASS%'", false],
    ["name ILIKE '%CLASS%'", true],
    ["name LIKE 'resnet_classifier'", true], // _ is any one character
    ["name LIKE 'res'", false], // anchored at both ends
    ["name LIKE '%.%'", true], // regex metacharacters keep their meaning, as in MLflow
    ['name = "resnet-classifier"', true],
    ["attributes.name = 'resnet-classifier'", true],
    ["tags.task = 'vision'", true],
    ["tag.task != 'nlp'", true],
    ["tags.missing != 'nlp'", false], // a missing tag never matches, not even !=
    ["tags.`my key` = 'x.y'", true],
    ['tags."my key" LIKE \'x_y\'', true],
    ["name LIKE 'resnet%' AND tags.task = 'vision'", true],
    ["name LIKE 'resnet%' and tags.task = 'nlp'", false],
    ["AND name = 'resnet-classifier' AND", true],
    ['', true],
  ])('%s → %s', (f, want) => expect(m(f)).toBe(want));

  it('LIKE builds the same regex MLflow builds: only % and _ translated', () => {
    expect(likeToRegex('a%', false).source).toBe('^(?:a.*)');
    expect(likeToRegex('a_b', false).source).toBe('^(?:a.b(?=\\n?$))');
    expect(likeToRegex('v[i]sion', false).test('vision')).toBe(true);
    expect(likeToRegex('abc', false).test('abc\n')).toBe(true); // Python's $ before a final newline
  });

  it.each([
    ["name > 'a'", 'filter-comparator', [5, 6]],
    ['name = a', 'filter-value', [7, 8]],
    ["metrics.x = '1'", 'filter-syntax', [0, 7]],
    ["name = 'a' OR name = 'b'", 'filter-syntax', [11, 13]],
    ["name = 'a", 'filter-syntax', [7, 9]],
    ["name LIKE '0.0(1'", 'filter-bad-pattern', [10, 17]],
    ['name', 'filter-syntax', [4, 5]],
  ])('%s is refused with a position', (f, code, pos) => {
    let err: unknown;
    try {
      parseModelFilter(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code, pos });
  });
});

describe('models ls', () => {
  it('pipe: TSV with every model, name order', async () => {
    const r = await mlr([...S, 'models', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'name\tversions\tlatest_version\tlatest_stage\taliases\tflavors\ttags\tcreation_timestamp\tlast_updated_timestamp\tdescription\n' +
        'resnet-classifier\t3\t3\tNone\tchampion=v2\t\ttask=vision\t2026-11-22T03:31:20.853Z\t2026-11-22T03:31:20.870Z\tBest sweep models\n' +
        'summarizer\t0\t\t\t\t\t\t2026-11-22T03:31:20.874Z\t2026-11-22T03:31:20.874Z\t\n',
    );
  });

  it('TTY', async () => {
    expect((await mlr([...S, 'models', 'ls'], TTY)).stdout).toMatchInlineSnapshot(`
      "Name               Versions  Latest  Aliases        Flavors  Updated       Description
      resnet-classifier         3  v3      champion → v2  -        22 hours ago  Best sweep models
      summarizer                0  -       -              -        22 hours ago  -
      "
    `);
  });

  it('--filter', async () => {
    expect((await mlr([...S, 'models', 'ls', '--filter', "tags.task = 'vision'", '--format', 'csv'])).stdout.split('\n')[1]).toMatch(/^resnet-classifier,3,/);
    expect((await mlr([...S, 'models', 'ls', '--filter', "name ILIKE 'SUMM%'", '--format', 'json'])).stdout).toContain('"name": "summarizer"');
    const none = await mlr([...S, 'models', 'ls', '--filter', "name = 'nope'"], TTY);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('json: MLflow REST RegisteredModel, latest_versions = newest version of each stage', async () => {
    const j = JSON.parse((await mlr([...S, 'models', 'ls', '--format', 'json'])).stdout);
    expect(j).toHaveLength(2);
    expect(j[0]).toMatchObject({
      name: 'resnet-classifier',
      creation_timestamp: 1795318280853,
      last_updated_timestamp: 1795318280870,
      description: 'Best sweep models',
      tags: [{ key: 'task', value: 'vision' }],
      aliases: [{ alias: 'champion', version: '2' }],
    });
    expect(j[0].latest_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([
      ['1', 'Archived'],
      ['3', 'None'],
    ]);
    expect(j[1]).toEqual({
      name: 'summarizer',
      creation_timestamp: 1795318280874,
      last_updated_timestamp: 1795318280874,
      description: null,
      latest_versions: [],
      tags: [],
      aliases: [],
    });
  });
});

describe('models describe / versions', () => {
  it('TTY describe: fields, aliases, tags, then one row per version with its source run', async () => {
    expect((await mlr([...S, 'models', 'describe', 'resnet-classifier'], TTY)).stdout).toMatchInlineSnapshot(`
      "name                    resnet-classifier
      description             Best sweep models
      creation_timestamp      2026-11-22T03:31:20.853Z (22 hours ago)
      last_updated_timestamp  2026-11-22T03:31:20.870Z
      versions                3
      aliases.champion        v2
      tags.task               vision

      Version  Stage     Status  Aliases   Run                        Created       Flavors  Tags  Description
            1  Archived  READY   -         d6105782 run 0             22 hours ago  -        -     -
            2  None      READY   champion  2609992b sgd-lr0.1-bs32    22 hours ago  -        -     -
            3  None      READY   -         4152a90a AdamW-lr0.1-bs64  22 hours ago  -        -     -
      "
    `);
  });

  it('versions: TSV; deleted versions only with --deleted', async () => {
    const store = copyStore();
    const m = on(store);
    expect((await m('models', 'delete-version', 'resnet-classifier', '1')).code).toBe(0);
    const cut = (s: string): string[] =>
      s
        .trim()
        .split('\n')
        .map((l) => l.split('\t').slice(1, 5).join(' '));
    expect(cut((await m('models', 'versions', 'resnet-classifier')).stdout)).toEqual([
      'version current_stage status aliases',
      '2 None READY champion',
      '3 None READY ',
    ]);
    expect(cut((await m('models', 'versions', 'resnet-classifier', '--deleted')).stdout)[1]).toBe('1 Deleted_Internal READY ');
    expect((await m('models', 'describe', 'resnet-classifier')).stdout).toContain('versions\t2 (+1 deleted)\n');
  });

  it('json describe: registered_model + model_versions', async () => {
    const j = JSON.parse((await mlr([...S, 'models', 'describe', 'resnet-classifier', '--format', 'json'])).stdout);
    expect(Object.keys(j)).toEqual(['registered_model', 'model_versions']);
    expect(j.model_versions.map((v: { version: string }) => v.version)).toEqual(['1', '2', '3']);
    expect(j.model_versions[1]).toMatchObject({ aliases: ['champion'], run_id: '2609992be05c42e0a0b1b80c4b9e2b1f', mlr_flavors: null, mlr_local_path: null });
  });

  it('--verbose says where each version’s files were looked for', async () => {
    const r = await mlr([...S, '-v', 'models', 'versions', 'resnet-classifier']);
    expect(r.stderr.replaceAll(FIXTURE, '<store>')).toContain(
      'mlr: v1: recorded artifact location file:///home/ana/cv-project/mlruns/234684999513866976/d61057829b7b4f24b7a65344cc35e18e/artifacts does not exist on this machine; reading <store>/234684999513866976/d61057829b7b4f24b7a65344cc35e18e/artifacts instead (virtual re-root, nothing written)\n',
    );
  });
});

describe('flavors from MLmodel and the log-model history', () => {
  it('runs describe and models ls show what a run logged', async () => {
    const store = copyStore();
    const run = 'd61057829b7b4f24b7a65344cc35e18e';
    const dir = path.join(store, '234684999513866976', run);
    fs.mkdirSync(path.join(dir, 'artifacts', 'model'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'artifacts', 'model', 'MLmodel'),
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\nmlflow_version: 2.12.1\n',
    );
    // a second model known only from the tag (its files were not copied here)
    const history = [
      {
        run_id: run,
        artifact_path: 'model',
        utc_time_created: '2026-11-22 03:29:26.036427',
        flavors: { python_function: {}, sklearn: {} },
        model_uuid: 'u1',
        mlflow_version: '2.12.1',
      },
      { run_id: run, artifact_path: 'onnx', utc_time_created: '2026-11-22 03:30:00.000000', flavors: { onnx: {} }, model_uuid: 'u2', mlflow_version: '2.12.1' },
    ];
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.log-model.history'), JSON.stringify(history));
    const m = on(store, { MLR_FORCE_TTY: '1', COLUMNS: '200' });
    const d = (await m('runs', 'describe', run)).stdout;
    expect(d).toMatch(/\nmodel model +python_function, sklearn \(mlflow 2\.12\.1\)\nmodel onnx +onnx \(mlflow 2\.12\.1\)\n/);
    expect((await on(store)('runs', 'describe', run)).stdout).toContain('model model\tpython_function, sklearn (mlflow 2.12.1)\n');
    expect((await m('models', 'ls')).stdout).not.toContain('sklearn'); // v3 is the latest, its run has no files
    expect((await on(store)('models', 'register', run, 'model', '-n', 'resnet-classifier')).stdout).toBe('4\n');
    expect((await m('models', 'ls')).stdout).toContain('  python_function, sklearn  ');
  });
});

describe('MLflow 3 logged models (a store written in the 3.x layout)', () => {
  function store3x(): { root: string; run: string } {
    const root = copyStore();
    const exp = path.join(root, '146381941577740080');
    const run = '09a92a6511c54154a4e22ca1e4bcdc70';
    const write = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(exp, rel)), { recursive: true });
      fs.writeFileSync(path.join(exp, rel), text);
    };
    const meta = (id: string, stage: string, created: number): string =>
      `artifact_location: file:///elsewhere/mlruns/146381941577740080/models/${id}/artifacts\ncreation_timestamp: ${created}\nexperiment_id: '146381941577740080'\n` +
      `last_updated_timestamp: ${created}\nlifecycle_stage: ${stage}\nmodel_id: ${id}\nmodel_type: null\nname: summarizer-v1\nsource_run_id: ${run}\nstatus: 2\nstatus_message: null\n`;
    const a = 'm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const b = 'm-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    write(`models/${a}/meta.yaml`, meta(a, 'active', 1795000000000));
    write(`models/${a}/metrics/rouge`, `1795000000001 0.25 0 ${run}\n1795000000002 0.5 1 ${run}\n1795000000003 0.75 1 ${run} eval 1a2b\n`);
    write(`models/${a}/params/max_len`, '128');
    write(`models/${a}/tags/mlflow.user`, 'ana');
    write(`models/${a}/artifacts/MLmodel`, 'flavors:\n  transformers: {}\n  python_function: {}\nmlflow_version: 3.1.0\n');
    write(`models/${b}/meta.yaml`, meta(b, 'deleted', 1795000000100));
    write(
      `${run}/outputs/${a}/meta.yaml`,
      `destination_id: ${a}\ndestination_type: MODEL_OUTPUT\nsource_id: ${a}\nsource_type: RUN_OUTPUT\nstep: 0\ntags: {}\n`,
    );
    return { root, run };
  }

  it('ls --logged: latest value per metric and dataset, flavors from the model’s own artifacts; deleted ones with --all', async () => {
    const { root, run } = store3x();
    const m = on(root);
    const r = await m('models', 'ls', '--logged', '-e', 'nlp models');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      'model_id\tname\texperiment_id\texperiment\tsource_run_id\tstatus\tflavors\tmetrics\tcreation_timestamp\n' +
        `m-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tsummarizer-v1\t146381941577740080\tnlp models\t${run}\tREADY\tpython_function, transformers\trouge=0.5,rouge[eval]=0.75\t2026-11-18T11:06:40.000Z\n`,
    );
    const all = JSON.parse((await m('models', 'ls', '--logged', '--all', '--format', 'json')).stdout);
    expect(all.map((x: { info: { model_id: string; lifecycle_stage: string } }) => [x.info.model_id, x.info.lifecycle_stage])).toEqual([
      ['m-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'deleted'],
      ['m-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'active'],
    ]);
    expect(all[1].data).toEqual({
      params: [{ key: 'max_len', value: '128' }],
      metrics: [
        {
          key: 'rouge',
          value: 0.5,
          timestamp: 1795000000002,
          step: 1,
          run_id: run,
          dataset_name: null,
          dataset_digest: null,
          model_id: 'm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        },
        {
          key: 'rouge',
          value: 0.75,
          timestamp: 1795000000003,
          step: 1,
          run_id: run,
          dataset_name: 'eval',
          dataset_digest: '1a2b',
          model_id: 'm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        },
      ],
    });
    expect((await m('runs', 'describe', run)).stdout).toContain(
      'model models:/m-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tpython_function, transformers (mlflow 3.1.0)\n',
    );
  });

  it('--logged options are refused where they do not apply', async () => {
    expect(await mlr([...S, 'models', 'ls', '-e', 'sweep'])).toMatchObject({ code: 2, stderr: 'mlr: -e/--experiment and --all apply to --logged only\n' });
    expect(await mlr([...S, 'models', 'ls', '--logged', '--filter', "name = 'x'"])).toMatchObject({
      code: 2,
      stderr: 'mlr: --filter applies to registered models, not to --logged\n',
    });
  });
});

describe.skipIf(!HAS_CORPUS)('real stores (third-party corpus)', () => {
  it('models ls --logged: MLflow 3 logged models with metrics, source run and flavors', async () => {
    const store = path.join(CORPUS, '2025-2-productos__PRE-07-mlflow-tracking-basico-LissyGraceRestrepo', 'mlruns');
    const r = await mlr(['--store', store, 'models', 'ls', '--logged']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('model_id\tname\texperiment_id\texperiment\tsource_run_id\tstatus\tflavors\tmetrics\tcreation_timestamp');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(
      'm-5374a5db53cc4dbbb1ae574ec1e6bb5a\tmodel\t516221907975278643\twine_quality_experiment\t370084186acf42c1ba19ea7f3f2ff468\tREADY\tpython_function, sklearn\t' +
        'test_mae=0.6065,test_mse=0.6039,test_r2=0.1335413752286666,train_mae=0.4577147623019183,train_mse=0.36597164303586316,train_r2=0.4237837080066853\t2025-12-07T00:55:04.540Z',
    );
    const j = JSON.parse((await mlr(['--store', store, 'models', 'ls', '--logged', '-e', 'wine_quality_experiment', '--format', 'json'])).stdout);
    expect(j[0].info).toMatchObject({ model_id: 'm-5374a5db53cc4dbbb1ae574ec1e6bb5a', status: 'READY', source_run_id: '370084186acf42c1ba19ea7f3f2ff468' });
    expect(j[0].data.metrics[0]).toEqual({
      key: 'test_mae',
      value: 0.6065,
      timestamp: 1765068904379,
      step: 0,
      run_id: '370084186acf42c1ba19ea7f3f2ff468',
      dataset_name: null,
      dataset_digest: null,
      model_id: 'm-5374a5db53cc4dbbb1ae574ec1e6bb5a',
    });
    expect(j[0].data.params.map((p: { key: string }) => p.key)).toContain('n_neighbors');
    // and the run that produced it names it in runs describe
    expect((await mlr(['--store', store, 'runs', 'describe', '370084186acf42c1ba19ea7f3f2ff468'])).stdout).toContain(
      'model models:/m-5374a5db53cc4dbbb1ae574ec1e6bb5a\tpython_function, sklearn (mlflow 3.7.0)\n',
    );
  });

  it('a registry served by `mlflow server`: flavors read from the mlartifacts/ folder next to the store', async () => {
    const store = path.join(CORPUS, 'nishantrv__MLFlow-ML-DL-Projects', 'mlruns');
    const r = await mlr(['--store', store, '-v', 'models', 'describe', 'tracking-quickstart'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '200' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('aliases.bestmodel       v3\n');
    expect(r.stdout).toMatch(/ {6}3 {2}None {3}READY {3}bestmodel {2}95d278bf defiant-shrimp-539 .* python_function, sklearn {2}production=success/);
    expect(r.stderr).toContain('is served by an MLflow server; reading its default local destination');
  });

  it('mlflow-artifacts URIs without a local mlartifacts folder: a clear warning, the listing still works', async () => {
    const store = path.join(CORPUS, 'silver6wings__MLFlowSample', 'mlruns');
    const r = await mlr(['--store', store, '-v', 'models', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(6);
    expect(r.stderr).toContain('is on remote storage (mlflow-artifacts), which mlr cannot reach');
  });
});
