/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `mlr ui` in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core, one
 * browser for the whole file): the page on a copy of the fixture store shows what the CLI
 * prints — the runs of `mlr runs ls` in its order, for its sort and filters, its caret
 * message for a bad filter — draws charts, highlights differences, previews and downloads
 * an artifact, lists the registry, and picks up a run the CLI logs while the page is open.
 * It also takes the screenshots of docs/ui.md (written only when missing or with
 * UPDATE_SCREENSHOTS=1, so a normal run leaves the tree alone).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { defaultUiDir, loadUiAssets } from '../../src/server/ui.js';
import { copyStore, mlr, tempDir } from '../helpers.js';
import { serveRoot, type TestServer } from '../server/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM } from './chromium.js';
import { readyMark, recordCanvasText, screenshot, tabOpener, tableIds, tableReady } from './page.js';

if (!HAS_CHROMIUM) console.warn(`test/ui/browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);

const SWEEP = '234684999513866976';
const WITH_ARTIFACT = 'd61057829b7b4f24b7a65344cc35e18e';

let browser: Browser;
let context: BrowserContext;
let server: TestServer;
let root = '';

async function cli(...args: string[]): Promise<string> {
  const r = await mlr(['--store', root, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function ids(...args: string[]): Promise<string[]> {
  return (await cli('runs', 'ls', ...args, '--format', 'ids')).split('\n').filter(Boolean);
}

/** The file's tab (page.ts), recording the text each canvas is given (the chart test reads uPlot's labels). */
const openPage = tabOpener(
  () => context,
  () => server.url,
  recordCanvasText,
);

describe.skipIf(!HAS_CHROMIUM)('mlr ui in Chromium', () => {
  beforeAll(async () => {
    root = copyStore();
    const dir = defaultUiDir();
    if (!dir) throw new Error('dist/ui is not built: run npm run build');
    server = await serveRoot(root, { ui: loadUiAssets(dir) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('opens the store on its newest experiment with runs, and lists the experiments as experiments ls does', async () => {
    const page = await openPage();
    await tableReady(page, null);
    const names = (await cli('experiments', 'ls'))
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split('\t')[1]);
    expect(await page.locator('aside li .name').allTextContents()).toEqual(names);
    expect(new URL(page.url()).searchParams.get('experiment')).toBe('146381941577740080');
  });

  it('picks an experiment: the table shows exactly the runs of runs ls, in its order, for its sorts', async () => {
    const page = await openPage();
    await tableReady(page, null);
    let mark = await readyMark(page);
    await page.locator('aside li a', { hasText: 'sweep' }).click();
    await tableReady(page, mark);
    expect(new URL(page.url()).searchParams.get('experiment')).toBe(SWEEP);
    const want = await ids('-e', SWEEP);
    expect(want.length).toBe(56);
    expect(await tableIds(page)).toEqual(want);
    expect(await page.locator('.count').textContent()).toBe('56 runs');
    // the first row's cells are the CLI's values
    const first = (await cli('runs', 'ls', '-e', SWEEP, '--max-results', '1')).split('\n');
    const header = first[0]!.split('\t');
    const values = first[1]!.split('\t');
    const row = page.locator(`.row[data-run-id="${want[0]}"]`);
    await expect(row.locator('a').first().textContent()).resolves.toBe(values[header.indexOf('run_name')]);
    expect(await row.locator('.status').textContent()).toBe(values[header.indexOf('status')]);
    await screenshot(page, 'runs');

    // a click on a metric header sorts by it (DESC, then ASC), as --order-by does
    for (const dir of ['DESC', 'ASC']) {
      mark = await readyMark(page);
      await page.locator('.hdr .c[data-key="metrics.val_loss"]').click();
      await tableReady(page, mark);
      expect(new URL(page.url()).searchParams.get('order')).toBe(`metrics.val_loss ${dir}`);
      expect(await tableIds(page)).toEqual(await ids('-e', SWEEP, '--order-by', `metrics.val_loss ${dir}`));
    }
  });

  it('filters with an OR expression, as runs ls --filter does', async () => {
    const filter = "params.optimizer = 'sgd' OR metrics.val_loss < 0.1";
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    const mark = await readyMark(page);
    await page.locator('input.filter').fill(filter);
    await page.locator('input.filter').press('Enter');
    await tableReady(page, mark);
    const want = await ids('-e', SWEEP, '--filter', filter);
    expect(want.length).toBeGreaterThan(3);
    expect(want.length).toBeLessThan(56);
    expect(await tableIds(page)).toEqual(want);
    expect(await page.locator('.count').textContent()).toBe(`${want.length} runs`);
    expect(new URL(page.url()).searchParams.get('filter')).toBe(filter);
  });

  it('shows the CLI message and caret for a bad filter', async () => {
    const bad = 'metrics.val_loss < 0.2 or params.lr = ';
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    await page.locator('input.filter').fill(bad);
    await page.locator('input.filter').press('Enter');
    const box = page.locator('pre.error');
    await box.waitFor();
    const r = await mlr(['--store', root, 'runs', 'ls', '-e', SWEEP, '--filter', bad.trim()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('^');
    expect(await box.textContent()).toBe(r.stderr.trimEnd());
    expect(await page.locator('.row[data-run-id]').count()).toBe(0);
    await screenshot(page, 'filter-error');
  });

  it('draws a chart per metric for three selected runs (pixels on the canvas, axis labels)', async () => {
    // uPlot draws tick values and axis labels on the canvas: the tab records what each canvas is given
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    const three = (await ids('-e', SWEEP)).slice(0, 3);
    for (const id of three) await page.locator(`.row[data-run-id="${id}"] input[type=checkbox]`).check();
    await page.locator('button', { hasText: 'Chart 3' }).click();
    await page.waitForFunction(() => Number((document.querySelector('.chart-area') as HTMLElement | null)?.dataset['charts'] ?? 0) > 0);
    const runs = JSON.parse(await cli('runs', 'ls', '-e', SWEEP, '--format', 'json')) as { info: { run_id: string }; data: { metrics: { key: string }[] } }[];
    const keys = new Set(runs.filter((r) => three.includes(r.info.run_id)).flatMap((r) => r.data.metrics.map((m) => m.key)));
    const charts = page.locator('.chart');
    expect(await charts.count()).toBe(keys.size);
    expect(new Set(await page.locator('.chart .u-title').allTextContents())).toEqual(keys);
    const info = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.chart')].map((c) => {
        const canvas = c.querySelector('canvas')!;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
        const texts = (canvas as HTMLCanvasElement & { texts?: string[] }).texts ?? [];
        return { key: c.dataset['metric'], painted, texts, series: c.querySelectorAll('.u-legend .u-series').length };
      }),
    );
    for (const c of info) {
      expect(c.painted).toBeGreaterThan(500);
      expect(c.texts).toContain('step');
      expect(c.texts).toContain(c.key);
      expect(c.texts.filter((t) => /\d/.test(t)).length).toBeGreaterThan(3); // tick values
      expect(c.series).toBe(4); // x and the three runs
    }
    expect(new URL(page.url()).searchParams.get('sel')?.split(',').sort()).toEqual([...three].sort());
    await screenshot(page, 'charts');
  });

  it('compares the selected runs with the differing params highlighted', async () => {
    const all = JSON.parse(await cli('runs', 'ls', '-e', SWEEP, '--format', 'json')) as {
      info: { run_id: string };
      data: { params: { key: string; value: string }[] };
    }[];
    const three = all.slice(0, 3);
    const page = await openPage(`?experiment=${SWEEP}&sel=${three.map((r) => r.info.run_id).join(',')}`);
    await tableReady(page, null);
    await page.locator('button', { hasText: 'Compare 3' }).click();
    await page.locator('table.cmp').waitFor();
    const keys = [...new Set(three.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
    let differing = 0;
    for (const k of keys) {
      const vals = three.map((r) => r.data.params.find((p) => p.key === k)?.value ?? null);
      const differs = new Set(vals).size > 1;
      if (differs) differing++;
      const row = page.locator(`table.cmp tr[data-key="params.${k}"]`);
      expect(await row.getAttribute('class'), k).toBe(differs ? 'diff' : '');
      expect(await row.locator('td').allTextContents()).toEqual(vals.map((v) => v ?? '-'));
    }
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThan(keys.length);
    await screenshot(page, 'compare');
    // only differences: the equal rows go
    await page.locator('label', { hasText: 'only differences' }).locator('input').check();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('only') === 'diff' && document.querySelector('table.cmp') !== null);
    expect(await page.locator('table.cmp tr[data-key^="params."]').count()).toBe(differing);
  });

  it('run page: params, metrics, tags, an artifact previewed as text and downloaded', async () => {
    const page = await openPage(`?run=${WITH_ARTIFACT}`);
    const described = JSON.parse(await cli('runs', 'describe', WITH_ARTIFACT, '--format', 'json')) as {
      info: { run_name: string };
      data: { params: unknown[]; metrics: unknown[] };
    };
    await page.locator('h1', { hasText: described.info.run_name }).waitFor();
    expect(await page.locator('h3', { hasText: 'Params' }).textContent()).toBe(`Params · ${described.data.params.length}`);
    expect(await page.locator('h3', { hasText: 'Metrics' }).textContent()).toBe(`Metrics · ${described.data.metrics.length}`);
    // its children (runs ls on the parent tag) and a chart per metric
    const kids = (await cli('runs', 'ls', '-e', SWEEP, '--filter', `tags.\`mlflow.parentRunId\` = '${WITH_ARTIFACT}'`, '--columns', 'run_name'))
      .split('\n')
      .slice(1)
      .filter(Boolean);
    expect(kids.length).toBe(2);
    // the children come from a search of their own, after the page is drawn
    const childCell = page.locator('table.kv tr', { hasText: 'Child runs' }).locator('td');
    await childCell.filter({ hasNotText: '…' }).waitFor();
    await expect(childCell.textContent()).resolves.toBe(kids.join(', '));
    await page.waitForFunction((n) => document.querySelectorAll('.chart canvas').length === n, described.data.metrics.length);
    await page.locator('.tree a[data-path="docs"]').click();
    await page.locator('.tree a[data-path="docs/notes.txt"]').click();
    const text = fs.readFileSync(path.join(root, SWEEP, WITH_ARTIFACT, 'artifacts', 'docs', 'notes.txt'), 'utf8');
    const pre = page.locator('pre.artifact-text');
    await pre.waitFor();
    expect(await pre.textContent()).toBe(text);
    await screenshot(page, 'run');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.preview a', { hasText: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    const saved = path.join(tempDir('ui-download'), 'notes.txt');
    await download.saveAs(saved);
    expect(fs.readFileSync(saved, 'utf8')).toBe(text);
  });

  it('a long history is drawn downsampled (the spike is kept: server.test.ts), and zooming in draws the exact points', async () => {
    fs.writeFileSync(
      path.join(root, SWEEP, WITH_ARTIFACT, 'metrics', 'long'),
      Array.from({ length: 50_000 }, (_, i) => `${1700000000000 + i} ${i === 31_337 ? 1000 : Math.sin(i / 500)} ${i}\n`).join(''),
    );
    const page = await openPage(`?run=${WITH_ARTIFACT}`);
    const chart = page.locator('.chart[data-metric="long"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-exact')).toBe('false');
    await chart.scrollIntoViewIfNeeded();
    const over = (await chart.locator('.u-over').boundingBox())!;
    // drag across a few pixels: a range of a few hundred steps
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width / 2 + 6, over.y + over.height / 2, { steps: 3 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('.chart[data-metric="long"]')?.getAttribute('data-exact') === 'true');
  });

  it("models page lists the store's registered models and their versions", async () => {
    const page = await openPage(`?experiment=${SWEEP}`);
    await page.locator('nav a', { hasText: 'Models' }).click();
    await page.locator('.model').first().waitFor();
    const names = (await cli('models', 'ls'))
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);
    expect(names).toEqual(['resnet-classifier', 'summarizer']);
    expect(await page.locator('.model h2').evaluateAll((els) => els.map((e) => e.firstChild?.textContent))).toEqual(names);
    expect(await page.locator('.model[data-model="resnet-classifier"] tbody tr td:first-child').allTextContents()).toEqual(['v3', 'v2', 'v1']);
    expect(await page.locator('.model[data-model="resnet-classifier"] .pill.alias').first().textContent()).toBe('@champion → v2');
    await screenshot(page, 'models');
  });

  it('shows a run logged with the CLI while the page is open, without a reload', async () => {
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    await page.evaluate(() => ((window as unknown as { mark: number }).mark = 42));
    const id = (await cli('runs', 'create', '-e', 'sweep', '--name', 'live-from-cli')).trim();
    await cli('log-metric', id, 'val_loss', '0.05');
    const row = page.locator(`.row[data-run-id="${id}"]`);
    await row.waitFor({ timeout: 8000 });
    expect(await row.locator('a').first().textContent()).toBe('live-from-cli');
    expect(await page.locator('.count').textContent()).toBe('57 runs');
    expect(await page.evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(42);
    expect((await tableIds(page))[0]).toBe(id);
  });
});
