import { Worker } from 'node:worker_threads';
import { StoreUnavailableError, type LogStoreReads, type StoreStatus } from '../ports.js';
import { builtExecArgv, workerFile } from './sqlite-worker-file.js';

/** What a read worker is started with: the three database files of the store. */
export interface ReadWorkerData {
  eventsPath: string;
  indexPath: string;
  timelinePath: string;
}

/** A query method of the store. */
export type ReadMethod = keyof LogStoreReads;

/** A message to a read worker: one query, or close the connection and stop (after the query in hand). */
export type ToReadWorker = { id: number; method: ReadMethod; args: unknown[]; close?: undefined } | { close: true };

/** A message from a read worker: the answer of query `id`, or the error it threw. */
export interface FromReadWorker {
  id: number;
  value?: unknown;
  error?: Error;
}

/** Read queries answered on worker threads, each with its own connection, off the thread that serves requests. */
export interface ReadPool {
  /** The store's queries; each is answered by the next free worker, in arrival order. */
  readonly reads: LogStoreReads;
  /** From memory: down while the workers fail (until a read succeeds again) or once closed. */
  status(): StoreStatus;
  /** Answers the queries in hand, fails those still queued, and stops the workers. Idempotent. */
  close(): Promise<void>;
}

interface Job {
  method: ReadMethod;
  args: unknown[];
  /** Workers that stopped while they had this query (a read is retried once on a fresh worker). */
  failures: number;
  sentAt: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Reader {
  worker: Worker;
  /** The query in hand and its id. */
  job?: Job | undefined;
  jobId: number;
  exited: Promise<void>;
}

/** Tries of one query: a worker that stops with it in hand gets it retried once, on a new worker. */
const TRIES = 2;

/**
 * `size` read workers over the store's files, started now. A query waits in a queue (in memory: nothing on the caller's
 * thread waits) until a worker is free. A worker that stops (a crash, an out-of-memory) is replaced when work needs it,
 * and the query it had is retried once on the new one; then it fails with a `StoreUnavailableError` (HTTP 503), so no
 * request is left waiting. Idle workers do not keep the process alive.
 */
export function startReadPool(data: ReadWorkerData, size: number): ReadPool {
  const file = workerFile('sqlite-read-worker');
  const slots: (Reader | undefined)[] = new Array<Reader | undefined>(size).fill(undefined);
  const queue: Job[] = [];
  let nextId = 0;
  let closing: Promise<void> | undefined;
  let latencyMs: number | undefined;
  let failure: string | undefined;

  const spawn = (slot: number): Reader => {
    const worker = new Worker(file, { name: `shoplog-reader-${slot}`, workerData: data, execArgv: builtExecArgv() });
    worker.unref();
    let lastError: Error | undefined;
    const reader: Reader = {
      worker,
      jobId: -1,
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    worker.on('message', (message: FromReadWorker) => {
      const job = reader.job;
      if (!job || message.id !== reader.jobId) return;
      reader.job = undefined;
      worker.unref();
      latencyMs = Math.round((performance.now() - job.sentAt) * 100) / 100;
      failure = undefined;
      if (message.error) job.reject(message.error);
      else job.resolve(message.value);
      pump();
    });
    worker.on('error', (error) => {
      lastError = error;
    });
    worker.once('exit', (code) => {
      if (slots[slot] === reader) slots[slot] = undefined;
      const job = reader.job;
      reader.job = undefined;
      if (job) {
        job.failures++;
        if (job.failures < TRIES && !closing) {
          queue.unshift(job);
        } else {
          failure = `a read worker stopped (${lastError?.message ?? `exit code ${code}`})`;
          job.reject(new StoreUnavailableError(closing ? 'the log store is closed' : failure, { cause: lastError }));
        }
      } else if (!closing && lastError) {
        failure = `a read worker stopped (${lastError.message})`;
      }
      pump();
    });
    slots[slot] = reader;
    return reader;
  };

  const pump = (): void => {
    for (let slot = 0; slot < size && queue.length > 0 && !closing; slot++) {
      let reader = slots[slot];
      if (!reader) {
        try {
          reader = spawn(slot);
        } catch (error) {
          // No worker can start (its file is gone): the queries fail now rather than wait.
          failure = `no read worker could start (${(error as Error).message})`;
          for (const job of queue.splice(0)) job.reject(new StoreUnavailableError(failure, { cause: error }));
          return;
        }
      }
      if (reader.job) continue;
      const job = queue.shift() as Job;
      const id = nextId++;
      reader.job = job;
      reader.jobId = id;
      job.sentAt = performance.now();
      reader.worker.ref();
      reader.worker.postMessage({ id, method: job.method, args: job.args } satisfies ToReadWorker);
    }
  };

  const run = (method: ReadMethod, args: unknown[]): Promise<unknown> => {
    if (closing) return Promise.reject(new Error('the log store is closed'));
    return new Promise((resolve, reject) => {
      queue.push({ method, args, failures: 0, sentAt: 0, resolve, reject });
      pump();
    });
  };
  const call = <M extends ReadMethod>(method: M): LogStoreReads[M] =>
    ((...args: unknown[]) => run(method, args)) as unknown as LogStoreReads[M];

  for (let slot = 0; slot < size; slot++) spawn(slot);

  return {
    reads: {
      get: call('get'),
      recent: call('recent'),
      count: call('count'),
      search: call('search'),
      terms: call('terms'),
      cardinality: call('cardinality'),
      histogram: call('histogram'),
      stats: call('stats'),
      latency: call('latency'),
      autocomplete: call('autocomplete'),
      fieldTops: call('fieldTops'),
    },
    status() {
      if (closing) return { status: 'down', error: 'the log store is closed' };
      if (failure) return { status: 'down', error: failure };
      return { status: 'ok', ...(latencyMs === undefined ? {} : { latencyMs }) };
    },
    close() {
      closing ??= (async () => {
        for (const job of queue.splice(0)) job.reject(new Error('the log store is closed'));
        const readers = slots.filter((reader): reader is Reader => reader !== undefined);
        for (const reader of readers) {
          // Kept alive until it has answered the query in hand (messages are handled in order) and closed.
          reader.worker.ref();
          reader.worker.postMessage({ close: true } satisfies ToReadWorker);
        }
        await Promise.all(readers.map((reader) => reader.exited));
      })();
      return closing;
    },
  };
}
