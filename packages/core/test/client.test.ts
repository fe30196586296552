import { describe, expect, it } from 'vitest';
import {
  createFraudPlugin,
  createFraudScorer,
  createMemoryExporter,
  createShoplog,
  msToNs,
  validate,
  type PipelineErrorInfo,
  type ShoplogPlugin,
} from '@shoplog/core';

const clock = () => Date.parse('2026-11-26T10:00:00.000Z');

describe('createShoplog', () => {
  it('builds, validates, redacts and exports events of the five kinds with the service fields', async () => {
    const exporter = createMemoryExporter();
    const log = createShoplog({
      service: 'checkout-api',
      environment: 'production',
      version: '1.4.2',
      exporter,
      now: clock,
    });
    const id = log.transaction({
      message: 'payment captured for card 4242 4242 4242 4242',
      user: { id: 'u-42' },
      http: { request: { headers: { authorization: 'Bearer abc', accept: 'application/json' } } },
      shop: {
        transaction: { id: 'tx-1', type: 'purchase', status: 'completed' },
        amount: { value: '129.90', currency: 'EUR' },
        payment: { method: 'credit_card', card: { last4: '4242' } },
      },
    });
    log.error(new TypeError('cart is undefined'));
    log.userBehavior({ shop: { action: 'add_to_cart', session: { id: 's-1' }, product: { id: 'p-1', quantity: 2 } } });
    log.performance({
      event: { duration: msToNs(42) },
      http: { route: '/api/products/:id' },
      shop: { performance: { kind: 'http' } },
    });
    log.event('fraud', {
      shop: {
        fraud: {
          score: 55,
          risk_level: 'medium',
          decision: 'review',
          reasons: [{ code: 'VELOCITY_USER', contribution: 55 }],
          ruleset_version: '2026.11',
        },
        transaction: { id: 'tx-1' },
      },
    });
    await log.flush();
    expect(exporter.events.map((e) => e.event.dataset)).toEqual([
      'shoplog.transaction',
      'shoplog.error',
      'shoplog.user_behavior',
      'shoplog.performance',
      'shoplog.fraud',
    ]);
    for (const e of exporter.events) {
      expect(validate(e).ok).toBe(true);
      expect(e.service).toEqual({ name: 'checkout-api', environment: 'production', version: '1.4.2' });
      expect(e['@timestamp']).toBe('2026-11-26T10:00:00.000Z');
    }
    const [paid, crash] = exporter.events;
    expect(paid?.event.id).toBe(id);
    expect(paid?.message).toBe('payment captured for card **** **** **** 4242');
    expect(paid?.http?.request?.headers).toEqual({ authorization: '[REDACTED]', accept: 'application/json' });
    expect(crash?.error).toMatchObject({ type: 'TypeError', message: 'cart is undefined' });
    expect(crash?.error?.stack_trace).toContain('TypeError: cart is undefined');
    await log.close();
    expect(exporter.closed).toBe(true);
  });

  it('never throws on bad input: the event is dropped and the issues reported', () => {
    const errors: PipelineErrorInfo[] = [];
    const exporter = createMemoryExporter();
    const log = createShoplog({ service: 'shop', exporter, onError: (_e, info) => errors.push(info) });
    expect(() =>
      log.transaction({
        shop: {
          transaction: { id: 'tx-1', type: 'purchase', status: 'paid' as never },
          amount: { value: '1', currency: 'EUR' },
        },
      }),
    ).not.toThrow();
    expect(() => log.transaction(null as never)).not.toThrow();
    expect(exporter.events).toHaveLength(0);
    expect(log.metrics().dropped.invalid).toBe(2);
    expect(errors.map((e) => e.plugin)).toEqual(['validate', 'validate']);
  });

  it('runs user plugins between redaction and the exporter, and can turn redaction off', async () => {
    const seen: (string | undefined)[] = [];
    const spy: ShoplogPlugin = {
      name: 'spy',
      process: (e) => (seen.push(e.http?.request?.headers?.cookie as string | undefined), e),
    };
    const base = {
      shop: { action: 'page_view' as const, session: { id: 's' } },
      http: { request: { headers: { cookie: 'sid=1' } } },
    };
    createShoplog({ service: 'a', exporter: createMemoryExporter(), plugins: [spy] }).userBehavior(base);
    createShoplog({ service: 'a', exporter: createMemoryExporter(), plugins: [spy], redact: false }).userBehavior(base);
    createShoplog({
      service: 'a',
      exporter: createMemoryExporter(),
      plugins: [spy],
      redact: { replacement: '<hidden>' },
    }).userBehavior(base);
    expect(seen).toEqual(['[REDACTED]', 'sid=1', '<hidden>']);
  });

  it('runs the fraud plugin of core: the fraud event it emits follows its transaction to the exporter', async () => {
    const exporter = createMemoryExporter();
    const errors: unknown[] = [];
    const log = createShoplog({
      service: 'shop',
      exporter,
      plugins: [createFraudPlugin({ scorer: createFraudScorer() })],
      onError: (e) => errors.push(e),
    });
    const id = log.transaction({
      user: { id: 'u-1', email: 'x@mailinator.com' },
      client: { ip: '203.0.113.9', geo: { country_iso_code: 'NG' } },
      user_agent: { original: 'curl/8.5.0' },
      shop: {
        transaction: { id: 'tx-9', type: 'purchase', status: 'completed' },
        amount: { value: '25000.00', currency: 'EUR' },
        billing: { country: 'FR' },
        payment: { method: 'credit_card', card: { last4: '4242', issuer_country: 'US' } },
      },
    });
    log.userBehavior({ shop: { action: 'page_view', session: { id: 's' } } });
    await log.flush();
    expect(errors).toEqual([]);
    // The fraud plugin is async, so the page view (not scored) may overtake the transaction; the fraud event
    // always follows the transaction that caused it.
    const order = exporter.events.map((e) => e.event.dataset);
    expect([...order].sort()).toEqual(['shoplog.fraud', 'shoplog.transaction', 'shoplog.user_behavior']);
    expect(order.indexOf('shoplog.fraud')).toBeGreaterThan(order.indexOf('shoplog.transaction'));
    expect(exporter.ofKind('transaction')[0]?.event.id).toBe(id);
    expect(exporter.ofKind('fraud')[0]?.shop.transaction.id).toBe('tx-9');
  });

  it('logs an Error with extra fields, and anonymises client IPs when asked', async () => {
    const exporter = createMemoryExporter();
    const log = createShoplog({ service: 'shop', exporter, anonymizeIp: true });
    log.error(new RangeError('quantity out of range'), {
      client: { ip: '198.51.100.23' },
      http: { request: { method: 'POST' }, response: { status_code: 400 }, route: '/api/cart' },
      shop: { error: { kind: 'validation', handled: true } },
    });
    await log.flush();
    expect(exporter.events[0]).toMatchObject({
      error: { type: 'RangeError', message: 'quantity out of range' },
      client: { ip: '198.51.100.0' },
      http: { response: { status_code: 400 } },
      shop: { error: { kind: 'validation', handled: true } },
      log: { level: 'warn' },
    });
  });

  it('rejects bad options with one clear error', () => {
    expect(() => createShoplog({ service: '', exporter: createMemoryExporter() })).toThrow(
      /createShoplog: invalid options: service/,
    );
    expect(() => createShoplog({ service: 'a' } as never)).toThrow(/exporter/);
  });
});
