/**
 * The read-ahead worker of prefetch.ts: lists and reads the run folders of the doctor's scan
 * plan, chunk by chunk, staying at most `window` runs and `budgetKb` ahead of the scan, and
 * hands each chunk to the main thread as one buffer. It lists with the scan's own lister
 * (fsread.ts listDirOrError), so what arrives is what the scan would have read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { workerData } from 'node:worker_threads';
import { listDirOrError, type DirEntry } from '../store/file/fsread.js';
import { countFastLines } from './metric-lines.js';
import type { SLOT } from './prefetch.js';

const data = workerData as {
  plan: string[];
  shared: SharedArrayBuffer;
  slot: typeof SLOT;
  port: import('node:worker_threads').MessagePort;
  chunk: number;
  window: number;
  budgetKb: number;
};
const { plan, port, chunk, window, budgetKb } = data;
const sh = new Int32Array(data.shared);
const { NEXT: NEXT_, SEQ: SEQ_, SCAN_AT: SCAN_AT_, STOP: STOP_, PRODUCED_KB: PRODUCED_KB_, CONSUMED_KB: CONSUMED_KB_ } = data.slot;

// the bytes of the chunk being read (files whose lines are all fast are dropped from it)
let slab = Buffer.allocUnsafeSlow(1 << 18);
let size = 0;

// paths are built exactly as the scan builds them (fsread.joinPath): they are the keys
const child = (dir: string, name: string): string => (dir.endsWith(path.sep) ? dir + name : dir + path.sep + name);

const errText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return `${err.code ?? ''}\0${err.message}`;
};

// the scan's own lister: what the worker sends is exactly what the scan would have read
const list = (dir: string, l: (string | null)[]): DirEntry[] | undefined => {
  const out = listDirOrError(dir);
  if (!Array.isArray(out)) {
    l.push(dir, null, errText(out));
    return undefined;
  }
  l.push(
    dir,
    out.map((e) => e.name).join('/'),
    out.map((e) => (e.isLink ? (e.isDir ? 'D' : e.isFile ? 'F' : 'O') : e.isDir ? 'd' : e.isFile ? 'f' : 'o')).join(''),
  );
  return out;
};

/** Read `file` into the slab and note where; false when it could not be read (noted too). */
const read = (file: string, f: (string | number | null)[]): boolean => {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    f.push(file, null, errText(e));
    return false;
  }
  try {
    let n = size;
    for (;;) {
      if (n === slab.length) {
        const bigger = Buffer.allocUnsafeSlow(slab.length * 2);
        slab.copy(bigger, 0, 0, n);
        slab = bigger;
      }
      const got = fs.readSync(fd, slab, n, slab.length - n, null);
      if (got === 0) break;
      n += got;
    }
    f.push(file, size, n - size);
    size = n;
    return true;
  } catch (e) {
    f.push(file, null, errText(e));
    return false;
  } finally {
    fs.closeSync(fd);
  }
};

/** Read a metric file; when every line is a fast one, keep only its line count. */
const readMetric = (file: string, f: (string | number | null)[], c: (string | number)[]): void => {
  if (!read(file, f)) return;
  const start = f[f.length - 2] as number;
  if (size === start) return;
  const lines = countFastLines(slab, start, size);
  if (lines < 0) return;
  c.push(file, lines, slab[size - 1] === 10 ? 1 : 0);
  f.length -= 3;
  size = start;
};

const walk = (dir: string, metrics: boolean, r: { l: (string | null)[]; f: (string | number | null)[]; c: (string | number)[] }): void => {
  const ents = list(dir, r.l);
  if (!ents) return;
  for (const e of ents) {
    const p = child(dir, e.name);
    // a symlinked folder is not walked into (the scan reports it; a loop would never end)
    if (e.isDir) {
      if (!e.isLink) walk(p, metrics, r);
    } else if (metrics && e.isFile) readMetric(p, r.f, r.c);
  }
};

const readRun = (i: number, dir: string): { i: number; kb: number; l: (string | null)[]; f: (string | number | null)[]; c: (string | number)[] } => {
  const before = size;
  const r = { i, kb: 0, l: [] as (string | null)[], f: [] as (string | number | null)[], c: [] as (string | number)[] };
  read(child(dir, 'meta.yaml'), r.f);
  for (const e of list(dir, r.l) ?? []) {
    if (e.isDir && !e.isLink && (e.name === 'metrics' || e.name === 'params' || e.name === 'tags')) walk(child(dir, e.name), e.name === 'metrics', r);
  }
  r.kb = Math.ceil((size - before) / 1024) + 1;
  return r;
};

/** Read chunks of the plan until it is done or the scan says stop. */
function main(): void {
  try {
    for (;;) {
      if (Atomics.load(sh, STOP_) === 1) return;
      const start = Atomics.load(sh, NEXT_);
      if (start >= plan.length) return;
      const at = Atomics.load(sh, SCAN_AT_);
      if (start > at + window || Atomics.load(sh, PRODUCED_KB_) - Atomics.load(sh, CONSUMED_KB_) > budgetKb) {
        Atomics.wait(sh, SCAN_AT_, at, 50);
        continue;
      }
      const end = Math.min(start + chunk, plan.length);
      if (Atomics.compareExchange(sh, NEXT_, start, end) !== start) continue;
      const runs = [];
      size = 0;
      for (let i = start; i < end; i++) {
        if (Atomics.load(sh, STOP_) === 1) return;
        const r = readRun(i, plan[i]!);
        Atomics.add(sh, PRODUCED_KB_, r.kb);
        runs.push(r);
      }
      // hand over an exact copy (mostly a few meta.yaml files): transferring the whole slab
      // would give the scan 256 KiB of external memory per chunk, and V8 collects for it
      const out = Buffer.allocUnsafeSlow(size);
      slab.copy(out, 0, 0, size);
      const ab = out.buffer as ArrayBuffer;
      port.postMessage({ runs, buf: ab }, [ab]);
      Atomics.add(sh, SEQ_, 1);
      Atomics.notify(sh, SEQ_);
    }
  } catch (e) {
    port.postMessage({ error: String(e) });
    Atomics.add(sh, SEQ_, 1);
    Atomics.notify(sh, SEQ_);
  }
}

main();
