import type { DatabaseSync } from 'node:sqlite';
import { createBodyReader, type StoredDoc } from './sqlite-bodies.js';
import {
  CODED_COLUMNS,
  decodeDoc,
  DERIVED_TABLES,
  extractFacts,
  FACT_COLUMNS,
  INDEX_SCHEMA,
  INDEX_VERSION,
  PART_TABLES,
  TIMELINE_SCHEMA,
  TIME_KEY_SLOTS,
  timeKey,
  untimedKey,
} from './sqlite-facts.js';
import { createRollupWriter, ROLLUP_DIMENSIONS, ROLLUP_SCHEMA } from './sqlite-rollups.js';
import { createSketchTable } from './sqlite-sketches.js';

const PERF_KIND = FACT_COLUMNS.indexOf('perf_kind');
const RESPONSE_MS = FACT_COLUMNS.indexOf('response_ms');
const ROUTE = FACT_COLUMNS.indexOf('route');
const DB_OPERATION = FACT_COLUMNS.indexOf('db_operation');

/**
 * What an indexer writes. `facts`: what a page of hits reads — the facts rows (filters, sorts) and fraud reasons.
 * `timeline`: what is searched and counted over time — the text, indexed once and keyed by time (`fts_time`,
 * `time_keys`), the hourly rollups and the latency sketches. Each part has its own high-water mark and, on disk, its
 * own database file and worker thread, so after a burst the two catch up on two cores.
 */
export type IndexPart = 'facts' | 'timeline';

/** The table holding a part's marks (`indexed`, `version`). */
const STATE_TABLE: Record<IndexPart, string> = { facts: 'state', timeline: 'timeline_state' };

/** The high-water mark of a part in the main database of `db` (0 before its first batch). */
export function readIndexMark(db: DatabaseSync, part: IndexPart): number {
  const row = db.prepare(`SELECT value FROM main.${STATE_TABLE[part]} WHERE key = 'indexed'`).get() as
    { value: number } | undefined;
  return Number(row?.value ?? 0);
}

/** The indexer of one connection that sees `events` and writes the derived tables of one part. */
export interface Indexer {
  /** The highest `events.seq` indexed (persisted with the derived rows, so a restart resumes there). */
  readonly indexed: number;
  /** Indexes the next batch of events after the high-water mark in one transaction; returns how many it indexed. */
  step(): number;
}

const has = (db: DatabaseSync, name: string): boolean =>
  db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(name) !== undefined;

/**
 * Runs `work` in a deferred transaction: the first write locks only the database it writes. `BEGIN IMMEDIATE` would
 * take the write lock of every attached database (for an indexer, the events file too, blocking appends).
 */
export function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN');
  try {
    work();
    db.exec('COMMIT');
  } catch (error) {
    // A failed COMMIT (disk full, I/O error) has already rolled back: a second ROLLBACK would hide the cause.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

const partVersion = (db: DatabaseSync, part: IndexPart): number | undefined => {
  const state = STATE_TABLE[part];
  if (!has(db, state)) return undefined;
  return (db.prepare(`SELECT value FROM main.${state} WHERE key = 'version'`).get() as { value: number } | undefined)
    ?.value;
};

/** The catalog-derived columns of each part (a field added to the catalog is a column an older file lacks). */
const PART_COLUMNS: Record<IndexPart, [string, readonly string[]]> = {
  facts: ['facts', FACT_COLUMNS],
  timeline: ['rollup_hourly', ROLLUP_DIMENSIONS],
};

const hasColumns = (db: DatabaseSync, table: string, columns: readonly string[]): boolean => {
  const have = new Set(
    (db.prepare(`SELECT name FROM pragma_table_info(?, 'main')`).all(table) as { name: string }[]).map(
      (row) => row.name,
    ),
  );
  return columns.every((column) => have.has(column));
};

/**
 * Brings a timeline part of layout version 5 or 6 to this one in place, without a rebuild (a facts part of either
 * holds text where this layout holds codes: it is rebuilt). From version 5 the timeline adds the vocabulary of its
 * text; one that holds untimed events is left to be rebuilt (their text was only in the facts part's `fts`). Each
 * step is idempotent and the version is written last, so a kill at any point leaves a part the next open upgrades.
 */
function upgradeInPlace(db: DatabaseSync, part: IndexPart): void {
  const version = partVersion(db, part);
  if (part !== 'timeline' || (version !== 5 && version !== 6)) return;
  if (version === 5) {
    if (db.prepare("SELECT 1 FROM main.timeline_state WHERE key = 'untimed'").get() !== undefined) return;
    db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS fts_time_vocab USING fts5vocab(fts_time, row)');
    // A key claimed past its first slot (version 5 did not mark it): text filters must go through time_keys.
    const moved = db
      .prepare(
        `SELECT 1 FROM main.time_keys WHERE (key & ${TIME_KEY_SLOTS - 1n}) != (seq & ${TIME_KEY_SLOTS - 1n}) LIMIT 1`,
      )
      .get();
    if (moved !== undefined)
      db.exec("INSERT INTO main.timeline_state (key, value) VALUES ('untimed', 1) ON CONFLICT(key) DO NOTHING");
  }
  db.prepare(`UPDATE main.${STATE_TABLE[part]} SET value = ? WHERE key = 'version'`).run(INDEX_VERSION);
}

/**
 * Creates the tables of `part` in the main database of `db`. A part of the previous layout is upgraded in place
 * (`upgradeInPlace`). When one of them is missing, lacks a column of the field catalog or is of another layout
 * version, the part's tables are dropped first, so its indexer rebuilds them all from the events (its mark is then
 * 0); so are derived tables of an older layout left in this file (up to version 3 one file held both parts).
 */
export function prepareIndexDatabase(db: DatabaseSync, part: IndexPart): void {
  upgradeInPlace(db, part);
  const other: IndexPart = part === 'facts' ? 'timeline' : 'facts';
  const current =
    partVersion(db, part) === INDEX_VERSION &&
    PART_TABLES[part].every((table) => has(db, table)) &&
    hasColumns(db, ...PART_COLUMNS[part]);
  if (!current) {
    const stale = partVersion(db, other) === INDEX_VERSION ? PART_TABLES[part] : DERIVED_TABLES;
    for (const table of stale) db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
  db.exec(part === 'facts' ? INDEX_SCHEMA : TIMELINE_SCHEMA + ROLLUP_SCHEMA);
  db.prepare(
    `INSERT INTO ${STATE_TABLE[part]} (key, value) VALUES ('version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
  ).run(INDEX_VERSION);
}

/** One event of a batch as a part's writer keeps it between reading the batch and its transaction. */
interface Parsed {
  seq: number;
  ts: number;
  values: ReturnType<typeof extractFacts>['values'];
  reasons: string[];
  text: string;
  key?: bigint | undefined;
}

/** What a part does with a batch: `parse` before the transaction, `write` inside it, `discard` after a failure. */
interface PartWriter {
  parse(seq: number, doc: string): Parsed;
  write(batch: Parsed[]): void;
  discard(): void;
}

const parseDoc = (seq: number, doc: string): Parsed => {
  const event = decodeDoc(doc);
  const facts = extractFacts(event);
  return { seq, ts: Date.parse(event['@timestamp']), values: facts.values, reasons: facts.reasons, text: facts.text };
};

/**
 * The codes of the coded columns (`CODED_COLUMNS`), cached. Only the facts indexer writes `dict`, inside its
 * transactions; after a failed one (`forget`) the cache is dropped with the codes it may have added.
 */
function createDictionary(db: DatabaseSync) {
  const find = db.prepare('SELECT code FROM main.dict WHERE field = ? AND value = ?');
  const add = db.prepare(
    'INSERT INTO main.dict (field, code, value) SELECT ?, IFNULL(MAX(code), -1) + 1, ? FROM main.dict WHERE field = ? RETURNING code',
  );
  const cache = new Map<string, Map<string, number>>();
  return {
    code(field: string, value: string): number {
      let codes = cache.get(field);
      if (!codes) cache.set(field, (codes = new Map()));
      let code = codes.get(value);
      if (code === undefined) {
        const row = (find.get(field, value) ?? add.get(field, value, field)) as { code: number };
        code = Number(row.code);
        codes.set(value, code);
      }
      return code;
    },
    forget(): void {
      cache.clear();
    },
  };
}

/** Positions in `FACT_COLUMNS` of the coded columns. */
const CODED = FACT_COLUMNS.flatMap((column, i) => (CODED_COLUMNS.has(column) ? [[i, column] as const] : []));

/**
 * The `facts` part: the facts row (keyword values coded, see `CODED_COLUMNS`) and fraud reasons of each event, in
 * append order (a table fills its pages when each row lands at its end; written in time order, its pages were left
 * part-empty, 18 % more of them at 1M events).
 */
function factsWriter(db: DatabaseSync): PartWriter {
  // Plain INSERTs: a facts row is written once, in the transaction that moves the mark past it.
  const insertFacts = db.prepare(
    `INSERT INTO main.facts (seq, ts, ${FACT_COLUMNS.join(', ')}) VALUES (?, ?, ${FACT_COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertReason = db.prepare('INSERT INTO main.fraud_reasons (seq, code) VALUES (?, ?)');
  const dict = createDictionary(db);
  return {
    parse: parseDoc,
    write(batch) {
      for (const row of batch) {
        const values = [...row.values];
        for (const [i, column] of CODED) {
          const value = values[i];
          if (value !== null && value !== undefined) values[i] = dict.code(column, String(value));
        }
        insertFacts.run(row.seq, row.ts, ...values);
        for (const code of row.reasons) insertReason.run(row.seq, code);
      }
    },
    discard() {
      dict.forget();
    },
  };
}

/**
 * The `timeline` part: the hourly rollups and latency sketches, accumulated in append order (`parse`) so their sums
 * add up in the same order whatever the batch size, and the text of each event in `fts_time` (by time key). The time
 * keys are claimed in time order, so `time_keys` takes its entries left to right; the text goes last, in one sorted
 * pass: FTS5 flushes its pending terms to a new segment whenever a rowid is lower than the previous one, and whenever
 * a statement opens a statement journal (an upsert — a time key claim, a rollup or sketch flush —, an INSERT OR
 * REPLACE: SQLite then opens a savepoint on every virtual table of the transaction). Interleaved with other rows,
 * every event became a one-document segment, merged over and over.
 */
function timelineWriter(db: DatabaseSync): PartWriter {
  const insertTimeText = db.prepare('INSERT INTO main.fts_time (rowid, body) VALUES (?, ?)');
  const claimKey = db.prepare('INSERT INTO main.time_keys (key, seq) VALUES (?, ?) ON CONFLICT(key) DO NOTHING');
  const markUntimed = db.prepare(
    "INSERT INTO main.timeline_state (key, value) VALUES ('untimed', 1) ON CONFLICT(key) DO NOTHING",
  );
  // The first free slot of the event's millisecond (slot = seq mod 2^20 first, so a collision needs two events of
  // the same millisecond whose seq differ by a multiple of 2^20); none free or no time key: an untimed key. Any key
  // but the first slot marks the timeline 'untimed': counts over time fall back to facts, and a text filter no longer
  // derives an event's key from its ts and seq (sqlite-filter.ts).
  const claimTimeKey = (seq: number, ts: number): bigint => {
    const base = timeKey(ts);
    if (base !== undefined) {
      const first = BigInt(seq) % TIME_KEY_SLOTS;
      for (let n = 0n; n < TIME_KEY_SLOTS; n++) {
        const key = base + ((first + n) % TIME_KEY_SLOTS);
        if (claimKey.run(key, seq).changes > 0) {
          if (n > 0n) markUntimed.run();
          return key;
        }
      }
    }
    markUntimed.run();
    const key = untimedKey(seq);
    claimKey.run(key, seq);
    return key;
  };
  const sketches = createSketchTable(db);
  const rollups = createRollupWriter(db);
  const byTime = (a: Parsed, b: Parsed): number => a.ts - b.ts || a.seq - b.seq;
  const byKey = (a: Parsed, b: Parsed): number => (a.key === b.key ? 0 : (a.key ?? 0n) < (b.key ?? 0n) ? -1 : 1);
  return {
    parse(seq, doc) {
      const row = parseDoc(seq, doc);
      rollups.add(row.ts, row.values);
      const perf = row.values[PERF_KIND];
      const ms = row.values[RESPONSE_MS];
      if ((perf === 'http' || perf === 'db') && typeof ms === 'number') {
        const key = row.values[perf === 'http' ? ROUTE : DB_OPERATION];
        sketches.add(perf, typeof key === 'string' ? key : '(none)', row.ts, ms);
      }
      return row;
    },
    write(batch) {
      const texts = batch.filter((row) => row.text.length > 0);
      // NaN timestamps (untimed) sort anywhere: the keys are claimed in time order, the text inserted in key order.
      texts.sort(byTime);
      for (const row of texts) row.key = claimTimeKey(row.seq, row.ts);
      texts.sort(byKey);
      sketches.flush();
      rollups.flush();
      for (const row of texts) if (row.key !== undefined) insertTimeText.run(row.key, row.text);
    },
    discard() {
      sketches.discard();
      rollups.discard();
    },
  };
}

/**
 * The indexer of one part: follows `events` by `seq` and writes, per batch of `batchSize` events and in one
 * transaction, the part's rows for each event with its high-water mark. `db` must see `events` (main or attached)
 * and hold the part's tables in its main database.
 */
export function createIndexer(db: DatabaseSync, batchSize: number, part: IndexPart): Indexer {
  const selectPending = db.prepare('SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
  // Pending events are plain rows; a rebuild (a lost or older index file) reads packed ones too.
  const bodies = createBodyReader(db);
  const state = STATE_TABLE[part];
  const writeMark = db.prepare(
    `INSERT INTO main.${state} (key, value) VALUES ('indexed', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
  );
  const writer = part === 'facts' ? factsWriter(db) : timelineWriter(db);
  let indexed = readIndexMark(db, part);

  return {
    get indexed() {
      return indexed;
    },
    step() {
      // Read outside the write transaction: a WAL snapshot of the events file, no lock on it.
      const rows = selectPending.all(indexed, batchSize) as { seq: number; doc: StoredDoc }[];
      const last = rows[rows.length - 1]?.seq;
      if (last === undefined) return 0;
      try {
        // Parsed before BEGIN: a sketch missing from the cache is read here, and a read inside the transaction
        // before its first write would make that write fail at once ("database is locked", without the busy
        // timeout) while another connection holds the index file's write lock.
        // A purged newest event stays as a tombstone with an empty doc (sqlite-purge.ts): indexed as nothing.
        const batch = bodies
          .resolve(rows)
          .filter((row) => row.doc !== '')
          .map((row) => writer.parse(row.seq, row.doc));
        // The mark first: it takes the write lock before the facts writer reads its dictionary.
        inTransaction(db, () => {
          writeMark.run(last);
          writer.write(batch);
        });
      } catch (error) {
        writer.discard();
        throw error;
      }
      indexed = last;
      return rows.length;
    },
  };
}
