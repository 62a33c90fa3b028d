import { describe, expect, it } from 'vitest';
import { formatTicks, renderChart, type ChartOptions } from '../../src/render/chart.js';
import { SeriesBuilder, seriesFromPoints } from '../../src/series/series.js';

const pts = (ys: number[], x0 = 0, dx = 1) => ys.map((y, i) => [x0 + i * dx, y] as const);
const plain = (width: number, height: number, extra: Partial<ChartOptions> = {}): ChartOptions => ({
  width,
  height,
  color: false,
  ...extra,
});
const text = (...lines: string[]) => lines.join('\n');
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const LOSS = [0.92, 0.61, 0.47, 0.39, 0.35, 0.31, 0.29, 0.28, 0.26, 0.25];

describe('renderChart', () => {
  it('draws a single series with labels on every row and the x range', () => {
    const s = seriesFromPoints('3f2a9c1e val_loss', pts(LOSS), { width: 40 });
    expect(renderChart([s], plain(40, 8, { xLabel: 'step' }))).toBe(
      text(
        '0.92 ┼╮',
        '0.82 ┤╰╮',
        '0.73 ┤ ╰─╮',
        '0.63 ┤   ╰╮',
        '0.54 ┤    ╰─╮',
        '0.44 ┤      ╰───╮',
        '0.35 ┤          ╰─────────╮',
        '0.25 ┤                    ╰────────────╴',
        '     └──────────────────────────────────',
        '      0              step              9',
        '── 3f2a9c1e val_loss',
        '   last 0.25  min 0.25  max 0.92',
      ),
    );
  });

  it('draws several series over one x range, numbered right after their last point (or in the gutter) and in the legend', () => {
    const train = [1.1, 0.7, 0.52, 0.41, 0.33, 0.27, 0.22, 0.19, 0.16, 0.14, 0.12, 0.11];
    const out = renderChart(
      [
        seriesFromPoints('3f2a9c1e val_loss', pts(LOSS), { width: 50 }),
        seriesFromPoints('3f2a9c1e train_loss', pts(train), { width: 50 }),
        seriesFromPoints('77b0d4aa val_loss', pts([0.8, 0.5, 0.45, 0.44, 0.43], 0, 2), { width: 50 }),
      ],
      plain(50, 8, { xLabel: 'step' }),
    );
    expect(out).toBe(
      text(
        '1.10 ┼+',
        '0.96 ┼+++',
        '0.82 ┼xx++',
        '0.68 ┤ xxxx+',
        '0.53 ┤    xxxxxxxxx',
        '0.39 ┤       **+++xxxxxxxxxxxxxxxxxxx3',
        '0.25 ┤               +++++++++++++*******1',
        '0.11 ┤                           +++++++++++++++2',
        '     └──────────────────────────────────────────',
        '      0                 step                  11',
        '1 * 3f2a9c1e val_loss',
        '    last 0.25  min 0.25  max 0.92',
        '2 + 3f2a9c1e train_loss',
        '    last 0.11  min 0.11  max  1.1',
        '3 x 77b0d4aa val_loss',
        '    last 0.43  min 0.43  max  0.8',
      ),
    );
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
  });

  it('nudges the end label of a series that ends where another one does', () => {
    const out = renderChart([seriesFromPoints('a', pts([1, 2, 3]), { width: 20 }), seriesFromPoints('b', pts([3, 2, 3]), { width: 20 })], plain(20, 3));
    expect(out).toBe(
      text(
        '3 ┼++++      +++++1',
        '2 ┤   ++++++++    2',
        '1 ┼****',
        '  └───────────────',
        '   0             2',
        '1 * a',
        '    last 3  min 1  max 3',
        '2 + b',
        '    last 3  min 2  max 3',
      ),
    );
  });

  it('leaves gaps for NaN, clips ±Infinity to the edges and marks them', () => {
    const s = seriesFromPoints('a val', pts([1, 2, NaN, NaN, NaN, 3, Infinity, 2, -Infinity, 1, 1.5]), { width: 30 });
    expect(renderChart([s], plain(30, 6, { xLabel: 'step' }))).toBe(
      text(
        '3.0 ┤            ╶─▲',
        '2.6 ┤              ╰╮',
        '2.2 ┤ ╭╴            ╰─╮',
        '1.8 ┤ │               │',
        '1.4 ┤╭╯               ╰╮   ╭─╴',
        '1.0 ┼╯                 ╰▼──╯',
        '    └─────────────────────────',
        '     0         step         10',
        '── a val',
        '   last 1.5  min 1  max 3  (NaN ×3, +Inf ×1 ▲, −Inf ×1 ▼)',
      ),
    );
  });

  it('centres a flat series on a labelled row', () => {
    const s = seriesFromPoints('a lr', pts([0.001, 0.001, 0.001, 0.001]), { width: 30 });
    expect(renderChart([s], plain(30, 5, { xLabel: 'step' }))).toBe(
      text(
        '0.0012 ┤',
        '0.0011 ┤',
        '0.0010 ┼─────────────────────╴',
        '0.0009 ┤',
        '0.0008 ┤',
        '       └──────────────────────',
        '        0        step        3',
        '── a lr',
        '   last 0.001  min 0.001  max 0.001',
      ),
    );
    const zero = seriesFromPoints('a zero', pts([0, 0, 0]), { width: 30 });
    expect(renderChart([zero], plain(30, 4))).toBe(
      text(
        ' 2 ┤',
        ' 1 ┤',
        ' 0 ┼─────────────────────────╴',
        '-1 ┤',
        '   └──────────────────────────',
        '    0                        2',
        '── a zero',
        '   last 0  min 0  max 0',
      ),
    );
  });

  it('draws a single point', () => {
    const s = seriesFromPoints('a acc', [[7, 0.875]], { width: 30 });
    expect(renderChart([s], plain(30, 3, { xLabel: 'step' }))).toBe(
      text('0.885 ┤', '0.875 ┼╴', '0.865 ┤', '      └───────────────────────', '       7         step', '── a acc', '   last 0.875  min 0.875  max 0.875'),
    );
  });

  it('says so when nothing can be drawn', () => {
    expect(renderChart([], plain(30, 3))).toBe('No data to plot.');
    const nan = seriesFromPoints('a val', pts([NaN, NaN]), { width: 30 });
    const none = seriesFromPoints('b val', [], { width: 30 });
    expect(renderChart([nan, none], plain(30, 3))).toBe(text('No plottable values.', '1 * a val  (no plottable values, NaN ×2)', '2 + b val  (no points)'));
  });

  it('plots log10 values with decade labels and counts what a log axis cannot show', () => {
    const s = seriesFromPoints('a loss', pts([100, 10, 1, 0.1, 0, -1, 0.01]), { width: 30, logY: true });
    expect(renderChart([s], plain(30, 5, { logY: true, xLabel: 'step' }))).toBe(
      text(
        ' 100 ┼──╮',
        '  10 ┤  ╰───╮',
        '   1 ┤      ╰───╮',
        ' 0.1 ┤          ╰─╴',
        '0.01 ┤                       •',
        '     └────────────────────────',
        '      0         step         6',
        '── a loss',
        '   last 0.01  min -1  max 100  (2 values ≤ 0 not shown on log scale)',
      ),
    );
  });

  it('colours each series differently only when colour is on', () => {
    const series = [seriesFromPoints('a', pts([1, 2, 3]), { width: 20 }), seriesFromPoints('b', pts([3, 2, 1]), { width: 20 })];
    const colored = renderChart(series, { width: 20, height: 3, color: true });
    const uncolored = renderChart(series, plain(20, 3));
    expect(uncolored).not.toContain('\x1b');
    expect(colored).toContain('\x1b[34m'); // series 1: blue
    expect(colored).toContain('\x1b[33m'); // series 2: yellow
    // with colour the lines keep their box glyphs; without it each series draws its own marker
    expect(stripAnsi(colored).split('\n')[0]).toBe('3 ┼───╮      ╭───╴1');
    expect(uncolored.split('\n')[0]).toBe('3 ┼++++      *****1');
    expect(colored.split('\n')[0]).toBe('3 \x1b[33m┼───╮      \x1b[39m\x1b[34m╭───╴1\x1b[39m');
  });

  it('fits the requested width by downsampling, never wider', () => {
    const s = seriesFromPoints('a', pts(Array.from({ length: 5000 }, (_, i) => Math.sqrt(i))), { width: 37 });
    const out = renderChart([s], plain(37, 6, { xLabel: 'step' }));
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(37);
    const axis = out.split('\n')[6]!;
    expect(axis).toMatch(/^ +└─+$/);
    expect(axis.length).toBe(37); // the plot takes all the room the labels leave
  });

  it('streams a 1,000,000-point history in O(width) memory and keeps its spike visible', () => {
    const width = 60;
    const builder = new SeriesBuilder('big val_loss', { width });
    let maxBuckets = 0;
    let maxHeapGrowth = 0;
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      // a triangle wave between 0 and 1, a NaN stretch, one spike and one +Infinity
      let y = Math.abs((i % 250_000) - 125_000) / 125_000;
      if (i >= 400_000 && i < 450_000) y = NaN;
      if (i === 654_321) y = 5;
      if (i === 800_000) y = Infinity;
      builder.push(i, y);
      if (builder.size > maxBuckets) maxBuckets = builder.size;
      if (i % 100_000 === 0) maxHeapGrowth = Math.max(maxHeapGrowth, process.memoryUsage().heapUsed - heap0);
    }
    expect(maxBuckets).toBeLessThanOrEqual(2 * width);
    // loose: holding the points would take tens of MB; the downsampler holds ~120 buckets
    expect(maxHeapGrowth).toBeLessThan(32 * 1024 * 1024);
    const s = builder.result();
    expect(s.count).toBe(1_000_000);
    expect(renderChart([s], plain(width, 10, { xLabel: 'step' }))).toBe(
      text(
        '5.0 ┤                                   ╷       ▲',
        '4.4 ┤                                   │       │',
        '3.9 ┤                                   │       │',
        '3.3 ┤                                   │       │',
        '2.8 ┤                                   │       │',
        '2.2 ┤                                   │       │',
        '1.7 ┤                                   │       │',
        '1.1 ┼─╮          ╭──╮          ╭─╮      │   ╭──╮│         ╭╴',
        '0.6 ┤ ╰───╮  ╭───╯  ╰──╮     ╶─╯ ╰───╮  │╭──╯  ╰┴──╮  ╭───╯',
        '0.0 ┤     ╰──╯         ╰───╴         ╰──┴╯         ╰──╯',
        '    └───────────────────────────────────────────────────────',
        '     0                      step                      999999',
        '── big val_loss  last 1  min 0  max 5  (NaN ×50000, +Inf ×1 ▲)',
      ),
    );
  });

  it('prints a title line above the chart', () => {
    const s = seriesFromPoints('a', pts([1, 2]), { width: 30 });
    expect(renderChart([s], plain(30, 2, { title: 'val_loss · run-a (3f2a9c1e)' })).split('\n')[0]).toBe('val_loss · run-a (3f2a9c1e)');
    expect(renderChart([], plain(30, 2, { title: 'T' }))).toBe('T\nNo data to plot.');
  });

  it('uses the caller-supplied x formatter', () => {
    const s = seriesFromPoints(
      'a',
      [
        [0, 1],
        [90_000, 2],
      ],
      { width: 30 },
    );
    const out = renderChart([s], plain(30, 2, { formatX: (x) => `${x / 1000}s`, xLabel: 'relative' }));
    expect(out.split('\n')[3]).toBe('   0s       relative       90s');
  });
});

describe('formatTicks', () => {
  const cases: [number[], boolean, string[]][] = [
    [[0, 0.25, 0.5, 0.75, 1], false, ['0.00', '0.25', '0.50', '0.75', '1.00']],
    [[0, 10, 20], false, ['0', '10', '20']],
    [[0.1, 0.2, 0.30000000000000004], false, ['0.1', '0.2', '0.3']],
    [[-1, -0.5, 0], false, ['-1.0', '-0.5', '0.0']],
    [[-0.0001, 0], false, ['-0.0001', '0.0000']],
    [[1e8, 1.5e8, 2e8], false, ['1.0e+8', '1.5e+8', '2.0e+8']],
    [[1e-6, 2e-6, 3e-6], false, ['1e-6', '2e-6', '3e-6']],
    [[0.9991, 0.9992, 0.9993], false, ['0.9991', '0.9992', '0.9993']],
    [[1, 10, 100], true, ['1', '10', '100']],
    [[1, Math.sqrt(10), 10], true, ['1', '3', '10']], // log10(3) is within a tenth of a step of 0.5
    [[1, 1.2589254117941673, 1.5848931924611136], true, ['1', '1.26', '1.58']],
    [[1e-5, 1e-4, 1e-3], true, ['1e-5', '0.0001', '0.001']],
  ];
  it.each(cases)('%j (log %s)', (values, log, expected) => {
    expect(formatTicks(values, log)).toEqual(expected);
  });
});
