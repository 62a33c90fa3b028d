/**
 * Wiring for the model registry (`<store>/models/`) and MLflow 3 logged models:
 * models ls / describe / versions, and the registry writes. Modules load inside actions.
 */
import type { Command } from 'commander';
import { createContext, type Context } from './context.js';
import { choice, collect } from './options.js';

const FORMATS = ['table', 'json', 'csv', 'tsv'] as const;
type Format = (typeof FORMATS)[number];

function resolveCtx(ctx: Context): { root: string; cwd: string } {
  return { root: ctx.store().root, cwd: ctx.cwd };
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model registry (registered models, versions, aliases) and MLflow 3 logged models');

  models
    .command('ls')
    .alias('list')
    .description('list registered models (by name), or with --logged the MLflow 3 logged models of experiments')
    .option('--filter <filter>', "MLflow's registered-model filter: name and tags.<key> with =, !=, LIKE, ILIKE, joined by AND")
    .option('--logged', 'list MLflow 3 logged models (<experiment>/models/m-*) instead')
    .option('-e, --experiment <id-or-name>', 'with --logged: experiment id or name (repeatable; default all active)', collect)
    .option('--all', 'with --logged: include deleted logged models')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText(
      'after',
      `\nExamples:\n  mlr models ls\n  mlr models ls --filter "name LIKE '%clf%' AND tags.task = 'vision'"\n  mlr models ls --logged -e wine --format json`,
    )
    .action(async (opts: { filter?: string; logged?: boolean; experiment?: string[]; all?: boolean; format: Format }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { UsageError } = await import('../errors.js');
      const m = await import('../commands/models.js');
      const r = await import('../render/models.js');
      if (opts.logged) {
        if (opts.filter) throw new UsageError('--filter applies to registered models, not to --logged');
        const views = m.listLoggedModelViews(ctx.store(), resolveCtx(ctx), { experiments: opts.experiment, includeDeleted: opts.all });
        ctx.flushProblems();
        await ctx.out(r.renderLoggedModels(views, opts.format, ctx.mode));
        return;
      }
      if (opts.experiment || opts.all) throw new UsageError('-e/--experiment and --all apply to --logged only');
      const views = m.listModels(ctx.store(), resolveCtx(ctx), { filter: opts.filter });
      for (const v of views) for (const x of v.versions) if (x.note) ctx.info(`${v.model.name} v${x.version.version}: ${x.note}`);
      ctx.flushProblems();
      await ctx.out(r.renderModelList(views, opts.format, ctx.mode));
    });

  models
    .command('describe')
    .alias('show')
    .description('one registered model: description, tags, aliases, and every version (stage, status, aliases, tags, source run, flavors)')
    .argument('<name>', 'registered model name')
    .option('--deleted', 'also show versions deleted with delete-version (stage Deleted_Internal)')
    .option('--format <format>', 'table or json', choice(['table', 'json'] as const), 'table')
    .addHelpText('after', '\nExample:\n  mlr models describe resnet-classifier --format json | jq .model_versions[0].source')
    .action(async (name: string, opts: { deleted?: boolean; format: 'table' | 'json' }, cmd: Command) => {
      const ctx = createContext(cmd);
      const m = await import('../commands/models.js');
      const r = await import('../render/models.js');
      const view = m.describeModel(ctx.store(), resolveCtx(ctx), name, opts.deleted);
      for (const x of view.versions) if (x.note) ctx.info(`v${x.version.version}: ${x.note}`);
      ctx.flushProblems();
      await ctx.out(r.renderModelDescription(view, opts.format, ctx.mode));
    });

  models
    .command('versions')
    .description('the versions of one registered model, oldest first')
    .argument('<name>', 'registered model name')
    .option('--deleted', 'include versions deleted with delete-version')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText('after', '\nExample:\n  mlr models versions resnet-classifier --format tsv | cut -f2,3,6')
    .action(async (name: string, opts: { deleted?: boolean; format: Format }, cmd: Command) => {
      const ctx = createContext(cmd);
      const m = await import('../commands/models.js');
      const r = await import('../render/models.js');
      const view = m.describeModel(ctx.store(), resolveCtx(ctx), name, opts.deleted);
      for (const x of view.versions) if (x.note) ctx.info(`v${x.version.version}: ${x.note}`);
      ctx.flushProblems();
      await ctx.out(r.renderVersions(view.versions, opts.format, ctx.mode));
    });
}
