/**
 * One refusal per validation rule (spec §10, issue 4): the exact one-line message, the exit
 * code (2 usage, 1 state), and a store left exactly as it was (files and folders).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlr, tempDir, copyTree } from '../helpers.js';

let base: string;
let R: string; // active run with param p=1 and metric m, tag t
let D: string; // deleted run
let G: string; // run of the deleted experiment 'gone'
let GONE: string;
let EXP: string;

/** Every file (with content) and folder below dir. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out[rel + '/'] = '';
        walk(p);
      } else out[rel] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  const work = tempDir('refuse');
  base = path.join(work, 'mlruns');
  const ok = async (args: string[]) => {
    const r = await mlr(['--store', base, ...args], { cwd: work });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  EXP = await ok(['experiments', 'create', 'exp']);
  R = await ok(['runs', 'create', '-e', 'exp', '--name', 'r']);
  await ok(['log-param', R, 'p', '1']);
  await ok(['log-metric', R, 'm', '1']);
  await ok(['set-tag', R, 't', 'v']);
  D = await ok(['runs', 'create', '-e', 'exp', '--name', 'd']);
  await ok(['runs', 'delete', D]);
  GONE = await ok(['experiments', 'create', 'gone']);
  G = await ok(['runs', 'create', '-e', 'gone', '--name', 'g']);
  await ok(['experiments', 'delete', 'gone']);
});

interface Case {
  args: () => string[];
  code: 1 | 2;
  message: () => string | RegExp;
  env?: Record<string, string>;
  input?: string;
  /** run against a store path that does not exist */
  noStore?: boolean;
}

const BAD_CHARS = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';
const BAD_PATH = 'Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to';
const batch = (b: object) => JSON.stringify(b);

const cases: Record<string, Case> = {
  'param key with a colon': { args: () => ['log-param', R, 'a:b', '1'], code: 2, message: () => `Invalid parameter name: 'a:b'. ${BAD_CHARS}` },
  'metric key with a tab': { args: () => ['log-metric', R, 'a\tb', '1'], code: 2, message: () => `Invalid metric name: 'a\tb'. ${BAD_CHARS}` },
  'tag key with a combining mark': { args: () => ['set-tag', R, 'e\u0301', 'v'], code: 2, message: () => `Invalid tag name: 'e\u0301'. ${BAD_CHARS}` },
  'metric key escaping the run (..)': { args: () => ['log-metric', R, '../x', '1'], code: 2, message: () => `Invalid metric name: '../x'. ${BAD_PATH} '../x'` },
  'param key a/../b': { args: () => ['log-param', R, 'a/../b', '1'], code: 2, message: () => `Invalid parameter name: 'a/../b'. ${BAD_PATH} 'b'` },
  'tag key with an absolute path': { args: () => ['set-tag', R, '/etc/x', 'v'], code: 2, message: () => `Invalid tag name: '/etc/x'. ${BAD_PATH} '/etc/x'` },
  'param key a//b': { args: () => ['log-param', R, 'a//b', '1'], code: 2, message: () => `Invalid parameter name: 'a//b'. ${BAD_PATH} 'a/b'` },
  'empty metric key': { args: () => ['log-metric', R, '', '1'], code: 2, message: () => `Invalid metric name: ''. ${BAD_PATH} '.'` },
  'param key over 250 characters': {
    args: () => ['log-param', R, 'k'.repeat(251), '1'],
    code: 2,
    message: () => `Param key '${'k'.repeat(250)}' had length 251, which exceeded length limit of 250`,
  },
  'param value over 6000 characters with truncation off': {
    args: () => ['log-param', R, 'long', 'v'.repeat(6001)],
    env: { MLFLOW_TRUNCATE_LONG_VALUES: 'false' },
    code: 2,
    message: () => `Param value '${'v'.repeat(250)}' had length 6001, which exceeded length limit of 6000`,
  },
  'metric value that is not a number': {
    args: () => ['log-metric', R, 'loss', 'abc', '--timestamp', '5'],
    code: 2,
    message: () => "Got invalid value abc for metric 'loss' (timestamp=5). Please specify value as a valid double (64-bit floating point)",
  },
  'negative timestamp': {
    args: () => ['log-metric', R, 'loss', '1', '--timestamp', '-1'],
    code: 2,
    message: () => "Got invalid timestamp -1 for metric 'loss' (value=1). Timestamp must be a nonnegative long (64-bit integer) ",
  },
  'fractional step': {
    args: () => ['log-metric', R, 'loss', '1', '--step', '1.5'],
    code: 2,
    message: () => "Got invalid step 1.5 for metric 'loss' (value=1). Step must be a valid long (64-bit integer).",
  },
  'changing a param value': {
    args: () => ['log-param', R, 'p', '2'],
    code: 1,
    message: () =>
      `Changing param values is not allowed. Param with key='p' was already logged with value='1' for run ID='${R}'. Attempted logging new value '2'.`,
  },
  'log-metric with no arguments': {
    args: () => ['log-metric'],
    code: 2,
    message: () => 'expected <run> <key> <value> (or <key> <value> with MLFLOW_RUN_ID set), got 0 arguments',
  },
  'log-params with no arguments': { args: () => ['log-params'], code: 2, message: () => 'expected [<run>] <key>=<value>…' },
  'delete-tag with no arguments': {
    args: () => ['delete-tag'],
    code: 2,
    message: () => 'expected <run> <key> (or <key> with MLFLOW_RUN_ID set), got 0 arguments',
  },
  'logging to a deleted run': { args: () => ['log-metric', D, 'loss', '1'], code: 1, message: () => `The run ${D} must be in 'active' lifecycle_stage.` },
  'tagging a run of a deleted experiment': {
    args: () => ['set-tag', G, 'k', 'v'],
    code: 1,
    message: () => `The run ${G} must be in 'active' lifecycle_stage.`,
  },
  'ending a deleted run': { args: () => ['runs', 'end', D], code: 1, message: () => `The run ${D} must be in 'active' lifecycle_stage.` },
  'renaming a deleted run': { args: () => ['runs', 'rename', D, 'x'], code: 1, message: () => `The run ${D} must be in 'active' lifecycle_stage.` },
  'creating a run in a deleted experiment': {
    args: () => ['runs', 'create', '-e', 'gone'],
    code: 1,
    message: () => `Could not create run under non-active experiment with ID ${GONE}.`,
  },
  'tagging a deleted experiment': {
    args: () => ['experiments', 'set-tag', 'gone', 'k', 'v'],
    code: 1,
    message: () => `The experiment ${GONE} must be in the 'active' lifecycle_stage to set tags`,
  },
  'renaming a deleted experiment': {
    args: () => ['experiments', 'rename', GONE, 'other'],
    code: 1,
    message: () => 'Cannot rename experiment in non-active lifecycle stage. Current stage: deleted',
  },
  'creating an experiment whose name is deleted': {
    args: () => ['experiments', 'create', 'gone'],
    code: 1,
    message: () =>
      "Experiment 'gone' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again.",
  },
  'renaming to a taken name': { args: () => ['experiments', 'rename', 'exp', 'exp'], code: 1, message: () => "Experiment 'exp' already exists." },
  'renaming to a deleted name': {
    args: () => ['experiments', 'rename', 'exp', 'gone'],
    code: 1,
    message: () => /^Experiment 'gone' already exists in deleted state\./,
  },
  'an empty experiment name': { args: () => ['experiments', 'create', ''], code: 2, message: () => "Invalid experiment name: ''" },
  'an experiment name with a quote': {
    args: () => ['experiments', 'create', "it's"],
    code: 2,
    message: () => `Invalid experiment name: "it's". MLflow's file store cannot look up names containing a single quote (')`,
  },
  'an experiment name over 500 characters': {
    args: () => ['experiments', 'create', 'n'.repeat(501)],
    code: 2,
    message: () => /Experiment name exceeds the maximum length of 500 characters$/,
  },
  'deleting the default experiment': {
    args: () => ['experiments', 'delete', '0'],
    code: 1,
    message: () => "Cannot delete the default experiment '0'. This is an internally reserved experiment.",
  },
  'restoring an active experiment': {
    args: () => ['experiments', 'restore', 'exp'],
    code: 1,
    message: () => `Could not find deleted experiment with ID ${EXP}`,
  },
  'an unknown run': {
    args: () => ['log-metric', 'f'.repeat(32), 'loss', '1'],
    code: 1,
    message: () => `run '${'f'.repeat(32)}' not found in ${base}`,
  },
  'an unknown experiment': { args: () => ['runs', 'create', '-e', 'nope'], code: 1, message: () => /^no experiment with id or name 'nope' in / },
  'a run id that is a path': { args: () => ['log-metric', '../../etc', 'loss', '1'], code: 2, message: () => "'../../etc' is not a run id" },
  'no run and no MLFLOW_RUN_ID': {
    args: () => ['log-metric', 'loss', '1'],
    code: 2,
    message: () => 'expected <run> <key> <value> (or <key> <value> with MLFLOW_RUN_ID set), got 2 arguments',
  },
  'a mistyped option among metric args': { args: () => ['log-metric', R, 'loss', '1', '--stpe', '3'], code: 2, message: () => "unknown option '--stpe'" },
  'a pair without =': { args: () => ['log-metrics', R, 'a=1', 'b'], code: 2, message: () => "expected key=value, got 'b'" },
  'run name and mlflow.runName tag disagree': {
    args: () => ['runs', 'create', '-e', 'exp', '--name', 'a', '--tag', 'mlflow.runName=b'],
    code: 2,
    message: () => "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='a', mlflow.runName='b').",
  },
  'deleting a missing tag': { args: () => ['delete-tag', R, 'nope'], code: 1, message: () => `No tag with name: nope in run with id ${R}` },
  'an unknown status': {
    args: () => ['runs', 'end', R, '--status', 'DONE'],
    code: 2,
    message: () => "invalid status 'DONE': use one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
  },
  'an artifact path leaving the artifacts': {
    args: () => ['log-artifact', R, '/etc/hostname', '--artifact-path', '../x'],
    code: 2,
    message: () => "invalid artifact path '../x': give a relative path inside the run's artifacts, without '..'",
  },
  'a batch with 101 params': {
    args: () => ['log-batch', R, '--file', '-'],
    input: batch({ params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) }),
    code: 2,
    message: () => 'A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.',
  },
  'a batch with 1001 metrics': {
    args: () => ['log-batch', R, '--file', '-'],
    input: batch({ metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })) }),
    code: 2,
    message: () =>
      'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
  },
  'a batch with a duplicate param key': {
    args: () => ['log-batch', R, '--file', '-'],
    input: batch({
      params: [
        { key: 'x', value: '1' },
        { key: 'x', value: '1' },
      ],
    }),
    code: 2,
    message: () => "Duplicate parameter keys have been submitted: ['x']. Please ensure the request contains only one param value per param key.",
  },
  'a batch whose second param changes a value (nothing of it is written)': {
    args: () => ['log-batch', R, '--file', '-'],
    input: batch({
      params: [
        { key: 'fresh', value: '1' },
        { key: 'p', value: '9' },
      ],
      metrics: [{ key: 'new', value: 1, timestamp: 1, step: 0 }],
    }),
    code: 1,
    message: () =>
      `Changing param values is not allowed. Param with key='p' was already logged with value='1' for run ID='${R}'. Attempted logging new value '9'.`,
  },
  'a batch with a bad metric in the middle (nothing of it is written)': {
    args: () => ['log-batch', R, '--file', '-'],
    input: batch({
      metrics: [
        { key: 'ok', value: 1, timestamp: 1, step: 0 },
        { key: 'bad', value: 'x', timestamp: 1, step: 0 },
      ],
    }),
    code: 2,
    message: () => "Got invalid value x for metric 'bad' (timestamp=1). Please specify value as a valid double (64-bit floating point)",
  },
  'a batch that is not JSON': { args: () => ['log-batch', R, '--file', '-'], input: '{nope', code: 2, message: () => /^log-batch: the input is not JSON/ },
  'a metric key under an existing metric file': {
    args: () => ['log-metric', R, 'm/x', '1'],
    code: 1,
    message: () => "cannot log metric 'm/x': part of the key is already a file (a key cannot be both a value and a prefix of other keys)",
  },
  'a store that does not exist': {
    args: () => ['log-metric', R, 'loss', '1'],
    noStore: true,
    code: 1,
    message: () => /^no MLflow store at .*: the folder does not exist$/,
  },
  // without --, the one argument is an MLproject folder (issue 16)
  'mlr run without --': {
    args: () => ['run', 'true'],
    code: 2,
    message: () => "'true' is not a project folder; to run a command, put it after --: mlr run [options] -- <command> [args…]",
  },
  'mlr run with a command without --': {
    args: () => ['run', 'python3', 'train.py'],
    code: 2,
    message: () => 'put the command after --: mlr run [options] -- <command> [args…] (without --, mlr run takes one MLproject folder)',
  },
};

describe('refusals: message, exit code, store unchanged', () => {
  it.each(Object.keys(cases))('%s', async (name) => {
    const c = cases[name]!;
    const work = tempDir('refuse-case');
    const store = path.join(work, 'mlruns');
    if (!c.noStore) copyTree(base, store);
    const before = c.noStore ? {} : snapshot(store);
    const r = await mlr(['--store', store, ...c.args()], { cwd: work, env: c.env ?? {}, ...(c.input !== undefined ? { input: c.input } : {}) });
    const msg = c.message();
    const expected = typeof msg === 'string' ? msg.split(base).join(store) : msg;
    expect(r.stdout).toBe('');
    expect(r.code).toBe(c.code);
    const line = r.stderr.replace(/^mlr: /, '').replace(/\n$/, '');
    if (typeof expected === 'string') expect(line).toBe(expected);
    else expect(line).toMatch(expected);
    expect(r.stderr.trimEnd().split('\n').length, r.stderr).toBe(1);
    if (c.noStore) expect(fs.existsSync(store)).toBe(false);
    else expect(snapshot(store)).toEqual(before);
  });

  it("truncates an over-long param value by default, with MLflow's warning", async () => {
    const work = tempDir('refuse-case');
    const store = path.join(work, 'mlruns');
    copyTree(base, store);
    const r = await mlr(['--store', store, 'log-param', R, 'long', 'v'.repeat(6001)], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlr: warning: Param value '${'v'.repeat(100)}...' (6001 characters) is truncated to 6000 characters to meet the length limit.\n`);
    expect(fs.readFileSync(path.join(store, EXP, R, 'params', 'long'), 'utf8')).toBe('v'.repeat(6000));
  });
});

describe('filesystem failures', () => {
  it('become one line naming the path, not a stack trace', async () => {
    const work = tempDir('refuse-case');
    const store = path.join(work, 'mlruns');
    copyTree(base, store);
    fs.rmSync(path.join(store, '.trash'), { recursive: true });
    fs.writeFileSync(path.join(store, '.trash'), 'not a folder');
    const r = await mlr(['--store', store, 'log-metric', R, 'loss', '1'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlr: cannot mkdir ${path.join(store, '.trash')}: a file is in the way\n`);
  });

  it('maps errno errors and leaves other errors alone', async () => {
    const { asWriteError } = await import('../../src/store/fs-errors.js');
    const { StateError } = await import('../../src/errors.js');
    const e = Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write', path: '/s/m' });
    const mapped = asWriteError(e) as InstanceType<typeof StateError>;
    expect(mapped).toBeInstanceOf(StateError);
    expect(mapped.message).toBe('cannot write /s/m: no space left on device');
    const plain = new TypeError('bug');
    expect(asWriteError(plain)).toBe(plain);
  });
});
