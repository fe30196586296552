// A small shop instrumented with Shoplog: catalogue, search, cart, checkout scored by core's fraud scorer, and a
// deliberate error route. It emits all five kinds of event; tests and the reference server's demo drive it.
import express from 'express';
import { createFraudScorer } from '@shoplog/core';
import { shoplog, shoplogErrorHandler } from '@shoplog/express-middleware';

/** The catalogue: prices in minor units (cents) of EUR. */
export const CATALOGUE = [
  { id: 'sku-1001', name: 'Espresso cups (set of 4)', category: 'kitchen', price: 2490 },
  { id: 'sku-1002', name: 'Pour-over kettle', category: 'kitchen', price: 5900 },
  { id: 'sku-2001', name: 'Merino beanie', category: 'clothing', price: 3500 },
  { id: 'sku-2002', name: 'Rain jacket', category: 'clothing', price: 12900 },
  { id: 'sku-3001', name: 'Noise-cancelling headphones', category: 'electronics', price: 24900 },
  { id: 'sku-3002', name: 'Mechanical keyboard', category: 'electronics', price: 13900 },
];

const byId = new Map(CATALOGUE.map((p) => [p.id, p]));
const eur = (minor) => ({ currency: 'EUR', minor });

/**
 * Creates the shop app. `exporter` receives the events (core's memory exporter, a pipeline, a client, the
 * transport's engine); `fraudScorer` defaults to core's `createFraudScorer()`; `middleware` adds shoplog() options.
 * @param {{
 *   exporter: import('@shoplog/express-middleware').EventSink,
 *   fraudScorer?: import('@shoplog/express-middleware').FraudScorerLike,
 *   service?: import('@shoplog/core').ServiceInfo,
 *   middleware?: Partial<import('@shoplog/express-middleware').ShoplogMiddlewareOptions>,
 * }} options
 */
export function createShopApp({
  exporter,
  fraudScorer = createFraudScorer(),
  service = { name: 'express-shop', environment: 'demo' },
  middleware = {},
}) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(express.json());
  app.use(
    shoplog({
      exporter,
      service,
      fraudScorer,
      skipPaths: ['/health'],
      sessionId: (req) => req.get('x-session-id'),
      ...middleware,
    }),
  );
  // The demo has no login: the user id comes from a header, as an auth middleware would set it.
  app.use((req, _res, next) => {
    const user = req.get('x-user-id');
    if (user) req.shoplog?.setUser(user);
    next();
  });

  const carts = new Map();
  const cartOf = (req) => {
    const key = req.get('x-session-id') ?? 'anonymous';
    if (!carts.has(key)) carts.set(key, new Map());
    return carts.get(key);
  };
  const cartSummary = (cart) => {
    let items = 0;
    let total = 0;
    for (const [id, qty] of cart) {
      items += qty;
      total += (byId.get(id)?.price ?? 0) * qty;
    }
    return { items, total };
  };

  app.get('/health', (_req, res) => res.json({ status: 'ok' }));

  const api = express.Router();
  api.get('/products', (req, res) => {
    const list = req.query.category ? CATALOGUE.filter((p) => p.category === req.query.category) : CATALOGUE;
    req.shoplog?.track('page_view', { page: { name: 'catalogue' } });
    res.json(list);
  });
  api.get('/products/:id', (req, res) => {
    const product = byId.get(req.params.id);
    if (!product) return res.status(404).json({ error: 'no such product' });
    req.shoplog?.track('page_view', {
      page: { name: 'product' },
      product: { id: product.id, name: product.name, category: product.category, price: eur(product.price) },
    });
    res.json(product);
  });
  api.get('/search', (req, res) => {
    const q = String(req.query.q ?? '').toLowerCase();
    const results = CATALOGUE.filter((p) => p.name.toLowerCase().includes(q));
    req.shoplog?.track('search', { search: { query: q.slice(0, 1024), results: results.length } });
    res.json(results);
  });

  const cart = express.Router();
  cart.post('/items', (req, res) => {
    const product = byId.get(req.body?.productId);
    const quantity = Number.isInteger(req.body?.quantity) && req.body.quantity > 0 ? req.body.quantity : 1;
    if (!product) return res.status(400).json({ error: 'unknown productId' });
    const items = cartOf(req);
    items.set(product.id, (items.get(product.id) ?? 0) + quantity);
    const { items: count, total } = cartSummary(items);
    req.shoplog?.track('add_to_cart', {
      product: { id: product.id, quantity, price: eur(product.price) },
      cart: { items: count, value: eur(total) },
    });
    res.status(201).json({ items: count, total });
  });
  cart.delete('/items/:productId', (req, res) => {
    const items = cartOf(req);
    items.delete(req.params.productId);
    const { items: count, total } = cartSummary(items);
    req.shoplog?.track('remove_from_cart', {
      product: { id: req.params.productId },
      cart: { items: count, value: eur(total) },
    });
    res.json({ items: count, total });
  });
  api.use('/cart', cart);

  let orderSeq = 0;
  api.post('/checkout', async (req, res) => {
    const items = cartOf(req);
    const { items: count, total } = cartSummary(items);
    if (count === 0) return res.status(400).json({ error: 'cart is empty' });
    const orderId = `ord-${Date.now().toString(36)}-${++orderSeq}`;
    const card = req.body?.card ?? { last4: '4242', brand: 'visa' };
    const shop = {
      amount: eur(total),
      order: { id: orderId, items: count },
      payment: { method: 'card', provider: 'demo-psp', card },
      ...(req.body?.billingCountry ? { billing: { country: req.body.billingCountry } } : {}),
    };
    req.shoplog?.track('checkout_started', { cart: { items: count, value: eur(total) }, order: { id: orderId } });
    // The attempt is scored; the outcome is logged as its own transaction event, unscored.
    const attempt = await req.shoplog.transaction({
      ...shop,
      transaction: { id: orderId, type: 'purchase', status: 'pending' },
      email: req.body?.email,
    });
    if (attempt.decision === 'block') {
      await req.shoplog.transaction(
        {
          ...shop,
          transaction: {
            id: `${orderId}-r`,
            parent_id: orderId,
            type: 'purchase',
            status: 'declined',
            decline_code: 'fraud_suspected',
          },
        },
        { score: false },
      );
      return res.status(402).json({ error: 'payment declined', orderId, decision: attempt.decision });
    }
    await req.shoplog.transaction(
      { ...shop, transaction: { id: `${orderId}-c`, parent_id: orderId, type: 'capture', status: 'completed' } },
      { score: false },
    );
    req.shoplog?.track('checkout_completed', { order: { id: orderId }, cart: { items: count, value: eur(total) } });
    items.clear();
    res.status(201).json({ orderId, total, decision: attempt.decision });
  });

  // A deliberate failure, for the error dashboards.
  api.get('/orders/:orderId/invoice', (req) => {
    throw new Error(`invoice service unavailable for order ${req.params.orderId}`);
  });
  app.use('/api', api);

  app.use(shoplogErrorHandler());
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express spots error handlers by their four parameters
  app.use((err, req, res, _next) => {
    res
      .status(err.status ?? 500)
      .json({ error: err.expose ? err.message : 'internal error', requestId: req.shoplog?.requestId });
  });
  return app;
}
