import { completeMoney, currencyExponent, type EventKind, type Money } from '../schema/common.js';
import { msToNs } from '../builders.js';
import type { SeedReader } from './reader.js';

/** A partly built envelope: nested plain objects. */
export type Draft = Record<string, unknown>;

// The mapping puts the same few dozen paths on every document: split each once (labels.<seed key> paths vary, so
// the cache is bounded).
const SPLIT = new Map<string, string[]>();
const SPLIT_LIMIT = 1024;

function keysOf(path: string): string[] {
  let keys = SPLIT.get(path);
  if (keys === undefined) {
    keys = path.split('.');
    if (SPLIT.size < SPLIT_LIMIT) SPLIT.set(path, keys);
  }
  return keys;
}

/** Sets a dotted path in a draft, creating objects on the way; `undefined` values are skipped. */
export function put(draft: Draft, path: string, value: unknown): void {
  if (value === undefined) return;
  const keys = keysOf(path);
  let at = draft;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    let next = at[key] as Draft | undefined;
    if (typeof next !== 'object' || next === null) at[key] = next = {};
    at = next;
  }
  at[keys[keys.length - 1] as string] = value;
}

/** Reads `key` and maps it through `synonyms` (lower-cased, spaces and dashes as `_`); an issue when unknown. */
function choice<T extends string>(
  r: SeedReader,
  key: string,
  synonyms: Record<string, T>,
  fallback?: T,
): T | undefined {
  const v = r.str(key);
  if (v === undefined) return fallback;
  const mapped = synonyms[v.toLowerCase().replace(/[\s-]+/g, '_')];
  if (mapped === undefined)
    r.issue(key, `must be one of ${[...new Set(Object.keys(synonyms))].join(', ')}; got ${JSON.stringify(v)}`);
  return mapped;
}

const STATUS = {
  completed: 'completed',
  complete: 'completed',
  success: 'completed',
  succeeded: 'completed',
  successful: 'completed',
  paid: 'completed',
  approved: 'completed',
  captured: 'completed',
  pending: 'pending',
  processing: 'pending',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  declined: 'declined',
  refused: 'declined',
  rejected: 'declined',
  refunded: 'refunded',
  cancelled: 'cancelled',
  canceled: 'cancelled',
} as const;
const TX_TYPE = {
  purchase: 'purchase',
  sale: 'purchase',
  payment: 'purchase',
  order: 'purchase',
  refund: 'refund',
  subscription: 'subscription',
  authorization: 'authorization',
  authorisation: 'authorization',
  capture: 'capture',
  payout: 'payout',
} as const;
const ACTIONS = {
  page_view: 'page_view',
  pageview: 'page_view',
  view: 'page_view',
  search: 'search',
  add_to_cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  checkout: 'checkout_started',
  checkout_started: 'checkout_started',
  begin_checkout: 'checkout_started',
  checkout_completed: 'checkout_completed',
  purchase: 'checkout_completed',
  cart_abandoned: 'cart_abandoned',
  cart_abandonment: 'cart_abandoned',
} as const;

/** The seed's own rule weights (inventory: "Fraud rules of the seed"), used as contributions of its indicators. */
const SEED_RULE_WEIGHTS: Record<string, number> = {
  HIGH_AMOUNT: 20,
  RAPID_TRANSACTIONS: 25,
  SUSPICIOUS_LOCATION: 15,
  IP_MISMATCH: 30,
  MULTIPLE_FAILED_ATTEMPTS: 20,
};

/** Money from a float or decimal string amount and a currency (default `defaultCurrency`). */
export function readMoney(r: SeedReader, amountKey: string, defaultCurrency: string): Money | undefined {
  const raw = r.raw(amountKey);
  if (raw === undefined) return undefined;
  const currency = (r.str('currency') ?? defaultCurrency).toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency))
    return r.issue('currency', `must be an ISO 4217 code such as EUR or USD; got ${JSON.stringify(currency)}`);
  const exp = currencyExponent(currency);
  let value: string | undefined;
  if (typeof raw === 'number' && Number.isFinite(raw)) value = raw.toFixed(exp);
  else if (typeof raw === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(raw)) {
    const [whole = '0', frac = ''] = raw.trim().split('.');
    // Round only when the string has more digits than the currency (a float printed by the seed's generator).
    value = frac.length > exp ? Number(raw).toFixed(exp) : exp === 0 ? whole : `${whole}.${frac.padEnd(exp, '0')}`;
  }
  if (value === undefined || value.replace(/^-/, '').split('.')[0]!.length > 15) {
    return r.issue(amountKey, `must be a decimal amount such as 99.99; got ${JSON.stringify(raw)}`);
  }
  if (/^-0(?:\.0*)?$/.test(value)) value = value.slice(1);
  return completeMoney({ currency, value });
}

function msToDuration(r: SeedReader, key: string): number | undefined {
  const ms = r.num(key);
  if (ms === undefined) return undefined;
  return ms < 0 ? r.issue(key, 'must not be negative') : msToNs(ms);
}

function transaction(r: SeedReader, d: Draft, currency: string): void {
  const orderId = r.str('order_id');
  const id = r.str('transaction_id') ?? orderId;
  if (id === undefined) r.issue('transaction_id', 'is required for a transaction (or order_id)');
  const status = choice(r, 'status', STATUS, 'completed');
  put(d, 'shop.transaction', { id, type: choice(r, 'transaction_type', TX_TYPE, 'purchase'), status });
  const amount = readMoney(r, 'amount', currency);
  if (amount === undefined && !r.issues.some((i) => i.path === 'amount' || i.path === 'currency'))
    r.issue('amount', 'is required for a transaction');
  put(d, 'shop.amount', amount);
  if (orderId !== undefined) put(d, 'shop.order.id', orderId);
  put(d, 'shop.payment.method', r.str('payment_method'));
  put(d, 'shop.merchant.id', r.str('merchant_id'));
  put(d, 'shop.session.id', r.str('session_id'));
  put(
    d,
    'event.outcome',
    status === 'completed' ? 'success' : status === 'failed' || status === 'declined' ? 'failure' : 'unknown',
  );
}

function error(r: SeedReader, d: Draft): void {
  const code = r.str('error_code');
  const status = code !== undefined && /^[1-5]\d\d$/.test(code) ? Number(code) : undefined;
  const type = r.str('error_type');
  const message = r.str('error_message');
  put(d, 'error.code', code);
  put(d, 'error.type', type);
  put(d, 'error.message', message ?? (d.message as string | undefined));
  put(d, 'error.stack_trace', r.str('stack_trace'));
  if (status !== undefined) put(d, 'http.response.status_code', status);
  if (d.message === undefined) put(d, 'message', message ?? type);
  const kind =
    status !== undefined
      ? 'http'
      : /timeout/i.test(type ?? '')
        ? 'timeout'
        : /validation/i.test(type ?? '')
          ? 'validation'
          : 'exception';
  put(d, 'shop.error.kind', kind);
  put(d, 'shop.session.id', r.str('session_id'));
  put(d, 'event.outcome', 'failure');
}

function userBehavior(r: SeedReader, d: Draft): void {
  const action = choice(r, 'action', ACTIONS);
  if (action === undefined && !r.issues.some((i) => i.path === 'action'))
    r.issue('action', `is required for user_behavior, one of ${Object.keys(ACTIONS).join(', ')}`);
  put(d, 'shop.action', action);
  const session = r.str('session_id');
  if (session === undefined) r.issue('session_id', 'is required for user_behavior');
  put(d, 'shop.session.id', session);
  const page = r.str('page');
  put(d, 'shop.page.name', page);
  if (page?.startsWith('/') && (d.url as Draft | undefined)?.path === undefined) put(d, 'url.path', page);
  put(d, 'event.duration', msToDuration(r, 'duration_ms'));
  const product = r.str('product_id');
  if (product !== undefined) {
    put(d, 'shop.product.id', product);
    put(d, 'shop.product.quantity', r.num('quantity'));
  }
  const query = r.str('query') ?? r.str('search_query');
  if (query !== undefined) put(d, 'shop.search.query', query);
}

function performance(r: SeedReader, d: Draft): void {
  const response = msToDuration(r, 'response_time');
  const db = msToDuration(r, 'db_query_time');
  if (response === undefined && db === undefined && !r.issues.length)
    r.issue('response_time', 'is required for performance (milliseconds), or db_query_time');
  put(d, 'event.duration', response ?? db);
  put(d, 'shop.performance', {
    kind: response === undefined && db !== undefined ? 'db' : 'http',
    ...(response !== undefined && db !== undefined ? { db_duration: db } : {}),
    ...(r.has('cache_hit') ? { cache_hit: r.bool('cache_hit') } : {}),
    ...(r.has('operation') ? { operation: r.str('operation') } : {}),
  });
}

function reasonCode(indicator: string): string {
  const code = indicator
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z]/.test(code) ? code : `SEED_${code || 'INDICATOR'}`;
}

function fraud(r: SeedReader, d: Draft, currency: string): void {
  const id = r.str('transaction_id') ?? r.str('order_id');
  if (id === undefined) r.issue('transaction_id', 'is required for a fraud event');
  put(d, 'shop.transaction.id', id);
  const raw = r.num('fraud_score');
  if (raw === undefined && !r.issues.some((i) => i.path === 'fraud_score'))
    r.issue('fraud_score', 'is required for a fraud event');
  // The seed never clamped its score (rule weights add up to 110): clamp to the 0–100 of the schema.
  const score = Math.min(100, Math.max(0, raw ?? 0));
  const detected = r.bool('fraud_detected');
  const risk = score >= 75 ? 'high' : score >= 50 ? 'medium' : score >= 25 ? 'low' : 'minimal';
  const reasons = (r.list('fraud_indicators') ?? []).slice(0, 64).map((indicator) => {
    const code = reasonCode(indicator);
    return { code, contribution: SEED_RULE_WEIGHTS[code] ?? 0, detail: indicator };
  });
  put(d, 'shop.fraud', {
    score,
    risk_level: risk,
    decision: detected === true || score >= 75 ? 'block' : score >= 50 ? 'review' : 'allow',
    reasons: reasons.sort((a, b) => b.contribution - a.contribution),
    ruleset_version: 'seed',
  });
  put(d, 'shop.amount', readMoney(r, 'amount', currency));
}

/** Fills the kind-specific part of a draft from a flat seed document. */
export function mapSeedKind(kind: EventKind, r: SeedReader, d: Draft, defaultCurrency: string): void {
  if (kind === 'transaction') transaction(r, d, defaultCurrency);
  else if (kind === 'error') error(r, d);
  else if (kind === 'user_behavior') userBehavior(r, d);
  else if (kind === 'performance') performance(r, d);
  else if (kind === 'fraud') fraud(r, d, defaultCurrency);
  // `log`: a plain line has no shop fields of its own; the common ones are already mapped.
}
