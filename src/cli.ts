/**
 * Entry point: builds the program for this command line and runs it; errors become one
 * stderr line and an exit code here and only here.
 */
import { CommanderError } from 'commander';
import { MlrError } from './errors.js';
import { buildProgram, groupsFor } from './program.js';

function fail(message: string, code: number): never {
  process.stderr.write(`mlr: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  // `mlr … | head` closes our stdout early: leave quietly
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = await buildProgram(groupsFor(argv));
  try {
    // colour decided once: only then is chalk loaded
    const { colorFlag } = await import('./cli/context.js');
    const { useChalk, wantsColor } = await import('./render/output.js');
    if (wantsColor({ isTTY: Boolean(process.stdout.isTTY), env: process.env, colorFlag: colorFlag() })) {
      useChalk((await import('chalk')).Chalk);
    }
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      if (e.code === 'commander.executeSubCommandAsync') process.exit(e.exitCode);
      // commander already printed its message
      process.exit(2);
    }
    if (e instanceof MlrError) fail(e.message, e.exitCode);
    const err = e as Error;
    process.stderr.write(`mlr: internal error: ${err?.message ?? String(e)}\n${err?.stack ?? ''}\nThis is a bug in mlr; please report it with the command you ran.\n`);
    process.exit(1);
  }
}

await main(process.argv);
