#!/usr/bin/env node
// The server side of bench/run.mjs's "server" scenarios: `mlr server`'s startServer over a
// store, in its own process, measuring its own event-loop delay. Prints its URL on stdout,
// then answers lines on stdin: "reset" (clear the delay histogram), "stats" (one JSON line:
// max and p99 event-loop delay in ms, current and peak RSS in KiB, CPU time used so far in
// ms, user + system). Exits on "exit".
//
// Usage: node bench/server-child.mjs <store root> [--ui]   (the root is created when missing)

import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

// as bin/mlr.js starts `mlr server`: more libuv threads (the server's fsyncs and reads run there)
process.env.UV_THREADPOOL_SIZE ??= '16';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(path.join(REPO, 'dist', p)).href);
const [{ startServer }, { openBackend }, { resolveTrackingUri }] = await Promise.all([dist('server/index.js'), dist('store/open.js'), dist('store/root.js')]);

const root = path.resolve(process.argv[2]);
const loc = resolveTrackingUri(root, {}, path.dirname(root));
// as `mlr server` starts on a new root: the folder and its Default experiment
if (!existsSync(root)) {
  const fresh = await openBackend(loc, { cwd: path.dirname(root) });
  await (await fresh.writer()).createExperiment('Default', { experimentId: '0' });
  await fresh.close();
}
const backend = await openBackend({ ...loc, artifactRoot: 'mlflow-artifacts:/' }, { cwd: path.dirname(root), longLived: true });
// --ui: as `mlr ui` starts: the viewer's page, after reading the run lists (warmUp)
let ui;
if (process.argv.includes('--ui')) {
  const { defaultUiDir, loadUiAssets, warmUp } = await dist('server/ui.js');
  ui = loadUiAssets(defaultUiDir());
  await warmUp(backend);
}
const server = await startServer({ backend, host: '127.0.0.1', port: 0, artifactsDestination: path.join(path.dirname(root), 'mlartifacts'), ui });
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
process.stdout.write(`${server.url}\n`);
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const cmd = line.trim();
  if (cmd === 'reset') {
    h.reset();
    process.stdout.write('ok\n');
  } else if (cmd === 'stats') {
    const ms = (ns) => Number(ns) / 1e6;
    process.stdout.write(
      JSON.stringify({
        maxDelayMs: ms(h.max),
        p99DelayMs: ms(h.percentile(99)),
        rssKb: Math.round(process.memoryUsage().rss / 1024),
        maxRssKb: process.resourceUsage().maxRSS,
        cpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage()),
      }) + '\n',
    );
  } else if (cmd === 'exit') break;
}
await server.close();
process.exit(0);
