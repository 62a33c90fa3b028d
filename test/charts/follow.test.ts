/**
 * Issue 11 item 9: `plot --follow` — the hint comes before the first frame (so each redraw
 * climbs exactly the chart's lines: the title once, the hint kept), a followed run that ends
 * stops it with "run … FINISHED" under the last frame, and with -e new runs join while runs
 * without the metric take no slot. The built binary, as a terminal runs it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, copyStore, mlr, reap } from '../helpers.js';

/** `mlr …` as a child with stdout and stderr on one pipe (as on a terminal), and a way to wait for its output. */
function follow(args: string[], env: Record<string, string> = {}) {
  const child = reap(spawn('sh', ['-c', `exec "${process.execPath}" "${BIN}" "$@" 2>&1`, 'sh', ...args], { env: cleanEnv(env) }));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return {
    child,
    exited,
    text: () => output,
    async waitFor(pred: (s: string) => boolean, what: string): Promise<void> {
      for (let i = 0; i < 300 && !pred(output); i++) await new Promise((r) => setTimeout(r, 50));
      if (!pred(output)) throw new Error(`timed out waiting for ${what}; output so far:\n${output}`);
    },
  };
}

describe('plot --follow', () => {
  it('hint first, redraws in place, stops when the run ends', async () => {
    const store = copyStore();
    const m = (...a: string[]) => mlr(['--store', store, ...a]);
    const run = (await m('runs', 'create', '-e', 'sweep', '--name', 'live')).stdout.trim();
    for (let i = 0; i < 4; i++) await m('log-metric', run, 'loss', String(0.9 - i / 10), '--step', String(i));
    const f = follow(['--store', store, 'plot', run, '--metric', 'loss', '--height', '3', '--width', '50', '--follow', '--interval', '0.1'], {
      MLR_FORCE_TTY: '1',
      COLUMNS: '60',
    });
    await f.waitFor((s) => s.includes('last 0.6'), 'the first frame');
    await m('log-metric', run, 'loss', '0.3', '--step', '5');
    await f.waitFor((s) => s.includes('last 0.3'), 'the redraw');
    await m('runs', 'end', run);
    expect(await f.exited).toBe(0);
    const out = f.text();
    const lines = out.split('\n');
    expect(lines[0]).toBe('mlr: following the metric files; Ctrl-C to stop');
    expect(lines.at(-2)).toBe(`mlr: run live (${run.slice(0, 8)}) FINISHED; stopped following`);
    // every redraw climbs exactly the lines of the frame before it and starts with the title
    const body = lines.slice(1, -2).join('\n') + '\n';
    const frames = body.split(/\x1b\[(\d+)A\r\x1b\[J/);
    const drawn = frames.filter((_, i) => i % 2 === 0);
    const climbs = frames.filter((_, i) => i % 2 === 1).map(Number);
    expect(drawn.length).toBeGreaterThanOrEqual(3);
    climbs.forEach((n, i) => expect(n).toBe(drawn[i]!.split('\n').length - 1));
    for (const d of drawn) expect(d.split('\n')[0]).toBe(`loss · live (${run.slice(0, 8)})`);
    expect(out.match(/loss · live/g)).toHaveLength(drawn.length);
    // the last frame stays: it has every line
    expect(drawn.at(-1)).toContain('last 0.3');
  }, 30_000);

  it('with -e, new runs join and runs without the metric take no slot', async () => {
    const store = copyStore();
    const m = (...a: string[]) => mlr(['--store', store, ...a]);
    await m('experiments', 'create', 'fresh');
    const f = follow(['--store', store, 'plot', '-e', 'fresh', '--metric', 'loss', '--max-results', '2', '--height', '3', '--follow', '--interval', '0.1']);
    await f.waitFor((s) => s.includes("no run has 'loss' yet; waiting for one"), 'the waiting note');
    const noLoss = (await m('runs', 'create', '-e', 'fresh', '--name', 'acc-only', '--start-time', '1700000003000')).stdout.trim();
    await m('log-metric', noLoss, 'acc', '0.5');
    const b = (await m('runs', 'create', '-e', 'fresh', '--name', 'run-b', '--start-time', '1700000001000')).stdout.trim();
    await m('log-metric', b, 'loss', '0.5');
    await f.waitFor((s) => s.includes('last 0.5'), 'run-b');
    const c = (await m('runs', 'create', '-e', 'fresh', '--name', 'run-c', '--start-time', '1700000002000')).stdout.trim();
    await m('log-metric', c, 'loss', '0.25');
    await f.waitFor((s) => s.includes('run-c'), 'run-c');
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    const last = f.text().split('\n\n').at(-1)!;
    expect(last).toContain('run-b');
    expect(last).toContain('run-c');
    expect(f.text()).not.toContain('acc-only');
  }, 30_000);

  it('--interval: seconds from 0.05 to 3600, and only with --follow', async () => {
    const store = copyStore();
    const bad = await mlr(['--store', store, 'plot', 'latest', '--metric', 'loss', '--follow', '--interval', '0']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "mlr: option '--interval <seconds>' argument '0' is invalid. expected seconds from 0.05 to 3600, e.g. 2.\n(run with --help for usage)\n",
    ]);
    const alone = await mlr(['--store', store, 'plot', 'latest', '--metric', 'loss', '--interval', '2']);
    expect([alone.code, alone.stderr]).toEqual([2, 'mlr: --interval sets how often --follow reads; add --follow\n']);
  });
});
