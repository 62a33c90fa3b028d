/**
 * The parse cache's inotify watches (src/store/file/watch.ts): a burst of events as large
 * as the kernel queue could have overflowed drops every watch (lost events are invisible),
 * and a folder renamed under a watched one loses its watches with everything below it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WatchTree, drain } from '../../src/store/file/watch.js';
import { tempDir } from '../helpers.js';

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await drain();
};

describe('WatchTree', () => {
  it('drops every watch after a burst of events that may have overflowed the kernel queue', async () => {
    const root = tempDir('watch');
    fs.mkdirSync(path.join(root, 'a'));
    const tree = new WatchTree(root, { burstLimit: 64 });
    expect(tree.watch(path.join(root, 'a'))).toBeUndefined();
    tree.settle();
    expect(tree.size).toBe(2);
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, 'a', 'f'), String(i));
    await turns(3);
    expect(tree.overflows).toBe(0);
    expect(tree.size).toBe(2);
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(root, 'a', `g${i}`), '');
    await turns(3);
    expect(tree.overflows).toBe(1);
    expect(tree.size).toBe(0);
  });

  it('drops the watches under a folder that is renamed, and counts a change in a watched one', async () => {
    const root = tempDir('watch');
    fs.mkdirSync(path.join(root, 'e', 'r'), { recursive: true });
    const tree = new WatchTree(root);
    tree.watch(path.join(root, 'e', 'r'));
    tree.settle();
    const r = tree.watch(path.join(root, 'e', 'r'))!;
    const gen = r.gen;
    fs.writeFileSync(path.join(root, 'e', 'r', 'x'), '1');
    await turns(3);
    expect(r.gen).toBeGreaterThan(gen);
    expect(r.alive).toBe(true);
    const changes = tree.changes;
    fs.renameSync(path.join(root, 'e'), path.join(root, 'e2'));
    await turns(3);
    expect(r.alive).toBe(false);
    expect(tree.changes).toBeGreaterThan(changes);
    expect(tree.watch(path.join(root, 'e', 'r'))).toBeUndefined();
    // a folder that does not exist under a watched one is covered: its creation is an event
    expect(tree.covers(path.join(root, 'missing'))).toBe(true);
    tree.dropAll();
  });
});
