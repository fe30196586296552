import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { AppendResult, EventListener, LogStore } from '../ports.js';
import { parseOptions } from '../options.js';
import { DERIVED_TABLES, EVENTS_SCHEMA } from './sqlite-facts.js';
import { createInlineIndexDriver, startIndexWorker, type IndexDriver } from './sqlite-index-driver.js';
import { prepareIndexDatabase } from './sqlite-indexer.js';
import { createSqliteQueries } from './sqlite-queries.js';

const SqliteLogStoreOptionsSchema = z.strictObject({
  path: z.string().min(1),
  indexPath: z.string().min(1).optional(),
  synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  indexBatchSize: z.int().min(1).max(100_000).default(5000),
});

/** Options of the embedded log store. */
export interface SqliteLogStoreOptions {
  /** Database file of the events (created with its folder), or `:memory:`. */
  path: string;
  /**
   * Database file of the derived index (facts, full text, rollups, sketches), rebuilt from the events when missing.
   * @default `path` with `.db` replaced by `.index.db`
   */
  indexPath?: string;
  /**
   * SQLite `synchronous` in WAL mode. `NORMAL`: a kill -9 of the process loses nothing committed, a power loss may
   * lose the last transactions. `FULL`: fsync at every commit, survives power loss, slower. @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** Events indexed (facts + full text) per indexer transaction. @default 5000 */
  indexBatchSize?: number;
}

const openDatabase = (path: string, synchronous: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${synchronous}; PRAGMA busy_timeout=5000;`);
  db.exec('PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
  return db;
};

/** The index file beside an events file: `events.db` → `events.index.db`. */
const indexPathOf = (path: string): string => (path.endsWith('.db') ? `${path.slice(0, -3)}.index.db` : `${path}.index`);

/**
 * The embedded log store on `node:sqlite`. An append commits the raw events (primary key `event.id`,
 * `ON CONFLICT DO NOTHING` → created or duplicate) in one transaction of the events file. An indexer in a worker
 * thread, with its own connection, follows the events by `seq` and writes the derived data (facts, FTS5, hourly
 * rollups, latency sketches) into a separate index file, ATTACHed here for reads, with its high-water mark in the
 * same transactions: its write lock never blocks an append, and a restart (or a lost index file) resumes or
 * rebuilds from the events. `refresh()` waits for it. An in-memory store indexes on the caller's thread.
 */
export function createSqliteLogStore(options: SqliteLogStoreOptions): LogStore {
  const opts = parseOptions(SqliteLogStoreOptionsSchema, options, 'SqliteLogStoreOptions');
  const inMemory = opts.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  const db = openDatabase(opts.path, opts.synchronous);
  db.exec(EVENTS_SCHEMA);

  let driver: IndexDriver;
  if (inMemory) {
    prepareIndexDatabase(db);
    driver = createInlineIndexDriver(db, opts.indexBatchSize);
  } else {
    // A database from before the split kept the derived tables in the events file: drop them (the index rebuilds).
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'facts'").get() !== undefined) {
      for (const table of DERIVED_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
    const indexPath = opts.indexPath ?? indexPathOf(opts.path);
    const index = openDatabase(indexPath, 'NORMAL');
    prepareIndexDatabase(index);
    const mark = index.prepare("SELECT value FROM state WHERE key = 'indexed'").get() as { value: number } | undefined;
    index.close();
    db.prepare('ATTACH DATABASE ? AS idx').run(indexPath);
    driver = startIndexWorker({ indexPath, eventsPath: opts.path, batchSize: opts.indexBatchSize }, Number(mark?.value ?? 0));
  }

  const insertEvent = db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING');
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');
  let committed = Number((maxSeq.get() as { seq: number }).seq);
  driver.notify(committed);
  const listeners = new Set<EventListener>();
  let closed = false;

  // Deferred: the INSERT locks the events file only (`BEGIN IMMEDIATE` would also lock the attached index file,
  // the indexer's). This connection is the only writer of the events file.
  const transaction = <T>(work: () => T): T => {
    db.exec('BEGIN');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };

  const queries = createSqliteQueries(db);

  return {
    ...queries,
    async appendBatch(events, texts) {
      if (closed) throw new Error('the log store is closed');
      const created: ShoplogEvent[] = [];
      const results: AppendResult[] = new Array<AppendResult>(events.length);
      transaction(() => {
        for (let i = 0; i < events.length; i++) {
          const event = events[i] as ShoplogEvent;
          const info = insertEvent.run(event.event.id, Date.parse(event['@timestamp']), texts?.[i] ?? JSON.stringify(event));
          if (info.changes === 0) {
            results[i] = 'duplicate';
            continue;
          }
          committed = Number(info.lastInsertRowid);
          if (listeners.size > 0) created.push(event);
          results[i] = 'created';
        }
      });
      driver.notify(committed);
      for (const event of created) for (const listener of listeners) listener(event);
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
    async close() {
      if (closed) return;
      closed = true;
      // Index what is left so a restart does not have to (it would, safely, if we were killed instead).
      await driver.close(committed);
      listeners.clear();
      db.close();
    },
  };
}

/** Runs a prepared statement and types its rows. */
export function allRows<T>(statement: StatementSync, params: SQLInputValue[]): T[] {
  return statement.all(...params) as T[];
}
