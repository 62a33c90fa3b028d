/**
 * The shared state of one doctor pass: the scan, the findings so far, and the meta.yaml
 * edits planned by earlier checks, so later checks see each file as it will be after the
 * repair (a rebuilt experiment's artifact location, a run's corrected experiment id).
 */
import type { DumpValue } from '../store/file/yaml-dump.js';
import type { YamlMap, YamlValue } from '../store/file/yaml.js';
import { yamlInt64 } from '../store/file/yaml-values.js';
import type { ExpScan, MetaRead, RunScan, StoreScan } from './scan.js';
import type { Edit, PlannedFinding } from './types.js';

interface MetaPlan {
  meta: MetaRead;
  /** rebuilt from scratch (true) or edited from the parsed file (false) */
  rebuilt: boolean;
  fields: Record<string, DumpValue | undefined>;
}

export class Planner {
  readonly scan: StoreScan;
  readonly root: string;
  /** "now" in ms, for deleted_time of runs the doctor marks deleted */
  readonly now: number;
  readonly findings: PlannedFinding[] = [];
  /** every run that will be in an experiment after the repairs (misplaced ones moved) */
  readonly runs: RunScan[] = [];
  private readonly metaPlans = new Map<string, MetaPlan>();
  private readonly expByFolder = new Map<string, ExpScan[]>();

  constructor(scan: StoreScan, now: number) {
    this.scan = scan;
    this.root = scan.root;
    this.now = now;
    for (const e of scan.experiments) {
      const list = this.expByFolder.get(e.folder) ?? [];
      list.push(e);
      this.expByFolder.set(e.folder, list);
      this.runs.push(...e.runs);
    }
  }

  add(f: PlannedFinding): void {
    this.findings.push(f);
  }

  /** The experiment folder with this id: the active one first, then the one in .trash (MLflow's lookup order). */
  experiment(folder: string): ExpScan | undefined {
    const list = this.expByFolder.get(folder);
    return list?.find((e) => !e.inTrash) ?? list?.[0];
  }

  /** The experiment a run belongs to (after a misplaced run is moved). */
  experimentOf(run: RunScan): ExpScan | undefined {
    return this.expByFolder.get(run.expFolder)?.find((e) => e.inTrash === run.inTrash) ?? this.experiment(run.expFolder);
  }

  /** Plan a rebuilt meta.yaml; returns the edit to attach to the finding. */
  rebuild(meta: MetaRead, fields: Record<string, DumpValue | undefined>): Edit {
    this.metaPlans.set(meta.file, { meta, rebuilt: true, fields: { ...fields } });
    return { kind: 'meta', file: meta.file, set: fields };
  }

  /** Plan a change of some fields of a meta.yaml (on top of any rebuild or earlier edit). */
  set(meta: MetaRead, fields: Record<string, DumpValue | undefined>): Edit {
    const plan = this.metaPlans.get(meta.file) ?? { meta, rebuilt: false, fields: {} };
    Object.assign(plan.fields, fields);
    this.metaPlans.set(meta.file, plan);
    return { kind: 'meta', file: meta.file, set: fields };
  }

  /** The map a meta.yaml will hold after the planned edits (undefined when broken and not rebuilt). */
  effective(meta: MetaRead): YamlMap | undefined {
    const plan = this.metaPlans.get(meta.file);
    if (!plan) return meta.map;
    const base: YamlMap = plan.rebuilt ? {} : { ...(meta.map ?? {}) };
    for (const [k, v] of Object.entries(plan.fields)) {
      if (v === undefined) delete base[k];
      else base[k] = v as YamlValue;
    }
    return base;
  }

  /** Planned meta.yaml contents by file: the map to dump (parsed + edits, or rebuilt). */
  plannedMetas(): { meta: MetaRead; map: Record<string, DumpValue> }[] {
    const out: { meta: MetaRead; map: Record<string, DumpValue> }[] = [];
    for (const plan of this.metaPlans.values()) {
      out.push({ meta: plan.meta, map: this.effective(plan.meta) as Record<string, DumpValue> });
    }
    return out;
  }
}

export { yamlString as str } from '../store/file/yaml-values.js';

/** An integer field (ms timestamps) as the doctor computes with it: a double; undefined when not an integer. */
export function int(v: YamlValue | undefined): number | undefined {
  const x = yamlInt64(v);
  return x === undefined ? undefined : Number(x);
}
