import type { FastifyInstance } from 'fastify';
import type { LatencyReport, LatencySummary, LogFilter, TimeRange } from '../ports.js';
import { guard } from './auth.js';
import { cached, queryKey } from './cached.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { param, windowOf, type Query } from './query-params.js';
import { RANGE_QUERY, RangeQuery } from './query-schemas.js';
import { queryNumber, queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GRANULARITY: Record<string, number> = { hourly: HOUR, daily: DAY, weekly: 7 * DAY, monthly: 30 * DAY };
const round = (n: number | null, digits = 2): number | null =>
  n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits;
const iso = (ms: number): string => new Date(ms).toISOString();

function granularityOf(query: Query, range: TimeRange): number {
  const name = param(query, 'granularity', 'interval');
  if (name !== undefined) {
    const ms = GRANULARITY[name];
    if (ms === undefined)
      throw new HttpError(400, 'bad_request', 'invalid granularity', [
        { path: 'granularity', message: 'must be hourly, daily, weekly or monthly' },
      ]);
    return ms;
  }
  return range.to - range.from <= 2 * DAY ? HOUR : DAY;
}

const GRANULARITY_QUERY = {
  granularity: queryText('hourly, daily, weekly or monthly (`interval` too); default: hourly up to 2 days, else daily'),
};
const GranularQuery = z.looseObject({ ...RANGE_QUERY, ...GRANULARITY_QUERY });
const TransactionsQuery = z.looseObject({
  ...RANGE_QUERY,
  ...GRANULARITY_QUERY,
  currency: queryText('ISO 4217 currency of the timeline and payment methods (default: the most used)'),
});
const PerformanceQuery = z.looseObject({
  ...RANGE_QUERY,
  slow_request_ms: queryNumber('An HTTP request is slow from this many ms', {
    fallback: 1000,
    min: 0,
    max: 3_600_000,
    fraction: true,
  }),
  slow_query_ms: queryNumber('A database operation is slow from this many ms', {
    fallback: 500,
    min: 0,
    max: 3_600_000,
    fraction: true,
  }),
});

const percentiles = (s: LatencySummary) => ({
  p50: round(s.p50),
  p90: round(s.p90),
  p95: round(s.p95),
  p99: round(s.p99),
  mean: round(s.mean),
  max: round(s.max),
  count: s.count,
});

/** Dashboard overview, transactions, errors, user behaviour, performance and fraud analytics (all aggregated in the store). */
export function registerAnalyticsRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const canRead = guard(ctx, 'read');
  const logs = ctx.logs;

  const overview = async (query: Query) => {
    const now = Date.now();
    const { label, range } = windowOf(query, now);
    return cached(ctx, `overview:${label}:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
      const filter: LogFilter = { range };
      const errorFilter: LogFilter = { range, levels: ['error', 'fatal'] };
      const dayStart = now - (now % DAY);
      const [
        total,
        today,
        errors,
        users,
        active,
        response,
        uploads,
        hours,
        levels,
        kinds,
        services,
        endpoints,
        countries,
        recentErrors,
      ] = await Promise.all([
        logs.count(filter),
        logs.count({ range: { from: dayStart, to: now + 1 } }),
        logs.count(errorFilter),
        logs.cardinality(filter, 'user_id'),
        logs.cardinality({ range: { from: now - 5 * 60_000, to: now + 1 } }, 'user_id'),
        logs.stats({ range, kinds: ['performance'], performanceKinds: ['http'] }, 'response_time_ms'),
        ctx.meta.countUploadJobs(range),
        logs.histogram(filter, { intervalMs: range.to - range.from > 2 * DAY ? DAY : HOUR, errors: true }),
        logs.terms(filter, 'level', { size: 10 }),
        logs.terms(filter, 'kind', { size: 10 }),
        logs.terms(filter, 'service', { size: 10 }),
        logs.terms(filter, 'route', { size: 10 }),
        // The client IP's country, as GeoIP (or the shop) set it.
        logs.terms(filter, 'country', { size: 10 }),
        logs.search({
          filter: errorFilter,
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 10,
          highlight: false,
        }),
      ]);
      return {
        range: label,
        from: iso(range.from),
        to: iso(range.to),
        total_logs: total,
        logs_today: today,
        total_errors: errors,
        error_rate: total === 0 ? 0 : round((errors / total) * 100),
        unique_users: users,
        active_users: active,
        avg_response_time_ms: round(response.avg),
        uploaded_files: uploads,
        logs_per_hour: hours.map((b) => ({ hour: iso(b.ts), total: b.count, errors: b.errors ?? 0 })),
        log_levels_distribution: Object.fromEntries(levels.map((b) => [b.value, b.count])),
        log_types: kinds.map((b) => ({ type: b.value, count: b.count })),
        top_services: services.map((b) => ({
          name: b.value,
          count: b.count,
          percentage: total === 0 ? 0 : round((b.count / total) * 100),
        })),
        top_endpoints: endpoints.map((b) => ({ route: b.value, count: b.count })),
        top_countries: countries.map((b) => ({ country: b.value, count: b.count })),
        recent_errors: recentErrors.hits.map((hit) => hit.event),
        generated_at: iso(now),
      };
    });
  };
  app.get(
    '/api/dashboard/overview',
    {
      preValidation: canRead,
      schema: { summary: 'KPIs and overview (range=1h|24h|7d|30d)', permission: 'read', querystring: RangeQuery },
    },
    async (request) => overview(request.query),
  );
  app.get(
    '/api/dashboard/kpis',
    {
      preValidation: canRead,
      schema: { summary: 'Alias of the overview', permission: 'read', querystring: RangeQuery },
    },
    async (request) => overview(request.query),
  );

  app.get(
    '/api/analytics/transactions',
    {
      preValidation: canRead,
      schema: {
        summary: 'Transactions timeline, payment methods, statuses',
        permission: 'read',
        querystring: TransactionsQuery,
      },
    },
    async (request) => {
      const query = request.query;
      const now = Date.now();
      const { range } = windowOf(query, now);
      const interval = granularityOf(query, range);
      return cached(ctx, `tx:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
        const base: LogFilter = { range, kinds: ['transaction'] };
        const currencies = await logs.terms(base, 'currency', { size: 20, sum: 'amount' });
        const currency = param(query, 'currency')?.toUpperCase() ?? currencies[0]?.value ?? 'USD';
        const filter: LogFilter = { ...base, currencies: [currency] };
        const [timeline, methods, statuses] = await Promise.all([
          logs.histogram(filter, { intervalMs: interval, sum: 'amount' }),
          logs.terms(filter, 'payment_method', { size: 20, sum: 'amount' }),
          logs.terms(base, 'transaction_status', { size: 20 }),
        ]);
        // The page's KPIs, from the same buckets as the timeline so that both always agree.
        const count = timeline.reduce((n, b) => n + b.count, 0);
        const amount = timeline.reduce((sum, b) => sum + (b.sum ?? 0), 0);
        const totals = {
          count,
          total_amount: round(amount) ?? 0,
          avg_amount: count === 0 ? 0 : (round(amount / count) ?? 0),
          currency,
          count_all_currencies: statuses.reduce((n, s) => n + s.count, 0),
        };
        return {
          currency,
          totals,
          currency_note: `amounts are decimal ${currency} (major units), summed per currency without conversion; timeline and payment methods count ${currency} transactions only (pick another with ?currency=); transaction_status counts all currencies`,
          currencies: currencies.map((c) => ({ currency: c.value, count: c.count, total_amount: round(c.sum ?? 0) })),
          interval_ms: interval,
          timeline: timeline.map((b) => ({
            date: iso(b.ts),
            count: b.count,
            total_amount: round(b.sum ?? 0),
            avg_amount: round((b.sum ?? 0) / b.count),
          })),
          payment_methods: methods.map((m) => ({ method: m.value, count: m.count, total_amount: round(m.sum ?? 0) })),
          transaction_status: statuses.map((s) => ({ status: s.value, count: s.count })),
        };
      });
    },
  );

  app.get(
    '/api/analytics/errors',
    {
      preValidation: canRead,
      schema: { summary: 'Errors by code, type and time', permission: 'read', querystring: GranularQuery },
    },
    async (request) => {
      const query = request.query;
      const now = Date.now();
      const { range } = windowOf(query, now);
      const interval = granularityOf(query, range);
      return cached(ctx, `errors:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
        const filter: LogFilter = { range, kinds: ['error'] };
        const [codes, types, timeline] = await Promise.all([
          logs.terms(filter, 'error_code', { size: 20 }),
          logs.terms(filter, 'error_type', { size: 20 }),
          logs.histogram(filter, { intervalMs: interval }),
        ]);
        return {
          error_codes: codes.map((c) => ({ code: c.value, count: c.count })),
          error_types: types.map((t) => ({ type: t.value, count: t.count })),
          timeline: timeline.map((b) => ({ date: iso(b.ts), count: b.count })),
        };
      });
    },
  );

  app.get(
    '/api/analytics/user-behavior',
    {
      preValidation: canRead,
      schema: { summary: 'Actions, funnel and cart abandonment', permission: 'read', querystring: RangeQuery },
    },
    async (request) => {
      const query = request.query;
      const now = Date.now();
      const { range } = windowOf(query, now);
      return cached(ctx, `behavior:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
        const filter: LogFilter = { range, kinds: ['user_behavior'] };
        const [actions, sessions] = await Promise.all([
          logs.terms(filter, 'action', { size: 20 }),
          logs.terms(filter, 'action', { size: 20, distinct: 'session_id' }),
        ]);
        const sessionsOf = (action: string) => sessions.find((s) => s.value === action)?.count ?? 0;
        const funnel = [
          { step: 'page_view', sessions: sessionsOf('page_view') },
          { step: 'add_to_cart', sessions: sessionsOf('add_to_cart') },
          { step: 'checkout_started', sessions: sessionsOf('checkout_started') },
          { step: 'checkout_completed', sessions: sessionsOf('checkout_completed') },
        ];
        const carts = funnel[1]?.sessions ?? 0;
        const completed = funnel[3]?.sessions ?? 0;
        return {
          actions: actions.map((a) => ({ action: a.value, count: a.count })),
          funnel,
          abandonment_rate: carts === 0 ? 0 : round(Math.max(0, (carts - completed) / carts) * 100),
          abandonment_note: 'percentage of sessions with add_to_cart that have no checkout_completed step',
          cart_abandonment_count: actions.find((a) => a.value === 'cart_abandoned')?.count ?? 0,
        };
      });
    },
  );

  app.get(
    '/api/performance/metrics',
    {
      preValidation: canRead,
      schema: {
        summary: 'Latency percentiles by route and DB operation, slow requests',
        permission: 'read',
        querystring: PerformanceQuery,
      },
    },
    async (request) => {
      const query = request.query;
      const now = Date.now();
      const { range } = windowOf(query, now);
      const slowRequestMs = query.slow_request_ms;
      const slowQueryMs = query.slow_query_ms;
      return cached(ctx, `perf:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
        const filter: LogFilter = { range };
        const interval = range.to - range.from > 2 * DAY ? DAY : HOUR;
        const [routes, db, timeline, slowRequests, slowQueries]: [
          LatencyReport,
          LatencyReport,
          LatencyReport,
          number,
          number,
        ] = await Promise.all([
          logs.latency(filter, 'route', { size: 20 }),
          logs.latency(filter, 'db_operation', { size: 20 }),
          logs.latency(filter, 'interval', { intervalMs: interval }),
          logs.count({ range, kinds: ['performance'], performanceKinds: ['http'], minResponseTimeMs: slowRequestMs }),
          logs.count({ range, kinds: ['performance'], performanceKinds: ['db'], minResponseTimeMs: slowQueryMs }),
        ]);
        return {
          approximate: routes.approximate,
          relative_error: routes.relativeError,
          overall: percentiles(routes.overall),
          by_route: routes.groups.map((g) => ({ route: g.key, ...percentiles(g) })),
          by_db_operation: db.groups.map((g) => ({ operation: g.key, ...percentiles(g) })),
          slow_requests: { threshold_ms: slowRequestMs, count: slowRequests },
          slow_queries: { threshold_ms: slowQueryMs, count: slowQueries },
          timeline: timeline.groups.map((g) => ({
            ts: iso(Number(g.key)),
            p50: round(g.p50),
            p95: round(g.p95),
            p99: round(g.p99),
          })),
        };
      });
    },
  );
}
