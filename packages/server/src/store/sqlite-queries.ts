import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { textTerms, type ShoplogEvent } from '@shoplog/core';
import type {
  LatencyGroup,
  LatencySummary,
  LogFilter,
  LogStoreReads,
  NumericField,
  SearchHit,
  TermsBucket,
  TermsField,
  TermsOptions,
} from '../ports.js';
import { exactSummary } from './exact-percentiles.js';
import { createBodyReader, type StoredDoc } from './sqlite-bodies.js';
import { eventIdKey } from './sqlite-event-ids.js';
import { CODED_COLUMNS, createCodeLookup, decodeDoc, timeKey, valueOf } from './sqlite-facts.js';
import { createRollupQueries } from './sqlite-rollups.js';
import { latencyFromSketches, sketchable } from './sqlite-sketches.js';
import {
  NUMERIC_COLUMNS,
  SORT_COLUMNS,
  TERMS_COLUMNS,
  ftsQuery,
  highlightMessage,
  whereOf as whereOfFacts,
} from './sqlite-filter.js';

type ReadMethods = LogStoreReads;

interface Cursor {
  v: number;
  s: number;
}

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');
function decodeCursor(raw: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    return typeof value.v === 'number' && typeof value.s === 'number' ? { v: value.v, s: value.s } : undefined;
  } catch {
    return undefined;
  }
}

/** The codes of the error levels (`level` is coded). */
const LEVEL_ERRORS = "(SELECT code FROM dict WHERE field = 'level' AND value IN ('error', 'fatal'))";

/** Text matches above which a text filter probes rows by their time key rather than looking each match up. */
const LOOKUP_MATCHES = 2_000;

/** The read side of the embedded log store: SQL over the `facts` table, FTS5 and the raw `events`. */
export function createSqliteQueries(db: DatabaseSync): ReadMethods {
  const getDoc = db.prepare('SELECT e.seq, e.doc FROM event_ids i JOIN events e ON e.seq = i.seq WHERE i.id = ?');
  const bodies = createBodyReader(db);
  const rollups = createRollupQueries(db);
  const codes = createCodeLookup(db);
  const whereOf = (filter: LogFilter | undefined, textByTimeKey = false) =>
    whereOfFacts(filter, { textByTimeKey, codes });
  const all = <T>(sql: string, params: SQLInputValue[]): T[] => db.prepare(sql).all(...params) as T[];
  const one = <T>(sql: string, params: SQLInputValue[]): T => db.prepare(sql).get(...params) as T;

  const docsBySeq = (seqs: number[]): Map<number, ShoplogEvent> => {
    const out = new Map<number, ShoplogEvent>();
    if (seqs.length === 0) return out;
    const rows = all<{ seq: number; doc: StoredDoc }>(
      `SELECT seq, doc FROM events WHERE seq IN (${seqs.map(() => '?').join(',')}) ORDER BY seq`,
      seqs,
    );
    for (const row of bodies.resolve(rows)) out.set(row.seq, decodeDoc(row.doc));
    return out;
  };

  /** The column of a terms field (`column`, a code for a coded one) and its value (`value`, decoded). */
  const termsColumn = (field: TermsField): { column: string; value: string; join: string } => {
    if (field === 'fraud_reason')
      return { column: 'r.code', value: 'r.code', join: 'JOIN fraud_reasons r ON r.seq = f.seq' };
    const column = `f.${TERMS_COLUMNS[field]}`;
    return { column, value: valueOf(TERMS_COLUMNS[field], column), join: '' };
  };

  const scanTerms = (filter: LogFilter, field: TermsField, size: number, options: TermsOptions) => {
    const where = whereOf(filter);
    const { column, value, join } = termsColumn(field);
    const metric = options.sum ? `, SUM(f.${NUMERIC_COLUMNS[options.sum]}) AS sum` : '';
    // A code stands for one value of its column: distinct codes count distinct values.
    const count = options.distinct ? `COUNT(DISTINCT ${termsColumn(options.distinct).column})` : 'COUNT(*)';
    return all<{ value: string | number; count: number; sum?: number | null }>(
      `SELECT ${value} AS value, ${count} AS count${metric} FROM facts f ${join}
       WHERE ${where.sql} AND ${column} IS NOT NULL GROUP BY ${column} ORDER BY count DESC, value LIMIT ?`,
      [...where.params, size],
    );
  };
  const terms: ReadMethods['terms'] = async (filter, field, options = {}) => {
    const size = options.size ?? 10;
    const rows =
      (options.distinct ? undefined : rollups.terms(filter, field, size, options.sum)) ??
      scanTerms(filter, field, size, options);
    return rows.map((row) => {
      const bucket: TermsBucket = { value: String(row.value), count: row.count };
      if (options.sum) bucket.sum = row.sum ?? 0;
      if (options.distinct) bucket.distinct = row.count;
      return bucket;
    });
  };

  const scanHistogram = (filter: LogFilter, interval: number, errors: boolean, sum: NumericField | undefined) => {
    const where = whereOf(filter);
    const errorSql = errors ? `, SUM(f.level IN ${LEVEL_ERRORS}) AS errors` : '';
    const sumSql = sum ? `, SUM(f.${NUMERIC_COLUMNS[sum]}) AS sum` : '';
    return all<{ ts: number; count: number; errors?: number; sum?: number | null }>(
      `SELECT CAST(f.ts / ? AS INTEGER) * ? AS ts, COUNT(*) AS count${errorSql}${sumSql} FROM facts f WHERE ${where.sql} GROUP BY 1 ORDER BY 1`,
      [interval, interval, ...where.params],
    );
  };
  const ftsCount = db.prepare('SELECT COUNT(*) AS n FROM fts_time WHERE fts_time MATCH ?');
  /**
   * The `facts` source of a query. Free text within a time range is planned by SQLite as one primary-key lookup per
   * text match; when the range holds fewer events than ~7× the matches (counted from the rollups and the FTS
   * index, a few ms), scanning the covering time index and probing the matches is cheaper, and a time-sorted page
   * stops after its last row.
   */
  const factsOf = (filter: LogFilter | undefined): string => {
    const fts = ftsQuery(filter?.text);
    if (!fts || !filter?.range || (filter.range.from === undefined && filter.range.to === undefined)) return 'facts f';
    const inRange = rollups.count({ ...filter, text: undefined });
    if (inRange === undefined) return 'facts f';
    const matches = Number((ftsCount.get(fts) as { n: number }).n);
    return inRange < 7 * matches ? 'facts f INDEXED BY facts_ts_cover' : 'facts f';
  };
  const untimed = db.prepare("SELECT 1 FROM timeline_state WHERE key = 'untimed'");
  const timedCount = (bounds: string) =>
    db.prepare(`SELECT COUNT(*) AS n FROM fts_time WHERE fts_time MATCH ?${bounds}`);
  const timedCounts = {
    both: timedCount(' AND rowid >= ? AND rowid < ?'),
    from: timedCount(' AND rowid >= ?'),
    to: timedCount(' AND rowid < ?'),
  };
  /**
   * Free text within a time range and nothing else: counted by FTS5 over the time-keyed copy of the text, whose
   * rowids order by time, from the doclists alone (no lookup per match, no scan of the range).
   */
  const countTimedText = (filter: LogFilter): number | undefined => {
    const fts = ftsQuery(filter.text);
    const { from, to } = filter.range ?? {};
    if (!fts || (from === undefined && to === undefined)) return undefined;
    for (const [key, value] of Object.entries(filter))
      if (value !== undefined && key !== 'text' && key !== 'range') return undefined;
    const lo = from === undefined ? undefined : timeKey(from);
    const hi = to === undefined ? undefined : timeKey(to);
    if (
      (from !== undefined && lo === undefined) ||
      (to !== undefined && hi === undefined) ||
      untimed.get() !== undefined
    )
      return undefined;
    const row = (
      lo !== undefined && hi !== undefined
        ? timedCounts.both.get(fts, lo, hi)
        : lo !== undefined
          ? timedCounts.from.get(fts, lo)
          : timedCounts.to.get(fts, hi ?? 0n)
    ) as { n: number };
    return Number(row.n);
  };
  const scoreWindow = db.prepare(
    'SELECT k.seq AS seq, -bm25(fts_time) AS score FROM fts_time JOIN time_keys k ON k.key = fts_time.rowid WHERE fts_time MATCH ? AND fts_time.rowid >= ? AND fts_time.rowid < ?',
  );
  /**
   * BM25 of a time-sorted page from the text keyed by time: only the matches
   * of the page's time window are read, where `k.seq IN (page)` runs through every match of the text.
   */
  const scoreTimed = (
    fts: string,
    rows: readonly { seq: number; sv: number }[],
  ): { seq: number; score: number }[] | undefined => {
    let min = Infinity;
    let max = -Infinity;
    for (const row of rows) {
      min = Math.min(min, row.sv);
      max = Math.max(max, row.sv);
    }
    const lo = timeKey(min);
    const hi = timeKey(max + 1);
    if (lo === undefined || hi === undefined || untimed.get() !== undefined) return undefined;
    const page = new Set(rows.map((row) => row.seq));
    return (scoreWindow.all(fts, lo, hi) as { seq: number; score: number }[]).filter((row) => page.has(row.seq));
  };
  /**
   * Whether a query over `from` matches its text by each row's own time key (every key derived from ts and seq): when
   * it scans the time index, or when the text has so many matches that a `time_keys` lookup for each costs more than
   * probing the rows the other filters select. Few matches: each one looked up (the rows are found from them).
   */
  const byTimeKey = (from: string, filter: LogFilter | undefined): boolean => {
    const fts = ftsQuery(filter?.text);
    if (!fts || untimed.get() !== undefined) return false;
    return from !== 'facts f' || Number((ftsCount.get(fts) as { n: number }).n) > LOOKUP_MATCHES;
  };
  const countOf = (filter: LogFilter | undefined, from = factsOf(filter)): number => {
    const rolled = filter ? (rollups.count(filter) ?? countTimedText(filter)) : undefined;
    if (rolled !== undefined) return rolled;
    const where = whereOf(filter, byTimeKey(from, filter));
    return one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where.sql}`, where.params).n;
  };

  const latencyRows = (
    filter: LogFilter,
    groupColumn: string,
    perfKind: 'http' | 'db',
  ): { key: string | null; ms: number }[] => {
    const where = whereOf({ ...filter, kinds: ['performance'] });
    const code = codes('perf_kind', [perfKind])[0];
    if (code === undefined) return [];
    return all<{ key: string | null; ms: number }>(
      `SELECT ${groupColumn} AS key, f.response_ms AS ms FROM facts f
       WHERE ${where.sql} AND f.perf_kind = ? AND f.response_ms IS NOT NULL`,
      [...where.params, code],
    );
  };

  return {
    async get(id) {
      const row = getDoc.get(eventIdKey(id)) as { seq: number; doc: StoredDoc } | undefined;
      const body = row ? bodies.resolve([row])[0] : undefined;
      return body && body.doc !== '' ? decodeDoc(body.doc) : undefined;
    },
    async recent({ limit, kinds }) {
      const where = whereOf({ kinds });
      const rows = all<{ seq: number }>(
        `SELECT f.seq FROM facts f WHERE ${where.sql} ORDER BY f.ts DESC, f.seq DESC LIMIT ?`,
        [...where.params, limit],
      );
      const docs = docsBySeq(rows.map((row) => row.seq));
      return rows.flatMap((row) => docs.get(row.seq) ?? []);
    },
    async count(filter) {
      return countOf(filter);
    },
    async search(query) {
      const column = `f.${SORT_COLUMNS[query.sort.field]}`;
      const sortExpr = query.sort.field === '@timestamp' ? column : `IFNULL(${column}, -1e308)`;
      const desc = query.sort.order === 'desc';
      const from = query.sort.field === '@timestamp' ? factsOf(query.filter) : 'facts f';
      const where = whereOf(query.filter, byTimeKey(from, query.filter));
      const total = countOf(query.filter, from);
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const pageWhere = [where.sql];
      const params = [...where.params];
      if (cursor) {
        const op = desc ? '<' : '>';
        pageWhere.push(`(${sortExpr} ${op} ? OR (${sortExpr} = ? AND f.seq ${op} ?))`);
        params.push(cursor.v, cursor.v, cursor.s);
      }
      const offset = cursor ? 0 : (query.page - 1) * query.size;
      const order = desc ? 'DESC' : 'ASC';
      const rows = all<{ seq: number; sv: number }>(
        `SELECT f.seq, ${sortExpr} AS sv FROM ${from} WHERE ${pageWhere.join(' AND ')}
         ORDER BY sv ${order}, f.seq ${order} LIMIT ? OFFSET ?`,
        [...params, query.size, offset],
      );
      const docs = docsBySeq(rows.map((row) => row.seq));
      const scores = new Map<number, number>();
      const fts = ftsQuery(query.filter.text);
      if (fts && rows.length > 0) {
        const scored =
          (query.sort.field === '@timestamp' ? scoreTimed(fts, rows) : undefined) ??
          all<{ seq: number; score: number }>(
            `SELECT k.seq AS seq, -bm25(fts_time) AS score FROM fts_time JOIN time_keys k ON k.key = fts_time.rowid
           WHERE fts_time MATCH ? AND k.seq IN (${rows.map(() => '?').join(',')})`,
            [fts, ...rows.map((row) => row.seq)],
          );
        for (const row of scored) scores.set(row.seq, row.score);
      }
      const words = query.highlight === false ? [] : textTerms(query.filter.text, true);
      const hits: SearchHit[] = rows.flatMap((row) => {
        const event = docs.get(row.seq);
        if (!event) return [];
        const hit: SearchHit = { id: event.event.id, score: scores.get(row.seq) ?? 0, event };
        const marked = event.message ? highlightMessage(event.message, words) : undefined;
        if (marked) hit.highlight = { message: marked };
        return hit;
      });
      const last = rows[rows.length - 1];
      const more = last !== undefined && (cursor ? rows.length === query.size : offset + rows.length < total);
      return { total, hits, nextCursor: more && last ? encodeCursor({ v: last.sv, s: last.seq }) : null };
    },
    terms,
    async cardinality(filter, field) {
      const rolled = rollups.cardinality(filter, field);
      if (rolled !== undefined) return rolled;
      const where = whereOf(filter);
      const { column, join } = termsColumn(field);
      return one<{ n: number }>(
        `SELECT COUNT(DISTINCT ${column}) AS n FROM facts f ${join} WHERE ${where.sql}`,
        where.params,
      ).n;
    },
    async histogram(filter, options) {
      const interval = Math.max(1, Math.floor(options.intervalMs));
      const errors = options.errors === true;
      const rows =
        rollups.histogram(filter, interval, errors, options.sum) ??
        scanHistogram(filter, interval, errors, options.sum);
      return rows.map((row) => ({
        ts: row.ts,
        count: row.count,
        ...(options.errors ? { errors: row.errors ?? 0 } : {}),
        ...(options.sum ? { sum: row.sum ?? 0 } : {}),
      }));
    },
    async stats(filter, field) {
      const rolled = rollups.stats(filter, field);
      if (rolled) return rolled;
      const where = whereOf(filter);
      const column = `f.${NUMERIC_COLUMNS[field]}`;
      const row = one<{
        count: number;
        sum: number | null;
        min: number | null;
        max: number | null;
        avg: number | null;
      }>(
        `SELECT COUNT(${column}) AS count, SUM(${column}) AS sum, MIN(${column}) AS min, MAX(${column}) AS max,
         AVG(${column}) AS avg FROM facts f WHERE ${where.sql}`,
        where.params,
      );
      return { count: row.count, sum: row.sum ?? 0, min: row.min, max: row.max, avg: row.avg };
    },
    async latency(filter, groupBy, options = {}) {
      const interval = Math.max(1, Math.floor(options.intervalMs ?? 3_600_000));
      // Range-only queries merge the hourly sketches kept at ingest; other filters compute exact percentiles.
      if (sketchable(filter, groupBy, interval))
        return latencyFromSketches(db, filter, groupBy, { ...options, intervalMs: interval });
      const rows =
        groupBy === 'route'
          ? latencyRows(filter, valueOf('route', 'f.route'), 'http')
          : groupBy === 'interval'
            ? latencyRows(filter, `CAST((f.ts / ${interval}) * ${interval} AS TEXT)`, 'http')
            : latencyRows(filter, valueOf('db_operation', 'f.db_operation'), 'db');
      const byKey = new Map<string, number[]>();
      const overallValues: number[] = [];
      for (const row of rows) {
        overallValues.push(row.ms);
        const key = row.key ?? '(none)';
        let values = byKey.get(key);
        if (!values) byKey.set(key, (values = []));
        values.push(row.ms);
      }
      const overall: LatencySummary = exactSummary(overallValues);
      const groups: LatencyGroup[] = [...byKey.entries()]
        .map(([key, values]) => ({ key, ...exactSummary(values) }))
        .sort(
          groupBy === 'interval'
            ? (a, b) => Number(a.key) - Number(b.key)
            : (a, b) => b.count - a.count || a.key.localeCompare(b.key),
        )
        .slice(0, groupBy === 'interval' ? undefined : (options.size ?? 20));
      return { approximate: false, relativeError: 0, overall, groups };
    },
    async autocomplete(field, prefix, limit) {
      const lower = prefix.toLowerCase();
      if (field === 'message') {
        const word = textTerms(lower)[0];
        if (!word) return [];
        const rows = all<{ term: string; doc: number }>(
          'SELECT term, doc FROM fts_time_vocab WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT ?',
          [word, `${word}\u{10ffff}`, limit],
        );
        return rows.map((row) => ({ text: row.term, field, count: row.doc }));
      }
      const column = field === 'route' ? 'route' : field === 'product' ? 'product' : 'user_id';
      // A coded column: the values of the prefix from the dictionary, each counted by its code.
      const rows = all<{ value: string; count: number }>(
        CODED_COLUMNS.has(column)
          ? `SELECT d.value AS value, COUNT(*) AS count FROM dict d JOIN facts ON facts.${column} = d.code
             WHERE d.field = '${column}' AND d.value >= ? AND d.value < ? GROUP BY d.value ORDER BY count DESC, value LIMIT ?`
          : `SELECT ${column} AS value, COUNT(*) AS count FROM facts WHERE ${column} >= ? AND ${column} < ?
             GROUP BY ${column} ORDER BY count DESC, value LIMIT ?`,
        [prefix, `${prefix}\u{10ffff}`, limit],
      );
      return rows.map((row) => ({ text: row.value, field, count: row.count }));
    },
    async fieldTops(filter, fields, size) {
      const out: { field: TermsField; top: { value: string; count: number }[] }[] = [];
      for (const field of fields) {
        const buckets = await terms(filter, field, { size });
        out.push({ field, top: buckets.map((bucket) => ({ value: bucket.value, count: bucket.count })) });
      }
      return out;
    },
  };
}
