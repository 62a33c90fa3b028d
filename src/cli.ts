/**
 * Entry point of the `mlr` binary: runs the CLI on this process's arguments, streams and
 * signals (src/cli/main.ts) and exits with its code. `mlr __complete`, which a shell runs on
 * every TAB, is answered first without loading the CLI (src/cli/complete-store.ts).
 */

// `mlr … | head` closes our stdout early: leave quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const argv = process.argv.slice(2);
const completed = argv[0] === '__complete' ? await (await import('./cli/complete-store.js')).completeFromBuild(argv, process.env, process.cwd()) : undefined;
if (completed !== undefined) process.stdout.write(completed);
else {
  const [{ processIO }, { runCli }] = await Promise.all([import('./cli/io.js'), import('./cli/main.js')]);
  process.exitCode = await runCli(processIO());
}
