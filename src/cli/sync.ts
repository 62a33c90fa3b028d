/**
 * Wiring for `mlr sync`: two tracking URIs → two backends → syncRuns (src/commands/sync.ts)
 * → the summary table; a progress line on a terminal; exit 3 when some runs failed.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { createContext } from './context.js';
import { choice, collect } from './options.js';

const FORMATS = ['table', 'json', 'csv', 'tsv'] as const;

interface SyncFlags {
  from: string;
  to: string;
  experiment?: string[];
  run?: string[];
  filter?: string;
  dryRun?: boolean;
  artifacts: boolean;
  artifactRoot?: string;
  format: (typeof FORMATS)[number];
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      'copy runs between stores, history and all: push offline runs to a tracking server, or pull them into a folder (idempotent: a re-run sends only what is new)',
    )
    .requiredOption('--from <uri>', 'source: a folder, sqlite:///file.db or http(s)://server')
    .requiredOption('--to <uri>', 'target: a folder, sqlite:///file.db or http(s)://server')
    .option('-e, --experiment <id-or-name>', 'only runs of this source experiment (repeatable)', collect)
    .option('--run <run>', 'only this source run, id or unique prefix (repeatable)', collect)
    .option('--filter <expr>', 'only source runs matching this search filter')
    .option('-n, --dry-run', 'show what would be sent and change nothing')
    .option('--no-artifacts', 'do not copy artifacts')
    .option(
      '--artifact-root <uri>',
      'where experiments sync creates on a local target keep artifacts: <uri>/<id> (default: the folder store itself; mlruns/ beside a SQLite database)',
    )
    .option('--format <format>', `summary format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  mlr sync --from ./mlruns --to http://mlflow.internal:5000 -e sweep\n  mlr sync --from http://mlflow.internal:5000 --to ./mirror --run 0fcd845b',
    )
    .action(async (flags: SyncFlags, cmd: Command) => {
      const ctx = createContext(cmd);
      const { resolveTrackingUri } = await import('../store/root.js');
      const { openBackend } = await import('../store/open.js');
      const { resolveUriIfLocal } = await import('../store/uri.js');
      const from = resolveTrackingUri(flags.from, {}, ctx.cwd);
      let to = resolveTrackingUri(flags.to, {}, ctx.cwd);
      if (flags.artifactRoot !== undefined) {
        if (to.kind === 'rest')
          throw new UsageError(`--artifact-root: a tracking server chooses where artifacts go (${flags.to})`, 'sync-artifact-root-remote');
        to = { ...to, artifactRoot: resolveUriIfLocal(flags.artifactRoot, ctx.cwd) };
      } else if (to.kind === 'sqlite') {
        // mlruns/ beside the database, where its artifact repository looks (MLflow's ./mlruns, run from the database's folder)
        to = { ...to, artifactRoot: path.join(path.dirname(to.root), 'mlruns') };
      }
      if (from.kind === to.kind && from.root === to.root && (from.kind !== 'rest' || from.uri.replace(/\/+$/, '') === to.uri.replace(/\/+$/, ''))) {
        throw new UsageError(`--from and --to name the same store (${flags.from})`, 'sync-same-store');
      }
      const truncate = !/^(false|0)$/i.test(ctx.env['MLFLOW_TRUNCATE_LONG_VALUES'] ?? 'true');
      const open = (l: typeof from) => openBackend(l, { cwd: ctx.cwd, env: ctx.env, warn: (m) => ctx.warn(m), truncate });
      const source = await open(from);
      const target = await open(to);
      try {
        if (to.kind !== 'rest' && !flags.dryRun && !(await import('node:fs')).existsSync(to.root)) {
          // a new folder (or database): a store with its Default experiment, as MLflow starts one
          const w = await target.writer();
          const made = await w.createExperiment('Default', to.kind === 'file' ? { experimentId: '0' } : {});
          if (flags.artifacts !== false) await (await import('../commands/sync.js')).makeArtifactFolder(target, made.experiment_id);
          ctx.note(`created a new store at ${flags.to}`);
        }
        const { syncRuns } = await import('../commands/sync.js');
        const { renderSync, syncSummary } = await import('../render/sync.js');
        const tty = ctx.io.stderr.isTTY === true && !ctx.globals.quiet;
        const started = Date.now();
        const result = await syncRuns({
          from: source,
          to: target,
          ...(flags.experiment ? { experiments: flags.experiment } : {}),
          ...(flags.run ? { runs: flags.run } : {}),
          ...(flags.filter !== undefined ? { filter: flags.filter } : {}),
          dryRun: Boolean(flags.dryRun),
          artifacts: flags.artifacts !== false,
          ...(tty
            ? {
                onProgress: (p) => {
                  const s = (Date.now() - started) / 1000;
                  const eta = p.runsDone ? (s / p.runsDone) * (p.runsTotal - p.runsDone) : 0;
                  const width = 20;
                  const fill = Math.round((p.runsDone / Math.max(1, p.runsTotal)) * width);
                  ctx.io.stderr.write(
                    `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.runsDone}/${p.runsTotal} runs, ${p.linesSent} lines, ${(p.linesSent / Math.max(s, 0.001)).toFixed(0)} lines/s, ETA ${eta.toFixed(0)} s\u001b[K`,
                  );
                  if (p.runsDone === p.runsTotal) ctx.io.stderr.write('\r\u001b[K');
                },
              }
            : {}),
        });
        ctx.flushProblems((await source.reader()).problems);
        await ctx.out(renderSync(result, flags.format, ctx.mode, Boolean(flags.dryRun)));
        if (!ctx.globals.quiet) ctx.note(syncSummary(result, Boolean(flags.dryRun)));
        for (const r of result.runs) if (r.error) ctx.warn(`run ${r.source_run_id}: ${r.error}`);
        if (result.warning) ctx.warn(result.warning);
        if (result.failed) ctx.setExitCode(3);
      } finally {
        await source.close();
        await target.close();
      }
    });
}
