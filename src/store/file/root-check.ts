/**
 * Is a folder given as the store really a store's root? `--store mlruns/<experiment-id>`
 * (or a run folder, or a folder inside one) reads as a store whose "experiments" are runs,
 * and writing there scatters an experiment into an experiment folder (issue 11 #5). This
 * names what the folder is and where the store is, so writes can be refused with a hint
 * and reads can say so once.
 */
import path from 'node:path';
import { NotFoundError, UsageError } from '../../errors.js';
import { isDirectory, listDir, readText } from './fsread.js';
import { isYamlMap, parseYaml, type YamlMap } from './yaml.js';
import { yamlString } from './yaml-values.js';

/** What a non-root folder is, and the store root it belongs to (absolute). */
export interface Misplacement {
  /** the sentence: "… is experiment 'sweep' (id 1) of the store at …; use --store …" */
  message: string;
  /** the store root to use instead */
  storeRoot: string;
}

function metaOf(dir: string): YamlMap | undefined {
  const r = readText(path.join(dir, 'meta.yaml'), 'other');
  if (!r.ok) return undefined;
  const parsed = parseYaml(r.text);
  return parsed.errors.length === 0 && isYamlMap(parsed.value) ? parsed.value : undefined;
}

const isRunMeta = (m: YamlMap): boolean => m['run_id'] !== undefined || m['run_uuid'] !== undefined;
const isExperimentMeta = (m: YamlMap): boolean => !isRunMeta(m) && m['experiment_id'] !== undefined;

/** The store root above an experiment folder (`<root>/<id>` or `<root>/.trash/<id>`). */
function storeOfExperiment(expDir: string): string {
  const parent = path.dirname(expDir);
  return path.basename(parent) === '.trash' ? path.dirname(parent) : parent;
}

function experimentName(expDir: string): string {
  const m = metaOf(expDir);
  const name = m ? yamlString(m['name']) : undefined;
  return name !== undefined && name !== '' ? `experiment '${name}'` : `experiment ${path.basename(expDir)}`;
}

/** How many sub-folders hold a run's meta.yaml, and whether one holds an experiment's. */
function countChildren(dir: string): { runs: number; experiments: number } {
  let runs = 0;
  let experiments = 0;
  for (const e of listDir(dir) ?? []) {
    if (!e.isDir || e.name.startsWith('.')) continue;
    const m = metaOf(path.join(dir, e.name));
    if (!m) continue;
    if (isRunMeta(m)) runs++;
    else if (isExperimentMeta(m)) {
      experiments++;
      break; // a store's root: one experiment is enough to know
    }
  }
  return { runs, experiments };
}

/**
 * Why `root` is not a store root, or undefined when it may be one. `show` turns an absolute
 * path into how messages print it (relative to the working folder). Looks at `root/meta.yaml`
 * (an experiment's or a run's), at root's sub-folders (all runs: an experiment folder whose
 * meta.yaml is gone), at up to three folders above a root that does not exist or is not a
 * store (inside a run: `artifacts/`, `metrics/`), and at `root/mlruns` (the project folder).
 */
export function findMisplacement(root: string, show: (p: string) => string, looksLikeStore: boolean): Misplacement | undefined {
  const use = (what: string, storeRoot: string): Misplacement => ({
    message: `${show(root)} is ${what} of the store at ${show(storeRoot)}; use --store ${show(storeRoot)}`,
    storeRoot,
  });
  const describe = (dir: string, m: YamlMap, inside: boolean): Misplacement | undefined => {
    if (isRunMeta(m)) {
      const expDir = path.dirname(dir);
      const id = yamlString(m['run_id']) ?? yamlString(m['run_uuid']) ?? path.basename(dir);
      return use(`${inside ? 'inside ' : ''}run ${id} of ${experimentName(expDir)}`, storeOfExperiment(expDir));
    }
    if (isExperimentMeta(m)) return use(`${inside ? 'inside ' : ''}${experimentName(dir)}`, storeOfExperiment(dir));
    return undefined;
  };
  if (isDirectory(root)) {
    const own = metaOf(root);
    const hit = own && describe(root, own, false);
    if (hit) return hit;
    if (!own) {
      const kids = countChildren(root);
      if (kids.runs > 0 && kids.experiments === 0) return use('an experiment folder (its sub-folders are runs)', storeOfExperiment(root));
    }
  }
  if (looksLikeStore) return undefined;
  let dir = root;
  for (let i = 0; i < 3; i++) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
    const m = metaOf(dir);
    const hit = m && describe(dir, m, true);
    if (hit) return hit;
  }
  const child = path.join(root, 'mlruns');
  if (isDirectory(root) && isDirectory(child)) {
    return { message: `found ${show(child)} here; use --store ${show(child)}`, storeRoot: child };
  }
  return undefined;
}

/** How a path is shown in these hints: `./x` under `cwd`, absolute elsewhere. */
export function showPath(cwd: string): (p: string) => string {
  return (p) => {
    const rel = path.relative(cwd, p);
    if (rel === '') return '.';
    if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
    return `./${rel}`;
  };
}

/**
 * Refuse to write into a folder that is not a store's root (UsageError, exit 2, naming the
 * store to use). Nothing is created there: called before a missing root would be made.
 */
export function refuseMisplacedWrite(root: string, cwd: string, looksLikeStore: boolean): void {
  const m = findMisplacement(root, showPath(cwd), looksLikeStore);
  if (m) throw new UsageError(`refusing to write: ${m.message}`, 'not-a-store-root');
}

/**
 * For a read: the hint to print once when `root` is not a store's root but reads as one (an
 * experiment folder, whose runs look like experiments), or NotFoundError with the hint when
 * it does not read as a store at all (a run folder, the folder above mlruns/).
 */
export function misplacedReadHint(root: string, cwd: string, looksLikeStore: boolean): string | undefined {
  const m = findMisplacement(root, showPath(cwd), looksLikeStore);
  if (m && !looksLikeStore) {
    const at = m.message.startsWith('found ') ? `no MLflow store at ${showPath(cwd)(root)}: ` : '';
    throw new NotFoundError(at + m.message, 'not-a-store-root');
  }
  return m?.message;
}
