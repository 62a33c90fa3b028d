/**
 * Entry point of the `mlr` binary: runs the CLI on this process's arguments, streams and
 * signals (src/cli/main.ts) and exits with its code.
 */
import { processIO } from './cli/io.js';
import { runCli } from './cli/main.js';

// `mlr … | head` closes our stdout early: leave quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await runCli(processIO());
