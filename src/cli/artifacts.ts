/**
 * Wiring for artifacts ls / get / cat. Artifacts are found where the run recorded them,
 * or inside the current store when the recorded path belongs to another machine.
 */
import type { Command } from 'commander';
import { createContext, type Context } from './context.js';
import { choice } from './options.js';
import type { ArtifactLocation } from '../store/backend.js';

const FORMATS = ['table', 'json', 'csv', 'tsv'] as const;

function noteRoot(ctx: Context, root: ArtifactLocation): void {
  if (root.note) ctx.info(root.note);
  else ctx.info(`artifacts at ${root.where}`);
}

export function registerArtifacts(program: Command): void {
  const artifacts = program.command('artifacts').description("a run's artifacts: list, copy out, print (read-only)");

  artifacts
    .command('ls')
    .alias('list')
    .description("list a run's artifacts with sizes (a tree with --recursive on a terminal)")
    .argument('<run>', 'run id, unique prefix, unique run name or latest~N')
    .argument('[path]', 'folder inside the artifacts (default: the root)', '')
    .option('-r, --recursive', 'list everything below the path')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  mlr artifacts ls 0fcd845b\n  mlr artifacts ls 0fcd845b model --recursive\n  mlr -v artifacts ls 0fcd845b     # says where the files were found',
    )
    .action(async (run: string, rel: string, opts: { recursive?: boolean; format: (typeof FORMATS)[number] }, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      const { listRunArtifacts } = await import('../commands/artifacts.js');
      const { renderArtifacts } = await import('../render/artifacts.js');
      const l = await listRunArtifacts(await ctx.reader(), await ctx.artifacts(), await ctx.runId(run), rel, opts.recursive);
      noteRoot(ctx, l.root);
      ctx.flushProblems();
      await ctx.out(renderArtifacts(l.entries, l.path, Boolean(opts.recursive), opts.format, ctx.mode));
    });

  artifacts
    .command('get')
    .alias('download')
    .description('copy an artifact file or folder of a run to <out>/<path> (never overwrites); prints the local path')
    .argument('<run>', 'run id, unique prefix, unique run name or latest~N')
    .argument('<path>', "artifact path ('.' for everything)")
    .option('-o, --out <dir>', 'destination folder', '.')
    .addHelpText('after', '\nExamples:\n  mlr artifacts get 0fcd845b model --out /tmp/m     # → /tmp/m/model/…\n  mlr artifacts get 0fcd845b docs/notes.txt')
    .action(async (run: string, rel: string, opts: { out: string }, cmd: Command) => {
      const ctx = createContext(cmd);
      const path = await import('node:path');
      const { downloadArtifact } = await import('../commands/artifacts.js');
      const r = await downloadArtifact(await ctx.reader(), await ctx.artifacts(), await ctx.runId(run), rel, path.resolve(ctx.cwd, opts.out));
      noteRoot(ctx, r.root);
      ctx.info(`copied ${r.files} file${r.files === 1 ? '' : 's'}`);
      ctx.flushProblems();
      await ctx.out(r.dest + '\n');
    });

  artifacts
    .command('cat')
    .description('print one artifact file to stdout, byte for byte')
    .argument('<run>', 'run id, unique prefix, unique run name or latest~N')
    .argument('<path>', 'artifact file path')
    .addHelpText('after', '\nExample:\n  mlr artifacts cat 0fcd845b model/MLmodel')
    .action(async (run: string, rel: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const { catArtifact } = await import('../commands/artifacts.js');
      const r = await catArtifact(await ctx.reader(), await ctx.artifacts(), await ctx.runId(run), rel, { refuseBinary: ctx.mode.tty });
      noteRoot(ctx, r.root);
      ctx.flushProblems();
      await new Promise<void>((resolve, reject) => {
        const s = r.stream;
        s.on('error', reject);
        s.on('end', () => resolve());
        s.pipe(ctx.io.stdout, { end: false });
      });
    });
}
