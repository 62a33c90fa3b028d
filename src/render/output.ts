/**
 * Output mode, decided once at start-up and passed down (nothing below the CLI sniffs
 * the environment). Colour only on a TTY without an opt-out, or when forced.
 */
import { Chalk, type ChalkInstance } from 'chalk';

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
  let color: boolean;
  if (i.colorFlag !== undefined) color = i.colorFlag;
  else if (i.env['NO_COLOR']) color = false;
  else if ((i.env['FORCE_COLOR'] && i.env['FORCE_COLOR'] !== '0') || (i.env['CLICOLOR_FORCE'] && i.env['CLICOLOR_FORCE'] !== '0')) color = true;
  else color = i.isTTY && !forced;
  const nowEnv = Number(i.env['MLR_NOW']);
  return {
    tty,
    color,
    width,
    chalk: new Chalk({ level: color ? 2 : 0 }),
    now: Number.isFinite(nowEnv) && nowEnv > 0 ? nowEnv : Date.now(),
  };
}

/** A plain mode for tests and library use: not a TTY, no colour. */
export function plainMode(over: Partial<OutputMode> = {}): OutputMode {
  return { tty: false, color: false, width: 80, chalk: new Chalk({ level: 0 }), now: Date.now(), ...over };
}
