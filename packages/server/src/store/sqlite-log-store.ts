import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SQLInputValue } from 'node:sqlite';
import { parseOptions, type ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { AppendResult, EventListener, LogStore } from '../ports.js';
import { BLOCK_EVENTS, bodiesSchema } from './sqlite-bodies.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { eventIdKey, eventsSchema, migrateEventRows } from './sqlite-event-ids.js';
import { DERIVED_TABLES } from './sqlite-facts.js';
import {
  combineIndexDrivers,
  createInlineIndexDriver,
  startIndexWorker,
  type IndexDriver,
} from './sqlite-index-driver.js';
import { inTransaction, prepareIndexDatabase, readIndexMark, type IndexPart } from './sqlite-indexer.js';
import { createSqliteQueries } from './sqlite-queries.js';
import { DatabaseSync } from './node-sqlite.js';
import { createInlineMaintenance, startMaintenanceWorker, type Maintenance } from './sqlite-maintenance.js';
import { startReadPool, type ReadPool } from './sqlite-read-pool.js';

const SqliteLogStoreOptionsSchema = z.strictObject({
  path: z.string().min(1),
  indexPath: z.string().min(1).optional(),
  synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  indexBatchSize: z.int().min(1).max(100_000).default(20_000),
  indexNice: z.int().min(0).max(19).default(10),
  readers: z.int().min(0).max(64).default(2),
});

/** Options of the embedded log store. */
export interface SqliteLogStoreOptions {
  /** Database file of the events (created with its folder), or `:memory:`. */
  path: string;
  /**
   * Database file of the derived index (facts rows, search text), rebuilt from the events when missing. The timeline
   * (text by time, rollups, sketches) has a file of its own beside it (`events.index.db` → `events.timeline.db`),
   * rebuilt the same way.
   * @default `path` with `.db` replaced by `.index.db`
   */
  indexPath?: string;
  /**
   * SQLite `synchronous` in WAL mode. `NORMAL`: a kill -9 of the process loses nothing committed, a power loss may
   * lose the last transactions. `FULL`: fsync at every commit, survives power loss, slower. @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Most events indexed per indexer transaction (of each part). The indexer takes what is committed, so a
   * trickle is indexed at once; under a burst, bigger batches spread each batch's rollup and sketch writes and
   * FTS5 flush over more events. @default 20000
   */
  indexBatchSize?: number;
  /**
   * Niceness the two index worker threads add to their own (Linux; elsewhere ignored): under load the cores go to
   * acks, queries and the machine's other processes first, and the index catches up in what is left. With 0 (the
   * server's priority) the two workers and the request thread share the cores evenly, and a burst is acknowledged
   * at ≈ 0.7× the rate (bench/reports/server.md, session 5: 100 000 events on 2 cores, acks 47–55k/s and searchable
   * ≈ 1 s after the last ack at 0; 63–79k/s and 1.7–1.9 s at 10). @default 10
   */
  indexNice?: number;
  /**
   * Worker threads that answer the queries, each with its own read-only connection: a query never holds the caller's
   * thread (the one that serves requests), and `readers` queries run at once. 0 answers them on the caller's thread,
   * as an in-memory store (which no other connection can open) always does. @default 2
   */
  readers?: number;
}

/** Rows per multi-row INSERT: one statement call per 64 events instead of one per event (the remainder goes one by one). */
const CHUNK = 64;
/** SQLite's default checkpoint threshold (1000 pages of 4 KiB), kept when the checkpoint worker fails. */
const CHECKPOINT_PAGES = 1000;
/** Committed document bytes between two checkpoints of the worker: about SQLite's own threshold. */
const CHECKPOINT_BYTES = CHECKPOINT_PAGES * 4096;
/** WAL pages (≈ 64 MB) past which the writer checkpoints inline again until the WAL restarts. */
const WAL_BACKLOG_PAGES = 16 * CHECKPOINT_PAGES;
/** How often the store looks for indexed bodies to pack into compressed blocks (sqlite-bodies.ts). */
const COMPACT_INTERVAL_MS = 1_000;
/** How long an append waits for the events file's write lock (held by another process) before it fails. */
const APPEND_LOCK_WAIT_MS = 5_000;

/** Whether a node:sqlite error is SQLITE_BUSY (or one of its extended codes): another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

const openDatabase = (path: string, synchronous: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  // The busy timeout first: reading the file's header and switching to WAL wait for a lock held by another
  // connection (another process reading the folder, a checkpoint) instead of failing at once.
  db.exec('PRAGMA busy_timeout=5000');
  // A new file frees the pages of deleted events back to the file system in steps (see sqlite-maintenance.ts); an
  // existing file keeps its mode (no-op) and reuses its free pages (`shoplog vacuum` converts it).
  db.exec('PRAGMA auto_vacuum=INCREMENTAL');
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${synchronous};`);
  db.exec('PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
  return db;
};

/** The index file beside an events file: `events.db` → `events.index.db`. */
const indexPathOf = (path: string): string =>
  path.endsWith('.db') ? `${path.slice(0, -3)}.index.db` : `${path}.index`;

/** The timeline file beside an index file: `events.index.db` → `events.timeline.db`, `idx.db` → `idx.timeline.db`. */
const timelinePathOf = (indexPath: string): string =>
  indexPath.endsWith('.index.db')
    ? `${indexPath.slice(0, -9)}.timeline.db`
    : indexPath.endsWith('.db')
      ? `${indexPath.slice(0, -3)}.timeline.db`
      : `${indexPath}.timeline`;

/**
 * The embedded log store on `node:sqlite`. An append commits the raw events (each `event.id` once in `event_ids`,
 * `ON CONFLICT DO NOTHING` → created or duplicate, see sqlite-event-ids.ts) in one transaction of the events file, on the only connection that
 * writes it. Queries run on the read workers (`readers`), each with its own read-only connection: the caller's thread
 * (the server's request thread) runs no query, and never sleeps waiting for a lock (a locked events file is tried
 * again from a timer), so a long query or a held lock delays no other request. Two indexers, each in a worker thread
 * with its own connection, follow the events by `seq` and write the derived data into their own file with their
 * high-water mark in the same transactions: the facts rows and the search text (`events.index.db`), and the text by
 * time with the hourly rollups and latency sketches (`events.timeline.db`). Their write locks never block an append,
 * after a burst they catch up on two cores, and a restart (or a lost index file) resumes or rebuilds each from the
 * events. `refresh()` waits for both. An in-memory store indexes and answers queries on the caller's thread.
 */
export function createSqliteLogStore(options: SqliteLogStoreOptions): LogStore {
  const opts = parseOptions('createSqliteLogStore', SqliteLogStoreOptionsSchema, options);
  const inMemory = opts.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  const db = openDatabase(opts.path, opts.synchronous);
  // A file of the layout before (the id in each row and in an index) is moved to this one first (resumably).
  if (!inMemory) migrateEventRows(db);
  db.exec(eventsSchema() + bodiesSchema());

  let drivers: IndexDriver[];
  let checkpointer: Checkpointer | undefined;
  let pool: ReadPool | undefined;
  let maintenance: Maintenance;
  const parts: readonly IndexPart[] = ['facts', 'timeline'];
  if (inMemory) {
    for (const part of parts) prepareIndexDatabase(db, part);
    drivers = parts.map((part) => createInlineIndexDriver(db, opts.indexBatchSize, part));
    maintenance = createInlineMaintenance(db);
  } else {
    // A database from before the split kept the derived tables in the events file: drop them (the index rebuilds).
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'facts'").get() !== undefined) {
      for (const table of DERIVED_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
    const indexPath = opts.indexPath ?? indexPathOf(opts.path);
    const paths: Record<IndexPart, string> = { facts: indexPath, timeline: timelinePathOf(indexPath) };
    // One worker per part, each with its own file: the two parts are indexed on two cores.
    drivers = parts.map((part) => {
      const index = openDatabase(paths[part], 'NORMAL');
      prepareIndexDatabase(index, part);
      const mark = readIndexMark(index, part);
      index.close();
      return startIndexWorker(
        { part, indexPath: paths[part], eventsPath: opts.path, batchSize: opts.indexBatchSize, nice: opts.indexNice },
        mark,
      );
    });
    maintenance = startMaintenanceWorker({
      eventsPath: opts.path,
      indexPath: paths.facts,
      timelinePath: paths.timeline,
      nice: opts.indexNice,
    });
    if (opts.readers > 0) {
      pool = startReadPool(
        { eventsPath: opts.path, indexPath: paths.facts, timelinePath: paths.timeline },
        opts.readers,
      );
    } else {
      db.prepare('ATTACH DATABASE ? AS idx').run(paths.facts);
      db.prepare('ATTACH DATABASE ? AS timeline').run(paths.timeline);
    }
    // Checkpoints (copy the WAL into the file, sync both) run on a worker beside the appends, not inside the commit
    // that crosses SQLite's threshold. If that worker fails, this connection checkpoints on its own again.
    db.exec('PRAGMA wal_autocheckpoint=0');
    checkpointer = startCheckpointer({
      path: opts.path,
      synchronous: opts.synchronous,
      thresholdBytes: CHECKPOINT_BYTES,
      backlogPages: WAL_BACKLOG_PAGES,
      onBacklog: (inline) => {
        if (!closed) db.exec(`PRAGMA wal_autocheckpoint=${inline ? CHECKPOINT_PAGES : 0}`);
      },
      onFailure: () => {
        if (!closed) db.exec(`PRAGMA wal_autocheckpoint=${CHECKPOINT_PAGES}`);
      },
    });
    // This thread serves the requests: it never sleeps in SQLite's busy handler. While another process holds the
    // events file's write lock, an append is tried again from a timer (`appendBatch`).
    db.exec('PRAGMA busy_timeout=0');
  }

  const driver = combineIndexDrivers(drivers);
  // Ids first: a conflict is a duplicate (an id stored before, or earlier in the same statement); a body row follows
  // for each id stored.
  const insertId = db.prepare('INSERT INTO event_ids (id, seq) VALUES (?, ?) ON CONFLICT(id) DO NOTHING');
  const insertIds = db.prepare(
    `INSERT INTO event_ids (id, seq) VALUES ${'(?, ?), '.repeat(CHUNK - 1)}(?, ?) ON CONFLICT(id) DO NOTHING`,
  );
  const deleteId = db.prepare('DELETE FROM event_ids WHERE id = ? AND seq = ?');
  const insertRow = db.prepare('INSERT INTO events (seq, doc) VALUES (?, ?)');
  const insertRows = db.prepare(`INSERT INTO events (seq, doc) VALUES ${'(?, ?), '.repeat(CHUNK - 1)}(?, ?)`);
  const args: SQLInputValue[] = new Array<SQLInputValue>(CHUNK * 2);
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');
  const checkpointInline = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  let committed = Number((maxSeq.get() as { seq: number }).seq);
  driver.notify(committed);
  const listeners = new Set<EventListener>();
  let closed = false;

  /**
   * Inserts the events in one transaction. This connection is the only one that adds events to the file (the
   * maintenance connection packs and purges stored ones; a purged newest event keeps its row as a tombstone), so
   * the new events get the seqs after `committed`, in input order.
   */
  const insertAll = (events: readonly ShoplogEvent[], texts: readonly (string | undefined)[] | undefined) => {
    const results: AppendResult[] = new Array<AppendResult>(events.length);
    let bytes = 0;
    let last = committed;
    const docOf = (i: number): string => {
      const doc = texts?.[i] ?? JSON.stringify(events[i]);
      bytes += doc.length;
      return doc;
    };
    const insertOne = (i: number): AppendResult => {
      if (insertId.run(eventIdKey((events[i] as ShoplogEvent).event.id), last + 1).changes === 0) return 'duplicate';
      insertRow.run(++last, docOf(i));
      return 'created';
    };
    inTransaction(db, () => {
      const full = events.length - (events.length % CHUNK);
      for (let start = 0; start < full; start += CHUNK) {
        for (let j = 0; j < CHUNK; j++) {
          args[2 * j] = eventIdKey((events[start + j] as ShoplogEvent).event.id);
          args[2 * j + 1] = last + 1 + j;
        }
        const stored = Number(insertIds.run(...args).changes);
        if (stored === CHUNK) {
          for (let j = 0; j < CHUNK; j++) {
            args[2 * j] = last + 1 + j;
            args[2 * j + 1] = docOf(start + j);
          }
          insertRows.run(...args);
          results.fill('created', start, start + CHUNK);
          last += CHUNK;
          continue;
        }
        // Some were duplicates: the chunk is stored again one event at a time, so the new events get the seqs in a
        // row as the single-row path gives them (a retried batch leaves no gaps).
        // (Each pair this statement stored is taken back; a duplicate's pair names another seq or none.)
        if (stored > 0) for (let j = 0; j < CHUNK; j++) deleteId.run(args[2 * j] as string | Uint8Array, last + 1 + j);
        for (let j = 0; j < CHUNK; j++) results[start + j] = insertOne(start + j);
      }
      for (let i = full; i < events.length; i++) results[i] = insertOne(i);
    });
    return { results, last, bytes };
  };

  const reads = pool?.reads ?? createSqliteQueries(db);

  // Bodies are packed once both indexers are past them: one job at a time on the maintenance connection; a data
  // folder of plain rows (an older layout) is packed by the first jobs after the start, resumed after a restart.
  let compacting = false;
  let compactedTo = -BLOCK_EVENTS;
  let compactFailure: string | undefined;
  const compactTimer = setInterval(() => {
    const indexed = Math.min(...drivers.map((d) => d.indexed));
    if (compacting || closed || indexed - compactedTo < BLOCK_EVENTS) return;
    compacting = true;
    maintenance
      .compact()
      .then(
        () => {
          compactedTo = indexed;
          compactFailure = undefined;
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          // Reported once per cause; the bodies stay plain (readable) and the next tick tries again.
          if (!closed && message !== compactFailure)
            process.emitWarning(`shoplog: packing stored events failed: ${message}`);
          compactFailure = message;
        },
      )
      .finally(() => (compacting = false));
  }, COMPACT_INTERVAL_MS);
  compactTimer.unref();

  return {
    ...reads,
    async appendBatch(events, texts) {
      if (closed) throw new Error('the log store is closed');
      let outcome: ReturnType<typeof insertAll> | undefined;
      const deadline = Date.now() + APPEND_LOCK_WAIT_MS;
      for (let pause = 1; !outcome; pause = Math.min(2 * pause, 100)) {
        try {
          outcome = insertAll(events, texts);
        } catch (error) {
          if (!isBusy(error) || Date.now() + pause > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, pause));
          if (closed) throw new Error('the log store is closed', { cause: error });
        }
      }
      const { results, last, bytes } = outcome;
      committed = Math.max(committed, last);
      // The worker's answers went unseen for a long while (a caller appending without yielding): checkpoint here.
      if (checkpointer?.committed(bytes)) checkpointInline.get();
      driver.notify(committed);
      if (listeners.size > 0) {
        for (let i = 0; i < events.length; i++) {
          if (results[i] === 'created') for (const listener of listeners) listener(events[i] as ShoplogEvent);
        }
      }
      return results;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh() {
      return driver.whenIndexed(committed);
    },
    whenSearchable() {
      return driver.whenIndexed(committed);
    },
    async expire(cutoffs) {
      if (closed) throw new Error('the log store is closed');
      return maintenance.expire(cutoffs);
    },
    async erase(subject) {
      if (closed) throw new Error('the log store is closed');
      // Everything acknowledged so far is indexed first: the purge only deletes indexed events.
      await driver.whenIndexed(committed);
      return maintenance.erase(subject);
    },
    indexStatus() {
      return {
        committed,
        parts: parts.map((name, i) => {
          const error = drivers[i]?.error;
          return {
            name,
            indexed: Math.min(committed, drivers[i]?.indexed ?? 0),
            ...(error === undefined ? {} : { error }),
          };
        }),
      };
    },
    status() {
      if (closed) return { status: 'down', error: 'the log store is closed' };
      return pool?.status() ?? { status: 'ok' };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(compactTimer);
      // The read pool first, at once: queries queued when close() is called fail, whatever maintenance still finishes.
      const pooled = pool?.close();
      await maintenance.close();
      await pooled;
      // Index what is left so a restart does not have to (it would, safely, if we were killed instead).
      await driver.close(committed);
      await checkpointer?.close();
      listeners.clear();
      db.close();
    },
  };
}
