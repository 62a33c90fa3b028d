/**
 * docs/charts.md shows real commands with their real output in a 100-column terminal. This
 * test runs every `$ mlr …` line of its console blocks in fixtures/ (the store is ./mlruns)
 * and checks the text under it. A line `…` in a block stands for any number of lines (an
 * excerpt). `UPDATE_DOCS=1 npx vitest run test/charts/docs.test.ts` rewrites the outputs of
 * blocks without excerpts after a deliberate change.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, REPO } from './helpers.js';

const DOC = path.join(REPO, 'docs', 'charts.md');

interface Block {
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

function render(b: Block): string {
  const script = ['mlr() { node ' + JSON.stringify(BIN) + ' "$@"; }'];
  b.commands.forEach((c, n) => {
    script.push(`echo "@@${n}@@"`);
    script.push(`MLR_FORCE_TTY=1 COLUMNS=100 ${c} 2>&1`);
  });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MLFLOW_') && !['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR_FORCE', 'MLR_FORCE_TTY', 'COLUMNS', 'MLR_NOW'].includes(k)) env[k] = v;
  }
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd: path.join(REPO, 'fixtures'), env, encoding: 'utf8' });
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

describe('docs/charts.md', () => {
  const lines = fs.readFileSync(DOC, 'utf8').split('\n');
  const all = blocks(lines);

  it('every console block prints what the doc says', () => {
    const rendered = all.map(render);
    if (process.env['UPDATE_DOCS'] === '1') {
      const out = [...lines];
      for (let k = all.length - 1; k >= 0; k--) {
        const b = all[k]!;
        if (lines.slice(b.from, b.to).includes('…')) continue;
        out.splice(b.from, b.to - b.from, ...rendered[k]!.replace(/\n$/, '').split('\n'));
      }
      fs.writeFileSync(DOC, out.join('\n'));
      return;
    }
    all.forEach((b, k) => {
      const expected = lines.slice(b.from, b.to);
      if (expected.includes('…')) {
        expect(matchesExcerpt(rendered[k]!.split('\n'), expected), `excerpt block at line ${b.from}:\n${rendered[k]}`).toBe(true);
      } else {
        expect(rendered[k], `block at line ${b.from}`).toBe(expected.join('\n') + '\n');
      }
    });
  });

  it('shows a chart, a diff, aggregates, sparklines and the table controls', () => {
    const cmds = all.flatMap((b) => b.commands).join('\n');
    for (const needle of ['mlr plot', '--smooth', '--log', 'runs diff', 'min(metrics.val_loss)', '--spark', '--only-changed', '--keep', '--drop', '--precision', '--tree']) {
      expect(cmds).toContain(needle);
    }
  });
});
