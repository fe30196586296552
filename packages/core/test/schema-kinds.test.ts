import { describe, expect, it } from 'vitest';
import { validate, type EventKind } from '@shoplog/core';

const base = (dataset: string, extra: Record<string, unknown> = {}) => ({
  '@timestamp': '2026-11-26T10:00:00.000Z',
  event: {
    id: '0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e',
    dataset,
    kind: 'event',
    category: ['web'],
    type: ['info'],
    ...extra,
  },
  log: { level: 'info', logger: 'shop' },
  service: { name: 'checkout-api', version: '1.4.2', environment: 'production' },
  trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
  span: { id: '00f067aa0ba902b7' },
  user: { id: 'u-42', email: 'ana@example.com' },
  client: { ip: '203.0.113.7', geo: { country_iso_code: 'FR', city_name: 'Lyon' } },
  user_agent: { original: 'Mozilla/5.0', name: 'Chrome', os: { name: 'Windows' }, device: { name: 'Desktop' } },
  http: { request: { method: 'POST', id: 'req-1' }, response: { status_code: 201 }, route: '/api/orders' },
  url: { path: '/api/orders' },
  labels: { region: 'eu' },
  tags: ['checkout'],
});

const REALISTIC: Record<EventKind, Record<string, unknown>> = {
  transaction: {
    ...base('shoplog.transaction'),
    message: 'payment captured',
    shop: {
      transaction: { id: 'tx-1001', type: 'purchase', status: 'completed', attempt: 1 },
      amount: { currency: 'EUR', minor: 12990, value: '129.90' },
      order: { id: 'ord-1001', items: 3 },
      payment: {
        method: 'credit_card',
        provider: 'stripe',
        card: { last4: '4242', brand: 'visa', bin: '424242', issuer_country: 'US', fingerprint: 'fp_1' },
      },
      merchant: { id: 'm-1' },
      billing: { country: 'FR', postal_code: '69001' },
      shipping: { country: 'FR' },
      session: { id: 's-1' },
    },
  },
  error: {
    ...base('shoplog.error'),
    log: { level: 'error' },
    message: 'checkout failed',
    error: {
      type: 'TypeError',
      message: 'cart is undefined',
      stack_trace: 'TypeError: cart is undefined\n    at checkout (app.js:10:5)',
      code: 'E_CART',
    },
    shop: { error: { kind: 'exception', handled: false }, session: { id: 's-1' }, order: { id: 'ord-1' } },
  },
  user_behavior: {
    ...base('shoplog.user_behavior'),
    shop: {
      action: 'add_to_cart',
      session: { id: 's-1' },
      cart: { id: 'c-1', value: { currency: 'JPY', minor: 1500 }, items: 2 },
      product: { id: 'p-1', name: 'Mug', category: 'kitchen', quantity: 2, price: { currency: 'KWD', value: '1.250' } },
      page: { name: 'product', referrer: 'https://example.com/' },
    },
  },
  performance: {
    ...base('shoplog.performance', { kind: 'metric', duration: 12_500_000 }),
    shop: {
      performance: {
        kind: 'http',
        operation: 'GET /api/products/:id',
        target: 'catalog',
        cache_hit: true,
        db_duration: 3_000_000,
      },
    },
  },
  fraud: {
    ...base('shoplog.fraud', { kind: 'alert', category: ['intrusion_detection'], type: ['indicator'] }),
    log: { level: 'warn' },
    shop: {
      fraud: {
        score: 72.5,
        risk_level: 'medium',
        decision: 'review',
        reasons: [
          { code: 'VELOCITY_USER', contribution: 40, detail: '5 payments in 10 min' },
          { code: 'COUNTRY_MISMATCH', contribution: 32.5 },
        ],
        ruleset_version: '2026.11.1',
      },
      transaction: { id: 'tx-1001' },
      amount: { currency: 'EUR', value: '129.90' },
      payment: { method: 'credit_card', card: { last4: '4242' } },
      billing: { country: 'FR' },
    },
  },
  log: {
    ...base('shoplog.log', { category: ['process'] }),
    message: 'catalogue cache warmed in 412 ms',
    shop: { session: { id: 's-9' } },
  },
};

function withValue(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

// [kind, path set, bad value (undefined = removed), path reported]
const WRONG: [EventKind, string, unknown, string?][] = [
  ['transaction', '@timestamp', '26/11/2026'],
  ['transaction', '@timestamp', undefined],
  ['transaction', 'event.id', 'tx-1'],
  ['transaction', 'event.outcome', 'ok'],
  ['transaction', 'event.duration', -5],
  ['transaction', 'log.level', 'WARNING'],
  ['transaction', 'trace.id', 'XYZ'],
  ['transaction', 'span.id', '123'],
  ['transaction', 'http.response.status_code', 700],
  ['transaction', 'client.geo.country_iso_code', 'France'],
  ['transaction', 'labels.region', 5],
  ['transaction', 'shop.transaction.id', ''],
  ['transaction', 'shop.transaction.type', 'gift'],
  ['transaction', 'shop.transaction.status', 'paid'],
  ['transaction', 'shop.amount.currency', 'eur'],
  ['transaction', 'shop.amount.value', '129.9.0'],
  ['transaction', 'shop.amount.minor', 12.5],
  ['transaction', 'shop.amount.minor', 12991],
  ['transaction', 'shop.payment.card.last4', '42424'],
  ['transaction', 'shop.payment.card.number', '4242424242424242', 'shop.payment.card'],
  ['transaction', 'shop.billing.country', 'fr'],
  ['transaction', 'shop.coupon', 'X', 'shop'],
  ['error', 'shop.error.kind', 'oops'],
  ['error', 'error.message', 42],
  ['user_behavior', 'shop.action', 'wishlist'],
  ['user_behavior', 'shop.session', undefined],
  ['user_behavior', 'shop.product.quantity', 0],
  ['user_behavior', 'shop.cart.value.currency', 'yen'],
  ['performance', 'event.duration', undefined],
  ['performance', 'event.duration', 1.5],
  ['performance', 'shop.performance.kind', 'gpu'],
  ['performance', 'shop.performance.cache_hit', 'yes'],
  ['fraud', 'shop.fraud.score', 101],
  ['fraud', 'shop.fraud.risk_level', 'critical'],
  ['fraud', 'shop.fraud.decision', 'deny'],
  ['fraud', 'shop.fraud.reasons', [{ code: 'velocity', contribution: 10 }], 'shop.fraud.reasons[0].code'],
  ['fraud', 'shop.fraud.ruleset_version', undefined],
  ['fraud', 'shop.transaction', undefined],
  ['log', 'message', undefined],
  ['log', 'message', ''],
  ['log', 'shop.cart', { id: 'c-1' }, 'shop'],
];

describe('schemas of the six kinds', () => {
  it.each(Object.entries(REALISTIC))('accepts a realistic %s event', (_kind, event) => {
    const res = validate(event);
    expect(res.ok ? [] : res.issues).toEqual([]);
  });

  it.each(WRONG)('%s: rejects %s = %j with its path', (kind, path, value, reported) => {
    const res = validate(withValue(REALISTIC[kind], path, value));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues.map((i) => i.path)).toContain(reported ?? path);
  });

  it('requires error.message, error.type or an HTTP status on an error', () => {
    const { error: _e, http: _h, ...bare } = REALISTIC.error;
    const res = validate(bare);
    expect(res.ok ? [] : res.issues).toEqual([{ path: 'error', message: expect.stringContaining('error.message') }]);
  });

  it('keeps unknown ECS fields at the top level but rejects unknown shop fields', () => {
    const res = validate({ ...REALISTIC.transaction, host: { name: 'web-1' } });
    expect(res.ok && (res.event as Record<string, unknown>).host).toEqual({ name: 'web-1' });
  });
});
