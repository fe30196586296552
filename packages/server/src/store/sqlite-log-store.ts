import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { AppendResult, EventListener, LogStore } from '../ports.js';
import { parseOptions } from '../options.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { createEventWriter, startWriteWorker, type AppendOutcome, type EventAppender, type EventRows } from './sqlite-event-writer.js';
import { DERIVED_TABLES, EVENTS_SCHEMA } from './sqlite-facts.js';
import { combineIndexDrivers, createInlineIndexDriver, startIndexWorker, type IndexDriver } from './sqlite-index-driver.js';
import { prepareIndexDatabase, readIndexMark, type IndexPart } from './sqlite-indexer.js';
import { createSqliteQueries } from './sqlite-queries.js';
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

/** SQLite's default checkpoint threshold (1000 pages of 4 KiB), kept when the checkpoint worker fails. */
const CHECKPOINT_PAGES = 1000;
/** Committed document bytes between two checkpoints of the worker: about SQLite's own threshold. */
const CHECKPOINT_BYTES = CHECKPOINT_PAGES * 4096;
/** WAL pages (≈ 64 MB) past which the writer checkpoints inline again until the WAL restarts. */
const WAL_BACKLOG_PAGES = 16 * CHECKPOINT_PAGES;

const openDatabase = (path: string, synchronous: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${synchronous}; PRAGMA busy_timeout=5000;`);
  db.exec('PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
  return db;
};

/** The index file beside an events file: `events.db` → `events.index.db`. */
const indexPathOf = (path: string): string => (path.endsWith('.db') ? `${path.slice(0, -3)}.index.db` : `${path}.index`);

/** The timeline file beside an index file: `events.index.db` → `events.timeline.db`, `idx.db` → `idx.timeline.db`. */
const timelinePathOf = (indexPath: string): string =>
  indexPath.endsWith('.index.db') ? `${indexPath.slice(0, -9)}.timeline.db` : indexPath.endsWith('.db') ? `${indexPath.slice(0, -3)}.timeline.db` : `${indexPath}.timeline`;

/**
 * The embedded log store on `node:sqlite`. An append commits the raw events (primary key `event.id`,
 * `ON CONFLICT DO NOTHING` → created or duplicate) in one transaction of the events file, on the write worker: the
 * only connection that writes it, in a thread of its own. Queries run on the read workers (`readers`), each with its
 * own read-only connection: the caller's thread (the server's request thread) never runs SQL nor waits for a lock or
 * the disk, so a long query or a commit delays no other request. Two indexers, each in a worker thread with its own
 * connection, follow the events by `seq` and write the derived data into their own file with their high-water mark
 * in the same transactions: the facts rows and the search text (`events.index.db`), and the text by time with the
 * hourly rollups and latency sketches (`events.timeline.db`). Their write locks never block an append, after a burst
 * they catch up on two cores, and a restart (or a lost index file) resumes or rebuilds each from the events.
 * `refresh()` waits for both. An in-memory store does everything on the caller's thread.
 */
export function createSqliteLogStore(options: SqliteLogStoreOptions): LogStore {
  const opts = parseOptions(SqliteLogStoreOptionsSchema, options, 'SqliteLogStoreOptions');
  const inMemory = opts.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  // This connection creates the files; it then answers the queries only when they run on this thread (`readers: 0`,
  // in memory) and appends only in memory.
  const db = openDatabase(opts.path, opts.synchronous);
  db.exec(EVENTS_SCHEMA);

  let drivers: IndexDriver[];
  let checkpointer: Checkpointer | undefined;
  let pool: ReadPool | undefined;
  let appender: EventAppender | undefined;
  const parts: readonly IndexPart[] = ['facts', 'timeline'];
  if (inMemory) {
    for (const part of parts) prepareIndexDatabase(db, part);
    drivers = parts.map((part) => createInlineIndexDriver(db, opts.indexBatchSize, part));
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
      return startIndexWorker({ part, indexPath: paths[part], eventsPath: opts.path, batchSize: opts.indexBatchSize, nice: opts.indexNice }, mark);
    });
    if (opts.readers > 0) {
      pool = startReadPool({ eventsPath: opts.path, indexPath: paths.facts, timelinePath: paths.timeline }, opts.readers);
    } else {
      db.prepare('ATTACH DATABASE ? AS idx').run(paths.facts);
      db.prepare('ATTACH DATABASE ? AS timeline').run(paths.timeline);
    }
    appender = startWriteWorker({ path: opts.path, synchronous: opts.synchronous });
    // Checkpoints (copy the WAL into the file, sync both) run on a worker beside the appends, not inside the commit
    // that crosses SQLite's threshold. If that worker fails, the writer checkpoints on its own again.
    checkpointer = startCheckpointer({
      path: opts.path,
      synchronous: opts.synchronous,
      thresholdBytes: CHECKPOINT_BYTES,
      backlogPages: WAL_BACKLOG_PAGES,
      onBacklog: (inline) => appender?.autocheckpoint(inline ? CHECKPOINT_PAGES : 0),
      onFailure: () => appender?.autocheckpoint(CHECKPOINT_PAGES),
    });
  }

  const driver = combineIndexDrivers(drivers);
  const inline = appender ? undefined : createEventWriter(db);
  const append = (rows: EventRows): Promise<AppendOutcome> => (appender ? appender.append(rows) : Promise.resolve((inline as ReturnType<typeof createEventWriter>).append(rows)));
  let committed = Number((db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').get() as { seq: number }).seq);
  driver.notify(committed);
  const listeners = new Set<EventListener>();
  let closed = false;
  const reads = pool?.reads ?? createSqliteQueries(db);

  return {
    ...reads,
    async appendBatch(events, texts) {
      if (closed) throw new Error('the log store is closed');
      const rows: EventRows = { ids: new Array<string>(events.length), ts: new Array<number>(events.length), docs: new Array<string>(events.length) };
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as ShoplogEvent;
        rows.ids[i] = event.event.id;
        rows.ts[i] = Date.parse(event['@timestamp']);
        rows.docs[i] = texts?.[i] ?? JSON.stringify(event);
      }
      const { created, last, bytes } = await append(rows);
      committed = Math.max(committed, last);
      checkpointer?.committed(bytes);
      driver.notify(committed);
      const results: AppendResult[] = Array.from(created, (flag) => (flag === 1 ? 'created' : 'duplicate'));
      if (listeners.size > 0) {
        for (let i = 0; i < events.length; i++) {
          if (created[i] === 1) for (const listener of listeners) listener(events[i] as ShoplogEvent);
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
    indexStatus() {
      return { committed, parts: parts.map((name, i) => ({ name, indexed: Math.min(committed, drivers[i]?.indexed ?? 0) })) };
    },
    status() {
      if (closed) return { status: 'down', error: 'the log store is closed' };
      return pool?.status() ?? { status: 'ok' };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool?.close();
      // The appends in hand are committed first; then what is left is indexed, so a restart does not have to (it
      // would, safely, if we were killed instead).
      await appender?.close();
      await driver.close(committed);
      await checkpointer?.close();
      listeners.clear();
      db.close();
    },
  };
}
