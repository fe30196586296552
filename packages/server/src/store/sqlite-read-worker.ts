// A read worker thread: its own read-only connection to the events file, the two index files ATTACHed, answering the
// store's queries one at a time. Built as its own file (dist/sqlite-read-worker.js) and started by `startReadPool`.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteQueries } from './sqlite-queries.js';
import type { FromReadWorker, ReadWorkerData, ToReadWorker } from './sqlite-read-pool.js';

const data = workerData as ReadWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-read-worker runs in a worker thread');

// Read-only (the attached files too): WAL readers take no lock that a writer or an indexer waits for, and see each
// commit from their next query on. A busy wait here (a rare WAL-index retry) holds this thread, never the server's.
const db = new DatabaseSync(data.eventsPath, { readOnly: true });
db.exec('PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;');
db.prepare('ATTACH DATABASE ? AS idx').run(data.indexPath);
db.prepare('ATTACH DATABASE ? AS timeline').run(data.timelinePath);
const queries = createSqliteQueries(db);

port.on('message', (message: ToReadWorker) => {
  if (message.close) {
    db.close();
    port.close();
    return;
  }
  const { id, method, args } = message;
  // One read transaction per query: its statements (a count, a page, its documents) see one snapshot of the three
  // files, whatever the writer and the indexers commit meanwhile.
  db.exec('BEGIN');
  let answer: Promise<unknown>;
  try {
    answer = (queries[method] as (...params: unknown[]) => Promise<unknown>)(...args);
  } catch (error) {
    answer = Promise.reject(error as Error);
  }
  void answer
    .then(
      (value): FromReadWorker => ({ id, value }),
      (error: unknown): FromReadWorker => ({ id, error: error instanceof Error ? error : new Error(String(error)) }),
    )
    .then((reply) => {
      // Answered even if ending the transaction fails (then this worker stops on the error and is replaced).
      try {
        if (db.isTransaction) db.exec('ROLLBACK');
      } finally {
        port.postMessage(reply);
      }
    });
});
