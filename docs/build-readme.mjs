#!/usr/bin/env node
// Assemble README.md from the section documents in docs/, in reading order. Each section is
// checked on its own (test/*/docs.test.ts, test/readme.test.ts); the README is their sum.
// Usage: node docs/build-readme.mjs [--stdout]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECTIONS = ['overview.md', 'search.md', 'charts.md', 'writes.md', 'models.md', 'server.md', 'doctor.md', 'performance.md', 'development.md'];

const parts = SECTIONS.filter((f) => fs.existsSync(path.join(here, f))).map((f) => fs.readFileSync(path.join(here, f), 'utf8').replace(/\s+$/, '') + '\n');
const text = parts.join('\n');
if (process.argv.includes('--stdout')) process.stdout.write(text);
else fs.writeFileSync(path.join(here, '..', 'README.md'), text);
