import { Worker } from 'node:worker_threads';
import { WORKER_EXEC_ARGV } from './node-sqlite.js';

/** Moves WAL checkpoints of a database file off the thread that writes it. */
export interface Checkpointer {
  /**
   * Counts bytes just committed; asks for a checkpoint once enough have accumulated since the last request. Returns
   * true when the writer should checkpoint on its own thread now: `backlogPages` worth of bytes were committed
   * without an answer of the worker being seen (a caller that appends in a loop without ever yielding to the event
   * loop never reads the worker's answers, so no further checkpoint would be asked for).
   */
  committed(bytes: number): boolean;
  /** Stops the worker (the connection's own close checkpoints what is left). */
  close(): Promise<void>;
}

/** Options of the checkpoint worker. */
export interface CheckpointerOptions {
  /** The database file (in WAL mode). */
  path: string;
  /** `synchronous` of the writer, so a checkpoint syncs the WAL and the file exactly as the writer's would. */
  synchronous: 'NORMAL' | 'FULL';
  /** Committed bytes between two checkpoint requests (SQLite's own default is 1000 pages ≈ 4 MB). */
  thresholdBytes: number;
  /** WAL frames past which the writer should checkpoint inline again (see `onBacklog`). */
  backlogPages: number;
  /**
   * Called with `true` when a checkpoint found the WAL longer than `backlogPages`, with `false` once one found it
   * short again. A checkpoint beside a writer that never pauses copies only what was committed when it began, so
   * the WAL may never be wholly copied and never restart: the writer's own checkpoints (SQLite's default, run
   * while it holds the write lock) are the backstop that bounds it.
   */
  onBacklog(inline: boolean): void;
  /** Called once if the worker fails; the caller then checkpoints on its own thread again. */
  onFailure(error: Error): void;
}

/** SQLite's default page size: what a WAL frame holds. */
const PAGE_BYTES = 4096;
/** First and longest pause before a short checkpoint is tried again. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

// Only built-in modules: an eval'd worker needs no file beside the bundle (and the sources' tests need no build).
// PASSIVE never waits for the writer or the readers; what it could not copy is copied by the next one.
const WORKER_SOURCE = `
const { DatabaseSync } = require('node:sqlite');
const { parentPort, workerData } = require('node:worker_threads');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout=5000; PRAGMA synchronous=' + workerData.synchronous);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const row = checkpoint.get();
    parentPort.postMessage({ done: true, log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
});
`;

/**
 * A worker thread with its own connection that runs the WAL checkpoints of a file whose writer turned
 * `wal_autocheckpoint` off. A checkpoint copies the WAL into the file and syncs both: on the writer's thread it
 * stalls the commit that crosses the threshold (one in ≈ 4 MB), here it runs beside the next appends. Durability is
 * the same: a commit is durable in the WAL either way. Requests are coalesced: one checkpoint at a time, the next
 * one asked only when the threshold is crossed again. A checkpoint left short (a reader — an index worker — still
 * used the newest frames) is tried again after a pause, backing off from 100 ms to 5 s, so the file catches up after
 * the last append too, not only at the next commit or at close.
 */
export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: WORKER_EXEC_ARGV,
    workerData: { path: options.path, synchronous: options.synchronous },
  });
  worker.unref();
  let pending = 0;
  // Bytes committed since the worker's last answer was read.
  let unanswered = 0;
  const unansweredLimit = options.backlogPages * PAGE_BYTES;
  let running = false;
  let failed = false;
  let closing = false;
  let inline = false;
  let retry: NodeJS.Timeout | undefined;
  let retryDelay = RETRY_MIN_MS;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fail = (error: Error): void => {
    if (failed || closing) return;
    failed = true;
    options.onFailure(error);
  };
  const request = (): void => {
    if (retry) clearTimeout(retry);
    retry = undefined;
    pending = 0;
    running = true;
    worker.postMessage('checkpoint');
  };
  worker.on('message', (message: { done?: true; log?: number; checkpointed?: number; error?: string }) => {
    running = false;
    unanswered = 0;
    if (message.error !== undefined) return fail(new Error(`checkpoint: ${message.error}`));
    const behind = (message.log ?? 0) > options.backlogPages;
    if (behind !== inline && !closing) {
      inline = behind;
      options.onBacklog(behind);
    }
    if (pending >= options.thresholdBytes) {
      request();
    } else if ((message.checkpointed ?? 0) < (message.log ?? 0) && !closing) {
      retry = setTimeout(() => {
        retry = undefined;
        if (!running && !closing && !failed) request();
      }, retryDelay);
      retry.unref();
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    } else {
      retryDelay = RETRY_MIN_MS;
    }
  });
  worker.on('error', fail);
  worker.once('exit', () => fail(new Error('the checkpoint worker exited')));
  return {
    committed(bytes) {
      if (failed || closing) return false;
      pending += bytes;
      unanswered += bytes;
      if (!running && pending >= options.thresholdBytes) request();
      if (unanswered < unansweredLimit) return false;
      unanswered = 0;
      return true;
    },
    async close() {
      if (retry) clearTimeout(retry);
      if (!closing) {
        closing = true;
        // Referenced while it finishes a checkpoint and closes its connection, before the writer closes its own.
        worker.ref();
        worker.postMessage('close');
      }
      await exited;
    },
  };
}
