import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { createIndexer, type IndexPart } from './sqlite-indexer.js';
import { builtExecArgv, workerFile } from './sqlite-worker-file.js';

/** What the index worker is started with. */
export interface IndexWorkerData {
  /** The part this worker indexes, into the database file `indexPath`. */
  part: IndexPart;
  indexPath: string;
  eventsPath: string;
  batchSize: number;
  /** Niceness the worker thread adds to its own at start (Linux). */
  nice: number;
}

/** A message to the index worker: the highest committed `seq`, and/or index up to it then stop. */
export interface ToIndexWorker {
  committed?: number;
  close?: boolean;
}

/** A message from the index worker: its new high-water mark, or why a batch failed and how many times in a row. */
export interface FromIndexWorker {
  indexed?: number;
  error?: string;
  attempts?: number;
}

/**
 * Failed attempts in a row after which the waiters are told (`whenIndexed` rejects): a batch that failed fewer times
 * is being retried (a lock held past the busy timeout on a loaded machine) and the waiters wait for it.
 */
export const INDEX_GIVE_UP_ATTEMPTS = 4;

/** Runs the indexer and tells who waits when an event becomes searchable. */
export interface IndexDriver {
  /** The highest `seq` indexed. */
  readonly indexed: number;
  /** Why the last batch failed, while the indexer retries it (cleared once it indexes again). */
  readonly error: string | undefined;
  /** Tells the indexer that events up to `seq` are committed. */
  notify(seq: number): void;
  /** Resolves once every event up to `seq` is indexed (rejects if the indexer failed meanwhile). */
  whenIndexed(seq: number): Promise<void>;
  /** Indexes everything up to `seq`, then stops the indexer. */
  close(seq: number): Promise<void>;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

function createWaiters(initial: number) {
  let indexed = initial;
  const waiters: Waiter[] = [];
  return {
    get indexed() {
      return indexed;
    },
    advance(seq: number): void {
      indexed = Math.max(indexed, seq);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const waiter = waiters[i];
        if (waiter && waiter.seq <= indexed) {
          waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    },
    fail(error: Error): void {
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    },
    wait(seq: number): Promise<void> {
      if (seq <= indexed) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ seq, resolve, reject }));
    },
    get pending(): number {
      return waiters.length;
    },
    release(): void {
      for (const waiter of waiters.splice(0)) waiter.resolve();
    },
  };
}

/** The indexer of `part` on the caller's thread and connection (an in-memory database, which no other connection can open). */
export function createInlineIndexDriver(db: DatabaseSync, batchSize: number, part: IndexPart): IndexDriver {
  const indexer = createIndexer(db, batchSize, part);
  const waiters = createWaiters(indexer.indexed);
  let target = 0;
  let timer: NodeJS.Immediate | undefined;
  let closed = false;
  let failure: string | undefined;
  const step = (): void => {
    timer = undefined;
    if (closed) return;
    try {
      if (indexer.indexed < target) indexer.step();
      failure = undefined;
    } catch (error) {
      failure = (error as Error).message;
      waiters.fail(error as Error);
      return;
    }
    waiters.advance(indexer.indexed);
    if (indexer.indexed < target) timer = setImmediate(step);
  };
  return {
    get indexed() {
      return waiters.indexed;
    },
    get error() {
      return failure;
    },
    notify(seq) {
      target = Math.max(target, seq);
      if (!timer && !closed) timer = setImmediate(step);
    },
    whenIndexed: (seq) => waiters.wait(seq),
    async close(seq) {
      if (timer) clearImmediate(timer);
      while (indexer.indexed < seq && indexer.step() > 0);
      closed = true;
      waiters.release();
    },
  };
}

/**
 * The indexer in a worker thread with its own connection, writing the index database. The worker keeps the
 * process alive only while it has work (events committed but not yet indexed).
 */
export function startIndexWorker(data: IndexWorkerData, indexed: number): IndexDriver {
  const worker = new Worker(workerFile('sqlite-index-worker'), {
    name: `shoplog-index-${data.part}`,
    workerData: data,
    execArgv: builtExecArgv(),
  });
  const waiters = createWaiters(indexed);
  let target = 0;
  // The last failure while the worker retries it; `given up` once it failed INDEX_GIVE_UP_ATTEMPTS times in a row.
  let failure: Error | undefined;
  let givenUp = false;
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const idle = (): void => {
    if (waiters.indexed >= target && !closing) worker.unref();
  };
  worker.unref();
  worker.on('message', (message: FromIndexWorker) => {
    if (message.error !== undefined) {
      failure = new Error(`indexer: ${message.error}`);
      givenUp = (message.attempts ?? INDEX_GIVE_UP_ATTEMPTS) >= INDEX_GIVE_UP_ATTEMPTS;
      if (givenUp) waiters.fail(failure);
    }
    if (message.indexed !== undefined) {
      // Indexing again: the failure is over, and later waits are not refused because of it.
      failure = undefined;
      givenUp = false;
      waiters.advance(message.indexed);
    }
    idle();
  });
  worker.on('error', (error) => {
    // The thread itself died: nothing will index any more.
    failure = error;
    givenUp = true;
    waiters.fail(error);
  });
  return {
    get indexed() {
      return waiters.indexed;
    },
    get error() {
      return failure?.message;
    },
    notify(seq) {
      if (seq <= target) return;
      target = seq;
      worker.ref();
      worker.postMessage({ committed: seq } satisfies ToIndexWorker);
    },
    whenIndexed(seq) {
      if (failure && givenUp && waiters.indexed < seq) return Promise.reject(failure);
      return waiters.wait(seq);
    },
    async close(seq) {
      closing = true;
      worker.ref();
      worker.postMessage({ committed: seq, close: true } satisfies ToIndexWorker);
      await exited;
      waiters.release();
    },
  };
}

/** One driver over several indexers: an event is indexed once every one of them has indexed it. */
export function combineIndexDrivers(drivers: readonly IndexDriver[]): IndexDriver {
  return {
    get indexed() {
      return Math.min(...drivers.map((driver) => driver.indexed));
    },
    get error() {
      return drivers.map((driver) => driver.error).find((error) => error !== undefined);
    },
    notify(seq) {
      for (const driver of drivers) driver.notify(seq);
    },
    async whenIndexed(seq) {
      await Promise.all(drivers.map((driver) => driver.whenIndexed(seq)));
    },
    async close(seq) {
      await Promise.all(drivers.map((driver) => driver.close(seq)));
    },
  };
}
