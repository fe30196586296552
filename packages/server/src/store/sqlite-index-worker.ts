// The index worker thread: its own connection, the index database as main and the events file ATTACHed read-only
// in practice (it never writes there). Built as its own file (dist/sqlite-index-worker.js) and started by
// `startIndexWorker`.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { createIndexer } from './sqlite-indexer.js';
import type { IndexWorkerData, ToIndexWorker } from './sqlite-index-driver.js';

const data = workerData as IndexWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-index-worker runs in a worker thread');

const db = new DatabaseSync(data.indexPath);
db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
db.prepare('ATTACH DATABASE ? AS events_db').run(data.eventsPath);
const indexer = createIndexer(db, data.batchSize);

let target = 0;
let closing = false;
let closed = false;
let scheduled = false;

// Checkpoints of the index file run on a thread of their own, as the events file's do: inside the commit that
// crossed SQLite's threshold they stalled the indexer for the copy and the syncs (≈ 20 % of its wall time in a
// burst of 100 000 events). If that thread fails, this connection checkpoints on its own again.
const CHECKPOINT_PAGES = 1000;
db.exec('PRAGMA wal_autocheckpoint=0');
const checkpointer = startCheckpointer({
  path: data.indexPath,
  synchronous: 'NORMAL',
  // Paced by the stored documents indexed (≈ SQLite's own 1000 pages of 4 KiB of them between two checkpoints).
  thresholdBytes: CHECKPOINT_PAGES * 4096,
  onFailure: () => {
    if (!closed) db.exec(`PRAGMA wal_autocheckpoint=${CHECKPOINT_PAGES}`);
  },
});

const run = (): void => {
  scheduled = false;
  if (closed) return;
  try {
    // One batch per turn, so a close or a new target arriving meanwhile is seen between batches.
    if (indexer.indexed < target && indexer.step() > 0) {
      checkpointer.committed(indexer.lastBytes);
      port.postMessage({ indexed: indexer.indexed });
      schedule();
      return;
    }
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
  if (closing && !closed) {
    closed = true;
    // The checkpoint thread finishes and closes its connection first; closing this one then checkpoints the rest.
    void checkpointer.close().then(() => {
      db.close();
      port.close();
    });
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
