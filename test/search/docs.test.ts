/**
 * docs/search.md shows real commands with their real output. This test runs every
 * `$ command` of its console blocks (against the bundled store, in a scratch folder) and
 * checks the output printed under it. `UPDATE_DOCS=1 npx vitest run test/search/docs.test.ts`
 * rewrites the outputs after a deliberate change.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURE, REPO } from '../helpers.js';

const DOC = path.join(REPO, 'docs', 'search.md');
const HAS_JQ = spawnSync('jq', ['--version']).status === 0;
const HAS_SQLITE = spawnSync('sqlite3', ['-version']).status === 0;

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
    while (lines[to] !== '```') to++;
    out.push({ from, to, commands: lines.slice(from, to).filter((l) => l.startsWith('$ ')).map((l) => l.slice(2)) });
    i = to;
  }
  return out;
}

/** Runs a block's commands in one shell (so variables and files carry over); returns the block text. */
function render(b: Block, cwd: string): string {
  const script = ['mlr() { node ' + JSON.stringify(BIN) + ' "$@"; }', 'export -f mlr'];
  b.commands.forEach((c, n) => {
    // a command whose mlr output reaches the terminal is shown as a terminal shows it
    const unquoted = c.replace(/'[^']*'|"[^"]*"/g, '');
    const toTerminal = !/[|>]|\$\(/.test(unquoted);
    script.push(`echo "@@${n}@@"`);
    script.push(toTerminal ? `MLR_FORCE_TTY=1 COLUMNS=120 ${c} 2>&1` : `${c} 2>&1`);
  });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MLFLOW_') && !['NO_COLOR', 'FORCE_COLOR', 'MLR_FORCE_TTY', 'COLUMNS'].includes(k)) env[k] = v;
  }
  Object.assign(env, { MLFLOW_TRACKING_URI: FIXTURE, MLR_NOW: '1795400000000', NO_COLOR: '1' });
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd, env, encoding: 'utf8' });
  const parts = r.stdout.split(/^@@\d+@@\n/m).slice(1);
  return b.commands.map((c, n) => `$ ${c}\n${parts[n] ?? ''}`).join('');
}

describe('docs/search.md', () => {
  const text = fs.readFileSync(DOC, 'utf8');
  const lines = text.split('\n');
  const all = blocks(lines);

  it.skipIf(!HAS_JQ || !HAS_SQLITE)('every console block prints what the doc says', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mlr-docs-'));
    const rendered = all.map((b) => render(b, cwd));
    if (process.env['UPDATE_DOCS'] === '1') {
      const out = [...lines];
      for (let k = all.length - 1; k >= 0; k--) {
        const b = all[k]!;
        out.splice(b.from, b.to - b.from, ...rendered[k]!.replace(/\n$/, '').split('\n'));
      }
      fs.writeFileSync(DOC, out.join('\n'));
      return;
    }
    all.forEach((b, k) => {
      expect(rendered[k], `block at line ${b.from}`).toBe(lines.slice(b.from, b.to).join('\n') + '\n');
    });
  });

  it('shows a filter, an order-by, each extension, runs best in a script and CSV into another tool', () => {
    const cmds = all.flatMap((b) => b.commands).join('\n');
    for (const needle of ['--filter', '--order-by', ' OR ', 'IN (', "LIKE '%.%'", 'runs best', '--format id)', '--format csv >', 'sqlite3']) {
      expect(cmds).toContain(needle);
    }
  });
});
