/**
 * Debian's Chromium for the browser tests (never a downloaded browser: no `playwright
 * install`). .ci/run installs it when it is missing; without it the tests say so and skip.
 */
import fs from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);

/** The flags of issue 14: without the background-networking ones Chromium floods a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
