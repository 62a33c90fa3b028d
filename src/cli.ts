/**
 * Entry point: commander wiring only. Each command group registers itself from
 * src/cli/<area>.ts; errors become one stderr line and an exit code here and only here.
 */
import { Command, CommanderError } from 'commander';
import { MlrError } from './errors.js';
import { registerRead } from './cli/read.js';
import { registerWrite } from './cli/write.js';
import { registerSearch } from './cli/search.js';
import { registerCharts } from './cli/charts.js';
import { registerModels } from './cli/models.js';
import { registerArtifacts } from './cli/artifacts.js';
import { registerHousekeeping } from './cli/housekeeping.js';
import { registerDoctor } from './cli/doctor.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mlr')
    .description("Fast reader and writer for MLflow's file store (mlruns/), no Python, no server")
    .version(VERSION, '-V, --version')
    .option('--tracking-uri <uri>', 'store path or file: URI (default: $MLFLOW_TRACKING_URI, then ./mlruns)')
    .option('--store <uri>', 'alias of --tracking-uri')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (also NO_COLOR=1)')
    .option('-v, --verbose', 'more detail on stderr (skipped stray folders, resolved paths)')
    .option('-q, --quiet', 'no warnings on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const output = {
    outputError: (str: string, write: (s: string) => void) => write(str.replace(/^error: /, 'mlr: ')),
  };
  program.configureOutput(output);
  registerRead(program);
  registerWrite(program);
  registerSearch(program);
  registerCharts(program);
  registerModels(program);
  registerArtifacts(program);
  registerHousekeeping(program);
  registerDoctor(program);
  program.commands.forEach(function override(c: Command): void {
    c.exitOverride();
    c.configureOutput(output);
    c.commands.forEach(override);
  });
  return program;
}

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
  const program = buildProgram();
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
