/**
 * The filter AST: plain data, positions are `[start, end)` offsets into the filter text.
 */

/** Canonical entity names, as MLflow calls them after resolving aliases. */
export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/**
 * How an `IN` / `NOT IN` list is matched.
 * - `mlflow`: MLflow's rule for `run_id` and `datasets.*`: list items that are not entirely
 *   lower case (Python `str.islower()`) are dropped first (spec §4.2).
 * - `plain`: exact membership; the mlr extension for params, tags and string attributes.
 */
type ListMode = 'mlflow' | 'plain';

export interface CompareNode {
  type: 'compare';
  entity: Entity;
  /** the key, unquoted; attribute aliases resolved (`created` → `start_time`) */
  key: string;
  op: Comparator;
  /** metric and numeric attribute: number; string comparisons: string; IN lists: string[] */
  value: number | string | string[];
  listMode?: ListMode;
  /** the whole clause */
  pos: [number, number];
}

interface AndNode {
  type: 'and';
  items: FilterNode[];
  pos: [number, number];
}

/** mlr extension: MLflow has no OR. */
interface OrNode {
  type: 'or';
  items: FilterNode[];
  pos: [number, number];
}

export type FilterNode = CompareNode | AndNode | OrNode;

/** One `--order-by` clause, parsed. */
export interface OrderKey {
  entity: 'metric' | 'param' | 'tag' | 'attribute';
  /** attribute aliases resolved (`created` → `start_time`) */
  key: string;
  ascending: boolean;
  /** the clause as given */
  source: string;
}

/** String attributes MLflow can filter on (numeric ones are in NUMERIC_ATTRIBUTES). */
const STRING_ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri'] as const;
/** Numeric attributes, with their aliases. */
export const NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time', 'created', 'Created']);
/** Every attribute key a filter accepts (spec §3), aliases included. */
export const SEARCHABLE_ATTRIBUTES = new Set<string>([
  ...STRING_ATTRIBUTES,
  'start_time',
  'end_time',
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
]);
/** Every attribute key an order-by accepts (spec §5.1): no `run name` aliases here. */
export const ORDERABLE_ATTRIBUTES = new Set<string>([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
]);
export const DATASET_KEYS = new Set(['name', 'digest', 'context']);

/** MLflow's `translate_key_alias`. */
export function canonicalAttribute(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

const ENTITY_WORDS: Record<string, Entity> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'param',
  parameters: 'param',
  param: 'param',
  params: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** The entity an (already backtick-trimmed) entity word names, or undefined. Case-sensitive. */
export function entityOf(word: string): Entity | undefined {
  return Object.hasOwn(ENTITY_WORDS, word) ? ENTITY_WORDS[word] : undefined;
}

/** MLflow's name for an entity in messages ("parameter", not "param"). */
export function entityLabel(e: Entity): string {
  return e === 'param' ? 'parameter' : e;
}

/** The prefix users write for an entity in examples. */
export function entityPrefix(e: Entity): string {
  return e === 'metric' ? 'metrics' : e === 'param' ? 'params' : e === 'tag' ? 'tags' : e === 'dataset' ? 'datasets' : 'attributes';
}
