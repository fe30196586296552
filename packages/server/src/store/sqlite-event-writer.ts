import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../ports.js';
import { inTransaction } from './sqlite-indexer.js';
import { builtExecArgv, workerFile } from './sqlite-worker-file.js';

/** Events to append, index by index: `event.id`, `@timestamp` in epoch ms, and the stored document. */
export interface EventRows {
  ids: string[];
  ts: number[];
  docs: string[];
}

/** The outcome of an append: per row 1 (created) or 0 (a duplicate `event.id`), the highest `seq`, bytes stored. */
export interface AppendOutcome {
  created: Uint8Array;
  last: number;
  bytes: number;
}

/** Rows per multi-row INSERT: one statement call per 64 events instead of one per event (the remainder goes one by one). */
const CHUNK = 64;

/**
 * The writer of the `events` table on one connection, the only one that writes it: each append is one transaction
 * (primary key `seq`, unique `event.id`, `ON CONFLICT DO NOTHING` → created or duplicate).
 */
export function createEventWriter(db: DatabaseSync): { append(rows: EventRows): AppendOutcome } {
  const insertEvent = db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING');
  const insertChunk = db.prepare(`INSERT INTO events (id, ts, doc) VALUES ${'(?, ?, ?), '.repeat(CHUNK - 1)}(?, ?, ?) ON CONFLICT(id) DO NOTHING`);
  const insertedAfter = db.prepare('SELECT id FROM events WHERE seq > ? ORDER BY seq');
  const args: SQLInputValue[] = new Array<SQLInputValue>(CHUNK * 3);
  let committed = Number((db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').get() as { seq: number }).seq);

  return {
    append({ ids, ts, docs }) {
      const created = new Uint8Array(ids.length);
      let bytes = 0;
      // The new rows get increasing `seq` above `last` (this connection is the only writer, inside one transaction).
      let last = committed;
      inTransaction(db, () => {
        const full = ids.length - (ids.length % CHUNK);
        for (let start = 0; start < full; start += CHUNK) {
          for (let j = 0; j < CHUNK; j++) {
            const doc = docs[start + j] as string;
            bytes += doc.length;
            args[3 * j] = ids[start + j] as string;
            args[3 * j + 1] = ts[start + j] as number;
            args[3 * j + 2] = doc;
          }
          const info = insertChunk.run(...args);
          if (info.changes === CHUNK) created.fill(1, start, start + CHUNK);
          else if (info.changes > 0) matchInserted(ids, start, insertedAfter.all(last) as { id: string }[], created);
          if (info.changes > 0) last = Number(info.lastInsertRowid);
        }
        for (let i = full; i < ids.length; i++) {
          const doc = docs[i] as string;
          bytes += doc.length;
          const info = insertEvent.run(ids[i] as string, ts[i] as number, doc);
          if (info.changes > 0) {
            created[i] = 1;
            last = Number(info.lastInsertRowid);
          }
        }
      });
      committed = last;
      return { created, last, bytes };
    },
  };
}

/**
 * The outcome of one multi-row insert that stored some of its rows: `inserted` are the ids the statement stored, in
 * input order. Walking the inputs in order, an input is created when it is the next inserted id: the first occurrence
 * of an id new to the table is the one stored, a later occurrence (or an id already stored) is a duplicate.
 */
function matchInserted(ids: readonly string[], start: number, inserted: readonly { id: string }[], created: Uint8Array): void {
  let next = 0;
  for (let i = start; i < start + CHUNK; i++) {
    if (ids[i] === inserted[next]?.id) {
      created[i] = 1;
      next++;
    }
  }
}

/** What the write worker is started with. */
export interface WriteWorkerData {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
}

/** A message to the write worker: an append, a `wal_autocheckpoint` setting, or close (after the appends in hand). */
export type ToWriteWorker = { id: number; rows: EventRows } | { autocheckpoint: number } | { close: true };

/** A message from the write worker: the outcome of append `id`, or the error it threw. */
export interface FromWriteWorker {
  id: number;
  outcome?: AppendOutcome;
  error?: Error;
}

/** Appends on the write worker: the caller's thread never waits for SQLite's locks or the disk. */
export interface EventAppender {
  /** Appends in one transaction; appends are committed in call order. */
  append(rows: EventRows): Promise<AppendOutcome>;
  /** Sets the writer connection's `wal_autocheckpoint` (the checkpoint worker's backstop). */
  autocheckpoint(pages: number): void;
  /** Commits the appends in hand, then stops the worker. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  resolve(outcome: AppendOutcome): void;
  reject(error: Error): void;
}

/**
 * The writer of the events file in a worker thread with its own connection. A worker that stops fails the appends it
 * had with a `StoreUnavailableError` (HTTP 503: each may be stored or not, and a retry is idempotent on `event.id`);
 * the next append starts a new one.
 */
export function startWriteWorker(data: WriteWorkerData): EventAppender {
  const file = workerFile('sqlite-write-worker');
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let nextId = 0;
  let autocheckpoint: number | undefined;
  let closing: Promise<void> | undefined;

  const start = (): Worker => {
    const started = new Worker(file, { name: 'shoplog-writer', workerData: data, execArgv: builtExecArgv() });
    started.unref();
    let lastError: Error | undefined;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    started.on('message', (message: FromWriteWorker) => {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (pending.size === 0) started.unref();
      if (message.outcome) waiter.resolve(message.outcome);
      else waiter.reject(message.error ?? new Error('the event writer failed'));
    });
    started.on('error', (error) => {
      lastError = error;
    });
    started.once('exit', (code) => {
      if (worker === started) worker = undefined;
      const error = new StoreUnavailableError(`the event writer stopped (${lastError?.message ?? `exit code ${code}`}): the batch may be partly stored, retrying is safe`, {
        cause: lastError,
      });
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    if (autocheckpoint !== undefined) started.postMessage({ autocheckpoint } satisfies ToWriteWorker);
    return started;
  };
  worker = start();

  return {
    append(rows) {
      if (closing) return Promise.reject(new Error('the log store is closed'));
      const target = worker ?? (worker = start());
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.ref();
        target.postMessage({ id, rows } satisfies ToWriteWorker);
      });
    },
    autocheckpoint(pages) {
      autocheckpoint = pages;
      worker?.postMessage({ autocheckpoint: pages } satisfies ToWriteWorker);
    },
    close() {
      closing ??= (async () => {
        if (worker) {
          worker.ref();
          worker.postMessage({ close: true } satisfies ToWriteWorker);
        }
        await exited;
      })();
      return closing;
    },
  };
}
