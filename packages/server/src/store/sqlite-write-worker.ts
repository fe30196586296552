// The write worker thread: the only connection that writes the events file, appending one batch per message. Built as
// its own file (dist/sqlite-write-worker.js) and started by `startWriteWorker`.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { createEventWriter, type FromWriteWorker, type ToWriteWorker, type WriteWorkerData } from './sqlite-event-writer.js';

const data = workerData as WriteWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-write-worker runs in a worker thread');

// A lock held by another process (an import writing the same file) is waited for here, on this thread; checkpoints
// run on the checkpoint worker (autocheckpoint off) unless the store turns them back on (`autocheckpoint`).
const db = new DatabaseSync(data.path);
db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${data.synchronous}; PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint=0;`);
db.exec('PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
const writer = createEventWriter(db);

port.on('message', (message: ToWriteWorker) => {
  if ('close' in message) {
    db.close();
    port.close();
  } else if ('autocheckpoint' in message) {
    db.exec(`PRAGMA wal_autocheckpoint=${Math.max(0, Math.floor(message.autocheckpoint))}`);
  } else {
    try {
      const outcome = writer.append(message.rows);
      port.postMessage({ id: message.id, outcome } satisfies FromWriteWorker);
    } catch (error) {
      port.postMessage({ id: message.id, error: error instanceof Error ? error : new Error(String(error)) } satisfies FromWriteWorker);
    }
  }
});
