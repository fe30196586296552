import type { estypes } from '@elastic/elasticsearch';
import { DATASETS } from '@shoplog/core';
import type { LogFilter, NumericField, SortField, TermsField } from '../../ports.js';

/** Field of each keyword grouping (`shoplog.*` are the runtime fields of the mappings). */
export const TERMS_FIELDS: Record<TermsField, string> = {
  kind: 'event.dataset',
  level: 'log.level',
  service: 'service.name',
  route: 'shoplog.route',
  http_status: 'http.response.status_code',
  user_id: 'user.id',
  session_id: 'shop.session.id',
  action: 'shop.action',
  product: 'shop.product.id',
  payment_method: 'shop.payment.method',
  transaction_status: 'shop.transaction.status',
  currency: 'shop.amount.currency',
  error_type: 'error.type',
  error_code: 'shoplog.error_code',
  db_operation: 'shoplog.db_operation',
  performance_kind: 'shop.performance.kind',
  fraud_decision: 'shop.fraud.decision',
  risk_level: 'shop.fraud.risk_level',
  fraud_reason: 'shop.fraud.reasons.code',
};

/** Field of each numeric metric. */
export const NUMERIC_FIELDS: Record<NumericField, string> = {
  amount: 'shoplog.amount',
  response_time_ms: 'shoplog.response_ms',
  fraud_score: 'shop.fraud.score',
};

/** Field of each sort. */
export const SORT_FIELDS: Record<SortField, string> = {
  '@timestamp': '@timestamp',
  amount: 'shoplog.amount',
  response_time: 'event.duration',
  fraud_score: 'shop.fraud.score',
};

/**
 * The words of a free text as the embedded store reads them (lower case, letters/digits/underscore, at most 32);
 * with `prefixes`, a trailing `*` is kept and makes that word a prefix.
 */
export function textWords(text: string | undefined, prefixes = false): string[] {
  if (!text) return [];
  return (text.toLowerCase().match(prefixes ? /[\p{L}\p{N}_]+\*?/gu : /[\p{L}\p{N}_]+/gu) ?? []).slice(0, 32);
}

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
  terms('event.dataset', filter.kinds?.map((kind) => DATASETS[kind]));
  terms('log.level', filter.levels);
  terms('service.name', filter.services);
  terms('user.id', filter.userIds);
  terms('shoplog.route', filter.routes);
  terms('http.response.status_code', filter.httpStatuses);
  terms('shop.transaction.status', filter.transactionStatuses);
  terms('shop.session.id', filter.sessionIds);
  terms('shop.action', filter.actions);
  terms('shop.fraud.decision', filter.fraudDecisions);
  terms('shop.payment.method', filter.paymentMethods);
  terms('shop.amount.currency', filter.currencies);
  terms('shop.performance.kind', filter.performanceKinds);
  if (filter.minFraudScore !== undefined || filter.maxFraudScore !== undefined) {
    clauses.push({
      range: {
        'shop.fraud.score': {
          ...(filter.minFraudScore === undefined ? {} : { gte: filter.minFraudScore }),
          ...(filter.maxFraudScore === undefined ? {} : { lt: filter.maxFraudScore }),
        },
      },
    });
  }
  if (filter.minAmount !== undefined || filter.maxAmount !== undefined) {
    clauses.push({
      range: {
        'shoplog.amount': {
          ...(filter.minAmount === undefined ? {} : { gte: filter.minAmount }),
          ...(filter.maxAmount === undefined ? {} : { lte: filter.maxAmount }),
        },
      },
    });
  }
  if (filter.minResponseTimeMs !== undefined) {
    clauses.push({ range: { 'event.duration': { gte: Math.ceil(filter.minResponseTimeMs * 1e6) } } });
  }
  if (filter.text !== undefined && filter.text.trim() !== '') {
    const words = textWords(filter.text, true);
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
