/**
 * What `mlr doctor` prints: the report on a terminal (MLR_FORCE_TTY), tab-separated rows
 * when piped (summary on stderr), JSON; and what --fix prints. Absolute paths are replaced
 * by <STORE> before comparing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { backups, healthyStore, NLP, put, SWEEP, TRASHED } from './helpers.js';

const RUN = '0d386e4a9e794fa987768f73e7a51c10';

function brokenStore(): string {
  const store = healthyStore();
  const nlp = path.join(store, NLP, 'meta.yaml');
  fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace(`experiment_id: '${NLP}'`, "experiment_id: '7'"));
  put(path.join(store, '.DS_Store'), 'x');
  fs.appendFileSync(path.join(store, SWEEP, RUN, 'metrics', 'val_loss'), '1700001931000\t0.3\t3\n');
  const old = path.join(store, '.trash', TRASHED, 'meta.yaml');
  fs.writeFileSync(old, fs.readFileSync(old, 'utf8').replace('name: old-exp', 'name: sweep'));
  return store;
}

const tty = { MLR_FORCE_TTY: '1', COLUMNS: '100' };
const clean = (s: string, store: string): string =>
  s
    .split('file://' + store)
    .join('file://<STORE>')
    .split(store)
    .join('<STORE>');

describe('doctor output', () => {
  it('on a terminal: one block per finding, then a summary', async () => {
    const store = brokenStore();
    const r = await mlr(['--store', store, 'doctor'], { env: tty });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const [table, summary] = clean(r.stdout, store).split('\n\n');
    expect(table + '\n').toBe(`SEVERITY  CODE                             PATH
error     experiment-id-mismatch           ${NLP}/meta.yaml
          meta.yaml says experiment_id '7' but the folder is '${NLP}': MLflow skips the
          experiment ("Experiment ID mismatch")
          fix: set experiment_id to '${NLP}'
error     metric-bad-lines                 ${SWEEP}/${RUN}/metrics/val_loss
          metric 'val_loss' has 1 bad line (line 6: tab-separated ('1700001931000\\t0.3\\t3')): MLflow
          fails on every search of the experiment
          fix: keep the 5 valid lines, move the 1 bad line into the backup
warning   stray-junk                       .DS_Store
          a macOS Finder file: clutter (MLflow ignores it)
          fix: move it out of the store into the backup
warning   experiment-name-held-by-deleted  .trash/${TRASHED}/meta.yaml
          deleted experiment ${TRASHED} in .trash holds the name 'sweep', also used by
          experiment ${SWEEP}: MLflow may resolve the name to the deleted one and refuses
          to create it again
          run: mlr trash rename ${TRASHED} sweep-${TRASHED}
`);
    // the summary is wrapped to the terminal too (where depends on the temp folder's length)
    expect(summary!.replace(/\n/g, ' ')).toBe(
      '2 errors, 2 warnings in <STORE> (4 experiments, 76 runs). mlr doctor --fix repairs 3 of them, keeping a backup of every file it changes. ',
    );
  });

  it('piped: tab-separated rows on stdout, the summary on stderr; --quiet drops the summary', async () => {
    const store = brokenStore();
    const r = await mlr(['--store', store, 'doctor']);
    expect(r.code).toBe(3);
    const rows = r.stdout.split('\n');
    expect(rows[0]).toBe('severity\tcode\tpath\tmessage\tfix\tcommand');
    expect(rows.slice(1, -1).map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual([
      `error experiment-id-mismatch ${NLP}/meta.yaml`,
      `error metric-bad-lines ${SWEEP}/${RUN}/metrics/val_loss`,
      'warning stray-junk .DS_Store',
      `warning experiment-name-held-by-deleted .trash/${TRASHED}/meta.yaml`,
    ]);
    expect(rows[2]!.split('\t')[3]).toBe(
      "metric 'val_loss' has 1 bad line (line 6: tab-separated ('1700001931000\\\\t0.3\\\\t3')): MLflow fails on every search of the experiment",
    );
    expect(clean(r.stderr, store)).toBe(
      'mlr: 2 errors, 2 warnings in <STORE> (4 experiments, 76 runs). mlr doctor --fix repairs 3 of them, keeping a backup of every file it changes.\n',
    );
    const q = await mlr(['--store', store, '-q', 'doctor']);
    expect(q.stderr).toBe('');
    expect(q.stdout).toBe(r.stdout);
  });

  it('JSON: findings with stable fields', async () => {
    const store = brokenStore();
    const r = await mlr(['--store', store, 'doctor', '--format', 'json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { findings: Record<string, unknown>[] };
    expect(j).toMatchObject({ store, experiments: 4, runs: 76, problems: 4 });
    expect(j.findings[2]).toEqual({
      code: 'stray-junk',
      severity: 'warning',
      path: '.DS_Store',
      message: 'a macOS Finder file: clutter (MLflow ignores it)',
      fix: 'move it out of the store into the backup',
    });
    expect(j.findings[3]).toEqual({
      code: 'experiment-name-held-by-deleted',
      severity: 'warning',
      path: `.trash/${TRASHED}/meta.yaml`,
      message: `deleted experiment ${TRASHED} in .trash holds the name 'sweep', also used by experiment ${SWEEP}: MLflow may resolve the name to the deleted one and refuses to create it again`,
      command: `mlr trash rename ${TRASHED} sweep-${TRASHED}`,
    });
  });

  it('--fix on a terminal: what was repaired, what still needs you, where the backup is', async () => {
    const store = brokenStore();
    const r = await mlr(['--store', store, 'doctor', '--fix'], { env: tty });
    expect(r.code).toBe(3);
    const [backup] = backups(store);
    const out = clean(r.stdout, store);
    expect(out.startsWith('Repaired 3 problems in <STORE> (3 file changes).\nSEVERITY  CODE                    PATH\nerror     experiment-id-mismatch  ')).toBe(
      true,
    );
    expect(out).toContain(
      `\nStill needs you (1):\nSEVERITY  CODE                             PATH\nwarning   experiment-name-held-by-deleted  .trash/${TRASHED}/meta.yaml\n`,
    );
    expect(out.endsWith(`\nBackup of everything changed: ${clean(backup!, store)}\nUndo with: mlr doctor --undo ${clean(backup!, store)}\n`)).toBe(true);
    expect(path.basename(backup!)).toBe('20261123T021320Z'); // MLR_NOW, in UTC
  });

  it('--fix --format json', async () => {
    const store = brokenStore();
    const r = await mlr(['--store', store, 'doctor', '--fix', '--format', 'json']);
    expect(r.code).toBe(3);
    const [backup] = backups(store);
    const j = JSON.parse(r.stdout) as {
      backup: string;
      undo: string;
      actions: number;
      fixed: { code: string }[];
      remaining: { code: string }[];
      problems: number;
    };
    expect(j.backup).toBe(backup);
    expect(j.undo).toBe(`mlr doctor --undo ${backup}`);
    expect(j.actions).toBe(3);
    expect(j.fixed.map((f) => f.code)).toEqual(['experiment-id-mismatch', 'metric-bad-lines', 'stray-junk']);
    expect(j.remaining.map((f) => f.code)).toEqual(['experiment-name-held-by-deleted']);
    expect(j.problems).toBe(1);
  });
});
