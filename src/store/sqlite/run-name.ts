/**
 * The name of a new run, by MLflow's create_run rule (the same in its file and SQL stores):
 * the given name, else the mlflow.runName tag, else a random one; the tag is added when
 * missing, and a name that contradicts the tag is refused.
 * For the lead: src/store/writer.ts's createRun repeats these lines and can call this.
 */
import { UsageError } from '../../errors.js';
import { randomRunName } from '../names.js';
import type { KeyValue } from '../types.js';
import { validateKeyName } from '../validate.js';

export const RUN_NAME_TAG = 'mlflow.runName';

/** The run's name and its tags (validated; mlflow.runName included). Throws UsageError on a name/tag conflict. */
export function resolveRunName(runName: string | undefined, tagsIn: readonly KeyValue[] = []): { runName: string; tags: KeyValue[] } {
  const tags = [...tagsIn];
  for (const t of tags) validateKeyName('tag', t.key);
  const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (runName && tagName && runName !== tagName) {
    throw new UsageError(
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " + `(run_name='${runName}', mlflow.runName='${tagName}').`,
      'run-name-conflict',
    );
  }
  const name = runName || tagName || randomRunName();
  if (!tagName) tags.push({ key: RUN_NAME_TAG, value: name });
  return { runName: name, tags };
}
