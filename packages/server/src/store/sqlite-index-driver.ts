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

/** A message from the index worker: its new high-water mark, or why a batch failed. */
export interface FromIndexWorker {
  indexed?: number;
  error?: string;
}

/** Runs the indexer and tells who waits when an event becomes searchable. */
export interface IndexDriver {
  /** The highest `seq` indexed. */
  readonly indexed: number;
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
  const step = (): void => {
    timer = undefined;
    if (closed) return;
    try {
      if (indexer.indexed < target) indexer.step();
    } catch (error) {
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
  const worker = new Worker(workerFile('sqlite-index-worker'), { name: `shoplog-index-${data.part}`, workerData: data, execArgv: builtExecArgv() });
  const waiters = createWaiters(indexed);
  let target = 0;
  let failure: Error | undefined;
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const idle = (): void => {
    if (waiters.indexed >= target && !closing) worker.unref();
  };
  worker.unref();
  worker.on('message', (message: FromIndexWorker) => {
    if (message.error !== undefined) {
      failure = new Error(`indexer: ${message.error}`);
      waiters.fail(failure);
    }
    if (message.indexed !== undefined) waiters.advance(message.indexed);
    idle();
  });
  worker.on('error', (error) => {
    failure = error;
    waiters.fail(error);
  });
  return {
    get indexed() {
      return waiters.indexed;
    },
    notify(seq) {
      if (seq <= target) return;
      target = seq;
      worker.ref();
      worker.postMessage({ committed: seq } satisfies ToIndexWorker);
    },
    whenIndexed(seq) {
      if (failure && waiters.indexed < seq) return Promise.reject(failure);
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
