/**
 * The HTTP side of the REST backend: MLflow's REST API 2.0 as MLflow's Python client calls
 * it (mlflow/utils/rest_utils.py), on node:http/node:https so that TLS options, timeouts
 * and streamed artifact bodies need no dependency.
 *
 * - Credentials from MLflow's variables: MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD
 *   (basic), MLFLOW_TRACKING_TOKEN (bearer); MLFLOW_TRACKING_INSECURE_TLS and
 *   MLFLOW_TRACKING_SERVER_CERT_PATH for TLS.
 * - Retries as MLflow's client (MLFLOW_HTTP_REQUEST_MAX_RETRIES, default 7, backoff factor
 *   MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR 2 and jitter MLFLOW_HTTP_REQUEST_BACKOFF_JITTER 1,
 *   each wait capped at 120 s, Retry-After honoured) on 429, 500, 502, 503, 504 and dropped
 *   connections — but only for requests that can be repeated safely: reads always; a write
 *   only when the server certainly did not act on it (429, 503, or no connection at all), so a
 *   `log-metric` is never logged twice. A 500 carrying a definite MLflow error (INVALID_STATE,
 *   …) is an answer, not a hiccup: it is not retried.
 * - A timeout per request (MLFLOW_HTTP_REQUEST_TIMEOUT, seconds, default 120).
 * - Every failure is one line naming the server: connection refused, unknown host, TLS,
 *   401/403, a 404 from something that is not MLflow, an answer that is not JSON, and the
 *   server's own `error_code: message`.
 */
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { MlrError, NotFoundError, StateError, UsageError } from '../../errors.js';
import { parseJsonExact, type JsonValue } from '../../json.js';

export type Json = { [key: string]: JsonValue };

/** An error the server answered with MLflow's error JSON (`error_code`, `message`). */
export class ServerError extends MlrError {
  readonly errorCode: string;
  readonly status: number;
  constructor(message: string, errorCode: string, status: number, exitCode = 1) {
    super(message, 'server-' + errorCode.toLowerCase().replace(/_/g, '-'), exitCode);
    this.errorCode = errorCode;
    this.status = status;
  }
}

export interface ClientOptions {
  /** the tracking URI: http(s)://host[:port][/prefix] */
  uri: string;
  env: Record<string, string | undefined>;
  /** waits between retries (tests pass a fast one) */
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  query?: Record<string, string | string[] | undefined>;
  /** a JSON text (already rendered) */
  body?: string;
  /** safe to send again (reads); writes are retried only when the server did not act */
  idempotent: boolean;
}

/** A streamed answer (artifact downloads). */
export interface StreamAnswer {
  status: number;
  size: number;
  stream: Readable;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
/** statuses that mean the request was not acted on, so even a write may be sent again */
const NOT_ACTED = new Set([429, 503]);
/** MLflow error codes a retry may cure; any other code in a 5xx answer is final */
const TRANSIENT_CODES = new Set(['INTERNAL_ERROR', 'TEMPORARILY_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED']);
const MAX_BACKOFF_MS = 120_000;

function envNumber(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, got '${v}'`, 'bad-env');
  return n;
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(true|1|yes)$/i.test(v.trim());

/** One line: newlines of a server's message folded. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

export class RestClient {
  /** the base URL without a trailing slash, for messages and links */
  readonly base: string;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly auth: string | undefined;
  private readonly authKind: 'basic' | 'token' | 'none';
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffFactor: number;
  private readonly backoffJitter: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(o: ClientOptions) {
    let url: URL;
    try {
      url = new URL(o.uri);
    } catch {
      throw new UsageError(`'${o.uri}' is not a valid http(s) tracking URI`, 'bad-uri');
    }
    if (url.username || url.password) {
      throw new UsageError(
        `'${url.protocol}//…@${url.host}': put credentials in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, not in the URI`,
        'bad-uri',
      );
    }
    this.url = url;
    this.base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    const env = o.env;
    const secure = url.protocol === 'https:';
    this.mod = secure ? https : http;
    const tls: https.AgentOptions = {};
    if (secure && truthy(env['MLFLOW_TRACKING_INSECURE_TLS'])) tls.rejectUnauthorized = false;
    const certPath = env['MLFLOW_TRACKING_SERVER_CERT_PATH'];
    if (secure && certPath) {
      try {
        tls.ca = fs.readFileSync(certPath);
      } catch (e) {
        throw new UsageError(
          `MLFLOW_TRACKING_SERVER_CERT_PATH: cannot read '${certPath}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
          'bad-env',
        );
      }
    }
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
    const user = env['MLFLOW_TRACKING_USERNAME'];
    const pass = env['MLFLOW_TRACKING_PASSWORD'];
    const token = env['MLFLOW_TRACKING_TOKEN'];
    if (user && pass !== undefined) {
      this.auth = 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
      this.authKind = 'basic';
    } else if (token) {
      this.auth = `Bearer ${token}`;
      this.authKind = 'token';
    } else {
      this.auth = undefined;
      this.authKind = 'none';
    }
    this.timeoutMs = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', 120) * 1000;
    this.maxRetries = Math.floor(envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 7));
    this.backoffFactor = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 2);
    this.backoffJitter = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', 1);
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** `/api/2.0/mlflow/<endpoint>` answered as JSON (an error answer throws). */
  async call(method: string, endpoint: string, o: RequestOptions): Promise<Json> {
    const { status, body, type } = await this.send(method, `/api/2.0/mlflow/${endpoint}`, o);
    return this.decode(method, `/api/2.0/mlflow/${endpoint}`, status, body, type);
  }

  /** Any path below the base, answered as JSON (the artifact proxy's listings and uploads). */
  async callPath(method: string, path: string, o: RequestOptions & { upload?: Readable; size?: number }): Promise<Json> {
    const { status, body, type } = await this.send(method, path, o);
    return this.decode(method, path, status, body, type);
  }

  /** A GET whose body is streamed (artifact downloads); NotFoundError for a 404. */
  async stream(path: string, query: Record<string, string> = {}): Promise<StreamAnswer> {
    for (let attempt = 0; ; attempt++) {
      let res: http.IncomingMessage;
      try {
        res = await this.open('GET', path, { query, idempotent: true });
      } catch (e) {
        if (attempt < this.maxRetries && this.retryableError(e, true)) {
          await this.sleep(this.backoff(attempt, undefined));
          continue;
        }
        throw this.connectionError(e);
      }
      if (res.statusCode === 200) return { status: 200, size: Number(res.headers['content-length'] ?? NaN), stream: res };
      const body = await readAll(res);
      const status = res.statusCode ?? 0;
      if (attempt < this.maxRetries && this.shouldRetry(status, body, true)) {
        await this.sleep(this.backoff(attempt, res.headers['retry-after']));
        continue;
      }
      this.decode('GET', path, status, body, String(res.headers['content-type'] ?? ''));
      throw new MlrError(`${this.base}${path} answered ${status} with no content`, 'server-bad-answer');
    }
  }

  // ---------------------------------------------------------------- internal

  private async send(
    method: string,
    path: string,
    o: RequestOptions & { upload?: Readable; size?: number },
  ): Promise<{ status: number; body: Buffer; type: string }> {
    for (let attempt = 0; ; attempt++) {
      let res: http.IncomingMessage;
      let body: Buffer;
      try {
        res = await this.open(method, path, o);
        body = await readAll(res);
      } catch (e) {
        if (!o.upload && attempt < this.maxRetries && this.retryableError(e, o.idempotent)) {
          await this.sleep(this.backoff(attempt, undefined));
          continue;
        }
        throw this.connectionError(e);
      }
      const status = res.statusCode ?? 0;
      if (!o.upload && attempt < this.maxRetries && this.shouldRetry(status, body, o.idempotent)) {
        await this.sleep(this.backoff(attempt, res.headers['retry-after']));
        continue;
      }
      return { status, body, type: String(res.headers['content-type'] ?? '') };
    }
  }

  private open(method: string, path: string, o: RequestOptions & { upload?: Readable; size?: number }): Promise<http.IncomingMessage> {
    const u = new URL(this.url.href);
    u.pathname = this.url.pathname.replace(/\/+$/, '') + path;
    u.search = '';
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, one);
    }
    const headers: Record<string, string | number> = { 'User-Agent': 'mlr', Accept: 'application/json' };
    if (this.auth) headers['Authorization'] = this.auth;
    let payload: Buffer | undefined;
    if (o.body !== undefined) {
      payload = Buffer.from(o.body, 'utf8');
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    } else if (o.upload) {
      headers['Content-Type'] = 'application/octet-stream';
      if (o.size !== undefined) headers['Content-Length'] = o.size;
    }
    return new Promise((resolve, reject) => {
      const req = this.mod.request(u, { method, headers, agent: this.agent }, resolve);
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'MLR_TIMEOUT' })));
      req.on('error', reject);
      if (payload) req.end(payload);
      else if (o.upload) {
        o.upload.on('error', (e) => req.destroy(e));
        o.upload.pipe(req);
      } else req.end();
    });
  }

  private shouldRetry(status: number, body: Buffer, idempotent: boolean): boolean {
    if (!RETRY_STATUS.has(status)) return false;
    if (!idempotent && !NOT_ACTED.has(status)) return false;
    const code = errorCodeOf(body);
    return code === undefined || TRANSIENT_CODES.has(code);
  }

  private retryableError(e: unknown, idempotent: boolean): boolean {
    const code = (e as NodeJS.ErrnoException).code;
    // a refused connection is a server that is down: say so now rather than after minutes
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'MLR_TIMEOUT') return false;
    if (!idempotent) return false;
    return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN' || /socket hang up/.test((e as Error).message);
  }

  /** urllib3's backoff: factor × 2^(n−1) plus up to `jitter` seconds, capped; Retry-After when longer. */
  private backoff(attempt: number, retryAfter: string | string[] | undefined): number {
    const base = attempt === 0 ? 0 : this.backoffFactor * 2 ** attempt;
    const ms = Math.min(MAX_BACKOFF_MS, (base + Math.random() * this.backoffJitter) * 1000);
    const after = typeof retryAfter === 'string' && /^\d+$/.test(retryAfter) ? Math.min(MAX_BACKOFF_MS, Number(retryAfter) * 1000) : 0;
    return Math.max(ms, after);
  }

  private connectionError(e: unknown): MlrError {
    if (e instanceof MlrError) return e;
    const err = e as NodeJS.ErrnoException;
    const code = err.code ?? '';
    const at = `the tracking server at ${this.base}`;
    if (code === 'ECONNREFUSED') return new MlrError(`cannot reach ${at}: connection refused (is the server running?)`, 'server-unreachable');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new MlrError(`cannot reach ${at}: unknown host '${this.url.hostname}'`, 'server-unreachable');
    if (code === 'MLR_TIMEOUT') return new MlrError(`${at} did not answer within ${this.timeoutMs / 1000} s (MLFLOW_HTTP_REQUEST_TIMEOUT)`, 'server-timeout');
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code + ' ' + err.message)) {
      return new MlrError(
        `cannot connect to ${at}: TLS: ${err.message} (set MLFLOW_TRACKING_SERVER_CERT_PATH to its CA, or MLFLOW_TRACKING_INSECURE_TLS=true)`,
        'server-tls',
      );
    }
    return new MlrError(`lost the connection to ${at}: ${err.message}${code ? ` (${code})` : ''}`, 'server-unreachable');
  }

  private decode(method: string, path: string, status: number, body: Buffer, type: string): Json {
    const where = `${method} ${this.base}${path}`;
    const text = body.toString('utf8');
    let json: JsonValue | undefined;
    try {
      json = text.trim() === '' ? {} : parseJsonExact(text);
    } catch {
      json = undefined;
    }
    const obj =
      json !== undefined && typeof json === 'object' && json !== null && !Array.isArray(json) && typeof json !== 'bigint' ? (json as Json) : undefined;
    if (status >= 200 && status < 300) {
      if (!obj) {
        const what = type.split(';')[0] || 'no content type';
        throw new MlrError(`${this.base} is not an MLflow tracking server: ${where} answered ${what} that is not MLflow's JSON`, 'server-bad-answer');
      }
      return obj;
    }
    const code = obj && typeof obj['error_code'] === 'string' ? obj['error_code'] : undefined;
    const message = obj && typeof obj['message'] === 'string' ? oneLine(obj['message']) : undefined;
    if (status === 401) {
      const hint =
        this.authKind === 'none'
          ? 'it needs credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)'
          : `it refused the ${this.authKind === 'basic' ? 'username and password in MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD' : 'token in MLFLOW_TRACKING_TOKEN'}`;
      throw new ServerError(`the tracking server at ${this.base} answered 401 Unauthorized: ${hint}`, code ?? 'UNAUTHENTICATED', status);
    }
    if (code !== undefined) {
      const line = `${code}: ${message ?? ''}`.trim();
      if (code === 'RESOURCE_DOES_NOT_EXIST') throw new NotFoundError(message ?? line, 'server-resource-does-not-exist');
      if (code === 'RESOURCE_ALREADY_EXISTS') throw new StateError(message ?? line, 'server-resource-already-exists');
      if (status === 403 || code === 'PERMISSION_DENIED') throw new ServerError(`the tracking server at ${this.base} refused: ${line}`, code, status);
      throw new ServerError(line, code, status);
    }
    if (status === 404)
      throw new ServerError(
        `${this.base} is not an MLflow tracking server (or the URI has a wrong path): ${where} answered 404 Not Found`,
        'ENDPOINT_NOT_FOUND',
        status,
      );
    if (status === 403) throw new ServerError(`the tracking server at ${this.base} answered 403 Forbidden for ${where}`, 'PERMISSION_DENIED', status);
    const snippet = oneLine(text).slice(0, 80);
    throw new ServerError(`${where} answered ${status}${snippet ? `: ${snippet}` : ''}`, status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', status);
  }
}

function errorCodeOf(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > 65536) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    const c = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['error_code'] : undefined;
    return typeof c === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

function readAll(res: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}
