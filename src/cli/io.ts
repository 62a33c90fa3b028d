/**
 * What one invocation of the CLI talks to: its arguments, environment, working folder,
 * standard streams and signals. `bin/mlr.js` passes the process's own; tests pass strings
 * and buffers, so the whole CLI runs in-process (as `yaml`'s `cli(stdin, done, argv)`).
 */
import type { Readable, Writable } from 'node:stream';
import type { Backend } from '../store/backend.js';
import type { StoreLocation } from '../store/root.js';

/** A writable stream with what a terminal adds (both optional: absent means "not a TTY"). */
export type OutStream = Writable & { isTTY?: boolean; columns?: number; rows?: number };

export type SignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

interface Signals {
  on(sig: SignalName, handler: () => void): void;
  off(sig: SignalName, handler: () => void): void;
}

export interface CliIO {
  /** the user's arguments (no `node`, no script path) */
  argv: readonly string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdin: Readable & { isTTY?: boolean };
  stdout: OutStream;
  stderr: OutStream;
  signals: Signals;
  /** true when stdout/stderr are the process's own (child processes may inherit them) */
  inheritable: boolean;
  /** opens the backend a location names; the default picks by URI (src/store/open.ts). Tests pass their own. */
  openBackend?: (location: StoreLocation) => Promise<Backend>;
}

/** The process's own streams, environment and signals. */
export function processIO(): CliIO {
  return {
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    inheritable: true,
  };
}
