/**
 * Check 4: metric files MLflow cannot read (a torn last line, a wrong field count, text that
 * is not a number, blank lines, tabs, no lines at all). The repair keeps every valid line in
 * order, byte for byte, and moves every bad one into the backup with its line number.
 * Also: key files whose names no MLflow version accepts (report only).
 */
import type { Planner } from '../planner.js';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** "line 3: blank line" in a short form for the report. */
function describeBad(reason: string, text: string): string {
  if (text.trim() === '') return 'blank line';
  if (/\t/.test(text) && !reason.startsWith('torn')) return `tab-separated ('${show(text)}')`;
  return `${reason} ('${show(text)}')`;
}

function show(text: string): string {
  const t = text.replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return t.length > 40 ? t.slice(0, 39) + '…' : t;
}

export function checkMetrics(p: Planner): void {
  for (const run of p.runs) {
    for (const m of run.metrics) {
      if (m.empty) {
        p.add({
          code: 'metric-empty',
          severity: 'error',
          path: m.rel,
          message: `metric '${m.key}' has no data: MLflow fails on every search of the experiment ("No data found")`,
          fix: 'move the empty file into the backup',
          edits: [{ kind: 'metric', file: m.file }],
        });
        continue;
      }
      if (m.bad.length > 0) {
        const first = m.bad.slice(0, 2).map((b) => `line ${b.line}: ${describeBad(b.reason, b.text)}`);
        const more = m.bad.length > 2 ? `; and ${m.bad.length - 2} more` : '';
        p.add({
          code: 'metric-bad-lines',
          severity: 'error',
          path: m.rel,
          message: `metric '${m.key}' has ${plural(m.bad.length, 'bad line')} (${first.join('; ')}${more}): MLflow fails on every search of the experiment`,
          fix:
            m.good > 0
              ? `keep the ${plural(m.good, 'valid line')}, move the ${plural(m.bad.length, 'bad line')} into the backup`
              : 'no valid line: move the file into the backup',
          edits: [{ kind: 'metric', file: m.file }],
        });
        continue;
      }
      if (m.unterminated) {
        p.add({
          code: 'metric-unterminated',
          severity: 'warning',
          path: m.rel,
          message: `metric '${m.key}': the last line has no newline, so the next value logged would be glued onto it`,
          fix: 'end the last line with a newline',
          edits: [{ kind: 'metric', file: m.file }],
        });
      }
    }
  }
  for (const k of p.scan.invalidKeys) {
    p.add({
      code: 'key-invalid',
      severity: 'error',
      path: k.rel,
      message: `'${k.rel.split('/').pop()}' is not a valid ${k.kind} name in any MLflow version: MLflow fails on the whole run ("Invalid ${k.kind} name")`,
      edits: [],
    });
  }
}
