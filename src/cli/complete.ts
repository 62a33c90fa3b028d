/**
 * Shell completion (issue 11 item 16): `mlr completion bash|zsh|fish` prints a script that
 * asks `mlr __complete -- <words…>` for the candidates of the last word, one per line:
 * commands, flags, flag values (formats, views, experiment names, metric keys) and runs
 * (names, ids, `latest`) of the store the command line names, read afresh each time.
 */
import type { Command, Option } from 'commander';

/** What completion may read from the store; each is asked only when needed. */
export interface CompletionStore {
  experiments(): Promise<string[]>;
  /** runs of the active experiments, newest first */
  runs(): Promise<{ id: string; name: string }[]>;
  /** metric keys of the newest runs */
  metricKeys(): Promise<string[]>;
}

/** A flag as completion sees it (plain data: the build writes the program's as JSON, see specOf). */
interface SpecOption {
  long?: string;
  short?: string;
  takesValue: boolean;
  hidden: boolean;
  /** `a|b|c`, or `a, b or c`, in its description */
  values: string[];
}

/**
 * A command as completion sees it. `mlr __complete` from the binary reads the whole
 * program's from dist/cli/completion-spec.json (written by `npm run build`), so a shell's
 * TAB loads neither commander nor the command modules.
 */
export interface CompletionSpec {
  name: string;
  aliases: string[];
  hidden: boolean;
  options: SpecOption[];
  /** names of its positional arguments */
  args: string[];
  commands: CompletionSpec[];
}

/** `a|b|c`, or `a, b or c`, in a flag's description: its values. */
function valuesInDescription(o: Option): string[] {
  const text = o.description.replace(/\s*\([^)]*\)/g, '');
  const bar = /\b([\w-]+(?:\|[\w-]+)+)\b/.exec(text);
  if (bar) return bar[1]!.split('|');
  const or = /^((?:[\w-]+, )*[\w-]+ or [\w-]+)\b/.exec(text);
  return or ? or[1]!.split(/, | or /) : [];
}

/** The completion spec of a commander command and everything below it. */
export function specOf(cmd: Command): CompletionSpec {
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    hidden: Boolean((cmd as unknown as { _hidden?: boolean })._hidden),
    options: cmd.options.map((o) => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      takesValue: o.required || o.optional,
      hidden: o.hidden,
      values: valuesInDescription(o),
    })),
    args: cmd.registeredArguments.map((a) => a.name()),
    commands: cmd.commands.map(specOf),
  };
}

const RUN_WORDS = new Set(['log-metric', 'log-metrics', 'log-param', 'log-params', 'set-tag', 'delete-tag', 'log-artifact']);

/** Candidates for the last of `words` (the words after `mlr`; the last may be empty). */
export async function completeWords(program: CompletionSpec, words: readonly string[], store: CompletionStore): Promise<string[]> {
  const cur = words[words.length - 1] ?? '';
  // the command path: the options a command accepts are its own and those above it
  const path: CompletionSpec[] = [program];
  const optionsOf = (): SpecOption[] => [...path].reverse().flatMap((c) => c.options);
  let positional = 0;
  let pending: SpecOption | undefined;
  for (const w of words.slice(0, -1)) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (w === '--') return [];
    if (w.startsWith('-') && w !== '-') {
      const o = w.includes('=') ? undefined : optionsOf().find((x) => x.long === w || x.short === w);
      if (o && o.takesValue) pending = o;
      continue;
    }
    const cmd = path[path.length - 1]!;
    const sub = positional === 0 ? cmd.commands.find((c) => c.name === w || c.aliases.includes(w)) : undefined;
    if (sub) path.push(sub);
    else positional++;
  }
  const cmd = path[path.length - 1]!;
  const parent = path[path.length - 2];
  const starting = (list: Iterable<string>): string[] => [...new Set(list)].filter((c) => c.startsWith(cur));
  if (pending) return starting(await optionValues(pending, store));
  if (cur.startsWith('-')) {
    return starting(
      optionsOf()
        .filter((o) => !o.hidden)
        .flatMap((o) => (o.long ? [o.long] : o.short ? [o.short] : [])),
    );
  }
  const subs = cmd.commands.filter((c) => !c.hidden && c.name !== 'help');
  if (subs.length > 0 && positional === 0) return starting(subs.map((c) => c.name));
  const args = cmd.args;
  const name = args[Math.min(positional, args.length - 1)];
  if (name === undefined) return [];
  if (/run/.test(name) || (RUN_WORDS.has(cmd.name) && positional === 0)) return starting(await runCandidates(store, cur));
  if (/experiment|id-or-name/.test(name) && parent?.name !== 'models') return starting(await store.experiments());
  return [];
}

async function runCandidates(store: CompletionStore, cur: string): Promise<string[]> {
  const runs = await store.runs();
  if (/^[0-9a-f]+$/.test(cur) && cur.length > 0 && runs.some((r) => r.id.startsWith(cur))) return runs.map((r) => r.id);
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  // only names that name one run: the others would be refused as ambiguous
  return ['latest', ...runs.filter((r) => r.name !== '' && count.get(r.name) === 1).map((r) => r.name)];
}

async function optionValues(o: SpecOption, store: CompletionStore): Promise<string[]> {
  const flag = o.long ?? o.short ?? '';
  if (['--experiment', '--to'].includes(flag) || (flag === '-e' && !o.long)) return store.experiments();
  if (['--metric', '--spark'].includes(flag)) return store.metricKeys();
  if (flag === '--parent') return runCandidates(store, '');
  if (flag === '--status') return ['FINISHED', 'FAILED', 'KILLED'];
  if (flag === '--view') return ['active', 'deleted', 'all'];
  return o.values;
}

/** The script for `shell` that completes `mlr` by asking `mlr __complete`. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish'): string {
  if (shell === 'bash') {
    return [
      '# mlr completion for bash: eval "$(mlr completion bash)" in ~/.bashrc',
      '_mlr_complete() {',
      '  local cur=${COMP_WORDS[COMP_CWORD]} c',
      '  COMPREPLY=()',
      '  while IFS= read -r c; do',
      '    [[ -n $c ]] && COMPREPLY+=("$(printf \'%q\' "$c")")',
      '  done < <(mlr __complete -- "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)',
      '}',
      'complete -o default -F _mlr_complete mlr',
      '',
    ].join('\n');
  }
  if (shell === 'zsh') {
    return [
      '#compdef mlr',
      '# mlr completion for zsh: eval "$(mlr completion zsh)" in ~/.zshrc (after compinit)',
      '_mlr_complete() {',
      '  local -a candidates',
      '  candidates=("${(@f)$(mlr __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")',
      '  candidates=(${candidates:#})',
      '  if (( ${#candidates} )); then compadd -a candidates; else _files; fi',
      '}',
      'compdef _mlr_complete mlr',
      '',
    ].join('\n');
  }
  return [
    '# mlr completion for fish: mlr completion fish > ~/.config/fish/completions/mlr.fish',
    'function __mlr_complete',
    '    set -l words (commandline -opc) (commandline -ct)',
    '    mlr __complete -- $words[2..-1] 2>/dev/null',
    'end',
    "complete -c mlr -f -a '(__mlr_complete)'",
    '',
  ].join('\n');
}
