/**
 * Output taller than the terminal goes through a pager, as git and gh do (issue 11 item 13):
 * `$MLR_PAGER`, else `$PAGER`, else `less -FRX`; an empty value or `--no-pager` turns it
 * off. Only on a real terminal and only for commands that ask (bounded, read-only output:
 * never `plot --follow` or `server`). Output is held until it is taller than the screen, so
 * a short answer is printed as it is, without starting anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { CliIO } from './io.js';

/** The pager command in force, or undefined when paging is off. */
export function pagerCommand(env: Record<string, string | undefined>, noPager: boolean): string | undefined {
  if (noPager) return undefined;
  for (const name of ['MLR_PAGER', 'PAGER']) {
    const v = env[name];
    if (v !== undefined) return v.trim() === '' || v.trim() === 'cat' ? undefined : v;
  }
  return 'less -FRX';
}

/** stdout of one invocation, through a pager once more than `rows - 1` lines have come. */
export class PagedOutput {
  private held: string[] = [];
  private lines = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private closed = false;
  private readonly ignore = (): void => {};

  private readonly io: CliIO;
  private readonly command: string;
  /** lines that fit: more than this and the pager starts */
  private readonly rows: number;

  constructor(io: CliIO, command: string, rows: number) {
    this.io = io;
    this.command = command;
    this.rows = rows;
  }

  /** Write `text` (held, or to the pager; nothing once the pager has quit). */
  async write(text: string): Promise<void> {
    if (this.closed) return;
    if (!this.child) {
      this.held.push(text);
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lines++;
      if (this.lines <= this.rows) return;
      this.start();
      text = this.held.join('');
      this.held = [];
    }
    const stdin = this.child!.stdin!;
    if (!stdin.write(text))
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.once('drain', done);
        stdin.once('close', done);
      });
  }

  /** Print what is held (short output), or close the pager's input and wait until it quits. */
  async end(): Promise<void> {
    if (!this.child) {
      const text = this.held.join('');
      this.held = [];
      if (text !== '' && !this.io.stdout.write(text)) await new Promise<void>((r) => this.io.stdout.once('drain', () => r()));
      return;
    }
    if (!this.closed) this.child.stdin!.end();
    await this.exited;
    this.io.signals.off('SIGINT', this.ignore);
  }

  private start(): void {
    const own = this.io.inheritable;
    // Ctrl-C belongs to the pager while it runs (git does the same)
    this.io.signals.on('SIGINT', this.ignore);
    const env = { ...this.io.env, LESS: this.io.env['LESS'] ?? 'FRX', LV: this.io.env['LV'] ?? '-c' };
    const child = spawn('sh', ['-c', this.command], { stdio: ['pipe', own ? 'inherit' : 'pipe', own ? 'inherit' : 'pipe'], env, cwd: this.io.cwd });
    if (!own) {
      child.stdout!.pipe(this.io.stdout, { end: false });
      child.stderr!.pipe(this.io.stderr, { end: false });
    }
    // the user quit the pager before the end: stop writing, quietly
    child.stdin!.on('error', () => {
      this.closed = true;
    });
    child.stdin!.on('close', () => {
      this.closed = true;
    });
    this.exited = new Promise<void>((resolve) => {
      const finish = (): void => {
        this.closed = true;
        resolve();
      };
      child.on('error', finish);
      // 'close': the pager's output (when piped to us) is all written
      child.on('close', finish);
    });
    this.child = child;
  }
}
