/**
 * Rendering artifact listings: a tree (recursive) or a name/size table on a TTY; TSV, CSV
 * or JSON (MLflow's FileInfo: path, is_dir, file_size) otherwise.
 */
import type { ArtifactEntry } from '../store/artifacts/local.js';
import type { OutputMode } from './output.js';
import { renderAligned, renderCsv, renderJson, renderTsv, type Cell, type Column } from './table.js';

/** "0 B", "512 B", "1.5 KiB", "12.0 MiB" (binary units). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export type ArtifactFormat = 'table' | 'json' | 'csv' | 'tsv';

/**
 * Render entries listed under `base` ('' = the root). On a TTY a recursive listing is
 * drawn as a tree with folder totals; a flat one as a table of names and sizes.
 */
export function renderArtifacts(entries: ArtifactEntry[], base: string, recursive: boolean, format: ArtifactFormat, mode: OutputMode): string {
  if (format === 'json')
    return renderJson(entries.map((e) => (e.is_dir ? { path: e.path, is_dir: true } : { path: e.path, is_dir: false, file_size: e.file_size })));
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const headers = ['path', 'is_dir', 'file_size'];
    const rows = entries.map((e) => [e.path, e.is_dir ? 'true' : 'false', e.file_size === null ? '' : String(e.file_size)]);
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  const strip = (p: string): string => (base && p.startsWith(base + '/') ? p.slice(base.length + 1) : p);
  if (!recursive) {
    if (entries.length === 0) return '';
    const cols: Column[] = [
      { header: 'Name', maxWidth: 80 },
      { header: 'Size', align: 'right' },
    ];
    const rows: Cell[][] = entries.map((e) => [
      e.is_dir ? { text: strip(e.path) + '/', tone: 'cyan' } : strip(e.path),
      e.is_dir ? { text: '-', tone: 'dim' } : e.file_size === null ? { text: '!', tone: 'red' } : formatBytes(e.file_size),
    ]);
    return renderAligned(cols, rows, mode).text;
  }
  return renderTree(entries, base, mode);
}

interface Node {
  name: string;
  entry: ArtifactEntry;
  kids: Node[];
  total: number;
}

function renderTree(entries: ArtifactEntry[], base: string, mode: OutputMode): string {
  const top: Node[] = [];
  const byPath = new Map<string, Node>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : e.path.slice(0, slash);
    const node: Node = { name: e.path.slice(slash + 1), entry: e, kids: [], total: e.file_size ?? 0 };
    byPath.set(e.path, node);
    const p = byPath.get(parent);
    if (p && parent !== base) p.kids.push(node);
    else top.push(node);
  }
  const sum = (n: Node): number => (n.entry.is_dir ? (n.total = n.kids.reduce((a, k) => a + sum(k), 0)) : n.total);
  for (const n of top) sum(n);
  const lines: { text: string; size: string; dir: boolean }[] = [];
  const walk = (nodes: Node[], prefix: string): void => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push({
        text: `${prefix}${last ? '└── ' : '├── '}${n.name}${n.entry.is_dir ? '/' : ''}`,
        size: n.entry.is_dir ? formatBytes(n.total) : n.entry.file_size === null ? '!' : formatBytes(n.entry.file_size),
        dir: n.entry.is_dir,
      });
      walk(n.kids, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(top, '');
  const files = entries.filter((e) => !e.is_dir);
  const total = files.reduce((a, e) => a + (e.file_size ?? 0), 0);
  const dirs = entries.length - files.length;
  const w = Math.min(Math.max(0, ...lines.map((l) => [...l.text].length)), Math.max(20, mode.width - 12));
  const k = mode.chalk;
  const head = base === '' ? '.' : base + '/';
  const out = [mode.color ? k.bold(head) : head];
  const sizeW = Math.max(0, ...lines.map((l) => l.size.length));
  for (const l of lines) {
    const chars = [...l.text];
    const text = chars.length > w ? chars.slice(0, w - 1).join('') + '…' : l.text.padEnd(w + (l.text.length - chars.length));
    const size = l.size.padStart(sizeW);
    out.push(`${mode.color && l.dir ? k.cyan(text) : text}  ${mode.color ? k.dim(size) : size}`.replace(/\s+$/, ''));
  }
  const summary = `${dirs} folder${dirs === 1 ? '' : 's'}, ${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(total)}`;
  out.push(mode.color ? k.dim(summary) : summary);
  return out.join('\n') + '\n';
}
