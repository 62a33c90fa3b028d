/**
 * The doctor's pure pieces, table-driven: metric line checks and repair, Finder duplicate
 * names, salvaging broken meta.yaml text, artifact location forms.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repairMetricFile } from '../../src/doctor/apply.js';
import { tempDir } from '../helpers.js';
import { endsWithSegments, formOf, localPathOf, stripSegments } from '../../src/doctor/locations.js';
import { duplicateOf, isAcceptableKey, junkDirReason, junkFileReason, shellQuote } from '../../src/doctor/names.js';
import { salvageMeta, splitConflict } from '../../src/doctor/salvage.js';
import { analyzeMetricBytes } from '../../src/doctor/scan.js';

const bad = (text: string): [number, string][] => analyzeMetricBytes(Buffer.from(text, 'latin1'), false).bad.map((b) => [b.line, b.reason]);

describe('metric lines', () => {
  it.each([
    ['1 0.5 0\n2 0.25 1\n', []],
    ['1 0.5\n', []], // pre-1.0 two-field lines
    ['1 nan 0\n2 -inf 1\n3 1e-05 2\n4 +1_000.5 3\n', []],
    ['1 0.5 0\r\n', []], // CRLF: MLflow strips
    ['1 0.5 0\n\n2 0.5 1\n', [[2, 'persisted metric data contained 1 fields. Expected 2 or 3 fields.']]],
    ['1\t0.5\t0\n', [[1, 'persisted metric data contained 1 fields. Expected 2 or 3 fields.']]],
    ['1  0.5 0\n', [[1, 'persisted metric data contained 4 fields. Expected 2 or 3 fields.']]],
    ['1 abc 0\n', [[1, "value 'abc' is not a number"]]],
    ['1 0.5 1.5\n', [[1, "step '1.5' is not an integer"]]],
    ['1.0 0.5 1\n', [[1, "timestamp '1.0' is not an integer"]]],
    ['1 0.5 0\n2 0.', [[2, 'torn last line (no newline): 2 fields where the other lines have 3']]], // float('0.') is 0.0
    ['1 0.5 0\n2 0.5 x', [[2, "torn last line (no newline): step 'x' is not an integer"]]],
    ['1 0.5 0\n2 0.25', [[2, 'torn last line (no newline): 2 fields where the other lines have 3']]],
    ['1 0.5 0\n17', [[2, 'torn last line (no newline): persisted metric data contained 1 fields. Expected 2 or 3 fields.']]],
  ] as [string, [number, string][]][])('%j', (text, want) => {
    expect(bad(text)).toEqual(want);
  });

  it('a valid last line without newline is kept, and noted', () => {
    const a = analyzeMetricBytes(Buffer.from('1 0.5 0\n2 0.25 1'), true);
    expect(a).toEqual({ good: 2, bad: [], empty: false, unterminated: true, minTs: 1, maxTs: 2 });
  });

  /** repairMetricFile of `src`, read in pieces of `piece` bytes: the kept bytes (null when none) and the rest of its answer. */
  const repair = (src: Buffer, piece?: number) => {
    const dir = tempDir('doctor-repair');
    const file = path.join(dir, 'metric');
    const keep = path.join(dir, 'keep');
    fs.writeFileSync(file, src);
    const fd = fs.openSync(keep, 'w');
    try {
      const r = repairMetricFile(file, fd, piece);
      return { ...r, keep: r.kept > 0 ? fs.readFileSync(keep) : null };
    } finally {
      fs.closeSync(fd);
    }
  };
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  it('repair keeps valid lines byte for byte, in order', () => {
    const src = Buffer.from('1 0.5 0\r\n\n2 x 1\n3 0.25 2\n4 0.1 3', 'latin1');
    const r = repair(src);
    expect(r.keep!.toString('latin1')).toBe('1 0.5 0\r\n3 0.25 2\n4 0.1 3\n');
    expect(r.removed.map((b) => [b.line, b.text])).toEqual([
      [2, ''],
      [3, '2 x 1'],
    ]);
    expect([r.kept, r.sha256Before, r.sha256After]).toEqual([3, sha(src), sha(r.keep!)]);
    expect(repair(Buffer.from('')).keep).toBeNull();
    expect(repair(Buffer.from('junk\n'))).toMatchObject({ keep: null, kept: 0, sha256After: null });
    // bytes that are not UTF-8 survive
    expect(repair(Buffer.from([0x31, 0x20, 0x32, 0x20, 0x30, 0x0a, 0xff, 0x0a])).keep).toEqual(Buffer.from('1 2 0\n'));
  });

  it('repair reads the file in pieces: any piece size gives the same answer (bounded memory for a file of any size)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(i % 37 === 5 ? `${i} junk ${i}` : i % 53 === 7 ? '' : `${1700000000000 + i} ${i / 7} ${i}`);
    const src = Buffer.from(lines.join('\n') + '\n1700000000999 0.', 'latin1'); // and a torn last line
    const whole = repair(src);
    expect(whole.removed.length).toBe(11 + 8 + 1);
    expect(whole.kept).toBe(401 - whole.removed.length);
    for (const piece of [7, 64, 1000, 4096]) expect(repair(src, piece)).toEqual(whole);
  });
});

describe('names', () => {
  const sib = new Set(['meta.yaml', 'mlflow.user', 'mlflow.log-model.history', 'accuracy', 'lr', 'notes.txt', 'run']);
  it.each([
    ['meta 2.yaml', 'meta.yaml'],
    ['mlflow 2.user', 'mlflow.user'],
    ['mlflow.log-model 2.history', 'mlflow.log-model.history'],
    ['accuracy 2', 'accuracy'],
    ['accuracy 12', 'accuracy'],
    ['notes copy.txt', 'notes.txt'],
    ['notes - Copy.txt', 'notes.txt'],
    ['notes (1).txt', 'notes.txt'],
    ['run copy 2', 'run'],
    ['accuracy 1', undefined], // Finder starts at 2
    ['loss 2', undefined], // no original
    ['accuracy2', undefined],
  ])('%j is a duplicate of %j', (name, want) => expect(duplicateOf(name, sib)).toBe(want));

  it('junk, keys, quoting', () => {
    expect(junkFileReason('.DS_Store')).toBe('a macOS Finder file');
    expect(junkFileReason('._val_loss')).toBe('a macOS AppleDouble file');
    expect(junkFileReason('.hidden')).toBeUndefined(); // a legal MLflow key
    expect(junkDirReason('.ipynb_checkpoints')).toBe('a Jupyter checkpoint folder');
    expect(isAcceptableKey('layers/0/units')).toBe(true);
    expect(isAcceptableKey('LB Score')).toBe(true);
    expect(isAcceptableKey('a:b')).toBe(true); // 3.x
    expect(isAcceptableKey('a\tb')).toBe(false);
    expect(isAcceptableKey('Icon\r')).toBe(false);
    expect(shellQuote('sweep-1')).toBe('sweep-1');
    expect(shellQuote("nlp models it's")).toBe(`'nlp models it'\\''s'`);
  });
});

describe('salvaging meta.yaml', () => {
  it('keeps complete lines of a cut file, drops the cut one', () => {
    expect(salvageMeta("artifact_location: /a/1\ncreation_time: 17\nexperiment_id: '1\n", false).map).toEqual({ artifact_location: '/a/1', creation_time: 17 });
    expect(salvageMeta('name: sweep\ncreation_time: 12', false).map).toEqual({ name: 'sweep' });
  });

  it('keeps folded long values', () => {
    const t = "name: 'a long name\n\n  with a newline'\nlifecycle_stage: [\n";
    expect(salvageMeta(t, false).map).toEqual({ name: 'a long name\nwith a newline' });
  });

  it('takes our side of a merge conflict, the other side where ours lacks a key', () => {
    const t =
      "experiment_id: '5'\n<<<<<<< HEAD\nname: ours\n||||||| base\nname: base\n=======\nname: theirs\nlast_update_time: 9\n>>>>>>> branch\nlifecycle_stage: active\n";
    expect(splitConflict(t)).toEqual({
      ours: "experiment_id: '5'\nname: ours\nlifecycle_stage: active\n",
      theirs: "experiment_id: '5'\nname: theirs\nlast_update_time: 9\nlifecycle_stage: active\n",
    });
    const s = salvageMeta(t, true);
    expect(s.map).toEqual({ experiment_id: '5', name: 'ours', last_update_time: 9, lifecycle_stage: 'active' });
    expect(s.theirs).toEqual({ name: 'theirs' });
  });
});

describe('artifact locations', () => {
  const root = '/data/mlruns';
  it.each([
    ['file:///home/ana/mlruns/1', 'file-uri', '/home/ana/mlruns/1'],
    ['file://localhost/home/ana/mlruns/1', 'file-uri', '/home/ana/mlruns/1'],
    ['file:///C:/Users/HP/Pycaret%20101/mlruns/1', 'file-uri', 'C:/Users/HP/Pycaret 101/mlruns/1'],
    ['C:\\Users\\ana\\mlruns\\1', 'plain', 'C:\\Users\\ana\\mlruns\\1'],
    ['/abs/mlruns/1', 'plain', '/abs/mlruns/1'],
    ['./mlruns/1', 'plain', '/data/mlruns/1'],
    ['file:./mlruns/0', 'file-uri', '/data/mlruns/0'],
    ['s3://bucket/mlruns/1', 'remote', undefined],
    ['mlflow-artifacts:/0', 'remote', undefined],
    ['dbfs:/databricks/mlflow/1', 'remote', undefined],
    ['wasbs://c@acct.blob.core.windows.net/1', 'remote', undefined],
    ['hdfs://nn/mlruns/1', 'remote', undefined],
  ])('%s', (loc, form, local) => {
    expect(formOf(loc)).toBe(form);
    expect(localPathOf(loc, root)).toBe(local);
  });

  it('tails', () => {
    expect(endsWithSegments('C:\\x\\mlruns\\5\\abc\\artifacts', '5/abc/artifacts')).toBe(true);
    expect(endsWithSegments('/x/mlruns/15', '5')).toBe(false);
    expect(stripSegments('file:///x/mlruns/5/', '5')).toBe('file:///x/mlruns');
  });
});
