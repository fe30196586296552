import { EVENT_KINDS, parseTimestamp, type EventKind, type LogLevel } from '@shoplog/core';
import type { LogFilter, SortField, TimeRange } from '../ports.js';
import { HttpError } from './errors.js';

/** Query-string values as Fastify gives them. */
export type Query = Record<string, string | string[] | undefined>;

const SORT_FIELDS: readonly SortField[] = ['@timestamp', 'amount', 'response_time', 'fraud_score'];
// The seed's levels (DEBUG, INFO, WARNING, ERROR, CRITICAL) and ours, case-insensitive.
const LEVEL_ALIASES: Record<string, LogLevel> = {
  trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal',
};
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** First value of a query parameter. */
export function param(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') return first;
  }
  return undefined;
}

/** Bounds of a numeric query parameter: `clamp` pulls a value outside min..max into it (the seed's paging rules) instead of a 400. */
export interface NumberParam {
  fallback: number;
  min: number;
  max: number;
  clamp?: boolean;
  /** Whether a fraction is accepted. @default false */
  fraction?: boolean;
}

/**
 * A numeric query parameter (the first of `names` given): `fallback` when absent; a 400 naming it when it is not a
 * number (an integer unless `fraction`), or outside `min..max` unless `clamp`. Every value reaching a store is then
 * a number the store can take (`page=2e18` made an offset SQLite refused).
 */
export function numberParam(query: Query, names: string | readonly string[], bounds: NumberParam): number {
  const list = typeof names === 'string' ? [names] : names;
  const name = list.find((n) => param(query, n) !== undefined) ?? list[0] ?? '';
  const raw = param(query, ...list);
  if (raw === undefined) return bounds.fallback;
  const n = raw.trim() === '' ? NaN : Number(raw);
  const kind = bounds.fraction ? 'a number' : 'an integer';
  if (!Number.isFinite(n) || (!bounds.fraction && !Number.isInteger(n))) {
    throw new HttpError(400, 'bad_request', `invalid ${name}`, [{ path: name, message: `must be ${kind}, got ${JSON.stringify(raw.slice(0, 40))}` }]);
  }
  if (n >= bounds.min && n <= bounds.max) return n;
  if (bounds.clamp) return Math.min(bounds.max, Math.max(bounds.min, n));
  throw new HttpError(400, 'bad_request', `invalid ${name}`, [{ path: name, message: `must be ${kind} from ${bounds.min} to ${bounds.max}` }]);
}

/** Deepest page of `page=` (an offset past it is a cursor's job: `next_cursor`). */
export const MAX_PAGE = 100_000;

const csv = (value: string | undefined): string[] => (value ? value.split(',').map((v) => v.trim()).filter(Boolean) : []);

/** Duration in ms of `1h`, `24h`, `7d`, `30d`, `15m`, ...; `undefined` when not such a value. */
export function parseDuration(value: string | undefined): number | undefined {
  const match = value ? /^(\d{1,5})([mhd])$/.exec(value.trim()) : null;
  return match ? Number(match[1]) * (UNITS[match[2] ?? 'h'] ?? 0) : undefined;
}

/** The time window of `range=` or `from=`/`to=` (also the seed's `date_from`/`date_to`, `start_date`/`end_date`). */
export function parseRange(query: Query, now: number, fallback = '24h'): { label: string; range: Partial<TimeRange> } {
  const fromRaw = param(query, 'from', 'date_from', 'start_date');
  const toRaw = param(query, 'to', 'date_to', 'end_date');
  if (fromRaw !== undefined || toRaw !== undefined) {
    const from = fromRaw === undefined ? undefined : parseTimestamp(fromRaw);
    const to = toRaw === undefined ? undefined : parseTimestamp(toRaw);
    const issues = [
      ...(fromRaw !== undefined && from === undefined ? [{ path: 'from', message: 'must be ISO 8601 or YYYY-MM-DD[ HH:MM:SS]' }] : []),
      ...(toRaw !== undefined && to === undefined ? [{ path: 'to', message: 'must be ISO 8601 or YYYY-MM-DD[ HH:MM:SS]' }] : []),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid date', issues);
    // A bare date as the upper bound means the whole day.
    const toEnd = to !== undefined && toRaw !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(toRaw.trim()) ? to + 86_400_000 : to;
    return { label: 'custom', range: { ...(from !== undefined ? { from } : {}), ...(toEnd !== undefined ? { to: toEnd } : {}) } };
  }
  const label = param(query, 'range', 'time_range') ?? fallback;
  if (label === 'all') return { label, range: {} };
  const ms = parseDuration(label);
  if (ms === undefined) throw new HttpError(400, 'bad_request', 'invalid range', [{ path: 'range', message: 'must be like 1h, 24h, 7d, 30d or all' }]);
  return { label, range: { from: now - ms, to: now + 1 } };
}

/** Free text with the seed's rules: `<script>` blocks stripped, capped at 500 characters. */
export function cleanText(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const text = raw.replace(/<script\b[^>]*>[\s\S]*?<\/script\s*>/gi, '').replace(/<\/?script\b[^>]*>/gi, '').trim().slice(0, 500);
  return text === '' ? undefined : text;
}

/** The filters shared by search, fields, histogram, tail and alert rules. */
export function parseFilter(query: Query, now: number, fallbackRange = '24h'): { filter: LogFilter; echo: Record<string, unknown>; rangeLabel: string } {
  const { label, range } = parseRange(query, now, fallbackRange);
  const kinds = csv(param(query, 'log_type', 'type')).filter((k): k is EventKind => (EVENT_KINDS as readonly string[]).includes(k));
  const levels = [...new Set(csv(param(query, 'level')).flatMap((l) => LEVEL_ALIASES[l.toLowerCase()] ?? []))];
  const number = (name: string): number | undefined =>
    param(query, name) === undefined ? undefined : numberParam(query, name, { fallback: 0, min: -Number.MAX_VALUE, max: Number.MAX_VALUE, fraction: true });
  const statuses = csv(param(query, 'status'));
  const filter: LogFilter = { range };
  const text = cleanText(param(query, 'q', 'query'));
  if (text) filter.text = text;
  if (kinds.length) filter.kinds = kinds;
  if (levels.length) filter.levels = levels;
  const services = csv(param(query, 'service'));
  if (services.length) filter.services = services;
  const users = csv(param(query, 'user_id', 'user'));
  if (users.length) filter.userIds = users;
  const routes = csv(param(query, 'route', 'endpoint'));
  if (routes.length) filter.routes = routes;
  const methods = csv(param(query, 'payment_method'));
  if (methods.length) filter.paymentMethods = methods;
  const http = statuses.filter((s) => /^\d{3}$/.test(s)).map(Number);
  const tx = statuses.filter((s) => !/^\d{3}$/.test(s));
  if (http.length) filter.httpStatuses = http;
  if (tx.length) filter.transactionStatuses = tx;
  const min = number('min_amount');
  const max = number('max_amount');
  if (min !== undefined) filter.minAmount = min;
  if (max !== undefined) filter.maxAmount = max;
  const echo: Record<string, unknown> = {
    range: label,
    ...(range.from !== undefined ? { from: new Date(range.from).toISOString() } : {}),
    ...(range.to !== undefined ? { to: new Date(range.to).toISOString() } : {}),
    ...(kinds.length ? { log_type: kinds } : {}),
    ...(levels.length ? { level: levels } : {}),
    ...(services.length ? { service: services } : {}),
    ...(users.length ? { user_id: users } : {}),
    ...(routes.length ? { route: routes } : {}),
    ...(statuses.length ? { status: statuses } : {}),
    ...(methods.length ? { payment_method: methods } : {}),
    ...(min !== undefined ? { min_amount: min } : {}),
    ...(max !== undefined ? { max_amount: max } : {}),
  };
  return { filter, echo, rangeLabel: label };
}

/**
 * Paging and sort with the seed's rules: size clamped to 1..1000, page < 1 → 1 (page over `MAX_PAGE`: 400), unknown
 * sort field → @timestamp; a size or page that is not an integer is a 400.
 */
export function parsePaging(query: Query): { page: number; size: number; sort: { field: SortField; order: 'asc' | 'desc' } } {
  const size = numberParam(query, ['size', 'limit'], { fallback: 20, min: 1, max: 1000, clamp: true });
  const page = Math.max(1, numberParam(query, 'page', { fallback: 1, min: Number.MIN_SAFE_INTEGER, max: MAX_PAGE }));
  const rawField = param(query, 'sort_field', 'sort');
  const field = SORT_FIELDS.find((f) => f === rawField) ?? '@timestamp';
  const order = param(query, 'sort_order', 'order')?.toLowerCase() === 'asc' ? 'asc' : 'desc';
  return { page, size, sort: { field, order } };
}
