/**
 * The layers of docs/development.md, checked on the imports: data flows argv/HTTP → command →
 * store interface → plain data → renderer, so a lower layer never imports a higher one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

const SRC = path.join(REPO, 'src');

/** Every .ts file under a folder of src/, as paths relative to src/. */
function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(SRC, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The src/ folders (first path segment) a file imports from, outside its own folder. */
function importedLayers(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const layers = new Set<string>();
  for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)) {
    const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), m[1]!));
    if (target.startsWith('..')) continue;
    layers.add(target.split(path.sep)[0]!);
  }
  layers.delete(file.split(path.sep)[0]!);
  return [...layers].sort();
}

const FORBIDDEN: Record<string, string[]> = {
  commands: ['cli', 'server', 'render', 'ui', 'doctor'],
  doctor: ['cli', 'server', 'render', 'ui', 'commands'],
  store: ['cli', 'server', 'render', 'ui', 'commands', 'doctor'],
  search: ['cli', 'server', 'render', 'ui', 'commands', 'doctor'],
  series: ['cli', 'server', 'render', 'ui', 'commands', 'doctor', 'store'],
};

describe('layers', () => {
  for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
    it(`src/${layer}/ imports none of ${forbidden.join(', ')}`, () => {
      const bad = files(layer).flatMap((f) =>
        importedLayers(f)
          .filter((l) => forbidden.includes(l))
          .map((l) => `${f} → ${l}/`),
      );
      expect(bad).toEqual([]);
    });
  }

  it('the check sees imports (a file known to import the store does)', () => {
    expect(importedLayers(path.join('commands', 'plot.ts'))).toContain('store');
  });
});
