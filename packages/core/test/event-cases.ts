import { createEvent, createTrafficGenerator, normalize, transactionEventFromInput, type Random } from '@shoplog/core';

// The inputs of the differential tests of the compiled validator (validate-differential, validate-unchanged): valid
// envelopes of every kind and random mutations of them.

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

const UAS = ['Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', 'curl/8.5.0'];

/** Envelopes of every kind built with `createEvent` (the differential tests' valid inputs). */
export function builtEvents(r: Random, count: number): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < count; i++) {
    const service = { name: 'checkout-api', version: '1.4.2', environment: 'production' };
    const user = { id: `u-${i % 97}`, email: `u${i}@example.com` };
    switch (i % 6) {
      case 0:
        out.push(
          createEvent(
            'transaction',
            {
              message: r.chance(0.2) ? 'card 4242 4242 4242 4242 declined' : `payment ${i}`,
              user,
              http: {
                request: { method: 'POST', headers: { authorization: 'Bearer x', accept: ['a', 'b'] } },
                response: { status_code: 201 },
              },
              shop: {
                transaction: {
                  id: `tx-${i}`,
                  type: r.pick(['purchase', 'refund'] as const),
                  status: 'completed',
                  attempt: r.int(1, 3),
                },
                amount: r.chance(0.5)
                  ? { currency: 'EUR', minor: 12990, value: '129.90' }
                  : { currency: r.pick(['JPY', 'KWD', 'USD']), minor: r.int(0, 99999) },
                payment: {
                  method: 'card',
                  card: { last4: '4242', brand: 'visa', bin: '424242', issuer_country: 'US' },
                },
                order: { id: `o-${i}`, items: r.int(0, 5) },
                billing: { country: 'FR', postal_code: '69001' },
              },
            },
            { service },
          ) as unknown as Json,
        );
        break;
      case 1:
        out.push(
          createEvent(
            'error',
            {
              message: 'boom',
              error: { type: 'TypeError', message: 'x is undefined', stack_trace: 'at y', code: 'E1' },
              http: { response: { status_code: 500 } },
              shop: r.chance(0.5) ? { error: { kind: 'exception', handled: false } } : undefined,
            },
            { service },
          ) as unknown as Json,
        );
        break;
      case 2:
        out.push(
          createEvent(
            'user_behavior',
            {
              user,
              user_agent: { original: r.pick(UAS) },
              url: { path: '/p', query: 'q=shoes&token=abc' },
              shop: {
                action: 'add_to_cart',
                session: { id: `s-${i}` },
                cart: { value: { currency: 'EUR', value: '10.00' }, items: 2 },
                product: { id: 'p-1', quantity: 1, price: { currency: 'KWD', value: '1.250' } },
                search: { query: 'mug', results: 3 },
              },
            },
            { service },
          ) as unknown as Json,
        );
        break;
      case 3:
        out.push(
          createEvent(
            'performance',
            {
              event: { duration: r.int(0, 2e8) },
              labels: { region: 'eu' },
              tags: ['a', 'b'],
              shop: {
                performance: {
                  kind: 'db',
                  operation: 'SELECT',
                  target: 'pg',
                  cache_hit: r.chance(0.5),
                  db_duration: r.int(0, 1e6),
                },
              },
            },
            { service },
          ) as unknown as Json,
        );
        break;
      case 4:
        out.push(
          createEvent(
            'fraud',
            {
              user,
              client: { ip: '203.0.113.7', geo: { country_iso_code: 'FR', location: { lat: 45.7, lon: 4.8 } } },
              shop: {
                fraud: {
                  score: r.next() * 100,
                  risk_level: 'high',
                  decision: 'block',
                  reasons: [{ code: 'VELOCITY_USER', contribution: 50, detail: 'x' }],
                  ruleset_version: '1',
                },
                transaction: { id: `tx-${i}` },
                amount: { currency: 'EUR', value: '1999.00' },
                payment: { card: { last4: '0000' } },
              },
            },
            { service },
          ) as unknown as Json,
        );
        break;
      default:
        out.push(
          createEvent(
            'log',
            {
              message: `line ${i}`,
              trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
              span: { id: '00f067aa0ba902b7' },
              shop: { session: { id: 's' } },
            },
            { service },
          ) as unknown as Json,
        );
    }
  }
  return out;
}

/** The seed platform's five shapes, normalised to envelopes. */
export function seedEnvelopes(): Json[] {
  const docs: Json[] = [
    {
      timestamp: '2026-11-26 10:00:00',
      log_type: 'transaction',
      level: 'INFO',
      transaction_id: 'T1',
      user_id: 7,
      amount: 12.5,
      currency: 'EUR',
      payment_method: 'credit_card',
      status: 'completed',
      merchant_id: 'M-1',
    },
    {
      timestamp: '2026-11-26 10:00:00',
      log_type: 'user_behavior',
      level: 'INFO',
      user_id: 'u',
      action: 'page_view',
      page: '/home',
      session_id: 's',
      duration_ms: 1200,
    },
    {
      timestamp: '2026-11-26 10:00:00',
      log_type: 'error',
      level: 'ERROR',
      error_code: 500,
      error_type: 'DatabaseError',
      error_message: 'pool',
      endpoint: '/x',
    },
    {
      timestamp: '2026-11-26 10:00:00',
      log_type: 'performance',
      level: 'INFO',
      endpoint: '/p',
      method: 'GET',
      response_time: 120.5,
      status_code: 200,
      db_query_time: 40,
      cache_hit: true,
    },
    {
      timestamp: '2026-11-26 10:00:00',
      log_type: 'fraud',
      level: 'WARNING',
      transaction_id: 'T2',
      user_id: 'u5',
      fraud_score: 80,
      fraud_detected: true,
      fraud_indicators: ['high_amount'],
      amount: 12500,
      location: 'NG',
    },
  ];
  return docs.map((d) => {
    const r = normalize(d);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.event as unknown as Json;
  });
}

function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      paths(v, [...prefix, k], out);
    }
  }
  return out;
}

const LONG = 'x'.repeat(70_000);
const BAD_VALUES: unknown[] = [
  null,
  undefined,
  0,
  -1,
  1.5,
  2 ** 53,
  600,
  99,
  101,
  -0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  LONG,
  LONG.slice(0, 300),
  LONG.slice(0, 5000),
  'eur',
  'EUR',
  'FR',
  'fr',
  '42424',
  '4242',
  '12.345',
  '129.9.0',
  '-5.00',
  '2026-02-30T10:00:00Z',
  '2026-11-26T10:00:00+01:00',
  '2026-11-26 10:00:00',
  'WARNING',
  'info',
  'purchase',
  'gift',
  'http',
  'VELOCITY',
  'bad code',
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '0192f0c1-8d5a-7b3c-9e21-4f5a6b7c8d9e',
  '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  true,
  false,
  [],
  ['a'],
  [1],
  {},
  { id: 'x' },
  { currency: 'EUR' },
  { currency: 'EUR', minor: 1, value: '0.02' },
  new Date(0),
];

/** A copy of `event` with one field deleted, added (a bad value), replaced, or an own `__proto__` key added. */
export function mutate(r: Random, event: Json): Json {
  const copy = structuredClone(event);
  const all = paths(copy);
  const path = r.pick(all);
  let parent: Json = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Json;
  const key = path[path.length - 1] as string;
  const roll = r.next();
  if (roll < 0.15) delete parent[key];
  else if (roll < 0.25) parent[`extra_${r.int(0, 3)}`] = r.pick(BAD_VALUES);
  else if (roll < 0.3)
    Object.defineProperty(parent, '__proto__', {
      value: { polluted: true },
      enumerable: true,
      configurable: true,
      writable: true,
    });
  else parent[key] = r.pick(BAD_VALUES);
  return copy;
}

/** The valid inputs of both differential tests: 600 built envelopes, 300 generated transactions, the seed shapes. */
export function validCases(r: Random): Json[] {
  return [
    ...builtEvents(r, 600),
    ...createTrafficGenerator({ seed: 7, customers: 200 })
      .take(300)
      .map((t) => transactionEventFromInput(t.input) as unknown as Json),
    ...seedEnvelopes(),
  ];
}
