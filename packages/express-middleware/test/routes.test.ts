import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryExporter, type PerformanceEvent } from '@shoplog/core';
import { shoplog } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid, listen, send, type Running } from './harness.js';

describe.each(EXPRESS_VERSIONS)('performance events and route templates (%s)', (_name, express) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  function shopApp(exporter: ReturnType<typeof createMemoryExporter>) {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(shoplog({ exporter, service: { name: 'shop', environment: 'test' } }));
    const products = express.Router({ mergeParams: true });
    products.get('/:productId', (req, res) => {
      res.json({ shop: (req.params as Record<string, string>).shopId, product: req.params.productId });
    });
    products.get('/', (_req, res) => res.json([]));
    const shops = express.Router({ mergeParams: true });
    shops.use('/products', products);
    shops.get('/reviews/:reviewId/replies/:replyId', (_req, res) => res.send('reply'));
    app.use('/shops/:shopId', shops);
    app.get('/health', (_req, res) => res.send('ok'));
    // One router mounted at two paths: the template follows the path the request took.
    const shared = express.Router();
    shared.get('/items/:id', (_req, res) => res.send('item'));
    app.use('/v1', shared);
    app.use('/v2/:tenant', shared);
    app.use('/assets', (_req, res) => {
      res.send('static-ish');
    });
    return app;
  }

  it('records one event per request with the template of nested routers and params', async () => {
    const exporter = createMemoryExporter();
    running = await listen(shopApp(exporter));
    const reply = await send(running.port, '/shops/42/products/7?sort=asc', {
      headers: { 'user-agent': 'vitest-agent/1.0', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(reply.status).toBe(200);
    const [event] = (await exporter.waitFor(1)) as PerformanceEvent[];
    allValid(exporter.events);
    expect(exporter.events).toHaveLength(1);
    expect(event?.event.dataset).toBe('shoplog.performance');
    expect(event?.http?.route).toBe('/shops/:shopId/products/:productId');
    expect(event?.http?.request?.method).toBe('GET');
    expect(event?.http?.response?.status_code).toBe(200);
    expect(event?.http?.response?.bytes).toBeGreaterThan(reply.body.length);
    expect(event?.url?.path).toBe('/shops/42/products/7');
    expect(event?.url?.query).toBe('sort=asc');
    expect(event?.user_agent?.original).toBe('vitest-agent/1.0');
    // trust proxy is set for loopback, so the forwarded client address is used.
    expect(event?.client?.ip).toBe('203.0.113.9');
    expect(Number.isInteger(event?.event.duration)).toBe(true);
    expect(event?.event.duration).toBeGreaterThan(0);
    expect(event?.trace?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(event?.span?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(event?.shop.performance.kind).toBe('http');
    expect(event?.service).toEqual({ name: 'shop', environment: 'test' });
    // Both undefined would compare equal: a generated id must be there first.
    expect(event?.http?.request?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reply.headers['x-request-id']).toBe(event?.http?.request?.id);
    expect(event?.log.level).toBe('info');
  });

  it('resolves templates for deeper nesting, index routes and a router mounted twice', async () => {
    const exporter = createMemoryExporter();
    running = await listen(shopApp(exporter));
    await send(running.port, '/shops/9/reviews/3/replies/8');
    await send(running.port, '/shops/9/products');
    await send(running.port, '/v1/items/5');
    await send(running.port, '/v2/acme/items/5');
    const events = (await exporter.waitFor(4)) as PerformanceEvent[];
    const routes = events.map((e) => `${e.url?.path} -> ${e.http?.route}`).sort();
    expect(routes).toEqual([
      '/shops/9/products -> /shops/:shopId/products',
      '/shops/9/reviews/3/replies/8 -> /shops/:shopId/reviews/:reviewId/replies/:replyId',
      '/v1/items/5 -> /v1/items/:id',
      '/v2/acme/items/5 -> /v2/:tenant/items/:id',
    ]);
  });

  it('labels a 404 as "unmatched" instead of the raw URL, and leaves routeless responses without a route', async () => {
    const exporter = createMemoryExporter();
    running = await listen(shopApp(exporter));
    expect((await send(running.port, '/no/such/page/123')).status).toBe(404);
    expect((await send(running.port, '/assets/app.js')).status).toBe(200);
    await exporter.waitFor(3);
    allValid(exporter.events);
    const perf = exporter.ofKind('performance');
    const notFound = perf.find((e) => e.url?.path === '/no/such/page/123');
    expect(notFound?.http?.route).toBe('unmatched');
    expect(notFound?.http?.response?.status_code).toBe(404);
    expect(notFound?.log.level).toBe('warn');
    const asset = perf.find((e) => e.url?.path === '/assets/app.js');
    expect(asset?.http?.route).toBeUndefined();
    // The 404 also produced a client-error event at the default `warn` level.
    const [error] = exporter.ofKind('error');
    expect(error?.shop?.error.kind).toBe('http');
    expect(error?.http?.response?.status_code).toBe(404);
    expect(error?.http?.route).toBe('unmatched');
    expect(error?.log.level).toBe('warn');
  });

  it('keeps optional parameters of mount paths in the template', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.use(shoplog({ exporter }));
    const docs = express.Router();
    docs.get('/:docId', (_req, res) => res.send('doc'));
    // Optional segment syntax differs: `:tenant?` in Express 4, `{/:tenant}` in Express 5.
    const mount = _name === 'express 4' ? '/files/:tenant?/docs' : '/files{/:tenant}/docs';
    app.use(mount, docs);
    running = await listen(app);
    await send(running.port, '/files/acme/docs/1');
    await send(running.port, '/files/docs/2');
    const events = await exporter.waitFor(2);
    expect(events.map((e) => e.http?.route)).toEqual([`${mount}/:docId`, `${mount}/:docId`]);
  });

  it('skips health checks and honours a valid incoming request id', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.use(shoplog({ exporter, skipPaths: ['/health', /^\/static\//] }));
    app.get('/health', (_req, res) => res.send('ok'));
    app.get('/static/x.css', (_req, res) => res.send('x'));
    app.get('/ok', (_req, res) => res.send('ok'));
    running = await listen(app);
    await send(running.port, '/health');
    await send(running.port, '/static/x.css');
    // No `trust proxy` here: a forwarded address must not be believed.
    const good = await send(running.port, '/ok', {
      headers: { 'x-request-id': 'req-abc_123', 'x-forwarded-for': '198.51.100.7' },
    });
    const bad = await send(running.port, '/ok', { headers: { 'x-request-id': 'bad id <script>' } });
    await exporter.waitFor(2);
    expect(exporter.events.map((e) => e.url?.path)).toEqual(['/ok', '/ok']);
    expect(good.headers['x-request-id']).toBe('req-abc_123');
    expect(exporter.events[0]?.http?.request?.id).toBe('req-abc_123');
    expect(exporter.events[0]?.client?.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(exporter.events[1]?.http?.request?.id).toBe(bad.headers['x-request-id']);
  });
});
