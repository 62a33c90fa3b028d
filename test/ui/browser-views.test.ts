/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The runs table's and pages' views in a real Chromium (one browser, server and store copy
 * for the file, as browser.test.ts): the column picker and its "only columns that differ"
 * (the columns `runs ls --only-changed` keeps), grouping by a param or a tag, the parent/child
 * tree (`runs ls --tree`'s order), the charts' x axis, the compare page's parallel
 * coordinates and scatter, CSV and MLmodel previews and a folder's zip — each checked against
 * the CLI or the files, on what the browser drew, and each view's state read back from the URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { defaultUiDir, loadUiAssets } from '../../src/server/ui.js';
import { copyStore, mlr } from '../helpers.js';
import { serveRoot, type TestServer } from '../server/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM } from './chromium.js';
import { readZip } from './zip-reader.js';
import { headerKeys, readyMark, recordCanvasText, screenshot, showLine, tabOpener, tableIds, tableLines, tableReady } from './page.js';

const SWEEP = '234684999513866976';
const PARENT = 'd61057829b7b4f24b7a65344cc35e18e';

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

interface JsonRun {
  info: { run_id: string; run_name: string; start_time: number };
  data: { params: { key: string; value: string }[]; metrics: { key: string; value: number }[]; tags: { key: string; value: string }[] };
}

async function jsonRuns(...args: string[]): Promise<JsonRun[]> {
  return JSON.parse(await cli('runs', 'ls', ...args, '--format', 'json')) as JsonRun[];
}

/** The file's tab (page.ts), recording the text each canvas is given (uPlot and the compare charts draw their labels there). */
const openPage = tabOpener(
  () => context,
  () => server.url,
  recordCanvasText,
);

const urlParam = (page: Page, name: string): string | null => new URL(page.url()).searchParams.get(name);

describe.skipIf(!HAS_CHROMIUM)('mlr ui views in Chromium', () => {
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

  it('column picker: "only columns that differ" keeps the columns runs ls --only-changed keeps; a column hidden, a tag added, all kept in the URL', async () => {
    const filter = "params.optimizer = 'adam'";
    const page = await openPage(`?experiment=${SWEEP}&filter=${encodeURIComponent(filter)}`);
    await tableReady(page, null);
    // the header once the full column list has arrived
    const cliHeader = (await cli('runs', 'ls', '-e', SWEEP, '--filter', filter)).split('\n')[0]!.split('\t');
    const single = (keys: string[]) => keys.filter((k) => k !== 'experiment_id' && k !== 'experiment');
    await page.waitForFunction((n) => document.querySelectorAll('.grid .hdr .c[data-key]').length === n, single(cliHeader).length);
    expect(await headerKeys(page)).toEqual(single(cliHeader));

    await page.locator('button.cols-btn').click();
    await page.locator('.picker-item').first().waitFor();
    await page.locator('.picker-diff input').check();
    const changed = single((await cli('runs', 'ls', '-e', SWEEP, '--filter', filter, '--only-changed')).split('\n')[0]!.split('\t'));
    expect(changed).not.toContain('params.optimizer');
    expect(changed.length).toBeLessThan(single(cliHeader).length);
    // the query's own key (optimizer, named by the filter) is the same in every run: hidden
    await page.waitForFunction(() => !document.querySelector('.grid .hdr .c[data-key="params.optimizer"]'));
    expect(await headerKeys(page)).toEqual(changed);
    expect(await page.locator('.picker-item[data-key="params.optimizer"]').getAttribute('class')).toBe('picker-item same');
    expect(urlParam(page, 'diff')).toBe('1');

    // hide a column, add a tag column: its cells are the CLI's values
    await page.locator('.picker-item[data-key="params.lr"] input').uncheck();
    expect(await headerKeys(page)).toEqual(changed.filter((k) => k !== 'params.lr'));
    const mark = await readyMark(page);
    await page.locator('.picker-item[data-key="tags.team"] input').check();
    await tableReady(page, mark);
    await page.waitForFunction(() => !!document.querySelector('.grid .hdr .c[data-key="tags.team"]'));
    const teams = (await cli('runs', 'ls', '-e', SWEEP, '--filter', filter, '--columns', 'run_id,tags.team')).split('\n').slice(1).filter(Boolean);
    for (const line of teams) {
      const [id, team] = line.split('\t');
      const col = (await headerKeys(page)).indexOf('tags.team');
      const cellText = await page.locator(`.row[data-run-id="${id}"] .c:not(.chk)`).nth(col).textContent();
      expect(cellText, id).toBe(team || '-');
    }
    expect(urlParam(page, 'hide')).toBe('params.lr');
    expect(urlParam(page, 'show')).toBe('tags.team');
    await page.locator('.grid').click({ position: { x: 5, y: 5 } }); // closes the picker
    await page.locator('button.cols-btn').click();
    await page.locator('.picker-item').first().waitFor();
    await screenshot(page, 'columns');

    // the same URL opened afresh draws the same columns
    const again = await openPage(new URL(page.url()).search, true);
    await tableReady(again, null);
    await again.waitForFunction((n) => document.querySelectorAll('.grid .hdr .c[data-key]').length === n, (await headerKeys(page)).length);
    expect(await headerKeys(again)).toEqual(await headerKeys(page));
    await again.close();
  });

  it('groups the runs by a param (groups in value order, runs ls order inside each, a group folded) and by a tag from the URL', async () => {
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    const all = await jsonRuns('-e', SWEEP);
    const expectGroups = (key: (r: JsonRun) => string | undefined): [string, string[]][] => {
      const m = new Map<string, string[]>();
      for (const r of all) {
        const v = key(r) ?? '\u0000none';
        m.set(v, [...(m.get(v) ?? []), r.info.run_id]);
      }
      return [...m.entries()].sort((a, b) => (a[0] === b[0] ? 0 : a[0] === '\u0000none' ? 1 : b[0] === '\u0000none' ? -1 : a[0] < b[0] ? -1 : 1));
    };
    let mark = await readyMark(page);
    await page.locator('select.group-by').selectOption('params.optimizer');
    await tableReady(page, mark);
    expect(urlParam(page, 'group')).toBe('params.optimizer');
    const groups = expectGroups((r) => r.data.params.find((p) => p.key === 'optimizer')?.value);
    expect(groups.length).toBeGreaterThan(2);
    expect(await tableLines(page)).toEqual(groups.flatMap(([v, runs]) => [`group:${v}`, ...runs]));
    const first = groups[0]!;
    expect(await page.locator(`.row.group[data-group="${first[0]}"] .gcount`).textContent()).toBe(`${first[1].length} runs`);
    expect(await page.locator('.count').textContent()).toBe(`56 runs in ${groups.length} groups`);
    await screenshot(page, 'groups');
    // fold the first group: its runs go, the others stay
    await page.locator(`.row.group[data-group="${first[0]}"]`).click();
    expect(await tableLines(page)).toEqual(groups.flatMap(([v, runs], i) => [`group:${v}`, ...(i === 0 ? [] : runs)]));
    expect(JSON.parse(urlParam(page, 'gfold')!)).toEqual([first[0]]);

    // a tag, from the URL: its column is shown, and the runs without it are a group of their own
    const byTag = await openPage(`?experiment=${SWEEP}&group=tags.team`);
    await tableReady(byTag, null);
    const tagGroups = expectGroups((r) => r.data.tags.find((t) => t.key === 'team')?.value);
    expect(await tableLines(byTag)).toEqual(tagGroups.flatMap(([v, runs]) => [`group:${v}`, ...runs]));
    await showLine(byTag, (await tableLines(byTag)).length - 1);
    expect(await byTag.locator('.row.group').last().locator('.gvalue').textContent()).toBe('(none)');
    expect(await headerKeys(byTag)).toContain('tags.team');
  });

  it('tree: child runs under their parent in runs ls --tree order, folded and unfolded, kept in the URL', async () => {
    const page = await openPage(`?experiment=${SWEEP}`);
    await tableReady(page, null);
    let mark = await readyMark(page);
    await page.locator('input.tree-box').check();
    await tableReady(page, mark);
    expect(urlParam(page, 'tree')).toBe('1');
    const want = await ids('-e', SWEEP, '--tree');
    expect(await tableIds(page)).toEqual(want);
    const kids = await ids('-e', SWEEP, '--filter', `tags.\`mlflow.parentRunId\` = '${PARENT}'`);
    expect(kids.length).toBe(2);
    await showLine(page, want.indexOf(PARENT));
    for (const k of kids) expect(await page.locator(`.row[data-run-id="${k}"] .c.tree`).getAttribute('data-depth')).toBe('1');
    expect(await page.locator(`.row[data-run-id="${PARENT}"] .kids`).textContent()).toBe('2');
    await screenshot(page, 'tree');
    mark = await readyMark(page);
    await page.locator(`button.twisty[data-fold="${PARENT}"]`).click();
    await tableReady(page, mark);
    expect(urlParam(page, 'fold')).toBe(PARENT);
    expect(await tableIds(page)).toEqual(want.filter((id) => !kids.includes(id)));
    expect(await page.locator('.count').textContent()).toBe(`${want.length - 2} runs`);

    // grouped and nested at once: a tag on the parent and its children puts the three in one group, nested
    for (const id of [PARENT, ...kids]) await cli('set-tag', id, 'family', 'zero');
    const both = await openPage(`?experiment=${SWEEP}&group=tags.family&tree=1`);
    await tableReady(both, null);
    expect(await both.locator('input.tree-box').isChecked()).toBe(true);
    const family = await ids('-e', SWEEP, '--filter', "tags.family = 'zero'", '--tree');
    expect(family[0]).toBe(PARENT);
    const others = want.filter((id) => !family.includes(id));
    expect(await tableLines(both)).toEqual(['group:zero', ...family, 'group:\u0000none', ...others]);
    await showLine(both, 0);
    for (const k of kids) expect(await both.locator(`.row[data-run-id="${k}"] .c.tree`).getAttribute('data-depth')).toBe('1');
    mark = await readyMark(both);
    await both.locator(`button.twisty[data-fold="${PARENT}"]`).click();
    await tableReady(both, mark);
    expect(await tableLines(both)).toEqual(['group:zero', PARENT, 'group:\u0000none', ...others]);
    expect(await both.locator('.row.group[data-group="zero"] .gcount').textContent()).toBe('3 runs');
  });

  it('charts: x = relative time and wall time (axis label and tick text drawn, pixels painted), from the URL and the menu', async () => {
    const three = (await ids('-e', SWEEP)).slice(0, 3);
    const page = await openPage(`?experiment=${SWEEP}&sel=${three.join(',')}&charts=1&x=rel`);
    await tableReady(page, null);
    const drawn = (x: string) =>
      page.waitForFunction((want) => {
        const a = document.querySelector('.chart-area') as HTMLElement | null;
        return a?.dataset['x'] === want && Number(a.dataset['charts'] ?? 0) > 0;
      }, x);
    const canvases = () =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.chart')].map((c) => {
          const canvas = c.querySelector('canvas')!;
          const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
          return { painted, texts: (canvas as HTMLCanvasElement & { texts?: string[] }).texts ?? [] };
        }),
      );
    await drawn('rel');
    expect(await page.locator('select.x-axis').inputValue()).toBe('rel');
    for (const c of await canvases()) {
      expect(c.painted).toBeGreaterThan(500);
      expect(c.texts).toContain('relative time');
      expect(c.texts.some((t) => /^\d+(\.\d+)? (s|min|h)$/.test(t))).toBe(true);
    }
    await page.locator('select.x-axis').selectOption('time');
    await drawn('time');
    expect(urlParam(page, 'x')).toBe('time');
    for (const c of await canvases()) {
      expect(c.painted).toBeGreaterThan(500);
      expect(c.texts).toContain('wall time');
      // uPlot's time ticks: clock times or, over a long span, months and years
      expect(c.texts.some((t) => /\d:\d\d|^(19|20)\d\d$|^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/.test(t))).toBe(true);
    }
  });
  it('compare: parallel coordinates over the params that differ and a metric, a scatter of a param against a metric (pixels of each run, URL)', async () => {
    // runs of the sweep's grid, each with its own learning rate and optimizer
    const param = (r: JsonRun, k: string) => r.data.params.find((p) => p.key === k)?.value;
    const grid: JsonRun[] = [];
    for (const r of await jsonRuns('-e', SWEEP)) {
      if (param(r, 'optimizer') === undefined) continue;
      if (grid.some((g) => param(g, 'lr') === param(r, 'lr') || param(g, 'optimizer') === param(r, 'optimizer'))) continue;
      grid.push(r);
    }
    expect(grid.length).toBe(4);
    const idList = grid.map((r) => r.info.run_id);
    const page = await openPage(`?compare=${idList.join(',')}`);
    const pc = page.locator('canvas.pc');
    await pc.waitFor();
    const keys = [...new Set(grid.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
    const differing = keys.filter((k) => new Set(grid.map((r) => r.data.params.find((p) => p.key === k)?.value ?? null)).size > 1).map((k) => `params.${k}`);
    expect(differing.length).toBeGreaterThan(1);
    const metric = await page.locator('select.pc-metric').inputValue();
    expect(metric).toMatch(/^metrics\./);
    expect(JSON.parse((await pc.getAttribute('data-dims'))!)).toEqual([...differing, metric]);
    /** pixels of each compared run's colour on a canvas, and the texts drawn on it */
    const drawnBy = (sel: string) =>
      page.evaluate((s) => {
        const c = document.querySelector(s) as HTMLCanvasElement & { texts?: string[] };
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colors = [...document.querySelectorAll<HTMLElement>('.plot-legend > span > span')].map((e) =>
          getComputedStyle(e).color.match(/\d+/g)!.map(Number),
        );
        const counts = colors.map(() => 0);
        for (let i = 0; i < d.length; i += 4) {
          colors.forEach((rgb, k) => {
            if (Math.abs(d[i]! - rgb[0]!) + Math.abs(d[i + 1]! - rgb[1]!) + Math.abs(d[i + 2]! - rgb[2]!) < 12) counts[k]!++;
          });
        }
        return { counts, texts: c.texts ?? [] };
      }, sel);
    const p1 = await drawnBy('canvas.pc');
    expect(p1.counts.length).toBe(4);
    // a line (or, for a run with one of the values only, a dot) of each run's colour
    for (const n of p1.counts) expect(n).toBeGreaterThan(20);
    for (const k of [...differing, metric]) expect(p1.texts).toContain(k.replace(/^(params|metrics)\./, ''));
    // every optimizer of the grid is a tick of its (categorical) axis
    const optimizers = grid.flatMap((r) => r.data.params.filter((p) => p.key === 'optimizer').map((p) => p.value));
    expect(optimizers.length).toBe(4);
    for (const o of optimizers) expect(p1.texts).toContain(o);

    // the scatter: lr against val_loss, a dot for each run that has both
    await page.locator('select.sc-x').selectOption('params.lr');
    await page.locator('select.sc-y').selectOption('metrics.val_loss');
    await page.waitForFunction(
      () => new URL(location.href).searchParams.get('sx') === 'params.lr' && new URL(location.href).searchParams.get('sy') === 'metrics.val_loss',
    );
    const points = JSON.parse((await page.locator('canvas.scatter').getAttribute('data-points'))!) as { name: string; x: number; y: number }[];
    const both = grid.filter((r) => r.data.params.some((p) => p.key === 'lr') && Number.isFinite(r.data.metrics.find((m) => m.key === 'val_loss')?.value));
    expect(points.map((p) => p.name)).toEqual(both.map((r) => r.info.run_name));
    const p2 = await drawnBy('canvas.scatter');
    grid.forEach((r, i) => expect(p2.counts[i]!, r.info.run_name).toBeGreaterThan(both.includes(r) ? 30 : -1));
    expect(p2.texts).toContain('params.lr');
    expect(p2.texts).toContain('metrics.val_loss');
    // a higher val_loss is drawn higher up (a smaller y on the canvas)
    const byLoss = [...both].sort((a, b) => a.data.metrics.find((m) => m.key === 'val_loss')!.value - b.data.metrics.find((m) => m.key === 'val_loss')!.value);
    const ys = byLoss.map((r) => points.find((p) => p.name === r.info.run_name)!.y);
    expect([...ys].sort((a, b) => b - a)).toEqual(ys);
    await page.locator('canvas.pc').scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-plots');

    // the URL opens the same choices
    const again = await openPage(new URL(page.url()).search, true);
    await again.locator('canvas.scatter').waitFor();
    expect(await again.locator('select.sc-x').inputValue()).toBe('params.lr');
    expect(await again.locator('canvas.scatter').getAttribute('data-points')).toBe(JSON.stringify(points));
    await again.close();
  });
  it('run page: a CSV artifact drawn as a table, an MLmodel summarised, a folder downloaded as a zip', async () => {
    const art = path.join(root, SWEEP, PARENT, 'artifacts');
    fs.mkdirSync(path.join(art, 'eval'), { recursive: true });
    const csv = 'epoch,loss,"note, quoted"\n1,0.9,"first, ""one"""\n2,0.5,\n3,0.25,last\n';
    fs.writeFileSync(path.join(art, 'eval', 'history.csv'), csv);
    fs.mkdirSync(path.join(art, 'model'), { recursive: true });
    fs.writeFileSync(
      path.join(art, 'model', 'MLmodel'),
      [
        'artifact_path: model',
        'flavors:',
        '  python_function:',
        '    loader_module: mlflow.sklearn',
        '  sklearn:',
        '    sklearn_version: 1.3.0',
        `run_id: ${PARENT}`,
        'signature:',
        '  inputs: \'[{"type": "double", "name": "lr"}, {"type": "string", "name": "optimizer"}]\'',
        '  outputs: \'[{"type": "double"}]\'',
        '',
      ].join('\n'),
    );
    const page = await openPage(`?run=${PARENT}`);
    await page.locator('.tree a[data-path="eval"]').click();
    await page.locator('.tree a[data-path="eval/history.csv"]').click();
    const table = page.locator('table.csv-table');
    await table.waitFor();
    expect(await table.locator('thead th').allTextContents()).toEqual(['', 'epoch', 'loss', 'note, quoted']);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['1', '1', '0.9', 'first, "one"'],
      ['2', '2', '0.5', ''],
      ['3', '3', '0.25', 'last'],
    ]);
    expect(await page.locator('.csv > .dim').textContent()).toBe('3 columns · 3 rows');
    await screenshot(page, 'csv');
    // as text: the file itself
    await page.locator('.preview .bar label', { hasText: 'as text' }).locator('input').check();
    expect(await page.locator('pre.artifact-text').textContent()).toBe(csv);

    await page.locator('.tree a[data-path="model"]').click();
    await page.locator('.tree a[data-path="model/MLmodel"]').click();
    await page.locator('.mlmodel').waitFor();
    expect(await page.locator('.mlmodel .pill.flavor').allTextContents()).toEqual(['python_function', 'sklearn']);
    expect(await page.locator('.mlmodel tr', { hasText: 'Inputs' }).locator('.pill').allTextContents()).toEqual(['lr: double', 'optimizer: string']);
    expect(await page.locator('.mlmodel tr', { hasText: 'Outputs' }).locator('.pill').allTextContents()).toEqual(['double']);
    expect(await page.locator('.mlmodel tr', { hasText: 'run_id' }).locator('td').textContent()).toBe(PARENT);

    // the folder's "zip": a download of everything below it
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.tree [data-zip="eval"]').click()]);
    expect(download.suggestedFilename()).toBe('eval.zip');
    const saved = path.join(path.dirname(root), 'eval.zip');
    await download.saveAs(saved);
    const entries = readZip(fs.readFileSync(saved));
    expect(entries.map((e) => [e.name, e.data.toString()])).toEqual([['eval/history.csv', csv]]);
    // and every artifact of the run
    const [all] = await Promise.all([page.waitForEvent('download'), page.locator('a.zip-all').click()]);
    await all.saveAs(saved);
    expect(readZip(fs.readFileSync(saved)).map((e) => e.name)).toEqual(['artifacts/docs/notes.txt', 'artifacts/eval/history.csv', 'artifacts/model/MLmodel']);
  });
});
