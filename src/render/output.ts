/**
 * Output mode, decided once at start-up and passed down (nothing below the CLI sniffs
 * the environment). Colour only on a TTY without an opt-out, or when forced.
 */
import type { ChalkInstance } from 'chalk';

/**
 * chalk is loaded only when colour is on (cli/main.ts calls useChalk per invocation): piped runs,
 * scripts and CI never pay for it. Without it, styles are the identity.
 */
type ChalkCtor = new (options: { level: 0 | 1 | 2 | 3 }) => ChalkInstance;
let ChalkClass: ChalkCtor | undefined;

/** Register chalk's constructor (from `await import('chalk')`) for coloured output, or none for plain. */
export function useChalk(ctor: ChalkCtor | undefined): void {
  ChalkClass = ctor;
}

/** A chalk look-alike that leaves text alone: every style is itself, calling it joins its arguments. */
const PLAIN: ChalkInstance = new Proxy(
  function plain(...args: unknown[]) {
    return args.join(' ');
  },
  { get: (_t, prop) => (prop === 'level' ? 0 : PLAIN) },
) as unknown as ChalkInstance;

function makeChalk(color: boolean): ChalkInstance {
  return color && ChalkClass ? new ChalkClass({ level: 2 }) : PLAIN;
}

export interface OutputMode {
  /** aligned, width-fitted, relative times (true) vs tab-separated, untruncated, ISO (false) */
  tty: boolean;
  color: boolean;
  /** terminal width in columns (80 when unknown) */
  width: number;
  /** the one chalk instance to paint with; level 0 when colour is off */
  chalk: ChalkInstance;
  /** "now" in ms, for relative times (MLR_NOW pins it in tests) */
  now: number;
}

export interface OutputInputs {
  isTTY: boolean;
  columns: number | undefined;
  env: Record<string, string | undefined>;
  /** --color (true) / --no-color (false) / neither (undefined) */
  colorFlag: boolean | undefined;
}

/**
 * Decide the mode. `MLR_FORCE_TTY=1` forces TTY layout (width from COLUMNS, default 100) —
 * for tests and demos. NO_COLOR (non-empty) turns colour off; FORCE_COLOR / CLICOLOR_FORCE
 * turn it on; the flags win over both.
 */
export function decideOutputMode(i: OutputInputs): OutputMode {
  const forced = i.env['MLR_FORCE_TTY'] === '1';
  const tty = i.isTTY || forced;
  let width = i.columns ?? 0;
  const envCols = Number(i.env['COLUMNS']);
  if (forced && Number.isInteger(envCols) && envCols > 0) width = envCols;
  if (!width || width < 20) width = forced ? 100 : 80;
  const color = wantsColor(i);
  const nowEnv = Number(i.env['MLR_NOW']);
  return {
    tty,
    color,
    width,
    chalk: makeChalk(color),
    now: Number.isFinite(nowEnv) && nowEnv > 0 ? nowEnv : Date.now(),
  };
}

/** Whether output is coloured: the flags win, then NO_COLOR, then FORCE_COLOR/CLICOLOR_FORCE, then TERM=dumb (off), then a real TTY. */
export function wantsColor(i: Pick<OutputInputs, 'isTTY' | 'env' | 'colorFlag'>): boolean {
  if (i.colorFlag !== undefined) return i.colorFlag;
  if (i.env['NO_COLOR']) return false;
  if ((i.env['FORCE_COLOR'] && i.env['FORCE_COLOR'] !== '0') || (i.env['CLICOLOR_FORCE'] && i.env['CLICOLOR_FORCE'] !== '0')) return true;
  // a terminal that cannot show colour says so (as gh and git do)
  if (i.env['TERM'] === 'dumb') return false;
  return i.isTTY && i.env['MLR_FORCE_TTY'] !== '1';
}
