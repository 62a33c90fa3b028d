/**
 * Sweep grids (flags and files) and the pool that runs at most N at a time.
 */
import { describe, expect, it } from 'vitest';
import { combineSweeps, comboName, expandSweep, parseSweepFile, parseSweepFlag, runPool, substituteArgs, unusedSweepKeys } from '../../src/commands/sweep.js';

const names = (spec: Parameters<typeof expandSweep>[0]) => expandSweep(spec).map(comboName);

describe('grids', () => {
  it('expands flags as a cartesian product, the last axis fastest', () => {
    const spec = combineSweeps([parseSweepFlag('lr=0.1,0.01,0.001'), parseSweepFlag('bs=16,32')], undefined);
    expect(names(spec)).toEqual(['lr=0.1,bs=16', 'lr=0.1,bs=32', 'lr=0.01,bs=16', 'lr=0.01,bs=32', 'lr=0.001,bs=16', 'lr=0.001,bs=32']);
  });

  it('reads a sweep file: grid and runs, values as written', () => {
    const file = parseSweepFile("grid:\n  lr: [0.10, 1e-3]\n  opt: adam\nruns:\n  - {lr: 0.5, opt: 'sgd, momentum'}\n", 'g.yaml');
    expect(names(file)).toEqual(['lr=0.10,opt=adam', 'lr=1e-3,opt=adam', 'lr=0.5,opt=sgd, momentum']);
  });

  it('reads a bare mapping as a grid and a bare list as runs', () => {
    expect(names(parseSweepFile('a: [1, 2]\n', 'g'))).toEqual(['a=1', 'a=2']);
    expect(names(parseSweepFile('- {a: 1, b: x}\n- {a: 2}\n', 'g'))).toEqual(['a=1,b=x', 'a=2']);
  });

  it('adds --sweep axes to the file grid', () => {
    const spec = combineSweeps([parseSweepFlag('seed=1,2')], parseSweepFile('grid: {lr: [1]}\n', 'g'));
    expect(names(spec)).toEqual(['lr=1,seed=1', 'lr=1,seed=2']);
  });

  it.each([
    [() => parseSweepFlag('lr'), "expected --sweep key=value1,value2,…, got 'lr'"],
    [() => parseSweepFlag('lr=1,,2'), "--sweep lr: empty value in '1,,2' (a value with a comma needs a --sweep-file)"],
    [() => combineSweeps([parseSweepFlag('a=1'), parseSweepFlag('a=2')], undefined), "sweep parameter 'a' is given twice"],
    [() => parseSweepFile('grid:\n  a: []\n', 'g.yaml'), 'g.yaml:2: grid a: the list of values is empty'],
    [() => parseSweepFile('grid:\n  a: [1, [2]]\n', 'g.yaml'), 'g.yaml:2: grid a: expected a value (a number or a string)'],
    [() => parseSweepFile('runs:\n  - 1\n', 'g.yaml'), 'g.yaml:2: runs: each entry must be a mapping {param: value, …}'],
    [() => parseSweepFile('a: [1\n', 'g.yaml'), /^g\.yaml:\d+: not valid YAML: /],
    [() => parseSweepFile('a: 1\na: 2\n', 'g.yaml'), /^g\.yaml:2: not valid YAML: Map keys must be unique/],
    [() => expandSweep({ axes: [], runs: [] }), 'the sweep has no runs'],
    [
      () =>
        expandSweep({
          axes: [
            { key: 'a', values: Array.from({ length: 101 }, String) },
            { key: 'b', values: Array.from({ length: 100 }, String) },
          ],
          runs: [],
        }),
      'the sweep has 10100 runs; at most 10000 are allowed',
    ],
  ])('refuses %#', (fn, message) => expect(fn).toThrow(message));
});

describe('commands', () => {
  it('fills {key} in each argument and leaves other braces alone', () => {
    expect(
      substituteArgs(
        ['train', '--lr={lr}', '{"a": 1}', '{bs}{bs}', '{nope}'],
        [
          { key: 'lr', value: '0.1' },
          { key: 'bs', value: '8' },
        ],
      ),
    ).toEqual(['train', '--lr=0.1', '{"a": 1}', '88', '{nope}']);
  });
  it('finds swept keys the command never uses', () => {
    expect(unusedSweepKeys(['x', '--lr', '{lr}'], ['lr', 'bs'])).toEqual(['bs']);
  });
});

describe('runPool', () => {
  it.each([1, 2, 4])('runs at most %i at once, in order', async (limit) => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const out = await runPool(
      7,
      limit,
      async (i) => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return i * 10;
      },
      () => false,
    );
    expect(most).toBe(Math.min(limit, 7));
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60].map((value) => ({ value })));
  });

  it('starts nothing new once stopped; unstarted entries are undefined', async () => {
    let stop = false;
    const out = await runPool(
      5,
      2,
      async (i) => {
        if (i === 1) stop = true;
        return i;
      },
      () => stop,
    );
    expect(out).toEqual([{ value: 0 }, { value: 1 }, undefined, undefined, undefined]);
  });
});
