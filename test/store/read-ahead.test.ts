/**
 * Read-ahead (src/store/file/read-ahead.ts) and a long-running file store's first search
 * over a cold parse cache: the search reads its files as the CLI does and keeps nothing,
 * then a thread reads them again and the cache's entries are made from what it sends —
 * which must never make a later search miss a change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadAhead, type AheadFile, type AheadPlan } from '../../src/store/file/read-ahead.js';
import { ParseCache } from '../../src/store/file/cache.js';
import { WatchTree } from '../../src/store/file/watch.js';
import { FileBackend } from '../../src/store/file/backend.js';
import { MetricSummarizer } from '../../src/store/file/metrics.js';
import { compileQuery } from '../../src/search/index.js';
import { readBytePieces, readText } from '../../src/store/file/fsread.js';
import { copyStore, tempDir } from '../helpers.js';

const open: ReadAhead[] = [];
afterEach(async () => {
  for (const ra of open.splice(0)) await ra.close();
});
const readAhead = (opts: ConstructorParameters<typeof ReadAhead>[0]): ReadAhead => {
  const ra = new ReadAhead(opts);
  open.push(ra);
  return ra;
};

/** A plan over `dirs` × `names`, every file wanted. */
function planOf(dirs: string[], names: string[], metric: boolean[]): AheadPlan {
  const files = dirs.flatMap((d) => names.map((n) => path.join(d, n)));
  return { dirs, names, want: new Uint8Array(files.length).fill(1), metric, files };
}

async function collect(it: AsyncIterable<AheadFile>): Promise<{ file: string; text: string; summary: unknown; sig: number[]; readAt: number }[]> {
  const out = [];
  for await (const f of it)
    out.push({ file: f.file, text: f.bytes.toString('utf8'), summary: f.summary, sig: [f.ino, f.size, f.mtimeMs, f.ctimeMs], readAt: f.readAt });
  return out;
}

describe('ReadAhead', () => {
  it("hands over each file's bytes (or a metric file's summary) and its signature, in order, chunk by chunk", async () => {
    const root = tempDir('ahead');
    const dirs = ['a', 'b', 'c', 'd', 'e'].map((n) => path.join(root, n));
    for (const d of dirs) fs.mkdirSync(path.join(d, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(dirs[0]!, 'meta.yaml'), 'run_id: a\nstatus: 3\n');
    fs.writeFileSync(path.join(dirs[0]!, 'metrics', 'loss'), '1700000000000 0.5 0\n1700000000001 -0.0 1\nnot a line\n');
    // b: no meta.yaml, an empty metric file; c: meta.yaml is a folder; d: too big; e: no line break at the end
    fs.writeFileSync(path.join(dirs[1]!, 'metrics', 'loss'), '');
    fs.mkdirSync(path.join(dirs[2]!, 'meta.yaml'));
    fs.writeFileSync(path.join(dirs[3]!, 'meta.yaml'), 'x'.repeat(101));
    fs.writeFileSync(path.join(dirs[4]!, 'meta.yaml'), 'run_id: e\nü: "ß"');
    const before = Date.now();
    const ra = readAhead({ minFiles: 1, chunk: 3, maxBytes: 100 });
    const got = await collect(ra.read(planOf(dirs, ['meta.yaml', path.join('metrics', 'loss')], [false, true])));
    expect(got.map((g) => path.relative(root, g.file))).toEqual(['a/meta.yaml', 'a/metrics/loss', 'b/metrics/loss', 'e/meta.yaml']);
    for (const g of got) {
      const st = fs.statSync(g.file);
      expect(g.sig).toEqual([st.ino, st.size, st.mtimeMs, st.ctimeMs]);
      expect(g.readAt).toBeGreaterThanOrEqual(before);
      const text = fs.readFileSync(g.file, 'utf8');
      if (g.file.endsWith('loss')) {
        const m = new MetricSummarizer();
        if (text) m.feed(text);
        expect(g.summary).toEqual(m.result());
        expect(g.text).toBe('');
      } else {
        expect(g.text).toBe(text);
        expect(g.summary).toBeUndefined();
      }
    }
    // the -0.0 of a's second line keeps its sign through the thread
    expect(Object.is((got[1]!.summary as { latest: { value: number } }).latest.value, -0)).toBe(true);
    expect(ra.chunks).toBe(4); // 10 files, 3 a chunk
    expect(ra.files).toBe(4);
  });

  it('a reader that stops early does not hold up the next; nothing below minFiles; nothing after close', async () => {
    const root = tempDir('ahead');
    const dirs = Array.from({ length: 40 }, (_, i) => path.join(root, `r${i}`));
    for (const [i, d] of dirs.entries()) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'meta.yaml'), `n: ${i}\n`);
    }
    const ra = readAhead({ minFiles: 5, chunk: 2 });
    const plan = planOf(dirs, ['meta.yaml'], [false]);
    let seen = 0;
    for await (const f of ra.read(plan)) {
      expect(f.bytes.toString()).toBe(`n: ${seen}\n`);
      if (++seen === 3) break;
    }
    const all = await collect(ra.read(plan));
    expect(all.map((g) => g.text)).toEqual(dirs.map((_, i) => `n: ${i}\n`));
    expect(await collect(ra.read(planOf(dirs.slice(0, 4), ['meta.yaml'], [false])))).toEqual([]);
    // closed while a read is under way: it ends with the chunks already sent (the thread stays at most 4 ahead)
    let during = 0;
    let closed: Promise<void> | undefined;
    for await (const f of ra.read(plan)) {
      expect(f.bytes.toString()).toBe(`n: ${during}\n`);
      if (++during === 1) closed = ra.close();
    }
    await closed;
    expect(during).toBeLessThanOrEqual(2 + 4 * 2); // its chunk, and 4 more
    expect(await collect(ra.read(plan))).toEqual([]);
  });
});

describe('reading a file the cache opened, with the size its fstat gave', () => {
  it('reads the whole file whether it kept that size, grew or shrank since; in pieces too', () => {
    const dir = tempDir('sized');
    const file = path.join(dir, 'm');
    const text = Array.from({ length: 50 }, (_, i) => `1700000000000 ${i}.5 ${i}`).join('\n') + '\n';
    fs.writeFileSync(file, text);
    for (const size of [text.length, text.length - 7, text.length + 7, 0])
      for (const piece of [1 << 20, 16, 5]) {
        const fd = fs.openSync(file, 'r');
        try {
          const parts: string[] = [];
          const r = readBytePieces(
            file,
            'metric',
            (b, s, e) => parts.push(b.toString('utf8', s, e)),
            () => undefined,
            piece,
            1 << 20,
            fd,
            size,
          );
          expect(r.ok).toBe(true);
          expect(parts.join(''), `size ${size}, pieces of ${piece}`).toBe(text);
          for (const p of parts.slice(0, -1)) expect(p.endsWith('\n')).toBe(true);
        } finally {
          fs.closeSync(fd);
        }
        const fd2 = fs.openSync(file, 'r');
        try {
          expect(readText(file, 'meta', fd2, size)).toEqual({ ok: true, text });
        } finally {
          fs.closeSync(fd2);
        }
      }
    expect(readText(file, 'meta', Buffer.from('ü: 1\n'))).toEqual({ ok: true, text: 'ü: 1\n' });
  });
});

describe("a long-running file store's first search", () => {
  const SWEEP = '234684999513866976';
  const order = compileQuery({ orderBy: ['metrics.val_loss ASC'] });

  function backends(root: string): { cached: FileBackend; cache: ParseCache; ra: ReadAhead; plain: FileBackend } {
    const common = { root, artifactRoot: root, cwd: root, describe: root, trackingUri: root };
    const ra = readAhead({ minFiles: 1, chunk: 7 });
    // a clock 10 s ahead: the copy's files are old enough to be trusted by their signature
    // (fresh files are read again each time, cache.ts RACY_MS)
    const cache = new ParseCache(() => Date.now() + 10_000, new WatchTree(root), ra);
    return { cached: new FileBackend({ ...common, cache, asyncLock: true }), cache, ra, plain: new FileBackend(common) };
  }

  async function ids(b: FileBackend): Promise<string[]> {
    const reader = await b.freshReader();
    const exp = await reader.getExperiment(SWEEP);
    const runs = await reader.searchRuns({ experiments: [exp], view: 'active', query: order });
    return runs.map((r) => r.entry.info.run_id);
  }

  /** The metric file of run `id`, and a line that makes its val_loss the lowest but -inf. */
  const best = (root: string, id: string): [string, string] => [path.join(root, SWEEP, id, 'metrics', 'val_loss'), '1700000000000 -1e300 999999\n'];

  it('reads as the CLI does and keeps nothing, then the thread fills the cache; a change after the fill is seen', async () => {
    const root = copyStore();
    const { cached, cache, ra, plain } = backends(root);
    const expected = await ids(plain);
    await (await cached.freshReader()).getExperiment(SWEEP);
    const experimentEntries = cache.size;
    expect(await ids(cached)).toEqual(expected);
    expect(cache.size).toBe(experimentEntries);
    await cache.fillDone();
    const runs = fs.readdirSync(path.join(root, SWEEP)).filter((n) => fs.existsSync(path.join(root, SWEEP, n, 'meta.yaml')));
    const metrics = runs.filter((n) => fs.existsSync(path.join(root, SWEEP, n, 'metrics', 'val_loss')));
    expect(ra.files).toBe(runs.length + metrics.length);
    expect(cache.size).toBe(experimentEntries + runs.length + metrics.length);
    // the entries are the thread's: the next search answers the same, from them
    const misses = cache.misses;
    expect(await ids(cached)).toEqual(expected);
    expect(cache.misses).toBe(misses);
    // a run's val_loss made the lowest after the fill read it: seen at once
    const last = expected[expected.length - 1]!;
    const [file, line] = best(root, last);
    fs.appendFileSync(file, line);
    const after = await ids(cached);
    expect(after.indexOf(last)).toBeLessThan(2);
    expect(after).toEqual(await ids(plain));
  });

  it('a search that comes while the fill runs waits for it, and sees a change made before it came', async () => {
    const root = copyStore();
    const { cached, cache, plain } = backends(root);
    const expected = await ids(cached);
    // the fill starts after this turn; the change and the next search come before it ends
    const victim = expected[expected.length - 1]!;
    const [file, line] = best(root, victim);
    setImmediate(() => fs.appendFileSync(file, line));
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.fillDone()).toBeDefined();
    const got = await ids(cached);
    expect(got).toEqual(await ids(plain));
    expect(got.indexOf(victim)).toBeLessThan(2);
  });
});
