/**
 * Run references as people write them (issue 11 item 14): besides a run id or a unique id
 * prefix, a run name that is unique among the runs searched, and `latest` / `latest~N` for
 * the newest runs (MLflow's natural order: start time, newest first). Everything resolves to
 * a full run id, which the store then looks up as always.
 */
import { NotFoundError, UsageError } from '../errors.js';
import type { ExperimentEntry, TrackingReader } from '../store/backend.js';
import type { ViewType } from '../store/types.js';

export interface RunRefScope {
  /** experiments searched (ids or names); all active ones when absent */
  experiments?: readonly string[];
  /** runs searched: active (default), deleted (restore) or all */
  view?: ViewType;
}

/** Hex of 6 to 32 characters: an id or id prefix, which the store resolves itself (no search). */
const ID_LIKE = /^[0-9a-f]{6,32}$/;
const LATEST = /^latest(?:~(\d+))?$/;

/** Whether `ref` needs a search to become a run id (a name or `latest~N`), i.e. is not id-shaped. */
function needsLookup(ref: string): boolean {
  return !ID_LIKE.test(ref);
}

/**
 * The full run id `ref` names: an id or prefix as given (the store checks it), `latest~N`
 * (the N+1-th newest run of the scope), or the one run of the scope with that name. An
 * ambiguous name is a usage error listing the candidates; no match is NotFoundError.
 */
export async function resolveRunRef(reader: TrackingReader, ref: string, scope: RunRefScope = {}): Promise<string> {
  if (!needsLookup(ref)) return ref;
  const exps = await scopeExperiments(reader, scope.experiments);
  const view = scope.view ?? 'active';
  const where = scope.experiments?.length
    ? `experiment${scope.experiments.length === 1 ? '' : 's'} ${scope.experiments.map((e) => `'${e}'`).join(', ')}`
    : 'the active experiments';
  const latest = LATEST.exec(ref);
  if (latest) {
    const n = Number(latest[1] ?? 0);
    // natural order: start_time DESC, then run id (MLflow's search_runs default)
    const runs = await reader.searchRuns({ experiments: exps, view, maxResults: n + 1 });
    const run = runs[n];
    if (!run)
      throw new NotFoundError(
        `'${ref}': ${where} hold${scope.experiments?.length === 1 ? 's' : ''} ${runs.length} run${runs.length === 1 ? '' : 's'}`,
        'run-not-found',
      );
    return run.entry.info.run_id;
  }
  const runs = await reader.listRuns(exps, view);
  const named = runs.filter((r) => r.info.run_name === ref);
  if (named.length === 1) return named[0]!.info.run_id;
  if (named.length > 1) {
    named.sort((a, b) => Number(b.info.start_time ?? 0) - Number(a.info.start_time ?? 0));
    const list = named
      .slice(0, 10)
      .map((r) => `${r.info.run_id.slice(0, 8)} (${r.exp.experiment.name})`)
      .join(', ');
    throw new UsageError(
      `run name '${ref}' is ambiguous: ${named.length} runs have it: ${list}${named.length > 10 ? ', …' : ''}; give an id prefix`,
      'run-name-ambiguous',
    );
  }
  // not a name either: a path-like reference gets the store's own refusal ('../x' is not a run id)
  if (/[/\\]|^\./.test(ref)) return ref;
  throw new NotFoundError(`no run named '${ref}' in ${where} (and '${ref}' is not a run id)`, 'run-not-found');
}

async function scopeExperiments(reader: TrackingReader, refs: readonly string[] | undefined): Promise<ExperimentEntry[]> {
  if (!refs || refs.length === 0) return reader.listExperiments('active');
  return Promise.all(refs.map((r) => reader.getExperiment(r)));
}
