import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { AppendResult, EventListener, LogStore } from '../ports.js';
import { parseOptions } from '../options.js';
import { extractFacts, FACT_COLUMNS, LOG_SCHEMA } from './sqlite-facts.js';
import { createSqliteQueries } from './sqlite-queries.js';
import { backfillRollups, createRollupWriter, ROLLUP_SCHEMA } from './sqlite-rollups.js';
import { createSketchTable } from './sqlite-sketches.js';

const PERF_KIND = FACT_COLUMNS.indexOf('perf_kind');
const RESPONSE_MS = FACT_COLUMNS.indexOf('response_ms');
const ROUTE = FACT_COLUMNS.indexOf('route');
const DB_OPERATION = FACT_COLUMNS.indexOf('db_operation');

const SqliteLogStoreOptionsSchema = z.strictObject({
  path: z.string().min(1),
  synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  indexBatchSize: z.int().min(1).max(100_000).default(5000),
});

/** Options of the embedded log store. */
export interface SqliteLogStoreOptions {
  /** Database file (created with its folder), or `:memory:`. */
  path: string;
  /**
   * SQLite `synchronous` in WAL mode. `NORMAL`: a kill -9 of the process loses nothing committed, a power loss may
   * lose the last transactions. `FULL`: fsync at every commit, survives power loss, slower. @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** Events indexed (facts + full text) per background transaction. @default 5000 */
  indexBatchSize?: number;
}

/**
 * The embedded log store on `node:sqlite`. An append commits the raw events (primary key `event.id`,
 * `ON CONFLICT DO NOTHING` → created or duplicate) in one transaction; a background indexer then fills the
 * secondary columns and the FTS5 index in small transactions, keeping a high-water mark in the same transaction,
 * so search catches up within milliseconds and a restart resumes where it stopped. The same transactions keep
 * hourly rollups, from which the overview and analytics aggregations are answered exactly.
 */
export function createSqliteLogStore(options: SqliteLogStoreOptions): LogStore {
  const opts = parseOptions(SqliteLogStoreOptionsSchema, options, 'SqliteLogStoreOptions');
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new DatabaseSync(opts.path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${opts.synchronous}; PRAGMA busy_timeout=5000;`);
  db.exec('PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;');
  const hadSketches = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'latency_sketches'").get() !== undefined;
  const hadRollups = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'rollup_hourly'").get() !== undefined;
  db.exec(LOG_SCHEMA);
  db.exec(ROLLUP_SCHEMA);

  const insertEvent = db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING');
  const selectPending = db.prepare('SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
  const insertFacts = db.prepare(
    `INSERT OR REPLACE INTO facts (seq, ts, ${FACT_COLUMNS.join(', ')}) VALUES (?, ?, ${FACT_COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertReason = db.prepare('INSERT INTO fraud_reasons (seq, code) VALUES (?, ?)');
  const insertText = db.prepare('INSERT INTO fts (rowid, body) VALUES (?, ?)');
  const readMark = db.prepare("SELECT value FROM state WHERE key = 'indexed'");
  const writeMark = db.prepare("INSERT INTO state (key, value) VALUES ('indexed', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');

  const transaction = <T>(work: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };

  const sketches = createSketchTable(db);
  if (!hadSketches) {
    // A database indexed before the sketches existed: build them once from the indexed facts.
    const rows = db.prepare("SELECT perf_kind, route, db_operation, ts, response_ms FROM facts WHERE perf_kind IN ('http', 'db') AND response_ms IS NOT NULL").all() as {
      perf_kind: 'http' | 'db'; route: string | null; db_operation: string | null; ts: number; response_ms: number;
    }[];
    transaction(() => {
      for (const r of rows) sketches.add(r.perf_kind, (r.perf_kind === 'http' ? r.route : r.db_operation) ?? '(none)', r.ts, r.response_ms);
      sketches.flush();
    });
  }
  const rollups = createRollupWriter(db);
  // A database indexed before the rollups existed: build them once from the indexed facts.
  if (!hadRollups) transaction(() => backfillRollups(db));
  let indexed = Number((readMark.get() as { value?: number } | undefined)?.value ?? 0);
  let committed = Number((maxSeq.get() as { seq: number }).seq);
  const listeners = new Set<EventListener>();
  const waiters: { seq: number; resolve: () => void }[] = [];
  let timer: NodeJS.Immediate | undefined;
  let closed = false;

  const indexStep = (): void => {
    timer = undefined;
    if (closed) return;
    const rows = selectPending.all(indexed, opts.indexBatchSize) as { seq: number; doc: string }[];
    if (rows.length > 0) {
      const events: ShoplogEvent[] = [];
      const work = (): void => {
        for (const row of rows) {
          const event = JSON.parse(row.doc) as ShoplogEvent;
          events.push(event);
          const facts = extractFacts(event);
          const ts = Date.parse(event['@timestamp']);
          insertFacts.run(row.seq, ts, ...facts.values);
          rollups.add(ts, facts.values);
          for (const code of facts.reasons) insertReason.run(row.seq, code);
          if (facts.text) insertText.run(row.seq, facts.text);
          const perf = facts.values[PERF_KIND];
          const ms = facts.values[RESPONSE_MS];
          if ((perf === 'http' || perf === 'db') && typeof ms === 'number') {
            const key = facts.values[perf === 'http' ? ROUTE : DB_OPERATION];
            sketches.add(perf, typeof key === 'string' ? key : '(none)', ts, ms);
          }
        }
        sketches.flush();
        rollups.flush();
        writeMark.run(rows[rows.length - 1]?.seq ?? indexed);
      };
      try {
        transaction(work);
      } catch (error) {
        sketches.discard();
        rollups.discard();
        throw error;
      }
      indexed = rows[rows.length - 1]?.seq ?? indexed;
      for (const event of events) for (const listener of listeners) listener(event);
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter && waiter.seq <= indexed) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    if (indexed < committed) schedule();
  };
  const schedule = (): void => {
    if (!timer && !closed) timer = setImmediate(indexStep);
  };
  if (indexed < committed) schedule();

  const queries = createSqliteQueries(db);

  return {
    ...queries,
    async appendBatch(events) {
      if (closed) throw new Error('the log store is closed');
      const results: AppendResult[] = transaction(() =>
        events.map((event) => {
          const info = insertEvent.run(event.event.id, Date.parse(event['@timestamp']), JSON.stringify(event));
          if (info.changes === 0) return 'duplicate';
          committed = Number(info.lastInsertRowid);
          return 'created';
        }),
      );
      schedule();
      return results;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh() {
      const target = committed;
      if (indexed >= target) return Promise.resolve();
      schedule();
      return new Promise<void>((resolve) => waiters.push({ seq: target, resolve }));
    },
    async close() {
      if (closed) return;
      // Index what is left so a restart does not have to (it would, safely, if we were killed instead).
      while (indexed < committed) indexStep();
      closed = true;
      if (timer) clearImmediate(timer);
      for (const waiter of waiters.splice(0)) waiter.resolve();
      listeners.clear();
      db.close();
    },
  };
}

/** Runs a prepared statement and types its rows. */
export function allRows<T>(statement: StatementSync, params: SQLInputValue[]): T[] {
  return statement.all(...params) as T[];
}
