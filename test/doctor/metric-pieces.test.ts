/**
 * Issue 11 item 28: the doctor read each metric file whole (and its read-ahead workers held
 * it whole and handed over a copy), so a 600 MB file peaked at 1.46 GB RSS. Metric files
 * are now checked in pieces cut at line breaks (fsread.ts readBytePieces, the file store's
 * piece reader, fed to MetricBytesAnalyzer), and workers leave a file past one piece to
 * the scan.
 *
 * Here: pieces of 1 and 7 bytes (and a few more) give exactly what analyzeMetricBytes finds
 * on the whole file, on random files of every kind of line (torn last line, bad lines, NUL
 * bytes, CRLF, latin1 bytes, blank lines); and the scan, with and without read-ahead
 * workers, finds on a metric file of several 1 MiB pieces what the whole-file check finds.
 * The 600 MB file is in `npm run bench` (scenario l), which prints doctor's peak RSS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBytePieces } from '../../src/store/file/fsread.js';
import { analyzeMetricBytes, MetricBytesAnalyzer, scanStore, type MetricScan } from '../../src/doctor/scan.js';
import { seededRandom, tempDir } from '../helpers.js';
import { healthyStore, runFolders } from './helpers.js';

type Found = Omit<MetricScan, 'key' | 'file' | 'rel'>;

function inPieces(file: string, pieceBytes: number, wantTimes: boolean): Found {
  const a = new MetricBytesAnalyzer(wantTimes);
  const pieces: Buffer[] = [];
  const r = readBytePieces(
    file,
    'metric',
    (b, s, e) => {
      pieces.push(Buffer.from(b.subarray(s, e)));
      a.feed(b, s, e);
    },
    () => {
      throw new Error('no line is too long to hold');
    },
    pieceBytes,
    Infinity,
  );
  expect(r).toEqual({ ok: true });
  // every piece but the last ends at a line break, and together they are the file
  for (const p of pieces.slice(0, -1)) expect(p[p.length - 1]).toBe(10);
  expect(Buffer.concat(pieces).equals(fs.readFileSync(file))).toBe(true);
  return a.result();
}

const rand = seededRandom(2811);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const LINES = [
  '1700000000000 0.5 0',
  '1700000000001 -0.25 12',
  '1700000000002 nan 3',
  '1700000000003 inf 4',
  '1700000000004 -inf 5',
  '1700000000005 1e-05 6',
  '1700000000006 0.5', // two fields: parses, but a torn tail of a three-field file
  '1700000000007 0.5 7 extra',
  '1700000000008 0.5 8\r', // CRLF
  '17000000\x0000009 0.5 9', // NUL byte
  '\x00\x00\x00\x00',
  '',
  '   ',
  'garbage',
  '1700000000010 \xe9 10', // a latin1 byte that is no UTF-8
  '1700000000011 caf\xc3\xa9 11', // UTF-8 bytes in a bad line
  '99999999999999999999 0.5 1', // a timestamp past 2^53
  '-5 0.5 1',
  '1700000000012 0.5 99999999999999999',
];

function randomFile(): Buffer {
  const lines: string[] = [];
  const count = int(14);
  for (let q = 0; q < count; q++) lines.push(rand() < 0.5 ? `${1_700_000_000_000 + int(1e9)} ${(rand() - 0.5).toFixed(int(8))} ${int(1e5)}` : pick(LINES));
  let text = lines.join(pick(['\n', '\n', '\r\n']));
  const end = rand();
  if (end < 0.5) text += '\n';
  else if (end < 0.7) text = text.slice(0, Math.max(0, text.length - 1 - int(8))); // torn
  return Buffer.from(text, 'latin1');
}

describe('metric files checked in pieces', () => {
  it('pieces of 1 byte, 7 bytes and more find exactly what the whole file gives', () => {
    const dir = tempDir('doctor-pieces');
    const file = path.join(dir, 'm');
    let withBad = 0;
    let torn = 0;
    for (let k = 0; k < 600; k++) {
      const buf = randomFile();
      fs.writeFileSync(file, buf);
      for (const wantTimes of [false, true]) {
        const whole = analyzeMetricBytes(buf, wantTimes);
        if (whole.bad.length > 0) withBad++;
        if (whole.bad.some((b) => b.reason.startsWith('torn'))) torn++;
        for (const piece of [1, 7, 2, 64, 1 << 20]) {
          expect({ text: buf.toString('latin1'), piece, found: inPieces(file, piece, wantTimes) }).toEqual({
            text: buf.toString('latin1'),
            piece,
            found: whole,
          });
        }
      }
    }
    // the random files do cover bad and torn lines
    expect(withBad).toBeGreaterThan(200);
    expect(torn).toBeGreaterThan(20);
  });

  it('an empty file is empty in pieces too', () => {
    const dir = tempDir('doctor-pieces');
    const file = path.join(dir, 'm');
    fs.writeFileSync(file, '');
    for (const piece of [1, 7]) expect(inPieces(file, piece, true)).toEqual(analyzeMetricBytes(Buffer.alloc(0), true));
  });

  it('the scan, with and without read-ahead, finds on a file of several pieces what the whole file gives', () => {
    const store = healthyStore();
    const run = runFolders(store)[0]!;
    const exp = fs.readdirSync(store).find((e) => fs.existsSync(path.join(store, e, run)))!;
    const file = path.join(store, exp, run, 'metrics', 'big');
    // over 2 MiB of lines, bad lines in every piece, CRLF and NUL lines, and a torn tail
    const parts: string[] = [];
    for (let i = 0; i < 90_000; i++) {
      parts.push(`${1_700_000_000_000 + i} ${(i % 97) / 8} ${i}`);
      if (i % 20_000 === 7) parts.push('not a line', `${1_700_000_000_000 + i} 0.5 ${i}\r`, '\x00\x00');
    }
    const buf = Buffer.from(parts.join('\n') + '\n1700000099999 0.5', 'latin1');
    expect(buf.length).toBeGreaterThan(2 << 20);
    fs.writeFileSync(file, buf);
    const whole = analyzeMetricBytes(buf, false);
    expect(whole.bad.length).toBe(5 * 2 + 1); // the CRLF lines parse, as in MLflow
    for (const workers of [0, 1, 2]) {
      const scan = scanStore(store, { workers });
      const runs = scan.experiments.flatMap((e) => e.runs);
      const found = runs.flatMap((r) => r.metrics).find((m) => m.file === file);
      expect({ workers, found }).toEqual({ workers, found: { key: 'big', file, rel: `${exp}/${run}/metrics/big`, ...whole } });
    }
  });
});
