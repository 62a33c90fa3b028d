/**
 * Cleanups for the end of the current test file: test/setup.ts (a vitest setup file, run
 * for every test file) calls them after the file's own afterAll hooks. For what outlives one
 * test: a folder made in beforeAll, a helper process serving the whole file.
 */
const pending: (() => void | Promise<void>)[] = [];

/** Run `fn` when the current test file has finished (cleanups run last-registered first). */
export function onFileFinished(fn: () => void | Promise<void>): void {
  pending.push(fn);
}

/** Run and forget every cleanup registered so far (test/setup.ts, after each file). */
export async function runFileCleanups(): Promise<void> {
  for (const fn of pending.splice(0).reverse()) await fn();
}
