/**
 * Wiring for the model registry (`<store>/models/`) and MLflow 3 logged models:
 * models ls / describe / versions, and the registry writes. Modules load inside actions.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { createContext, type Context } from './context.js';
import { choice, collect } from './options.js';

const FORMATS = ['table', 'json', 'csv', 'tsv'] as const;
type Format = (typeof FORMATS)[number];

/** What the model commands read and write through. */
async function modelsContext(ctx: Context): Promise<import('../commands/models.js').ModelsContext> {
  return { reader: await ctx.reader(), registry: await ctx.registry(), artifacts: await ctx.artifacts() };
}

/** Only the registry (the writes that touch nothing else). */
async function registryOnly(ctx: Context): Promise<{ registry: import('../store/backend.js').ModelRegistry }> {
  return { registry: await ctx.registry() };
}

/** `k=v` → {key, value}; the value may contain '=' and be empty. */
function parseTags(list: string[] | undefined): { key: string; value: string }[] {
  return (list ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag expects key=value, got '${kv}'`);
    return { key: kv.slice(0, eq), value: kv.slice(eq + 1) };
  });
}

/** A confirmation line on stderr: on a terminal, or with --verbose (never in the data). */
function say(ctx: Context, message: string): void {
  if ((ctx.io.stderr.isTTY && !ctx.globals.quiet) || ctx.globals.verbose) ctx.note(message);
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
      ctx.page();
      const m = await import('../commands/models.js');
      const r = await import('../render/models.js');
      if (opts.logged) {
        if (opts.filter) throw new UsageError('--filter applies to registered models, not to --logged');
        const views = await m.listLoggedModelViews(await modelsContext(ctx), { experiments: opts.experiment, includeDeleted: opts.all });
        ctx.flushProblems();
        await ctx.out(r.renderLoggedModels(views, opts.format, ctx.mode));
        return;
      }
      if (opts.experiment || opts.all) throw new UsageError('-e/--experiment and --all apply to --logged only');
      const views = await m.listModels(await modelsContext(ctx), { filter: opts.filter });
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
      const view = await m.describeModel(await modelsContext(ctx), name, opts.deleted);
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
      ctx.page();
      const m = await import('../commands/models.js');
      const r = await import('../render/models.js');
      const view = await m.describeModel(await modelsContext(ctx), name, opts.deleted);
      for (const x of view.versions) if (x.note) ctx.info(`v${x.version.version}: ${x.note}`);
      ctx.flushProblems();
      await ctx.out(r.renderVersions(view.versions, opts.format, ctx.mode));
    });

  // ---------------------------------------------------------------- writes

  models
    .command('create')
    .description('create an empty registered model (as MlflowClient.create_registered_model)')
    .argument('<name>', 'model name (no / or %)')
    .option('--description <text>', 'model description')
    .option('--tag <key=value>', 'registered-model tag (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  mlr models create churn-clf --description "weekly churn model" --tag team=growth')
    .action(async (name: string, opts: { description?: string; tag?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd);
      const tags = parseTags(opts.tag);
      const { createModel } = await import('../commands/models.js');
      await createModel(await registryOnly(ctx), name, { ...(opts.description !== undefined ? { description: opts.description } : {}), tags });
      say(ctx, `created registered model '${name}'`);
    });

  models
    .command('register')
    .description("register a run's logged model as a new version (creating the model if needed), as mlflow.register_model; prints the version")
    .argument('<run>', 'run id, unique prefix, unique run name or latest~N')
    .argument('<artifact-path>', "the model's folder inside the run's artifacts, e.g. model")
    .requiredOption('-n, --name <name>', 'registered model name')
    .option('--description <text>', 'version description')
    .option('--tag <key=value>', 'version tag (repeatable)', collect)
    .option('--no-check', 'do not check that the artifact exists (e.g. artifacts not copied here)')
    .addHelpText('after', '\nExample:\n  V=$(mlr models register 0fcd845b model --name churn-clf) && mlr models alias churn-clf champion "$V"')
    .action(async (run: string, artifactPath: string, opts: { name: string; description?: string; tag?: string[]; check: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const tags = parseTags(opts.tag);
      const { registerModelVersion } = await import('../commands/models.js');
      const r = await registerModelVersion(await modelsContext(ctx), {
        run: await ctx.runId(run),
        artifactPath,
        name: opts.name,
        description: opts.description,
        tags,
        check: opts.check,
      });
      if (r.warning) ctx.warn(r.warning);
      if (r.createdModel) say(ctx, `Successfully registered model '${opts.name}'.`);
      say(ctx, `Created version '${r.version}' of model '${opts.name}' (source ${r.source}).`);
      ctx.flushProblems();
      await ctx.out(r.version + '\n');
    });

  models
    .command('alias')
    .description('point an alias (e.g. champion) at a version, or remove it with --delete')
    .argument('<name>', 'registered model name')
    .argument('<alias>', 'alias: letters, digits, _ and -; not "latest" or v<digits>')
    .argument('[version]', 'version number')
    .option('--delete', 'remove the alias instead')
    .addHelpText('after', '\nExamples:\n  mlr models alias churn-clf champion 3\n  mlr models alias churn-clf champion --delete')
    .action(async (name: string, alias: string, version: string | undefined, opts: { delete?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { setOrDeleteAlias } = await import('../commands/models.js');
      if (opts.delete) {
        if (version !== undefined) throw new UsageError('--delete takes no version');
        const removed = await setOrDeleteAlias(await registryOnly(ctx), name, alias, undefined);
        if (!removed) ctx.warn(`model '${name}' has no alias '${alias}'; nothing changed`);
        else say(ctx, `removed alias '${alias}' of '${name}'`);
        return;
      }
      if (version === undefined) throw new UsageError('give the version the alias points to (or --delete)');
      await setOrDeleteAlias(await registryOnly(ctx), name, alias, version);
      say(ctx, `alias '${alias}' of '${name}' → version ${version}`);
    });

  models
    .command('set-tag')
    .description('set a tag on a registered model, or on one version with --model-version')
    .argument('<name>', 'registered model name')
    .argument('<key>', 'tag key')
    .argument('<value>', 'tag value')
    .option('--model-version <n>', 'tag this version instead of the model')
    .addHelpText('after', '\nExamples:\n  mlr models set-tag churn-clf team growth\n  mlr models set-tag churn-clf validated true --model-version 3')
    .action(async (name: string, key: string, value: string, opts: { modelVersion?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { setModelOrVersionTag } = await import('../commands/models.js');
      await setModelOrVersionTag(await registryOnly(ctx), name, key, value, opts.modelVersion);
    });

  models
    .command('delete-tag')
    .description('remove a tag from a registered model, or from one version with --model-version')
    .argument('<name>', 'registered model name')
    .argument('<key>', 'tag key')
    .option('--model-version <n>', 'the version whose tag to remove')
    .action(async (name: string, key: string, opts: { modelVersion?: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { deleteModelOrVersionTag } = await import('../commands/models.js');
      if (!(await deleteModelOrVersionTag(await registryOnly(ctx), name, key, opts.modelVersion))) {
        ctx.warn(`${opts.modelVersion !== undefined ? `version ${opts.modelVersion} of ` : ''}model '${name}' has no tag '${key}'; nothing changed`);
      }
    });

  models
    .command('stage')
    .description('move a version to a stage: None, Staging, Production or Archived (MLflow 2 stages)')
    .argument('<name>', 'registered model name')
    .argument('<version>', 'version number')
    .argument('<stage>', 'None, Staging, Production or Archived (any case)')
    .option('--archive-existing', 'archive the versions already in that stage (Staging/Production)')
    .addHelpText('after', '\nExample:\n  mlr models stage churn-clf 3 production --archive-existing')
    .action(async (name: string, version: string, stage: string, opts: { archiveExisting?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { stageVersion } = await import('../commands/models.js');
      const s = await stageVersion(await registryOnly(ctx), name, version, stage, Boolean(opts.archiveExisting));
      say(ctx, `version ${version} of '${name}' is now in stage ${s}`);
    });

  models
    .command('delete-version')
    .description('delete one version (as MLflow: kept on disk as Deleted_Internal, hidden, its aliases removed)')
    .argument('<name>', 'registered model name')
    .argument('<version>', 'version number')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const { deleteVersion } = await import('../commands/models.js');
      const aliases = await deleteVersion(await registryOnly(ctx), name, version);
      say(ctx, `deleted version ${version} of '${name}'` + (aliases.length ? `; removed alias${aliases.length > 1 ? 'es' : ''} ${aliases.join(', ')}` : ''));
    });

  models
    .command('delete')
    .description('delete a registered model and all its versions from the registry (run artifacts are not touched); needs --yes')
    .argument('<name>', 'registered model name')
    .option('-y, --yes', 'really delete (without it, say what would be deleted and change nothing)')
    .action(async (name: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const m = await import('../commands/models.js');
      const plan = await m.modelDeletionPlan(await modelsContext(ctx), name);
      const what =
        `registered model '${name}' with ${plan.versions} version${plan.versions === 1 ? '' : 's'}` +
        (plan.deleted_versions ? ` (+${plan.deleted_versions} deleted)` : '') +
        (plan.model.aliases.length ? `, aliases ${plan.model.aliases.map((a) => a.alias).join(', ')}` : '') +
        (plan.model.tags.length ? `, ${plan.model.tags.length} tag${plan.model.tags.length === 1 ? '' : 's'}` : '');
      if (!opts.yes) {
        ctx.note(`would delete ${what}; run again with --yes to delete it`);
        return;
      }
      await m.deleteModel(await registryOnly(ctx), name);
      say(ctx, `deleted ${what}`);
    });
}
