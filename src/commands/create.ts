/**
 * `mlr runs create` (and the run `mlr run` makes): the experiment from -e or MLflow's
 * environment variables, and the system tags `mlflow.start_run()` would record.
 */
import { UsageError } from '../errors.js';
import type { CreatedRun } from '../store/backend.js';
import type { KeyValue } from '../store/types.js';
import { systemTags } from './source.js';
import { experimentArg, parseMillis, parsePair, type WriteContext } from './write.js';

export interface RunsCreateOptions {
  experiment?: string;
  name?: string;
  tags?: string[];
  parent?: string;
  startTime?: string;
  /** mlflow.source.name (default 'mlr') */
  sourceName?: string;
  /**
   * the system tags to record instead of a local script's (mlflow.user, mlflow.source.*,
   * git): an MLproject run records what `mlflow run` records
   */
  systemTags?: KeyValue[];
}

/**
 * Create a run as `mlflow.start_run()` would from a local script: user tags, the
 * mlflow.user / mlflow.source.* / git commit system tags, user_id = the user.
 * MLflow's own CLI-less MlflowClient.create_run records user 'unknown' and no system
 * tags; a person running `mlr` expects to see their name.
 */
export async function runsCreate(ctx: WriteContext, opts: RunsCreateOptions): Promise<CreatedRun> {
  const exp = experimentArg(opts.experiment, ctx.env);
  const tags = (opts.tags ?? []).map((t) => parsePair(t, '--tag key=value'));
  const sys = (opts.systemTags ?? systemTags(ctx.env, ctx.cwd, opts.sourceName ?? 'mlr')).filter((s) => !tags.some((t) => t.key === s.key));
  const all = [...sys, ...tags];
  const user = all.find((t) => t.key === 'mlflow.user')?.value;
  if (exp.expectId !== undefined) {
    const e = await (await ctx.reader()).getExperiment(exp.ref);
    if (e.experiment.experiment_id !== exp.expectId) {
      throw new UsageError(
        `MLFLOW_EXPERIMENT_ID=${exp.expectId} does not match experiment id ${e.experiment.experiment_id} of MLFLOW_EXPERIMENT_NAME='${exp.ref}'`,
        'experiment-env-mismatch',
      );
    }
  }
  return ctx.writer.createRun({
    experiment: exp.ref,
    ...(opts.name !== undefined ? { runName: opts.name } : {}),
    tags: all,
    ...(opts.parent !== undefined ? { parentRunId: opts.parent } : {}),
    ...(opts.startTime !== undefined ? { startTime: parseMillis(opts.startTime, 'start time') } : {}),
    ...(user !== undefined ? { userId: user } : {}),
  });
}
