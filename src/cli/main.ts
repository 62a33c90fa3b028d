/**
 * One invocation of the CLI, in-process: builds the program for the arguments, runs it
 * against the given streams and returns the exit code. Errors become one stderr line and
 * an exit code here and only here; nothing below calls `process.exit`.
 */
import { Command, CommanderError } from 'commander';
import { MlrError } from '../errors.js';
import { buildProgram, groupsFor } from '../program.js';
import type { CliIO } from './io.js';

/** Per-invocation state reachable from any commander command of the invocation. */
export interface Invocation {
  readonly io: CliIO;
  /** the exit code a command asked for (doctor's 3, `mlr run`'s child's code) */
  exitCode: number;
  /** run when the invocation ends, whatever happened (closing the backend's connections) */
  cleanups: (() => Promise<void>)[];
}

const INVOCATIONS = new WeakMap<Command, Invocation>();

/** The invocation a command belongs to (commander commands form a tree under the program). */
export function invocationOf(cmd: Command): Invocation {
  let c: Command = cmd;
  while (c.parent) c = c.parent;
  const inv = INVOCATIONS.get(c);
  if (!inv) throw new Error('command is not part of a CLI invocation');
  return inv;
}

/** --color / --no-color from argv (commander's negatable pair cannot tell "neither"). */
export function colorFlag(argv: readonly string[]): boolean | undefined {
  let v: boolean | undefined;
  for (const a of argv) {
    if (a === '--') break;
    if (a === '--color') v = true;
    else if (a === '--no-color') v = false;
  }
  return v;
}

/** Flags other CLIs have, and what mlr calls them (issue 11: a guess gets a pointer, not only "unknown"). */
const OPTION_HINTS: Record<string, string> = {
  '--json': '--format json',
  '--csv': '--format csv',
  '--sort-by': '--order-by',
  '--sort': '--order-by',
  '--limit': '--max-results',
};

/** commander's "unknown option 'x'" message, with "did you mean" for the flags of OPTION_HINTS. */
function hintOptions(message: string): string {
  const m = /^mlr: unknown option '([^']+)'\n/.exec(message);
  const hint = m ? OPTION_HINTS[m[1]!.split('=')[0]!] : undefined;
  if (!m || hint === undefined || message.includes('Did you mean')) return message;
  return message.replace(/\n/, `\n(Did you mean ${hint}?)\n`);
}

/** Run `mlr <io.argv>`; resolves to the exit code (never rejects, never exits the process). */
export async function runCli(io: CliIO): Promise<number> {
  const write = (s: string): void => {
    io.stderr.write(s);
  };
  const fail = (message: string, code: number): number => {
    write(`mlr: ${message}\n`);
    return code;
  };
  // groupsFor expects node's argv shape
  const program = await buildProgram(groupsFor(['node', 'mlr', ...io.argv]));
  const output = {
    writeOut: (s: string) => {
      io.stdout.write(s);
    },
    writeErr: write,
    outputError: (str: string, w: (s: string) => void) => w(hintOptions(str.replace(/^error: /, 'mlr: '))),
    getOutHelpWidth: () => io.stdout.columns ?? 80,
    getErrHelpWidth: () => io.stderr.columns ?? 80,
  };
  program.configureOutput(output);
  program.commands.forEach(function configure(c: Command): void {
    c.configureOutput(output);
    c.commands.forEach(configure);
  });
  const inv: Invocation = { io, exitCode: 0, cleanups: [] };
  INVOCATIONS.set(program, inv);
  try {
    // colour decided once: only then is chalk loaded
    const { useChalk, wantsColor } = await import('../render/output.js');
    const color = wantsColor({ isTTY: Boolean(io.stdout.isTTY), env: io.env, colorFlag: colorFlag(io.argv) });
    useChalk(color ? (await import('chalk')).Chalk : undefined);
    await program.parseAsync([...io.argv], { from: 'user' });
    await closeAll(inv);
    return inv.exitCode;
  } catch (e) {
    await closeAll(inv).catch(() => {});
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      // commander already printed its message
      return 2;
    }
    if (e instanceof MlrError) return fail(e.message, e.exitCode);
    const err = e as Error;
    write(`mlr: internal error: ${err?.message ?? String(e)}\n${err?.stack ?? ''}\nThis is a bug in mlr; please report it with the command you ran.\n`);
    return 1;
  }
}

async function closeAll(inv: Invocation): Promise<void> {
  for (const c of inv.cleanups.splice(0)) await c();
}
