/**
 * Option parsers shared by commands: they throw commander's InvalidArgumentError, which
 * the entry point turns into a usage error (exit 2).
 */
import { InvalidArgumentError } from 'commander';
import type { ViewType } from '../store/types.js';

export function parseView(v: string): ViewType {
  const m: Record<string, ViewType> = {
    active: 'active',
    active_only: 'active',
    deleted: 'deleted',
    deleted_only: 'deleted',
    all: 'all',
  };
  const r = m[v.toLowerCase()];
  if (!r) throw new InvalidArgumentError('use active, deleted or all.');
  return r;
}

/** Spellings of a format that mean the same (issue 11: `--format id` and `ids` both work wherever one does). */
const FORMAT_ALIASES: Record<string, readonly string[]> = { id: ['ids'], ids: ['id'], md: ['markdown'] };

export function choice<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if ((values as readonly string[]).includes(v)) return v as T;
    const alias = values.find((x) => FORMAT_ALIASES[x]?.includes(v));
    if (alias !== undefined) return alias;
    throw new InvalidArgumentError(`use one of ${values.join(', ')}.`);
  };
}

export function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(v);
}

/** `--precision`: significant digits, 1 to 17 (17 round-trips any double). */
export function precisionInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 17) throw new InvalidArgumentError('expected a whole number from 1 to 17.');
  return Number(v);
}

/** `--max-results`: 1..50000, the most MLflow's file store returns at once. */
export function maxResults(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 50000) {
    throw new InvalidArgumentError('expected a whole number from 1 to 50000 (the most MLflow returns in one search).');
  }
  return Number(v);
}

/** Collect a repeatable option into an array. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
