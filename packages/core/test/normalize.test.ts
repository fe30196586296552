import { describe, expect, it } from 'vitest';
import { createNormalizer, normalize, parseTimestamp, transaction, validate, type ShoplogEvent } from '@shoplog/core';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const norm = createNormalizer({ now: () => NOW });

function ok(input: unknown): ShoplogEvent {
  const res = norm(input);
  if (!res.ok) throw new Error(`expected a valid event, got ${JSON.stringify(res.issues)}`);
  return res.event;
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  const res = norm(input);
  expect(res.ok).toBe(false);
  return res.ok ? [] : res.issues;
}

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

// Realistic documents of the seed generator, one per log type (inventory: "The five log types").
const SEED = {
  transaction: {
    '@timestamp': '2026-11-26T09:15:02.123456',
    log_type: 'transaction',
    level: 'INFO',
    service: 'payment-service',
    message: 'Transaction TXN-84213 completed',
    transaction_id: 'TXN-84213',
    user_id: 1042,
    amount: 249.99,
    currency: 'EUR',
    payment_method: 'credit_card',
    status: 'completed',
    transaction_type: 'purchase',
    merchant_id: 'MERCH-007',
    metadata: { ip_address: '203.0.113.7', country: 'FR' },
  },
  error: {
    timestamp: '2026-11-26 09:16:40',
    log_type: 'error',
    level: 'ERROR',
    source: 'api-gateway',
    message: 'Internal error on /api/checkout',
    error_code: 500,
    error_type: 'DatabaseError',
    error_message: 'connection pool exhausted',
    stack_trace: 'Traceback (most recent call last):\n  File "app.py", line 42',
    endpoint: '/api/checkout',
    user_id: 'user_77',
  },
  user_behavior: {
    timestamp: 1764148600,
    log_type: 'user_behavior',
    level: 'info',
    service: 'web-frontend',
    user_id: 'user_12',
    action: 'add_to_cart',
    page: '/products/sku-991',
    session_id: 'sess_a81f',
    duration_ms: 5300,
    user_agent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  },
  performance: {
    '@timestamp': '26/Nov/2026:10:17:00 +0100',
    log_type: 'performance',
    level: 'WARNING',
    service: 'catalog-api',
    endpoint: '/api/products',
    method: 'get',
    response_time: 1250.5,
    status_code: 200,
    db_query_time: 640,
    cache_hit: false,
  },
  fraud: {
    timestamp: 1764148700123,
    log_type: 'fraud',
    level: 'CRITICAL',
    service: 'fraud-detector',
    transaction_id: 'TXN-99120',
    user_id: 'user_5',
    fraud_score: 110,
    fraud_detected: true,
    amount: 12500,
    currency: 'USD',
    location: 'NG',
    fraud_indicators: [
      'high_amount',
      'rapid_transactions',
      'suspicious_location',
      'ip_mismatch',
      'multiple_failed_attempts',
    ],
  },
} as const;

describe('normalize: seed shapes', () => {
  it("maps the seed README's { type, data } example", () => {
    const e = ok({ type: 'transaction', data: { order_id: '12345', amount: 99.99 } });
    expect(e.event.dataset).toBe('shoplog.transaction');
    expect(e.shop).toEqual({
      transaction: { id: '12345', type: 'purchase', status: 'completed' },
      amount: { currency: 'USD', minor: 9999, value: '99.99' },
      order: { id: '12345' },
    });
    expect(e['@timestamp']).toBe('2026-11-26T12:00:00.000Z');
  });

  it.each(Object.entries(SEED))('maps a generated %s document to a valid envelope', (kind, doc) => {
    const e = ok(doc);
    expect(e.event.dataset).toBe(`shoplog.${kind}`);
    expect(validate(e).ok).toBe(true);
  });

  it('maps the transaction fields', () => {
    const e = ok(SEED.transaction);
    expect(e).toMatchObject({
      '@timestamp': '2026-11-26T09:15:02.123Z',
      log: { level: 'info' },
      message: 'Transaction TXN-84213 completed',
      service: { name: 'payment-service' },
      user: { id: '1042' },
      event: { outcome: 'success' },
      labels: { ip_address: '203.0.113.7', country: 'FR' },
      shop: {
        transaction: { id: 'TXN-84213', type: 'purchase', status: 'completed' },
        amount: { currency: 'EUR', value: '249.99', minor: 24999 },
        payment: { method: 'credit_card' },
        merchant: { id: 'MERCH-007' },
      },
    });
  });

  it('maps the error fields', () => {
    const e = ok(SEED.error);
    expect(e).toMatchObject({
      '@timestamp': '2026-11-26T09:16:40.000Z',
      log: { level: 'error' },
      service: { name: 'api-gateway' },
      error: {
        code: '500',
        type: 'DatabaseError',
        message: 'connection pool exhausted',
        stack_trace: expect.stringContaining('app.py'),
      },
      http: { response: { status_code: 500 }, route: '/api/checkout' },
      url: { path: '/api/checkout' },
      user: { id: 'user_77' },
      shop: { error: { kind: 'http' } },
    });
  });

  it('maps the user behaviour fields', () => {
    const e = ok(SEED.user_behavior);
    expect(e).toMatchObject({
      '@timestamp': '2025-11-26T09:16:40.000Z',
      event: { duration: 5_300_000_000 },
      user_agent: { original: SEED.user_behavior.user_agent },
      url: { path: '/products/sku-991' },
      shop: { action: 'add_to_cart', session: { id: 'sess_a81f' }, page: { name: '/products/sku-991' } },
    });
  });

  it('maps the performance fields (milliseconds to nanoseconds)', () => {
    const e = ok(SEED.performance);
    expect(e).toMatchObject({
      '@timestamp': '2026-11-26T09:17:00.000Z',
      log: { level: 'warn' },
      event: { duration: 1_250_500_000 },
      http: { request: { method: 'GET' }, response: { status_code: 200 }, route: '/api/products' },
      shop: { performance: { kind: 'http', db_duration: 640_000_000, cache_hit: false } },
    });
  });

  it('maps the fraud fields: score clamped to 100, seed thresholds, indicators as ranked reasons', () => {
    const e = ok(SEED.fraud);
    expect(e).toMatchObject({
      '@timestamp': '2025-11-26T09:18:20.123Z',
      log: { level: 'fatal' },
      client: { geo: { country_iso_code: 'NG' } },
      shop: {
        transaction: { id: 'TXN-99120' },
        amount: { currency: 'USD', value: '12500.00' },
        fraud: { score: 100, risk_level: 'high', decision: 'block', ruleset_version: 'seed' },
      },
    });
    const reasons = (e.shop as { fraud: { reasons: { code: string; contribution: number }[] } }).fraud.reasons;
    expect(reasons[0]).toEqual({ code: 'IP_MISMATCH', contribution: 30, detail: 'ip_mismatch' });
    expect(reasons.map((r) => r.code)).toContain('HIGH_AMOUNT');
  });

  it('maps a CSV row of the seed upload (every cell a string)', () => {
    const e = ok({
      timestamp: '2026-11-26 08:00:00',
      level: 'info',
      service: 'shop',
      user_id: '42',
      order_id: 'ORD-1',
      amount: '19.9',
      ip: '198.51.100.4',
    });
    expect(e).toMatchObject({
      event: { dataset: 'shoplog.transaction' },
      user: { id: '42' },
      client: { ip: '198.51.100.4' },
      shop: { transaction: { id: 'ORD-1' }, order: { id: 'ORD-1' }, amount: { value: '19.90', currency: 'USD' } },
    });
    const err = ok({
      timestamp: '2026-11-26 08:00:00',
      level: 'ERROR',
      service: 'shop',
      message: 'payment gateway down',
      user_id: '',
      order_id: '',
      amount: '',
      ip: '',
    });
    expect(err).toMatchObject({ event: { dataset: 'shoplog.error' }, error: { message: 'payment gateway down' } });
  });

  it('infers the kind from the fields when log_type is missing', () => {
    const { log_type: _t, ...perf } = SEED.performance;
    expect(ok(perf).event.dataset).toBe('shoplog.performance');
    const { log_type: _f, ...fraud } = SEED.fraud;
    expect(ok(fraud).event.dataset).toBe('shoplog.fraud');
  });

  it('mints a fresh UUIDv7 when the id is missing or not a UUID/ULID, keeping the original as a label', () => {
    const a = ok({ ...SEED.transaction, id: '656f1c2e9b1e8a0012345678' });
    expect(a.event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(a.labels?.seed_id).toBe('656f1c2e9b1e8a0012345678');
    const b = ok({ ...SEED.transaction, event_id: '0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e' });
    expect(b.event.id).toBe('0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e');
  });
});

// One row per seed field of the mapping table in packages/core/README.md.
const TABLE: [field: string, base: keyof typeof SEED, value: unknown, path: string, expected: unknown][] = [
  ['@timestamp', 'transaction', '2026-01-02T03:04:05Z', '@timestamp', '2026-01-02T03:04:05.000Z'],
  ['timestamp', 'transaction', '2026-01-02 03:04:05', '@timestamp', '2026-01-02T03:04:05.000Z'],
  ['log_type', 'transaction', 'Transaction', 'event.dataset', 'shoplog.transaction'],
  ['level', 'transaction', 'warning', 'log.level', 'warn'],
  ['message', 'transaction', 'hello', 'message', 'hello'],
  ['service', 'transaction', 'cart', 'service.name', 'cart'],
  ['source', 'error', 'legacy-api', 'service.name', 'legacy-api'],
  ['metadata', 'transaction', { campaign: 'bf', items: 3 }, 'labels', { campaign: 'bf', items: '3' }],
  ['trace_id', 'transaction', '4BF92F3577B34DA6A3CE929D0E0E4736', 'trace.id', '4bf92f3577b34da6a3ce929d0e0e4736'],
  ['span_id', 'transaction', '00f067aa0ba902b7', 'span.id', '00f067aa0ba902b7'],
  ['user_id', 'transaction', 77, 'user.id', '77'],
  ['ip', 'transaction', '192.0.2.1', 'client.ip', '192.0.2.1'],
  ['client_ip', 'transaction', '192.0.2.2', 'client.ip', '192.0.2.2'],
  ['transaction_id', 'transaction', 'T-1', 'shop.transaction.id', 'T-1'],
  ['order_id', 'transaction', 'O-1', 'shop.order.id', 'O-1'],
  ['amount', 'transaction', 10.5, 'shop.amount.value', '10.50'],
  ['currency', 'transaction', 'jpy', 'shop.amount', { currency: 'JPY', value: '250', minor: 250 }],
  ['payment_method', 'transaction', 'paypal', 'shop.payment.method', 'paypal'],
  ['status', 'transaction', 'declined', 'shop.transaction.status', 'declined'],
  ['transaction_type', 'transaction', 'refund', 'shop.transaction.type', 'refund'],
  ['merchant_id', 'transaction', 'M-9', 'shop.merchant.id', 'M-9'],
  ['error_code', 'error', 'E_DB_DOWN', 'error.code', 'E_DB_DOWN'],
  ['error_type', 'error', 'TimeoutError', 'error.type', 'TimeoutError'],
  ['error_message', 'error', 'boom', 'error.message', 'boom'],
  ['stack_trace', 'error', 'at x (a.js:1)', 'error.stack_trace', 'at x (a.js:1)'],
  ['endpoint', 'error', '/api/cart', 'http.route', '/api/cart'],
  ['action', 'user_behavior', 'checkout', 'shop.action', 'checkout_started'],
  ['page', 'user_behavior', 'home', 'shop.page.name', 'home'],
  ['session_id', 'user_behavior', 's-2', 'shop.session.id', 's-2'],
  ['duration_ms', 'user_behavior', 1.5, 'event.duration', 1_500_000],
  ['user_agent', 'user_behavior', 'curl/8.5', 'user_agent.original', 'curl/8.5'],
  ['method', 'performance', 'post', 'http.request.method', 'POST'],
  ['response_time', 'performance', 12, 'event.duration', 12_000_000],
  ['status_code', 'performance', '503', 'http.response.status_code', 503],
  ['db_query_time', 'performance', '7.25', 'shop.performance.db_duration', 7_250_000],
  ['cache_hit', 'performance', 'True', 'shop.performance.cache_hit', true],
  [
    'fraud_score',
    'fraud',
    55,
    'shop.fraud',
    expect.objectContaining({ score: 55, risk_level: 'medium', decision: 'block' }),
  ],
  ['fraud_detected', 'fraud', 'false', 'shop.fraud.decision', 'block'],
  [
    'fraud_indicators',
    'fraud',
    'high_amount;new device',
    'shop.fraud.reasons',
    [
      { code: 'HIGH_AMOUNT', contribution: 20, detail: 'high_amount' },
      { code: 'NEW_DEVICE', contribution: 0, detail: 'new device' },
    ],
  ],
  [
    'location',
    'fraud',
    { city: 'Lagos', country: 'ng', lat: 6.5, lon: 3.4 },
    'client.geo',
    { city_name: 'Lagos', country_iso_code: 'NG', location: { lat: 6.5, lon: 3.4 } },
  ],
  [
    'event_id',
    'transaction',
    '0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e',
    'event.id',
    '0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e',
  ],
  ['email', 'transaction', 'ana@example.com', 'user.email', 'ana@example.com'],
  ['product_id', 'user_behavior', 'sku-1', 'shop.product.id', 'sku-1'],
  ['query', 'user_behavior', 'red mug', 'shop.search.query', 'red mug'],
  ['operation', 'performance', 'SELECT orders', 'shop.performance.operation', 'SELECT orders'],
  ['(any other field)', 'transaction', 'x', 'labels.(any other field)', 'x'],
];

describe('normalize: the mapping table, row by row', () => {
  it.each(TABLE)('%s', (field, base, value, path, expected) => {
    const doc: Record<string, unknown> = { ...SEED[base], [field]: value };
    if (field === 'timestamp') delete doc['@timestamp'];
    if (field === 'source') delete doc.service;
    if (field === 'client_ip') delete doc.ip;
    if (field === 'currency') doc.amount = 250;
    if (field === 'fraud_detected') doc.fraud_score = 80;
    if (field === 'fraud_score') doc.fraud_detected = true;
    const e = ok(doc);
    expect(at(e, path.replace('labels.(any other field)', 'labels.(any other field)'))).toEqual(expected);
  });
});

describe('normalize: timestamps and levels', () => {
  it.each([
    ['2026-11-26T10:00:00Z', '2026-11-26T10:00:00.000Z'],
    ['2026-11-26T10:00:00.5+02:00', '2026-11-26T08:00:00.500Z'],
    ['2026-11-26T10:00:00', '2026-11-26T10:00:00.000Z'],
    ['2026-11-26 10:00:00', '2026-11-26T10:00:00.000Z'],
    ['2026-11-26', '2026-11-26T00:00:00.000Z'],
    ['26/Nov/2026:10:00:00 +0100', '2026-11-26T09:00:00.000Z'],
    [1764151200, '2025-11-26T10:00:00.000Z'],
    ['1764151200', '2025-11-26T10:00:00.000Z'],
    [1764151200123, '2025-11-26T10:00:00.123Z'],
    ['1764151200123', '2025-11-26T10:00:00.123Z'],
  ])('parses %s', (input, iso) => {
    expect(new Date(parseTimestamp(input) as number).toISOString()).toBe(iso);
    expect(ok({ ...SEED.transaction, '@timestamp': input })['@timestamp']).toBe(iso);
  });

  it('rejects dates that do not exist', () => {
    for (const bad of ['2026-02-31 10:00:00', 'yesterday', '26/Foo/2026:10:00:00 +0000', -5])
      expect(parseTimestamp(bad)).toBeUndefined();
    expect(issuesOf({ ...SEED.transaction, '@timestamp': 'yesterday' })[0]?.path).toBe('@timestamp');
  });

  it.each([
    ['DEBUG', 'debug'],
    ['info', 'info'],
    ['Warning', 'warn'],
    ['WARN', 'warn'],
    ['ERROR', 'error'],
    ['critical', 'fatal'],
    ['CRITICAL', 'fatal'],
    ['notice', 'info'],
    ['err', 'error'],
    ['emerg', 'fatal'],
    ['verbose', 'debug'],
    ['silly', 'trace'],
    ['http', 'info'],
  ])('maps level %s', (level, expected) => {
    expect(ok({ ...SEED.transaction, level }).log.level).toBe(expected);
  });

  it('keeps a trace or span id that is not a W3C id as a label instead of failing the event', () => {
    const e = ok({ ...SEED.transaction, trace_id: 'not-a-trace', span_id: '0000000000000000' });
    expect(e.trace).toBeUndefined();
    expect(e.span).toBeUndefined();
    expect(e.labels).toMatchObject({ trace_id: 'not-a-trace', span_id: '0000000000000000' });
  });
});

describe('normalize: envelopes and bad input', () => {
  it('passes a valid envelope through unchanged', () => {
    const e = transaction({
      shop: { transaction: { id: 't', type: 'purchase', status: 'pending' }, amount: { minor: 100, currency: 'EUR' } },
    });
    const res = norm(e);
    expect(res).toEqual({ ok: true, event: e });
  });

  it('fills a missing event.id, @timestamp and log.level of an envelope', () => {
    const e = ok({ event: { dataset: 'shoplog.error' }, error: { message: 'x' } });
    expect(e.event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e['@timestamp']).toBe('2026-11-26T12:00:00.000Z');
    expect(e.log.level).toBe('info');
  });

  it('reports each unusable seed field by its name', () => {
    expect(issuesOf({ log_type: 'refund_request', amount: 1 })).toEqual([
      { path: 'log_type', message: expect.stringContaining('must be one of') },
    ]);
    expect(issuesOf({ ...SEED.transaction, amount: 'ten' }).map((i) => i.path)).toEqual(['amount']);
    expect(issuesOf({ ...SEED.transaction, currency: 'euro' }).map((i) => i.path)).toEqual(['currency']);
    expect(issuesOf({ ...SEED.transaction, status: 'teleported' }).map((i) => i.path)).toEqual(['status']);
    expect(issuesOf({ ...SEED.transaction, level: 'LOUD' }).map((i) => i.path)).toEqual(['level']);
    expect(
      issuesOf({ ...SEED.performance, response_time: 'fast', db_query_time: undefined }).map((i) => i.path),
    ).toEqual(['response_time']);
    expect(issuesOf({ ...SEED.user_behavior, session_id: '' }).map((i) => i.path)).toEqual(['session_id']);
    expect(issuesOf({ ...SEED.performance, cache_hit: 'maybe' }).map((i) => i.path)).toEqual(['cache_hit']);
    expect(issuesOf({ hello: 'world' }).map((i) => i.path)).toEqual(['log_type']);
  });

  it('names the seed field behind a schema issue', () => {
    const issues = issuesOf({ ...SEED.transaction, payment_method: 'x'.repeat(100) });
    expect(issues).toEqual([
      { path: 'shop.payment.method', message: expect.stringContaining('(seed field payment_method)') },
    ]);
  });

  it('never throws, whatever it is given', () => {
    const values: unknown[] = [
      null,
      undefined,
      0,
      'x',
      [],
      [1],
      true,
      {},
      { type: 'fraud', data: [] },
      { log_type: 5 },
      { event: null },
      { event: { dataset: 3 } },
    ];
    for (const key of [
      'amount',
      'currency',
      'level',
      'fraud_indicators',
      'location',
      'metadata',
      'timestamp',
      'status_code',
      'user_id',
    ]) {
      for (const v of [null, {}, [], 'x', -1, 1e30, Number.NaN, true, '[1,', { lat: 'a' }])
        values.push({ ...SEED.fraud, [key]: v });
    }
    for (const v of values) expect(() => normalize(v)).not.toThrow();
  });
});

describe('plain log lines', () => {
  it('normalises a flat line with only a message and a level to shoplog.log', () => {
    const res = normalize({
      message: 'catalogue cache warmed',
      level: 'INFO',
      service: 'catalog',
      timestamp: '2026-11-26 10:00:00',
    });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.event.event.dataset).toBe('shoplog.log');
    expect(res.event.service?.name).toBe('catalog');
    expect(res.event['@timestamp']).toBe('2026-11-26T10:00:00.000Z');
  });

  it('still rejects a flat document with neither a kind nor a message', () => {
    const res = normalize({ level: 'INFO', foo: 1 });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues[0]?.path).toBe('log_type');
  });
});
