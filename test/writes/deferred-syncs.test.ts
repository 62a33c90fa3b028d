/**
 * deferSyncs / flushSyncs (src/store/file/atomic.ts): the files a request publishes are
 * fsynced once, at its end, through the descriptors their temp files were written with —
 * and every one of those descriptors is closed, after a flush or when the scope throws.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atomicWriteFile, createExclusive, deferSyncs, flushSyncs } from '../../src/store/file/atomic.js';
import { tempDir } from '../helpers.js';

const isOpen = (fd: number): boolean => {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

/**
 * The files under `dir` this process has open (by /proc/self/fd): other test files share the
 * process (worker threads), so a count of all its descriptors would race with them.
 */
const openIn = (dir: string): string[] =>
  fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir + path.sep) ? [target] : [];
    } catch {
      return [];
    }
  });

describe('deferred fsyncs', () => {
  it('keeps the descriptor of each file written in the scope, fsyncs and closes them all at the flush', async () => {
    const dir = tempDir('defer');
    const { value, syncs } = deferSyncs(() => {
      atomicWriteFile(path.join(dir, 'a'), 'one\n');
      const made = createExclusive(path.join(dir, 'b'), 'two\n');
      const taken = createExclusive(path.join(dir, 'b'), 'other\n');
      return [made, taken];
    });
    expect(value).toEqual([true, false]);
    expect(syncs.fds).toHaveLength(3);
    for (const fd of syncs.fds) expect(isOpen(fd)).toBe(true);
    // each kept descriptor is the published file's inode (or the refused temp's, unlinked)
    const inodes = syncs.fds.map((fd) => fs.fstatSync(fd).ino);
    expect(inodes).toContain(fs.statSync(path.join(dir, 'a')).ino);
    expect(inodes).toContain(fs.statSync(path.join(dir, 'b')).ino);
    expect([...syncs.files]).toEqual([]);
    expect([...syncs.dirs]).toEqual([dir]);
    expect(openIn(dir)).toHaveLength(3);
    await flushSyncs(syncs);
    // by what the descriptors point at, not their numbers: another test file in this process
    // may be handed a freed number during the flush's await
    expect(openIn(dir)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).toBe('one\n');
    expect(fs.readFileSync(path.join(dir, 'b'), 'utf8')).toBe('two\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['a', 'b']);
  });

  it('a scope that throws closes the descriptors it kept', () => {
    const dir = tempDir('defer-throw');
    let inside: string[] = [];
    expect(() =>
      deferSyncs(() => {
        for (let i = 0; i < 5; i++) atomicWriteFile(path.join(dir, `f${i}`), 'x');
        inside = openIn(dir);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inside).toHaveLength(5);
    expect(openIn(dir)).toEqual([]);
  });

  it('past 256 descriptors the files are fsynced by name', async () => {
    const dir = tempDir('defer-many');
    const { syncs } = deferSyncs(() => {
      for (let i = 0; i < 300; i++) atomicWriteFile(path.join(dir, `f${i}`), String(i));
    });
    expect(syncs.fds).toHaveLength(256);
    expect(syncs.files.size).toBe(44);
    expect(syncs.files.has(path.join(dir, 'f299'))).toBe(true);
    await flushSyncs(syncs);
    expect(fs.readdirSync(dir)).toHaveLength(300);
  });
  it('freeLater: the replaced file keeps a second name until the flush unlinks it; without it, none', async () => {
    const dir = tempDir('defer');
    const file = path.join(dir, 'meta.yaml');
    fs.writeFileSync(file, 'old\n');
    const oldIno = fs.statSync(file).ino;
    const temps = (): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('.mlr-tmp-'));
    const { syncs } = deferSyncs(() => atomicWriteFile(file, 'new\n', { freeLater: true }));
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(syncs.unlinks).toHaveLength(1);
    expect(temps()).toHaveLength(1);
    expect(fs.statSync(path.join(dir, temps()[0]!)).ino).toBe(oldIno);
    await flushSyncs(syncs);
    expect(temps()).toEqual([]);
    const plain = deferSyncs(() => atomicWriteFile(file, 'newer\n'));
    expect(plain.syncs.unlinks).toEqual([]);
    expect(temps()).toEqual([]);
    await flushSyncs(plain.syncs);
    // a scope that throws after the replacement removes the second name at once
    expect(() =>
      deferSyncs(() => {
        atomicWriteFile(file, 'newest\n', { freeLater: true });
        throw new Error('later');
      }),
    ).toThrow('later');
    expect(temps()).toEqual([]);
    expect(fs.readFileSync(file, 'utf8')).toBe('newest\n');
  });
});
