/**
 * The reader over every format variant of spec §2–§9 and §13, built as a small inline store.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore as Store } from '../../src/store/file/store.js';
import { listLoggedModels, listTraces } from '../../src/store/file/logged-models.js';
import { listRegisteredModels } from '../../src/store/file/registry-read.js';
import { FIXTURE, writeTree } from '../helpers.js';

const RUN1X = '11111111111111111111111111111111';
const RUN2X = '22222222222222222222222222222222';
const RUN3X = '33333333333333333333333333333333';
const TRASHRUN = '44444444444444444444444444444444';

const tree = writeTree({
  // 1.x experiment: unquoted int id, no creation_time
  'mlruns/1/meta.yaml': 'artifact_location: ./mlruns/1\nexperiment_id: 1\nlifecycle_stage: active\nname: legacy\n',
  [`mlruns/1/${RUN1X}/meta.yaml`]:
    'artifact_uri: ./mlruns/1/' +
    RUN1X +
    "/artifacts\nend_time: 1600000001000\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nname: ''\nrun_id: " +
    RUN1X +
    '\nrun_uuid: ' +
    RUN1X +
    "\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1600000000000\nstatus: 3\ntags: []\nuser_id: alice\n",
  [`mlruns/1/${RUN1X}/tags/mlflow.runName`]: 'old one',
  [`mlruns/1/${RUN1X}/metrics/loss`]: '1600000000000 0.5\n1600000000500 0.25\n', // two-column lines: step 0
  [`mlruns/1/${RUN1X}/params/layers/0/units`]: '64',
  [`mlruns/1/${RUN1X}/params/note`]: 'two\nlines',
  // 2.x experiment with tags, datasets and a run with inputs
  'mlruns/786088298537458258/meta.yaml':
    "artifact_location: file:///home/ana/proj/mlruns/786088298537458258\ncreation_time: 1795318529240\nexperiment_id: '786088298537458258'\nlast_update_time: 1795318529240\nlifecycle_stage: active\nname: demo\n",
  'mlruns/786088298537458258/tags/team': 'ml',
  'mlruns/786088298537458258/datasets/f1591100ec3ad41f150caad5f411de73/meta.yaml':
    'digest: 300830b9\nname: toy\nprofile: \'{"num_rows": 2, "num_elements": 2}\'\nschema: \'{"mlflow_colspec": [{"type": "long", "name": "x", "required": true}]}\'\nsource: \'{"uri": "toy.csv"}\'\nsource_type: local\n',
  [`mlruns/786088298537458258/${RUN2X}/meta.yaml`]:
    'artifact_uri: file:///home/ana/proj/mlruns/786088298537458258/' +
    RUN2X +
    "/artifacts\nend_time: null\nentry_point_name: ''\nexperiment_id: '786088298537458258'\nlifecycle_stage: active\nrun_id: " +
    RUN2X +
    '\nrun_name: train\nrun_uuid: ' +
    RUN2X +
    "\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1795318529279\nstatus: 1\ntags: []\nuser_id: root\n",
  [`mlruns/786088298537458258/${RUN2X}/metrics/loss`]: '1795318529287 0.9 0\n1795318529288 0.5 1\n1795318529288 nan 2\n',
  [`mlruns/786088298537458258/${RUN2X}/metrics/big`]: '5 inf 0\n',
  [`mlruns/786088298537458258/${RUN2X}/tags/stage`]: '',
  [`mlruns/786088298537458258/${RUN2X}/inputs/eebeeff663077ba0d14db1f5cb8461ec/meta.yaml`]:
    'destination_id: f1591100ec3ad41f150caad5f411de73\ndestination_type: RUN\nsource_id: f1591100ec3ad41f150caad5f411de73\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n',
  // 3.x run: no run_uuid; outputs; traces and logged models beside it
  [`mlruns/786088298537458258/${RUN3X}/meta.yaml`]:
    'artifact_uri: file:///x/' +
    RUN3X +
    "/artifacts\nend_time: 20\nentry_point_name: ''\nexperiment_id: '786088298537458258'\nlifecycle_stage: deleted\ndeleted_time: 30\nrun_id: " +
    RUN3X +
    "\nrun_name: three\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 10\nstatus: 4\ntags: []\nuser_id: bob\n",
  [`mlruns/786088298537458258/${RUN3X}/outputs/m-abc/meta.yaml`]:
    'destination_id: m-abc\ndestination_type: MODEL_OUTPUT\nsource_id: m-abc\nsource_type: RUN_OUTPUT\nstep: 7\ntags: {}\n',
  'mlruns/786088298537458258/traces/tr-0123/trace_info.yaml':
    "assessments: []\nexecution_time_ms: 12\nexperiment_id: '786088298537458258'\nrequest_id: tr-0123\nstatus: OK\ntimestamp_ms: 1795318529000\n",
  'mlruns/786088298537458258/models/m-abc/meta.yaml':
    "artifact_location: file:///x/models/m-abc/artifacts\ncreation_timestamp: 1\nexperiment_id: '786088298537458258'\nlast_updated_timestamp: 2\nlifecycle_stage: active\nmodel_id: m-abc\nmodel_type: ''\nname: clf\nsource_run_id: " +
    RUN3X +
    '\nstatus: 2\nstatus_message: null\n',
  // a 1.x deletion: moved to .trash, meta still says active
  'mlruns/.trash/5/meta.yaml': "artifact_location: /x/5\nexperiment_id: '5'\nlifecycle_stage: active\nname: gone\n",
  [`mlruns/.trash/5/${TRASHRUN}/meta.yaml`]:
    "artifact_uri: /x/5/r\nend_time: 2\nexperiment_id: '5'\nlifecycle_stage: active\nrun_id: " +
    TRASHRUN +
    '\nrun_uuid: ' +
    TRASHRUN +
    '\nstart_time: 1\nstatus: 3\nuser_id: u\n',
  // the registry folder and a *.trash folder are not experiments
  'mlruns/models/clf/meta.yaml': 'creation_timestamp: 1\ndescription: null\nlast_updated_timestamp: 2\nname: clf\n',
  'mlruns/old.trash/meta.yaml': 'name: nope\n',
});
const store = Store.open(path.join(tree, 'mlruns'));

describe('experiments', () => {
  it('lists active and deleted, coercing ids to strings; .trash is deleted whatever meta.yaml says', () => {
    const all = store
      .listExperiments('all', true)
      .map((e) => [e.experiment.experiment_id, e.experiment.name, e.experiment.lifecycle_stage, e.experiment.creation_time]);
    expect(all.sort()).toEqual([
      ['1', 'legacy', 'active', null],
      ['5', 'gone', 'deleted', null],
      ['786088298537458258', 'demo', 'active', 1795318529240],
    ]);
    expect(store.getExperiment('demo', true).experiment.tags).toEqual([{ key: 'team', value: 'ml' }]);
    expect(store.problems).toEqual([]);
  });
});

describe('runs', () => {
  const runs = store.listRuns(store.listExperiments('all'), 'all');
  const byId = new Map(runs.map((r) => [r.info.run_id, r]));

  it('finds every run and nothing else (traces/, models/, datasets/, tags/ are not runs)', () => {
    expect([...byId.keys()].sort()).toEqual([RUN1X, RUN2X, RUN3X, TRASHRUN]);
  });
  it('1.x: name from the mlflow.runName tag; run_uuid kept', () => {
    expect(byId.get(RUN1X)!.info).toMatchObject({ run_name: 'old one', run_uuid: RUN1X, experiment_id: '1', user_id: 'alice', status: 'FINISHED' });
  });
  it('3.x: no run_uuid in the file → run_uuid = run_id; deleted; FAILED', () => {
    expect(byId.get(RUN3X)!.info).toMatchObject({ run_uuid: RUN3X, lifecycle_stage: 'deleted', status: 'FAILED', start_time: 10, end_time: 20 });
  });
  it('params: nested keys joined with /, values byte-exact', () => {
    expect(Object.fromEntries(store.readParams(byId.get(RUN1X)!))).toEqual({ 'layers/0/units': '64', note: 'two\nlines' });
  });
  it('metrics: two-column lines have step 0; latest by (step, ts, value); nan and inf', () => {
    expect(store.readLatestMetrics(byId.get(RUN1X)!).get('loss')).toEqual({ key: 'loss', value: 0.25, timestamp: 1600000000500, step: 0 });
    const m = store.readLatestMetrics(byId.get(RUN2X)!);
    expect(m.get('loss')!.value).toBeNaN();
    expect(m.get('big')!.value).toBe(Infinity);
  });
  it('tags: an empty value is a 0-byte file', () => {
    expect(store.readTags(byId.get(RUN2X)!).get('stage')).toBe('');
  });
  it('dataset inputs joined with the experiment datasets', () => {
    expect(store.readDatasetInputs(byId.get(RUN2X)!)).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: {
          name: 'toy',
          digest: '300830b9',
          source_type: 'local',
          source: '{"uri": "toy.csv"}',
          schema: '{"mlflow_colspec": [{"type": "long", "name": "x", "required": true}]}',
          profile: '{"num_rows": 2, "num_elements": 2}',
        },
      },
    ]);
  });
  it('3.x run outputs', () => {
    expect(store.readRunOutputs(byId.get(RUN3X)!)).toEqual([{ model_id: 'm-abc', step: 7 }]);
    expect(store.loadRun(byId.get(RUN3X)!).outputs).toEqual({ model_outputs: [{ model_id: 'm-abc', step: 7 }] });
  });
  it('metric history streams every line in file order', async () => {
    const lines = [];
    for await (const m of store.metricHistory(byId.get(RUN2X)!, 'loss')) lines.push([m.step, m.value]);
    expect(lines).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, NaN],
    ]);
  });
});

describe('metric history: a file of one chunk read whole, a bigger one streamed, the same lines either way', () => {
  const RUN = '55555555555555555555555555555555';
  // the lines of the big file pass 64 KiB; each file has a malformed line and a last line without its newline
  const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => (i === 3 ? 'garbage' : `${1700000000000 + i} ${i / 8} ${i}`));
  const small = lines(10);
  const big = lines(4000);
  const dir = writeTree({
    'mlruns/1/meta.yaml': 'artifact_location: ./mlruns/1\nexperiment_id: 1\nlifecycle_stage: active\nname: e\n',
    [`mlruns/1/${RUN}/meta.yaml`]: `artifact_uri: ./mlruns/1/${RUN}/artifacts\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${RUN}\nrun_uuid: ${RUN}\nstart_time: 1\nstatus: 3\nuser_id: u\n`,
    [`mlruns/1/${RUN}/metrics/small`]: small.join('\n'),
    [`mlruns/1/${RUN}/metrics/big`]: big.join('\n'),
  });
  const s = Store.open(path.join(dir, 'mlruns'));
  const run = s.listRuns(s.listExperiments('all'), 'all')[0]!;
  const want = (key: string, text: string[]) => text.flatMap((_, i) => (i === 3 ? [] : [{ key, value: i / 8, timestamp: 1700000000000 + i, step: i }]));

  it('every line in file order, the malformed one warned with its line number', async () => {
    expect(big.join('\n').length).toBeGreaterThan(1 << 16);
    for (const [key, text] of [
      ['small', small],
      ['big', big],
    ] as const) {
      const chunks = [];
      for await (const c of s.metricHistoryChunks(run, key)) chunks.push(c);
      expect(chunks.flat(), key).toEqual(want(key, text));
      // the small file in one array; the big one an array per 64 KiB read (and its last line, torn off, on its own)
      if (key === 'small') expect(chunks).toHaveLength(1);
      else expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(s.problems.at(-1)?.message).toBe(
        `${path.join(dir, 'mlruns', '1', RUN, 'metrics', key)} line 4: persisted metric data contained 1 fields. Expected 2 or 3 fields.`,
      );
    }
    expect(() => s.metricHistoryChunks(run, 'nope')).toThrow(`run ${RUN} has no metric 'nope'; metrics: big, small`);
  });
});

describe('MLflow 3 folders and the registry', () => {
  const expDir = path.join(tree, 'mlruns', '786088298537458258');
  it('logged models and traces are listed', () => {
    expect(listLoggedModels(expDir)).toMatchObject([{ model_id: 'm-abc', name: 'clf', status: 'READY', source_run_id: RUN3X }]);
    expect(listTraces(expDir)).toMatchObject([{ request_id: 'tr-0123', status: 'OK', execution_time_ms: 12 }]);
  });
  it('reads the registry MLflow 2.12 wrote: aliases from aliases/, not the stale meta copy', () => {
    const models = listRegisteredModels(FIXTURE);
    expect(models.map((m) => m.name)).toEqual(['resnet-classifier', 'summarizer']);
    const r = models[0]!;
    expect(r.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(r.tags.map((t) => t.key)).toEqual(['task']);
    expect(r.description).toBe('Best sweep models');
  });
});
