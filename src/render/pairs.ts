/**
 * key/value lines, as `runs describe` and `experiments describe` print them: a TSV pair per
 * line when piped; on a terminal padded keys and values on one line each, long ones cut.
 */
import { escapeControls } from './format.js';
import type { OutputMode } from './output.js';
import { renderTsv } from './table.js';

/** How many terminal lines a value may take in `runs describe` before it is collapsed. */
const DESCRIBE_VALUE_LINES = 3;

/**
 * key/value lines. On a TTY the keys are padded and dimmed, and with `collapse` a value
 * longer than DESCRIBE_VALUE_LINES terminal lines is cut there, saying what was left out.
 */
export function renderPairs(pairs: [string, string][], mode: OutputMode, opts: { collapse?: boolean } = {}): string {
  if (!mode.tty) return renderTsv(['key', 'value'], pairs).split('\n').slice(1).join('\n');
  const w = Math.max(...pairs.map(([k]) => escapeControls(k).length));
  // the value starts after the key and two spaces; the terminal wraps the rest
  const budget = Math.max(40, DESCRIBE_VALUE_LINES * mode.width - (w + 2));
  return (
    pairs
      .map(([k, v]) => {
        // control characters are shown, never sent (issue 11 #33)
        const shown = opts.collapse ? collapseValue(v, budget) : oneLineShown(v);
        const key = escapeControls(k).padEnd(w);
        return `${mode.color ? mode.chalk.dim(key) : key}  ${shown}`;
      })
      .join('\n') + '\n'
  );
}

/** How a character of a value is shown on a terminal line: a newline as ⏎, a control character escaped. */
const shownChar = (c: string): string => (c === '\n' ? '⏎' : escapeControls(c));

/** A value on one terminal line: newlines as ⏎, control characters escaped. */
function oneLineShown(value: string): string {
  return escapeControls(value).replace(/\n/g, '⏎');
}

/**
 * A value on one line (newlines shown as ⏎, control characters escaped), cut to `budget`
 * characters when longer, with a note of how many characters and lines of the value were
 * left out (issue 11 #12: a 13 KB `mlflow.log-model.history` tag filled the screen).
 */
function collapseValue(value: string, budget: number): string {
  const chars = [...value];
  const shown = chars.map(shownChar);
  let length = 0;
  for (const s of shown) length += s.length;
  if (length <= budget) return shown.join('');
  const note = (keep: number): string => {
    const hidden = chars.length - keep;
    const lines = chars.slice(keep).filter((c) => c === '\n').length;
    return `… [${hidden.toLocaleString('en-US')} more characters${lines > 0 ? `, ${lines.toLocaleString('en-US')} more line${lines === 1 ? '' : 's'}` : ''}; --full or --format json shows all]`;
  };
  // as many characters as fit before the note (whose length depends on what it counts)
  const room = budget - note(0).length;
  let keep = 0;
  let used = 0;
  while (keep < shown.length && used + shown[keep]!.length <= room) used += shown[keep++]!.length;
  return shown.slice(0, keep).join('') + note(keep);
}
