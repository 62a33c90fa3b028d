#!/usr/bin/env node
// Tiny shim: more libuv threads for parallel file reads, then the compiled CLI.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/cli.js');
