// vitest setup file (vitest.config.ts setupFiles): run for every test file, whatever the pool
import { afterAll } from 'vitest';
import { runFileCleanups } from './file-cleanup.js';

// registered before the file's own hooks, so it runs after them
afterAll(runFileCleanups);
