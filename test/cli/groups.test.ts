/**
 * Start-up loads only the command groups a command line needs (src/program.ts). These tests
 * keep that invisible: every top-level command built from its groups alone is the same
 * command (subcommands, arguments, options, descriptions, help text) as in the full program,
 * and every command line that is not a known command gets the full program.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS, groupsFor } from '../../src/program.js';

/** Everything a user can see of a command, recursively. */
function shape(c: Command): unknown {
  return {
    name: c.name(),
    aliases: c.aliases(),
    description: c.description(),
    usage: c.usage(),
    arguments: c.registeredArguments.map((a) => [a.name(), a.required, a.variadic, a.description]),
    options: c.options.map((o) => [o.flags, o.description, o.defaultValue]),
    help: c.helpInformation(),
    commands: c.commands.map(shape),
  };
}

const argv = (...args: string[]) => ['node', 'mlr', ...args];

describe('command groups loaded at start-up', async () => {
  const full = await buildProgram();
  const topNames = full.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => n !== 'help');

  it('the table names every top-level command and alias, and nothing else', () => {
    expect(Object.keys(COMMAND_GROUPS).sort()).toEqual([...topNames].sort());
  });

  for (const name of Object.keys(COMMAND_GROUPS)) {
    it(`"${name}" built from its groups (${COMMAND_GROUPS[name]!.join(', ')}) equals the full program's`, async () => {
      const partial = await buildProgram(groupsFor(argv(name)));
      const find = (p: Command) => p.commands.find((c) => c.name() === name || c.aliases().includes(name));
      expect(find(partial)).toBeDefined();
      expect(shape(find(partial)!)).toEqual(shape(find(full)!));
    });
  }

  it('finds the command after global options, skipping the values of --store and --tracking-uri', () => {
    expect(groupsFor(argv('--store', 'runs', 'log-metric', 'x', '1'))).toEqual(['write']);
    expect(groupsFor(argv('--tracking-uri', 'doctor', '-q', '--no-color', 'plot'))).toEqual(['charts']);
    expect(groupsFor(argv('--store=/tmp/m', 'doctor'))).toEqual(['doctor']);
    expect(groupsFor(argv('-v', 'runs', 'ls'))).toEqual(['read', 'write', 'search', 'housekeeping']);
  });

  it('loads every group for help, no command, an unknown command or a misspelling', () => {
    const all = ['read', 'write', 'search', 'charts', 'models', 'artifacts', 'housekeeping', 'doctor', 'server', 'setup', 'sync', 'migrate'];
    for (const line of [
      argv(),
      argv('--help'),
      argv('help', 'runs'),
      argv('rnus', 'ls'),
      argv('--store', 'x'),
      argv('--', 'runs'),
      argv('--version', '--help'),
    ]) {
      expect(groupsFor(line), line.join(' ')).toEqual(all);
    }
  });

  it('loads no group for --version', async () => {
    expect(groupsFor(argv('--version'))).toEqual([]);
    expect(groupsFor(argv('--store', 'x', '-V'))).toEqual([]);
    expect((await buildProgram([])).commands).toEqual([]);
  });
});
