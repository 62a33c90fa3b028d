/**
 * Issue 5: each way a real store breaks, built from a copy of the store MLflow 2.12 wrote.
 * For each: `mlr doctor` finds exactly the expected codes (exit 3) and changes nothing;
 * `mlr doctor --fix` repairs it (the store then reads cleanly, every run is listed, every
 * param, tag and valid metric line is kept byte for byte, every changed byte is in the
 * backup); a second --fix finds nothing; `--undo` restores the broken store byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlr, copyTree } from '../helpers.js';
import { encodePathForUri } from '../../src/store/root.js';
import { backups, codes, doctor, fixCycle, healthyStore, listedRuns, manifest, NLP, put, report, snapshot, SWEEP, TRASHED, type Tree } from './helpers.js';

const RUN = '0d386e4a9e794fa987768f73e7a51c10'; // sweep run with params/metrics/tags
const runDir = (store: string, exp = SWEEP, run = RUN): string => path.join(store, exp, run);
const uri = (store: string): string => 'file://' + encodePathForUri(store);

/** Earliest start_time over an experiment's runs, read without mlr. */
function earliestStart(store: string, exp: string): number {
  let min = Infinity;
  for (const r of fs.readdirSync(path.join(store, exp))) {
    const f = path.join(store, exp, r, 'meta.yaml');
    if (!fs.existsSync(f)) continue;
    const m = /^start_time: (\d+)$/m.exec(fs.readFileSync(f, 'utf8'));
    if (m) min = Math.min(min, Number(m[1]));
  }
  return min;
}

/** doctor reports exactly `want` (exit 3) and changes nothing; returns the store's snapshot (for fixCycle's `broken`). */
async function expectFound(store: string, want: string[]): Promise<Tree> {
  const before = snapshot(store);
  expect(await codes(store, 3)).toEqual([...want].sort());
  expect(snapshot(store)).toEqual(before);
  expect(backups(store)).toEqual([]);
  return before;
}

describe('mlr doctor on a healthy store', () => {
  it('finds nothing, exit 0, in every format', async () => {
    const store = healthyStore();
    const r = await doctor(store);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('severity\tcode\tpath\tmessage\tfix\tcommand\n');
    expect(r.stderr).toBe(`mlr: No problems found in ${store} (4 experiments, 76 runs).\n`);
    const j = await doctor(store, '--format', 'json');
    expect(JSON.parse(j.stdout)).toEqual({ store, experiments: 4, runs: 76, problems: 0, findings: [] });
    const tty = await mlr(['--store', store, 'doctor'], { env: { MLR_FORCE_TTY: '1', COLUMNS: '100' } });
    expect(tty.stdout).toBe(`No problems found in ${store} (4 experiments, 76 runs).\n`);
    const fix = await doctor(store, '--fix');
    expect(fix.code).toBe(0);
    expect(backups(store)).toEqual([]);
  });
});

describe('check 1: experiment meta.yaml', () => {
  it('missing: rebuilt with a recovered-<id> name, the earliest run as creation time, the store place', async () => {
    const store = healthyStore();
    const start = earliestStart(store, SWEEP);
    fs.rmSync(path.join(store, SWEEP, 'meta.yaml'));
    const broken = await expectFound(store, ['experiment-meta-missing']);
    const r = await report(store);
    expect(r.findings[0]).toMatchObject({ severity: 'error', path: `${SWEEP}/meta.yaml` });
    expect(r.findings[0]!.message).toBe('experiment folder has runs but no meta.yaml: MLflow skips the experiment and its 60 runs');
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(path.join(store, SWEEP, 'meta.yaml'), 'utf8')).toBe(
          `artifact_location: ${uri(store)}/${SWEEP}\ncreation_time: ${start}\nexperiment_id: '${SWEEP}'\nlast_update_time: ${start}\nlifecycle_stage: active\nname: recovered-${SWEEP}\n`,
        );
      },
    });
  });

  it('missing for experiment 0: named Default', async () => {
    const store = healthyStore();
    const start = earliestStart(store, '0');
    fs.rmSync(path.join(store, '0', 'meta.yaml'));
    const broken = await expectFound(store, ['experiment-meta-missing']);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(path.join(store, '0', 'meta.yaml'), 'utf8')).toBe(
          `artifact_location: ${uri(store)}/0\ncreation_time: ${start}\nexperiment_id: '0'\nlast_update_time: ${start}\nlifecycle_stage: active\nname: Default\n`,
        );
      },
    });
  });

  it('empty', async () => {
    const store = healthyStore();
    fs.writeFileSync(path.join(store, NLP, 'meta.yaml'), '');
    const broken = await expectFound(store, ['experiment-meta-empty']);
    await fixCycle(store, { broken });
  });

  it('truncated: every complete line survives, the cut one is dropped', async () => {
    const store = healthyStore();
    const file = path.join(store, NLP, 'meta.yaml');
    const text = fs.readFileSync(file, 'utf8');
    // cut inside the quoted experiment_id: the rest (lifecycle_stage, name) is lost
    fs.writeFileSync(file, text.slice(0, text.indexOf("experiment_id: '") + 20));
    const broken = await expectFound(store, ['experiment-meta-truncated']);
    await fixCycle(store, {
      broken,
      then: () => {
        const created = /creation_time: (\d+)/.exec(text)![1];
        expect(fs.readFileSync(file, 'utf8')).toBe(
          `artifact_location: ${uri(store)}/${NLP}\ncreation_time: ${created}\nexperiment_id: '${NLP}'\nlast_update_time: ${created}\nlifecycle_stage: active\nname: recovered-${NLP}\n`,
        );
      },
    });
  });

  it('merge-conflict markers: rebuilt from our side, the other name is reported', async () => {
    const store = healthyStore();
    const file = path.join(store, NLP, 'meta.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('name: nlp models\n', '<<<<<<< HEAD\nname: nlp models\n=======\nname: nlp-models-v2\n>>>>>>> feature\n'));
    const broken = await expectFound(store, ['experiment-meta-conflict']);
    const f = (await report(store)).findings[0]!;
    expect(f.fix).toContain(`name 'nlp models' recovered from the file (the other side of the conflict says 'nlp-models-v2')`);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(file, 'utf8')).toBe(text);
      },
    });
  });

  it('unparsable YAML keeps the fields that still parse', async () => {
    const store = healthyStore();
    const file = path.join(store, NLP, 'meta.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('lifecycle_stage: active\n', 'lifecycle_stage: [active\n'));
    const broken = await expectFound(store, ['experiment-meta-unparsable']);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(file, 'utf8')).toBe(text);
      },
    });
  });
});

describe('check 2: run meta.yaml', () => {
  it('missing: rebuilt from the folder, its tags and its metric timestamps', async () => {
    const store = healthyStore();
    const dir = runDir(store);
    put(path.join(dir, 'tags', 'mlflow.user'), 'ana');
    put(path.join(dir, 'tags', 'mlflow.parentRunId'), 'f0c53573cd73442dae3f1385baf7f899');
    // metric timestamps, read independently
    const ts = fs.readdirSync(path.join(dir, 'metrics')).flatMap((k) =>
      fs
        .readFileSync(path.join(dir, 'metrics', k), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(l.split(' ')[0])),
    );
    fs.rmSync(path.join(dir, 'meta.yaml'));
    const broken = await expectFound(store, ['run-meta-missing']);
    const f = (await report(store)).findings[0]!;
    expect(f.message).toBe('run folder has 4 params, 3 metrics, 4 tags but no meta.yaml: MLflow skips the run');
    expect(f.fix).toBe(
      `rebuild meta.yaml: name 'adam-lr0.1-bs64' (mlflow.runName tag), user 'ana' (mlflow.user tag), child of run f0c53573cd73442dae3f1385baf7f899, ` +
        `start ${new Date(Math.min(...ts)).toISOString()}, end ${new Date(Math.max(...ts)).toISOString()} (from metric timestamps), status FINISHED (guessed: it has an end time)`,
    );
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8')).toBe(
          [
            `artifact_uri: ${uri(store)}/${SWEEP}/${RUN}/artifacts`,
            `end_time: ${Math.max(...ts)}`,
            "entry_point_name: ''",
            `experiment_id: '${SWEEP}'`,
            'lifecycle_stage: active',
            `run_id: ${RUN}`,
            'run_name: adam-lr0.1-bs64',
            `run_uuid: ${RUN}`,
            "source_name: ''",
            'source_type: 4',
            "source_version: ''",
            `start_time: ${Math.min(...ts)}`,
            'status: 3',
            'tags: []',
            'user_id: ana',
            '',
          ].join('\n'),
        );
      },
    });
  });

  it('missing, no metrics: status RUNNING is the stated guess', async () => {
    const store = healthyStore();
    const dir = runDir(store);
    fs.rmSync(path.join(dir, 'metrics'), { recursive: true });
    fs.rmSync(path.join(dir, 'meta.yaml'));
    const broken = await expectFound(store, ['run-meta-missing']);
    expect((await report(store)).findings[0]!.fix).toMatch(
      /\(the oldest file in the run; no metrics\), status RUNNING \(guessed: no end time could be recovered\)$/,
    );
    await fixCycle(store, { broken });
  });

  it('empty', async () => {
    const store = healthyStore();
    fs.writeFileSync(path.join(runDir(store), 'meta.yaml'), '');
    const broken = await expectFound(store, ['run-meta-empty']);
    await fixCycle(store, { broken });
  });

  it('truncated: the values before the cut are kept, the rest rebuilt', async () => {
    const store = healthyStore();
    const file = path.join(runDir(store), 'meta.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.indexOf('run_name:') + 8));
    const broken = await expectFound(store, ['run-meta-truncated']);
    const firstTs = Math.min(
      ...fs.readdirSync(path.join(runDir(store), 'metrics')).map((k) => Number(fs.readFileSync(path.join(runDir(store), 'metrics', k), 'utf8').split(' ')[0])),
    );
    await fixCycle(store, {
      broken,
      then: () => {
        // up to the cut (end_time, experiment_id, run_id…) came back; run_name from the tag;
        // start_time was after the cut: the first metric timestamp is the best there is
        expect(fs.readFileSync(file, 'utf8')).toBe(text.replace(/^start_time: \d+$/m, `start_time: ${firstTs}`));
      },
    });
  });

  it('merge-conflict markers and garbage', async () => {
    const store = healthyStore();
    const a = path.join(runDir(store), 'meta.yaml');
    const t = fs.readFileSync(a, 'utf8');
    fs.writeFileSync(a, t.replace('status: 3\n', '<<<<<<< HEAD\nstatus: 3\n=======\nstatus: 4\n>>>>>>> other\n'));
    const b = path.join(store, SWEEP, '02df84e1e68a46eaa4f971068787bace', 'meta.yaml');
    fs.writeFileSync(b, '\x00\x01binary junk: [\n');
    const broken = await expectFound(store, ['run-meta-conflict', 'run-meta-unparsable']);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(a, 'utf8')).toBe(t);
      },
    });
  });

  it('missing fields MLflow needs (run_uuid/run_id, start_time, user_id, status as text) are filled in', async () => {
    const store = healthyStore();
    const file = path.join(runDir(store), 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, t.replace(/^user_id: .*\n/m, '').replace('status: 3', 'status: FINISHED'));
    const broken = await expectFound(store, ['run-meta-incomplete']);
    expect((await report(store)).findings[0]!.fix).toBe('fill in user_id: unknown, status: 3');
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(file, 'utf8')).toBe(t);
      },
    });
  });
});

describe('check 3: ids that disagree with the folders', () => {
  it('experiment_id in an experiment meta.yaml', async () => {
    const store = healthyStore();
    const file = path.join(store, NLP, 'meta.yaml');
    const t = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, t.replace(`experiment_id: '${NLP}'`, "experiment_id: '42'"));
    const broken = await expectFound(store, ['experiment-id-mismatch']);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(file, 'utf8')).toBe(t);
      },
    });
  });

  it('a run folder copied into another experiment: the copy gets its new experiment and a fresh-enough id check', async () => {
    const store = healthyStore();
    const src = runDir(store);
    const copy = path.join(store, NLP, RUN);
    copyTree(src, copy);
    fs.rmSync(src, { recursive: true });
    // and a run whose run_id says something else
    const other = path.join(store, SWEEP, '02df84e1e68a46eaa4f971068787bace', 'meta.yaml');
    const ot = fs.readFileSync(other, 'utf8');
    fs.writeFileSync(other, ot.replace(/^run_id: .*$/m, 'run_id: 11111111111111111111111111111111'));
    // its experiment_id and artifact_uri say where it came from: a move by hand (issue 11 item 7)
    const broken = await expectFound(store, ['run-moved', 'run-id-mismatch']);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(other, 'utf8')).toBe(ot);
        expect(fs.readFileSync(path.join(copy, 'meta.yaml'), 'utf8')).toMatch(`experiment_id: '${NLP}'`);
      },
    });
  });

  it('a run folder moved into .trash by hand: moved back into its experiment as a deleted run', async () => {
    const store = healthyStore();
    const dest = path.join(store, '.trash', RUN);
    fs.renameSync(runDir(store), dest);
    put(path.join(dest, '.DS_Store'), 'junk');
    const broken = await expectFound(store, ['run-misplaced', 'stray-junk']);
    await fixCycle(store, {
      broken,
      remaining: [],
      then: () => {
        const meta = fs.readFileSync(path.join(runDir(store), 'meta.yaml'), 'utf8');
        expect(meta).toMatch(/^deleted_time: 1795400000000$/m);
        expect(meta).toMatch(/^lifecycle_stage: deleted$/m);
        expect(fs.existsSync(dest)).toBe(false);
      },
    });
  });
});

describe('check 4: metric files', () => {
  it('keeps every valid line in order and moves each bad one, with its line number, into the backup', async () => {
    const store = healthyStore();
    const dir = path.join(runDir(store), 'metrics');
    const loss = fs.readFileSync(path.join(dir, 'val_loss'), 'latin1').split('\n').filter(Boolean);
    const bad = {
      blank: '',
      tabs: '1700001931000\t0.3\t3',
      fields: '1700001932000 0.3',
      text: '1700001933000 abc 4',
      floatStep: '1700001934000 0.2 1.5',
      double: '1700001935000  0.2 6',
    };
    const lines = [
      loss[0]!,
      bad.blank,
      loss[1]!,
      bad.tabs,
      bad.fields.replace('0.3', '0.3 9 9'),
      bad.text,
      loss[2]!,
      bad.floatStep,
      bad.double,
      loss[3]!,
      loss[4]!,
    ];
    fs.writeFileSync(path.join(dir, 'val_loss'), lines.join('\n') + '\n');
    // torn last line: the tail of a line cut mid-write, no newline
    const acc = fs.readFileSync(path.join(dir, 'val_acc'), 'latin1');
    fs.writeFileSync(path.join(dir, 'val_acc'), acc + '17000019');
    // a torn last line that still parses (fewer fields than the others)
    const tl = fs.readFileSync(path.join(dir, 'train_loss'), 'latin1');
    fs.writeFileSync(path.join(dir, 'train_loss'), tl + '1700001999000 0.12');
    const broken = await expectFound(store, ['metric-bad-lines', 'metric-bad-lines', 'metric-bad-lines']);
    const f = (await report(store)).findings.find((x) => x.path.endsWith('val_loss'))!;
    expect(f.message).toBe(
      "metric 'val_loss' has 6 bad lines (line 2: blank line; line 4: tab-separated ('1700001931000\\t0.3\\t3'); and 4 more): MLflow fails on every search of the experiment",
    );
    expect(f.fix).toBe('keep the 5 valid lines, move the 6 bad lines into the backup');
    const k = (key: string): string => `${RUN}/metrics/${key}`;
    const { backup } = await fixCycle(store, {
      broken,
      dropped: {
        [k('val_loss')]: [bad.blank, bad.tabs, bad.fields.replace('0.3', '0.3 9 9'), bad.text, bad.floatStep, bad.double],
        [k('val_acc')]: ['17000019'],
        [k('train_loss')]: ['1700001999000 0.12'],
      },
    });
    const m = manifest(backup);
    const a = m.actions.find((x) => x.path?.endsWith('val_loss'))!;
    expect(a.removed_lines!.map((x) => [x.line, x.text])).toEqual([
      [2, ''],
      [4, bad.tabs],
      [5, '1700001932000 0.3 9 9'],
      [6, bad.text],
      [8, bad.floatStep],
      [9, bad.double],
    ]);
    expect(a.kept_lines).toBe(5);
    expect(fs.readFileSync(path.join(backup, 'removed-lines', SWEEP, RUN, 'metrics', 'val_acc'), 'latin1')).toBe('line 6: 17000019\n');
  });

  it('an empty metric file and a file of only bad lines are moved into the backup; a valid last line without newline gets one', async () => {
    const store = healthyStore();
    const dir = path.join(runDir(store), 'metrics');
    fs.writeFileSync(path.join(dir, 'empty'), '');
    fs.writeFileSync(path.join(dir, 'garbage'), 'not a metric\n');
    const acc = fs.readFileSync(path.join(dir, 'val_acc'), 'latin1');
    fs.writeFileSync(path.join(dir, 'val_acc'), acc.replace(/\n$/, ''));
    const broken = await expectFound(store, ['metric-bad-lines', 'metric-empty', 'metric-unterminated']);
    await fixCycle(store, {
      broken,
      dropped: { [`${RUN}/metrics/garbage`]: ['not a metric'], [`${RUN}/metrics/empty`]: [] },
      then: () => {
        expect(fs.readFileSync(path.join(dir, 'val_acc'), 'latin1')).toBe(acc);
        expect(fs.existsSync(path.join(dir, 'empty'))).toBe(false);
        expect(fs.existsSync(path.join(dir, 'garbage'))).toBe(false);
      },
    });
  });
});

describe('check 5: artifact locations from another place', () => {
  it('a moved store: every file: location is pointed at the current place; remote URIs are left alone', async () => {
    const store = healthyStore();
    // the store as MLflow wrote it at /home/ana/cv-project, plus a Windows copy and an s3 experiment
    const nlp = path.join(store, NLP, 'meta.yaml');
    fs.writeFileSync(
      nlp,
      fs.readFileSync(nlp, 'utf8').replace(/^artifact_location: .*$/m, `artifact_location: file:///C:/Users/Ana/cv%20project/mlruns/${NLP}`),
    );
    const runs = fs.readdirSync(path.join(store, NLP)).filter((n) => n !== 'meta.yaml' && n !== 'tags');
    for (const [i, r] of runs.entries()) {
      const f = path.join(store, NLP, r, 'meta.yaml');
      const old = i % 2 ? `C:\\Users\\Ana\\cv project\\mlruns\\${NLP}\\${r}\\artifacts` : `file:///C:/Users/Ana/cv%20project/mlruns/${NLP}/${r}/artifacts`;
      fs.writeFileSync(
        f,
        fs.readFileSync(f, 'utf8').replace(/^artifact_uri: .*$/m, `artifact_uri: ${old.includes(' ') && !old.startsWith('file') ? `${old}` : old}`),
      );
    }
    const zero = path.join(store, '0', 'meta.yaml');
    fs.writeFileSync(zero, fs.readFileSync(zero, 'utf8').replace(/^artifact_location: .*$/m, 'artifact_location: s3://bucket/mlruns/0'));
    for (const r of fs.readdirSync(path.join(store, '0')).filter((n) => n !== 'meta.yaml')) {
      const f = path.join(store, '0', r, 'meta.yaml');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^artifact_uri: .*$/m, `artifact_uri: s3://bucket/mlruns/0/${r}/artifacts`));
    }
    const broken = await expectFound(store, ['artifact-location-stale', 'artifact-uri-stale']);
    const f = (await report(store)).findings.find((x) => x.code === 'artifact-uri-stale')!;
    expect(f.fix).toBe(`set their artifact_uri to ${uri(store)}/${NLP}/<run>/artifacts`);
    await fixCycle(store, {
      broken,
      then: () => {
        expect(fs.readFileSync(nlp, 'utf8')).toMatch(`artifact_location: ${uri(store)}/${NLP}\n`);
        for (const r of runs)
          expect(fs.readFileSync(path.join(store, NLP, r, 'meta.yaml'), 'utf8')).toMatch(`artifact_uri: ${uri(store)}/${NLP}/${r}/artifacts\n`);
        expect(fs.readFileSync(zero, 'utf8')).toMatch('artifact_location: s3://bucket/mlruns/0\n');
      },
    });
  });

  it('the fixture as MLflow wrote it elsewhere: all locations (trash too) are re-rooted', async () => {
    const store = healthyStore();
    // undo the relocation the helper did: back to /home/ana/cv-project/mlruns
    const stale = 'file:///home/ana/cv-project/mlruns';
    const visit = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory() && e.name !== 'models') visit(p);
        else if (e.name === 'meta.yaml') fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split(uri(store)).join(stale));
      }
    };
    visit(store);
    const broken = await expectFound(store, [...Array(4).fill('artifact-location-stale'), ...Array(4).fill('artifact-uri-stale')]);
    await fixCycle(store, { broken });
  });

  it('plain-path stores keep plain paths', async () => {
    const store = healthyStore();
    const visit = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory() && e.name !== 'models') visit(p);
        else if (e.name === 'meta.yaml') fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split(uri(store)).join('/mnt/old-disk/mlruns'));
      }
    };
    visit(store);
    await fixCycle(store, {
      then: () => {
        expect(fs.readFileSync(path.join(store, SWEEP, 'meta.yaml'), 'utf8')).toMatch(`artifact_location: ${store}/${SWEEP}\n`);
      },
    });
  });
});

describe('check 6: stray entries', () => {
  it('are moved out of the store into the backup', async () => {
    const store = healthyStore();
    put(path.join(store, '.DS_Store'), 'x');
    put(path.join(store, '.ipynb_checkpoints', 'meta-checkpoint.yaml'), 'name: x\n');
    put(path.join(store, 'notes', 'todo.txt'), 'look at run 3');
    put(path.join(store, SWEEP, '.DS_Store'), 'x');
    put(path.join(store, SWEEP, 'plots', 'loss.png'), 'png');
    put(path.join(runDir(store), 'params', '.DS_Store'), 'x');
    put(path.join(runDir(store), 'metrics', '._val_loss'), 'x');
    fs.copyFileSync(path.join(runDir(store), 'meta.yaml'), path.join(runDir(store), 'meta 2.yaml'));
    fs.copyFileSync(path.join(runDir(store), 'metrics', 'val_loss'), path.join(runDir(store), 'metrics', 'val_loss 2'));
    fs.copyFileSync(path.join(runDir(store), 'tags', 'mlflow.runName'), path.join(runDir(store), 'tags', 'mlflow 2.runName'));
    // a key named like a duplicate but with other content is a real key: left alone
    put(path.join(runDir(store), 'params', 'lr 2'), '0.5');
    // junk is grouped per experiment (root: .DS_Store + .ipynb_checkpoints; sweep: three files), duplicates too
    const broken = await expectFound(store, ['duplicate-lookalike', 'stray-duplicate', 'stray-folder', 'stray-folder', 'stray-junk', 'stray-junk']);
    const r = await report(store);
    expect(r.findings.find((f) => f.code === 'stray-duplicate')).toMatchObject({
      severity: 'warning',
      message: `3 Finder/iCloud duplicates of files still there (1 in run folders, 1 in metrics/, 1 in tags/; e.g. 'meta 2.yaml', 'val_loss 2', 'mlflow 2.runName'): MLflow shows the ones in metrics/, params/ and tags/ as extra keys`,
      path: SWEEP,
      paths: [`${SWEEP}/${RUN}/meta 2.yaml`, `${SWEEP}/${RUN}/metrics/val_loss 2`, `${SWEEP}/${RUN}/tags/mlflow 2.runName`],
    });
    await fixCycle(store, {
      broken,
      strays: [`${RUN}/params/.DS_Store`, `${RUN}/metrics/._val_loss`, `${RUN}/metrics/val_loss 2`, `${RUN}/tags/mlflow 2.runName`],
      then: () => {
        const [backup] = backups(store);
        expect(fs.readFileSync(path.join(backup!, 'store', 'notes', 'todo.txt'), 'utf8')).toBe('look at run 3');
        for (const p of ['.DS_Store', '.ipynb_checkpoints', 'notes', `${SWEEP}/plots`, `${SWEEP}/${RUN}/meta 2.yaml`])
          expect(fs.existsSync(path.join(store, p)), p).toBe(false);
        expect(fs.readFileSync(path.join(runDir(store), 'params', 'lr 2'), 'utf8')).toBe('0.5');
      },
    });
  });
});

describe('check 7: duplicate experiment names (report only)', () => {
  it('reports each with the command that frees the name and changes nothing with --fix', async () => {
    const store = healthyStore();
    const nlp = path.join(store, NLP, 'meta.yaml');
    fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace('name: nlp models', 'name: sweep'));
    const old = path.join(store, '.trash', TRASHED, 'meta.yaml');
    fs.writeFileSync(old, fs.readFileSync(old, 'utf8').replace('name: old-exp', 'name: sweep'));
    await expectFound(store, ['experiment-name-duplicate', 'experiment-name-held-by-deleted']);
    const r = await report(store);
    expect(r.findings.map((f) => f.command)).toEqual([`mlr trash rename ${TRASHED} sweep-${TRASHED}`, `mlr experiments rename ${NLP} sweep-${NLP}`]);
    const before = snapshot(store);
    const fix = await doctor(store, '--fix');
    expect(fix.code).toBe(3);
    expect(snapshot(store)).toEqual(before);
    expect(backups(store)).toEqual([]);
  });
});

describe('check 8: report only', () => {
  it('runs active in a deleted experiment, registry versions whose run is gone', async () => {
    const store = healthyStore();
    const run = path.join(store, '.trash', TRASHED, '7d5ddb0def1046c1b03d9851ae7ea36a', 'meta.yaml');
    fs.writeFileSync(run, fs.readFileSync(run, 'utf8').replace('lifecycle_stage: deleted', 'lifecycle_stage: active'));
    fs.rmSync(path.join(store, SWEEP, '4152a90a3b7642198f84b1861879b600'), { recursive: true });
    // and a delete that stopped after rewriting meta.yaml, before moving the folder
    const nlp = path.join(store, NLP, 'meta.yaml');
    fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'));
    await expectFound(store, ['experiment-lifecycle-mismatch', 'registry-run-missing', 'run-lifecycle-mismatch']);
    const r = await report(store);
    expect(r.findings.map((f) => [f.code, f.command])).toEqual([
      ['run-lifecycle-mismatch', 'mlr runs delete 7d5ddb0def1046c1b03d9851ae7ea36a'],
      ['experiment-lifecycle-mismatch', `mlr experiments delete ${NLP}   # finishes the delete (mlr experiments restore ${NLP} undoes it)`],
      ['registry-run-missing', 'mlr models delete-version resnet-classifier 3   # if the model is no longer needed'],
    ]);
    // the commands do resolve them
    expect((await mlr(['--store', store, 'runs', 'delete', '7d5ddb0def1046c1b03d9851ae7ea36a'])).code).toBe(0);
    fs.renameSync(path.join(store, NLP), path.join(store, '.trash', NLP));
    // finishing the delete by hand leaves the experiment's runs active (MLflow marks them first):
    // the doctor says so, with the loop that marks them
    const after = (await report(store)).findings;
    expect(after.map((f) => f.code)).toEqual(['run-lifecycle-mismatch', 'registry-run-missing']);
    expect(after[0]!.command).toMatch(/^for r in( [0-9a-f]{32}){12}; do mlr runs delete "\$r"; done$/);
    expect(after[0]!.paths).toHaveLength(12);
    const before = snapshot(store);
    expect((await doctor(store, '--fix')).code).toBe(3);
    expect(snapshot(store)).toEqual(before);
  });

  it('a delete that stopped before its move: the commands it gives finish it, or undo it', async () => {
    for (const cmd of ['delete', 'restore']) {
      const store = healthyStore();
      const nlp = path.join(store, NLP, 'meta.yaml');
      fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'));
      await expectFound(store, ['experiment-lifecycle-mismatch']);
      const r = await mlr(['--store', store, 'experiments', cmd, NLP]);
      expect(r.code, r.stderr).toBe(0);
      expect((await report(store)).findings.map((f) => f.code)).toEqual([]);
      expect(fs.existsSync(path.join(store, cmd === 'delete' ? '.trash' : '', NLP, 'meta.yaml'))).toBe(true);
    }
  });

  it('a meta.yaml that cannot be read (here: a folder) is reported, not rebuilt', async () => {
    const store = healthyStore();
    const f = path.join(runDir(store), 'meta.yaml');
    fs.rmSync(f);
    fs.mkdirSync(f);
    await expectFound(store, ['file-unreadable']);
    expect((await report(store)).findings[0]).toMatchObject({
      path: `${SWEEP}/${RUN}/meta.yaml`,
      message: 'cannot be read (is a directory): MLflow fails on it too',
    });
    expect((await doctor(store, '--fix')).code).toBe(3);
    expect(backups(store)).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable files', async () => {
    const store = healthyStore();
    const f = path.join(runDir(store), 'metrics', 'val_loss');
    fs.chmodSync(f, 0);
    try {
      await expectFound(store, ['file-unreadable']);
    } finally {
      fs.chmodSync(f, 0o644);
    }
  });
});

describe('everything at once', () => {
  it('one fix repairs all of it, a second finds nothing, undo restores every byte', async () => {
    const store = healthyStore();
    fs.rmSync(path.join(store, NLP, 'meta.yaml'));
    fs.writeFileSync(path.join(runDir(store), 'meta.yaml'), '');
    fs.appendFileSync(path.join(runDir(store), 'metrics', 'val_loss'), '\n\n');
    put(path.join(store, '.DS_Store'), 'x');
    const zeroRuns = fs.readdirSync(path.join(store, '0')).filter((n) => n !== 'meta.yaml');
    fs.renameSync(path.join(store, '0', zeroRuns[0]!), path.join(store, '.trash', zeroRuns[0]!));
    const broken = await expectFound(store, ['experiment-meta-missing', 'metric-bad-lines', 'run-meta-empty', 'run-misplaced', 'stray-junk']);
    expect(await listedRuns(store, true)).not.toContain(zeroRuns[0]);
    await fixCycle(store, {
      broken,
      dropped: { [`${RUN}/metrics/val_loss`]: [''] },
    });
  });
});

describe('errors and options', () => {
  it('exit 1 when there is no store, 2 for bad combinations, refuses a backup inside the store', async () => {
    const store = healthyStore();
    const none = await doctor(path.join(store, 'nope'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^mlr: no MLflow store at .*nope/);
    expect((await mlr(['--store', store, 'doctor', '--undo', 'x', '--fix'])).code).toBe(2);
    expect((await mlr(['--store', store, 'doctor', '--backup-dir', 'x'])).code).toBe(2);
    fs.writeFileSync(path.join(store, NLP, 'meta.yaml'), '');
    const inside = await doctor(store, '--fix', '--backup-dir', path.join(store, 'backup'));
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/is inside the store/);
    const undo = await mlr(['doctor', '--undo', store]);
    expect(undo.code).toBe(1);
    expect(undo.stderr).toMatch(/is not an mlr doctor backup/);
  });

  it('--backup-dir chooses where the backup goes; undo twice is refused; undo refuses when the store changed since', async () => {
    const store = healthyStore();
    fs.writeFileSync(path.join(store, NLP, 'meta.yaml'), '');
    const where = path.join(path.dirname(store), 'my-backup');
    expect((await doctor(store, '--fix', '--backup-dir', where)).code).toBe(0);
    expect(fs.existsSync(path.join(where, 'manifest.json'))).toBe(true);
    fs.appendFileSync(path.join(store, NLP, 'meta.yaml'), 'tags: {}\n');
    const refused = await mlr(['doctor', '--undo', where]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`mlr: cannot undo safely, nothing was changed: ${NLP}/meta.yaml changed after the fix\n`);
    const t = fs.readFileSync(path.join(store, NLP, 'meta.yaml'), 'utf8');
    fs.writeFileSync(path.join(store, NLP, 'meta.yaml'), t.replace('tags: {}\n', ''));
    expect((await mlr(['doctor', '--undo', where])).code).toBe(0);
    expect(fs.readFileSync(path.join(store, NLP, 'meta.yaml'), 'utf8')).toBe('');
    const twice = await mlr(['doctor', '--undo', where]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already undone/);
  });

  it('a fix that stopped half-way (crash, kill -9) is undone exactly as far as it went', async () => {
    const store = healthyStore();
    put(path.join(store, '.DS_Store'), 'x');
    const nlp = path.join(store, NLP, 'meta.yaml');
    fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace(`experiment_id: '${NLP}'`, "experiment_id: '7'"));
    const broken = snapshot(store);
    expect((await doctor(store, '--fix')).code).toBe(0);
    const [backup] = backups(store);
    const m = manifest(backup!);
    expect(m.actions.map((a) => a.action)).toEqual(['move-out', 'replace']);
    // pretend the process died before the second action: put its file back, drop it from done.log
    fs.copyFileSync(path.join(backup!, 'store', NLP, 'meta.yaml'), nlp);
    fs.writeFileSync(path.join(backup!, 'done.log'), '0\n');
    const undo = await mlr(['doctor', '--undo', backup!]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stderr).toBe(`mlr: undid 1 change in ${store}\n`);
    expect(snapshot(store)).toEqual(broken);
  });
});
