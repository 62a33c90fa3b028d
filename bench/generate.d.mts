// Types for bench/generate.mjs (plain ESM so it runs without a build), used by its test.

export declare const GENERATOR_VERSION: number;
export declare const PARAM_KEYS: string[];
export declare const TAG_KEYS: string[];
export declare const METRIC_KEYS: string[];
export declare const HISTORY_METRIC: string;

export interface Rng {
  u32(): number;
  next(): number;
  int(n: number): number;
  pick<T>(list: readonly T[]): T;
  hex(chars: number): string;
}
export declare function createRng(seed: number): Rng;
export declare function pyRepr(x: number): string;

export interface RunsManifest {
  generatorVersion: number;
  kind: 'runs';
  options: { runs: number; experiments: number; steps: number; seed: number; artifactRoot: string };
  layout: { params: string[]; tags: string[]; metrics: string[] };
  experiments: { id: string; name: string }[];
  runs: [experimentId: string, runId: string, active: boolean][];
  expected: { activeRuns: number; orderByValLoss: string[]; filtered: string[]; filteredCount: number; bestValLoss: string | null };
}
export interface HistoryManifest {
  generatorVersion: number;
  kind: 'history';
  options: { points: number; referencePoints: number; seed: number; artifactRoot: string };
  experiments: { id: string; name: string }[];
  metric: string;
  historyRuns: { experimentId: string; id: string; points: number }[];
}
type Progress = (done: number, total: number) => void;
export declare function generateStore(opts: {
  out: string;
  runs: number;
  experiments?: number;
  steps?: number;
  seed?: number;
  artifactRoot?: string;
  concurrency?: number;
  onProgress?: Progress;
}): Promise<RunsManifest>;
export declare function generateHistoryStore(opts: {
  out: string;
  points?: number;
  referencePoints?: number;
  seed?: number;
  artifactRoot?: string;
  onProgress?: Progress;
}): Promise<HistoryManifest>;
