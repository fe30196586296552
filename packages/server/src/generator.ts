import { createRandom, minorToDecimal, randomHex, uuidv7, type ShoplogEvent } from '@shoplog/core';

/** Options of the traffic generator. */
export interface TrafficOptions {
  /** Number of events to produce. */
  count: number;
  /** Spread the events over this many days before `now`. @default 7 */
  days?: number;
  /** End of the time window (epoch ms). @default Date.now() */
  now?: number;
  /** PRNG seed, for reproducible traffic. @default 1 */
  seed?: number;
}

type Json = Record<string, unknown>;

const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({
  id: `SKU-${1000 + i}`,
  name: `Product ${1000 + i}`,
  price: 500 + ((i * 1237) % 20_000),
}));
const METHODS = ['credit_card', 'debit_card', 'paypal', 'apple_pay'];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'USD', 'GBP'];
/**
 * Where the sample shoppers connect from: /24 networks of public infrastructure (registries, research networks,
 * public DNS), never a person's address, weighted like a European shop's audience. A GeoIP database places each in
 * its country (FR, DE, GB, US, ES, IT, NL, CA, BR, JP, AU, NG), so the demo shows GeoIP at work.
 */
const NETWORKS = [
  '193.51.224',
  '193.51.224',
  '193.51.224',
  '193.51.224', // FR
  '130.149.1',
  '130.149.1',
  '130.149.1', // DE
  '81.2.69',
  '81.2.69',
  '81.2.69', // GB
  '8.8.8',
  '8.8.8', // US
  '130.206.1',
  '193.204.114',
  '193.0.14',
  '206.167.212',
  '200.160.0',
  '202.12.27',
  '203.2.218',
  '41.203.64',
];
const DB_OPS = ['SELECT products', 'SELECT orders', 'INSERT orders', 'UPDATE carts', 'SELECT users'];
const ERRORS: [number, string, string][] = [
  [500, 'InternalServerError', 'unhandled exception in order service'],
  [502, 'BadGateway', 'payment provider returned 502'],
  [503, 'ServiceUnavailable', 'inventory service unavailable'],
  [404, 'NotFound', 'product not found'],
  [400, 'ValidationError', 'invalid shipping address'],
];

/**
 * Realistic shop traffic for all five kinds: sessions that browse, fill carts and check out (or abandon), their
 * requests with latencies and DB calls, errors, transactions and a fraud verdict per transaction, spread over
 * `days`, with injected fraud patterns (card testing, high amounts, velocity) labelled `labels.pattern`.
 * Events of one session are in time order; sessions are interleaved over the window.
 */
export function* generateTraffic(options: TrafficOptions): Generator<ShoplogEvent> {
  const random = createRandom(options.seed ?? 1);
  const rand = (): number => random.next();
  const now = options.now ?? Date.now();
  const span = (options.days ?? 7) * 86_400_000;
  const pick = <T>(items: readonly T[]): T => random.pick(items);
  const logNormal = (median: number, sigma: number): number =>
    median * Math.exp(sigma * Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand()));
  let produced = 0;
  let sessionNo = 0;

  const base = (ts: number, dataset: string, level: string, service: string, extra: Json): ShoplogEvent =>
    ({
      '@timestamp': new Date(Math.min(ts, now - 1)).toISOString(),
      event: { id: uuidv7(Math.min(ts, now - 1)), dataset },
      log: { level },
      service: { name: service, environment: 'demo' },
      ...extra,
    }) as unknown as ShoplogEvent;

  while (produced < options.count) {
    sessionNo++;
    const user = `user-${1 + Math.floor(rand() * 400)}`;
    const session = `sess-${sessionNo.toString(36)}-${randomHex(3)}`;
    const ip = `${pick(NETWORKS)}.${1 + Math.floor(rand() * 250)}`;
    let t = now - span + rand() * span;
    const out: ShoplogEvent[] = [];
    const common = { user: { id: user }, client: { ip }, trace: { id: randomHex(16) } };
    const request = (route: string, service: string): void => {
      const ms = Math.max(1, logNormal(route === '/checkout' ? 180 : 60, 0.6));
      out.push(
        base(t, 'shoplog.performance', ms > 1000 ? 'warn' : 'info', service, {
          ...common,
          message: `GET ${route} ${Math.round(ms)} ms`,
          event: { id: uuidv7(t), dataset: 'shoplog.performance', duration: Math.round(ms * 1e6) },
          http: { route, request: { method: route === '/checkout' ? 'POST' : 'GET' }, response: { status_code: 200 } },
          shop: { performance: { kind: 'http', db_duration: Math.round(ms * 0.4 * 1e6) } },
        }),
      );
      if (rand() < 0.5) {
        const dbMs = Math.max(0.2, logNormal(8, 0.9));
        const op = pick(DB_OPS);
        out.push(
          base(t, 'shoplog.performance', 'debug', service, {
            message: `${op} ${dbMs.toFixed(1)} ms`,
            event: { id: uuidv7(t), dataset: 'shoplog.performance', duration: Math.round(dbMs * 1e6) },
            shop: { performance: { kind: 'db', operation: op, target: 'postgres' } },
          }),
        );
      }
      if (rand() < 0.04) {
        const [status, type, message] = pick(ERRORS);
        out.push(
          base(t, 'shoplog.error', status >= 500 ? 'error' : 'warn', service, {
            ...common,
            message,
            error: { type, message, code: String(status) },
            http: { route, response: { status_code: status } },
            shop: { error: { kind: 'http' }, session: { id: session } },
          }),
        );
      }
      t += 1000 + rand() * 30_000;
    };
    const behavior = (action: string, extra: Json, message: string): void => {
      out.push(
        base(t, 'shoplog.user_behavior', 'info', 'storefront', {
          ...common,
          message,
          shop: { action, session: { id: session }, ...extra },
        }),
      );
    };
    const views = 1 + Math.floor(rand() * 5);
    const cart: { id: string; price: number }[] = [];
    for (let i = 0; i < views; i++) {
      const product = pick(PRODUCTS);
      request('/products/:id', 'catalog');
      behavior(
        'page_view',
        { product: { id: product.id, name: product.name }, page: { name: 'product' } },
        `viewed ${product.name}`,
      );
      if (rand() < 0.35) {
        cart.push(product);
        request('/cart', 'storefront');
        behavior(
          'add_to_cart',
          { product: { id: product.id, name: product.name, quantity: 1 }, cart: { items: cart.length } },
          `added ${product.name} to cart`,
        );
      }
    }
    const pattern = rand();
    if (cart.length > 0 && rand() < 0.6) {
      behavior('checkout_started', { cart: { items: cart.length } }, 'checkout started');
      request('/checkout', 'checkout');
      const currency = pick(CURRENCIES);
      const attempts = pattern < 0.03 ? 4 + Math.floor(rand() * 4) : 1; // card testing: many small declined tries
      for (let a = 0; a < attempts; a++) {
        const testing = attempts > 1;
        const high = !testing && pattern > 0.985;
        const minor = testing
          ? 100 + Math.floor(rand() * 200)
          : high
            ? 1_200_000 + Math.floor(rand() * 500_000)
            : cart.reduce((s, p) => s + p.price, 0);
        const status =
          testing && a < attempts - 1
            ? 'declined'
            : rand() < 0.85
              ? 'completed'
              : pick(['declined', 'failed', 'pending']);
        const txId = `tx-${randomHex(6)}`;
        const amount = { currency, minor, value: minorToDecimal(minor, currency) };
        out.push(
          base(t, 'shoplog.transaction', status === 'completed' || status === 'pending' ? 'info' : 'warn', 'payments', {
            ...common,
            message: `payment ${status} ${amount.value} ${currency}`,
            shop: {
              transaction: { id: txId, type: 'purchase', status, attempt: a + 1 },
              amount,
              payment: { method: pick(METHODS), provider: 'stripe' },
              session: { id: session },
            },
          }),
        );
        const reasons = [
          ...(testing ? [{ code: 'CARD_TESTING', contribution: 45, detail: `${a + 1} small attempts` }] : []),
          ...(testing && a >= 2
            ? [{ code: 'VELOCITY_USER', contribution: 30, detail: 'many transactions in 10 minutes' }]
            : []),
          ...(high ? [{ code: 'AMOUNT_ANOMALY', contribution: 55, detail: 'amount far above the user history' }] : []),
          ...(!testing && !high && rand() < 0.1
            ? [{ code: 'COUNTRY_MISMATCH', contribution: 20, detail: 'IP country differs from billing' }]
            : []),
        ];
        const score = Math.min(100, reasons.reduce((s, r) => s + r.contribution, 0) + Math.floor(rand() * 5));
        out.push(
          base(t + 5, 'shoplog.fraud', score >= 50 ? 'warn' : 'info', 'payments', {
            ...common,
            message: `fraud score ${score} for ${txId}`,
            ...(testing || high ? { labels: { pattern: testing ? 'card_testing' : 'high_amount' } } : {}),
            shop: {
              fraud: {
                score,
                risk_level: score >= 75 ? 'high' : score >= 50 ? 'medium' : score >= 25 ? 'low' : 'minimal',
                decision: score >= 75 ? 'block' : score >= 50 ? 'review' : 'allow',
                reasons,
                ruleset_version: 'demo-1',
              },
              transaction: { id: txId },
              amount,
            },
          }),
        );
        t += testing ? 5000 : 1000;
        if (status === 'completed') {
          behavior('checkout_completed', { cart: { items: cart.length } }, 'order placed');
          break;
        }
      }
    } else if (cart.length > 0) {
      behavior('cart_abandoned', { cart: { items: cart.length } }, 'cart abandoned');
    }
    for (const event of out) {
      if (produced >= options.count) return;
      produced++;
      yield event;
    }
  }
}
