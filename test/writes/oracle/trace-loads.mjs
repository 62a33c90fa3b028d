// --import hook for tests: appends every module URL node loads (ESM and CommonJS) to the
// file named by $MLR_TRACE_LOADS, one per line.
import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const out = process.env.MLR_TRACE_LOADS;
register('./trace-loads-hooks.mjs', { parentURL: import.meta.url, data: { out } });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  appendFileSync(out, `cjs:${request}\n`);
  return load.call(this, request, parent, isMain);
};
