/**
 * Following a metric file as it grows (`plot --follow`, live views): the file store's
 * MetricTail.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { MetricTail } from '../backend.js';
import type { Metric } from '../types.js';
import { parseMetricLine, type MetricLine } from './metrics.js';

/**
 * Reads a metric file incrementally for --follow: each `read()` passes the complete lines
 * appended since the last call to `sink` (a line still being written stays buffered until its
 * newline), reading in 64 KiB chunks so a long history never sits in memory. Malformed lines
 * go to `onBad`. When the file got shorter (replaced or truncated) `onReset` is called and the
 * file is read again from the start.
 */
export class MetricFileTail {
  readonly file: string;
  private offset = 0;
  private partial = '';
  private lineNo = 0;
  private readonly onBad?: (line: number, text: string, reason: string) => void;

  constructor(file: string, onBad?: (line: number, text: string, reason: string) => void) {
    this.file = file;
    this.onBad = onBad;
  }

  /** Feeds new complete lines to `sink`; returns how many there were. */
  read(sink: (m: MetricLine) => void, onReset: () => void): number {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return 0; // not there (yet)
    }
    let added = 0;
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        this.offset = 0;
        this.partial = '';
        this.lineNo = 0;
        onReset();
      }
      const buf = Buffer.alloc(Math.min(1 << 16, Math.max(1, size - this.offset)));
      while (this.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        if (n <= 0) break;
        this.offset += n;
        const parts = (this.partial + buf.toString('latin1', 0, n)).split('\n');
        this.partial = parts.pop()!;
        for (const line of parts) {
          this.lineNo++;
          const p = parseMetricLine(line);
          if (typeof p === 'string') this.onBad?.(this.lineNo, line, p);
          else {
            sink(p);
            added++;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return added;
  }
}

/** The interface's MetricTail over a metric file: each poll returns what was appended since. */
export function tailMetricFile(file: string, key: string, onBad?: (line: number, text: string, reason: string) => void): MetricTail {
  const t = new MetricFileTail(file, onBad);
  return {
    poll() {
      let reset = false;
      let lines: Metric[] = [];
      t.read(
        (m) => lines.push({ key, value: m.value, timestamp: m.timestamp, step: m.step }),
        () => {
          reset = true;
          lines = [];
        },
      );
      return Promise.resolve({ reset, lines });
    },
  };
}
