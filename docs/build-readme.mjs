#!/usr/bin/env node
// Assemble README.md from the section documents in docs/, in reading order, with a table of
// contents after the overview's introduction. Each section is checked on its own
// (test/*/docs.test.ts, test/readme.test.ts); the README is their sum.
// Usage: node docs/build-readme.mjs [--stdout]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECTIONS = [
  'overview.md',
  'backends.md',
  'search.md',
  'terminal.md',
  'charts.md',
  'writes.md',
  'models.md',
  'server.md',
  'ui.md',
  'remote.md',
  'doctor.md',
  'performance.md',
  'development.md',
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorer() {
  const seen = new Map();
  return (title) => {
    const base = title
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

/** The `##` and `###` headings outside code blocks, as a nested list of links. */
function contents(text) {
  const anchor = anchorer();
  const lines = [];
  let code = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) code = !code;
    const m = code ? null : /^(#{1,3}) (.+)$/.exec(line);
    if (!m) continue;
    const id = anchor(m[2]);
    if (m[1] === '#') continue;
    lines.push(`${m[1] === '##' ? '' : '  '}- [${m[2].replace(/[[\]]/g, '\\$&')}](#${id})`);
  }
  return lines.join('\n') + '\n';
}

// images are linked from docs/ (img/…); the README sits one folder up
const parts = SECTIONS.filter((f) => fs.existsSync(path.join(here, f))).map(
  (f) =>
    fs
      .readFileSync(path.join(here, f), 'utf8')
      .replace(/\s+$/, '')
      .replace(/\]\(img\//g, '](docs/img/') + '\n',
);
let text = parts.join('\n');
// the contents go before the first `##` heading (the end of the introduction)
const first = text.search(/^## /m);
text = `${text.slice(0, first)}## Contents\n\n${contents(text.slice(first))}\n${text.slice(first)}`;
if (process.argv.includes('--stdout')) process.stdout.write(text);
else fs.writeFileSync(path.join(here, '..', 'README.md'), text);
