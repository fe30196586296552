import { z } from 'zod';
import {
  createFraudScorer,
  createRandom,
  createTrafficGenerator,
  fraudEventFromResult,
  parseOptions,
  randomHex,
  transactionEventFromInput,
  uuidv7,
  type FraudInput,
  type Random,
  type ShoplogEvent,
} from '@shoplog/core';

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

const OptionsSchema = z.strictObject({
  count: z.int().positive(),
  days: z.number().positive().max(3650).default(7),
  now: z.number().finite().optional(),
  seed: z.int().default(1),
});

type Json = Record<string, unknown>;

const DAY = 86_400_000;
/** Days of traffic scored before the window, so the verdicts in it come from a scorer that knows the customers. */
const WARM_DAYS = 7;
/** Share of fraudulent transactions: more than a real shop's, so that a demo week shows fraud. */
const FRAUD_RATE = 0.2;
/** Transactions a day per customer of `createTrafficGenerator` (orders, guests, sign-ups), to size the shop. */
const TX_PER_CUSTOMER_DAY = 0.04;
/** Events of a checkout session, on average; checkout sessions make about half of the events, browsing the rest. */
const EVENTS_PER_CHECKOUT = 17;
/** A payment within this time of the same shopper's previous one continues its session (a retry, a burst). */
const SESSION_GAP = 30 * 60_000;

const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({ id: `SKU-${1000 + i}`, name: `Product ${1000 + i}` }));
const DB_OPS = ['SELECT products', 'SELECT orders', 'INSERT orders', 'UPDATE carts', 'SELECT users'];
const ERRORS: [number, string, string][] = [
  [500, 'InternalServerError', 'unhandled exception in order service'],
  [502, 'BadGateway', 'payment provider returned 502'],
  [503, 'ServiceUnavailable', 'inventory service unavailable'],
  [404, 'NotFound', 'product not found'],
  [400, 'ValidationError', 'invalid shipping address'],
];

/** Who shops: the transactions' customers (id, address, country, browser), reused by their browsing sessions. */
interface Shopper {
  userId: string | undefined;
  ip: string | undefined;
  country: string | undefined;
  userAgent: string | undefined;
}

const shopperOf = (input: FraudInput): Shopper => ({
  userId: input.userId,
  ip: input.ip,
  country: input.ipCountry,
  userAgent: input.userAgent,
});

/** The fields every event of a session carries. */
function sessionFields(shopper: Shopper, traceId: string): Json {
  return {
    ...(shopper.userId !== undefined ? { user: { id: shopper.userId } } : {}),
    ...(shopper.ip !== undefined
      ? { client: { ip: shopper.ip, ...(shopper.country ? { geo: { country_iso_code: shopper.country } } : {}) } }
      : {}),
    ...(shopper.userAgent !== undefined ? { user_agent: { original: shopper.userAgent } } : {}),
    trace: { id: traceId },
  };
}

/** A session's ids, to continue it. */
interface SessionIds {
  id: string;
  traceId: string;
}

/**
 * Writes the browsing, performance and error events of one session (or of the session `resume` names), in time
 * order, from `at`.
 */
function createSession(
  random: Random,
  clamp: (at: number) => number,
  shopper: Shopper,
  at: number,
  resume?: SessionIds,
) {
  const out: ShoplogEvent[] = [];
  const ids: SessionIds = resume ?? { id: `sess-${randomHex(6)}`, traceId: randomHex(16) };
  const id = ids.id;
  const common = sessionFields(shopper, ids.traceId);
  let t = at;
  const base = (dataset: string, level: string, service: string, extra: Json): ShoplogEvent => {
    const ts = clamp(t);
    return {
      '@timestamp': new Date(ts).toISOString(),
      log: { level },
      service: { name: service, environment: 'demo' },
      ...extra,
      event: { id: uuidv7(ts), dataset, ...(extra.event as Json | undefined) },
    } as unknown as ShoplogEvent;
  };
  const logNormal = (median: number, sigma: number): number => median * Math.exp(sigma * random.normal());
  return {
    ids,
    events: out,
    /** Moves the session's clock to `at`. */
    moveTo(at: number): void {
      t = at;
    },
    /** An HTTP request of the session: its latency, sometimes a database call, now and then an error. */
    request(route: string, service: string): void {
      const ms = Math.max(1, logNormal(route === '/checkout' ? 180 : 60, 0.6));
      const method = route === '/checkout' ? 'POST' : 'GET';
      out.push(
        base('shoplog.performance', ms > 1000 ? 'warn' : 'info', service, {
          ...common,
          message: `${method} ${route} ${Math.round(ms)} ms`,
          event: { duration: Math.round(ms * 1e6) },
          http: { route, request: { method }, response: { status_code: 200 } },
          shop: { performance: { kind: 'http', db_duration: Math.round(ms * 0.4 * 1e6) } },
        }),
      );
      if (random.chance(0.5)) {
        const dbMs = Math.max(0.2, logNormal(8, 0.9));
        const op = random.pick(DB_OPS);
        out.push(
          base('shoplog.performance', 'debug', service, {
            message: `${op} ${dbMs.toFixed(1)} ms`,
            event: { duration: Math.round(dbMs * 1e6) },
            shop: { performance: { kind: 'db', operation: op, target: 'postgres' } },
          }),
        );
      }
      if (random.chance(0.04)) {
        const [status, type, message] = random.pick(ERRORS);
        out.push(
          base('shoplog.error', status >= 500 ? 'error' : 'warn', service, {
            ...common,
            message,
            error: { type, message, code: String(status) },
            http: { route, response: { status_code: status } },
            shop: { error: { kind: 'http' }, session: { id } },
          }),
        );
      }
      t += 1000 + random.next() * 30_000;
    },
    /** A user-behaviour event of the session. */
    behavior(action: string, extra: Json, message: string): void {
      out.push(
        base('shoplog.user_behavior', 'info', 'storefront', {
          ...common,
          message,
          shop: { action, session: { id }, ...extra },
        }),
      );
    },
    /** Product views, some added to the cart; returns the cart's size. */
    browse(): number {
      let cart = 0;
      for (let i = 0, views = random.int(1, 5); i < views; i++) {
        const product = random.pick(PRODUCTS);
        this.request('/products/:id', 'catalog');
        this.behavior('page_view', { product, page: { name: 'product' } }, `viewed ${product.name}`);
        if (random.chance(0.35)) {
          cart++;
          this.request('/cart', 'storefront');
          this.behavior(
            'add_to_cart',
            { product: { ...product, quantity: 1 }, cart: { items: cart } },
            `added ${product.name} to cart`,
          );
        }
      }
      return cart;
    },
    push(event: ShoplogEvent): void {
      out.push(event);
    },
  };
}

/**
 * Demo shop traffic of all five kinds over the `days` before `now`. The payments are core's labelled traffic
 * (`createTrafficGenerator`: customers with habits and the fraud scenarios, the same the fraud benchmarks use), each
 * judged by core's default scorer (`createFraudScorer`, as the server judges) into its `shoplog.fraud` verdict; both
 * carry the generator's scenario in `labels.scenario`. Around each payment, its shopper's session (product views,
 * cart, checkout: behaviour, latencies, database calls, now and then an error); between payments, browsing sessions
 * of the same shoppers that end without one. Sessions come in time order, each with its events in time order.
 */
export function* generateTraffic(options: TrafficOptions): Generator<ShoplogEvent> {
  const o = parseOptions('generateTraffic', OptionsSchema, options);
  const now = o.now ?? Date.now();
  const span = o.days * DAY;
  const from = now - span;
  const clamp = (at: number): number => Math.round(Math.min(now - 1, Math.max(from, at)));
  const random = createRandom(o.seed ^ 0x5eed5);
  const customers = Math.max(50, Math.round((o.count * 0.5) / EVENTS_PER_CHECKOUT / (TX_PER_CUSTOMER_DAY * o.days)));
  const traffic = createTrafficGenerator({
    seed: o.seed,
    customers,
    fraudRate: FRAUD_RATE,
    start: from - WARM_DAYS * DAY,
    richFields: true,
  });
  const scorer = createFraudScorer();
  const shoppers: Shopper[] = [];
  for (const tx of traffic.takeDays(WARM_DAYS)) {
    scorer.scoreSync(tx.input);
    if (shoppers.length < 5000) shoppers.push(shopperOf(tx.input));
  }
  const lastPayment = new Map<string, { at: number; session: SessionIds }>();
  const pace = (at: number): number => (o.count * (at - from)) / span;
  let produced = 0;

  /** Browsing sessions that end without a payment, until the events keep pace with the window up to `until`. */
  function* browseUntil(until: number): Generator<ShoplogEvent> {
    while (produced < o.count && produced < pace(until) && shoppers.length > 0) {
      // Where the window's pace puts the next event, somewhat later.
      const paced = from + (produced / o.count) * span;
      const session = createSession(
        random,
        clamp,
        random.pick(shoppers),
        paced + random.next() * Math.max(0, until - paced) * 0.5,
      );
      const items = session.browse();
      if (items > 0) session.behavior('cart_abandoned', { cart: { items } }, 'cart abandoned');
      for (const event of session.events) {
        if (produced >= o.count) return;
        produced++;
        yield event;
      }
    }
  }

  for (let day = 0; day < Math.ceil(o.days) && produced < o.count; day++) {
    for (const tx of traffic.takeDays(1)) {
      const input = tx.input;
      const at = input.timestamp ?? from;
      if (at >= now) break;
      const result = scorer.scoreSync(input);
      const shopper = shopperOf(input);
      shoppers[shoppers.length < 5000 ? shoppers.length : random.int(0, 4999)] = shopper;
      yield* browseUntil(at);
      if (produced >= o.count) return;
      // Ahead of the window's pace (a small shop, a burst): the payment is judged but not written.
      if (produced > pace(at) + Math.max(20, o.count * 0.05)) continue;
      const key = input.userId ?? input.email ?? input.ip ?? '';
      const previous = lastPayment.get(key);
      let session: ReturnType<typeof createSession>;
      if (previous && at - previous.at < SESSION_GAP) {
        // A retry or the next attempt of a burst: the same session, straight to the payment.
        session = createSession(random, clamp, shopper, at - 2000, previous.session);
        session.request('/checkout', 'checkout');
      } else {
        // Early enough for the longest browse (ten requests of at most 31 s) to end before the payment.
        session = createSession(random, clamp, shopper, at - 60_000 * random.int(6, 18));
        const items = Math.max(1, session.browse());
        session.behavior('checkout_started', { cart: { items } }, 'checkout started');
        session.request('/checkout', 'checkout');
      }
      lastPayment.set(key, { at, session: session.ids });
      const labels = { scenario: tx.scenario };
      const service = { name: 'payments', environment: 'demo' };
      const transaction = transactionEventFromInput(input, { service });
      const { value, currency } = transaction.shop.amount;
      const judged = {
        ...transaction,
        message: `payment ${input.status ?? 'pending'} ${value} ${currency}`,
        labels,
        trace: { id: session.ids.traceId },
        shop: { ...transaction.shop, session: { id: session.ids.id } },
      };
      session.push(judged);
      session.push({ ...fraudEventFromResult(result, judged, { service }), labels });
      session.moveTo(at + 1000);
      if (input.status === 'completed') session.behavior('checkout_completed', {}, 'order placed');
      for (const event of session.events) {
        if (produced >= o.count) return;
        produced++;
        yield event;
      }
    }
  }
  yield* browseUntil(now);
}
