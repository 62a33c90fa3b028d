import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpYaml, PyFloat, resolvesToNonString, type DumpValue } from '../../src/store/file/yaml-dump.js';
import { findFiles, HAVE_SHARED, haveOracle, oracleDump, parse11, prng, REPO, SHARED } from './helpers.js';

const k = (v: DumpValue) => dumpYaml({ k: v });

describe('dumpYaml: scalar quoting (PyYAML + libyaml, YAML 1.1 resolution)', () => {
  // [value, what follows "k:" up to the final newline]
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['0', "'0'"],
    ['123', "'123'"],
    ['786088298537458258', "'786088298537458258'"],
    ['yes', "'yes'"],
    ['on', "'on'"],
    ['OFF', "'OFF'"],
    ['null', "'null'"],
    ['Null', "'Null'"],
    ['~', "'~'"],
    ['True', "'True'"],
    ['2024-01-01', "'2024-01-01'"],
    ['2024-1-1 1:02:03', "'2024-1-1 1:02:03'"],
    ['0x1F', "'0x1F'"],
    ['0b101', "'0b101'"],
    ['1_000', "'1_000'"],
    ['-1', "'-1'"],
    ['+1', "'+1'"],
    ['1.', "'1.'"],
    ['1.5e+3', "'1.5e+3'"],
    ['.inf', "'.inf'"],
    ['-.inf', "'-.inf'"],
    ['.nan', "'.nan'"],
    ['1:20', "'1:20'"],
    ['1:20.5', "'1:20.5'"],
    ['=', "'='"],
    ['<<', "'<<'"],
    ['a: b', "'a: b'"],
    [': x', "': x'"],
    ['a #b', "'a #b'"],
    ['#hash', "'#hash'"],
    ['@x', "'@x'"],
    ['`x', "'`x'"],
    ['*x', "'*x'"],
    ['&x', "'&x'"],
    ['!x', "'!x'"],
    ['%x', "'%x'"],
    ['|x', "'|x'"],
    ['>x', "'>x'"],
    ['[x', "'[x'"],
    ['{x', "'{x'"],
    [',x', "',x'"],
    ['- x', "'- x'"],
    ['? x', "'? x'"],
    ['---', "'---'"],
    ['...x', "'...x'"],
    [' leading', "' leading'"],
    ['trailing ', "'trailing '"],
    ['', "''"],
    ['"q"', `'"q"'`],
    ["'q'", "'''q'''"],
    // YAML 1.1 leaves these alone even where 1.2 would not
    ['1e5', '1e5'],
    ['1.5e3', '1.5e3'],
    ['0o17', '0o17'],
    ['09', '09'],
    ['a:b', 'a:b'],
    ['a#b', 'a#b'],
    ['-x', '-x'],
    ['?x', '?x'],
    [':x', ':x'],
    ['x]', 'x]'],
    ['x,y', 'x,y'],
    ['.x', '.x'],
    ["it's", "it's"],
    ['a"b', 'a"b'],
    ['a\\b', 'a\\b'],
    ['é中文', 'é中文'],
    ['file:///home/ana/proj/mlruns/0', 'file:///home/ana/proj/mlruns/0'],
    // control characters, BOM and non-BMP: double-quoted with escapes
    ['a\tb', '"a\\tb"'],
    ['a\r\nb', '"a\\r\\nb"'],
    ['\uFEFFx', '"\\uFEFFx"'],
    ['a\u0085b', '"a\\Nb"'],
    ['bell\u0007', '"bell\\a"'],
    ['esc\u001b', '"esc\\e"'],
    ['nul\u0000', '"nul\\0"'],
    ['\u0001', '"\\x01"'],
    ['\uFFFE', '"\\uFFFE"'],
    ['emoji \u{1F600}', '"emoji \\U0001F600"'],
    // embedded newlines: single-quoted, an empty line per "\n", continuation indented 2
    ['desc\nline2', "'desc\n\n  line2'"],
    ['a\n\nb', "'a\n\n\n  b'"],
    ['x\n', "'x\n\n  '"],
    ['\nx', "'\n\n  x'"],
    ['yes\n', "'yes\n\n  '"],
    // a space next to a newline rules out single quotes
    ['a \nb', '"a \\nb"'],
    ['a\n b', '"a\\n b"'],
  ];
  it.each(cases)('%j', (value, expected) => {
    expect(k(value)).toBe(`k: ${expected}\n`);
  });

  it('knows which plain strings YAML 1.1 reads as something else', () => {
    for (const s of ['0', 'yes', 'No', 'on', 'null', '~', '', '1:20', '0x1F', '.5', '1.', '2024-01-01', '<<', '='])
      expect(resolvesToNonString(s), s).toBe(true);
    for (const s of ['1e5', '0o17', '09', 'y', 'n', 'a:b', 'nulls', 'Yes!', '1.5e3', '2024-01-01x']) expect(resolvesToNonString(s), s).toBe(false);
  });
});

describe('dumpYaml: structure', () => {
  it('writes an MLflow run meta.yaml', () => {
    const meta = {
      run_uuid: 'f91ef5a273b449ff94e93fd8f24811f0',
      artifact_uri: 'file:///home/ana/wc/mlruns/1536/f91ef5a273b449ff94e93fd8f24811f0/artifacts',
      end_time: null,
      entry_point_name: '',
      experiment_id: '1536',
      lifecycle_stage: 'active',
      run_id: 'f91ef5a273b449ff94e93fd8f24811f0',
      run_name: 'first',
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: 1795319543641,
      status: 1,
      tags: [],
      user_id: 'unknown',
      deleted_time: undefined,
    };
    expect(dumpYaml(meta)).toBe(
      [
        'artifact_uri: file:///home/ana/wc/mlruns/1536/f91ef5a273b449ff94e93fd8f24811f0/artifacts',
        'end_time: null',
        "entry_point_name: ''",
        "experiment_id: '1536'",
        'lifecycle_stage: active',
        'run_id: f91ef5a273b449ff94e93fd8f24811f0',
        'run_name: first',
        'run_uuid: f91ef5a273b449ff94e93fd8f24811f0',
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        'start_time: 1795319543641',
        'status: 1',
        'tags: []',
        'user_id: unknown',
        '',
      ].join('\n'),
    );
  });

  it('nests mappings by two spaces, does not indent sequences under a key, writes empty ones in flow style', () => {
    expect(dumpYaml({ tags: { owner: 'ana', 'mlflow.note.content': 'yes' }, aliases: ['prod', 'staging'], e: [], m: {} })).toBe(
      "aliases:\n- prod\n- staging\ne: []\nm: {}\ntags:\n  mlflow.note.content: 'yes'\n  owner: ana\n",
    );
    expect(dumpYaml({})).toBe('{}\n');
    expect(dumpYaml([[1, 2], { a: 1 }])).toBe('- - 1\n  - 2\n- a: 1\n');
  });

  it('sorts keys by code point as Python does', () => {
    expect(dumpYaml({ b: 1, a: 2, B: 3, '\u{1F600}': 4, '\uFF21': 5 })).toBe('B: 3\na: 2\nb: 1\n\uFF21: 5\n"\\U0001F600": 4\n');
  });

  it('writes ints, big ints, floats, booleans and null as PyYAML does', () => {
    expect(
      dumpYaml({
        i: 5,
        neg: -3,
        big: 123456789012345678901234567890n,
        f: 0.5,
        f5: new PyFloat(5),
        e: 1e-5,
        big_f: new PyFloat(1e17),
        nan: NaN,
        inf: Infinity,
        ninf: -Infinity,
        t: true,
        n: null,
      }),
    ).toBe(
      'big: 123456789012345678901234567890\nbig_f: 1.0e+17\ne: 1.0e-05\nf: 0.5\nf5: 5.0\ni: 5\ninf: .inf\nn: null\nnan: .nan\nneg: -3\nninf: -.inf\nt: true\n',
    );
  });

  it('uses a complex key (? …) for keys over 128 UTF-8 bytes or with line breaks', () => {
    expect(dumpYaml({ ['中'.repeat(42)]: 1 })).toBe(`${'中'.repeat(42)}: 1\n`);
    expect(dumpYaml({ ['中'.repeat(43)]: 1 })).toBe(`? ${'中'.repeat(43)}\n: 1\n`);
    expect(dumpYaml({ tags: { 'a\nb': 'v' } })).toBe("tags:\n  ? 'a\n\n    b'\n  : v\n");
  });
});

describe('dumpYaml: line wrapping at best_width 80', () => {
  const words = (n: number) => Array(n).fill('word').join(' ');
  it('wraps plain scalars at the first single space past column 80, continuation indented 2 deeper', () => {
    expect(dumpYaml({ description: words(20) })).toBe(
      'description: word word word word word word word word word word word word word word\n  word word word word word word\n',
    );
    expect(dumpYaml({ tags: { note: words(20) } })).toBe(
      'tags:\n  note: word word word word word word word word word word word word word word word\n    word word word word word\n',
    );
    expect(dumpYaml({ l: [words(20)] })).toBe('l:\n- word word word word word word word word word word word word word word word word\n  word word word word\n');
  });
  it('breaks only at a single space, never at a run of spaces', () => {
    const s = `${'x'.repeat(78)}  two spaces  yyyyy z`;
    expect(k(s)).toBe(`k: ${'x'.repeat(78)}  two\n  spaces  yyyyy z\n`);
  });
  it('never wraps strings without spaces (long URIs stay on one line)', () => {
    const s = 'file:///' + 'x'.repeat(200);
    expect(k(s)).toBe(`k: ${s}\n`);
  });
  it('wraps single-quoted and double-quoted scalars too', () => {
    expect(k('a: ' + words(20))).toBe("k: 'a: word word word word word word word word word word word word word word word\n  word word word word word'\n");
    expect(k('tab\t' + words(20))).toBe('k: "tab\\tword word word word word word word word word word word word word word word\n  word word word word word"\n');
  });
  it('escapes a space that would start a double-quoted continuation line', () => {
    const s = `\t${'x'.repeat(76)} ${' '.repeat(2)}y`;
    expect(k(s)).toBe(`k: "\\t${'x'.repeat(76)}\n  \\  y"\n`);
  });
});

describe('dumpYaml: round trip through a YAML 1.1 reader', () => {
  // U+2028/U+2029 are left out: libyaml writes them raw inside quotes and PyYAML (YAML 1.1)
  // reads them back as line breaks, but the `yaml` package (YAML 1.2) treats them as text
  // and keeps the indentation that follows. The differential test covers them.
  it('reads back every generated tricky string unchanged', () => {
    const rnd = prng(7);
    const atoms = [
      ...'ab :#-?,[]{}&*!|>\'"%@`\n.0123456789eE+_xyYnN~=\\/ ',
      'yes',
      'null',
      '0x1F',
      '1:20',
      '2024-01-01',
      '- ',
      ': ',
      ' #',
      '---',
      '...',
      'é',
      '中',
      '\u{1F600}',
      '\t',
      '\r',
      '\u00a0',
      '\uFEFF',
      '\u0085',
    ];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const len = Math.floor(rnd() * (rnd() < 0.2 ? 160 : 10));
      for (let j = 0; j < len; j++) s += atoms[Math.floor(rnd() * atoms.length)];
      const doc = { k: s, tags: { [s]: s }, l: [s] };
      expect(parse11(dumpYaml(doc)), JSON.stringify(s)).toEqual(doc);
    }
  });
});

describe.skipIf(!haveOracle())('dumpYaml: differential test against PyYAML CSafeDumper (python3 on PATH)', () => {
  it('matches PyYAML byte for byte on generated documents', () => {
    const rnd = prng(2026);
    const atoms = [
      ...'aaaabbbcc      :#-?,[]{}&*!|>\'"%@`\n.0123456789eE+_xyYnNtTfFoO~=<\\/',
      'yes',
      'null',
      'true',
      '0x1F',
      '1_000',
      '-1',
      '.inf',
      '1:20',
      '2024-01-01',
      'word',
      'a: b',
      ' #',
      '- x',
      '---',
      '...',
      'é',
      '中',
      '\u{1F600}',
      '\t',
      '\r',
      '\u00a0',
      '\uFEFF',
      '\u2028',
      '\u0085',
      '\u0000',
      '\u0007',
      '\uFFFE',
    ];
    const docs: DumpValue[] = [];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = Math.floor(rnd() * (rnd() < 0.4 ? 300 : 12));
      for (let j = 0; j < len; j++) s += atoms[Math.floor(rnd() * atoms.length)];
      docs.push({ k: s, tags: { [s]: 'v', deep: { x: s } }, l: [s, 1, null, []] });
    }
    docs.push({ a: new PyFloat(5), b: 0.5, c: 1e-5, d: new PyFloat(1e16), e: NaN, f: -Infinity, h: true, i: [], j: {} });
    const expected = oracleDump(docs);
    docs.forEach((d, i) => expect(dumpYaml(d), JSON.stringify(d)).toBe(expected[i]));
  });
});

describe.skipIf(!HAVE_SHARED)('dumpYaml: golden files written by MLflow 2.12 (../shared/conformance)', () => {
  const files = HAVE_SHARED ? findFiles(path.join(SHARED, 'conformance'), ['meta.yaml', 'trace_info.yaml']) : [];
  it('finds the conformance files', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  it.each(files.map((f) => [path.relative(SHARED, f), f]))('%s', (_rel, file) => {
    const text = readFileSync(file, 'utf8');
    expect(dumpYaml(parse11(text))).toBe(text);
  });
});

describe('dumpYaml: fixture store files', () => {
  it('reproduces every meta.yaml under fixtures/mlruns', () => {
    const files = findFiles(path.join(REPO, 'fixtures/mlruns'), ['meta.yaml', 'trace_info.yaml']);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(dumpYaml(parse11(text)), f).toBe(text);
    }
  });
});

describe.skipIf(!HAVE_SHARED)('dumpYaml: real-world corpus', () => {
  it('reproduces every meta.yaml and trace_info.yaml byte for byte (a failure lists the ones that differ, by reason)', () => {
    const root = path.join(SHARED, 'corpus/real');
    const files = findFiles(root, ['meta.yaml', 'trace_info.yaml']);
    const reasons = new Map<string, string[]>();
    let same = 0;
    for (const f of files) {
      let why: string;
      try {
        const text = readFileSync(f, 'utf8');
        if (text.trim() === '') why = 'empty file';
        else {
          const out = dumpYaml(parse11(text));
          if (out === text) {
            same++;
            continue;
          }
          const a = text.split('\n');
          const b = out.split('\n');
          const i = a.findIndex((line, j) => line !== b[j]);
          why = `line ${i + 1}: file ${JSON.stringify(a[i])} vs dump ${JSON.stringify(b[i])}`;
          if (/^\s*(\w+):/.test(a[i] ?? '') && !text.endsWith('\n')) why = 'no final newline';
        }
      } catch (e) {
        why = `unparseable: ${(e as Error).message.split('\n')[0]}`;
      }
      const key = why.replace(/"[^"]*"/g, '…');
      const list = reasons.get(key) ?? [];
      list.push(`${path.relative(root, f)} (${why})`);
      reasons.set(key, list);
    }
    const lines = [`corpus/real: ${same} of ${files.length} YAML files round-trip byte for byte`];
    for (const [, list] of reasons) lines.push(`  ${list.length} × e.g. ${list[0]}`);
    expect(lines.join('\n')).toBe('corpus/real: 1006 of 1006 YAML files round-trip byte for byte');
  });
});

describe("the reader's parseYaml reads what dumpYaml writes (fast path and full parser)", () => {
  it('experiment meta.yaml with a stale tags copy of tricky keys and values', async () => {
    const { parseYaml } = await import('../../src/store/file/yaml.js');
    const rnd = prng(99);
    const keyAtoms = ['a', 'b', 'mlflow', '.', '/', '-', '_', ' ', 'é', '中', '1', '0'];
    const valAtoms = ['x', ' ', 'yes', '0', '1.5', ': ', ' #', "'", '"', '\n', '\t', '-', 'null', '~', 'é', '\u{1F600}', 'long '.repeat(20)];
    for (let i = 0; i < 1500; i++) {
      const tags: Record<string, string> = {};
      const n = Math.floor(rnd() * 4);
      for (let j = 0; j < n; j++) {
        let k = '';
        const kl = 1 + Math.floor(rnd() * 8);
        for (let c = 0; c < kl; c++) k += keyAtoms[Math.floor(rnd() * keyAtoms.length)];
        let v = '';
        const vl = Math.floor(rnd() * 6);
        for (let c = 0; c < vl; c++) v += valAtoms[Math.floor(rnd() * valAtoms.length)];
        tags[k] = v;
      }
      const meta = {
        artifact_location: 'file:///tmp/x y/mlruns/1',
        creation_time: 1795318279993,
        experiment_id: '123456789012345678',
        last_update_time: 1795318280843,
        lifecycle_stage: 'deleted',
        name: Object.values(tags)[0] ?? 'plain',
        tags,
      };
      const text = dumpYaml(meta);
      const parsed = parseYaml(text);
      expect(parsed.errors, text).toEqual([]);
      expect({ ...(parsed.value as object), tags: { ...(parsed.value as Record<string, object>)['tags'] } }, text).toEqual(meta);
    }
  });
});

describe('parseYaml fast path: keys PyYAML does not read as strings', () => {
  it('reads `1_0:` as 10 and `null:` as null-keyed, like PyYAML, whether nested or not', async () => {
    const { parseYaml } = await import('../../src/store/file/yaml.js');
    expect(parseYaml('tags:\n  1_0: x\n').value).toEqual({ tags: { '10': 'x' } });
    expect(parseYaml('tags:\n  a.b: x\n').value).toEqual({ tags: { 'a.b': 'x' } });
    expect(Object.keys(parseYaml('yes: 1\n').value as object)).toEqual(['true']);
  });
});
