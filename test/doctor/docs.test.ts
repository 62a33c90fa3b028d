/**
 * docs/doctor.md shows real commands with their real output (test/doc-runner.ts): its console
 * blocks run in a scratch folder holding copies of two real stores from ../shared/corpus/real
 * and the bundled fixture with the damage the doc describes. Skipped, and says so, when
 * ../shared is absent (MLR_SHARED_DIR points elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { checkDoc } from '../doc-runner.js';
import { FIXTURE, REPO, SHARED, tempDir, copyTree } from '../helpers.js';

const CORPUS = path.join(process.env['MLR_SHARED_DIR'] ?? SHARED, 'corpus', 'real');
const HAS_CORPUS = fs.existsSync(CORPUS);
if (!HAS_CORPUS) console.log(`docs/doctor.md not checked: ${CORPUS} is absent`);

/** The damage the doc describes: a merge conflict, a torn metric line, an emptied run meta.yaml, Finder files. */
function damage(store: string): void {
  const nlp = path.join(store, '146381941577740080', 'meta.yaml');
  fs.writeFileSync(nlp, fs.readFileSync(nlp, 'utf8').replace('name: nlp models\n', '<<<<<<< HEAD\nname: nlp models\n=======\nname: nlp\n>>>>>>> laptop\n'));
  const run = path.join(store, '234684999513866976', '0d386e4a9e794fa987768f73e7a51c10');
  fs.appendFileSync(path.join(run, 'metrics', 'val_loss'), '1700001931000 0.29');
  fs.writeFileSync(path.join(store, '234684999513866976', '02df84e1e68a46eaa4f971068787bace', 'meta.yaml'), '');
  fs.writeFileSync(path.join(store, '.DS_Store'), 'x');
  fs.copyFileSync(path.join(run, 'meta.yaml'), path.join(run, 'meta 2.yaml'));
}

describe.skipIf(!HAS_CORPUS)('docs/doctor.md', () => {
  it('every console block prints what the doc says', async () => {
    const work = tempDir('doctor-docs');
    const copy = (src: string, dir: string): string => {
      const dst = path.join(work, dir, 'mlruns');
      copyTree(src, dst);
      return dst;
    };
    copy(path.join(CORPUS, 'kuto5046__kaggle-rainforest@cb2c769a', 'mlruns'), 'kaggle-rainforest');
    copy(path.join(CORPUS, 'samuel29102002__AsteroidPredictionModel', 'mlruns'), 'AsteroidPredictionModel');
    damage(copy(FIXTURE, 'cv-project'));
    await checkDoc(path.join(REPO, 'docs', 'doctor.md'), { cwd: work, columns: 100 });
  });
});
