/**
 * The pure MLproject stages: parsing (PyYAML's types, Python's str()), entry point choice,
 * parameter resolution, shlex quoting and str.format substitution. The expected strs were
 * checked against PyYAML 6 and Python 3.11 (yaml.safe_load, str(), shlex.quote).
 */
import { describe, expect, it } from 'vitest';
import {
  findMLprojectFile,
  formatCommand,
  localPathOf,
  parseMLproject,
  resolveEntryPoint,
  selectEntryPoint,
  shellQuote,
  urlScheme,
} from '../../src/commands/mlproject.js';

const project = (params: string, command = 'echo {x}') => `entry_points:\n  main:\n    parameters:\n${params}\n    command: "${command}"\n`;
const defaultOf = (yaml: string): string | undefined => parseMLproject(project(`      x: {default: ${yaml}}`)).entryPoints[0]!.parameters[0]!.default;

describe('defaults are what Python str() makes of what PyYAML loads', () => {
  it.each([
    ['1000', '1000'],
    ['0.001', '0.001'],
    ['1.0', '1.0'],
    ['1.50', '1.5'],
    ['1e-3', '1e-3'], // a string in YAML 1.1: no dot
    ['1.0e-3', '0.001'],
    ['1.0e+20', '1e+20'],
    ['010', '8'], // YAML 1.1 octal
    ['0x1F', '31'],
    ['1_000', '1000'],
    ['1:30', '90'], // sexagesimal
    ['.inf', 'inf'],
    ['yes', 'True'],
    ['off', 'False'],
    ['"yes"', 'yes'],
    ['"[64, 32]"', '[64, 32]'],
    ['[64, 32]', '[64, 32]'],
    ['[a, 1.5, true, ~]', "['a', 1.5, True, None]"],
    ['{a: 1}', "{'a': 1}"],
    ['2020-01-02', '2020-01-02'],
    ['2020-01-02 03:04:05', '2020-01-02 03:04:05'],
    ['2020-01-02T03:04:05.25Z', '2020-01-02 03:04:05.250000+00:00'],
    ["''", ''],
    ['~', undefined], // None: no default, the parameter is required
  ])('%s → %s', (yaml, want) => expect(defaultOf(yaml)).toBe(want));
});

describe('parseMLproject', () => {
  it('reads name, entry points in order, parameter types and the env field', () => {
    const p = parseMLproject(
      'name: demo\nconda_env: conda.yaml\nentry_points:\n  b:\n    command: run b\n  a:\n    parameters:\n      x: float\n      y: {type: path, default: data}\n      z: {default: 3}\n    command: run {x} {y} {z}\n',
    );
    expect(p.name).toBe('demo');
    expect(p.env).toEqual({ field: 'conda_env', value: 'conda.yaml', line: 2 });
    expect(p.entryPoints.map((e) => e.name)).toEqual(['b', 'a']);
    expect(p.entryPoints[1]!.parameters).toEqual([
      { name: 'x', type: 'float', line: 8 },
      { name: 'y', type: 'path', default: 'data', line: 9 },
      { name: 'z', type: 'string', default: '3', line: 10 },
    ]);
    expect(p.warnings).toEqual([]);
  });

  it('takes an empty file as a project without entry points', () => {
    expect(parseMLproject('').entryPoints).toEqual([]);
    expect(parseMLproject('name: x\n').entryPoints).toEqual([]);
  });

  it('warns about a parameter type MLflow does not know (and passes it as a string)', () => {
    const p = parseMLproject(project('      x: {type: integer, default: 1}'), 'p/MLproject');
    expect(p.warnings).toEqual(["p/MLproject:4: entry point 'main', parameter 'x' has type 'integer', which MLflow does not know; it is passed as a string"]);
  });

  it.each([
    ['[1, 2]\n', 'MLproject:1: the file must be a mapping (name:, entry_points:, …)'],
    ['entry_points: []\n', 'MLproject:1: entry_points must be a mapping of entry point names to {parameters, command}'],
    ['entry_points:\n', 'MLproject:1: entry_points is empty: give each entry point a command'],
    ['entry_points:\n  main: echo hi\n', "MLproject:2: entry point 'main' must be a mapping with a command (and optional parameters)"],
    ['entry_points:\n  main:\n    command: 12\n', "MLproject:3: entry point 'main': command must be a string"],
    [
      'entry_points:\n  main:\n    parameters: [x]\n    command: a\n',
      "MLproject:3: entry point 'main': parameters must be a mapping of names to a type or {type, default}",
    ],
    [
      'entry_points:\n  main:\n    parameters:\n      x:\n    command: a\n',
      "MLproject:4: entry point 'main', parameter 'x' must be a type name or {type: …, default: …}",
    ],
    [
      'entry_points:\n  main:\n    parameters:\n      x: {type: [a]}\n    command: a\n',
      "MLproject:4: entry point 'main', parameter 'x': type must be a name (string, str, float, int, path, uri)",
    ],
    [
      'docker_env:\n  volumes: []\n',
      'MLproject:1: Project configuration (MLproject file) was invalid: Docker environment specified but no image attribute found.',
    ],
    ['a: 1\n\tb: 2\n', /^MLproject:2: not valid YAML: /],
  ])('refuses %j', (text, message) => {
    expect(() => parseMLproject(text)).toThrow(message);
  });
});

describe('findMLprojectFile', () => {
  it('finds it in any case, refuses two', () => {
    expect(findMLprojectFile(['src', 'MLProject'])).toBe('MLProject');
    expect(findMLprojectFile(['src'])).toBeUndefined();
    expect(() => findMLprojectFile(['MLproject', 'mlproject'])).toThrow('the project has 2 MLproject files (MLproject, mlproject); keep one');
  });
});

describe('selectEntryPoint', () => {
  const p = parseMLproject('entry_points:\n  main:\n    command: a\n');
  it('runs .py with python and .sh with $SHELL (else bash), quoted', () => {
    expect(selectEntryPoint(p, 'my script.py', undefined).command).toBe("python 'my script.py'");
    expect(selectEntryPoint(p, 'go.sh', '/bin/zsh').command).toBe('/bin/zsh go.sh');
    expect(selectEntryPoint(p, 'go.sh', undefined).command).toBe('bash go.sh');
  });
  it('lists the entry points there are', () => {
    expect(() => selectEntryPoint(p, 'train', undefined)).toThrow(
      "entry point 'train' not found in MLproject: it has main (a .py or .sh file in the project can be run as an entry point too)",
    );
  });
});

describe('shellQuote is Python shlex.quote', () => {
  it.each([
    ['', "''"],
    ['abc-1.5_x/y:z=w,v@%+', 'abc-1.5_x/y:z=w,v@%+'],
    ['[64, 32]', "'[64, 32]'"],
    ["it's", `'it'"'"'s'`],
    ['é', "'é'"], // \w is ASCII in shlex
    ['$HOME', "'$HOME'"],
  ])('%j → %s', (s, q) => expect(shellQuote(s)).toBe(q));
});

describe('formatCommand is str.format(**params)', () => {
  const v = new Map([
    ['a', '1'],
    ['b', "'x y'"],
  ]);
  it.each([
    ['run {a} {b}', "run 1 'x y'"],
    ['{{a}} {a}', '{a} 1'],
    ['{a!r}', "'1'"],
    ['json {{"k": {a}}}', 'json {"k": 1}'],
  ])('%s → %s', (t, out) => expect(formatCommand(t, v, 'main')).toBe(out));
  it.each([
    ['{c}', "the command of entry point 'main' uses {c}, which is not one of its parameters (a, b)"],
    ['{0}', "the command of entry point 'main' uses {0}: only {name} is supported"],
    ['{a.x}', "the command of entry point 'main' uses {a.x}: only {name} is supported"],
    ['{a:>5}', "the command of entry point 'main' uses {a:>5}: only {name} is supported"],
    ['a } b', "the command of entry point 'main' has a single '}' (write '}}' for a literal brace)"],
    ['a { b', "the command of entry point 'main' has a '{' that is not closed (write '{{' for a literal brace)"],
  ])('refuses %s', (t, message) => expect(() => formatCommand(t, v, 'main')).toThrow(message));
});

describe('resolveEntryPoint', () => {
  const entry = parseMLproject(
    project(
      '      lr: {type: float, default: 0.1}\n      data: {type: path, default: src}\n      out: {type: path, default: out}\n      u: {type: uri, default: "s3://b/k"}',
      'train {lr} {data} {out} {u}',
    ),
  ).entryPoints[0]!;
  const exists = (p: string) => ['/proj/src', '/proj/out', '/here/mine', '/abs dir'].includes(p);
  const resolve = (given: [string, string][]) =>
    resolveEntryPoint(entry, { given: given.map(([key, value]) => ({ key, value })), projectDir: '/proj', cwd: '/here', exists });

  it('logs values as given (quoted) and puts absolute paths in the command', () => {
    expect(resolve([])).toEqual({
      params: [
        { key: 'lr', value: '0.1' },
        { key: 'data', value: 'src' },
        { key: 'out', value: 'out' },
        { key: 'u', value: 's3://b/k' },
      ],
      command: 'train 0.1 /proj/src /proj/out s3://b/k',
    });
  });

  it('resolves a -P path against the working folder, a default against the project', () => {
    const r = resolve([
      ['data', 'mine'],
      ['out', 'file:///abs%20dir'],
    ]);
    expect(r.command).toBe("train 0.1 /here/mine '/abs dir' s3://b/k");
    expect(r.params.find((p) => p.key === 'out')!.value).toBe('file:///abs%20dir');
  });

  it('appends undeclared values as --key value, in the order given', () => {
    const r = resolve([
      ['z', '1'],
      ['lr', '2'],
      ['a', 'b c'],
    ]);
    expect(r.command).toBe("train 2 /proj/src /proj/out s3://b/k --z 1 --a 'b c'");
    expect(r.params.map((p) => p.key)).toEqual(['lr', 'data', 'out', 'u', 'z', 'a']);
  });

  it('refuses a path that is not there, a remote path, an empty path, a uri without scheme, a bad param key', () => {
    expect(() => resolve([['data', 'nope']])).toThrow('Got value nope for parameter data, but no such file or directory was found.');
    expect(() => resolve([['data', 'gs://b/x']])).toThrow("parameter data is a path, and mlr does not download 'gs://b/x'");
    expect(() => resolve([['data', '']])).toThrow('Got value  for parameter data');
    expect(() => resolve([['u', '/local']])).toThrow('Expected URI for parameter u but got /local');
    expect(() => resolve([['a:b', '1']])).toThrow("Invalid parameter name: 'a:b'");
  });
});

describe('URL helpers behave like urllib', () => {
  it.each([
    ['s3://b/k', 's3'],
    ['C:/x', 'c'],
    ['/abs', ''],
    ['1a:b', ''],
    ['rel/pa:th', ''],
  ])('urlScheme(%s) = %j', (s, want) => expect(urlScheme(s)).toBe(want));
  it.each([
    ['a%20b', 'a b'],
    ['file:///x/y', '/x/y'],
    ['file:rel', 'rel'],
    ['file://host/x', undefined],
    ['hdfs://x', undefined],
  ])('localPathOf(%s) = %j', (s, want) => expect(localPathOf(s)).toBe(want));
});
