// The index worker thread: its own connection, the index database as main and the events file ATTACHed read-only
// in practice (it never writes there). Built as its own file (dist/sqlite-index-worker.js) and started by
// `startIndexWorker`.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from './node-sqlite.js';
import { createIndexer } from './sqlite-indexer.js';
import { niceThisThread } from './sqlite-worker-file.js';
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker } from './sqlite-index-driver.js';

const data = workerData as IndexWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-index-worker runs in a worker thread');

niceThisThread(data.nice);

const db = new DatabaseSync(data.indexPath);
// The busy timeout first: switching to WAL (or reading its header) waits for a lock held by another connection
// instead of failing at once.
db.exec(
  'PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;',
);
db.prepare('ATTACH DATABASE ? AS events_db').run(data.eventsPath);
const indexer = createIndexer(db, data.batchSize, data.part);

let target = 0;
let closing = false;
let scheduled = false;
// Consecutive failed batches. A batch that fails (a lock held past the busy timeout on a loaded machine) is tried
// again after a pause, doubling up to RETRY_MAX_MS: the index catches up once the cause goes away.
let failures = 0;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
// On close, a batch that keeps failing is left to the next start (which resumes from the mark).
const CLOSE_ATTEMPTS = 3;

const finish = (): void => {
  db.close();
  port.close();
};

const run = (): void => {
  scheduled = false;
  try {
    // One batch per turn, so a close or a new target arriving meanwhile is seen between batches.
    if (indexer.indexed < target && indexer.step() > 0) {
      failures = 0;
      port.postMessage({ indexed: indexer.indexed });
      schedule();
      return;
    }
  } catch (error) {
    failures++;
    port.postMessage({
      error: error instanceof Error ? error.message : String(error),
      attempts: failures,
    } satisfies FromIndexWorker);
    if (!closing || failures < CLOSE_ATTEMPTS) {
      setTimeout(schedule, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1)));
      return;
    }
  }
  if (closing) finish();
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
