/**
 * Charts with several series or without colour (issue 11 #10): a marker per series when
 * colour is off, end labels on their own lines (nudged, or left out and said so), and the
 * last / lowest / highest value of each series in the legend.
 */
import { describe, expect, it } from 'vitest';
import { renderChart, seriesMark, type ChartOptions } from '../../src/render/chart.js';
import { seriesFromPoints } from '../../src/series/series.js';
import { FIXTURE, mlr } from '../helpers.js';

const pts = (ys: number[]) => ys.map((y, i) => [i, y] as const);
const plain = (width: number, height: number): ChartOptions => ({ width, height, color: false });
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
/** The plot rows of a chart: between the y labels' `┤`/`┼` and the end of the line. */
const plotRows = (chart: string, height: number) =>
  chart
    .split('\n')
    .slice(0, height)
    .map((l) => l.slice(l.search(/[┤┼]/) + 1));

describe('a marker per series when colour is off', () => {
  const series = [
    seriesFromPoints('a', pts([1, 2, 3, 4, 5, 6]), { width: 40 }),
    seriesFromPoints('b', pts([6, 5, 4, 3, 2, 1]), { width: 40 }),
    seriesFromPoints('c', pts([3, 3.5, 3, 3.5, 3, 3.5]), { width: 40 }),
  ];

  it('draws every cell of each line with its own marker, and shows it in the legend', () => {
    const out = renderChart(series, plain(40, 6));
    const rows = plotRows(out, 6).join('');
    for (const i of [0, 1, 2]) expect(rows).toContain(seriesMark(i));
    expect(rows).not.toMatch(/[─│╭╮╰╯╴]/); // no line is left in the shared box glyphs
    expect(
      out
        .split('\n')
        .slice(-3)
        .map((l) => l.slice(0, 5)),
    ).toEqual(['1 * a', '2 + b', '3 x c']);
    expect(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(seriesMark)).size).toBe(12);
  });

  it('keeps the box glyphs with colour, and for a single series', () => {
    const colored = stripAnsi(renderChart(series, { width: 40, height: 6, color: true }));
    expect(plotRows(colored, 6).join('')).not.toMatch(/[*+x]/);
    expect(colored.split('\n').at(-1)!.startsWith('3 ── c')).toBe(true);
    const one = renderChart([series[0]!], plain(40, 6));
    expect(plotRows(one, 6).join('')).toMatch(/╭/);
    expect(one.split('\n').at(-1)).toBe('── a  last 6  min 1  max 6');
  });
});

describe('end labels stay on their lines', () => {
  it('four lines ending on one point: each number once, at most three rows from its end, never `1,2,+`', () => {
    const flat = (v: number) => seriesFromPoints(`s${v}`, pts([5 + v, 3, 1, 1]), { width: 40 });
    const out = renderChart([flat(0), flat(1), flat(2), flat(3)], plain(40, 8));
    expect(out).not.toContain('+,');
    const rows = plotRows(out, 8);
    const endRow = 7; // every series ends at 1, the bottom row
    for (const n of ['1', '2', '3', '4']) {
      const at = rows.flatMap((r, i) => [...r].flatMap((ch, c) => (ch === n ? [{ i, c }] : [])));
      expect(at, n).toHaveLength(1);
      expect(Math.abs(at[0]!.i - endRow), n).toBeLessThanOrEqual(3);
      expect(rows[endRow]!.length).toBeLessThanOrEqual(at[0]!.c + 1 + 1); // right after the line's end
    }
  });

  it('no free spot near the end: the number is left out and the legend says so', () => {
    const many = Array.from({ length: 9 }, (_, k) => seriesFromPoints(`s${k}`, pts([9, 1]), { width: 30 }));
    const out = renderChart(many, plain(30, 6));
    const legend = out.split('\n').slice(-9);
    const left = legend.filter((l) => l.includes('(no room for its end label)'));
    expect(left.length).toBeGreaterThan(0);
    const plot = plotRows(out, 6).join('\n');
    for (const l of legend) {
      const n = l.trim().split(' ')[0]!;
      // a number is either drawn once or said to be left out
      expect((plot.match(new RegExp(n, 'g')) ?? []).length, l).toBe(l.includes('no room') ? 0 : 1);
    }
  });

  it('`mlr plot` of two runs and two metrics at 80 columns: four numbers, no pile-up (it printed `1,2,+`)', async () => {
    const r = await mlr(['--store', FIXTURE, 'plot', '65035d79', '0fcd845b', '--metric', 'val_loss', '--metric', 'train_loss', '--height', '10'], {
      env: { MLR_FORCE_TTY: '1', COLUMNS: '80' },
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const plot = lines.slice(0, 10).join('\n');
    expect(plot).not.toContain('1,2');
    for (const n of ['1', '2', '3', '4']) expect(plot.split(/[^0-9.]/).filter((t) => t === n)).toHaveLength(1);
    expect(lines.slice(12, 16)).toEqual([
      '1 * rmsprop-lr1e-4-bs64 val_loss    last 0.09363  min 0.07264  max 0.8668',
      '2 + rmsprop-lr1e-4-bs64 train_loss  last 0.07121  min 0.06746  max  1.239',
      '3 x AdamW-lr1e-4-bs32 val_loss      last  0.1585  min   0.146  max  1.236',
      '4 o AdamW-lr1e-4-bs32 train_loss    last   0.123  min   0.123  max  1.837',
    ]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('the legend gives last, min and max of each series', () => {
  it('as logged: before smoothing and the log mapping, NaN skipped, ±Inf as last but not in min/max', () => {
    const s = seriesFromPoints('run val', pts([4, NaN, 0.5, 2, Infinity, 3]), { width: 30, smooth: 0.9, logY: true });
    expect(s).toMatchObject({ last: 3, min: 0.5, max: 4 });
    const inf = seriesFromPoints('run inf', pts([1, 2, -Infinity]), { width: 30 });
    expect(inf).toMatchObject({ last: -Infinity, min: 1, max: 2 });
    expect(renderChart([inf], plain(60, 4)).split('\n').at(-1)).toBe('── run inf  last -inf  min 1  max 2  (−Inf ×1 ▼)');
  });

  it('aligned across series, on a second line when label and values do not fit', () => {
    const a = seriesFromPoints('short', pts([1, 0.25]), { width: 30 });
    const b = seriesFromPoints('a-much-longer-label', pts([10, 123.456]), { width: 30 });
    expect(renderChart([a, b], plain(70, 4)).split('\n').slice(-2)).toEqual([
      '1 * short                last  0.25  min 0.25  max     1',
      '2 + a-much-longer-label  last 123.5  min   10  max 123.5',
    ]);
    expect(renderChart([a, b], plain(40, 4)).split('\n').slice(-4)).toEqual([
      '1 * short',
      '    last  0.25  min 0.25  max     1',
      '2 + a-much-longer-label',
      '    last 123.5  min   10  max 123.5',
    ]);
  });

  it('labels and titles with control characters are shown, not sent (issue 11 #33)', () => {
    const s = seriesFromPoints('evil\x1b]0;title\x07', pts([1, 2]), { width: 30 });
    const out = renderChart([s], { ...plain(60, 3), title: 'run \x1b[2J' });
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(out.split('\n')[0]).toBe('run \\x1b[2J');
    expect(out.split('\n').at(-1)).toBe('── evil\\x1b]0;title\\x07  last 2  min 1  max 2');
  });
});
