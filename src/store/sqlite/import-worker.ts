/**
 * The writer thread of import-pipe.ts: opens the target database on its own connection and
 * runs the SqliteImporter calls the main thread sends, one at a time in the order sent,
 * each in its own transaction as in-process, answering each with done or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MlrError } from '../../errors.js';
import { openForWrite } from './db.js';
import { SqliteImporter } from './import.js';
import type { WriterReply, WriterRequest } from './import-pipe.js';

const { file, existed } = workerData as { file: string; existed: boolean };
const port = parentPort!;
const db = openForWrite(file);
const importer = new SqliteImporter(db, existed);

async function run(m: WriterRequest): Promise<[string, string][] | void> {
  switch (m.op) {
    case 'runs':
      return [...importer.importBatchEach(m.batch)];
    case 'experiment':
      return importer.importExperiment(m.experiment, m.replace);
    case 'model':
      return importer.importModel(m.model, m.replace);
    case 'loggedModels':
      return importer.importLoggedModels(m.models, new Set(m.replace));
    case 'close':
      db.close();
      return;
  }
}

// one call at a time: a call's transaction is committed before the next message is taken
let chain = Promise.resolve();
port.on('message', (m: WriterRequest) => {
  chain = chain.then(async () => {
    let reply: WriterReply;
    try {
      const failed = await run(m);
      reply = { id: m.id, ...(failed && failed.length > 0 ? { failed } : {}) };
    } catch (e) {
      const err = e as Error;
      reply = {
        id: m.id,
        error: { message: err?.message ?? String(e), ...(e instanceof MlrError ? { code: e.code, exitCode: e.exitCode } : {}) },
      };
    }
    // a batch's buffer goes back, to be filled with a later batch
    port.postMessage(m.op === 'runs' ? { ...reply, buffer: m.batch.buffer } : reply, m.op === 'runs' ? [m.batch.buffer] : []);
    if (m.op === 'close') port.close();
  });
});
