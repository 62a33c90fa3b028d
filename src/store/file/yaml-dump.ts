/**
 * Writing YAML byte for byte as MLflow does: PyYAML `dump(data, Dumper=CSafeDumper,
 * default_flow_style=False, allow_unicode=True)` with sort_keys=True (spec §11.1).
 *
 * CSafeDumper = PyYAML's Python representer and resolver + libyaml's C emitter, so this
 * module ports exactly those pieces: the YAML 1.1 implicit resolver (decides whether a
 * string may stay plain), and libyaml 0.2.5's scalar analysis, style choice, indentation
 * and the plain / single-quoted / double-quoted writers including their line folding at
 * best_width = 80. Columns count code points; the simple-key limit (128) counts UTF-8
 * bytes, as libyaml does. Differences from the pure-Python emitter (it writes non-BMP
 * characters raw, libyaml escapes them as `\U0001F600`) follow libyaml.
 */
import { formatPyFloat } from '../pyfloat.js';
import { compareCodePoints } from '../../text-order.js';

/** A number that must be written as a YAML float even when integral (`5.0`). */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type DumpValue = null | boolean | number | bigint | string | PyFloat | readonly DumpValue[] | { readonly [k: string]: DumpValue | undefined };

// --- PyYAML's implicit resolvers (resolver.py, YAML 1.1) ---------------------------------
// Python's `$` also matches before one trailing "\n"; such strings contain a line break
// and are never written plain, so the difference cannot change the output.
const RESOLVERS: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
  /^(?:!|&|\*)$/,
];

/** True when PyYAML would read `s`, written plain, back as something other than a string. */
export function resolvesToNonString(s: string): boolean {
  for (const re of RESOLVERS) if (re.test(s)) return true;
  return false;
}

// --- libyaml character classes (code points) ----------------------------------------------
const isBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isSpace = (c: number) => c === 0x20;
/** end of string (NUL-terminated in libyaml), space, tab or break */
const isBlankZ = (c: number | undefined) => c === undefined || c === 0 || c === 0x20 || c === 0x09 || isBreak(c);
const isPrintable = (c: number) => c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
}

/** yaml_emitter_analyze_scalar */
function analyzeScalar(cps: number[]): Analysis {
  if (cps.length === 0) return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const at = (i: number) => cps[i];
  if ((at(0) === 0x2d && at(1) === 0x2d && at(2) === 0x2d) || (at(0) === 0x2e && at(1) === 0x2e && at(2) === 0x2e)) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankZ(at(1));
  const n = cps.length;
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    // allow_unicode=True, so only unprintable characters are special
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankZ(c);
    if (i + 1 < n) followedByWhitespace = isBlankZ(at(i + 2));
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlain = false;
    a.blockPlain = false;
  }
  if (breakSpace || spaceBreak || special) {
    a.flowPlain = false;
    a.blockPlain = false;
    a.singleQuoted = false;
  }
  if (lineBreaks) {
    a.flowPlain = false;
    a.blockPlain = false;
  }
  if (flowIndicators) a.flowPlain = false;
  if (blockIndicators) a.blockPlain = false;
  return a;
}

type Style = 'plain' | 'single' | 'double';

interface Ctx {
  mapping: boolean;
  simpleKey: boolean;
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

function utf8Length(cps: number[]): number {
  let len = 0;
  for (const c of cps) len += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  return len;
}

interface ScalarEvent {
  text: string;
  cps: number[];
  plainImplicit: boolean;
  analysis: Analysis;
}

function scalarEvent(value: DumpValue): ScalarEvent | undefined {
  let text: string;
  let plainImplicit: boolean;
  if (value === null) {
    text = 'null';
    plainImplicit = true;
  } else if (typeof value === 'boolean') {
    text = value ? 'true' : 'false';
    plainImplicit = true;
  } else if (typeof value === 'bigint') {
    text = value.toString();
    plainImplicit = true;
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    text = BigInt(value).toString();
    plainImplicit = true;
  } else if (typeof value === 'number' || value instanceof PyFloat) {
    text = representFloat(typeof value === 'number' ? value : value.value);
    plainImplicit = true;
  } else if (typeof value === 'string') {
    text = value;
    plainImplicit = !resolvesToNonString(value);
  } else {
    return undefined;
  }
  const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
  return { text, cps, plainImplicit, analysis: analyzeScalar(cps) };
}

/** SafeRepresenter.represent_float */
function representFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  let s = formatPyFloat(v).toLowerCase();
  if (!s.includes('.') && s.includes('e')) s = s.replace('e', '.0e');
  return s;
}

class Emitter {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private flowLevel = 0;

  result(): string {
    return this.out;
  }

  private put(s: string): void {
    this.out += s;
    this.column += 1;
  }
  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }
  private writeCp(c: number): void {
    this.out += String.fromCodePoint(c);
    this.column += 1;
  }
  /** WRITE_BREAK: '\n' goes through PUT_BREAK, other breaks are copied as they are. */
  private writeBreak(c: number): void {
    this.out += c === 0x0a ? '\n' : String.fromCodePoint(c);
    this.column = 0;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }
  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const ch of ind) this.put(ch);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  emitNode(value: DumpValue, ctx: Ctx): void {
    if (Array.isArray(value)) return this.emitSequence(value as readonly DumpValue[], ctx);
    const ev = scalarEvent(value);
    if (ev) return this.emitScalar(ev, ctx);
    if (typeof value === 'object' && value !== null) {
      return this.emitMapping(value as { readonly [k: string]: DumpValue | undefined });
    }
    throw new TypeError(`dumpYaml: cannot represent ${typeof value}`);
  }

  private emitSequence(items: readonly DumpValue[], ctx: Ctx): void {
    if (this.flowLevel > 0 || items.length === 0) {
      this.writeIndicator('[', true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
      items.forEach((item, i) => {
        if (i > 0) this.writeIndicator(',', false, false, false);
        this.emitFlowItem(item);
      });
      this.flowLevel--;
      this.popIndent();
      this.writeIndicator(']', false, false, false);
      return;
    }
    this.increaseIndent(false, ctx.mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item, { mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  /** Only reached for collections nested in a flow collection, which block dumping never makes. */
  private emitFlowItem(item: DumpValue): void {
    if (this.column > BEST_WIDTH) this.writeIndent();
    this.emitNode(item, { mapping: false, simpleKey: false });
  }

  private emitMapping(obj: { readonly [k: string]: DumpValue | undefined }): void {
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort(compareCodePoints);
    if (this.flowLevel > 0 || keys.length === 0) {
      this.writeIndicator('{', true, true, false);
      this.writeIndicator('}', false, false, false);
      if (keys.length > 0) throw new TypeError('dumpYaml: nested flow mappings are not supported');
      return;
    }
    this.increaseIndent(false, false);
    for (const key of keys) {
      const value = obj[key]!;
      const kev = scalarEvent(key)!;
      this.writeIndent();
      // yaml_emitter_check_simple_key: one line and at most 128 bytes
      if (!kev.analysis.multiline && utf8Length(kev.cps) <= 128) {
        this.emitScalar(kev, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitScalar(kev, { mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(value, { mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  private emitScalar(ev: ScalarEvent, ctx: Ctx): void {
    const style = this.selectStyle(ev, ctx);
    this.increaseIndent(true, false);
    const allowBreaks = !ctx.simpleKey;
    if (style === 'plain') this.writePlain(ev.cps, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(ev.cps, allowBreaks);
    else this.writeDoubleQuoted(ev.cps, allowBreaks);
    this.popIndent();
  }

  /** yaml_emitter_select_scalar_style (strings carry quoted_implicit=True, so no tags) */
  private selectStyle(ev: ScalarEvent, ctx: Ctx): Style {
    const a = ev.analysis;
    let style: Style = 'plain';
    if (ctx.simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlain) || (this.flowLevel === 0 && !a.blockPlain)) style = 'single';
      if (ev.cps.length === 0 && (this.flowLevel > 0 || ctx.simpleKey)) style = 'single';
      if (!ev.plainImplicit) style = 'single';
    }
    if (style === 'single' && !a.singleQuoted) style = 'double';
    return style;
  }

  private writePlain(cps: number[], allowBreaks: boolean): void {
    if (!this.whitespace && (cps.length > 0 || this.flowLevel > 0)) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(cps[i + 1] ?? 0)) {
          this.writeIndent();
        } else {
          this.writeCp(c);
        }
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.writeCp(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(cps: number[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    const n = cps.length;
    for (let i = 0; i < n; i++) {
      const c = cps[i]!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== n - 1 && !isSpace(cps[i + 1] ?? 0)) {
          this.writeIndent();
        } else {
          this.writeCp(c);
        }
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === 0x27) this.put("'");
        this.writeCp(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(cps: number[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    const n = cps.length;
    for (let i = 0; i < n; i++) {
      const c = cps[i]!;
      if (!isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c) {
        this.put('\\');
        const named = DOUBLE_ESCAPES.get(c);
        if (named !== undefined) {
          this.put(named);
        } else {
          const [letter, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const d of c.toString(16).toUpperCase().padStart(width, '0')) this.put(d);
        }
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== n - 1) {
          this.writeIndent();
          if (isSpace(cps[i + 1] ?? 0)) this.put('\\');
        } else {
          this.writeCp(c);
        }
        spaces = true;
      } else {
        this.writeCp(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

const DOUBLE_ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

/**
 * The exact text PyYAML (CSafeDumper, block style, allow_unicode, sorted keys) writes for
 * `value`. Integral numbers are ints; use `PyFloat` for an integral float. Object keys
 * whose value is `undefined` are left out.
 */
export function dumpYaml(value: DumpValue): string {
  const e = new Emitter();
  e.emitNode(value, { mapping: false, simpleKey: false });
  e.writeIndent();
  return e.result();
}
