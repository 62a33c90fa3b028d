/** DOM and formatting helpers of the viewer (no framework: a few elements built by hand). */

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET a JSON endpoint; an error answer becomes an HttpError carrying the server's message. */
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const early = (window as unknown as { __mlrFirstPage?: { url: string; response: Promise<Response> } }).__mlrFirstPage;
  let res: Response;
  if (early && early.url === url) {
    // index.html asked for it while app.js was loading: used once
    delete (window as unknown as { __mlrFirstPage?: unknown }).__mlrFirstPage;
    res = await early.response;
  } else res = await fetch(url, signal ? { signal } : {});
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(res.status, 'BAD_RESPONSE', text.slice(0, 300));
  }
  if (!res.ok) {
    const b = body as { error_code?: string; message?: string };
    throw new HttpError(res.status, b.error_code ?? 'ERROR', b.message ?? text);
  }
  return body as T;
}

/** `/ajax-api/mlr/<name>?…` with repeated keys for arrays and empty values left out. */
export function api(name: string, params: Record<string, string | number | readonly string[] | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return `/ajax-api/mlr/${name}${s ? '?' + s : ''}`;
}

/** A number as a table shows it: up to 4 significant digits (the full value goes in the title). */
export function fmtNum(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** "3 min ago", "2 d ago" from an epoch-ms time. */
export function fmtAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '-';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 86400 * 60) return `${Math.floor(s / 86400)} d ago`;
  if (s < 86400 * 730) return `${Math.floor(s / (86400 * 30))} mo ago`;
  return `${Math.floor(s / (86400 * 365))} y ago`;
}

/** ISO-8601 in UTC, as the CLI prints times when piped. */
export function fmtIso(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

/** "1 h 4 min", "52 s", "340 ms". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A key as MLflow's search syntax writes it: backquoted unless it is a plain identifier. */
export function quoteKey(prefix: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? `${prefix}.${name}` : `${prefix}.\`${name}\``;
}

/** Eight distinct, readable colours for overlaid runs (Tableau 10 without the greys). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#2b8cbe'];

export function statusEl(status: string, broken?: boolean, title?: string): HTMLElement {
  return h(
    'span',
    { class: `status ${broken ? 'broken' : status}`, title: broken ? (title ?? 'this run is broken: mlr doctor explains and repairs it') : status },
    broken ? status || 'broken' : status,
  );
}
