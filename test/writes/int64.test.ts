/**
 * Writes keep MLflow's int64 steps and timestamps and the sign of -0.0 (issue 11 items 1–2):
 * `log-batch` JSON with 2^53+1 and 2^63-1 stores those digits, not the nearest double.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlr } from '../helpers.js';
import { copyStore } from '../helpers.js';

function metricFile(store: string, run: string, key: string): string {
  for (const e of fs.readdirSync(store)) {
    const f = path.join(store, e, run, 'metrics', key);
    if (fs.existsSync(f)) return fs.readFileSync(f, 'utf8');
  }
  throw new Error(`no metric file ${key} for ${run}`);
}

describe('int64 and -0.0 on the way in', () => {
  it('log-batch --file - keeps 9007199254740993 and 9223372036854775807 exactly, and -0.0', async () => {
    const store = copyStore();
    try {
      const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'sweep'])).stdout.trim();
      const body =
        '{"metrics":[{"key":"s","value":1,"timestamp":9007199254740993,"step":9007199254740993},' +
        '{"key":"s","value":-0.0,"timestamp":1700000000000,"step":9223372036854775807}]}';
      const r = await mlr(['--store', store, 'log-batch', run, '--file', '-'], { input: body });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(metricFile(store, run, 's')).toBe('9007199254740993 1.0 9007199254740993\n1700000000000 -0.0 9223372036854775807\n');
      const d = JSON.parse((await mlr(['--store', store, 'runs', 'describe', run, '--format', 'json'])).stdout.replace(/("step": )(\d{16,})/g, '$1"$2"')) as {
        data: { metrics: { step: string; value: number }[] };
      };
      expect(d.data.metrics).toEqual([{ key: 's', value: -0, timestamp: 1700000000000, step: '9223372036854775807' }]);
    } finally {
      fs.rmSync(path.dirname(store), { recursive: true, force: true });
    }
  });

  it('log-metric --step with 20 digits is refused like MLflow (beyond int64), 19 digits kept', async () => {
    const store = copyStore();
    try {
      const run = (await mlr(['--store', store, 'runs', 'create', '-e', 'sweep'])).stdout.trim();
      expect((await mlr(['--store', store, 'log-metric', run, 'x', '-0.0', '--step', '9223372036854775807', '--timestamp', '1'])).code).toBe(0);
      expect(metricFile(store, run, 'x')).toBe('1 -0.0 9223372036854775807\n');
      const bad = await mlr(['--store', store, 'log-metric', run, 'x', '1', '--step', '92233720368547758070']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^mlr: .*step/);
    } finally {
      fs.rmSync(path.dirname(store), { recursive: true, force: true });
    }
  });
});
