/**
 * Wiring for the commands about mlr itself: `mlr config` (what mlr.config.json sets, and
 * from where) and shell completion.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { CONFIG_FILE, userConfigPath } from './config.js';
import { createContext } from './context.js';
import { choice } from './options.js';

export function registerSetup(program: Command): void {
  registerCompletion(program);
  program
    .command('config')
    .description(`show the settings in force and where each comes from (flags, environment, ${CONFIG_FILE})`)
    .option('--format <format>', 'table or json', choice(['table', 'json'] as const), 'table')
    .addHelpText(
      'after',
      [
        '',
        `${CONFIG_FILE} is looked for in the current folder and its parents (the project's), and in`,
        `$XDG_CONFIG_HOME/mlr/ (default ~/.config/mlr/, the user's); the project's wins key by key, and`,
        'flags and MLFLOW_TRACKING_URI win over both. Keys:',
        '  "store":   path or tracking URI (relative to the file\'s folder), as --store',
        '  "columns": default columns of runs ls, as --columns (a list or a comma-separated string)',
        '  "metrics": a metric\'s better direction, {"val_loss": "min"}: runs best needs no --min/--max',
        '             (and no --metric when only one metric is listed)',
        '',
        'Example:',
        '  echo \'{"store": "./mlruns", "metrics": {"val_loss": "min"}}\' > mlr.config.json && mlr config',
      ].join('\n'),
    )
    .action(async (opts: { format: 'table' | 'json' }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const config = ctx.config();
      const shown = (file: string): string => {
        const rel = path.relative(ctx.cwd, file);
        return rel.startsWith('..' + path.sep + '..' + path.sep + '..') || path.isAbsolute(rel) || file === userConfigPath(ctx.env) ? file : rel;
      };
      const flag = ctx.globals.trackingUri ?? ctx.globals.store;
      const store = flag
        ? { value: flag, source: ctx.globals.trackingUri !== undefined ? '--tracking-uri' : '--store' }
        : ctx.env['MLFLOW_TRACKING_URI']
          ? { value: ctx.env['MLFLOW_TRACKING_URI'], source: 'MLFLOW_TRACKING_URI' }
          : config.store
            ? { value: config.store.value, source: shown(config.store.file) }
            : { value: './mlruns', source: 'default' };
      const rows: { key: string; value: string; source: string }[] = [{ key: 'store', ...store }];
      rows.push(
        config.columns
          ? { key: 'columns', value: config.columns.value.join(','), source: shown(config.columns.file) }
          : { key: 'columns', value: '(chosen per listing)', source: 'default' },
      );
      for (const [k, v] of Object.entries(config.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        rows.push({ key: `metrics.${k}`, value: v.value, source: shown(v.file) });
      }
      const files = config.files.map(shown);
      if (opts.format === 'json') {
        const { renderConfigJson } = await import('../render/config.js');
        await ctx.out(renderConfigJson(rows, files));
        return;
      }
      const { renderConfig } = await import('../render/config.js');
      await ctx.out(renderConfig(rows, files, ctx.mode));
      if (files.length === 0 && ctx.mode.tty) ctx.note(`no ${CONFIG_FILE} here or above, nor in ${userConfigPath(ctx.env) ?? '$XDG_CONFIG_HOME/mlr/'}`);
    });
}

/** `mlr completion <shell>` and the hidden `mlr __complete -- <words…>` its scripts call. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell script that completes mlr commands, flags, experiment names and runs (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  echo \'eval "$(mlr completion bash)"\' >> ~/.bashrc',
        '  echo \'eval "$(mlr completion zsh)"\' >> ~/.zshrc',
        '  mlr completion fish > ~/.config/fish/completions/mlr.fish',
      ].join('\n'),
    )
    .action(async (shell: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') throw new UsageError(`no completion for '${shell}': use bash, zsh or fish`, 'bad-shell');
      const { completionScript } = await import('./complete.js');
      await ctx.out(completionScript(shell));
    });

  program
    .command('__complete', { hidden: true })
    .description('candidates for the last word of an mlr command line, one per line (what the completion scripts call)')
    .argument('[words...]', 'the words after mlr; the last is the one being completed')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[], _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const [{ specOf }, { completeLine }] = await Promise.all([import('./complete.js'), import('./complete-store.js')]);
      const text = await completeLine(specOf(cmd.parent!), words, {
        env: ctx.env,
        cwd: ctx.cwd,
        flag: ctx.globals.trackingUri ?? ctx.globals.store,
        openBackend: ctx.io.openBackend,
      });
      await ctx.out(text);
    });
}
