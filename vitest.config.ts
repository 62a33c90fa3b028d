import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The CLI runs in-process (test/helpers.ts), so a file needs no process of its own: threads
    // start faster than forks, nothing calls process.chdir, and the in-process CLI takes its
    // signals from an emitter, not the process. Without isolation a worker imports src/ once,
    // not once per file (about 35 of 165 s of CPU time here); test/setup.ts does the per-file
    // cleanup that isolation would have given.
    pool: 'threads',
    isolate: false,
    // vitest's default leaves a core idle (one worker on two cores)
    maxWorkers: os.availableParallelism(),
  },
});
