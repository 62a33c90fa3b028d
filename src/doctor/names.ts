/**
 * Names that tell the doctor what an entry is: junk that operating systems, notebooks and
 * sync tools leave behind, Finder/iCloud/Windows duplicates, and MLflow's id and key rules.
 */

const JUNK_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini', 'Icon\r', '.localized']);
const JUNK_DIRS = new Set(['.ipynb_checkpoints', '__MACOSX', '__pycache__', '.Trashes', '.Spotlight-V100', '.fseventsd', '.TemporaryItems']);

/** Why a file name is junk (OS or tool droppings), or undefined when it is not. */
export function junkFileReason(name: string): string | undefined {
  if (JUNK_FILES.has(name)) return name === '.DS_Store' ? 'a macOS Finder file' : 'an operating-system file';
  if (name.startsWith('._')) return 'a macOS AppleDouble file';
  if (name.startsWith('.mlr-tmp-')) return 'a temp file left by an interrupted mlr write';
  // vim's .<name>.swp (then .swo, .swn … when one exists), emacs's .#<name> lock
  if (/^\..+\.sw[a-p]$/.test(name)) return 'an editor swap file (vim)';
  if (name.startsWith('.#')) return 'an editor lock file (emacs)';
  return undefined;
}

/** Why a folder name is junk, or undefined. */
export function junkDirReason(name: string): string | undefined {
  if (name === '.ipynb_checkpoints') return 'a Jupyter checkpoint folder';
  if (JUNK_DIRS.has(name)) return 'an operating-system folder';
  if (name.startsWith('.mlr-tmp-')) return 'a temp folder left by an interrupted mlr write';
  return undefined;
}

const DUPLICATE_PATTERNS: RegExp[] = [
  // Finder / iCloud: "name 2.ext", "name 3" (the number goes before the last extension)
  /^(.+?) ([2-9]|[1-9][0-9]+)(\.[^.]+)?$/,
  // Finder: "name copy.ext", "name copy 2.ext"
  /^(.+?) copy(?: [0-9]+)?(\.[^.]+)?$/,
  // Windows Explorer: "name - Copy.ext", "name - Copy (2).ext"
  /^(.+?) - Copy(?: \([0-9]+\))?(\.[^.]+)?$/,
  // browsers / sync clients: "name (1).ext"
  /^(.+?) \([0-9]+\)(\.[^.]+)?$/,
];

/**
 * If `name` is a duplicate made by Finder, iCloud or Windows of a sibling that exists
 * (`meta 2.yaml` next to `meta.yaml`, `mlflow 2.user` next to `mlflow.user`), the
 * original's name; otherwise undefined.
 */
export function duplicateOf(name: string, siblings: ReadonlySet<string>): string | undefined {
  // every pattern has a space: most names are ruled out without a regex
  if (!name.includes(' ')) return undefined;
  for (const re of DUPLICATE_PATTERNS) {
    const m = re.exec(name);
    if (!m) continue;
    const ext = m[m.length - 1] ?? '';
    const original = m[1]! + ext;
    if (original !== name && siblings.has(original)) return original;
  }
  return undefined;
}

/** MLflow's experiment id syntax `^[a-zA-Z0-9][\w\-]{0,63}$` (ASCII is what folders use). */
export const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,63}$/u;
/** MLflow's run id syntax `^[a-zA-Z0-9][\w\-]{0,255}$`. */
export const RUN_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,255}$/u;
/** What MLflow itself generates for a run: uuid4().hex. */
export const RUN_UUID_RE = /^[0-9a-f]{32}$/;

/** Folders inside an experiment that are not runs (2.12: tags, datasets; 3.x: traces, models). */
export const RESERVED_EXPERIMENT_DIRS = new Set(['tags', 'datasets', 'traces', 'models']);

const KEY_CHARS = /^[\p{L}\p{N}_/.\- :]*$/u;

/**
 * True when a param/metric/tag file name is a key some MLflow version accepts (3.x allows
 * `:`; no version allows tabs, `=`, `,`, control characters…).
 */
export function isAcceptableKey(key: string): boolean {
  if (!KEY_CHARS.test(key)) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Quote a word for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_./:=@%+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
