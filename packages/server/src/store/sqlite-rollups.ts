import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { FIELD_CATALOG, type FieldSpec } from '@shoplog/core';
import type { LogFilter, NumericField, TermsField } from '../ports.js';
import {
  createCodeLookup,
  FACT_COLUMNS,
  HOURLY_COUNT_FIELDS,
  HOURLY_COUNT_TABLES,
  valueOf,
  type CodeLookup,
} from './sqlite-facts.js';
import { whereOf } from './sqlite-filter.js';

/** Width of a rollup bucket. */
export const ROLLUP_BUCKET_MS = 3_600_000;

// The catalog's rollup dimensions (low cardinality; user and session ids are not), in catalog order: the key order of
// stored cells (`dims`).
const ROLLUP_FIELDS = (FIELD_CATALOG as readonly FieldSpec[]).filter(
  (f): f is FieldSpec & { column: string } => f.rollup === true && f.column !== undefined,
);
const DIMENSIONS = ROLLUP_FIELDS.map((f) => f.column);
/** The dimension columns of `rollup_hourly`, from the field catalog. */
export const ROLLUP_DIMENSIONS: readonly string[] = DIMENSIONS;
const DIM_INDEX = DIMENSIONS.map((column) => FACT_COLUMNS.indexOf(column));
const measureColumn = (measure: 'rt' | 'amt'): number =>
  FACT_COLUMNS.indexOf((FIELD_CATALOG as readonly FieldSpec[]).find((f) => f.measure === measure)?.column ?? '');
const RESPONSE_MS = measureColumn('rt');
const AMOUNT = measureColumn('amt');
const USER_ID = FACT_COLUMNS.indexOf('user_id');
const KIND = FACT_COLUMNS.indexOf('kind');

// The catalog's fields counted per hour and kind in a table of their own, with their column's place in `facts`.
const HOURLY_COUNTS = HOURLY_COUNT_FIELDS.map((f) => ({ ...f, at: FACT_COLUMNS.indexOf(f.column) }));

/** The hourly counts an event adds to (one per `hourlyCounts` field it has a value of): table, hour, kind, value. */
export function hourlyCountsOf(
  ts: number,
  facts: readonly (string | number | null)[],
): { table: string; hour: number; kind: string; value: string }[] {
  const hour = Math.floor(ts / H) * H;
  const kind = String(facts[KIND] ?? '');
  const out: { table: string; hour: number; kind: string; value: string }[] = [];
  for (const c of HOURLY_COUNTS) {
    const value = facts[c.at];
    if (value !== null && value !== undefined) out.push({ table: c.table, hour, kind, value: String(value) });
  }
  return out;
}

/**
 * DDL of the hourly rollups, kept by the indexer in the same transaction as its high-water mark: `rollup_hourly`
 * holds counts, sums, minima and maxima per hour × dimension values; `rollup_users` the exact set of user ids seen
 * per hour (so distinct users over whole hours are exact).
 */
export const ROLLUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS rollup_hourly (ts INTEGER NOT NULL, dims TEXT NOT NULL,
  ${ROLLUP_FIELDS.map((f) => `${f.column} ${f.type === 'keyword' ? 'TEXT' : 'INTEGER'}`).join(', ')},
  n INTEGER NOT NULL, rt_n INTEGER NOT NULL, rt_sum REAL NOT NULL, rt_min REAL, rt_max REAL,
  amt_n INTEGER NOT NULL, amt_sum REAL NOT NULL, amt_min REAL, amt_max REAL,
  PRIMARY KEY (ts, dims)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_users (ts INTEGER NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (ts, user_id)) WITHOUT ROWID;
${HOURLY_COUNT_TABLES.map(
  (table) => `CREATE TABLE IF NOT EXISTS ${table} (ts INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY (ts, kind, value)) WITHOUT ROWID;`,
).join('\n')}
`;

const MEASURES = ['n', 'rt_n', 'rt_sum', 'rt_min', 'rt_max', 'amt_n', 'amt_sum', 'amt_min', 'amt_max'] as const;
const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
const keep = (op: '<' | '>', c: string): string =>
  `${c} = CASE WHEN ${c} IS NULL OR excluded.${c} ${op} ${c} THEN excluded.${c} ELSE ${c} END`;
const H = ROLLUP_BUCKET_MS;

interface Cell {
  ts: number;
  dims: string;
  values: (string | number | null)[];
  n: number;
  rtN: number;
  rtSum: number;
  rtMin: number | null;
  rtMax: number | null;
  amtN: number;
  amtSum: number;
  amtMin: number | null;
  amtMax: number | null;
}

/** The rollup cell an event counts in: its hour, its dimension values and their key (`dims`). */
export function rollupCellOf(
  ts: number,
  facts: readonly (string | number | null)[],
): { hour: number; values: (string | number | null)[]; dims: string } {
  const values = DIM_INDEX.map((i) => facts[i] ?? null);
  return { hour: Math.floor(ts / H) * H, values, dims: JSON.stringify(values) };
}

/** Accumulates rollup cells over one indexer transaction (`add` per event) and merges them into the tables (`flush`). */
export function createRollupWriter(db: DatabaseSync) {
  const upsert = db.prepare(
    `INSERT INTO rollup_hourly (ts, dims, ${DIMENSIONS.join(', ')}, ${MEASURES.join(', ')})
     VALUES (?, ?, ${DIMENSIONS.map(() => '?').join(', ')}, ${MEASURES.map(() => '?').join(', ')})
     ON CONFLICT (ts, dims) DO UPDATE SET n = n + excluded.n, rt_n = rt_n + excluded.rt_n, rt_sum = rt_sum + excluded.rt_sum,
       ${keep('<', 'rt_min')}, ${keep('>', 'rt_max')}, amt_n = amt_n + excluded.amt_n, amt_sum = amt_sum + excluded.amt_sum,
       ${keep('<', 'amt_min')}, ${keep('>', 'amt_max')}`,
  );
  const addUser = db.prepare('INSERT OR IGNORE INTO rollup_users (ts, user_id) VALUES (?, ?)');
  const addCount = new Map(
    HOURLY_COUNT_TABLES.map((table) => [
      table,
      db.prepare(
        `INSERT INTO ${table} (ts, kind, value, n) VALUES (?, ?, ?, ?) ON CONFLICT (ts, kind, value) DO UPDATE SET n = n + excluded.n`,
      ),
    ]),
  );
  const cells = new Map<string, Cell>();
  const users = new Set<string>();
  const counts = new Map<string, { table: string; hour: number; kind: string; value: string; n: number }>();
  return {
    /** Counts one indexed event (its `facts` values in `FACT_COLUMNS` order). */
    add(ts: number, facts: readonly (string | number | null)[]): void {
      const { hour, values, dims } = rollupCellOf(ts, facts);
      const id = `${hour}\u0000${dims}`;
      let cell = cells.get(id);
      if (!cell) {
        cell = {
          ts: hour,
          dims,
          values,
          n: 0,
          rtN: 0,
          rtSum: 0,
          rtMin: null,
          rtMax: null,
          amtN: 0,
          amtSum: 0,
          amtMin: null,
          amtMax: null,
        };
        cells.set(id, cell);
      }
      cell.n++;
      const ms = facts[RESPONSE_MS];
      if (typeof ms === 'number') {
        cell.rtN++;
        cell.rtSum += ms;
        cell.rtMin = minOf(cell.rtMin, ms);
        cell.rtMax = maxOf(cell.rtMax, ms);
      }
      const amount = facts[AMOUNT];
      if (typeof amount === 'number') {
        cell.amtN++;
        cell.amtSum += amount;
        cell.amtMin = minOf(cell.amtMin, amount);
        cell.amtMax = maxOf(cell.amtMax, amount);
      }
      const user = facts[USER_ID];
      if (typeof user === 'string') users.add(`${hour}\u0000${user}`);
      for (const c of hourlyCountsOf(ts, facts)) {
        const key = `${c.table}\u0000${c.hour}\u0000${c.kind}\u0000${c.value}`;
        const have = counts.get(key);
        if (have) have.n++;
        else counts.set(key, { ...c, n: 1 });
      }
    },
    /** Writes the accumulated cells (call inside the indexer's transaction). */
    flush(): void {
      for (const c of cells.values()) {
        upsert.run(
          c.ts,
          c.dims,
          ...c.values,
          c.n,
          c.rtN,
          c.rtSum,
          c.rtMin,
          c.rtMax,
          c.amtN,
          c.amtSum,
          c.amtMin,
          c.amtMax,
        );
      }
      for (const key of users) {
        const cut = key.indexOf('\u0000');
        addUser.run(Number(key.slice(0, cut)), key.slice(cut + 1));
      }
      for (const c of counts.values()) addCount.get(c.table)?.run(c.hour, c.kind, c.value, c.n);
      cells.clear();
      users.clear();
      counts.clear();
    },
    /** Forgets what was accumulated (after a rolled-back transaction). */
    discard(): void {
      cells.clear();
      users.clear();
      counts.clear();
    },
  };
}

// LogFilter keys a rollup can answer (each maps to a dimension column); any other key set means a scan of `facts`.
const ROLLUP_FILTER_KEYS = new Set(['range', ...ROLLUP_FIELDS.flatMap((f) => (f.filter ? [f.filter] : []))]);
const ROLLUP_TERMS: Partial<Record<TermsField, string>> = Object.fromEntries(
  ROLLUP_FIELDS.map((f) => [f.name, f.column]),
);
const ROLLUP_NUMERIC: Partial<Record<NumericField, 'rt' | 'amt'>> = Object.fromEntries(
  (FIELD_CATALOG as readonly FieldSpec[]).flatMap((f) => (f.measure ? [[f.name, f.measure]] : [])),
);

/**
 * A row source equivalent to `facts` restricted by `filter`, made of rollup rows for the whole hours inside the
 * range and of `facts` rows for the partial hours at its edges, so results are exact. Columns: `ts`, the dimensions
 * and the measures (a `facts` row counts as one event). `null` when the filter needs a column the rollups lack, or
 * when the range spans no whole hour (a scan of `facts` is then cheap).
 */
function sourceOf(
  filter: LogFilter,
  codes: CodeLookup,
  onlyRange = false,
): { sql: string; params: SQLInputValue[]; hours: [number, number]; edges: [number, number][] } | null {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (!ROLLUP_FILTER_KEYS.has(key) || (onlyRange && key !== 'range')) return null;
  }
  const from = filter.range?.from;
  const to = filter.range?.to;
  const start = from === undefined ? -8.64e15 : Math.ceil(from / H) * H;
  const end = to === undefined ? 8.64e15 : Math.floor(to / H) * H;
  if (start >= end) return null;
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  const rolled = whereOf({ ...filter, range: { from: start, to: end } });
  parts.push(
    `SELECT f.ts, ${DIMENSIONS.map((d) => `f.${d}`).join(', ')}, ${MEASURES.map((m) => `f.${m}`).join(', ')} FROM rollup_hourly f WHERE ${rolled.sql}`,
  );
  params.push(...rolled.params);
  const edges: [number, number][] = [];
  if (from !== undefined && from < start) edges.push([from, start]);
  if (to !== undefined && end < to) edges.push([end, to]);
  for (const [a, b] of edges) {
    const edge = whereOf({ ...filter, range: { from: a, to: b } }, { codes });
    parts.push(
      `SELECT f.ts, ${DIMENSIONS.map((d) => `${valueOf(d, `f.${d}`)} AS ${d}`).join(', ')}, 1, f.response_ms IS NOT NULL, f.response_ms, f.response_ms, f.response_ms,
       f.amount IS NOT NULL, f.amount, f.amount, f.amount FROM facts f WHERE ${edge.sql}`,
    );
    params.push(...edge.params);
  }
  return { sql: `(${parts.join(' UNION ALL ')})`, params, hours: [start, end], edges };
}

/**
 * Aggregations answered from the rollups when the filter allows it; each method returns `undefined` when it
 * cannot answer, and the caller scans `facts` instead.
 */
export function createRollupQueries(db: DatabaseSync) {
  const all = <T>(sql: string, params: SQLInputValue[]): T[] => db.prepare(sql).all(...params) as T[];
  const codes = createCodeLookup(db);
  const rollupSource = (filter: LogFilter, onlyRange = false) => sourceOf(filter, codes, onlyRange);
  /** Terms of an `hourlyCounts` field over a range alone (and kinds): its table for whole hours, `facts` at the edges. */
  const hourlyTerms = (counted: (typeof HOURLY_COUNTS)[number], filter: LogFilter, size: number) => {
    const { kinds, ...rest } = filter;
    const src = rollupSource(rest, true);
    if (!src) return undefined;
    const byKind = kinds && kinds.length > 0 ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
    const kindParams: SQLInputValue[] = kinds && kinds.length > 0 ? [...kinds] : [];
    const parts = [`SELECT value, n FROM ${counted.table} WHERE ts >= ? AND ts < ?${byKind}`];
    const params: SQLInputValue[] = [...src.hours, ...kindParams];
    for (const [a, b] of src.edges) {
      const edge = whereOf({ ...filter, range: { from: a, to: b } }, { codes });
      parts.push(
        `SELECT ${valueOf(counted.column, `f.${counted.column}`)} AS value, 1 AS n FROM facts f WHERE ${edge.sql} AND f.${counted.column} IS NOT NULL`,
      );
      params.push(...edge.params);
    }
    return all<{ value: string | number; count: number; sum?: number | null }>(
      `SELECT value, SUM(n) AS count FROM (${parts.join(' UNION ALL ')}) GROUP BY value ORDER BY count DESC, value LIMIT ?`,
      [...params, size],
    );
  };
  return {
    count(filter: LogFilter): number | undefined {
      const src = rollupSource(filter);
      if (!src) return undefined;
      return Number(all<{ n: number | null }>(`SELECT SUM(n) AS n FROM ${src.sql}`, src.params)[0]?.n ?? 0);
    },
    terms(filter: LogFilter, field: TermsField, size: number, sum: NumericField | undefined) {
      const counted = HOURLY_COUNTS.find((c) => c.name === field);
      if (counted) return sum === undefined ? hourlyTerms(counted, filter, size) : undefined;
      const column = ROLLUP_TERMS[field];
      const measure = sum === undefined ? undefined : ROLLUP_NUMERIC[sum];
      const src = column && (sum === undefined || measure) ? rollupSource(filter) : null;
      if (!src || !column) return undefined;
      return all<{ value: string | number; count: number; sum?: number | null }>(
        `SELECT ${column} AS value, SUM(n) AS count${measure ? `, SUM(${measure}_sum) AS sum` : ''} FROM ${src.sql}
         WHERE ${column} IS NOT NULL GROUP BY ${column} ORDER BY count DESC, value LIMIT ?`,
        [...src.params, size],
      );
    },
    histogram(filter: LogFilter, interval: number, errors: boolean, sum: NumericField | undefined) {
      const measure = sum === undefined ? undefined : ROLLUP_NUMERIC[sum];
      if (interval % H !== 0 || (sum !== undefined && !measure)) return undefined;
      const src = rollupSource(filter);
      if (!src) return undefined;
      return all<{ ts: number; count: number; errors?: number; sum?: number | null }>(
        `SELECT CAST(ts / ? AS INTEGER) * ? AS ts, SUM(n) AS count
         ${errors ? ", SUM(CASE WHEN level IN ('error', 'fatal') THEN n ELSE 0 END) AS errors" : ''}
         ${measure ? `, SUM(${measure}_sum) AS sum` : ''} FROM ${src.sql} GROUP BY 1 ORDER BY 1`,
        [interval, interval, ...src.params],
      );
    },
    stats(filter: LogFilter, field: NumericField) {
      const m = ROLLUP_NUMERIC[field];
      const src = m ? rollupSource(filter) : null;
      if (!src || !m) return undefined;
      const row = all<{ count: number | null; sum: number | null; min: number | null; max: number | null }>(
        `SELECT SUM(${m}_n) AS count, SUM(${m}_sum) AS sum, MIN(${m}_min) AS min, MAX(${m}_max) AS max FROM ${src.sql}`,
        src.params,
      )[0];
      const count = Number(row?.count ?? 0);
      const total = count === 0 ? 0 : (row?.sum ?? 0);
      return {
        count,
        sum: total,
        min: count === 0 ? null : (row?.min ?? null),
        max: count === 0 ? null : (row?.max ?? null),
        avg: count === 0 ? null : total / count,
      };
    },
    cardinality(filter: LogFilter, field: TermsField): number | undefined {
      if (field === 'user_id') {
        const src = rollupSource(filter, true);
        if (!src) return undefined;
        // Whole hours from the per-hour user sets, partial hours from `facts`.
        const parts = ['SELECT user_id FROM rollup_users WHERE ts >= ? AND ts < ?'];
        const params: SQLInputValue[] = [...src.hours];
        for (const edge of src.edges) {
          parts.push('SELECT user_id FROM facts WHERE ts >= ? AND ts < ? AND user_id IS NOT NULL');
          params.push(...edge);
        }
        return Number(
          all<{ n: number }>(`SELECT COUNT(DISTINCT user_id) AS n FROM (${parts.join(' UNION ALL ')})`, params)[0]?.n ??
            0,
        );
      }
      const column = ROLLUP_TERMS[field];
      const src = column ? rollupSource(filter) : null;
      if (!src || !column) return undefined;
      return Number(all<{ n: number }>(`SELECT COUNT(DISTINCT ${column}) AS n FROM ${src.sql}`, src.params)[0]?.n ?? 0);
    },
  };
}
