import type { estypes } from '@elastic/elasticsearch';
import { FIELD_CATALOG, textTerms, type FieldSpec } from '@shoplog/core';
import type { LogFilter, NumericField, SortField, TermsField } from '../../ports.js';

const FIELDS: readonly FieldSpec[] = FIELD_CATALOG;
/** The Elasticsearch field of a catalogued field: its runtime field (`shoplog.*` of the mappings), else its path. */
const esField = (f: FieldSpec): string => f.es ?? (typeof f.path === 'string' ? f.path : (f.path[0] ?? ''));
/** Filters and sorts of a scaled field go to its stored field (indexed), with the bounds scaled. */
const rawField = (f: FieldSpec): string =>
  f.scale === undefined ? esField(f) : typeof f.path === 'string' ? f.path : esField(f);
const catalogMap = <K extends string>(entries: (readonly [string, string])[]): Record<K, string> =>
  Object.fromEntries(entries) as Record<K, string>;

/** Field of each keyword grouping (`shoplog.*` are the runtime fields of the mappings). */
export const TERMS_FIELDS = catalogMap<TermsField>(
  FIELDS.flatMap((f) => (f.aggregate === 'terms' ? [[f.name, esField(f)] as const] : [])),
);

/** Field of each numeric metric. */
export const NUMERIC_FIELDS = catalogMap<NumericField>(
  FIELDS.flatMap((f) => (f.aggregate === 'metric' ? [[f.name, esField(f)] as const] : [])),
);

/** Field of each sort. */
export const SORT_FIELDS = catalogMap<SortField>([
  ['@timestamp', '@timestamp'],
  ...FIELDS.flatMap((f) => (f.sort ? [[f.sort, rawField(f)] as const] : [])),
]);

/** The catalog's `in` filters (values with the stored prefix put back) and `range` filters. */
const IN_FILTERS = FIELDS.flatMap((f) =>
  f.filter ? [{ key: f.filter, field: esField(f), prefix: f.prefix ?? '', when: f.es ? undefined : f.when }] : [],
);
const RANGE_FILTERS = FIELDS.flatMap((f) => (f.range ? [{ ...f.range, field: rawField(f), scale: f.scale }] : []));

/** One word as a query on `field`: the whole term, or a prefix when it ends with `*` (the embedded store's rule). */
const wordQuery = (field: string, word: string): estypes.QueryDslQueryContainer =>
  word.endsWith('*') ? { prefix: { [field]: { value: word.slice(0, -1) } } } : { term: { [field]: { value: word } } };

/**
 * The free-text clause: every word must match, anywhere in the fields copied into `shoplog.text` — as a whole
 * word, or as a prefix when it ends with `*`.
 */
export function textQuery(words: readonly string[], field = 'shoplog.text'): estypes.QueryDslQueryContainer {
  return {
    bool: {
      filter: words.map((word) => wordQuery(field, word)),
      // Scores relevance like a match on the whole text, so `score` orders hits as a user expects.
      should: [{ match: { [field]: { query: words.map((word) => word.replace(/\*$/, '')).join(' ') } } }],
    },
  };
}

/** The Elasticsearch query of a filter: a bool of non-scoring filters plus the scored free text. */
export function filterQuery(filter: LogFilter | undefined): estypes.QueryDslQueryContainer {
  if (!filter) return { match_all: {} };
  const must: estypes.QueryDslQueryContainer[] = [];
  const clauses: estypes.QueryDslQueryContainer[] = [];
  const terms = (field: string, values: readonly (string | number)[] | undefined): void => {
    if (values && values.length > 0) clauses.push({ terms: { [field]: [...values] } });
  };
  if (filter.range && (filter.range.from !== undefined || filter.range.to !== undefined)) {
    clauses.push({
      range: {
        '@timestamp': {
          ...(filter.range.from === undefined ? {} : { gte: filter.range.from }),
          ...(filter.range.to === undefined ? {} : { lt: filter.range.to }),
          format: 'epoch_millis',
        },
      },
    });
  }
  const values = filter as Record<string, unknown>;
  for (const { key, field, prefix, when } of IN_FILTERS) {
    const allowed = values[key] as readonly (string | number)[] | undefined;
    if (!allowed || allowed.length === 0) continue;
    terms(field, prefix ? allowed.map((value) => `${prefix}${value}`) : allowed);
    if (when) clauses.push({ term: { [when.path]: when.equals } });
  }
  for (const { min, max, maxInclusive, field, scale } of RANGE_FILTERS) {
    const low = min === undefined ? undefined : (values[min] as number | undefined);
    const high = max === undefined ? undefined : (values[max] as number | undefined);
    if (low === undefined && high === undefined) continue;
    // A scaled field is stored as integers (`event.duration` in ns): the bounds are rounded to the same values.
    const lowBound = low === undefined ? undefined : scale === undefined ? low : Math.ceil(low * scale);
    const highBound =
      high === undefined
        ? undefined
        : scale === undefined
          ? high
          : maxInclusive
            ? Math.floor(high * scale)
            : Math.ceil(high * scale);
    clauses.push({
      range: {
        [field]: {
          ...(lowBound === undefined ? {} : { gte: lowBound }),
          ...(highBound === undefined ? {} : maxInclusive ? { lte: highBound } : { lt: highBound }),
        },
      },
    });
  }
  if (filter.text !== undefined && filter.text.trim() !== '') {
    const words = textTerms(filter.text, true);
    // Free text without any word (only punctuation) matches nothing rather than everything.
    must.push(words.length === 0 ? { match_none: {} } : textQuery(words));
  }
  if (clauses.length === 0 && must.length === 0) return { match_all: {} };
  return { bool: { filter: clauses, must } };
}

/** The sort of a search: the field, then `event.id` as the unique tie-breaker that `search_after` needs. */
export function searchSort(field: SortField, order: 'asc' | 'desc'): estypes.SortCombinations[] {
  if (field === '@timestamp') return [{ '@timestamp': { order, format: NANOS_FORMAT } }, { 'event.id': { order } }];
  return [
    { [SORT_FIELDS[field]]: { order, missing: order === 'desc' ? '_last' : '_first', unmapped_type: 'long' } },
    { 'event.id': { order } },
  ];
}

/**
 * `@timestamp` is `date_nanos`: as a number its sort value (nanoseconds since the epoch) exceeds 2^53 and would be
 * rounded by JSON.parse, so a cursor could skip or repeat events. Formatted, it round-trips exactly.
 */
export const NANOS_FORMAT = 'strict_date_optional_time_nanos';

/** The query whose terms are marked in `message`: each word as a prefix, in scoring context. */
export function highlightQuery(words: readonly string[]): estypes.QueryDslQueryContainer {
  return { bool: { should: words.map((word) => wordQuery('message', word)) } };
}

/** Encodes a hit's sort values as an opaque cursor. */
export function encodeCursor(sort: estypes.SortResults | undefined): string | null {
  return sort ? Buffer.from(JSON.stringify(sort)).toString('base64url') : null;
}

/** Decodes a cursor, or `undefined` when it is not one of ours (then the search starts from the top). */
export function decodeCursor(cursor: string | undefined): estypes.SortResults | undefined {
  if (!cursor) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v) || v === null)
      ? (value as estypes.SortResults)
      : undefined;
  } catch {
    return undefined;
  }
}
