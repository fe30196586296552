import type { SQLInputValue } from 'node:sqlite';
import type { LogFilter, NumericField, SortField, TermsField } from '../ports.js';

/** Column of each keyword field in `facts` (fraud reasons live in their own table). */
export const TERMS_COLUMNS: Record<Exclude<TermsField, 'fraud_reason'>, string> = {
  kind: 'kind',
  level: 'level',
  service: 'service',
  route: 'route',
  http_status: 'http_status',
  user_id: 'user_id',
  session_id: 'session_id',
  action: 'action',
  product: 'product',
  payment_method: 'payment_method',
  transaction_status: 'tx_status',
  currency: 'currency',
  error_type: 'error_type',
  error_code: 'error_code',
  db_operation: 'db_operation',
  performance_kind: 'perf_kind',
  fraud_decision: 'fraud_decision',
  risk_level: 'risk_level',
};

/** Column of each numeric field. */
export const NUMERIC_COLUMNS: Record<NumericField, string> = {
  amount: 'amount',
  response_time_ms: 'response_ms',
  fraud_score: 'fraud_score',
};

/** Column of each sort field. */
export const SORT_COLUMNS: Record<SortField, string> = {
  '@timestamp': 'ts',
  amount: 'amount',
  response_time: 'response_ms',
  fraud_score: 'fraud_score',
};

/**
 * The FTS5 query of a free text: each word as a quoted term, all required; a trailing `*` on a word makes it a
 * prefix (prefix scans over a large index are slow, so they are opt-in). `null` when it has no word.
 */
export function ftsQuery(text: string | undefined): string | null {
  const words = textTerms(text, true);
  return words.length === 0 ? null : words.map((word) => (word.endsWith('*') ? `"${word.slice(0, -1)}"*` : `"${word}"`)).join(' ');
}

/** The lower-cased words of a free text (letters, digits, underscore), at most 32; with `prefixes`, a trailing `*` is kept. */
export function textTerms(text: string | undefined, prefixes = false): string[] {
  if (!text) return [];
  return (text.toLowerCase().match(prefixes ? /[\p{L}\p{N}_]+\*?/gu : /[\p{L}\p{N}_]+/gu) ?? []).slice(0, 32);
}

/** Whether a word of a text matches a query term (`term*` matches by prefix, else the whole word). */
export function termMatches(word: string, term: string): boolean {
  return term.endsWith('*') ? word.startsWith(term.slice(0, -1)) : word === term;
}

/** A WHERE clause (without the keyword; `1` when empty) over `facts f`, with its parameters. */
export function whereOf(filter: LogFilter | undefined): { sql: string; params: SQLInputValue[] } {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  if (!filter) return { sql: '1', params };
  const inList = (column: string, values: readonly (string | number)[] | undefined): void => {
    if (!values || values.length === 0) return;
    parts.push(`f.${column} IN (${values.map(() => '?').join(',')})`);
    params.push(...values);
  };
  if (filter.range?.from !== undefined) {
    parts.push('f.ts >= ?');
    params.push(filter.range.from);
  }
  if (filter.range?.to !== undefined) {
    parts.push('f.ts < ?');
    params.push(filter.range.to);
  }
  inList('kind', filter.kinds);
  inList('level', filter.levels);
  inList('service', filter.services);
  inList('user_id', filter.userIds);
  inList('route', filter.routes);
  inList('http_status', filter.httpStatuses);
  inList('tx_status', filter.transactionStatuses);
  inList('session_id', filter.sessionIds);
  inList('action', filter.actions);
  inList('fraud_decision', filter.fraudDecisions);
  inList('payment_method', filter.paymentMethods);
  inList('currency', filter.currencies);
  inList('perf_kind', filter.performanceKinds);
  if (filter.minFraudScore !== undefined) {
    parts.push('f.fraud_score >= ?');
    params.push(filter.minFraudScore);
  }
  if (filter.maxFraudScore !== undefined) {
    parts.push('f.fraud_score < ?');
    params.push(filter.maxFraudScore);
  }
  if (filter.minAmount !== undefined) {
    parts.push('f.amount >= ?');
    params.push(filter.minAmount);
  }
  if (filter.maxAmount !== undefined) {
    parts.push('f.amount <= ?');
    params.push(filter.maxAmount);
  }
  if (filter.minResponseTimeMs !== undefined) {
    parts.push('f.response_ms >= ?');
    params.push(filter.minResponseTimeMs);
  }
  const fts = ftsQuery(filter.text);
  if (fts) {
    parts.push('f.seq IN (SELECT rowid FROM fts WHERE fts MATCH ?)');
    params.push(fts);
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
