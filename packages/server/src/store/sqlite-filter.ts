import type { SQLInputValue } from 'node:sqlite';
import { FIELD_CATALOG, termMatches, textTerms, type FieldSpec } from '@shoplog/core';
import type { LogFilter, NumericField, SortField, TermsField } from '../ports.js';
import { CODED_COLUMNS, TIME_KEY_SLOTS, timeKey, type CodeLookup } from './sqlite-facts.js';

const FIELDS: readonly FieldSpec[] = FIELD_CATALOG;
const catalogMap = <K extends string>(entries: (readonly [string, string])[]): Record<K, string> =>
  Object.fromEntries(entries) as Record<K, string>;

/** Column of each keyword field in `facts` (fraud reasons live in their own table). */
export const TERMS_COLUMNS = catalogMap<Exclude<TermsField, 'fraud_reason'>>(
  FIELDS.flatMap((f) => (f.aggregate === 'terms' && f.column ? [[f.name, f.column] as const] : [])),
);

/** Column of each numeric field. */
export const NUMERIC_COLUMNS = catalogMap<NumericField>(
  FIELDS.flatMap((f) => (f.aggregate === 'metric' && f.column ? [[f.name, f.column] as const] : [])),
);

/** Column of each sort field. */
export const SORT_COLUMNS = catalogMap<SortField>([
  ['@timestamp', 'ts'],
  ...FIELDS.flatMap((f) => (f.sort && f.column ? [[f.sort, f.column] as const] : [])),
]);

/** The `in` and `range` filters of the catalog over `facts` columns. */
const IN_FILTERS = FIELDS.flatMap((f) => (f.filter && f.column ? [{ key: f.filter, column: f.column }] : []));
const RANGE_FILTERS = FIELDS.flatMap((f) =>
  f.range && f.column
    ? [{ column: f.column, min: f.range.min, max: f.range.max, maxOp: f.range.maxInclusive ? '<=' : '<' }]
    : [],
);

/**
 * The FTS5 query of a free text: each word as a quoted term, all required; a trailing `*` on a word makes it a
 * prefix (prefix scans over a large index are slow, so they are opt-in). `null` when it has no word.
 */
export function ftsQuery(text: string | undefined): string | null {
  const words = textTerms(text, true);
  return words.length === 0
    ? null
    : words.map((word) => (word.endsWith('*') ? `"${word.slice(0, -1)}"*` : `"${word}"`)).join(' ');
}

/** How `whereOf` matches. */
export interface WhereOptions {
  /**
   * Match the text by each row's own time key (`ts × 2^20 + seq mod 2^20`, the key the indexer gives every event
   * unless the timeline's 'untimed' mark says otherwise): the plan of a scan that probes many matches. Otherwise
   * through `time_keys` (one lookup per match: the plan that suits few matches). @default false
   */
  textByTimeKey?: boolean;
  /**
   * The codes of the coded columns (`CODED_COLUMNS`) when `f` is a `facts` row; without it `f` is a `rollup_hourly`
   * row, whose keyword values are text.
   */
  codes?: CodeLookup | undefined;
}

/**
 * A WHERE clause (without the keyword; `1` when empty) over `facts f` (with `codes`) or `rollup_hourly f`, with its
 * parameters.
 */
export function whereOf(
  filter: LogFilter | undefined,
  { textByTimeKey = false, codes }: WhereOptions = {},
): { sql: string; params: SQLInputValue[] } {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  if (!filter) return { sql: '1', params };
  const inList = (column: string, values: readonly (string | number)[] | undefined): void => {
    if (!values || values.length === 0) return;
    const listed = codes && CODED_COLUMNS.has(column) ? codes(column, values) : values;
    // No value known to the dictionary: no row has one.
    parts.push(listed.length === 0 ? '0' : `f.${column} IN (${listed.map(() => '?').join(',')})`);
    params.push(...listed);
  };
  if (filter.range?.from !== undefined) {
    parts.push('f.ts >= ?');
    params.push(filter.range.from);
  }
  if (filter.range?.to !== undefined) {
    parts.push('f.ts < ?');
    params.push(filter.range.to);
  }
  const values = filter as Record<string, unknown>;
  for (const { key, column } of IN_FILTERS) inList(column, values[key] as readonly (string | number)[] | undefined);
  for (const { column, min, max, maxOp } of RANGE_FILTERS) {
    const low = min === undefined ? undefined : values[min];
    const high = max === undefined ? undefined : values[max];
    if (low !== undefined) {
      parts.push(`f.${column} >= ?`);
      params.push(low as number);
    }
    if (high !== undefined) {
      parts.push(`f.${column} ${maxOp} ?`);
      params.push(high as number);
    }
  }
  const fts = ftsQuery(filter.text);
  if (fts) {
    // The text is indexed once, keyed by time: a time range bounds the matches read (untimed keys lie above all).
    const lo = filter.range?.from === undefined ? undefined : timeKey(filter.range.from);
    const hi = filter.range?.to === undefined ? undefined : timeKey(filter.range.to);
    const bounds = `${lo === undefined ? '' : ' AND t.rowid >= ?'}${hi === undefined ? '' : ' AND t.rowid < ?'}`;
    parts.push(
      textByTimeKey
        ? `(f.ts * ${TIME_KEY_SLOTS} + (f.seq & ${TIME_KEY_SLOTS - 1n})) IN (SELECT t.rowid FROM fts_time t WHERE fts_time MATCH ?${bounds})`
        : `f.seq IN (SELECT k.seq FROM fts_time t JOIN time_keys k ON k.key = t.rowid WHERE fts_time MATCH ?${bounds})`,
    );
    params.push(fts, ...(lo === undefined ? [] : [lo]), ...(hi === undefined ? [] : [hi]));
  } else if (filter.text && filter.text.trim() !== '') {
    // Free text without any word (only punctuation) matches nothing rather than everything.
    parts.push('0');
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params };
}

/** HTML-escapes a string. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The message, HTML-escaped, with every word starting with one of `terms` wrapped in `<mark>`. */
export function highlightMessage(message: string, terms: readonly string[]): string | undefined {
  if (terms.length === 0) return undefined;
  let marked = false;
  const out = message.replace(/[\p{L}\p{N}_]+|[^\p{L}\p{N}_]+/gu, (token) => {
    const lower = token.toLowerCase();
    if (/^[\p{L}\p{N}_]/u.test(token) && terms.some((term) => termMatches(lower, term))) {
      marked = true;
      return `<mark>${escapeHtml(token)}</mark>`;
    }
    return escapeHtml(token);
  });
  return marked ? out : undefined;
}
