/**
 * The test store of spec §10.1, as SearchableRuns (the active runs; `deleted-one` is left
 * out by the view before search ever sees it).
 */
import type { DatasetInput, RunStatus, SearchableRun } from '../../src/store/types.js';

interface Spec {
  name: string;
  id: string;
  start: number;
  status: RunStatus;
  end: number | null;
  user: string;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  datasets?: DatasetInput[];
}

// run ids: delta's sorts before Gamma run's (spec §10.1)
const SPECS: Spec[] = [
  {
    name: 'alpha',
    id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    start: 1000,
    status: 'FINISHED',
    end: 1100,
    user: 'alice',
    metrics: { val_loss: 0.5, acc: 0.9, 'train.loss': 0.2, 'batch size': 1.0 },
    params: { lr: '0.01', model: 'cnn', 'opt.name': 'adam' },
    tags: { team: 'vision', 'my.tag': 'x', 'with space': 'y' },
  },
  {
    name: 'beta',
    id: 'b1b2c3d4e5f60718293a4b5c6d7e8f90',
    start: 2000,
    status: 'FAILED',
    end: 2100,
    user: 'bob',
    metrics: { val_loss: 0.3, acc: NaN },
    params: { lr: '0.1', model: 'CNN' },
    tags: { team: 'nlp' },
  },
  {
    name: 'Gamma run',
    id: 'd9b2c3d4e5f60718293a4b5c6d7e8f90',
    start: 3000,
    status: 'RUNNING',
    end: null,
    user: 'carol',
    metrics: { val_loss: Infinity },
    params: { lr: '1e-3' },
  },
  {
    name: 'delta',
    id: 'd1b2c3d4e5f60718293a4b5c6d7e8f90',
    start: 3000,
    status: 'FINISHED',
    end: 3100,
    user: 'alice',
    params: { model: 'rnn' },
    tags: { team: 'Vision' },
  },
  {
    name: 'with-data',
    id: 'e1b2c3d4e5f60718293a4b5c6d7e8f90',
    start: 4000,
    status: 'KILLED',
    end: 4100,
    user: 'dave',
    metrics: { val_loss: -Infinity },
    tags: { team: 'data' },
    datasets: [
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'train-ds', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/train.csv"}' },
      },
    ],
  },
];

export const RUNS: SearchableRun[] = SPECS.map((s) => ({
  info: {
    run_id: s.id,
    run_uuid: s.id,
    run_name: s.name,
    experiment_id: '1',
    user_id: s.user,
    status: s.status,
    start_time: s.start,
    end_time: s.end,
    artifact_uri: `file:///home/ana/mlruns/1/${s.id}/artifacts`,
    lifecycle_stage: 'active',
  },
  metrics: new Map(Object.entries(s.metrics ?? {})),
  params: new Map(Object.entries(s.params ?? {})),
  tags: new Map(Object.entries({ ...s.tags, 'mlflow.user': s.user, 'mlflow.runName': s.name })),
  datasets: s.datasets ?? [],
}));

export const ID: Record<string, string> = Object.fromEntries(SPECS.map((s) => [s.name, s.id]));
export const NAME: Record<string, string> = Object.fromEntries(SPECS.map((s) => [s.id, s.name]));
