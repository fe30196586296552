// The maintenance worker thread: compaction of the bodies, retention and erasure of the embedded store on a
// connection of its own, niced like the indexers. Built as its own file (dist/sqlite-maintenance-worker.js) and started by `startMaintenanceWorker`.
import { DatabaseSync } from './node-sqlite.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import {
  ATTACHED_SCHEMAS,
  createMaintenanceJobs,
  MaintenanceStoppedError,
  type MaintenanceWorkerData,
  type ToMaintenanceWorker,
} from './sqlite-maintenance.js';
import { niceThisThread } from './sqlite-worker-file.js';
import { createPurger } from './sqlite-purge.js';
import { createCompactor } from './sqlite-compactor.js';

const data = workerData as MaintenanceWorkerData;
const port = parentPort;
if (!port) throw new Error('sqlite-maintenance-worker runs in a worker thread');

niceThisThread(data.nice);

const db = new DatabaseSync(data.eventsPath);
// A long busy timeout: an indexer's transaction may hold an index file for a while, and this thread can wait.
db.exec('PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;');
db.prepare('ATTACH DATABASE ? AS idx').run(data.indexPath);
db.prepare('ATTACH DATABASE ? AS timeline').run(data.timelinePath);
// Erased or expired rows are overwritten on their pages rather than left readable in the free space.
db.exec('PRAGMA secure_delete=ON');
// Each step is followed by a pause at least as long as it took: at most half of a core, and the appends (which wait
// for the events file's write lock) find it free most of the time.
let closing = false;
const purger = createPurger(db, ATTACHED_SCHEMAS);
const jobs = createMaintenanceJobs(
  purger,
  createCompactor(db),
  (busyMs) => sleep(Math.max(5, busyMs)),
  () => closing,
);

let queue: Promise<unknown> = Promise.resolve();
port.on('message', (message: ToMaintenanceWorker) => {
  // Seen at once, between two steps of the job in progress, which then stops.
  if (message.op === 'close') closing = true;
  const run = async (): Promise<void> => {
    if (message.op === 'close') {
      db.close();
      port.close();
      return;
    }
    try {
      const result =
        message.op === 'expire'
          ? await jobs.expire(message.cutoffs)
          : message.op === 'erase'
            ? await jobs.erase(message.subject)
            : await jobs.compact();
      port.postMessage({ id: message.id, result });
    } catch (error) {
      if (error instanceof MaintenanceStoppedError) port.postMessage({ id: message.id, stopped: true });
      else port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  };
  queue = queue.then(run);
});
