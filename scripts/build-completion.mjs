// After tsc: dist/cli/completion-spec.json, the command tree `mlr __complete` reads so that a
// shell's TAB loads neither commander nor the command modules (src/cli/complete-store.ts).
import fs from 'node:fs';
import { buildProgram } from '../dist/program.js';
import { specOf } from '../dist/cli/complete.js';

const file = new URL('../dist/cli/completion-spec.json', import.meta.url);
fs.writeFileSync(file, JSON.stringify(specOf(await buildProgram())) + '\n');
