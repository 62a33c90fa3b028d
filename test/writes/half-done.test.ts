/**
 * Issue 11 item 26: an `experiments delete` killed between the meta.yaml rewrite
 * (lifecycle_stage: deleted) and the move into .trash/, or an `experiments restore` killed
 * after its move and before its rewrites, leaves a deleted experiment outside .trash/.
 * Both `delete` and `restore` exited 1 ("Could not find …") on it. Now `delete` finishes
 * the move and `restore` undoes it, each leaving exactly the files an uninterrupted
 * command leaves (times written now compare as '<now>'; those written before as they are).
 *
 * The half-done states are built by hand: mlr has no crash-injection hook, and the two
 * steps are a rename apart, too close for a timed kill -9 to land between them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyStore, mlr, readTree } from '../helpers.js';

const NLP = '146381941577740080';
const WARN_DELETE = `mlr: warning: experiment ${NLP} was left half-deleted (meta.yaml says deleted, the folder is not in .trash): finishing the delete\n`;
const WARN_RESTORE = `mlr: warning: experiment ${NLP} was left half-deleted (meta.yaml says deleted, the folder is not in .trash): restoring it where it is\n`;

const START = Date.now();

/** The tree with the times written during this test as '<now>' (those of the fixture kept), and the distinct ones it had. */
function normalised(store: string): { tree: Record<string, string>; times: Set<string> } {
  const times = new Set<string>();
  const tree = readTree(store);
  for (const [k, v] of Object.entries(tree)) {
    tree[k] = v.replace(/^(deleted_time|last_update_time): (\d+)$/gm, (line, key: string, t: string) => {
      if (Number(t) < START) return line;
      times.add(t);
      return `${key}: <now>`;
    });
  }
  return { tree, times };
}

const on = (store: string) => (args: string[]) => mlr(['--store', store, ...args], { cwd: path.dirname(store) });

/** What an uninterrupted delete, and delete + restore, leave (once for the file). */
let clean: { deleted: Record<string, string>; restored: Record<string, string> };
beforeAll(async () => {
  clean = await cleanOutcomes();
});

async function cleanOutcomes(): Promise<{ deleted: Record<string, string>; restored: Record<string, string> }> {
  const store = copyStore();
  const run = on(store);
  expect((await run(['experiments', 'delete', 'nlp models'])).code).toBe(0);
  const deleted = normalised(store).tree;
  expect((await run(['experiments', 'restore', 'nlp models'])).code).toBe(0);
  return { deleted, restored: normalised(store).tree };
}

/** A store where `experiments delete` stopped after rewriting meta.yaml, before its move into .trash/. */
async function deleteStoppedBeforeMove(): Promise<string> {
  const store = copyStore();
  expect((await on(store)(['experiments', 'delete', 'nlp models'])).code).toBe(0);
  // undo only the last step, the rename: every meta.yaml already says deleted
  fs.renameSync(path.join(store, '.trash', NLP), path.join(store, NLP));
  expect(fs.readFileSync(path.join(store, NLP, 'meta.yaml'), 'utf8')).toMatch(/^lifecycle_stage: deleted$/m);
  return store;
}

describe('a delete killed between the meta.yaml rewrite and the move to .trash', () => {
  it('delete finishes the move: the same files as an uninterrupted delete', async () => {
    const { deleted } = clean;
    const store = await deleteStoppedBeforeMove();
    const r = await on(store)(['experiments', 'delete', 'nlp models']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_DELETE });
    const after = normalised(store);
    expect(after.tree).toEqual(deleted);
    expect(after.times.size).toBe(1); // the runs and the experiment share one deletion time, as MLflow stamps them
    // and it is an ordinary deleted experiment again: restore brings it back
    expect(await on(store)(['experiments', 'restore', NLP])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('restore undoes it: the same files as an uninterrupted delete and restore', async () => {
    const { restored } = clean;
    const store = await deleteStoppedBeforeMove();
    const r = await on(store)(['experiments', 'restore', 'nlp models']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_RESTORE });
    expect(normalised(store).tree).toEqual(restored);
    const ls = await on(store)(['runs', 'ls', '-e', 'nlp models', '--format', 'ids']);
    expect(ls.stdout.trim().split('\n').length).toBe(12);
  });

  it('by id as by name, and a second delete or restore is an ordinary one', async () => {
    const store = await deleteStoppedBeforeMove();
    expect((await on(store)(['experiments', 'restore', NLP])).code).toBe(0);
    expect(await on(store)(['experiments', 'restore', NLP])).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlr: Could not find deleted experiment with ID ${NLP}\n`,
    });
    expect(await on(store)(['experiments', 'delete', NLP])).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('a restore killed after its move out of .trash, part-way through the runs', () => {
  /** The folder is back at the root, meta.yaml still says deleted, and the first `n` runs were already marked active. */
  async function restoreStoppedPartWay(n: number): Promise<string> {
    const store = await deleteStoppedBeforeMove();
    const runs = fs
      .readdirSync(path.join(store, NLP))
      .filter((r) => /^[0-9a-f]{32}$/.test(r))
      .sort();
    for (const r of runs.slice(0, n)) {
      const rel = `${NLP}/${r}/meta.yaml`;
      const active = fs
        .readFileSync(path.join(store, rel), 'utf8')
        .replace(/^deleted_time: \d+\n/m, '')
        .replace('lifecycle_stage: deleted', 'lifecycle_stage: active');
      fs.writeFileSync(path.join(store, rel), active);
    }
    return store;
  }

  it('restore finishes it', async () => {
    const { restored } = clean;
    const store = await restoreStoppedPartWay(5);
    const r = await on(store)(['experiments', 'restore', 'nlp models']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_RESTORE });
    expect(normalised(store).tree).toEqual(restored);
  });

  it('delete undoes it: the runs already reactivated are deleted again, with the deletion time of the others', async () => {
    const { deleted } = clean;
    const store = await restoreStoppedPartWay(5);
    const r = await on(store)(['experiments', 'delete', 'nlp models']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: WARN_DELETE });
    const after = normalised(store);
    expect(after.tree).toEqual(deleted);
    expect(after.times.size).toBe(1);
  });
});
