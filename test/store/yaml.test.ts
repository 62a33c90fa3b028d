import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml, resolvePlain } from '../../src/store/file/yaml.js';
import { FIXTURE } from '../helpers.js';

describe('resolvePlain: PyYAML YAML 1.1 resolution of plain scalars', () => {
  it.each<[string, unknown]>([
    ['', null],
    ['~', null],
    ['null', null],
    ['Null', null],
    ['NULL', null],
    ['yes', true],
    ['No', false],
    ['ON', true],
    ['off', false],
    ['True', true],
    ['y', 'y'], // PyYAML does not resolve y/n (the yaml package's 1.1 schema does)
    ['n', 'n'],
    ['0', 0],
    ['123', 123],
    ['-1', -1],
    ['+7', 7],
    ['1_000', 1000],
    ['0x1F', 31],
    ['017', 15],
    ['0b101', 5],
    ['1:20', 80],
    ['1.5', 1.5],
    ['1.0e+5', 100000],
    ['1e5', '1e5'], // not a float in YAML 1.1: no dot
    ['1.5e3', '1.5e3'], // exponent needs a sign in YAML 1.1
    ['.5', 0.5],
    ['.inf', Infinity],
    ['-.Inf', -Infinity],
    ['0o17', '0o17'],
    ['2024-01-01', '2024-01-01'],
    ['a:b', 'a:b'],
    ['run 7', 'run 7'],
  ])('%j → %j', (s, v) => {
    expect(resolvePlain(s)).toEqual(v);
  });

  it('keeps every digit of ids beyond 2^53', () => {
    expect(resolvePlain('786088298537458258')).toBe(786088298537458258n);
  });
});

describe('parseYaml', () => {
  it('reads a run meta.yaml as MLflow wrote it', () => {
    const text = fs.readFileSync(path.join(FIXTURE, '0', 'ed84e72c3ad1485d9d289d0c96a2883d', 'meta.yaml'), 'utf8');
    const { value, errors } = parseYaml(text);
    expect(errors).toEqual([]);
    expect(value).toMatchObject({
      entry_point_name: '',
      experiment_id: '0',
      lifecycle_stage: 'active',
      run_id: 'ed84e72c3ad1485d9d289d0c96a2883d',
      source_type: 4,
      status: 3,
      tags: [],
      user_id: 'unknown',
    });
  });

  it.each<[string, unknown]>([
    ["name: '0'\n", { name: '0' }],
    ["name: 'it''s'\n", { name: "it's" }],
    ['name: yes\n', { name: true }],
    ['name: 1e5\n', { name: '1e5' }],
    ["name: 'desc\n\n  line2'\n", { name: 'desc\nline2' }],
    ['name: "a\\tb"\n', { name: 'a\tb' }],
    ['tags:\n  owner: ana\n', { tags: { owner: 'ana' } }],
    ['aliases:\n- champion\n', { aliases: ['champion'] }],
    ['end_time: null\n', { end_time: null }],
    ['name: some long name that\n  wraps onto a second line\n', { name: 'some long name that wraps onto a second line' }],
    ['experiment_id: 12\n', { experiment_id: 12 }],
    ['', null],
  ])('%j', (text, value) => {
    const r = parseYaml(text);
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual(value);
  });

  it('returns errors, never throws, for conflict markers and garbage', () => {
    const conflict = 'name: a\n<<<<<<< HEAD\nlifecycle_stage: active\n=======\nlifecycle_stage: deleted\n>>>>>>> x\n';
    expect(parseYaml(conflict).value).toBeUndefined();
    expect(parseYaml(conflict).errors.length).toBeGreaterThan(0);
    expect(parseYaml('a: [1, 2\n').errors.length).toBeGreaterThan(0);
    expect(parseYaml('\tname: x\n').errors.length).toBeGreaterThan(0);
  });

  it('parses every meta.yaml of the fixture store', () => {
    const walk = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name === 'meta.yaml' ? [path.join(d, e.name)] : []));
    const files = walk(FIXTURE);
    expect(files.length).toBeGreaterThan(70);
    for (const f of files) expect(parseYaml(fs.readFileSync(f, 'utf8')).errors, f).toEqual([]);
  });
});
