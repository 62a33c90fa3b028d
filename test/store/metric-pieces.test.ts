/**
 * Issue 11 item 28: the latest value of a metric was found by reading the whole file into
 * one string, so a file past V8's string limit (~512 MB; the report had 629 MB) was
 * dropped from describe/ls/filter/order-by with ERR_STRING_TOO_LONG, and a 200 MB file
 * cost 460–700 MB. The file is now read in pieces cut at line breaks (readTextPieces) and
 * summarised piece by piece (MetricSummarizer), in bounded memory.
 *
 * Here: pieces of a few bytes give exactly the whole-text summary on every kind of line
 * (ties in both orders, NaN, ±inf, -0.0, int64 steps, malformed and blank lines, CRLF,
 * UTF-8, no final newline); a line longer than the limit is one malformed line; and the CLI
 * on a file of several pieces reports what MLflow's rule gives. The > 512 MB file is in
 * `npm run bench` (scenario l), which prints the memory it took.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PIECE_BYTES, readTextPieces } from '../../src/store/file/fsread.js';
import { MetricSummarizer, summarizeMetricText, type MetricFileSummary } from '../../src/store/file/metrics.js';
import { copyStore, mlr, seededRandom, tempDir } from '../helpers.js';

function inPieces(file: string, pieceBytes: number, maxLine?: number): MetricFileSummary {
  const m = new MetricSummarizer();
  const pieces: string[] = [];
  const r = readTextPieces(
    file,
    'metric',
    (t) => {
      pieces.push(t);
      m.feed(t);
    },
    (start, max) => m.longLine(start, max),
    pieceBytes,
    maxLine,
  );
  expect(r).toEqual({ ok: true });
  // every piece but the last ends at a line break
  for (const p of pieces.slice(0, -1)) expect(p.endsWith('\n')).toBe(true);
  return m.result();
}

/** NaN-safe, -0-safe comparison of two summaries. */
function same(a: MetricFileSummary, b: MetricFileSummary): void {
  const norm = (s: MetricFileSummary) => ({
    ...s,
    latest: s.latest && { ...s.latest, value: Object.is(s.latest.value, -0) ? '-0' : Number.isNaN(s.latest.value) ? 'NaN' : s.latest.value },
  });
  expect(norm(a)).toEqual(norm(b));
}

const LINES = [
  '1700000000000 0.5 0',
  '1700000000000 0.25 1',
  '1700000000001 nan 1', // later timestamp, same step: wins
  '1700000000001 5.0 1', // exact tie after NaN: NaN stays (it came first)
  '1700000000002 -inf 2',
  '1700000000002 inf 2', // exact tie, larger value wins
  '1700000000003 -0.0 3',
  '1700000000003 0.0 3', // equal values: the first stays (-0.0)
  '1 1.0 9007199254740993',
  '1 2.0 9007199254740992',
  '5 1e-05 9223372036854775807',
  '  7 1_000.5 4  ',
  '7 1.5',
  '8 1.5 3 ds digest',
  '',
  'garbage',
  '9 x 1',
  '9 1.5 1\r',
  'é 1 2',
  '10 1.0 ٣',
];

describe('metric files in pieces', () => {
  it('pieces of 1 to 64 bytes summarise exactly as the whole text, on random files of every kind of line', () => {
    const dir = tempDir('pieces');
    const rand = seededRandom(28);
    for (let n = 0; n < 40; n++) {
      const count = 1 + Math.floor(rand() * 60);
      const lines = Array.from({ length: count }, () => LINES[Math.floor(rand() * LINES.length)]!);
      const text = lines.join(rand() < 0.2 ? '\r\n' : '\n') + (rand() < 0.5 ? '\n' : '');
      const file = path.join(dir, `m${n}`);
      fs.writeFileSync(file, text);
      const whole = summarizeMetricText(fs.readFileSync(file, 'utf8'));
      for (const piece of [1, 2, 3, 7, 16, 64, PIECE_BYTES]) same(inPieces(file, piece), whole);
    }
  });

  it('the tie rules survive a cut between the tied lines', () => {
    const dir = tempDir('pieces');
    for (const [text, want] of [
      ['5 nan 1\n5 2.0 1\n', NaN],
      ['5 2.0 1\n5 nan 1\n', 2],
      ['5 5.0 1\n5 7.0 1\n5 6.0 1\n', 7],
      ['5 -0.0 1\n5 0.0 1\n', -0],
    ] as const) {
      const file = path.join(dir, 'm');
      fs.writeFileSync(file, text);
      for (let piece = 1; piece <= text.length; piece++) {
        const got = inPieces(file, piece).latest!.value;
        expect(Object.is(got, want), `${JSON.stringify(text)} in pieces of ${piece}: ${got}`).toBe(true);
      }
    }
  });

  it('an empty file has no lines; a line longer than the limit is one malformed line, and the rest is read', () => {
    const dir = tempDir('pieces');
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '');
    same(inPieces(empty, 8), summarizeMetricText(''));
    const file = path.join(dir, 'long');
    fs.writeFileSync(file, `1 0.5 0\n${'9'.repeat(300)} 1.0 1\n3 0.75 2\n${'8'.repeat(100)}`);
    const s = inPieces(file, 16, 64);
    expect(s.count).toBe(2);
    expect(s.latest).toEqual({ timestamp: 3, value: 0.75, step: 2 });
    expect(s.bad).toEqual([
      { line: 2, text: '9'.repeat(64), reason: 'line is longer than 64 bytes' },
      { line: 4, text: '8'.repeat(64), reason: 'line is longer than 64 bytes' },
    ]);
  });

  it('a key that is a folder (metrics/model when model/depth exists) is no value and no warning, as before', async () => {
    const store = copyStore();
    const run = '02df84e1e68a46eaa4f971068787bace';
    const dir = path.join(store, '234684999513866976', run, 'metrics', 'model');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'depth'), '1700000000000 0.5 0\n');
    expect(
      readTextPieces(
        dir,
        'metric',
        () => {},
        () => {},
      ),
    ).toEqual({ ok: false, missing: true, error: 'is a directory' });
    const r = await mlr([
      '--store',
      store,
      'runs',
      'ls',
      '-e',
      'sweep',
      '--columns',
      'run_id,metrics.model,metrics.model/depth',
      '--filter',
      `run_id = '${run}'`,
    ]);
    expect(r).toEqual({ code: 0, stdout: `run_id\tmetrics.model\tmetrics.model/depth\n${run}\t\t0.5\n`, stderr: '' });
  });

  it('the CLI on a metric file of several pieces: describe, ls, filter and order-by see its latest value', async () => {
    const store = copyStore();
    const run = '02df84e1e68a46eaa4f971068787bace';
    const file = path.join(store, '234684999513866976', run, 'metrics', 'big');
    // ~2.5 MB: three pieces; the latest by (step, timestamp, value) is in the middle
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`${1700000000000 + i} ${(i % 1000) / 1000} ${i % 50_000}`);
    lines[60_000] = '1800000000000 nan 49999';
    lines[60_001] = '1800000000000 0.125 49999'; // exact tie after NaN: NaN stays
    fs.writeFileSync(file, lines.join('\n') + '\n');
    expect(fs.statSync(file).size).toBeGreaterThan(2 * PIECE_BYTES);
    const s = ['--store', store];
    const d = await mlr([...s, 'runs', 'describe', run, '--format', 'json']);
    const big = (JSON.parse(d.stdout) as { data: { metrics: { key: string; value: unknown; step: number }[] } }).data.metrics.find((m) => m.key === 'big');
    expect(big).toEqual({ key: 'big', value: 'NaN', timestamp: 1800000000000, step: 49999 });
    // a value that is not NaN: the same file with the NaN line gone
    lines[60_000] = '1800000000000 0.0625 49999';
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const ls = await mlr([...s, 'runs', 'ls', '-e', 'sweep', '--filter', 'metrics.big > 0.1', '--columns', 'run_id,metrics.big']);
    expect(ls).toEqual({ code: 0, stdout: `run_id\tmetrics.big\n${run}\t0.125\n`, stderr: '' });
    const order = await mlr([...s, 'runs', 'ls', '-e', 'sweep', '--order-by', 'metrics.big DESC', '--max-results', '1', '--format', 'ids']);
    expect(order.stdout).toBe(`${run}\n`);
  });
});
