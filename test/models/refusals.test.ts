/**
 * Every refusal of the registry, move and housekeeping commands: the message, the exit
 * code, nothing on stdout, and a store that is byte for byte (folders included) unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyStore } from '../helpers.js';
import { diffSnapshots, on, snapshot } from './helpers.js';

const RUN = 'd61057829b7b4f24b7a65344cc35e18e';
const DELETED_RUN = '2ee677726ea047b29ffa9fddb9fcf75d';

const cases: [string, string[], number, string | RegExp][] = [
  ['unknown model', ['models', 'alias', 'resnet', 'champion', '1'], 1, 'Registered Model with name=resnet not found'],
  [
    'unknown model (describe) suggests near names',
    ['models', 'describe', 'resnet'],
    1,
    'Registered Model with name=resnet not found; did you mean: resnet-classifier',
  ],
  ['name taken', ['models', 'create', 'resnet-classifier'], 1, 'Registered Model (name=resnet-classifier) already exists.'],
  ['name with a path separator', ['models', 'create', 'a/b'], 2, "Invalid name: 'a/b'. Registered model name cannot contain path separator"],
  ['name with %', ['models', 'create', 'a%b'], 2, "Invalid name: 'a%b'. Registered model name cannot contain '%' character"],
  ['empty name', ['models', 'create', ''], 2, 'Registered model name cannot be empty.'],
  ['name ..', ['models', 'create', '..'], 2, "Invalid name: '..'. It cannot be used as a folder name"],
  ['alias "latest"', ['models', 'alias', 'resnet-classifier', 'Latest', '1'], 2, "'latest' alias name (case insensitive) is reserved."],
  ['alias v<digits>', ['models', 'alias', 'resnet-classifier', 'V3', '1'], 2, "Version alias name 'V3' is reserved."],
  [
    'alias with a space',
    ['models', 'alias', 'resnet-classifier', 'a b', '1'],
    2,
    "Invalid alias name: 'a b'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
  ],
  [
    'alias too long',
    ['models', 'alias', 'resnet-classifier', 'a'.repeat(256), '1'],
    2,
    `Registered model alias name '${'a'.repeat(250)}' had length 256, which exceeded length limit of 255`,
  ],
  ['alias to a missing version', ['models', 'alias', 'resnet-classifier', 'best', '9'], 1, 'Model Version (name=resnet-classifier, version=9) not found'],
  ['alias to a non-number', ['models', 'alias', 'resnet-classifier', 'best', 'two'], 2, "Model version must be an integer, got 'two'"],
  ['alias without a version', ['models', 'alias', 'resnet-classifier', 'best'], 2, 'give the version the alias points to (or --delete)'],
  [
    'bad tag key',
    ['models', 'set-tag', 'resnet-classifier', 'a:b', 'v'],
    2,
    "Invalid tag name: 'a:b'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).",
  ],
  [
    'tag key escaping the folder',
    ['models', 'set-tag', 'resnet-classifier', '../x', 'v'],
    2,
    "Invalid tag name: '../x'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../x'",
  ],
  [
    'tag value too long',
    ['models', 'set-tag', 'resnet-classifier', 'k', 'x'.repeat(5001)],
    2,
    `Registered model tag value '${'x'.repeat(250)}' had length 5001, which exceeded length limit of 5000`,
  ],
  ['bad --tag syntax', ['models', 'create', 'new', '--tag', 'novalue'], 2, "--tag expects key=value, got 'novalue'"],
  [
    'stage unknown',
    ['models', 'stage', 'resnet-classifier', '1', 'Prod'],
    2,
    'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
  ],
  [
    'archive-existing with a non-active stage',
    ['models', 'stage', 'resnet-classifier', '1', 'Archived', '--archive-existing'],
    2,
    "Model version transition cannot archive existing model versions because 'Archived' is not an Active stage. Valid stages are Staging, Production",
  ],
  [
    'delete-version of a missing version',
    ['models', 'delete-version', 'resnet-classifier', '7'],
    1,
    'Model Version (name=resnet-classifier, version=7) not found',
  ],
  [
    'register a deleted run',
    ['models', 'register', DELETED_RUN, 'model', '-n', 'x', '--no-check'],
    1,
    `run ${DELETED_RUN} is deleted: restore it first (mlr trash restore ${DELETED_RUN}); mlr gc would purge what the version points at`,
  ],
  ['register an unknown run', ['models', 'register', 'ffffffffffff', 'model', '-n', 'x'], 1, "run 'ffffffffffff' not found in <store>"],
  [
    'register a path outside the artifacts',
    ['models', 'register', RUN, '../meta.yaml', '-n', 'x'],
    2,
    "artifact path '../meta.yaml' leaves the artifact root ('..' is not allowed)",
  ],
  [
    'models filter syntax',
    ['models', 'ls', '--filter', "name = 'a' OR name = 'b'"],
    2,
    "expected AND between clauses, found 'OR'\n  name = 'a' OR name = 'b'\n             ^^",
  ],
  [
    'models filter attribute',
    ['models', 'ls', '--filter', "version = '1'"],
    2,
    "Invalid attribute key 'version' specified: models can be filtered by name or tags.<key>\n  version = '1'\n  ^^^^^^^",
  ],
  [
    'mv to a deleted experiment',
    ['runs', 'mv', RUN, '--to', 'old-exp'],
    1,
    "experiment 'old-exp' (577419433840892238) is deleted: restore it first (mlr trash restore 577419433840892238) or choose another",
  ],
  [
    'mv to an unknown experiment',
    ['runs', 'mv', RUN, '--to', 'nope'],
    1,
    /^no experiment with id or name 'nope' in <store>; experiments: .*sweep \(234684999513866976\)/,
  ],
  [
    'mv of an unknown run (nothing moves, not even the others)',
    ['runs', 'mv', '2609992b', 'ffffffffffff', '--to', 'Default'],
    1,
    "run 'ffffffffffff' not found in <store>",
  ],
  [
    'gc of an active run',
    ['gc', '--run', RUN, '--yes'],
    1,
    `Run ${RUN} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`,
  ],
  [
    'gc of an active experiment',
    ['gc', '--experiment', 'sweep', '--yes'],
    1,
    "Experiments ['234684999513866976'] are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.",
  ],
  [
    'gc of a run deleted too recently',
    ['gc', '--run', DELETED_RUN, '--older-than', '30d', '--yes'],
    1,
    `Run ${DELETED_RUN} is not older than the required age. Only runs older than 30d can be deleted.`,
  ],
  [
    'gc with a bad age',
    ['gc', '--older-than', '30 days', '--yes'],
    2,
    "Could not parse any time information from '30 days'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'",
  ],
  [
    'trash rename of an active experiment',
    ['trash', 'rename', 'sweep', 'x'],
    1,
    "experiment 'sweep' (234684999513866976) is not deleted: rename active experiments with mlr experiments rename",
  ],
  ['trash rename to a taken name', ['trash', 'rename', 'old-exp', 'sweep'], 1, "the name 'sweep' is taken by experiment 234684999513866976"],
  ['trash rename of nothing', ['trash', 'rename', 'ghost', 'x'], 1, "no deleted experiment with id or name 'ghost' (see mlr trash ls)"],
  ['trash restore of an active run', ['trash', 'restore', 'ffffffffffff'], 1, "run 'ffffffffffff' not found in <store>"],
  [
    'artifacts outside the root',
    ['artifacts', 'cat', RUN, 'docs/../../meta.yaml'],
    2,
    "artifact path 'docs/../../meta.yaml' leaves the artifact root ('..' is not allowed)",
  ],
  ['artifacts absolute path', ['artifacts', 'ls', RUN, '/etc'], 2, "artifact path '/etc' is absolute: give a path relative to the run's artifact root"],
];

describe('refusals leave the store unchanged', () => {
  let store: string;
  let before: Map<string, string>;
  beforeAll(() => {
    store = copyStore();
    before = snapshot(store);
  });
  it.each(cases)('%s', async (_name, args, code, message) => {
    const r = await on(store)(...args);
    expect(r.stdout).toBe('');
    const err = r.stderr.replaceAll(store, '<store>');
    if (typeof message === 'string') expect(err).toBe(`mlr: ${message}\n`);
    else expect(err.slice(5)).toMatch(message);
    expect(r.code).toBe(code);
    expect(diffSnapshots(before, snapshot(store))).toEqual({ added: [], removed: [], changed: [] });
  });
});
