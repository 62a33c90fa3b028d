/**
 * Recovering what survives of a broken meta.yaml: the "ours" side of merge-conflict
 * markers, and every complete `key: value` line of a truncated or garbled file.
 */
import { isYamlMap, parseYaml, type YamlMap } from '../store/file/yaml.js';

export interface Salvaged {
  /** fields recovered (first side of a conflict wins) */
  map: YamlMap;
  /** the other side of a merge conflict, where it disagrees */
  theirs: YamlMap;
}

/** Split text with conflict markers into its two sides (base sections of diff3 are dropped). */
export function splitConflict(text: string): { ours: string; theirs: string } {
  const ours: string[] = [];
  const theirs: string[] = [];
  let mode: 'both' | 'ours' | 'base' | 'theirs' = 'both';
  for (const line of text.split('\n')) {
    if (/^<{7}(?: |$)/.test(line)) mode = 'ours';
    else if (/^\|{7}(?: |$)/.test(line) && mode === 'ours') mode = 'base';
    else if (/^={7}$/.test(line) && mode !== 'both') mode = 'theirs';
    else if (/^>{7}(?: |$)/.test(line)) mode = 'both';
    else if (mode === 'both') {
      ours.push(line);
      theirs.push(line);
    } else if (mode === 'ours') ours.push(line);
    else if (mode === 'theirs') theirs.push(line);
  }
  return { ours: ours.join('\n'), theirs: theirs.join('\n') };
}

/** Every top-level `key: value` that parses on its own; a last line without a newline is dropped (it may be cut). */
function salvageLines(text: string): YamlMap {
  const whole = parseYaml(text);
  if (whole.errors.length === 0 && isYamlMap(whole.value) && text.endsWith('\n')) return whole.value;
  const out: YamlMap = {};
  const lines = text.split('\n');
  // the last element is '' when the text ends with a newline; otherwise it is a possibly cut line
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^([A-Za-z_][A-Za-z0-9_]*):(?: |$)/.exec(line);
    if (!m || m[1]! in out) continue;
    // take the indented continuation lines of a folded scalar or a nested block too
    let block = line;
    // (an empty line inside a folded quoted scalar is one newline of the value)
    const continues = (j: number): boolean => j < lines.length && (/^[ -]/.test(lines[j]!) || (lines[j] === '' && continues(j + 1)));
    while (continues(i + 1)) block += '\n' + lines[++i]!;
    const p = parseYaml(block + '\n');
    if (p.errors.length === 0 && isYamlMap(p.value) && m[1]! in p.value) out[m[1]!] = p.value[m[1]!]!;
  }
  return out;
}

/** Recover the fields of a broken meta.yaml's text. */
export function salvageMeta(text: string, conflict: boolean): Salvaged {
  if (!conflict) return { map: salvageLines(text), theirs: {} };
  const { ours, theirs } = splitConflict(text);
  const a = salvageLines(ours.endsWith('\n') ? ours : ours + '\n');
  const b = salvageLines(theirs.endsWith('\n') ? theirs : theirs + '\n');
  const map: YamlMap = { ...b, ...a };
  const other: YamlMap = {};
  for (const [k, v] of Object.entries(b)) if (k in a && a[k] !== v) other[k] = v;
  return { map, theirs: other };
}
