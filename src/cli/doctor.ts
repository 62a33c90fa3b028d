/**
 * Wiring for `mlr doctor`: report (exit 0 clean, 3 problems), `--fix` (backup, repair,
 * report what is left), `--undo <backup>`. The doctor modules are imported lazily.
 */
import path from 'node:path';
import { type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { OutStream } from './io.js';
import { createContext } from './context.js';
import { choice } from './options.js';

const FORMATS = ['table', 'json', 'tsv', 'md'] as const;

interface DoctorOptions {
  fix?: boolean;
  backupDir?: string;
  undo?: string;
  format: (typeof FORMATS)[number];
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('find what is broken in the store; --fix repairs it, keeping a backup of every byte it changes')
    .option('--fix', 'apply every safe repair, after saving what it changes into a backup folder outside the store')
    .option('--backup-dir <dir>', 'where --fix saves the backup (default: <store>.mlr-backup/<UTC time>)')
    .option('--undo <backup>', 'put back everything a --fix changed, from its backup folder')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, choice(FORMATS), 'table')
    .addHelpText(
      'after',
      '\nExit status: 0 clean, 3 problems found (or left after --fix), 1 store unreadable.\n\nExamples:\n  mlr doctor\n  mlr doctor --fix\n  mlr doctor --undo mlruns.mlr-backup/20260101T120000Z',
    )
    .action(async (opts: DoctorOptions, cmd: Command) => {
      const ctx = createContext(cmd);
      ctx.page();
      if (opts.undo !== undefined && (opts.fix || opts.backupDir !== undefined)) {
        throw new UsageError('--undo cannot be combined with --fix or --backup-dir');
      }
      if (opts.backupDir !== undefined && !opts.fix) throw new UsageError('--backup-dir only applies with --fix');
      const quiet = Boolean(ctx.globals.quiet);
      // commander's version() without arguments returns the program's version string
      const VERSION = (cmd.parent?.version() as string | undefined) ?? 'unknown';
      if (opts.undo !== undefined) {
        const { undoFix } = await import('../doctor/undo.js');
        const explicit = ctx.globals.trackingUri ?? ctx.globals.store ?? ctx.env['MLFLOW_TRACKING_URI'];
        // relative to the invocation's folder, not process.cwd() (the CLI also runs in-process)
        const r = undoFix(path.resolve(ctx.cwd, opts.undo), explicit ? await ctx.fileRoot('mlr doctor --undo') : undefined);
        if (opts.format === 'json') await ctx.out((await import('../render/table.js')).renderJson({ store: r.store, undone: r.undone }));
        else if (!quiet) ctx.note(`undid ${r.undone.length} change${r.undone.length === 1 ? '' : 's'} in ${shown(r.store, ctx.cwd)}`);
        return;
      }
      const { diagnose, publicFinding } = await import('../doctor/diagnose.js');
      const render = await import('../render/doctor.js');
      const root = await ctx.fileRoot('mlr doctor');
      const progress = makeProgress(quiet ? undefined : ctx.io.stderr);
      const d = diagnose(root, { now: ctx.mode.now, onProgress: progress.tick });
      progress.done();
      if (!opts.fix) {
        const data = { store: root, experiments: d.experiments, runs: d.runs, findings: d.findings.map(publicFinding) };
        // people read paths relative to where they are; JSON keeps them absolute
        const human = { ...data, store: shown(root, ctx.cwd) };
        await ctx.out(render.renderReport(opts.format === 'json' ? data : human, opts.format, ctx.mode));
        if (!quiet && opts.format !== 'json' && opts.format !== 'md' && !ctx.mode.tty) ctx.note(`${render.summaryLine(human)}`);
        if (data.findings.some((f) => f.severity !== 'info')) ctx.setExitCode(3);
        return;
      }
      const { applyFixes } = await import('../doctor/apply.js');
      const r = applyFixes(d, {
        backupDir: opts.backupDir === undefined ? undefined : path.resolve(ctx.cwd, opts.backupDir),
        now: ctx.mode.now,
        version: VERSION,
      });
      // look again: what is left is what the fix could not (or must not) repair
      const after = diagnose(root, { now: ctx.mode.now });
      const data = {
        store: root,
        experiments: after.experiments,
        runs: after.runs,
        findings: after.findings.map(publicFinding),
        backup: r.backupDir,
        fixed: r.fixed.map(publicFinding),
        actions: r.actions.length,
        skipped: r.skipped,
      };
      const human = { ...data, store: shown(root, ctx.cwd), backup: r.backupDir && shown(r.backupDir, ctx.cwd) };
      await ctx.out(render.renderFix(opts.format === 'json' ? data : human, opts.format, ctx.mode));
      if (!quiet && opts.format !== 'json' && !ctx.mode.tty) {
        ctx.note(`repaired ${r.fixed.length} problem${r.fixed.length === 1 ? '' : 's'}. ${render.summaryLine(human)}`);
        if (human.backup) ctx.note(`backup: ${human.backup} (undo with: mlr doctor --undo ${human.backup})`);
      }
      if (data.findings.some((f) => f.severity !== 'info')) ctx.setExitCode(3);
    });
}

/** `p` relative to the working folder when it is inside it (`mlruns`), else absolute. */
function shown(p: string, cwd: string): string {
  const r = path.relative(cwd, p);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/** A "scanned N runs…" line on stderr, only on a terminal, only once a scan takes a while. */
function makeProgress(stderr: OutStream | undefined): { tick: (n: number) => void; done: () => void } {
  if (!stderr?.isTTY) return { tick: () => {}, done: () => {} };
  const start = Date.now();
  let shown = false;
  return {
    tick(n: number) {
      if (Date.now() - start < 300) return;
      shown = true;
      stderr.write(`\rmlr doctor: scanned ${n} runs…`);
    },
    done() {
      if (shown) stderr.write('\r\x1b[K');
    },
  };
}
