/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * What the browser tests of `mlr ui` read off the page: the virtual runs table's lines (it
 * draws only the rows on the screen, so these scroll through it), its ready mark, and the
 * screenshots of docs/ui.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO } from '../helpers.js';

const IMG = path.join(REPO, 'docs', 'img');

/**
 * Runs in a page before its scripts: each canvas keeps the text it is given in `canvas.texts`
 * (uPlot and the compare charts draw tick values and axis labels there, not in the DOM).
 */
export function recordCanvasText(): void {
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, w?: number) {
    const c = this.canvas as HTMLCanvasElement & { texts?: string[] };
    (c.texts ??= []).push(String(text));
    return w === undefined ? fill.call(this, text, x, y) : fill.call(this, text, x, y, w);
  };
}

/**
 * `open(query)` shows `/<query>` of the server in the file's one tab, navigated anew for each
 * test (a new tab costs Chromium a renderer process, ~250 ms here; a navigation makes a fresh
 * document all the same). `open(query, true)` opens a second tab beside it, which the test
 * closes. `init` runs in every document before the page's scripts. An error thrown in a page
 * fails the test.
 */
export function tabOpener(context: () => BrowserContext, url: () => string, init?: () => void): (query?: string, beside?: boolean) => Promise<Page> {
  let tab: Page | undefined;
  return async (query = '', beside = false) => {
    let page = beside ? undefined : tab;
    if (!page || page.isClosed()) {
      page = await context().newPage();
      page.on('pageerror', (e) => {
        throw e;
      });
      if (init) await page.addInitScript(init);
      if (!beside) tab = page;
    }
    await page.goto(`${url()}/${query}`);
    return page;
  };
}

/**
 * Every line of the virtual table, in order (scrolling through it): a run's id, or `group:`
 * and the group's value for a group's header line.
 */
export async function tableLines(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const grid = document.querySelector('.grid') as HTMLElement;
    const body = grid.querySelector('.body') as HTMLElement;
    const total = Math.round(body.offsetHeight / 30);
    const seen = new Map<number, string>();
    for (let top = 0; ; top += grid.clientHeight / 2) {
      grid.scrollTop = top;
      grid.dispatchEvent(new Event('scroll'));
      for (let t = 0; t < 100; t++) {
        await new Promise((r) => setTimeout(r, 20));
        if (!grid.querySelector('.row.loading')) break;
      }
      for (const r of grid.querySelectorAll<HTMLElement>('.row[data-run-id], .row[data-group]')) {
        seen.set(Math.round(parseFloat(r.style.top) / 30), r.dataset['runId'] ?? `group:${r.dataset['group']}`);
      }
      if (seen.size >= total || top > body.offsetHeight) break;
    }
    grid.scrollTop = 0;
    grid.dispatchEvent(new Event('scroll'));
    return [...seen.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  });
}

/** Every run id of the virtual table, in row order. */
export async function tableIds(page: Page): Promise<string[]> {
  return (await tableLines(page)).filter((l) => !l.startsWith('group:'));
}

/** Waits until the table has (re)loaded after an action that changes its query. */
export async function tableReady(page: Page, before: string | null): Promise<void> {
  await page.waitForFunction((b) => {
    const g = document.querySelector('.grid') as HTMLElement | null;
    return g !== null && g.dataset['ready'] !== undefined && g.dataset['ready'] !== b && !g.querySelector('.row.loading');
  }, before);
}

export const readyMark = (page: Page): Promise<string | null> =>
  page.evaluate(() => (document.querySelector('.grid') as HTMLElement | null)?.dataset['ready'] ?? null);

/** docs/img/ui-<name>.png, written only when missing or asked for (UPDATE_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(IMG, `ui-${name}.png`);
  if (process.env['UPDATE_SCREENSHOTS'] !== '1' && fs.existsSync(file)) return;
  fs.mkdirSync(IMG, { recursive: true });
  await page.waitForTimeout(150);
  await page.screenshot({ path: file });
}

/** The data-key of each column of the table's header, in order. */
export async function headerKeys(page: Page): Promise<string[]> {
  return page.locator('.grid .hdr .c[data-key]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['key']!));
}

/** Scrolls the table so that line `i` is near its top, and waits for the rows there. */
export async function showLine(page: Page, i: number): Promise<void> {
  await page.evaluate((line) => {
    const grid = document.querySelector('.grid') as HTMLElement;
    grid.scrollTop = Math.max(0, line * 30 - 60);
    grid.dispatchEvent(new Event('scroll'));
  }, i);
  await page.waitForFunction(
    (line) =>
      !document.querySelector('.grid .row.loading') &&
      [...document.querySelectorAll<HTMLElement>('.grid .row')].some((r) => parseFloat(r.style.top) === line * 30),
    i,
  );
}
