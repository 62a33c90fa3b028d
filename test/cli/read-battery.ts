/**
 * The battery of read commands over the example store (fixtures/mlruns) that a backend
 * must answer exactly as the file store does: test/cli/interface.test.ts runs it on a
 * backend with no files, test/remote/differential.test.ts through mlr server.
 */
export const SWEEP_RUN = '65035d79';
export const READS: string[][] = [
  ['experiments', 'ls'],
  ['experiments', 'ls', '--view', 'all', '--format', 'json'],
  ['experiments', 'describe', 'sweep', '--format', 'json'],
  ['runs', 'ls'],
  ['runs', 'ls', '--view', 'all', '--format', 'json'],
  ['runs', 'ls', '-e', 'sweep', '--filter', "metrics.val_acc > 0.8 and params.optimizer = 'adam'", '--order-by', 'metrics.val_loss ASC', '--format', 'csv'],
  ['runs', 'ls', '--filter', "tags.team IN ('vision', 'nlp') OR status = 'FAILED'", '--format', 'ids'],
  [
    'runs',
    'ls',
    '-e',
    'sweep',
    '--columns',
    'run_name,min(metrics.val_loss),argmin(metrics.val_loss)',
    '--order-by',
    'min(metrics.val_loss)',
    '--format',
    'tsv',
  ],
  ['runs', 'ls', '-e', 'sweep', '--spark', 'metrics.val_loss', '--only-changed', '--tree', '--max-results', '10'],
  ['runs', 'describe', SWEEP_RUN, '--format', 'json'],
  ['runs', 'describe', SWEEP_RUN],
  ['runs', 'best', '--metric', 'val_loss', '--min', '-e', 'sweep', '--format', 'json'],
  ['runs', 'diff', SWEEP_RUN, '0fcd845b', '--format', 'json'],
  ['metrics', 'history', SWEEP_RUN, 'val_loss', '--format', 'csv'],
  ['plot', SWEEP_RUN, '--metric', 'val_loss', '--format', 'json'],
  ['plot', '-e', 'sweep', '--order-by', 'min(metrics.val_loss)', '--max-results', '3', '--metric', 'val_loss', '--width', '60'],
  ['models', 'ls', '--format', 'json'],
  ['models', 'describe', 'resnet-classifier', '--format', 'json'],
  ['models', 'versions', 'resnet-classifier', '--format', 'tsv'],
  ['artifacts', 'ls', SWEEP_RUN, '--recursive', '--format', 'json'],
];
