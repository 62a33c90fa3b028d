/**
 * `mlr run`'s wiring: argv → RunMainOptions. `--` decides the form; -e means the entry
 * point without it and the experiment with it.
 */
import { describe, expect, it } from 'vitest';
import { runMainOptions, type RunFlags } from '../../src/cli/run-args.js';

/** `argv` holds only positionals and `--` here (flags are given as commander parsed them), and commander's positionals drop the first `--`. */
const parse = (argv: string[], flags: RunFlags) =>
  runMainOptions(
    argv.filter((_, i) => i !== argv.indexOf('--')),
    argv,
    flags,
  );

describe('runMainOptions', () => {
  it('without --: a project folder, -e the entry point (main by default)', () => {
    expect(parse(['proj'], { e: 'train', param: ['lr=1'] })).toEqual({ projectDir: 'proj', entryPoint: 'train', params: ['lr=1'], tags: [], dryRun: false });
    expect(parse([], {})).toEqual({ entryPoint: 'main', params: [], tags: [], dryRun: false });
    expect(parse([], { entryPoint: 'x', experimentName: 'e', runName: 'r', dryRun: true })).toMatchObject({
      entryPoint: 'x',
      experimentName: 'e',
      runName: 'r',
      dryRun: true,
    });
  });

  it('with --: the command, -e the experiment', () => {
    expect(parse(['--', 'python', 'train.py', '-e', 'x'], { e: 'exp', name: 'n' })).toEqual({
      command: ['python', 'train.py', '-e', 'x'],
      experiment: 'exp',
      runName: 'n',
      params: [],
      tags: [],
      dryRun: false,
    });
    expect(parse(['--'], {})).toMatchObject({ command: [] });
  });

  it.each([
    [['proj', '--', 'x'], {}, "a project folder ('proj') is for MLproject runs, without --: mlr run [options] [project-dir]"],
    [['--', 'x'], { entryPoint: 'a' }, '--entry-point is for MLproject runs, without --'],
    [['--', 'x'], { e: 'a', experiment: 'b' }, 'give the experiment once: -e or --experiment'],
    [['python', 'train.py'], {}, 'put the command after --: mlr run [options] -- <command> [args…] (without --, mlr run takes one MLproject folder)'],
    [[], { e: 'a', entryPoint: 'b' }, 'give the entry point once: -e or --entry-point'],
    [[], { name: 'a', runName: 'b' }, 'give the run name once: --name or --run-name'],
    [[], { jobs: 2 }, '-j/--jobs is for sweeps (--sweep or --sweep-file)'],
  ] as [string[], RunFlags, string][])('refuses %j %j', (argv, flags, message) => {
    expect(() => parse(argv, flags)).toThrow(message);
  });
});
