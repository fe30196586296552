import type { DatabaseSync } from 'node:sqlite';
import {
  COLUMN_FIELDS,
  FIELD_CATALOG,
  readColumns,
  searchTextOf,
  type FieldSpec,
  type FieldValue,
  type ShoplogEvent,
} from '@shoplog/core';

/** Secondary columns of the `facts` table (one row per event, filled by the background indexer): the catalog's. */
export const FACT_COLUMNS: readonly string[] = COLUMN_FIELDS.map((field) => field.column);

const SQL_TYPES = { keyword: 'TEXT', long: 'INTEGER', double: 'REAL' } as const;

/** Keyword columns that identify a person or a session: kept as text, so erasing a person leaves no dictionary entry. */
const IDENTITY_COLUMNS = new Set(['user_id', 'session_id', 'device_id']);

/**
 * The keyword columns stored as small integer codes of the `dict` table (a code per distinct value and column, from
 * 0): a handful of values each, so a row and every index holding them take a byte where the text took ten.
 */
export const CODED_COLUMNS: ReadonlySet<string> = new Set(
  COLUMN_FIELDS.flatMap((field) =>
    field.type === 'keyword' && !IDENTITY_COLUMNS.has(field.column) ? [field.column] : [],
  ),
);

/** The SQLite type of each `facts` column, from the catalog's field types (a coded column holds integers). */
export const FACT_COLUMN_DDL = COLUMN_FIELDS.map(
  (field) => `${field.column} ${CODED_COLUMNS.has(field.column) ? 'INTEGER' : SQL_TYPES[field.type]}`,
).join(', ');

/** The codes of `values` in the coded column `column` (a value that `dict` does not hold has none). */
export type CodeLookup = (column: string, values: readonly (string | number)[]) => number[];

/**
 * The codes of values, read from `dict` at each call (a rebuilt index codes them anew). A query passes them as
 * literals: with one code, `x IN (?)` is `x = ?` and an index on (x, ts) gives its rows in time order, where
 * `x IN (SELECT …)` would sort them all.
 */
export function createCodeLookup(db: DatabaseSync, schema = ''): CodeLookup {
  const find = db.prepare(`SELECT code FROM ${schema}dict WHERE field = ? AND value = ?`);
  return (column, values) =>
    values.flatMap((value) => {
      const row = find.get(column, String(value)) as { code: number } | undefined;
      return row ? [Number(row.code)] : [];
    });
}

/** SQL of the value of `expr`, a value of the `facts` column `column` (decoded when the column is coded). */
export function valueOf(column: string, expr: string): string {
  return CODED_COLUMNS.has(column) ? `(SELECT value FROM dict WHERE field = '${column}' AND code = ${expr})` : expr;
}

/**
 * The event of a stored `events.doc`. Every read of a stored event (queries, the indexers) decodes it here, so the
 * encoding of the stored bodies has one home on the read side.
 */
export function decodeDoc(doc: string): ShoplogEvent {
  return JSON.parse(doc) as ShoplogEvent;
}

/**
 * The tables of each index part (`IndexPart` in sqlite-indexer.ts), each part with its own high-water mark and, on
 * disk, its own database file: `facts` the filter and sort rows, `timeline` the search text (keyed by time) with the
 * hourly rollups and latency sketches. (A vocabulary table before the table it reads: dropped in order.)
 */
/** The fields counted per hour and kind in a table of their own (`hourlyCounts` in the field catalog): `rollup_<column>`. */
export const HOURLY_COUNT_FIELDS: readonly { table: string; name: string; column: string }[] = (
  FIELD_CATALOG as readonly FieldSpec[]
).flatMap((f) =>
  f.hourlyCounts === true && f.column !== undefined
    ? [{ table: `rollup_${f.column}`, name: f.name, column: f.column }]
    : [],
);
/** The tables of `HOURLY_COUNT_FIELDS`. */
export const HOURLY_COUNT_TABLES: readonly string[] = HOURLY_COUNT_FIELDS.map((f) => f.table);

export const PART_TABLES = {
  facts: ['facts', 'dict', 'fraud_reasons', 'state'],
  timeline: [
    'fts_time_vocab',
    'fts_time',
    'time_keys',
    'timeline_state',
    'latency_sketches',
    'rollup_hourly',
    'rollup_users',
    ...HOURLY_COUNT_TABLES,
  ],
};

/** Derived tables of older layouts (up to version 5 the text was indexed a second time, by seq, in `fts`). */
const RETIRED_TABLES = ['fts_vocab', 'fts'] as const;

/**
 * Every table derived from `events` by the indexers, and those of older layouts. They live in index databases of
 * their own (ATTACHed for reads), so an indexer's write lock never blocks an append; an older single-file database
 * has them dropped from its events file.
 */
export const DERIVED_TABLES = [...PART_TABLES.facts, ...PART_TABLES.timeline, ...RETIRED_TABLES] as const;

/** Slots per millisecond of a time key (a 64-bit rowid: ts × 2^20 + slot, for |ts| < 2^32 s, years 1833–2106). */
export const TIME_KEY_SLOTS = 2n ** 20n;
const TIME_KEY_MAX_TS = 2 ** 32 * 1000;

/** The first time key of a millisecond; `undefined` outside the years time keys cover. */
export function timeKey(ts: number): bigint | undefined {
  return Number.isFinite(ts) && Math.abs(ts) < TIME_KEY_MAX_TS ? BigInt(Math.ceil(ts)) * TIME_KEY_SLOTS : undefined;
}

/**
 * The text key of an event without a time key (a timestamp outside the years time keys cover, or every slot of its
 * millisecond taken): above every time key (|key| < 2^32 × 1000 × 2^20 < 2^62), so its text is still searchable
 * and never falls in a time range.
 */
export function untimedKey(seq: number): bigint {
  return 2n ** 62n + BigInt(seq);
}

/**
 * Version of the index layout: an index file of another version is rebuilt from the events (version 7 codes the
 * keyword columns of `facts`; its timeline part is that of version 6, upgraded in place).
 */
export const INDEX_VERSION = 7;

/**
 * The DDL of the `facts` part (the index file): the facts rows and fraud reasons, derived from `events` and rebuilt
 * from them when lost. An index is kept only where a query needs it (a service filter is served by the covering
 * time index, which holds the service).
 */
export const INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS facts (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, ${FACT_COLUMN_DDL});
-- Covering index of range scans (rollup edges, time-sorted pages, distinct users); its ts prefix serves plain
-- ts ranges, so a separate facts(ts) index would only slow the indexer down.
DROP INDEX IF EXISTS facts_ts;
CREATE INDEX IF NOT EXISTS facts_ts_cover ON facts(ts, level, kind, service, route, user_id);
-- Per kind, covering the sort fields: a page of transactions by amount (or events by latency or fraud score) is
-- sorted from the index without reading the rows.
DROP INDEX IF EXISTS facts_kind_ts;
CREATE INDEX IF NOT EXISTS facts_kind_sort ON facts(kind, ts, amount, response_ms, fraud_score);
CREATE INDEX IF NOT EXISTS facts_level_ts ON facts(level, ts);
DROP INDEX IF EXISTS facts_service_ts;
-- Partial: most events have no route, product, user or device, and every query these serve names a value (IN, =, a
-- prefix range, a GROUP BY of non-null values), which implies NOT NULL.
CREATE INDEX IF NOT EXISTS facts_route ON facts(route) WHERE route IS NOT NULL;
CREATE INDEX IF NOT EXISTS facts_user ON facts(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS facts_product ON facts(product) WHERE product IS NOT NULL;
CREATE INDEX IF NOT EXISTS facts_device ON facts(device_id) WHERE device_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS dict (field TEXT NOT NULL, code INTEGER NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (field, code), UNIQUE (field, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fraud_reasons (seq INTEGER NOT NULL, code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fraud_reasons_seq ON fraud_reasons(seq);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * The DDL of the `timeline` part (its own file): the search text keyed by time and the latency sketches (the hourly
 * rollups are `ROLLUP_SCHEMA`, in the same file). `timeline_state` holds its high-water mark (and 'untimed' once an
 * event has no time key, see `untimedKey`).
 */
export const TIMELINE_SCHEMA = `
-- The text, indexed once, keyed by time (ts * 2^20 + a free slot): a time range is a rowid range, so FTS5 counts a
-- text's matches in it from its doclist alone (and scores a page's matches without reading the others); time_keys
-- keeps those keys unique and maps them to the events (seq).
CREATE VIRTUAL TABLE IF NOT EXISTS fts_time USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_time_vocab USING fts5vocab(fts_time, row);
CREATE TABLE IF NOT EXISTS time_keys (key INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS timeline_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS latency_sketches (kind TEXT NOT NULL, key TEXT NOT NULL, bucket INTEGER NOT NULL,
  sketch BLOB NOT NULL, PRIMARY KEY (kind, key, bucket)) WITHOUT ROWID;
`;

/** The secondary column values of an event, in `FACT_COLUMNS` order, plus its fraud reason codes and search text. */
export function extractFacts(event: ShoplogEvent): { values: FieldValue[]; reasons: string[]; text: string } {
  const reasons = (event.shop as { fraud?: { reasons?: { code: string }[] } } | undefined)?.fraud?.reasons;
  return {
    values: readColumns(event),
    reasons: reasons?.map((reason) => reason.code) ?? [],
    text: searchTextOf(event),
  };
}
