/**
 * Wiring for `mlr migrate`: two store URIs → commands/migrate.ts → summary table.
 */
import type { Command } from 'commander';
import { createContext } from './context.js';
import { choice } from './options.js';

interface MigrateFlags {
  from: string;
  to: string;
  overwrite?: boolean;
  dryRun?: boolean;
  artifactRoot?: string;
  batch: string;
  format: 'table' | 'json';
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'copy experiments, runs (every metric line) and the model registry between stores — mlruns/ ↔ mlflow.db — keeping ids and times; merges into an existing store',
    )
    .requiredOption('--from <uri>', 'source store: a path or file: URI (mlruns/), or sqlite:///mlflow.db')
    .requiredOption('--to <uri>', 'target store (created when missing): a path, or sqlite:///mlflow.db')
    .option('--overwrite', 'replace records whose id is in the target with different content (default: report and leave them)')
    .option('-n, --dry-run', 'show what would be written, write nothing')
    .option('--artifact-root <uri>', 're-root artifact locations: experiment <uri>/<id>, runs below it (artifacts are never copied)')
    .option('--batch <n>', 'runs per transaction', '200')
    .option('--format <format>', 'table or json', choice(['table', 'json'] as const), 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  mlr migrate --from ./mlruns --to sqlite:///mlflow.db\n  mlr migrate --from sqlite:///mlflow.db --to ./mlruns --dry-run\n\n' +
        'Exit status 3 when something was reported: unreadable in the source (broken meta.yaml, torn metric\n' +
        'lines: skipped), or different in the target (left alone unless --overwrite). Re-running is safe.',
    )
    .action(async (flags: MigrateFlags, cmd: Command) => {
      const ctx = createContext(cmd);
      const { UsageError } = await import('../errors.js');
      const { resolveTrackingUri } = await import('../store/root.js');
      const { openBackend } = await import('../store/open.js');
      const { resolveUriIfLocal } = await import('../store/uri.js');
      const { migrate } = await import('../commands/migrate.js');
      const r = await import('../render/migrate.js');
      const batch = Number(flags.batch);
      if (!Number.isSafeInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer, not '${flags.batch}'`, 'bad-batch');
      const fromLoc = resolveTrackingUri(flags.from, {}, ctx.cwd);
      const toLoc = resolveTrackingUri(flags.to, {}, ctx.cwd);
      if (fromLoc.kind === 'rest' || toLoc.kind === 'rest')
        throw new UsageError('migrate works on a file store or a SQLite database, not a tracking server', 'unsupported-store');
      if (fromLoc.root === toLoc.root) throw new UsageError(`--from and --to are the same store (${fromLoc.root})`, 'same-store');
      const warn = (m: string): void => ctx.warn(m);
      const from = await openBackend(fromLoc, { cwd: ctx.cwd, warn });
      const to = await openBackend(toLoc, { cwd: ctx.cwd, warn });
      const tty = Boolean(ctx.io.stderr.isTTY) && ctx.env['MLR_FORCE_TTY'] !== '1' && !ctx.globals.quiet;
      const t0 = Date.now();
      let last = 0;
      let result;
      try {
        result = await migrate(from, to, {
          overwrite: Boolean(flags.overwrite),
          dryRun: Boolean(flags.dryRun),
          ...(flags.artifactRoot !== undefined ? { artifactRoot: resolveUriIfLocal(flags.artifactRoot, ctx.cwd) } : {}),
          batchRuns: batch,
          countFirst: tty,
          ...(tty
            ? {
                progress: (done: number, total: number | undefined) => {
                  const now = Date.now();
                  if (now - last < 100 && done !== total) return;
                  last = now;
                  ctx.io.stderr.write(`\r\x1b[K${r.progressLine(done, total, now - t0)}`);
                },
              }
            : {}),
        });
      } finally {
        if (tty) ctx.io.stderr.write('\r\x1b[K');
        await from.close();
        await to.close();
      }
      for (const p of result.problems) ctx.warn(`${p.kind}${p.id ? ` ${p.id}` : ''}: ${p.message}`);
      for (const c of result.conflicts) ctx.warn(`${c.kind} ${c.id}: ${c.message}`);
      await ctx.out(flags.format === 'json' ? r.migrateJson(result) : r.renderMigrateSummary(result, ctx.mode));
      if (tty) ctx.note(`${result.dryRun ? 'checked' : 'migrated'} ${fromLoc.uri} → ${toLoc.uri} in ${result.seconds.toFixed(1)}s`);
      const reported = result.problems.length + result.conflicts.length;
      if (reported > 0) {
        ctx.note(
          `${reported} record${reported === 1 ? '' : 's'} reported above (${result.problems.length} unreadable or failed, ${result.conflicts.length} different in the target); re-run after fixing them`,
        );
        ctx.setExitCode(3);
      }
    });
}
