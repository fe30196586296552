import type { ShoplogEvent } from '@shoplog/core';
import type { LogFilter } from '../ports.js';
import { extractFacts, FACT_COLUMNS } from '../store/sqlite-facts.js';
import { termMatches, textTerms } from '../store/sqlite-filter.js';

const col = (name: (typeof FACT_COLUMNS)[number]): number => FACT_COLUMNS.indexOf(name);

/** Whether an event matches a filter, evaluated in process (live tail, alert previews); same semantics as search. */
export function matchesFilter(event: ShoplogEvent, filter: LogFilter): boolean {
  const ts = Date.parse(event['@timestamp']);
  if (filter.range?.from !== undefined && ts < filter.range.from) return false;
  if (filter.range?.to !== undefined && ts >= filter.range.to) return false;
  const facts = extractFacts(event);
  const value = (name: (typeof FACT_COLUMNS)[number]) => facts.values[col(name)] ?? null;
  const within = (name: (typeof FACT_COLUMNS)[number], allowed: readonly (string | number)[] | undefined): boolean =>
    !allowed || allowed.length === 0 || allowed.includes(value(name) as string | number);
  if (!within('kind', filter.kinds) || !within('level', filter.levels) || !within('service', filter.services)) return false;
  if (!within('user_id', filter.userIds) || !within('route', filter.routes) || !within('http_status', filter.httpStatuses)) return false;
  if (!within('tx_status', filter.transactionStatuses) || !within('session_id', filter.sessionIds)) return false;
  if (!within('action', filter.actions) || !within('fraud_decision', filter.fraudDecisions)) return false;
  if (!within('currency', filter.currencies) || !within('perf_kind', filter.performanceKinds)) return false;
  if (!within('payment_method', filter.paymentMethods)) return false;
  const score = value('fraud_score') as number | null;
  if (filter.minFraudScore !== undefined && (score === null || score < filter.minFraudScore)) return false;
  if (filter.maxFraudScore !== undefined && (score === null || score >= filter.maxFraudScore)) return false;
  const amount = value('amount') as number | null;
  if (filter.minAmount !== undefined && (amount === null || amount < filter.minAmount)) return false;
  if (filter.maxAmount !== undefined && (amount === null || amount > filter.maxAmount)) return false;
  const ms = value('response_ms') as number | null;
  if (filter.minResponseTimeMs !== undefined && (ms === null || ms < filter.minResponseTimeMs)) return false;
  const terms = textTerms(filter.text, true);
  if (terms.length > 0) {
    const words = textTerms(facts.text);
    if (!terms.every((term) => words.some((word) => termMatches(word, term)))) return false;
  }
  return true;
}
