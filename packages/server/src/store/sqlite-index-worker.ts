// The index worker thread: its own connection, the index database as main and the events file ATTACHed read-only
// in practice (it never writes there). Built as its own file (dist/sqlite-index-worker.js) and started by
// `startIndexWorker`.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { createIndexer } from './sqlite-indexer.js';
import type { IndexWorkerData, ToIndexWorker } from './sqlite-index-driver.js';
import { niceThisThread } from './sqlite-worker-file.js';

const data = workerData as IndexWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-index-worker runs in a worker thread');

niceThisThread(data.nice);

const db = new DatabaseSync(data.indexPath);
db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
db.prepare('ATTACH DATABASE ? AS events_db').run(data.eventsPath);
const indexer = createIndexer(db, data.batchSize, data.part);

let target = 0;
let closing = false;
let scheduled = false;

const run = (): void => {
  scheduled = false;
  try {
    // One batch per turn, so a close or a new target arriving meanwhile is seen between batches.
    if (indexer.indexed < target && indexer.step() > 0) {
      port.postMessage({ indexed: indexer.indexed });
      schedule();
      return;
    }
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
  if (closing) {
    db.close();
    port.close();
  }
};
const schedule = (): void => {
  if (!scheduled) {
    scheduled = true;
    setImmediate(run);
  }
};

port.on('message', (message: ToIndexWorker) => {
  if (message.committed !== undefined) target = Math.max(target, message.committed);
  if (message.close) closing = true;
  schedule();
});
port.postMessage({ indexed: indexer.indexed });
