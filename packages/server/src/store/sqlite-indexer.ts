import type { DatabaseSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { DERIVED_TABLES, extractFacts, FACT_COLUMNS, INDEX_SCHEMA, INDEX_VERSION, TIME_KEY_SLOTS, timeKey } from './sqlite-facts.js';
import { backfillRollups, createRollupWriter, ROLLUP_SCHEMA } from './sqlite-rollups.js';
import { createSketchTable } from './sqlite-sketches.js';

const PERF_KIND = FACT_COLUMNS.indexOf('perf_kind');
const RESPONSE_MS = FACT_COLUMNS.indexOf('response_ms');
const ROUTE = FACT_COLUMNS.indexOf('route');
const DB_OPERATION = FACT_COLUMNS.indexOf('db_operation');

/** The indexer of one connection that sees `events` and writes the derived tables. */
export interface Indexer {
  /** The highest `events.seq` indexed (persisted with the derived rows, so a restart resumes there). */
  readonly indexed: number;
  /** Indexes the next batch of events after the high-water mark in one transaction; returns how many it indexed. */
  step(): number;
}

const has = (db: DatabaseSync, name: string): boolean => db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(name) !== undefined;

// A deferred transaction: the first write locks the index database only. `BEGIN IMMEDIATE` would take the write
// lock of every attached database, the events file included, and block appends.
function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN');
  try {
    work();
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Creates the derived tables in the main database of `db` and, for an index that predates the rollups or the
 * latency sketches, builds those once from its `facts`.
 */
export function prepareIndexDatabase(db: DatabaseSync): void {
  const version = has(db, 'state') ? (db.prepare("SELECT value FROM state WHERE key = 'version'").get() as { value: number } | undefined)?.value : undefined;
  if (has(db, 'facts') && version !== INDEX_VERSION) {
    // An index of another layout: start over (the indexer rebuilds it from the events).
    for (const table of DERIVED_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
  const hadFacts = has(db, 'facts');
  const hadSketches = has(db, 'latency_sketches');
  const hadRollups = has(db, 'rollup_hourly');
  db.exec(INDEX_SCHEMA);
  db.exec(ROLLUP_SCHEMA);
  db.prepare("INSERT INTO state (key, value) VALUES ('version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(INDEX_VERSION);
  if (!hadFacts) return;
  if (!hadSketches) {
    const sketches = createSketchTable(db);
    const rows = db.prepare("SELECT perf_kind, route, db_operation, ts, response_ms FROM facts WHERE perf_kind IN ('http', 'db') AND response_ms IS NOT NULL").all() as {
      perf_kind: 'http' | 'db'; route: string | null; db_operation: string | null; ts: number; response_ms: number;
    }[];
    inTransaction(db, () => {
      for (const r of rows) sketches.add(r.perf_kind, (r.perf_kind === 'http' ? r.route : r.db_operation) ?? '(none)', r.ts, r.response_ms);
      sketches.flush();
    });
  }
  if (!hadRollups) inTransaction(db, () => backfillRollups(db));
}

/**
 * The indexer: follows `events` by `seq` and writes, per batch of `batchSize` events and in one transaction, the
 * `facts` row, fraud reasons, FTS5 text, hourly rollups and latency sketches of each, with the high-water mark.
 * `db` must see `events` (main or attached) and hold the derived tables in its main database.
 */
export function createIndexer(db: DatabaseSync, batchSize: number): Indexer {
  const selectPending = db.prepare('SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
  // A plain INSERT: a facts row is written once, in the transaction that moves the mark past it (an INSERT OR REPLACE
  // needs a statement journal, which flushes FTS5: see `write`).
  const insertFacts = db.prepare(
    `INSERT INTO main.facts (seq, ts, ${FACT_COLUMNS.join(', ')}) VALUES (?, ?, ${FACT_COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertReason = db.prepare('INSERT INTO main.fraud_reasons (seq, code) VALUES (?, ?)');
  const insertText = db.prepare('INSERT INTO main.fts (rowid, body) VALUES (?, ?)');
  const insertTimeText = db.prepare('INSERT INTO main.fts_time (rowid, body) VALUES (?, ?)');
  const claimKey = db.prepare('INSERT INTO main.time_keys (key, seq) VALUES (?, ?) ON CONFLICT(key) DO NOTHING');
  const markUntimed = db.prepare("INSERT INTO main.state (key, value) VALUES ('untimed', 1) ON CONFLICT(key) DO NOTHING");
  // The first free slot of the event's millisecond (slot = seq mod 2^20 first, so a collision needs two events of
  // the same millisecond whose seq differ by a multiple of 2^20); none free or no key: counts fall back to facts.
  const claimTimeKey = (seq: number, ts: number): bigint | undefined => {
    const base = timeKey(ts);
    if (base !== undefined) {
      const first = BigInt(seq) % TIME_KEY_SLOTS;
      for (let n = 0n; n < TIME_KEY_SLOTS; n++) {
        const key = base + ((first + n) % TIME_KEY_SLOTS);
        if (claimKey.run(key, seq).changes > 0) return key;
      }
    }
    markUntimed.run();
    return undefined;
  };
  const readMark = db.prepare("SELECT value FROM main.state WHERE key = 'indexed'");
  const writeMark = db.prepare("INSERT INTO main.state (key, value) VALUES ('indexed', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  const sketches = createSketchTable(db);
  const rollups = createRollupWriter(db);
  let indexed = Number((readMark.get() as { value?: number } | undefined)?.value ?? 0);

  // One parsed event of the batch.
  interface Parsed {
    seq: number;
    ts: number;
    values: ReturnType<typeof extractFacts>['values'];
    reasons: string[];
    text: string;
    key?: bigint | undefined;
  }
  const parse = (seq: number, doc: string): Parsed => {
    const event = JSON.parse(doc) as ShoplogEvent;
    const facts = extractFacts(event);
    const ts = Date.parse(event['@timestamp']);
    rollups.add(ts, facts.values);
    const perf = facts.values[PERF_KIND];
    const ms = facts.values[RESPONSE_MS];
    if ((perf === 'http' || perf === 'db') && typeof ms === 'number') {
      const key = facts.values[perf === 'http' ? ROUTE : DB_OPERATION];
      sketches.add(perf, typeof key === 'string' ? key : '(none)', ts, ms);
    }
    return { seq, ts, values: facts.values, reasons: facts.reasons, text: facts.text };
  };
  const byTime = (a: Parsed, b: Parsed): number => a.ts - b.ts || a.seq - b.seq;

  /**
   * Writes a parsed batch. `facts` rows go in append order (a table fills its pages when each row lands at its end;
   * written in time order, its pages were left part-empty, 18 % more of them at 1M events); the time keys are then
   * claimed in time order, so `time_keys` takes its entries left to right. The text goes last, in one sorted pass per
   * FTS5 table: FTS5 flushes its pending terms to a new segment whenever a rowid is lower than the previous one,
   * and whenever a statement opens a statement journal (an upsert, an INSERT OR REPLACE: SQLite then opens a
   * savepoint on every virtual table of the transaction). Interleaved with the other rows, every event became a
   * one-document segment, merged over and over (≈ 40 % of the worker's CPU). The rollups and sketches are
   * accumulated in append order (`parse`), as before, so their sums add up in the same order.
   */
  const write = (batch: Parsed[]): void => {
    for (const row of batch) {
      insertFacts.run(row.seq, row.ts, ...row.values);
      for (const code of row.reasons) insertReason.run(row.seq, code);
    }
    const texts = batch.filter((row) => row.text.length > 0);
    texts.sort(byTime);
    for (const row of texts) row.key = claimTimeKey(row.seq, row.ts);
    sketches.flush();
    rollups.flush();
    for (const row of texts) if (row.key !== undefined) insertTimeText.run(row.key, row.text);
    for (const row of batch) if (row.text) insertText.run(row.seq, row.text);
  };

  return {
    get indexed() {
      return indexed;
    },
    step() {
      // Read outside the write transaction: a WAL snapshot of the events file, no lock on it.
      const rows = selectPending.all(indexed, batchSize) as { seq: number; doc: string }[];
      const last = rows[rows.length - 1]?.seq;
      if (last === undefined) return 0;
      try {
        // Parsed before BEGIN: a sketch missing from the cache is read here, and a read inside the transaction
        // before its first write would make that write fail at once ("database is locked", without the busy
        // timeout) while another connection holds the index file's write lock.
        const batch = rows.map((row) => parse(row.seq, row.doc));
        inTransaction(db, () => {
          write(batch);
          writeMark.run(last);
        });
      } catch (error) {
        sketches.discard();
        rollups.discard();
        throw error;
      }
      indexed = last;
      return rows.length;
    },
  };
}
