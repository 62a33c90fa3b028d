/**
 * ParseCache.checkedDir (src/store/file/cache.ts): a long-running process checks its store's
 * root again only when an entry in it was added, removed or renamed — not when the store
 * lock's own files came and went (every locked write makes them, so the root's stat
 * signature of a store being written to is never old enough to trust; issue 15).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/store/file/cache.js';
import { withLock } from '../../src/store/file/lock.js';
import { tempDir } from '../helpers.js';

describe('ParseCache.checkedDir', () => {
  it('checks again after an entry changed, not after the lock was taken and let go', () => {
    const root = tempDir('checked');
    fs.mkdirSync(path.join(root, '0'));
    fs.mkdirSync(path.join(root, '.trash'));
    const cache = new ParseCache();
    let checks = 0;
    const check = (): void => {
      checks++;
    };
    cache.checkedDir('read', root, check);
    cache.checkedDir('read', root, check);
    expect(checks).toBe(1);
    // the lock's files (its temp file, the lock, a stale copy) are created and removed
    for (let i = 0; i < 3; i++) withLock(root, () => undefined);
    fs.writeFileSync(path.join(root, '.mlr-lock.stale-0a1b2c3d'), '1\nelsewhere\n');
    cache.checkedDir('read', root, check);
    expect(checks).toBe(1);
    fs.rmSync(path.join(root, '.mlr-lock.stale-0a1b2c3d'));
    // a new experiment folder, a removed one, a file: checked again each time
    fs.mkdirSync(path.join(root, '1'));
    cache.checkedDir('read', root, check);
    expect(checks).toBe(2);
    cache.checkedDir('read', root, check);
    expect(checks).toBe(2);
    fs.rmSync(path.join(root, '1'), { recursive: true });
    cache.checkedDir('read', root, check);
    expect(checks).toBe(3);
    fs.writeFileSync(path.join(root, 'notes.txt'), '');
    cache.checkedDir('read', root, check);
    expect(checks).toBe(4);
    // a folder replaced by a file of the same name
    fs.rmSync(path.join(root, '.trash'), { recursive: true });
    fs.writeFileSync(path.join(root, '.trash'), '');
    cache.checkedDir('read', root, check);
    expect(checks).toBe(5);
    // each key keeps its own record
    cache.checkedDir('write', root, check);
    expect(checks).toBe(6);
  });

  it('checks every time while the folder holds a meta.yaml (renamed over, the names stay)', () => {
    const root = tempDir('checked');
    fs.mkdirSync(path.join(root, '0'));
    fs.writeFileSync(path.join(root, 'meta.yaml'), 'name: x\n');
    const cache = new ParseCache();
    let checks = 0;
    for (let i = 0; i < 3; i++) cache.checkedDir('read', root, () => void checks++);
    expect(checks).toBe(3);
  });

  it('checks again when the check failed, and when the folder is gone', () => {
    const root = tempDir('checked');
    const dir = path.join(root, 'mlruns');
    fs.mkdirSync(dir);
    const cache = new ParseCache();
    let fail = true;
    let checks = 0;
    const check = (): void => {
      checks++;
      if (fail) throw new Error('not a store');
    };
    expect(() => cache.checkedDir('read', dir, check)).toThrow('not a store');
    fail = false;
    cache.checkedDir('read', dir, check);
    cache.checkedDir('read', dir, check);
    expect(checks).toBe(2);
    fs.rmSync(dir, { recursive: true });
    fail = true;
    expect(() => cache.checkedDir('read', dir, check)).toThrow('not a store');
    // recreated (another inode, the same empty listing): checked again
    fs.mkdirSync(dir);
    fail = false;
    cache.checkedDir('read', dir, check);
    expect(checks).toBe(4);
  });
});
