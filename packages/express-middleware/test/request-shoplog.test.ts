import express from 'express';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createMemoryExporter } from '@shoplog/core';
import { shoplog, shoplogErrorHandler, type RequestShoplog } from '../src/index.js';
import { listen, send, sleep, type Running } from './harness.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('req.shoplog is always there behind shoplog()', () => {
  it('is typed as present (no `?.` or `!` under strict) and works on a skipped path, which records nothing by itself', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.use(shoplog({ exporter, skipPaths: ['/health', /^\/health\//] }));
    app.get('/health', (req, res) => {
      // The compile-time half of this test: `req.shoplog` is `RequestShoplog`, not `RequestShoplog | undefined`.
      expectTypeOf(req.shoplog).toEqualTypeOf<RequestShoplog>();
      req.shoplog.track('page_view', { page: { name: 'health' } });
      res.send(req.shoplog.requestId);
    });
    app.get('/fail', () => {
      throw new Error('boom');
    });
    app.get('/health/fail', () => {
      throw new Error('boom on a skipped path');
    });
    app.use(shoplogErrorHandler());
    app.use(
      (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
        void res.status(500).end(),
    );
    running = await listen(app);
    const health = await send(running.port, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatch(/^[0-9a-f-]{36}$/);
    await send(running.port, '/fail');
    await exporter.waitFor(3);
    await sleep(50);
    // The handler's own event; no request (performance) event and no error event for the skipped path.
    const kinds = exporter.events.map((e) => `${e.event.dataset} ${e.url?.path}`).sort();
    expect(kinds).toEqual(['shoplog.error /fail', 'shoplog.performance /fail', 'shoplog.user_behavior /health']);
    exporter.clear();
    expect((await send(running.port, '/health')).status).toBe(200);
    await exporter.waitFor(1);
    expect((await send(running.port, '/health/fail', {})).status).toBe(500);
    await sleep(50);
    expect(exporter.events.map((e) => e.event.dataset)).toEqual(['shoplog.user_behavior']);
  });
});

describe('service option', () => {
  it('takes a service name, as createShoplog does', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.use(shoplog({ exporter, service: 'shop' }));
    app.get('/ok', (_req, res) => res.send('ok'));
    running = await listen(app);
    await send(running.port, '/ok');
    const [event] = await exporter.waitFor(1);
    expect(event?.service).toEqual({ name: 'shop' });
  });

  it('names the option when the service is neither a name nor { name, … }', () => {
    const exporter = createMemoryExporter();
    expect(() => shoplog({ exporter, service: '' })).toThrow(
      /shoplog\(\): invalid options: service: must be a service name or \{ name, version\?, environment\? \}/,
    );
    expect(() => shoplog({ exporter, service: 42 as unknown as string })).toThrow(/invalid options: service: /);
  });
});
