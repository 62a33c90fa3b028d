/**
 * A metric's history as text (`metrics history`), streamed chunk by chunk in constant
 * memory: JSON, TSV/CSV, or an aligned table on a terminal.
 */
import type { Metric } from '../store/types.js';
import { formatIso, formatNumberFull, formatNumberShort, jsonNumber, nearbyIntegerFormatter } from './format.js';
import type { OutputMode } from './output.js';

export type HistoryFormat = 'table' | 'json' | 'csv' | 'tsv';

/**
 * Stream a history as text in the chosen format (constant memory): one string per array
 * of lines (the store yields one per 64 KiB read), so the caller writes once per chunk.
 */
export async function* renderHistory(chunks: AsyncIterable<readonly Metric[]>, format: HistoryFormat, mode: OutputMode): AsyncGenerator<string> {
  const time = nearbyIntegerFormatter();
  if (format === 'json') {
    let first = true;
    yield '[';
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      yield historyJson(chunk, first, time);
      first = false;
    }
    yield first ? ']\n' : '\n]\n';
    return;
  }
  const sep = format === 'csv' ? ',' : '\t';
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    yield ['step', 'value', 'timestamp'].join(sep) + '\n';
    for await (const chunk of chunks) yield historyDelimited(chunk, sep, time);
    return;
  }
  const head = `${'step'.padStart(8)}  ${'value'.padStart(14)}  time\n`;
  yield mode.color ? mode.chalk.bold(head) : head;
  for await (const chunk of chunks) yield historyAligned(chunk);
}

/** `step<sep>value<sep>timestamp` lines, full precision. */
function historyDelimited(chunk: readonly Metric[], sep: string, time: (n: number | bigint) => string): string {
  let s = '';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    s += `${m.step}${sep}${formatNumberFull(m.value)}${sep}${time(m.timestamp)}\n`;
  }
  return s;
}

/** JSON array elements, each on its own line after a comma (none before the very first). */
function historyJson(chunk: readonly Metric[], first: boolean, time: (n: number | bigint) => string): string {
  let s = '';
  let key = '';
  let keyJson = '""';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    if (m.key !== key) {
      key = m.key;
      keyJson = JSON.stringify(key);
    }
    // what JSON.stringify({ key, value: jsonNumber(value), timestamp, step }) gives, built by hand
    s += `${first && i === 0 ? '\n' : ',\n'}  {"key":${keyJson},"value":${jsonValue(m.value)},"timestamp":${jsonInteger(m.timestamp, time)},"step":${jsonInteger(m.step, String)}}`;
  }
  return s;
}

/** JSON text of jsonNumber(v): non-finite values as strings, -0 as -0.0 (stringifyJson's spelling). */
function jsonValue(v: number): string {
  return Number.isFinite(v) ? (v === 0 && 1 / v < 0 ? '-0.0' : String(v)) : `"${jsonNumber(v)}"`;
}

/** JSON text of a timestamp or step: its exact digits. */
function jsonInteger(v: number | bigint, text: (n: number | bigint) => string): string {
  return typeof v === 'bigint' || Number.isFinite(v) ? text(v) : 'null';
}

/** The TTY table's rows: right-aligned step and short value, ISO time. */
function historyAligned(chunk: readonly Metric[]): string {
  let s = '';
  for (let i = 0; i < chunk.length; i++) {
    const m = chunk[i]!;
    s += `${String(m.step).padStart(8)}  ${formatNumberShort(m.value, 8).padStart(14)}  ${formatIso(m.timestamp)}\n`;
  }
  return s;
}
