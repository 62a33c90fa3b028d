/**
 * Check 5: `artifact_location` / `artifact_uri` values frozen at an old place (the store was
 * moved, rsynced, or copied from Windows) that does not exist here, while the folder they
 * name is in the current store. They are rewritten to the current place, in the form the
 * store's healthy experiments use. Remote URIs (s3:, gs:, mlflow-artifacts:, dbfs:, …) and
 * custom locations outside the default layout are left alone. Apart from that, a run whose
 * artifact_uri points nowhere while its own folder holds `artifacts/` (a meta.yaml cut off
 * mid-path, a folder moved by hand) gets the URI of that folder.
 */
import path from 'node:path';
import type { ExpScan, RunScan } from '../scan.js';
import { endsWithSegments, ExistsCache, formOf, isInside, localPathOf, rootInForm, stripSegments, type ArtifactRoots } from '../locations.js';
import { str, type Planner } from '../planner.js';
import type { Edit } from '../types.js';
import { artifactRootsOf } from './experiment-meta.js';
import { artifactUriHere } from './run-meta.js';

/** True when a local location is stale: it does not exist and is not inside this store. */
function isStale(root: string, loc: string, tail: string, cache: ExistsCache): string | undefined {
  const lp = localPathOf(loc, root);
  if (lp === undefined) return undefined; // remote: not ours to judge
  if (!endsWithSegments(loc, tail)) return undefined; // a custom location, not the default layout
  if (isInside(root, lp)) return undefined; // points into this store (a trashed experiment's home is fine too)
  const prefix = lp.replace(/\\/g, '/').slice(0, lp.length - tail.length - 1);
  if (cache.existsUnder(prefix, lp)) return undefined;
  return lp;
}

function currentExperimentLocation(p: Planner, roots: ArtifactRoots, exp: ExpScan, stale: string): string {
  if (roots.local !== undefined) return `${roots.local}/${exp.folder}`;
  return `${rootInForm(p.root, formOf(stale) === 'file-uri' ? 'file-uri' : 'plain')}/${exp.folder}`;
}

export function checkArtifactLocations(p: Planner): void {
  const cache = new ExistsCache();
  const roots = artifactRootsOf(p);
  const newLocation = new Map<ExpScan, string>();
  for (const exp of p.scan.experiments) {
    const map = p.effective(exp.meta);
    const loc = str(map?.['artifact_location']);
    if (!map || loc === undefined) continue;
    const stale = isStale(p.root, loc, exp.folder, cache);
    if (stale === undefined) continue;
    const now = currentExperimentLocation(p, roots, exp, loc);
    newLocation.set(exp, now);
    p.add({
      code: 'artifact-location-stale',
      severity: 'warning',
      path: exp.meta.rel,
      message: `artifact_location ${loc} does not exist here (the store was moved or copied): MLflow finds none of this experiment's artifacts`,
      fix: `set artifact_location to ${now}`,
      edits: [p.set(exp.meta, { artifact_location: now })],
    });
  }
  // runs: one finding per experiment, listing how many artifact_uri values change
  const byExp = new Map<ExpScan, { run: RunScan; old: string; now: string }[]>();
  for (const run of p.runs) {
    const map = p.effective(run.meta);
    const uri = str(map?.['artifact_uri']);
    const exp = p.experimentOf(run);
    if (!map || uri === undefined || !exp) continue;
    // only the default layout <root>/<exp>/<run>/artifacts: a custom location never lived in the store
    const stale = isStale(p.root, uri, `${exp.folder}/${run.folder}/artifacts`, cache);
    if (stale === undefined) continue;
    const expLoc = newLocation.get(exp) ?? str(p.effective(exp.meta)?.['artifact_location']);
    let base: string;
    if (expLoc !== undefined && formOf(expLoc) !== 'remote' && isInside(p.root, localPathOf(expLoc, p.root) ?? '/nonexistent'))
      base = expLoc.replace(/\/+$/, '');
    else base = currentExperimentLocation(p, roots, exp, uri);
    const list = byExp.get(exp) ?? [];
    list.push({ run, old: uri, now: `${base}/${run.folder}/artifacts` });
    byExp.set(exp, list);
  }
  const planned = new Set<RunScan>([...byExp.values()].flatMap((l) => l.map((x) => x.run)));
  for (const run of p.runs) {
    if (!run.hasArtifacts || planned.has(run)) continue;
    const uri = str(p.effective(run.meta)?.['artifact_uri']);
    const lp = uri === undefined ? undefined : localPathOf(uri, p.root);
    if (uri === undefined || lp === undefined || cache.exists(lp)) continue;
    // a run of a deleted experiment keeps the URI of its home (MLflow moves the folder into
    // .trash and rewrites nothing; a restore moves it back)
    if (run.inTrash && isInside(p.root, lp) && path.resolve(lp) === path.resolve(p.root, run.expFolder, run.folder, 'artifacts')) continue;
    const now = artifactUriHere(p, run, uri);
    if (now === uri) continue;
    p.add({
      code: 'artifact-uri-missing',
      severity: 'warning',
      path: run.meta.rel,
      message: `artifact_uri ${uri} points nowhere, while the run folder holds its artifacts: MLflow finds none of them`,
      fix: `set artifact_uri to ${now}`,
      edits: [p.set(run.meta, { artifact_uri: now })],
    });
  }
  for (const [exp, list] of byExp) {
    const edits: Edit[] = list.map((x) => p.set(x.run.meta, { artifact_uri: x.now }));
    const first = list[0]!;
    const oldRoot = stripSegments(first.old, `${first.run.folder}/artifacts`);
    const newRoot = stripSegments(first.now, `${first.run.folder}/artifacts`);
    const n = list.length;
    p.add({
      code: 'artifact-uri-stale',
      severity: 'warning',
      path: n === 1 ? first.run.meta.rel : exp.rel,
      message:
        n === 1
          ? `artifact_uri ${first.old} does not exist here (the store was moved or copied): MLflow finds none of the run's artifacts`
          : `${n} runs have artifact_uri under ${oldRoot}, which does not exist here (the store was moved or copied): MLflow finds none of their artifacts`,
      fix: n === 1 ? `set artifact_uri to ${first.now}` : `set their artifact_uri to ${newRoot}/<run>/artifacts`,
      edits,
    });
  }
}
