/**
 * Housekeeping: runs mv, trash ls / restore / rename, gc. These work on the file store's
 * folders (`.trash/`, run folders), so they take its root; other backends are refused
 * before they get here (Context.fileRoot) — except gc, which also deletes the rows of an
 * MLflow database (store/sqlite/gc.ts). Return data, never print.
 */
import { UsageError } from '../errors.js';
import type { ResolveContext } from '../store/artifacts/location.js';
import type { GcOptions, GcPlan, GcResult, TrashItem } from '../store/file/housekeeping.js';
import type { MovePlan } from '../store/file/move.js';
import type { FileRunEntry } from '../store/file/store.js';

/** The store at `root`, opened (NotFoundError when it does not exist or is not a store). */
async function open(root: string) {
  const { FileStore } = await import('../store/file/store.js');
  return FileStore.open(root);
}

export interface MoveResult {
  plans: MovePlan[];
  /** runs already in the target experiment */
  skipped: FileRunEntry[];
  /** the plans carried out (all of them unless one failed; none with dryRun) */
  done: MovePlan[];
  /** the error that stopped the moves, after `done` */
  error?: unknown;
}

/** `runs mv`: plan every move, then (unless dryRun) carry them out one run at a time. */
export async function moveRuns(ctx: ResolveContext, refs: string[], target: string, opts: { dryRun?: boolean } = {}): Promise<MoveResult> {
  const mv = await import('../store/file/move.js');
  const store = await open(ctx.root);
  const { plans, skipped } = mv.planMove(store, ctx, refs, target);
  const done: MovePlan[] = [];
  if (opts.dryRun) return { plans, skipped, done };
  try {
    for (const p of plans) {
      mv.applyMove(store, p);
      done.push(p);
    }
  } catch (error) {
    return { plans, skipped, done, error };
  }
  return { plans, skipped, done };
}

/** `trash ls`: deleted experiments and runs, newest deletion first. */
export async function listTrash(ctx: ResolveContext): Promise<{ items: TrashItem[]; problems: import('../store/types.js').Problem[] }> {
  const hk = await import('../store/file/housekeeping.js');
  const store = await open(ctx.root);
  return { items: hk.listTrash(store, ctx), problems: store.problems };
}

/** What `trash restore` restored, per argument. */
export type Restored = { kind: 'experiment'; id: string; name: string } | { kind: 'run'; id: string };

/**
 * `trash restore`: each argument is a deleted experiment (id or name; restored with its
 * runs) or else a run (id or prefix). The store is read afresh per argument: each restore
 * changes it.
 */
export async function restoreFromTrash(
  ctx: ResolveContext,
  writer: import('../store/backend.js').TrackingWriter,
  refs: readonly string[],
): Promise<Restored[]> {
  const hk = await import('../store/file/housekeeping.js');
  const { FileStore } = await import('../store/file/store.js');
  await open(ctx.root);
  const out: Restored[] = [];
  for (const ref of refs) {
    const exp = hk.findDeletedExperiment(new FileStore(ctx.root), ref);
    if (exp) {
      if (!exp.inTrash) throw new UsageError(`experiment ${exp.experiment.experiment_id} is marked deleted but is not in .trash/; run mlr doctor`);
      const id = await writer.restoreExperiment(exp.experiment.experiment_id);
      out.push({ kind: 'experiment', id, name: exp.experiment.name });
      continue;
    }
    out.push({ kind: 'run', id: await writer.restoreRun(ref) });
  }
  return out;
}

/** `trash rename`: a deleted experiment's new name; returns its id and old name. */
export async function renameInTrash(ctx: ResolveContext, ref: string, newName: string): Promise<{ id: string; oldName: string }> {
  const hk = await import('../store/file/housekeeping.js');
  const r = hk.renameDeletedExperiment(await open(ctx.root), ref, newName);
  return { id: r.experiment.experiment.experiment_id, oldName: r.oldName };
}

/**
 * Where gc works: a file store's root, or an MLflow database (`root` is its path; gc there
 * deletes rows, as `mlflow gc --backend-store-uri sqlite:///…` does).
 */
export type GcTarget = ResolveContext & { kind: 'file' | 'sqlite' };

/** `gc` without --yes: what would be purged. Reads only (the database is opened read-only). */
export async function planGarbageCollection(where: GcTarget, o: GcOptions): Promise<{ plan: GcPlan; problems: import('../store/types.js').Problem[] }> {
  if (where.kind === 'sqlite') {
    const [{ openForRead, snapshot }, { planSqliteGc }] = await Promise.all([import('../store/sqlite/db.js'), import('../store/sqlite/gc.js')]);
    const db = openForRead(where.root);
    try {
      return { plan: snapshot(db, () => planSqliteGc(db, where, o)), problems: [] };
    } finally {
      db.close();
    }
  }
  const hk = await import('../store/file/housekeeping.js');
  const store = await open(where.root);
  return { plan: hk.planGc(store, where, o), problems: store.problems };
}

/** `gc --yes`: purge what the plan lists. */
export async function collectGarbage(where: GcTarget, plan: GcPlan): Promise<GcResult> {
  if (where.kind === 'sqlite') {
    const [{ openForWrite }, { applySqliteGc }] = await Promise.all([import('../store/sqlite/db.js'), import('../store/sqlite/gc.js')]);
    const db = openForWrite(where.root);
    try {
      return applySqliteGc(db, plan);
    } finally {
      db.close();
    }
  }
  const hk = await import('../store/file/housekeeping.js');
  return hk.applyGc(await open(where.root), plan);
}

/** `--older-than 30d` → milliseconds (UsageError when malformed). */
export async function parseAge(text: string): Promise<number> {
  return (await import('../store/file/housekeeping.js')).parseOlderThan(text);
}
