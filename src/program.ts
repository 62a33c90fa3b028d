/**
 * The commander program: global options, and the command groups of src/cli/<area>.ts,
 * each imported only when the command line needs it.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * The command groups, in the order they register (which is the order `--help` lists
 * commands in). Each is imported only when needed: a start-up of `mlr log-metric` loads the
 * write group and nothing else, which is most of what a call from a shell loop costs.
 */
const GROUPS: Record<string, () => Promise<Register>> = {
  read: async () => (await import('./cli/read.js')).registerRead,
  write: async () => (await import('./cli/write.js')).registerWrite,
  search: async () => (await import('./cli/search.js')).registerSearch,
  charts: async () => (await import('./cli/charts.js')).registerCharts,
  models: async () => (await import('./cli/models.js')).registerModels,
  artifacts: async () => (await import('./cli/artifacts.js')).registerArtifacts,
  housekeeping: async () => (await import('./cli/housekeeping.js')).registerHousekeeping,
  doctor: async () => (await import('./cli/doctor.js')).registerDoctor,
  server: async () => (await import('./cli/server.js')).registerServer,
  setup: async () => (await import('./cli/setup.js')).registerSetup,
  sync: async () => (await import('./cli/sync.js')).registerSync,
  migrate: async () => (await import('./cli/migrate.js')).registerMigrate,
};
const ALL_GROUPS = Object.keys(GROUPS);

/** Which groups define (part of) each top-level command; test/cli/groups.test.ts keeps it true. */
export const COMMAND_GROUPS: Record<string, readonly string[]> = {
  experiments: ['read', 'write'],
  exp: ['read', 'write'],
  runs: ['read', 'write', 'search', 'housekeeping'],
  metrics: ['read'],
  plot: ['charts'],
  models: ['models'],
  artifacts: ['artifacts'],
  trash: ['housekeeping'],
  gc: ['housekeeping'],
  doctor: ['doctor'],
  'log-metric': ['write'],
  'log-metrics': ['write'],
  'log-param': ['write'],
  'log-params': ['write'],
  'set-tag': ['write'],
  'delete-tag': ['write'],
  'log-batch': ['write'],
  'log-artifact': ['write'],
  run: ['write'],
  server: ['server'],
  config: ['setup'],
  sync: ['sync'],
  ui: ['server'],
  completion: ['setup'],
  // completion walks every command's flags and arguments
  __complete: ALL_GROUPS,
  migrate: ['migrate'],
};

/** Global options that take a value (the token after them is not the command). */
const VALUE_OPTIONS = new Set(['--tracking-uri', '--store']);

/** The groups `argv` needs: those of its command, or all of them (help, unknown, none). */
export function groupsFor(argv: readonly string[]): readonly string[] {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    if (arg === '__complete') return completionGroups(argv.slice(i + 1));
    return COMMAND_GROUPS[arg] ?? ALL_GROUPS;
  }
  // `mlr --version` needs no command at all; `mlr`, `mlr --help` list them all
  const flags = argv.slice(2);
  if ((flags.includes('--version') || flags.includes('-V')) && !flags.includes('--help') && !flags.includes('-h')) return [];
  return ALL_GROUPS;
}

/**
 * `mlr __complete -- <words…>`: the groups of the command being completed (its word is
 * complete, not the last), so a completion loads no more than that command would; all of
 * them while the command itself is being typed.
 */
function completionGroups(words: readonly string[]): readonly string[] {
  const rest = words[0] === '--' ? words.slice(1) : words;
  for (let i = 0; i < rest.length - 1; i++) {
    const w = rest[i]!;
    if (w.startsWith('-')) {
      if (VALUE_OPTIONS.has(w)) i++;
      continue;
    }
    const groups = COMMAND_GROUPS[w];
    return groups && w !== '__complete' ? [...new Set([...groups, 'setup'])] : ALL_GROUPS;
  }
  return ALL_GROUPS;
}

export const VERSION = '0.1.0';

export async function buildProgram(groups: readonly string[] = ALL_GROUPS): Promise<Command> {
  const program = new Command();
  program
    .name('mlr')
    .description("Fast reader and writer for MLflow's file store (mlruns/), no Python, no server")
    .version(VERSION, '-V, --version')
    .option('--tracking-uri <uri>', 'store: a path, file: or sqlite: URI, or an http(s):// tracking server (default: $MLFLOW_TRACKING_URI, then ./mlruns)')
    .option('--store <uri>', 'alias of --tracking-uri')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (also NO_COLOR=1)')
    .option('-v, --verbose', 'more detail on stderr (skipped stray folders, resolved paths)')
    .option('-q, --quiet', 'no warnings on stderr')
    .option('--no-pager', 'never page long output on a terminal (also MLR_PAGER= ; default pager: $PAGER, else less -FRX)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const registers = await Promise.all(ALL_GROUPS.filter((g) => groups.includes(g)).map((g) => GROUPS[g]!()));
  for (const register of registers) register(program);
  program.commands.forEach(function override(c: Command): void {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}
