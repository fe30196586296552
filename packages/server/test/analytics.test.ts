import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type ShoplogEvent } from '@shoplog/core';
import { bulkAll, errorEvent, perfEvent, startTestServer, txEvent, type TestServer } from './helpers.js';

let t: TestServer;
const now = Date.now();
const ago = (minutes: number): string => new Date(now - minutes * 60_000).toISOString();

function behavior(session: string, action: string, user: string, minutes: number): ShoplogEvent {
  return {
    '@timestamp': ago(minutes),
    event: { id: uuidv7(), dataset: 'shoplog.user_behavior' },
    log: { level: 'info' },
    service: { name: 'storefront' },
    user: { id: user },
    shop: { action, session: { id: session } },
  } as ShoplogEvent;
}
function fraud(score: number, decision: string, codes: string[], minutes: number): ShoplogEvent {
  return {
    '@timestamp': ago(minutes),
    event: { id: uuidv7(), dataset: 'shoplog.fraud' },
    log: { level: 'warn' },
    service: { name: 'payments' },
    user: { id: 'fraudster' },
    shop: {
      fraud: {
        score,
        risk_level: score >= 75 ? 'high' : 'low',
        decision,
        reasons: codes.map((code) => ({ code, contribution: 10 })),
        ruleset_version: 't',
      },
      transaction: { id: `tx-${score}` },
      amount: { currency: 'EUR', value: '5.00' },
    },
  } as ShoplogEvent;
}

const txs = [
  txEvent({ amount: '10.00', method: 'paypal', user: 'a', ts: ago(10) }),
  txEvent({ amount: '20.50', method: 'paypal', user: 'b', ts: ago(20) }),
  txEvent({ amount: '5.25', method: 'credit_card', user: 'c', status: 'declined', ts: ago(30) }),
  txEvent({ amount: '100.00', currency: 'USD', method: 'credit_card', user: 'd', ts: ago(40) }),
];
const errors = [
  errorEvent('500', 'DbError', 'x', ago(5)),
  errorEvent('500', 'DbError', 'y', ago(6)),
  errorEvent('404', 'NotFound', 'z', ago(7)),
];
const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
// A third of the requests carry the country GeoIP sets from the client IP (two countries, in unequal numbers).
const perf = latencies.map((ms, i) => {
  const event = perfEvent(i % 2 === 0 ? '/a' : '/b', ms, ago(50));
  return i % 3 === 0
    ? ({ ...event, client: { geo: { country_iso_code: i % 9 === 0 ? 'BR' : 'FR' } } } as ShoplogEvent)
    : event;
});
const sessions = [
  ['s1', ['page_view', 'add_to_cart', 'checkout_started', 'checkout_completed']],
  ['s2', ['page_view', 'add_to_cart', 'cart_abandoned']],
  ['s3', ['page_view', 'page_view']],
  ['s4', ['page_view', 'add_to_cart', 'checkout_started']],
] as const;
const behaviors = sessions.flatMap(([s, actions]) => actions.map((a) => behavior(s, a, `user-${s}`, 15)));
const frauds = [
  fraud(90, 'block', ['CARD_TESTING', 'VELOCITY_USER'], 3),
  fraud(60, 'review', ['CARD_TESTING'], 4),
  fraud(5, 'allow', [], 4),
];
const old = txEvent({ amount: '999.00', ts: new Date(now - 3 * 86_400_000).toISOString() });
const all = [...txs, ...errors, ...perf, ...behaviors, ...frauds, old];

beforeAll(async () => {
  t = await startTestServer();
  await bulkAll(t, all);
});
afterAll(async () => {
  await t.close();
});
const get = <T>(path: string): Promise<T> => t.read<T>(path);

describe('analytics equal what the events say', () => {
  it('overview: totals, errors, users, levels, types, services, hours', async () => {
    const inDay = all.filter((e) => Date.parse(e['@timestamp']) > now - 86_400_000);
    const o = await get<
      Record<string, unknown> & {
        log_types: { type: string; count: number }[];
        top_services: { name: string; count: number; percentage: number }[];
        logs_per_hour: { total: number; errors: number }[];
        recent_errors: ShoplogEvent[];
        top_countries: { country: string; count: number }[];
      }
    >('/api/dashboard/overview?range=24h');
    expect(o.total_logs).toBe(inDay.length);
    expect(o.total_errors).toBe(3);
    expect(o.error_rate).toBe(Math.round((3 / inDay.length) * 10000) / 100);
    const users = new Set(inDay.flatMap((e) => (e.user?.id ? [e.user.id] : [])));
    expect(o.unique_users).toBe(users.size);
    expect(o.avg_response_time_ms).toBe(50.5);
    const levels: Record<string, number> = {};
    for (const e of inDay) levels[e.log.level] = (levels[e.log.level] ?? 0) + 1;
    expect(o.log_levels_distribution).toEqual(levels);
    expect(o.log_types.find((x) => x.type === 'performance')?.count).toBe(100);
    const storefront = inDay.filter((e) => e.service?.name === 'storefront').length;
    expect(o.top_services[0]).toEqual({
      name: 'storefront',
      count: storefront,
      percentage: Math.round((storefront / inDay.length) * 10000) / 100,
    });
    expect(o.logs_per_hour.reduce((s, h) => s + h.total, 0)).toBe(inDay.length);
    expect(o.logs_per_hour.reduce((s, h) => s + h.errors, 0)).toBe(3);
    expect(o.recent_errors.map((e) => e.event.id)).toEqual(errors.map((e) => e.event.id));
    const countries = new Map<string, number>();
    for (const e of inDay) {
      const country = e.client?.geo?.country_iso_code;
      if (country) countries.set(country, (countries.get(country) ?? 0) + 1);
    }
    expect(countries.size).toBe(2);
    expect(o.top_countries).toEqual(
      [...countries].map(([country, count]) => ({ country, count })).sort((a, b) => b.count - a.count),
    );
    const week = await get<{ total_logs: number }>('/api/dashboard/kpis?range=7d');
    expect(week.total_logs).toBe(all.length);
  });

  it('is cached, says so, and is invalidated by an ingest', async () => {
    const first = await get<{ cached: boolean; total_logs: number }>('/api/dashboard/overview?range=1h');
    const second = await get<{ cached: boolean; total_logs: number }>('/api/dashboard/overview?range=1h');
    expect(second.cached).toBe(true);
    expect(second.total_logs).toBe(first.total_logs);
    await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(txEvent({ user: 'late', amount: '1.00' })),
    });
    await t.server.stores.logs.refresh();
    const third = await get<{ cached: boolean; total_logs: number }>('/api/dashboard/overview?range=1h');
    expect(third.cached).toBe(false);
    expect(third.total_logs).toBe(first.total_logs + 1);
  });

  it('transactions: sums per currency in major units, payment methods and statuses', async () => {
    const body = await get<{
      currency: string;
      totals: Record<string, unknown>;
      timeline: { count: number; total_amount: number }[];
      payment_methods: { method: string; count: number; total_amount: number }[];
      transaction_status: { status: string; count: number }[];
      currencies: { currency: string; count: number; total_amount: number }[];
    }>('/api/analytics/transactions?range=24h&granularity=daily&currency=EUR');
    expect(body.currency).toBe('EUR');
    // 10.00 + 20.50 + 5.25 + the 1.00 of the cache test.
    expect(body.timeline.reduce((s, b) => s + b.total_amount, 0)).toBeCloseTo(36.75, 6);
    // The page's KPIs come from the server: the EUR transactions of the timeline, and every status of all currencies.
    expect(body.totals).toEqual({
      count: 4,
      total_amount: 36.75,
      avg_amount: 9.19,
      currency: 'EUR',
      count_all_currencies: 5,
    });
    expect(body.payment_methods).toEqual([
      { method: 'credit_card', count: 2, total_amount: 6.25 },
      { method: 'paypal', count: 2, total_amount: 30.5 },
    ]);
    expect(body.currencies.find((c) => c.currency === 'USD')).toEqual({ currency: 'USD', count: 1, total_amount: 100 });
    expect(body.transaction_status).toEqual([
      { status: 'completed', count: 4 },
      { status: 'declined', count: 1 },
    ]);
  });

  it('errors by code and type', async () => {
    const body = await get<{ error_codes: unknown[]; error_types: unknown[] }>('/api/analytics/errors?range=24h');
    expect(body.error_codes).toEqual([
      { code: '500', count: 2 },
      { code: '404', count: 1 },
    ]);
    expect(body.error_types).toEqual([
      { type: 'DbError', count: 2 },
      { type: 'NotFound', count: 1 },
    ]);
  });

  it('user behaviour funnel by sessions and abandonment', async () => {
    const body = await get<{
      funnel: unknown[];
      abandonment_rate: number;
      cart_abandonment_count: number;
      actions: { action: string; count: number }[];
    }>('/api/analytics/user-behavior?range=24h');
    expect(body.funnel).toEqual([
      { step: 'page_view', sessions: 4 },
      { step: 'add_to_cart', sessions: 3 },
      { step: 'checkout_started', sessions: 2 },
      { step: 'checkout_completed', sessions: 1 },
    ]);
    expect(body.abandonment_rate).toBe(66.67);
    expect(body.cart_abandonment_count).toBe(1);
    expect(body.actions.find((a) => a.action === 'page_view')?.count).toBe(5);
  });

  it('performance percentiles by route equal the exact nearest-rank values', async () => {
    const body = await get<{
      approximate: boolean;
      relative_error: number;
      overall: Record<string, number>;
      by_route: { route: string; p50: number; p99: number; count: number }[];
      slow_requests: { count: number };
    }>('/api/performance/metrics?range=24h&slow_request_ms=90');
    // From the hourly sketches: within the stated relative error of the exact nearest-rank values (+ rounding).
    const close = (got: number | undefined, exact: number) =>
      expect(Math.abs((got ?? NaN) - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.005);
    expect(body).toMatchObject({ approximate: true, relative_error: 0.001 });
    expect(body.overall).toMatchObject({ count: 100, max: 100, mean: 50.5 });
    close(body.overall.p50, 50);
    close(body.overall.p90, 90);
    close(body.overall.p95, 95);
    close(body.overall.p99, 99);
    const a = latencies.filter((_, i) => i % 2 === 0);
    const routeA = body.by_route.find((r) => r.route === '/a');
    expect(routeA?.count).toBe(50);
    close(routeA?.p50, a[24] ?? 0);
    close(routeA?.p99, a[49] ?? 0);
    expect(body.slow_requests.count).toBe(11);
  });

  it('fraud alerts (review and block) with reasons, and stats', async () => {
    const alerts = await get<{
      alerts: {
        score: number;
        decision: string;
        reasons: { code: string }[];
        user_id: string;
        amount: number;
        currency: string;
      }[];
    }>('/api/fraud/alerts?range=24h');
    expect(alerts.alerts.map((a) => [a.score, a.decision])).toEqual([
      [90, 'block'],
      [60, 'review'],
    ]);
    expect(alerts.alerts[0]).toMatchObject({ user_id: 'fraudster', amount: 5, currency: 'EUR' });
    const stats = await get<{
      count: number;
      avg_score: number;
      by_decision: Record<string, number>;
      top_reasons: unknown[];
      score_histogram: { from: number; count: number }[];
    }>('/api/fraud/stats?range=24h');
    expect(stats.count).toBe(3);
    expect(stats.avg_score).toBe(Math.round(((90 + 60 + 5) / 3) * 100) / 100);
    expect(stats.by_decision).toEqual({ allow: 1, block: 1, review: 1 });
    expect(stats.top_reasons).toEqual([
      { code: 'CARD_TESTING', count: 2 },
      { code: 'VELOCITY_USER', count: 1 },
    ]);
    expect(stats.score_histogram.filter((b) => b.count > 0).map((b) => [b.from, b.count])).toEqual([
      [0, 1],
      [60, 1],
      [90, 1],
    ]);
  });

  it('scores a transaction on demand with the stored history', async () => {
    const detect = (body: unknown) =>
      t.call('/api/fraud/detect', {
        key: t.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const calm = (await (await detect({ userId: 'calm', amount: 2500, currency: 'EUR' })).json()) as {
      score: number;
      decision: string;
    };
    expect(calm.decision).toBe('allow');
    // Card testing: many small declined attempts on one card in minutes.
    let last: { score: number; reasons: { code: string }[] } = { score: 0, reasons: [] };
    for (let i = 0; i < 8; i++) {
      const res = await detect({
        user_id: 'tester',
        amount: 1.0,
        currency: 'EUR',
        status: 'declined',
        transaction_id: `ct-${i}`,
      });
      expect(res.status).toBe(200);
      last = (await res.json()) as typeof last;
    }
    expect(last.score).toBeGreaterThan(calm.score);
    expect(last.reasons.length).toBeGreaterThan(0);
    expect((await detect({ amount: 'lots' })).status).toBe(400);
  });
});
