import { createHash } from 'node:crypto';
import { currencyExponent, DATASETS, EVENT_KINDS, type EventKind, uuidv7 } from '@shoplog/core';
import { toIsoDate } from './dates.js';

type Json = Record<string, unknown>;

const LEVELS: Record<string, string> = {
  trace: 'trace', debug: 'debug', info: 'info', information: 'info', notice: 'info', warn: 'warn', warning: 'warn',
  error: 'error', err: 'error', critical: 'fatal', crit: 'fatal', fatal: 'fatal', alert: 'fatal', emergency: 'fatal',
};
const ACTIONS: Record<string, string> = { checkout: 'checkout_started', purchase: 'checkout_completed', view: 'page_view' };

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A UUID (version 8 layout) derived from the content, so a seed-shaped event re-sent with the same fields dedupes. */
function contentId(input: Json): string {
  const hex = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function kindOf(value: unknown): EventKind | undefined {
  const name = str(value)?.toLowerCase().replace(/-/g, '_');
  if (!name) return undefined;
  const singular = name.endsWith('s') ? name.slice(0, -1) : name;
  return EVENT_KINDS.find((kind) => kind === name || kind === singular || DATASETS[kind] === name);
}

function money(amount: unknown, currency: unknown): Json | undefined {
  const n = num(amount);
  if (n === undefined) return undefined;
  const code = str(currency)?.toUpperCase() ?? 'USD';
  return { currency: code, value: n.toFixed(currencyExponent(code)) };
}

/**
 * Maps the seed platform's flat shapes to the envelope: `{"type": kind, "data": {...}}` and flat documents with
 * `log_type`, `level`, `amount`, `response_time`, `fraud_score`, ... (the seed's generator fields). Inputs that
 * already carry `event.dataset` are returned unchanged (they are validated as envelopes). Stopgap until
 * `normalize()` of @shoplog/core lands: the mapping is the same, the server will call it instead.
 */
export function fromSeedShape(input: unknown, now: number = Date.now()): unknown {
  if (!isObject(input)) return input;
  if (isObject(input.event) && input.event.dataset !== undefined) return input;
  const flat: Json = isObject(input.data) && input.type !== undefined ? { ...input.data, log_type: input.type } : input;
  const kind = kindOf(flat.log_type ?? flat.type ?? flat.kind);
  if (!kind) return input;
  const ts = toIsoDate(flat['@timestamp'] ?? flat.timestamp);
  const id = str(flat.event_id ?? flat.id) ?? (ts ? contentId(flat) : uuidv7(now));
  const level = LEVELS[str(flat.level)?.toLowerCase() ?? ''] ?? (kind === 'error' ? 'error' : 'info');
  const statusCode = num(flat.status_code ?? (kind === 'error' ? flat.error_code : undefined));
  const out: Json = {
    '@timestamp': ts ?? new Date(now).toISOString(),
    event: { id, dataset: DATASETS[kind] },
    log: { level },
    service: { name: str(flat.service ?? flat.source) ?? 'unknown' },
  };
  const message = str(flat.message) ?? str(flat.error_message);
  if (message) out.message = message;
  const userId = str(flat.user_id);
  if (userId) out.user = { id: userId };
  const ip = str(flat.ip ?? flat.client_ip);
  if (ip) out.client = { ip };
  const agent = str(flat.user_agent);
  if (agent) out.user_agent = { original: agent };
  const route = str(flat.endpoint ?? flat.route);
  const http: Json = {};
  if (route) http.route = route;
  if (statusCode !== undefined && statusCode >= 100 && statusCode <= 599) http.response = { status_code: Math.trunc(statusCode) };
  const method = str(flat.method)?.toUpperCase();
  if (method) http.request = { method };
  if (Object.keys(http).length > 0) out.http = http;
  const event = out.event as Json;
  const amount = money(flat.amount, flat.currency);
  const txId = str(flat.transaction_id) ?? str(flat.order_id) ?? id;
  switch (kind) {
    case 'transaction':
      out.shop = {
        transaction: { id: txId, type: str(flat.transaction_type) ?? 'purchase', status: str(flat.status) ?? 'completed' },
        amount: amount ?? { currency: 'USD', value: '0.00' },
        ...(str(flat.payment_method) ? { payment: { method: str(flat.payment_method) } } : {}),
        ...(str(flat.merchant_id) ? { merchant: { id: str(flat.merchant_id) } } : {}),
        ...(str(flat.order_id) ? { order: { id: str(flat.order_id) } } : {}),
      };
      break;
    case 'error': {
      const code = str(flat.error_code);
      out.error = {
        ...(str(flat.error_type) ? { type: str(flat.error_type) } : {}),
        ...(str(flat.error_message) ? { message: str(flat.error_message) } : {}),
        ...(str(flat.stack_trace) ? { stack_trace: str(flat.stack_trace) } : {}),
        ...(code ? { code } : {}),
      };
      out.shop = { error: { kind: statusCode !== undefined ? 'http' : 'exception' } };
      break;
    }
    case 'user_behavior': {
      const action = str(flat.action)?.toLowerCase() ?? 'page_view';
      out.shop = {
        action: ACTIONS[action] ?? action,
        session: { id: str(flat.session_id) ?? userId ?? 'unknown' },
        ...(str(flat.page) ? { page: { name: str(flat.page) } } : {}),
        ...(str(flat.product_id) ? { product: { id: str(flat.product_id) } } : {}),
      };
      const duration = num(flat.duration_ms);
      if (duration !== undefined && duration >= 0) event.duration = Math.round(duration * 1e6);
      break;
    }
    case 'performance': {
      const ms = num(flat.response_time ?? flat.duration_ms) ?? 0;
      event.duration = Math.max(0, Math.round(ms * 1e6));
      const db = num(flat.db_query_time);
      out.shop = {
        performance: {
          kind: 'http',
          ...(db !== undefined && db >= 0 ? { db_duration: Math.round(db * 1e6) } : {}),
          ...(typeof flat.cache_hit === 'boolean' ? { cache_hit: flat.cache_hit } : {}),
        },
      };
      break;
    }
    case 'fraud': {
      const score = Math.min(100, Math.max(0, num(flat.fraud_score) ?? 0));
      const indicators = Array.isArray(flat.fraud_indicators) ? flat.fraud_indicators.map(String) : [];
      out.shop = {
        fraud: {
          score,
          risk_level: score >= 75 ? 'high' : score >= 50 ? 'medium' : score >= 25 ? 'low' : 'minimal',
          decision: score >= 75 || flat.fraud_detected === true ? 'block' : score >= 50 ? 'review' : 'allow',
          reasons: indicators.slice(0, 64).map((code) => ({
            code: code.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^[^A-Z]/, 'R'),
            contribution: 0,
          })),
          ruleset_version: 'seed',
        },
        transaction: { id: txId },
        ...(amount ? { amount } : {}),
      };
      break;
    }
  }
  return out;
}
