/**
 * Checking that a markdown document shows real commands with their real output.
 *
 * Every ```console block is run: each `$ command` line in one bash script per block (so
 * variables and files carry over), with `mlr` a function running the built CLI. When no line
 * leaves shell state for a later one (assignment, export, job, `cd` in a list), each line
 * runs alone instead: a plain `mlr …` (words and quotes only: no pipe, redirect, variable,
 * glob or assignment) in this process (runCli with the same argv, env and folder, stdout and
 * stderr in one stream as `2>&1` gives), `cd DIR` by changing the folder, any other line in
 * a bash of its own in that folder: no bash and node per plain line. The text
 * printed must equal the lines under the command. A command whose output reaches the
 * terminal (no pipe, redirect or `$(…)`) runs as on a terminal of `columns` columns; the
 * clock is pinned (MLR_NOW) so relative times do not rot. A `…` line in a block stands for
 * any number of lines (an excerpt). `UPDATE_DOCS=1` rewrites the outputs of blocks without
 * excerpts after a deliberate change.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'vitest';
import path from 'node:path';
import { BIN, runMlr } from './helpers.js';

export interface DocOptions {
  /** folder the commands run in */
  cwd: string;
  /** terminal width for commands that print to the terminal */
  columns: number;
  /** extra environment (e.g. MLFLOW_TRACKING_URI) */
  env?: Record<string, string>;
}

interface Block {
  /** index of the block's first line (after the ``` line) and one past its last */
  from: number;
  to: number;
  commands: string[];
}

function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```console') continue;
    const from = i + 1;
    let to = from;
    while (to < lines.length && lines[to] !== '```') to++;
    out.push({
      from,
      to,
      commands: lines
        .slice(from, to)
        .filter((l) => l.startsWith('$ '))
        .map((l) => l.slice(2)),
    });
    i = to;
  }
  return out;
}

/**
 * The words of `command` as bash would split them, when it is nothing but words, '…' and "…"
 * (no $, backquote or backslash inside): no pipe, redirect, variable, glob, brace, tilde,
 * comment or leading assignment. Otherwise undefined (the command needs a shell).
 */
function plainWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = command.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const inner = command.slice(i + 1, end);
      if (c === '"' && /[$`\\]/.test(inner)) return undefined;
      word = (word ?? '') + inner;
      i = end;
    } else if (/[|&;<>()$`\\*?[\]{}!]/.test(c) || (word === undefined && (c === '~' || c === '#'))) {
      return undefined;
    } else {
      if (c === '=' && words.length === 0 && word !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) return undefined;
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The environment every command of a document sees. */
function docEnv(opts: DocOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MLFLOW_') && !['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR_FORCE', 'MLR_FORCE_TTY', 'COLUMNS'].includes(k)) env[k] = v;
  }
  return Object.assign(env, { MLR_NOW: '1795400000000', NO_COLOR: '1' }, opts.env ?? {});
}

/** `command` with its quoted strings removed (what bash sees as operators and words). */
function unquoted(command: string): string {
  return command.replace(/'[^']*'|"[^"]*"/g, '');
}

/** The prefix that makes a line print as on a terminal when its output reaches one (no pipe, redirect or $(…)). */
function shellLine(command: string, columns: number): string {
  const toTerminal = !/[|>]|\$\(/.test(unquoted(command));
  return toTerminal ? `MLR_FORCE_TTY=1 COLUMNS=${columns} ${command} 2>&1` : `${command} 2>&1`;
}

/**
 * True when `command` leaves no shell state a later line could read: no assignment, export,
 * cd inside a list, background job or job control, and `$?` only after a `;`/`&&`/`||` of
 * its own line. Such a line gives the same output in a bash of its own (in the same folder).
 */
function standalone(command: string): boolean {
  const u = unquoted(command);
  if (/(^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*=|(export|unset|read|set|alias|source|function|cd|pushd|popd|kill|wait|jobs|fg|bg|trap|exec|shopt)\b|\.\s)/.test(u))
    return false;
  if (/(^|[^&>])&($|[^&>])/.test(u) || /\$[!#$0-9@*]/.test(u)) return false;
  const status = u.indexOf('$?');
  return status < 0 || u.slice(0, status).search(/;|&&|\|\|/) >= 0;
}

type Step = { kind: 'mlr' | 'cd'; words: string[] } | { kind: 'bash' };

/**
 * How each line of a block runs: plain `mlr …` in-process, `cd DIR` by changing the folder,
 * any other standalone line in a bash of its own; undefined when a line leaves shell state
 * for later lines (the whole block then runs as one bash script).
 */
function steps(b: Block): Step[] | undefined {
  const out: Step[] = [];
  for (const c of b.commands) {
    const words = plainWords(c);
    if (words && words[0] === 'mlr' && words.length > 1) out.push({ kind: 'mlr', words });
    else if (words && words[0] === 'cd' && words.length === 2) out.push({ kind: 'cd', words });
    else if (standalone(c)) out.push({ kind: 'bash' });
    else return undefined;
  }
  return out;
}

const MLR_FUNCTION = ['mlr() { node ' + JSON.stringify(BIN) + ' "$@"; }', 'export -f mlr'];

async function render(b: Block, opts: DocOptions): Promise<string> {
  const env = docEnv(opts);
  const plan = steps(b);
  if (plan) {
    // a plain mlr line prints to the terminal (no pipe, redirect or $(…)): as shellLine does
    const ttyEnv = { ...env, MLR_FORCE_TTY: '1', COLUMNS: String(opts.columns) };
    let cwd = opts.cwd;
    let out = '';
    for (const [n, step] of plan.entries()) {
      const c = b.commands[n]!;
      out += `$ ${c}\n`;
      if (step.kind === 'cd') {
        const to = path.resolve(cwd, step.words[1]!);
        if (fs.statSync(to, { throwIfNoEntry: false })?.isDirectory()) cwd = to;
        else out += `bash: line ${n + 1}: cd: ${step.words[1]}: No such file or directory\n`;
      } else if (step.kind === 'mlr') {
        out += (await runMlr(step.words.slice(1), ttyEnv, { cwd, mergeStderr: true })).stdout;
      } else {
        out += spawnSync('bash', ['-c', [...MLR_FUNCTION, shellLine(c, opts.columns)].join('\n')], { cwd, env, encoding: 'utf8' }).stdout;
      }
    }
    return out;
  }
  const script = [...MLR_FUNCTION];
  b.commands.forEach((c, n) => {
    script.push(`echo "@@${n}@@"`);
    script.push(shellLine(c, opts.columns));
  });
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd: opts.cwd, env, encoding: 'utf8' });
  const parts = r.stdout.split(/^@@\d+@@\n/m).slice(1);
  return b.commands.map((c, n) => `$ ${c}\n${parts[n] ?? ''}`).join('');
}

/** True when `actual` matches `expected`, where a `…` line in expected matches any lines. */
function matchesExcerpt(actual: string[], expected: string[]): boolean {
  const segments: string[][] = [[]];
  for (const l of expected) {
    if (l === '…') segments.push([]);
    else segments[segments.length - 1]!.push(l);
  }
  let at = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.length === 0) continue;
    let found = -1;
    for (let i = at; i + seg.length <= actual.length; i++) {
      if (seg.every((l, k) => actual[i + k] === l)) {
        found = i;
        break;
      }
      if (s === 0) break; // the first segment starts at the command line
    }
    if (found < 0) return false;
    at = found + seg.length;
  }
  return true;
}

/** The `$ …` commands of every console block of a document. */
export function docCommands(file: string): string[] {
  return blocks(fs.readFileSync(file, 'utf8').split('\n')).flatMap((b) => b.commands);
}

/** Run every console block of `file` and expect the printed text (or rewrite it under UPDATE_DOCS=1). */
export async function checkDoc(file: string, opts: DocOptions): Promise<void> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const all = blocks(lines);
  expect(all.length, `${file} has console blocks`).toBeGreaterThan(0);
  const rendered: string[] = [];
  // one block after another: a block may use files an earlier one made
  for (const b of all) rendered.push(await render(b, opts));
  if (process.env['UPDATE_DOCS'] === '1') {
    const out = [...lines];
    for (let k = all.length - 1; k >= 0; k--) {
      const b = all[k]!;
      if (lines.slice(b.from, b.to).includes('…')) continue;
      out.splice(b.from, b.to - b.from, ...rendered[k]!.replace(/\n$/, '').split('\n'));
    }
    fs.writeFileSync(file, out.join('\n'));
    return;
  }
  all.forEach((b, k) => {
    const expected = lines.slice(b.from, b.to);
    if (expected.includes('…')) {
      expect(matchesExcerpt(rendered[k]!.split('\n'), expected), `excerpt block at ${file}:${b.from}:\n${rendered[k]}`).toBe(true);
    } else {
      expect(rendered[k], `block at ${file}:${b.from}`).toBe(expected.join('\n') + '\n');
    }
  });
}
