#!/usr/bin/env node
// Bundles the web viewer (src/ui) into dist/ui: index.html, app.js, app.css. esbuild (a
// devDependency; tsc cannot bundle) strips the types and inlines uPlot, so the page needs
// nothing from the network at run time. Runs as the second half of `npm run build`.
// MLR_UI_NO_MINIFY=1 keeps the names (for reading a profile of the page).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(repo, 'src', 'ui');
const out = path.join(repo, 'dist', 'ui');
fs.mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { app: path.join(src, 'main.ts') },
  bundle: true,
  minify: !process.env.MLR_UI_NO_MINIFY,
  format: 'esm',
  target: 'es2022',
  outdir: out,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
fs.copyFileSync(path.join(src, 'index.html'), path.join(out, 'index.html'));
const bytes = Object.entries(result.metafile.outputs).map(([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(0)} KB`);
if (process.env.MLR_BUILD_VERBOSE) process.stderr.write(`ui: ${bytes.join(', ')}\n`);
