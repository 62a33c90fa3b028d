/**
 * Metric files: `<ts> <value> <step>` lines (spec mlruns-format §6). Parsing follows
 * Python's `int()` and `float()` so every file MLflow reads, mlr reads, and every file
 * MLflow rejects is reported as malformed rather than silently misread.
 */
import { createReadStream } from 'node:fs';
import type { Int64 } from '../int64.js';
import { parsePyFloat, parsePyInt, strip } from '../pyfloat.js';
import type { Metric } from '../types.js';

export type MetricLine = { timestamp: Int64; value: number; step: Int64 };

/**
 * Parse one line as MLflow 2.12/3.x does: strip, split on single spaces, 2, 3 or 5
 * fields (5 = 3.x dataset-scoped lines; the extra fields are ignored here).
 * Returns a string describing the problem when the line is malformed.
 */
export function parseMetricLine(line: string): MetricLine | string {
  const out: MetricLine = { timestamp: 0, value: 0, step: 0 };
  return parseCanonicalInto(line, 0, line.length, out) ? out : parseMetricLineStrict(line);
}

/** parseMetricLine without the fast path: the reference the fast path must agree with. */
export function parseMetricLineStrict(line: string): MetricLine | string {
  const fields = strip(line).split(' ');
  const n = fields.length;
  if (n !== 2 && n !== 3 && n !== 5) {
    return `persisted metric data contained ${n} fields. Expected 2 or 3 fields.`;
  }
  const timestamp = parsePyInt(fields[0]!);
  if (timestamp === undefined) return `timestamp '${fields[0]}' is not an integer`;
  const value = parsePyFloat(fields[1]!);
  if (value === undefined) return `value '${fields[1]}' is not a number`;
  let step: Int64 = 0;
  if (n >= 3) {
    const s = parsePyInt(fields[2]!);
    if (s === undefined) return `step '${fields[2]}' is not an integer`;
    step = s;
  }
  return { timestamp, value, step };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * A canonical line scanned but its value not yet converted: text[valueStart, valueEnd)
 * is the value's digits, or `special` holds NaN/±Infinity for nan/inf/-inf.
 */
interface ScannedLine {
  timestamp: Int64;
  step: Int64;
  valueStart: number;
  valueEnd: number;
  special: number | undefined;
}

/** A fresh ScannedLine to scan into. */
function newScannedLine(): ScannedLine {
  return { timestamp: 0, step: 0, valueStart: 0, valueEnd: 0, special: undefined };
}

/**
 * Fast path for the line MLflow writes, `<ts> <repr(value)> <step>` with nothing around
 * it, scanned in place from text[start, end) into `out` without splitting, regexes or
 * converting the value (scannedValue does that, when needed). Returns false for anything
 * else (signs, `_`, `E`, `-nan`, whitespace, 2 or 5 fields, numbers over 15 digits,
 * malformed lines), which the exact parser then decides. It only accepts spellings where
 * Python's int()/float() and JavaScript's Number() agree, so both paths give identical
 * results (issue 7: parsing dominated listing runs by a metric).
 */
function scanCanonicalLine(text: string, start: number, end: number, out: ScannedLine): boolean {
  let i = start;
  let timestamp = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) break;
    timestamp = timestamp * 10 + (c - 48);
  }
  if (i === start || i - start > 15 || i >= end || text.charCodeAt(i) !== 32) return false;
  const valueStart = ++i;
  if (i < end && text.charCodeAt(i) === 45) i++; // '-'
  const intStart = i;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  let special: number | undefined;
  if (i === intStart) {
    if (text.startsWith('nan', i) && i === valueStart) special = NaN;
    else if (text.startsWith('inf', i)) special = i === valueStart ? Infinity : -Infinity;
    else return false;
    i += 3;
  } else {
    if (i < end && text.charCodeAt(i) === 46) {
      // '.' needs digits after it here (`5.` is left to the exact parser)
      const frac = ++i;
      while (i < end && isDigit(text.charCodeAt(i))) i++;
      if (i === frac) return false;
    }
    if (i < end && text.charCodeAt(i) === 101) {
      // 'e', optional sign, digits
      i++;
      if (i < end && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) i++;
      const exp = i;
      while (i < end && isDigit(text.charCodeAt(i))) i++;
      if (i === exp) return false;
    }
  }
  const valueEnd = i;
  if (i >= end || text.charCodeAt(i) !== 32) return false;
  i++;
  const negative = i < end && text.charCodeAt(i) === 45;
  if (negative) i++;
  const stepStart = i;
  let step = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return false;
    step = step * 10 + (c - 48);
  }
  if (i === stepStart || i - stepStart > 15) return false;
  out.timestamp = timestamp;
  // `-0` stays -0, as Number('-0') in the exact parser gives
  out.step = negative ? -step : step;
  out.valueStart = valueStart;
  out.valueEnd = valueEnd;
  out.special = special;
  return true;
}

/** The value of a scanned line (what Python's float() gives for its text). */
function scannedValue(text: string, s: ScannedLine): number {
  return s.special ?? Number(text.slice(s.valueStart, s.valueEnd));
}

const scratchScan = newScannedLine();

/** scanCanonicalLine plus the value: the whole canonical line parsed into `out`. */
export function parseCanonicalInto(text: string, start: number, end: number, out: MetricLine): boolean {
  if (!scanCanonicalLine(text, start, end, scratchScan)) return false;
  out.timestamp = scratchScan.timestamp;
  out.value = scannedValue(text, scratchScan);
  out.step = scratchScan.step;
  return true;
}

/**
 * True when `b`, read after `a`, replaces it as the "latest" value. MLflow takes Python's
 * `max` of the lines by `(step, timestamp, value)`: a later line wins only when its tuple
 * is greater, so on an exact (step, timestamp) tie the larger value wins, and when NaN is
 * involved (NaN compares false both ways) — or the values are equal, -0.0 and 0.0
 * included — the line that came first stays. Steps and timestamps compare exactly.
 */
export function isLater(a: MetricLine, b: MetricLine): boolean {
  if (b.step !== a.step) return b.step > a.step;
  if (b.timestamp !== a.timestamp) return b.timestamp > a.timestamp;
  return b.value > a.value;
}

export interface MetricFileSummary {
  latest?: MetricLine;
  count: number;
  /** malformed lines: 1-based line number and the reason */
  bad: { line: number; text: string; reason: string }[];
}

/**
 * The summary of a metric file built from its text fed in pieces, each ending at a line
 * break except possibly the last (a file's lines never depend on where it was cut, so any
 * such cutting gives the summary of the whole text): the latest line, the number of good
 * lines and every malformed one. Memory stays that of one piece, whatever the file's size.
 */
export class MetricSummarizer {
  private readonly out: MetricFileSummary = { count: 0, bad: [] };
  // The best line so far keeps its value unconverted until a (step, timestamp) tie needs
  // it: in the usual file every line beats the previous one on step alone, so only the
  // winner's value is ever converted (and, at the end of each piece, the best's: the next
  // piece cannot reach back into this one's text).
  private scan = newScannedLine();
  private best = newScannedLine();
  /** known value of best (strict-parsed or converted) */
  private bestValue: number | undefined;
  private haveBest = false;
  private lineNo = 0;

  /** Feed the next piece of the text: whole lines, the last one without its line break only at the end of the file. */
  feed(text: string): void {
    const out = this.out;
    let i = 0;
    const n = text.length;
    while (i < n) {
      let j = text.indexOf('\n', i);
      if (j < 0) j = n;
      this.lineNo++;
      let step: Int64;
      let timestamp: Int64;
      let value: number | undefined;
      const scan = this.scan;
      if (scanCanonicalLine(text, i, j, scan)) {
        step = scan.step;
        timestamp = scan.timestamp;
        value = undefined;
      } else {
        const parsed = parseMetricLineStrict(text.slice(i, j));
        if (typeof parsed === 'string') {
          out.bad.push({ line: this.lineNo, text: text.slice(i, j), reason: parsed });
          i = j + 1;
          continue;
        }
        ({ step, timestamp, value } = parsed);
        scan.step = step;
        scan.timestamp = timestamp;
      }
      i = j + 1;
      out.count++;
      const best = this.best;
      let wins: boolean;
      if (!this.haveBest || step !== best.step || timestamp !== best.timestamp) {
        wins = !this.haveBest || step > best.step || (step === best.step && timestamp > best.timestamp);
      } else {
        // exact (step, timestamp) tie: the values decide (isLater's NaN rule)
        value ??= scannedValue(text, scan);
        this.bestValue ??= scannedValue(text, best);
        wins = isLater({ step: best.step, timestamp: best.timestamp, value: this.bestValue }, { step, timestamp, value });
      }
      if (wins) {
        this.best = scan;
        this.scan = best;
        this.bestValue = value;
        this.haveBest = true;
      }
    }
    if (this.haveBest) this.bestValue ??= scannedValue(text, this.best);
  }

  /** A line too long to hold (see readTextPieces): malformed, as MLflow would find it. */
  longLine(start: string, bytes: number): void {
    this.lineNo++;
    this.out.bad.push({ line: this.lineNo, text: start, reason: `line is longer than ${bytes} bytes` });
  }

  /** The summary of everything fed. */
  result(): MetricFileSummary {
    if (this.haveBest) this.out.latest = { timestamp: this.best.timestamp, value: this.bestValue!, step: this.best.step };
    return this.out;
  }
}

/**
 * Scan a whole metric file's text: the latest line, the number of good lines and every
 * malformed one. A file with no lines at all is malformed ("No data found").
 */
export function summarizeMetricText(text: string): MetricFileSummary {
  const s = new MetricSummarizer();
  s.feed(text);
  return s.result();
}

/** Bytes read per chunk by streamMetricChunks: one array of parsed lines per read. */
export const METRIC_CHUNK_BYTES = 1 << 16;

/**
 * A metric file's text fed in chunks (latin1: one char a byte), parsed into lines in file
 * order: feed() gives the lines completed by a chunk, end() the last one when the file does
 * not end with a line break. Malformed lines go to `onBad` as they are met, and are skipped.
 */
export class MetricChunkParser {
  private rest = ''; // the start of a line cut by the end of the previous chunk
  private lineNo = 0;
  private readonly p: MetricLine = { timestamp: 0, value: 0, step: 0 };
  private readonly key: string;
  private readonly onBad: ((line: number, text: string, reason: string) => void) | undefined;

  constructor(key: string, onBad?: (line: number, text: string, reason: string) => void) {
    this.key = key;
    this.onBad = onBad;
  }

  private onLine(line: string, out: Metric[]): void {
    this.lineNo++;
    const q = parseMetricLine(line);
    if (typeof q === 'string') this.onBad?.(this.lineNo, line, q);
    else out.push({ key: this.key, value: q.value, timestamp: q.timestamp, step: q.step });
  }

  feed(chunk: string): Metric[] {
    const out: Metric[] = [];
    let i = 0;
    if (this.rest.length > 0) {
      const j = chunk.indexOf('\n');
      if (j < 0) {
        this.rest += chunk;
        return out;
      }
      this.onLine(this.rest + chunk.slice(0, j), out);
      i = j + 1;
    }
    // the other lines are scanned inside the chunk itself: a flat string, faster to read
    // than the joined `rest + chunk`
    const { key, p } = this;
    for (;;) {
      const j = chunk.indexOf('\n', i);
      if (j < 0) break;
      if (parseCanonicalInto(chunk, i, j, p)) {
        this.lineNo++;
        out.push({ key, value: p.value, timestamp: p.timestamp, step: p.step });
      } else {
        this.onLine(chunk.slice(i, j), out);
      }
      i = j + 1;
    }
    this.rest = chunk.slice(i);
    return out;
  }

  end(): Metric[] {
    const out: Metric[] = [];
    if (this.rest.length > 0) this.onLine(this.rest, out);
    this.rest = '';
    return out;
  }
}

/**
 * Stream a metric file in file order without loading it whole: one array of parsed lines
 * per read chunk (`chunkBytes`, 64 KiB unless told), never an empty one. A line cut by a
 * chunk boundary is completed from the next read; a last line without its newline is
 * parsed like any other. Malformed lines are passed to `onBad` (if given) in file order as
 * they are met, before the array of their chunk is yielded, and skipped. One array per
 * chunk rather than one yield per line: a million-point history spent more time in
 * async-generator round trips than in parsing. `chunkBytes` is there for tests.
 */
export async function* streamMetricChunks(
  path: string,
  key: string,
  onBad?: (line: number, text: string, reason: string) => void,
  chunkBytes: number = METRIC_CHUNK_BYTES,
): AsyncGenerator<Metric[]> {
  const stream = createReadStream(path, { encoding: 'latin1', highWaterMark: chunkBytes });
  const parser = new MetricChunkParser(key, onBad);
  for await (const chunk of stream as AsyncIterable<string>) {
    const out = parser.feed(chunk);
    if (out.length > 0) yield out;
  }
  const last = parser.end();
  if (last.length > 0) yield last;
}
