/**
 * The REST backend reads what real MLflow sends: a server here replays the answers MLflow
 * 2.12's own server gave (fixtures/conformance/rest/exchanges.json, recorded over the store
 * of fixtures/mlruns), and `mlr … --tracking-uri` on it prints what `mlr` prints on the
 * folder itself.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, REPO, mlr } from '../helpers.js';

interface Exchange {
  name: string;
  method: string;
  path: string;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
  status: number;
  response: unknown;
}

const EXCHANGES = JSON.parse(fs.readFileSync(path.join(REPO, 'fixtures', 'conformance', 'rest', 'exchanges.json'), 'utf8')) as Exchange[];
const RECORDED_BEFORE_WRITES = EXCHANGES.slice(
  0,
  EXCHANGES.findIndex((e) => e.path.endsWith('experiments/create')),
);

let server: http.Server;
let url = '';
const asked: string[] = [];

/** The recorded exchange whose fields the request repeats (page_token included), else none. */
function answer(method: string, p: string, fields: Record<string, unknown>): Exchange | undefined {
  const same = RECORDED_BEFORE_WRITES.filter((e) => e.method === method && e.path === p);
  const want = (e: Exchange) => e.query ?? e.body ?? {};
  const keys = ['run_id', 'experiment_id', 'metric_key', 'name', 'page_token', 'experiment_name'];
  return same.find(
    (e) => keys.every((k) => String(want(e)[k] ?? '') === String(fields[k] ?? '')) && (!('max_results' in want(e)) || p.endsWith('runs/search')),
  );
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const fields: Record<string, unknown> = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
        : Object.fromEntries(u.searchParams);
      asked.push(`${req.method} ${u.pathname}`);
      const e = answer(req.method ?? '', u.pathname, fields);
      res.writeHead(e ? e.status : 404, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify(e ? e.response : { error_code: 'ENDPOINT_NOT_FOUND', message: `not recorded: ${req.method} ${u.pathname} ${JSON.stringify(fields)}` }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const RUN = 'b92984aba45d4abc95751e11a9134946';

describe("MLflow 2.12's own answers, read through the REST backend", () => {
  it.each([
    [['runs', 'describe', RUN, '--format', 'json']],
    [['metrics', 'history', RUN, 'val_loss', '--format', 'json']],
    [['metrics', 'history', RUN, 'val_loss']],
  ])('mlr %j', async (args) => {
    const local = await mlr(['--store', FIXTURE, ...args]);
    const remote = await mlr(['--tracking-uri', url, ...args]);
    expect(local.code).toBe(0);
    expect({ code: remote.code, stdout: remote.stdout }).toEqual({ code: 0, stdout: local.stdout });
  });

  it("MLflow's 404 for a run: mlr's one line, as on a folder (a whole id is no prefix to look for)", async () => {
    const r = await mlr(['--tracking-uri', url, 'runs', 'describe', '00000000000000000000000000000000']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `mlr: run '00000000000000000000000000000000' not found in ${url}\n` });
  });
});
