/**
 * The mlr web viewer: experiments, runs table, charts, compare, run and models pages.
 * Plain DOM, no framework (the page is a handful of views that rebuild their own element);
 * the URL's query string holds the whole view state, so a view can be bookmarked and shared.
 * Data comes from /ajax-api/mlr/ (the CLI's commands) and MLflow's REST API on the same server.
 */
import './style.css';
import { metricChart, metricKeys, type ChartRun, type XAxis } from './charts.js';
import { parallelCoordinates, runColor, scatter, type PlotRun } from './plots.js';
import { api, fmtAgo, fmtBytes, fmtDuration, fmtIso, fmtNum, getJson, h, HttpError, PALETTE, quoteKey, statusEl } from './util.js';

// ------------------------------------------------------------------ types of the answers

interface Experiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  runs: number;
  last_activity: number | null;
}
interface Column {
  key: string;
  kind: 'attr' | 'metric' | 'param' | 'tag' | 'agg';
  name: string;
}
interface Row {
  run_id: string;
  /** tree mode: nesting depth, number of child runs, whether they are folded away */
  depth?: number;
  children?: number;
  folded?: boolean;
  broken?: boolean;
  problems?: { code?: string; message?: string }[];
  values: Record<string, unknown>;
}
interface Page {
  total: number;
  offset: number;
  columns: Column[];
  /** group mode: the groups in order, their runs one after the other */
  groups?: { value: string | null; count: number; runs: number }[];
  rows: Row[];
}
interface KV {
  key: string;
  value: string;
}
interface RunJson {
  info: Record<string, unknown> & {
    run_id: string;
    run_name: string;
    status: string;
    experiment_id: string;
    start_time: number | null;
    end_time: number | null;
    lifecycle_stage: string;
    artifact_uri: string;
  };
  data: { metrics: { key: string; value: number | string; step: number; timestamp: number }[]; params: KV[]; tags: KV[] };
  inputs?: { dataset_inputs?: { dataset: { name: string; digest: string; source_type?: string } }[] };
  mlr_problems?: { message?: string }[];
}
interface RunAnswer {
  run: RunJson;
  experiment: { experiment_id: string; name: string };
  models: { artifact_path?: string; flavors?: string[] }[];
}

/** A run of a chart view (/ajax-api/mlr/chart-runs). */
interface ChartRunAnswer {
  run_id: string;
  run_name: string;
  start_time: number | null;
  status: string;
  metrics: string[];
}

// ------------------------------------------------------------------ state in the URL

function params(): URLSearchParams {
  return new URLSearchParams(location.search);
}

/** The query string of a view's state (empty values left out; commas kept readable). */
function qs(q: Record<string, string | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') s.set(k, v);
  return s.toString() ? `?${s.toString().replace(/%2C/g, ',')}` : location.pathname;
}

/** Go to a view: the URL changes, and the page renders it (no reload). */
function go(q: Record<string, string | undefined>, replace = false): void {
  const url = qs(q);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function link(q: Record<string, string | undefined>, ...children: (Node | string)[]): HTMLAnchorElement {
  return h(
    'a',
    {
      href: qs(q),
      onclick: (e: MouseEvent) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        go(q);
      },
    },
    ...children,
  );
}

/** A set of keys or ids as the URL writes it (comma-separated). */
function setParam(q: URLSearchParams, name: string): Set<string> {
  return new Set((q.get(name) ?? '').split(',').filter(Boolean));
}

// ------------------------------------------------------------------ shell

const app = document.getElementById('app')!;
let experiments: Experiment[] = [];
let experimentsLoad: Promise<void> | undefined;
let firstTableShown: () => void = () => undefined;
/** resolves once the first runs table has rows on the screen (or failed) */
const firstTable = new Promise<void>((resolve) => (firstTableShown = resolve));
let showDeleted = false;
let expFilter = '';
/** stops the current view's timers and requests when another view replaces it */
let teardown: (() => void)[] = [];

function shell(active: 'runs' | 'models'): { main: HTMLElement; aside: HTMLElement } {
  const aside = h('aside');
  const main = h('main');
  app.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'logo' }, 'mlr', h('span', {}, ' ui')),
      h('nav', {}, link({}, 'Experiments'), ' ', link({ models: '1' }, 'Models')),
      h('div', { class: 'store', id: 'store' }),
    ),
    h('div', { class: 'body' }, aside, main),
  );
  (app.querySelector('nav a:first-child') as HTMLElement).classList.toggle('on', active === 'runs');
  (app.querySelector('nav a:last-child') as HTMLElement).classList.toggle('on', active === 'models');
  drawSidebar(aside);
  return { main, aside };
}

async function loadExperiments(): Promise<void> {
  const r = await getJson<{ experiments: Experiment[] }>(api('experiments', { view: showDeleted ? 'all' : 'active' }));
  experiments = r.experiments;
}

function drawSidebar(aside: HTMLElement): void {
  const selected = new Set((params().get('experiment') ?? '').split(',').filter(Boolean));
  const list = h('ul', { class: 'experiments' });
  const fill = (): void => {
    const f = expFilter.toLowerCase();
    list.replaceChildren(
      ...experiments
        .filter((e) => e.name.toLowerCase().includes(f) || e.experiment_id.includes(f))
        .map((e) => {
          const a = link(
            { experiment: e.experiment_id },
            h('span', { class: 'name', title: `${e.name} (id ${e.experiment_id})` }, e.name),
            h('span', { class: 'meta' }, `${e.runs.toLocaleString('en-US')} run${e.runs === 1 ? '' : 's'} · ${fmtAgo(e.last_activity)}`),
          );
          a.dataset['experimentId'] = e.experiment_id;
          if (selected.has(e.experiment_id)) a.classList.add('on');
          if (e.lifecycle_stage === 'deleted') a.classList.add('deleted');
          // ctrl/cmd-click adds the experiment to the table (ids comma-separated in the URL)
          a.addEventListener(
            'click',
            (ev) => {
              if (!(ev.metaKey || ev.ctrlKey)) return;
              ev.preventDefault();
              ev.stopImmediatePropagation();
              const ids = new Set(selected);
              if (ids.has(e.experiment_id)) ids.delete(e.experiment_id);
              else ids.add(e.experiment_id);
              go({ experiment: [...ids].join(',') });
            },
            { capture: true },
          );
          return h('li', {}, a);
        }),
    );
  };
  fill();
  aside.replaceChildren(
    h(
      'div',
      { class: 'head' },
      h('h2', {}, 'Experiments'),
      h('input', {
        type: 'search',
        placeholder: 'Search experiments',
        value: expFilter,
        oninput: (e: Event) => {
          expFilter = (e.target as HTMLInputElement).value;
          fill();
        },
      }),
      h(
        'label',
        { class: 'toggle' },
        h('input', {
          type: 'checkbox',
          checked: showDeleted,
          onchange: async (e: Event) => {
            showDeleted = (e.target as HTMLInputElement).checked;
            await loadExperiments();
            fill();
          },
        }),
        'show deleted',
      ),
    ),
    list,
    h('div', { class: 'hint' }, 'Ctrl-click to show several experiments in one table'),
  );
}

function errorBox(e: unknown): HTMLElement {
  const msg = e instanceof Error ? e.message : String(e);
  return h('pre', { class: 'error' }, msg);
}

// ------------------------------------------------------------------ runs table

const ROW_H = 30;
/** bumped each time a table (re)draws from new data; tests wait on the grid's data-ready */
let readySeq = 0;
const PAGE = 200;

function columnWidth(c: Column, tree = false): number {
  if (c.kind === 'attr')
    return (
      ({ run_id: 96, run_name: tree ? 300 : 220, experiment: 140, experiment_id: 150, status: 104, start_time: 108, end_time: 96 } as Record<string, number>)[
        c.name
      ] ?? 120
    );
  return 112;
}

function header(c: Column): string {
  const names: Record<string, string> = {
    run_id: 'ID',
    run_name: 'Name',
    experiment: 'Experiment',
    experiment_id: 'Experiment ID',
    status: 'Status',
    start_time: 'Started',
    end_time: 'Duration',
  };
  return c.kind === 'attr' ? (names[c.name] ?? c.name) : c.name;
}

/** The order-by key of a column (MLflow's syntax), or undefined when it cannot be sorted. */
function sortKey(c: Column): string | undefined {
  if (c.kind === 'metric') return quoteKey('metrics', c.name);
  if (c.kind === 'param') return quoteKey('params', c.name);
  if (c.kind === 'tag') return quoteKey('tags', c.name);
  if (c.kind === 'agg') return c.key;
  if (c.name === 'run_name') return 'attributes.run_name';
  if (['start_time', 'end_time', 'status', 'run_id', 'user_id'].includes(c.name)) return `attributes.${c.name}`;
  return undefined;
}

/** How the charts draw: x axis, log y, smoothing (all in the URL). */
interface ChartPrefs {
  x: XAxis;
  logY: boolean;
  smooth: number;
}

interface TableState {
  ids: string[];
  filter: string;
  order: string;
  selected: Set<string>;
  /** group the rows by this param or tag (`params.optimizer`), '' for none */
  group: string;
  /** the group values folded away (JSON in the URL: values may hold any character) */
  gfold: Set<string>;
  /** child runs nested under their parents */
  tree: boolean;
  /** runs whose children are folded away */
  fold: Set<string>;
  /** columns hidden by the picker, columns added by it (tags), only columns whose values differ */
  hide: Set<string>;
  show: Set<string>;
  diff: boolean;
  charts: boolean;
  chart: ChartPrefs;
}

/** A column of the picker (columns?detail=1): does its value differ between the runs? */
interface DetailColumn extends Column {
  varies?: boolean;
}

/** The view state of a runs table as the URL holds it. */
function tableQuery(st: TableState): Record<string, string | undefined> {
  return {
    experiment: st.ids.join(','),
    filter: st.filter || undefined,
    order: st.order || undefined,
    sel: [...st.selected].join(',') || undefined,
    charts: st.charts && st.selected.size > 0 ? '1' : undefined,
    x: st.chart.x === 'step' ? undefined : st.chart.x,
    logy: st.chart.logY ? '1' : undefined,
    smooth: st.chart.smooth ? String(st.chart.smooth) : undefined,
    group: st.group || undefined,
    gfold: st.group && st.gfold.size ? JSON.stringify([...st.gfold]) : undefined,
    tree: st.tree ? '1' : undefined,
    fold: st.tree ? [...st.fold].join(',') || undefined : undefined,
    hide: [...st.hide].join(',') || undefined,
    show: [...st.show].join(',') || undefined,
    diff: st.diff ? '1' : undefined,
  };
}

function tableState(q: URLSearchParams, ids: string[]): TableState {
  let gfold: string[] = [];
  try {
    const v = JSON.parse(q.get('gfold') ?? '[]') as unknown;
    if (Array.isArray(v)) gfold = v.map(String);
  } catch {
    /* a bad value folds nothing */
  }
  const x = q.get('x');
  const smooth = Number(q.get('smooth') ?? 0);
  return {
    ids,
    filter: q.get('filter') ?? '',
    order: q.get('order') ?? '',
    selected: setParam(q, 'sel'),
    group: q.get('group') ?? '',
    gfold: new Set(gfold),
    tree: q.get('tree') === '1',
    fold: setParam(q, 'fold'),
    hide: setParam(q, 'hide'),
    show: setParam(q, 'show'),
    diff: q.get('diff') === '1',
    charts: q.get('charts') === '1',
    chart: { x: x === 'time' || x === 'rel' ? x : 'step', logY: q.get('logy') === '1', smooth: smooth >= 0 && smooth < 1 ? smooth : 0 },
  };
}

/** A group's value as gfold keeps it (a missing value is its own group). */
const groupKey = (v: string | null): string => (v === null ? '\u0000none' : v);

/** A view of one or several experiments: filter box, virtual table, charts of the selection. */
function runsView(main: HTMLElement, st: TableState): void {
  main.className = 'runs';
  const multi = st.ids.length > 1;
  const names = st.ids.map((id) => experiments.find((e) => e.experiment_id === id)?.name ?? id);
  const count = h('span', { class: 'count' });
  const filterInput = h('input', {
    class: 'filter',
    type: 'search',
    spellcheck: false,
    placeholder: "Filter: metrics.val_loss < 0.2 and params.optimizer = 'adam' (OR, parentheses, IN)",
    value: st.filter,
  });
  const errSlot = h('div');
  const colsBtn = h('button', { class: 'btn cols-btn', title: 'choose the columns' }, 'Columns');
  const picker = h('div', { class: 'picker card', hidden: true });
  const groupSel = h('select', { class: 'group-by', title: 'group the runs by a param or tag' });
  const treeBox = h('input', { type: 'checkbox', class: 'tree-box', checked: st.tree });
  const chartBtn = h('button', { class: 'btn', disabled: true }, 'Chart');
  const compareBtn = h('button', { class: 'btn primary', disabled: true }, 'Compare');
  const clearBtn = h('button', { class: 'btn', disabled: true }, 'Clear selection');
  const grid = h('div', { class: 'grid', tabindex: 0 });
  const chartArea = h('div', { class: 'chart-area' });
  const split = h('div', { class: 'split' }, grid, chartArea);
  main.replaceChildren(
    h(
      'h1',
      {},
      multi ? `${st.ids.length} experiments` : h('span', { 'data-experiment-name': st.ids[0] }, names[0] ?? ''),
      h('span', { class: 'sub' }, multi ? names.join(', ') : `experiment ${st.ids[0]}`),
    ),
    h(
      'div',
      { class: 'toolbar' },
      filterInput,
      count,
      h('span', { class: 'picker-wrap' }, colsBtn, picker),
      groupSel,
      h('label', { class: 'dim tree-label', title: 'nest child runs under their parent' }, treeBox, ' tree'),
      chartBtn,
      compareBtn,
      clearBtn,
    ),
    errSlot,
    split,
  );

  const state = {
    q: st,
    total: 0,
    columns: [] as Column[],
    pages: new Map<number, Row[]>(),
    pending: new Set<number>(),
    gen: 0,
    groups: undefined as Page['groups'],
    /** group mode: each line of the table, a run's index (>= 0) or a group header (-1 - group) */
    items: undefined as Int32Array | undefined,
  };
  let abort = new AbortController();
  teardown.push(() => abort.abort());

  const hdr = h('div', { class: 'hdr' });
  const body = h('div', { class: 'body' });
  grid.append(hdr, body);

  // the picker's columns (every column over the matching runs, tags too, and which differ)
  let detail: { key: string; columns: DetailColumn[] } | undefined;
  const detailKey = (): string => `${st.ids.join(',')}\u0000${st.filter}`;
  const loadDetail = async (): Promise<DetailColumn[]> => {
    const k = detailKey();
    if (detail?.key === k) return detail.columns;
    const r = await getJson<{ columns: DetailColumn[] }>(api('columns', { experiment_ids: st.ids.join(','), filter: st.filter, detail: 1 }));
    detail = { key: k, columns: r.columns };
    return r.columns;
  };
  const varies = (key: string): boolean | undefined => (detail?.key === detailKey() ? detail.columns.find((c) => c.key === key)?.varies : undefined);

  const shown = (c: Column): boolean => {
    if (c.kind === 'attr') {
      if (c.name === 'experiment_id' || (c.name === 'experiment' && !multi)) return false;
      return c.name === 'run_name' || !st.hide.has(c.key);
    }
    if (st.show.has(c.key) || c.key === st.group) return true;
    if (st.hide.has(c.key)) return false;
    return !(st.diff && varies(c.key) === false);
  };
  const visibleColumns = (): Column[] => state.columns.filter(shown);

  const updateButtons = (): void => {
    const n = st.selected.size;
    chartBtn.textContent = st.charts ? 'Hide charts' : `Chart${n ? ` ${n}` : ''}`;
    chartBtn.disabled = n === 0;
    compareBtn.textContent = `Compare${n ? ` ${n}` : ''}`;
    compareBtn.disabled = n < 2;
    clearBtn.disabled = n === 0;
    const hidden = state.columns.filter((c) => !shown(c) && !(c.kind === 'attr' && (c.name === 'experiment_id' || c.name === 'experiment'))).length;
    colsBtn.textContent = hidden ? `Columns · ${hidden} hidden` : 'Columns';
    history.replaceState(null, '', qs(tableQuery(st)));
  };

  const fillGroupSelect = (cols: Column[]): void => {
    const opts = cols.filter((c) => c.kind === 'param' || c.kind === 'tag');
    if (st.group && !opts.some((c) => c.key === st.group))
      opts.unshift({ key: st.group, kind: st.group.startsWith('tags.') ? 'tag' : 'param', name: st.group });
    groupSel.replaceChildren(
      h('option', { value: '' }, 'no grouping'),
      ...opts.map((c) => h('option', { value: c.key, selected: c.key === st.group }, `group by ${c.name}${c.kind === 'tag' ? ' (tag)' : ''}`)),
    );
  };
  fillGroupSelect([]);
  // tags are offered once the picker's list has them (asked for when the menu is first opened)
  groupSel.addEventListener('mousedown', () => void loadDetail().then((c) => groupSel.options.length <= 1 + c.length && fillGroupSelect(c)), { once: true });
  groupSel.addEventListener('change', () => {
    st.group = groupSel.value;
    st.gfold.clear();
    grid.scrollTop = 0;
    void reload();
  });
  treeBox.addEventListener('change', () => {
    st.tree = treeBox.checked;
    void reload();
  });

  /** Redraws after the picker changed what is shown (no new request unless a column is added). */
  const columnsChanged = (requery: boolean): void => {
    updateButtons();
    if (requery) void reload();
    else {
      drawHeader();
      drawRows(true);
    }
  };

  const fillPicker = async (): Promise<void> => {
    picker.replaceChildren(h('div', { class: 'dim' }, 'Loading…'));
    let cols: DetailColumn[];
    try {
      cols = await loadDetail();
    } catch (e) {
      picker.replaceChildren(errorBox(e));
      return;
    }
    fillGroupSelect(cols);
    const search = h('input', { type: 'search', placeholder: 'Search columns' });
    const listEl = h('div', { class: 'picker-list' });
    const diffBox = h('input', { type: 'checkbox', class: 'diff-cols', checked: st.diff });
    diffBox.addEventListener('change', () => {
      st.diff = diffBox.checked;
      columnsChanged(false);
      fill();
    });
    const kinds: [Column['kind'], string][] = [
      ['attr', 'Attributes'],
      ['metric', 'Metrics'],
      ['param', 'Params'],
      ['tag', 'Tags'],
    ];
    const fill = (): void => {
      const f = search.value.toLowerCase();
      const inTable = new Set(state.columns.map((c) => c.key));
      listEl.replaceChildren(
        ...kinds.flatMap(([kind, label]) => {
          const of = cols.filter(
            (c) =>
              c.kind === kind && c.name.toLowerCase().includes(f) && !(kind === 'attr' && (c.name === 'experiment_id' || (c.name === 'experiment' && !multi))),
          );
          if (of.length === 0) return [];
          return [
            h('div', { class: 'picker-sec' }, label),
            ...of.map((c) => {
              const isOn = inTable.has(c.key) ? shown(c) : st.show.has(c.key);
              const same = c.varies === false;
              const box = h('input', { type: 'checkbox', checked: isOn, disabled: c.name === 'run_name' || c.key === st.group });
              box.addEventListener('change', () => {
                // a column the table already has is hidden or shown; another one (a tag) is asked for
                const requery = !inTable.has(c.key) || st.show.has(c.key);
                if (box.checked) {
                  st.hide.delete(c.key);
                  if (!inTable.has(c.key) || (st.diff && same)) st.show.add(c.key);
                } else {
                  st.show.delete(c.key);
                  if (inTable.has(c.key) && !requery) st.hide.add(c.key);
                }
                columnsChanged(requery);
              });
              return h(
                'label',
                { class: `picker-item${same ? ' same' : ''}`, 'data-key': c.key, title: same ? 'the same in every run' : c.key },
                box,
                h('span', {}, c.name),
                same ? h('span', { class: 'dim' }, 'same') : '',
              );
            }),
          ];
        }),
      );
    };
    search.addEventListener('input', fill);
    fill();
    picker.replaceChildren(
      h('label', { class: 'picker-diff' }, diffBox, ' only columns that differ'),
      search,
      listEl,
      h(
        'div',
        { class: 'picker-foot' },
        h(
          'button',
          {
            class: 'btn',
            onclick: () => {
              const requery = st.show.size > 0;
              st.hide.clear();
              st.show.clear();
              st.diff = false;
              columnsChanged(requery);
              void fillPicker();
            },
          },
          'Reset',
        ),
      ),
    );
  };
  colsBtn.addEventListener('click', () => {
    picker.hidden = !picker.hidden;
    if (!picker.hidden) void fillPicker();
  });
  const closePicker = (e: MouseEvent): void => {
    if (!picker.hidden && !(e.target as Element).closest('.picker-wrap')) picker.hidden = true;
  };
  document.addEventListener('mousedown', closePicker);
  teardown.push(() => document.removeEventListener('mousedown', closePicker));
  // only columns that differ, from the URL: the columns' values are asked for once
  if (st.diff)
    void loadDetail()
      .then(() => columnsChanged(false))
      .catch(() => undefined);

  const drawHeader = (): void => {
    const [okey, odir] = st.order ? [st.order.replace(/\s+(ASC|DESC)$/i, ''), /\sASC$/i.test(st.order) ? 'ASC' : 'DESC'] : ['', ''];
    hdr.replaceChildren(
      h('div', { class: 'c chk' }),
      ...visibleColumns().map((c) => {
        const key = sortKey(c);
        const sorted = key !== undefined && key === okey;
        const cell = h(
          'div',
          {
            class: `c ${c.kind}${sorted ? ' sorted' : ''}${c.kind === 'metric' || c.kind === 'agg' ? ' num' : ''}`,
            style: { width: `${columnWidth(c, st.tree)}px` },
            title: `${c.key}${key ? ' — click to sort' : ''}`,
            'data-key': c.key,
          },
          c.kind === 'metric'
            ? h('span', { class: 'k' }, 'M')
            : c.kind === 'param'
              ? h('span', { class: 'k' }, 'P')
              : c.kind === 'tag'
                ? h('span', { class: 'k' }, 'T')
                : null,
          h('span', {}, header(c) + (sorted ? (odir === 'ASC' ? ' ▲' : ' ▼') : '')),
        );
        if (key) {
          cell.addEventListener('click', () => {
            // newest-first default → DESC → ASC → default
            st.order = !sorted ? `${key} DESC` : odir === 'DESC' ? `${key} ASC` : '';
            void reload();
          });
        }
        return cell;
      }),
    );
  };

  const toggleFold = (id: string): void => {
    if (st.fold.has(id)) st.fold.delete(id);
    else st.fold.add(id);
    void reload();
  };

  const cell = (c: Column, r: Row): HTMLElement => {
    const v = r.values[c.key];
    const w = { width: `${columnWidth(c, st.tree)}px` };
    if (c.kind === 'attr') {
      switch (c.name) {
        case 'run_name': {
          const a = link({ run: r.run_id }, String(v ?? r.run_id.slice(0, 8)));
          if (r.depth === undefined) return h('div', { class: 'c', style: w }, a);
          // tree mode: indented under the parent, with a fold toggle on runs that have children
          const twisty =
            (r.children ?? 0) > 0
              ? h(
                  'button',
                  {
                    class: 'twisty',
                    title: r.folded ? `show its ${r.children} child runs` : 'fold its child runs',
                    'data-fold': r.run_id,
                    onclick: () => toggleFold(r.run_id),
                  },
                  r.folded ? '▸' : '▾',
                )
              : h('span', { class: 'twisty' }, '');
          return h(
            'div',
            { class: 'c tree', style: { ...w, paddingLeft: `${6 + r.depth * 18}px` }, 'data-depth': r.depth },
            twisty,
            a,
            (r.children ?? 0) > 0 ? h('span', { class: 'kids' }, String(r.children)) : '',
          );
        }
        case 'run_id':
          return h('div', { class: 'c id', style: w, title: r.run_id }, r.run_id.slice(0, 8));
        case 'status':
          return h('div', { class: 'c', style: w }, statusEl(String(v ?? ''), r.broken, r.problems?.map((p) => p.message).join('; ')));
        case 'start_time':
          return h('div', { class: 'c', style: w, title: fmtIso(v as number) }, fmtAgo(v as number));
        case 'end_time': {
          const s = r.values['start_time'] as number | undefined;
          const d = v !== undefined && s !== undefined ? (v as number) - s : undefined;
          return h(
            'div',
            { class: 'c num', style: w, title: v !== undefined ? `ended ${fmtIso(v as number)}` : 'not ended' },
            d === undefined ? '-' : fmtDuration(d),
          );
        }
        default:
          return h('div', { class: 'c', style: w, title: String(v ?? '') }, String(v ?? '-'));
      }
    }
    if (v === undefined) return h('div', { class: `c missing${c.kind === 'metric' ? ' num' : ''}`, style: w }, '-');
    if (c.kind === 'metric' || c.kind === 'agg') return h('div', { class: 'c num', style: w, title: String(v) }, fmtNum(v));
    return h('div', { class: 'c', style: w, title: String(v) }, String(v));
  };

  /** Group mode: the table's lines, each group's header then (unless folded) its runs. */
  const rebuildItems = (): void => {
    const g = state.groups;
    if (!g) {
      state.items = undefined;
      return;
    }
    let n = 0;
    for (const x of g) n += 1 + (st.gfold.has(groupKey(x.value)) ? 0 : x.count);
    const items = new Int32Array(n);
    let k = 0;
    let run = 0;
    g.forEach((x, gi) => {
      items[k++] = -1 - gi;
      const folded = st.gfold.has(groupKey(x.value));
      for (let j = 0; j < x.count; j++, run++) if (!folded) items[k++] = run;
    });
    state.items = items;
  };
  const lines = (): number => state.items?.length ?? state.total;
  /** the run index of the first run at or after line `i` */
  const runAt = (i: number): number => {
    const it = state.items;
    if (!it) return i;
    for (let j = Math.min(i, it.length - 1); j < it.length && j >= 0; j++) if (it[j]! >= 0) return it[j]!;
    return 0;
  };

  const groupRow = (gi: number, top: number): HTMLElement => {
    const g = state.groups![gi]!;
    const key = groupKey(g.value);
    const folded = st.gfold.has(key);
    const name = st.group.replace(/^(params|tags)\./, '');
    const row = h(
      'div',
      { class: 'row group', style: { top: `${top}px` }, 'data-group': key },
      h(
        'div',
        { class: 'c grp' },
        h('span', { class: 'twisty' }, folded ? '▸' : '▾'),
        h('span', { class: 'gname' }, `${name} = `),
        h('b', { class: 'gvalue' }, g.value ?? '(none)'),
        h('span', { class: 'gcount' }, `${g.runs.toLocaleString('en-US')} run${g.runs === 1 ? '' : 's'}`),
      ),
    );
    row.addEventListener('click', () => {
      if (folded) st.gfold.delete(key);
      else st.gfold.add(key);
      rebuildItems();
      updateButtons();
      drawRows(true);
    });
    return row;
  };

  let drawn = '';
  const drawRows = (force = false): void => {
    const cols = visibleColumns();
    const n = lines();
    body.style.height = `${n * ROW_H}px`;
    const top = grid.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_H) - 10);
    const last = Math.min(n, Math.ceil((top + grid.clientHeight) / ROW_H) + 10);
    const key = `${first}:${last}:${state.gen}`;
    if (!force && key === drawn) return;
    drawn = key;
    const rows: HTMLElement[] = [];
    const missing = new Set<number>();
    for (let i = first; i < last; i++) {
      const item = state.items ? state.items[i]! : i;
      if (item < 0) {
        rows.push(groupRow(-1 - item, i * ROW_H));
        continue;
      }
      const p = Math.floor(item / PAGE);
      const r = state.pages.get(p)?.[item - p * PAGE];
      if (!r) {
        missing.add(p);
        rows.push(h('div', { class: 'row loading', style: { top: `${i * ROW_H}px` } }, h('div', { class: 'c chk' }), h('div', { class: 'c' }, '…')));
        continue;
      }
      const box = h('input', { type: 'checkbox', checked: st.selected.has(r.run_id), 'aria-label': `select ${String(r.values['run_name'] ?? r.run_id)}` });
      const row = h(
        'div',
        { class: `row${st.selected.has(r.run_id) ? ' sel' : ''}`, style: { top: `${i * ROW_H}px` }, 'data-run-id': r.run_id, 'data-index': item },
        h('div', { class: 'c chk' }, box),
        ...cols.map((c) => cell(c, r)),
      );
      box.addEventListener('change', () => {
        if (box.checked) st.selected.add(r.run_id);
        else st.selected.delete(r.run_id);
        row.classList.toggle('sel', box.checked);
        updateButtons();
        if (st.charts) void drawCharts();
      });
      rows.push(row);
    }
    body.replaceChildren(...rows);
    for (const p of missing) void fetchPage(p);
  };

  const query = (offset: number, limit: number) =>
    api('runs', {
      experiment_ids: st.ids.join(','),
      filter: st.filter,
      order_by: st.order ? [st.order] : undefined,
      column: st.show.size ? [...st.show] : undefined,
      group: st.group || undefined,
      tree: st.tree ? '1' : undefined,
      fold: st.tree && st.fold.size ? [...st.fold].join(',') : undefined,
      offset,
      limit,
    });

  const fetchPage = async (p: number): Promise<void> => {
    if (state.pending.has(p) || state.pages.has(p)) return;
    state.pending.add(p);
    const gen = state.gen;
    try {
      const page = await getJson<Page>(query(p * PAGE, PAGE), abort.signal);
      if (gen !== state.gen) return;
      mergeColumns(page.columns);
      state.pages.set(p, page.rows);
      state.total = page.total;
      drawRows(true);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') errSlot.replaceChildren(errorBox(e));
    } finally {
      state.pending.delete(p);
    }
  };

  const mergeColumns = (cols: Column[]): void => {
    const known = new Set(state.columns.map((c) => c.key));
    const add = cols.filter((c) => !known.has(c.key));
    if (add.length === 0 && state.columns.length > 0) return;
    state.columns = state.columns.length === 0 ? cols : [...state.columns, ...add];
    drawHeader();
  };

  let fullColumns: { key: string; columns: Column[] } | undefined;
  const useFullColumns = (cols: Column[]): void => {
    // the query's own keys come first in a page's columns: keep those, add the others in order
    const before = state.columns.map((x) => x.key).join('\n');
    const known = new Set(state.columns.map((c) => c.key));
    state.columns = [...state.columns, ...cols.filter((c) => !known.has(c.key))];
    if (groupSel.options.length <= 1) fillGroupSelect(state.columns);
    if (before !== state.columns.map((x) => x.key).join('\n')) {
      drawHeader();
      drawRows(true);
      updateButtons();
    }
  };

  const setGroups = (g: Page['groups']): boolean => {
    const same = JSON.stringify(g) === JSON.stringify(state.groups);
    state.groups = g;
    rebuildItems();
    return !same;
  };

  /** The first page decides what is shown; the full column list (over every run) follows. */
  const reload = async (): Promise<void> => {
    abort.abort();
    abort = new AbortController();
    state.gen++;
    state.pages.clear();
    state.pending.clear();
    state.columns = [];
    updateButtons();
    filterInput.classList.remove('bad');
    const gen = state.gen;
    const first = Math.floor(runAt(Math.floor(grid.scrollTop / ROW_H)) / PAGE);
    try {
      const t0 = performance.now();
      const page = await getJson<Page>(query(first * PAGE, PAGE), abort.signal);
      if (gen !== state.gen) return;
      errSlot.replaceChildren();
      grid.style.display = '';
      state.total = page.total;
      state.columns = page.columns;
      state.pages.set(first, page.rows);
      setGroups(page.groups);
      count.textContent = `${page.total.toLocaleString('en-US')} run${page.total === 1 ? '' : 's'}${page.groups ? ` in ${page.groups.length} group${page.groups.length === 1 ? '' : 's'}` : ''}`;
      drawHeader();
      drawRows(true);
      updateButtons();
      grid.dataset['loadedMs'] = (performance.now() - t0).toFixed(0);
      grid.dataset['shownAt'] = performance.now().toFixed(0);
      requestAnimationFrame(() => (grid.dataset['paintedAt'] = performance.now().toFixed(0)));
      firstTableShown();
      grid.dataset['ready'] = String(++readySeq);
      if (page.total === 0) body.replaceChildren(h('div', { class: 'empty' }, st.filter ? 'No run matches the filter.' : 'No runs in this experiment.'));
      // the columns over every matching run (a key only a few runs have): asked once per
      // experiments + filter, after the first rows are shown; sorting does not change them
      const colKey = `${st.ids.join(',')}\u0000${st.filter}`;
      if (fullColumns?.key === colKey) useFullColumns(fullColumns.columns);
      else {
        const signal = abort.signal;
        setTimeout(() => {
          if (gen !== state.gen || signal.aborted) return;
          void getJson<{ columns: Column[] }>(api('columns', { experiment_ids: st.ids.join(','), filter: st.filter }), signal)
            .then((c) => {
              fullColumns = { key: colKey, columns: c.columns };
              if (gen === state.gen) useFullColumns(c.columns);
            })
            .catch(() => undefined);
        }, 400);
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      firstTableShown();
      state.total = 0;
      setGroups(undefined);
      body.replaceChildren();
      body.style.height = '0px';
      hdr.replaceChildren();
      count.textContent = '';
      filterInput.classList.add('bad');
      grid.style.display = 'none';
      // the CLI's own message: for a bad filter, the expression and a caret under the fault
      errSlot.replaceChildren(errorBox(e instanceof HttpError ? new Error(`mlr: ${e.message}`) : e));
    }
  };

  /** Live updates: the rows in view are asked again every 2 s (only while the tab is shown). */
  const poll = async (): Promise<void> => {
    if (document.hidden || (state.total === 0 && errSlot.childElementCount > 0)) return;
    const first = Math.floor(runAt(Math.floor(grid.scrollTop / ROW_H)) / PAGE);
    const gen = state.gen;
    try {
      const page = await getJson<Page>(query(first * PAGE, PAGE), abort.signal);
      if (gen !== state.gen) return;
      const old = state.pages.get(first);
      const same = old && page.total === state.total && JSON.stringify(old) === JSON.stringify(page.rows);
      const groupsChanged = setGroups(page.groups);
      if (same && !groupsChanged) return;
      state.total = page.total;
      count.textContent = `${page.total.toLocaleString('en-US')} run${page.total === 1 ? '' : 's'}${page.groups ? ` in ${page.groups.length} group${page.groups.length === 1 ? '' : 's'}` : ''}`;
      state.pages.clear();
      state.pages.set(first, page.rows);
      mergeColumns(page.columns);
      state.gen++;
      drawRows(true);
      grid.dataset['ready'] = String(++readySeq);
      if (st.charts) void drawCharts(true);
    } catch {
      /* the next poll tries again */
    }
  };
  const timer = setInterval(() => void poll(), 2000);
  teardown.push(() => clearInterval(timer));

  let chartGen = 0;
  let liveCharts: ReturnType<typeof setTimeout> | undefined;
  teardown.push(() => clearTimeout(liveCharts));
  const drawCharts = async (fresh = false): Promise<void> => {
    const my = ++chartGen;
    if (!st.charts || st.selected.size === 0) {
      chartArea.replaceChildren();
      grid.style.flex = '';
      return;
    }
    grid.style.flex = '0 0 34%';
    const ids = [...st.selected].slice(0, 20);
    // names, starts and metric keys only: the histories are what the charts read
    const ok = (await getJson<{ runs: ChartRunAnswer[] }>(api('chart-runs', { run_id: ids })).catch(() => ({ runs: [] }))).runs;
    if (my !== chartGen) return;
    const keys = metricKeys(ok);
    const chartRuns: ChartRun[] = ok.map((r) => ({ run_id: r.run_id, name: r.run_name || r.run_id.slice(0, 8), start_time: r.start_time }));
    const prefs = st.chart;
    const redraw = (): void => {
      updateButtons();
      void drawCharts();
    };
    const logBox = h('input', {
      type: 'checkbox',
      class: 'logy',
      checked: prefs.logY,
      onchange: (e: Event) => {
        prefs.logY = (e.target as HTMLInputElement).checked;
        redraw();
      },
    });
    const smoothBox = h('input', {
      type: 'range',
      class: 'smooth',
      min: 0,
      max: 0.99,
      step: 0.01,
      value: String(prefs.smooth),
      title: 'smoothing (as mlr plot --smooth)',
      onchange: (e: Event) => {
        prefs.smooth = Number((e.target as HTMLInputElement).value);
        redraw();
      },
    });
    const xSel = h(
      'select',
      {
        class: 'x-axis',
        title: 'the x axis of the charts',
        onchange: (e: Event) => {
          prefs.x = (e.target as HTMLSelectElement).value as XAxis;
          redraw();
        },
      },
      ...(
        [
          ['step', 'x: step'],
          ['time', 'x: wall time'],
          ['rel', 'x: relative time'],
        ] as const
      ).map(([v, label]) => h('option', { value: v, selected: prefs.x === v }, label)),
    );
    const wrap = h('div', { class: 'charts' });
    if (keys.length === 0) wrap.append(h('div', { class: 'empty' }, 'The selected runs logged no metrics.'));
    const avail = chartArea.clientWidth || grid.clientWidth;
    const width = Math.max(380, Math.floor((avail - 12) / Math.max(1, Math.floor(avail / 432))) - 22);
    const show = (): void => {
      const scroll = chartArea.scrollTop;
      chartArea.replaceChildren(
        h(
          'div',
          { class: 'charts-head' },
          h('h3', { style: { margin: 0 } }, `Charts · ${ok.length} run${ok.length === 1 ? '' : 's'}`),
          xSel,
          h('label', { class: 'dim' }, logBox, ' log y'),
          h('label', { class: 'dim smooth-label' }, 'smoothing ', smoothBox, ` ${prefs.smooth.toFixed(2)}`),
          h('span', { class: 'dim' }, 'drag to zoom, double-click to reset'),
        ),
        wrap,
      );
      chartArea.scrollTop = scroll;
    };
    // every metric's histories asked at once, in order (the server answers them in turn). A
    // view opened by the user shows each chart as soon as it is drawn; a live redraw is drawn
    // aside and swapped in whole, so it neither flickers nor loses the scroll.
    const opts = { logY: prefs.logY, smooth: prefs.smooth, x: prefs.x };
    const slots = keys.map(() => h('div', { class: 'chart-slot' }));
    if (!fresh) {
      chartArea.removeAttribute('data-charts');
      wrap.append(...slots);
      show();
    }
    const drawn = await Promise.all(
      keys.map((k, i) =>
        metricChart(k, chartRuns, width, opts, fresh).then((d) => {
          if (!fresh && my === chartGen) slots[i]!.replaceWith(d.el);
          return d;
        }),
      ),
    );
    if (my !== chartGen) return;
    if (fresh) {
      wrap.append(...drawn.map((d) => d.el));
      show();
    }
    chartArea.dataset['charts'] = String(keys.length);
    chartArea.dataset['x'] = prefs.x;
    // a RUNNING run's charts follow its new points (≤ 3 s behind)
    clearTimeout(liveCharts);
    if (ok.some((r) => r.status === 'RUNNING')) liveCharts = setTimeout(() => void drawCharts(true), 3000);
  };

  chartBtn.addEventListener('click', () => {
    st.charts = !st.charts;
    updateButtons();
    void drawCharts();
  });
  compareBtn.addEventListener('click', () => go({ compare: [...st.selected].join(',') }));
  clearBtn.addEventListener('click', () => {
    st.selected.clear();
    st.charts = false;
    updateButtons();
    drawRows(true);
    void drawCharts();
  });
  let debounce: ReturnType<typeof setTimeout> | undefined;
  filterInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      st.filter = filterInput.value.trim();
      grid.scrollTop = 0;
      void reload();
    }, 250);
  });
  filterInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(debounce);
      st.filter = filterInput.value.trim();
      grid.scrollTop = 0;
      void reload();
    }
  });
  grid.addEventListener('scroll', () => drawRows());
  const ro = new ResizeObserver(() => drawRows());
  ro.observe(grid);
  teardown.push(() => ro.disconnect());
  if (st.selected.size === 0) st.charts = false;
  void reload().then(() => drawCharts());
}

// ------------------------------------------------------------------ compare

async function compareView(main: HTMLElement, ids: string[]): Promise<void> {
  main.replaceChildren(h('div', { class: 'dim' }, 'Loading…'));
  const runs = (await Promise.all(ids.map((id) => getJson<RunAnswer>(api('run', { run_id: id })).catch((e: unknown) => ({ error: e, id }))))) as (
    RunAnswer | { error: unknown; id: string }
  )[];
  const ok = runs.filter((r): r is RunAnswer => 'run' in r);
  const bad = runs.filter((r): r is { error: unknown; id: string } => 'error' in r);
  const only = params().get('only') === 'diff';
  const rowsOf = (label: string, get: (r: RunJson) => Map<string, string>): HTMLElement[] => {
    const maps = ok.map((r) => get(r.run));
    const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
    const out: HTMLElement[] = [];
    let shown = 0;
    const body: HTMLElement[] = [];
    for (const k of keys) {
      const vals = maps.map((m) => m.get(k));
      const differs = new Set(vals.map((v) => v ?? '\u0000missing')).size > 1;
      if (only && !differs) continue;
      shown++;
      body.push(
        h(
          'tr',
          { class: differs ? 'diff' : '', 'data-key': `${label.toLowerCase()}.${k}` },
          h('th', { class: 'key', title: k }, k),
          ...vals.map((v) => h('td', { class: v === undefined ? 'dim' : '' }, v ?? '-')),
        ),
      );
    }
    const ndiff = body.filter((r) => r.classList.contains('diff')).length;
    out.push(
      h('tr', { class: 'section' }, h('th', { colspan: ok.length + 1 }, `${label} · ${shown} shown, ${ndiff} differ${ndiff === 1 ? 's' : ''}`)),
      ...body,
    );
    return out;
  };
  const table = h(
    'table',
    { class: 'cmp' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'key' }, ''),
        ...ok.map((r, i) =>
          h(
            'th',
            {},
            h('span', { style: { color: PALETTE[i % PALETTE.length] } }, '● '),
            link({ run: r.run.info.run_id }, r.run.info.run_name || r.run.info.run_id.slice(0, 8)),
            h('div', { class: 'dim mono' }, r.run.info.run_id.slice(0, 8)),
          ),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rowsOf(
        'Attributes',
        (r) =>
          new Map([
            ['experiment', ok.find((x) => x.run === r)?.experiment.name ?? r.info.experiment_id],
            ['status', r.info.status],
            ['start_time', fmtIso(r.info.start_time)],
            ['duration', r.info.end_time !== null && r.info.start_time !== null ? fmtDuration(r.info.end_time - r.info.start_time) : '-'],
            ['user_id', String(r.info['user_id'] ?? '')],
          ]),
      ),
      ...rowsOf('Params', (r) => new Map(r.data.params.map((p) => [p.key, p.value]))),
      ...rowsOf('Metrics', (r) => new Map(r.data.metrics.map((m) => [m.key, typeof m.value === 'number' ? fmtNum(m.value) : String(m.value)]))),
      ...rowsOf('Tags', (r) => new Map(r.data.tags.filter((t) => !t.key.startsWith('mlflow.')).map((t) => [t.key, t.value]))),
    ),
  );
  const back = ok[0] ? link({ experiment: [...new Set(ok.map((r) => r.run.info.experiment_id))].join(','), sel: ids.join(',') }, '← back to the runs') : null;
  main.replaceChildren(
    h('h1', {}, `Compare ${ok.length} runs`, h('span', { class: 'sub' }, back ?? '')),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        h('input', {
          type: 'checkbox',
          checked: only,
          onchange: (e: Event) => {
            const q = params();
            const keep = (k: string): string | undefined => q.get(k) ?? undefined;
            go(
              { compare: ids.join(','), only: (e.target as HTMLInputElement).checked ? 'diff' : undefined, pc: keep('pc'), sx: keep('sx'), sy: keep('sy') },
              true,
            );
          },
        }),
        ' only differences',
      ),
      h('span', { class: 'dim' }, 'rows whose values differ are highlighted'),
    ),
    ...bad.map((b) => errorBox(new Error(`${b.id}: ${(b.error as Error).message}`))),
    h('div', { class: 'card', style: { overflow: 'auto' } }, table),
    ok.length >= 2 ? comparePlots(main, ok, ids, only) : '',
  );
}

/**
 * Parallel coordinates over the params that differ and a chosen metric, and a scatter of any
 * param or metric against a metric; the choices are in the URL (pc, sx, sy).
 */
function comparePlots(main: HTMLElement, ok: RunAnswer[], ids: string[], only: boolean): HTMLElement {
  const runs: PlotRun[] = ok.map((r, i) => {
    const values = new Map<string, string | number>();
    for (const p of r.run.data.params) values.set(`params.${p.key}`, p.value);
    for (const m of r.run.data.metrics) values.set(`metrics.${m.key}`, m.value);
    return { name: r.run.info.run_name || r.run.info.run_id.slice(0, 8), color: runColor(i), values };
  });
  const paramKeys = [...new Set(ok.flatMap((r) => r.run.data.params.map((p) => `params.${p.key}`)))].sort();
  const varying = paramKeys.filter((k) => new Set(runs.map((r) => String(r.values.get(k) ?? '\u0000missing'))).size > 1);
  const metrics = metricKeys(ok.map((r) => ({ metrics: r.run.data.metrics.map((m) => m.key) }))).map((k) => `metrics.${k}`);
  if (metrics.length === 0 && varying.length === 0) return h('div');
  const q = params();
  const pick = (name: string, from: string[], dflt: string | undefined): string | undefined => {
    const v = q.get(name);
    return v && from.includes(v) ? v : dflt;
  };
  const pref = {
    pc: pick('pc', metrics, metrics[0]),
    sx: pick('sx', [...paramKeys, ...metrics], varying[0] ?? metrics[1] ?? metrics[0]),
    sy: pick('sy', metrics, metrics[0]),
  };
  const keep = (): void =>
    history.replaceState(null, '', qs({ compare: ids.join(','), only: only ? 'diff' : undefined, pc: pref.pc, sx: pref.sx, sy: pref.sy }));
  const select = (cls: string, keys: string[], value: string | undefined, onPick: (v: string) => void): HTMLSelectElement =>
    h(
      'select',
      { class: cls, onchange: (e: Event) => onPick((e.target as HTMLSelectElement).value) },
      ...keys.map((k) => h('option', { value: k, selected: k === value }, k)),
    );
  const pcSlot = h('div', { class: 'plot' });
  const scSlot = h('div', { class: 'plot' });
  const width = (): number => Math.max(480, Math.min(1100, main.clientWidth - 80));
  const drawPc = (): void => {
    const dims = [...varying, ...(pref.pc ? [pref.pc] : [])];
    pcSlot.replaceChildren(dims.length ? parallelCoordinates(runs, dims, width()) : h('div', { class: 'dim' }, 'No param differs between these runs.'));
  };
  const drawSc = (): void => {
    scSlot.replaceChildren(pref.sx && pref.sy ? scatter(runs, pref.sx, pref.sy, width()) : h('div', { class: 'dim' }, 'These runs logged no metrics.'));
  };
  const legend = h('div', { class: 'plot-legend' }, ...runs.map((r) => h('span', {}, h('span', { style: { color: r.color } }, '● '), r.name)));
  const card = h(
    'div',
    { class: 'card pad plots' },
    h(
      'div',
      { class: 'plot-head' },
      h('h3', {}, 'Parallel coordinates'),
      h('span', { class: 'dim' }, `${varying.length} param${varying.length === 1 ? '' : 's'} that differ, and`),
      select('pc-metric', metrics, pref.pc, (v) => {
        pref.pc = v;
        keep();
        drawPc();
      }),
    ),
    pcSlot,
    h(
      'div',
      { class: 'plot-head' },
      h('h3', {}, 'Scatter'),
      select('sc-x', [...paramKeys, ...metrics], pref.sx, (v) => {
        pref.sx = v;
        keep();
        drawSc();
      }),
      h('span', { class: 'dim' }, 'against'),
      select('sc-y', metrics, pref.sy, (v) => {
        pref.sy = v;
        keep();
        drawSc();
      }),
    ),
    scSlot,
    legend,
  );
  // drawn once the card is on the page (the canvas takes the page's width)
  requestAnimationFrame(() => {
    drawPc();
    drawSc();
  });
  return card;
}

// ------------------------------------------------------------------ run page

interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

async function listArtifacts(runId: string, path: string): Promise<ArtifactFile[]> {
  const q = new URLSearchParams({ run_id: runId });
  if (path) q.set('path', path);
  const r = await getJson<{ files?: ArtifactFile[] }>(`/ajax-api/2.0/mlflow/artifacts/list?${q.toString()}`);
  return (r.files ?? []).sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || (a.path < b.path ? -1 : 1));
}

function downloadUrl(runId: string, path: string): string {
  return `/get-artifact?${new URLSearchParams({ run_uuid: runId, path }).toString()}`;
}

const IMAGE = /\.(png|jpe?g|gif|svg|webp)$/i;

async function showPreview(slot: HTMLElement, runId: string, f: ArtifactFile): Promise<void> {
  const name = f.path.split('/').pop() ?? f.path;
  const bar = h(
    'div',
    { class: 'bar' },
    h('span', { class: 'name' }, f.path),
    h('span', { class: 'dim' }, fmtBytes(f.file_size)),
    h('a', { class: 'btn', href: downloadUrl(runId, f.path), download: name }, 'Download'),
  );
  slot.replaceChildren(bar, h('div', { class: 'dim' }, 'Loading…'));
  if (IMAGE.test(f.path)) {
    slot.replaceChildren(bar, h('img', { src: downloadUrl(runId, f.path), alt: f.path }));
    return;
  }
  try {
    const p = await getJson<{ size: number; truncated: boolean; binary: boolean; text: string | null; mlmodel?: Record<string, unknown> }>(
      api('preview', { run_id: runId, path: f.path }),
    );
    if (p.binary || p.text === null) {
      slot.replaceChildren(bar, h('div', { class: 'empty' }, 'Binary file: download it to open it.'));
      return;
    }
    const more = p.truncated ? h('div', { class: 'dim' }, `first ${fmtBytes(p.text.length)} of ${fmtBytes(p.size)} shown; download for the whole file`) : '';
    if (/\.(csv|tsv)$/i.test(f.path)) {
      const table = csvTable(p.text, /\.tsv$/i.test(f.path) ? '\t' : ',', p.truncated);
      const raw = h('pre', { class: 'artifact-text', hidden: true }, p.text);
      const toggle = h(
        'label',
        { class: 'dim' },
        h('input', {
          type: 'checkbox',
          onchange: (e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            raw.hidden = !on;
            table.hidden = on;
          },
        }),
        ' as text',
      );
      bar.append(toggle);
      slot.replaceChildren(bar, table, raw, more);
      return;
    }
    if (name === 'MLmodel' && p.mlmodel) {
      slot.replaceChildren(bar, mlmodelSummary(p.mlmodel), h('pre', { class: 'artifact-text' }, p.text), more);
      return;
    }
    let text = p.text;
    if (/\.json$/i.test(f.path) && !p.truncated) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        /* shown as it is */
      }
    }
    slot.replaceChildren(bar, h('pre', { class: 'artifact-text' }, text), more);
  } catch (e) {
    slot.replaceChildren(bar, errorBox(e));
  }
}

/** RFC 4180 fields: quoted fields may hold the separator, doubled quotes and newlines. */
function parseCsv(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const CSV_ROWS = 500;

/** A CSV (or TSV) artifact as a table: its header, then up to 500 rows. */
function csvTable(text: string, sep: string, truncated: boolean): HTMLElement {
  const rows = parseCsv(text, sep);
  // a cut preview's last line may be cut too
  if (truncated && rows.length > 1) rows.pop();
  const [head, ...body] = rows;
  const shown = body.slice(0, CSV_ROWS);
  const num = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
  return h(
    'div',
    { class: 'csv' },
    h(
      'div',
      { class: 'dim' },
      `${(head ?? []).length} columns · ${shown.length < body.length || truncated ? `first ${shown.length.toLocaleString('en-US')} rows` : `${body.length.toLocaleString('en-US')} rows`}`,
    ),
    h(
      'div',
      { class: 'csv-scroll' },
      h(
        'table',
        { class: 'list csv-table' },
        h('thead', {}, h('tr', {}, h('th', { class: 'rn' }, ''), ...(head ?? []).map((c) => h('th', {}, c)))),
        h(
          'tbody',
          {},
          ...shown.map((r, i) => h('tr', {}, h('td', { class: 'rn' }, String(i + 1)), ...r.map((c) => h('td', { class: num(c) ? 'num' : '' }, c)))),
        ),
      ),
    ),
  );
}

/** An MLmodel file's flavors, signature and ids, above its text. */
function mlmodelSummary(m: Record<string, unknown>): HTMLElement {
  const flavors = (m['flavors'] && typeof m['flavors'] === 'object' ? m['flavors'] : {}) as Record<string, Record<string, unknown> | null>;
  const sig = (m['signature'] && typeof m['signature'] === 'object' ? m['signature'] : {}) as Record<string, unknown>;
  /** a signature's inputs or outputs: MLflow writes them as JSON text inside the YAML */
  const schema = (v: unknown): { name?: string; type?: string; 'tensor-spec'?: { dtype?: string; shape?: unknown } }[] => {
    if (typeof v !== 'string') return [];
    try {
      const x = JSON.parse(v) as unknown;
      return Array.isArray(x) ? (x as { name?: string; type?: string }[]) : [];
    } catch {
      return [];
    }
  };
  const cols = (v: unknown): Node | string => {
    const s = schema(v);
    if (s.length === 0) return h('span', { class: 'dim' }, typeof v === 'string' ? v : '-');
    return h(
      'span',
      {},
      ...s.map((c) =>
        h(
          'span',
          { class: 'pill' },
          c.name ? `${c.name}: ` : '',
          c.type === 'tensor' && c['tensor-spec'] ? `tensor ${c['tensor-spec'].dtype ?? ''} ${JSON.stringify(c['tensor-spec'].shape ?? '')}` : (c.type ?? '?'),
        ),
      ),
    );
  };
  const flavorText = (f: Record<string, unknown> | null): string =>
    f
      ? Object.entries(f)
          .filter(([, v]) => typeof v !== 'object' || v === null)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(' · ')
      : '';
  return h(
    'div',
    { class: 'mlmodel' },
    kvTable([
      ['Flavors', h('span', {}, ...Object.keys(flavors).map((f) => h('span', { class: 'pill flavor', title: flavorText(flavors[f] ?? null) }, f)))],
      ...Object.entries(flavors).map(([f, v]) => [f, h('span', { class: 'dim' }, flavorText(v))] as [string, Node]),
      ['Inputs', cols(sig['inputs'])],
      ['Outputs', cols(sig['outputs'])],
      ...(['run_id', 'model_uuid', 'utc_time_created', 'mlflow_version', 'artifact_path'] as const)
        .filter((k) => m[k] !== undefined && m[k] !== null)
        .map((k) => [k, h('span', { class: 'mono' }, String(m[k]))] as [string, Node]),
    ]),
  );
}

/** The address that downloads a folder of the run's artifacts as a zip ('' for all of them). */
function zipUrl(runId: string, path: string): string {
  return `/ajax-api/mlr/zip?${new URLSearchParams({ run_id: runId, path }).toString()}`;
}

function artifactTree(runId: string, preview: HTMLElement): HTMLElement {
  const tree = h('div', { class: 'tree' });
  let on: HTMLElement | undefined;
  const level = async (path: string, into: HTMLElement): Promise<void> => {
    let files: ArtifactFile[];
    try {
      files = await listArtifacts(runId, path);
    } catch (e) {
      into.replaceChildren(errorBox(e));
      return;
    }
    if (files.length === 0 && path === '') {
      into.replaceChildren(h('div', { class: 'empty' }, 'No artifacts.'));
      return;
    }
    const ul = h('ul');
    for (const f of files) {
      const name = f.path.split('/').pop() ?? f.path;
      const li = h('li');
      const a = h(
        'a',
        { href: '#', 'data-path': f.path },
        h('span', {}, f.is_dir ? '▸' : '·'),
        h('span', {}, name),
        f.is_dir
          ? h(
              'span',
              {
                class: 'size zip',
                role: 'link',
                title: `download ${f.path}/ as a zip`,
                'data-zip': f.path,
                onclick: (e: MouseEvent) => {
                  // a click on "zip" downloads the folder instead of opening it
                  e.preventDefault();
                  e.stopPropagation();
                  location.assign(zipUrl(runId, f.path));
                },
              },
              'zip',
            )
          : h('span', { class: 'size' }, fmtBytes(f.file_size)),
      );
      let open = false;
      const sub = h('div');
      a.addEventListener('click', (e) => {
        e.preventDefault();
        if (f.is_dir) {
          open = !open;
          (a.firstChild as HTMLElement).textContent = open ? '▾' : '▸';
          if (open) void level(f.path, sub);
          else sub.replaceChildren();
          return;
        }
        on?.classList.remove('on');
        a.classList.add('on');
        on = a;
        void showPreview(preview, runId, f);
      });
      li.append(a, sub);
      ul.append(li);
    }
    into.replaceChildren(ul);
  };
  void level('', tree);
  return tree;
}

function kvTable(rows: [string, Node | string][]): HTMLElement {
  if (rows.length === 0) return h('div', { class: 'dim' }, 'none');
  return h('table', { class: 'kv' }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

async function runView(main: HTMLElement, id: string): Promise<void> {
  main.replaceChildren(h('div', { class: 'dim' }, 'Loading…'));
  let r: RunAnswer;
  try {
    r = await getJson<RunAnswer>(api('run', { run_id: id }));
  } catch (e) {
    main.replaceChildren(errorBox(e));
    return;
  }
  const i = r.run.info;
  const preview = h('div', { class: 'preview' }, h('div', { class: 'empty' }, 'Pick a file to preview it.'));
  const long = (v: string): Node | string =>
    v.length > 300
      ? h(
          'details',
          {},
          h('summary', {}, `${v.slice(0, 120)}… (${v.length.toLocaleString('en-US')} characters)`),
          h('pre', { class: 'mono', style: { whiteSpace: 'pre-wrap' } }, v),
        )
      : v;
  const tags = r.run.data.tags.filter((t) => t.key !== 'mlflow.runName').sort((a, b) => (a.key < b.key ? -1 : 1));
  const datasets = r.run.inputs?.dataset_inputs ?? [];
  const parentId = r.run.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value;
  const children = h('span', { class: 'dim' }, '…');
  // children: the runs ls filter on the parent tag, in runs ls order
  void getJson<Page>(api('runs', { experiment_ids: i.experiment_id, filter: `tags.\`mlflow.parentRunId\` = '${i.run_id}'`, limit: 50 }))
    .then((p) =>
      children.replaceChildren(
        ...(p.rows.length === 0
          ? ['none']
          : p.rows.flatMap((c, k) => [k ? ', ' : '', link({ run: c.run_id }, String(c.values['run_name'] ?? c.run_id.slice(0, 8)))])),
        p.total > 50 ? ` and ${p.total - 50} more` : '',
      ),
    )
    .catch(() => children.replaceChildren('-'));
  const chartWrap = h('div', { class: 'charts' });
  main.replaceChildren(
    h(
      'h1',
      {},
      i.run_name || i.run_id,
      statusEl(i.status, (r.run.mlr_problems?.length ?? 0) > 0, r.run.mlr_problems?.map((p) => p.message).join('; ')),
      h('span', { class: 'sub' }, 'in ', link({ experiment: i.experiment_id }, r.experiment.name)),
    ),
    (r.run.mlr_problems?.length ?? 0) > 0
      ? h(
          'div',
          { class: 'warn-box' },
          `This run has problems: ${r.run.mlr_problems!.map((p) => p.message).join('; ')} — mlr doctor explains and repairs them.`,
        )
      : '',
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        { class: 'card pad' },
        h('h3', {}, 'Run'),
        kvTable([
          ['ID', h('span', { class: 'mono' }, i.run_id)],
          ['Started', `${fmtIso(i.start_time)} (${fmtAgo(i.start_time)})`],
          ['Ended', i.end_time === null ? '-' : fmtIso(i.end_time)],
          ['Duration', i.end_time !== null && i.start_time !== null ? fmtDuration(i.end_time - i.start_time) : '-'],
          ['User', String(i['user_id'] ?? '-')],
          ['Lifecycle', i.lifecycle_stage],
          ['Artifacts', h('span', { class: 'mono' }, i.artifact_uri)],
          ...(parentId ? [['Parent run', link({ run: parentId }, parentId.slice(0, 8))] as [string, Node]] : []),
          ['Child runs', children],
          ...(datasets.length ? [['Datasets', datasets.map((d) => `${d.dataset.name} (${d.dataset.digest})`).join(', ')] as [string, string]] : []),
          ...(r.models.length
            ? [
                ['Logged models', r.models.map((m) => `${m.artifact_path ?? ''}${m.flavors?.length ? ` [${m.flavors.join(', ')}]` : ''}`).join(', ')] as [
                  string,
                  string,
                ],
              ]
            : []),
        ]),
      ),
      h('div', { class: 'card pad' }, h('h3', {}, `Params · ${r.run.data.params.length}`), kvTable(r.run.data.params.map((p) => [p.key, long(p.value)]))),
      h(
        'div',
        { class: 'card pad' },
        h('h3', {}, `Metrics · ${r.run.data.metrics.length}`),
        kvTable(
          r.run.data.metrics.map((m) => [
            m.key,
            h(
              'span',
              { title: `${m.value} at step ${m.step}` },
              `${typeof m.value === 'number' ? fmtNum(m.value) : m.value}`,
              h('span', { class: 'dim' }, `  step ${m.step}`),
            ),
          ]),
        ),
      ),
      h('div', { class: 'card pad' }, h('h3', {}, `Tags · ${tags.length}`), kvTable(tags.map((t) => [t.key, long(t.value)]))),
    ),
    h(
      'div',
      { class: 'card' },
      h(
        'div',
        { class: 'artifacts-head' },
        h('h3', {}, 'Artifacts'),
        h(
          'a',
          { class: 'btn zip-all', href: zipUrl(i.run_id, ''), download: 'artifacts.zip', title: 'every artifact of the run in one zip' },
          'Download all (zip)',
        ),
      ),
      h('div', { class: 'artifacts' }, artifactTree(i.run_id, preview), preview),
    ),
    r.run.data.metrics.length ? h('h3', { style: { margin: '4px 0 0' } }, 'Metric histories') : '',
    chartWrap,
  );
  const one: ChartRun[] = [{ run_id: i.run_id, name: i.run_name || i.run_id.slice(0, 8) }];
  const width = Math.max(380, Math.floor((main.clientWidth - 40) / Math.max(1, Math.floor((main.clientWidth - 40) / 432))) - 22);
  // one slot per metric, in name order, each filled as soon as its history arrives
  for (const m of r.run.data.metrics.map((x) => x.key).sort()) {
    const slot = h('div', { class: 'chart-slot' });
    chartWrap.append(slot);
    void metricChart(m, one, width, { logY: false, smooth: 0 }).then(
      ({ el }) => slot.replaceWith(el),
      () => slot.replaceWith(h('div', { class: 'empty' }, `${m}: the chart could not be drawn`)),
    );
  }
}

// ------------------------------------------------------------------ models page

interface ModelAnswer {
  name: string;
  description: string | null;
  last_updated_timestamp: number | null;
  tags: KV[];
  aliases: { alias: string; version: string }[];
  versions: {
    version: string;
    current_stage: string;
    status: string;
    run_id: string | null;
    run_name: string | null;
    source: string;
    creation_timestamp: number | null;
    aliases: string[];
    flavors: string[] | null;
    tags: KV[];
  }[];
}

async function modelsView(main: HTMLElement): Promise<void> {
  main.replaceChildren(h('div', { class: 'dim' }, 'Loading…'));
  let models: ModelAnswer[];
  try {
    models = (await getJson<{ models: ModelAnswer[] }>(api('models'))).models;
  } catch (e) {
    main.replaceChildren(errorBox(e));
    return;
  }
  main.replaceChildren(
    h('h1', {}, 'Registered models', h('span', { class: 'sub' }, `${models.length} model${models.length === 1 ? '' : 's'}`)),
    models.length === 0 ? h('div', { class: 'empty' }, 'No registered models in this store.') : '',
    h(
      'div',
      { class: 'models' },
      ...models.map((m) =>
        h(
          'div',
          { class: 'model card pad', 'data-model': m.name },
          h(
            'h2',
            {},
            m.name,
            ' ',
            ...m.aliases.map((a) => h('span', { class: 'pill alias' }, `@${a.alias} → v${a.version}`)),
            ...m.tags.map((t) => h('span', { class: 'pill' }, `${t.key}=${t.value}`)),
          ),
          h('div', { class: 'dim', style: { marginBottom: '8px' } }, m.description || 'no description', ` · updated ${fmtAgo(m.last_updated_timestamp)}`),
          m.versions.length === 0
            ? h('div', { class: 'dim' }, 'No versions.')
            : h(
                'table',
                { class: 'list' },
                h('thead', {}, h('tr', {}, ...['Version', 'Stage', 'Aliases', 'Status', 'Source run', 'Flavors', 'Created'].map((x) => h('th', {}, x)))),
                h(
                  'tbody',
                  {},
                  ...[...m.versions]
                    .reverse()
                    .map((v) =>
                      h(
                        'tr',
                        {},
                        h('td', {}, `v${v.version}`),
                        h(
                          'td',
                          {},
                          v.current_stage && v.current_stage !== 'None'
                            ? h('span', { class: 'pill stage' }, v.current_stage)
                            : h('span', { class: 'dim' }, '-'),
                        ),
                        h('td', {}, ...v.aliases.map((a) => h('span', { class: 'pill alias' }, `@${a}`))),
                        h('td', {}, v.status),
                        h(
                          'td',
                          {},
                          v.run_id
                            ? v.run_name !== null
                              ? link({ run: v.run_id }, v.run_name || v.run_id.slice(0, 8))
                              : h('span', { class: 'mono dim', title: 'not in this store' }, v.run_id.slice(0, 8))
                            : h('span', { class: 'mono dim' }, v.source),
                        ),
                        h('td', {}, v.flavors?.join(', ') ?? h('span', { class: 'dim' }, '-')),
                        h('td', { title: fmtIso(v.creation_timestamp) }, fmtAgo(v.creation_timestamp)),
                      ),
                    ),
                ),
              ),
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ routing

async function render(): Promise<void> {
  for (const f of teardown.splice(0)) f();
  const q = params();
  // a view that names its experiment (or run) does not wait for the sidebar's list
  const needList = !q.has('experiment') && !q.has('run') && !q.has('compare') && !q.has('models');
  if (experiments.length === 0) {
    // with an experiment named, its first rows go first: the list (which counts every
    // experiment's runs) is asked for once they are shown
    experimentsLoad ??= needList || !q.has('experiment') ? loadExperiments() : firstTable.then(loadExperiments);
    if (needList) {
      try {
        await experimentsLoad;
      } catch (e) {
        app.replaceChildren(errorBox(e));
        return;
      }
    } else {
      void experimentsLoad.then(
        () => {
          const aside = app.querySelector('aside');
          if (aside) drawSidebar(aside as HTMLElement);
          for (const el of app.querySelectorAll<HTMLElement>('[data-experiment-name]')) {
            el.textContent = experiments.find((e) => e.experiment_id === el.dataset['experimentName'])?.name ?? el.textContent;
          }
        },
        (e: unknown) => app.querySelector('main')?.prepend(errorBox(e)),
      );
    }
  }
  if (q.has('models')) {
    const { main } = shell('models');
    return modelsView(main);
  }
  const { main } = shell('runs');
  const run = q.get('run');
  if (run) return runView(main, run);
  const compare = q.get('compare');
  if (compare) return compareView(main, compare.split(',').filter(Boolean));
  let ids = (q.get('experiment') ?? '').split(',').filter(Boolean);
  if (ids.length === 0) {
    // MLflow opens on the newest experiment with runs (or the first one)
    const first = experiments.find((e) => e.runs > 0 && e.lifecycle_stage === 'active') ?? experiments[0];
    if (!first) {
      main.replaceChildren(h('div', { class: 'empty' }, 'This store has no experiments yet. Log a run with mlr log-metric or MLflow and it appears here.'));
      return;
    }
    ids = [first.experiment_id];
    history.replaceState(null, '', `?experiment=${first.experiment_id}`);
    shell('runs');
    return render();
  }
  runsView(main, tableState(q, ids));
}

window.addEventListener('popstate', () => void render());
// the sidebar's counts follow the store too (less often than the table)
setInterval(() => {
  if (document.hidden) return;
  void loadExperiments()
    .then(() => {
      const aside = app.querySelector('aside');
      if (aside) drawSidebar(aside as HTMLElement);
    })
    .catch(() => undefined);
}, 10_000);
void render();
