import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryExporter } from '@shoplog/core';
import type { NextFunction, Request, Response } from 'express';
import { shoplog, shoplogErrorHandler } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid, listen, send, sendAndAbort, sleep, type Running } from './harness.js';

class OutOfStockError extends Error {
  override name = 'OutOfStockError';
  status = 409;
}

describe.each(EXPRESS_VERSIONS)('error events (%s)', (name, express) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  function appWith(
    exporter: ReturnType<typeof createMemoryExporter>,
    options: Partial<Parameters<typeof shoplog>[0]> = {},
  ) {
    const app = express();
    app.use(shoplog({ exporter, ...options }));
    const orders = express.Router();
    orders.get('/:orderId/fail', () => {
      throw new TypeError('cannot read total of order');
    });
    orders.get('/:orderId/stock', (_req, _res, next) => next(new OutOfStockError('sku 12 is out of stock')));
    orders.get('/:orderId/async', async (_req, _res, next) => {
      await sleep(5);
      // Express 5 catches rejected promises; Express 4 needs next(err).
      if (name === 'express 5') throw new RangeError('async failure in express 5');
      next(new RangeError('async failure in express 4'));
    });
    orders.get('/:orderId/slow', async (_req, res) => {
      await sleep(250);
      if (!res.headersSent) res.send('late');
    });
    app.use('/orders', orders);
    app.use(shoplogErrorHandler());
    // The app's own error handler must still run after Shoplog's.
    app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(err.status ?? 500).json({ handledBy: 'app', error: err.message });
    });
    return app;
  }

  it('records a thrown error with type, message and stack, and the app handler still answers', async () => {
    const exporter = createMemoryExporter();
    running = await listen(appWith(exporter));
    const reply = await send(running.port, '/orders/77/fail');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ handledBy: 'app', error: 'cannot read total of order' });
    await exporter.waitFor(2);
    allValid(exporter.events);
    const errors = exporter.ofKind('error');
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error?.error?.type).toBe('TypeError');
    expect(error?.error?.message).toBe('cannot read total of order');
    expect(error?.error?.stack_trace).toContain('errors.test.ts');
    expect(error?.shop?.error).toEqual({ kind: 'exception', handled: false });
    expect(error?.http?.response?.status_code).toBe(500);
    expect(error?.http?.route).toBe('/orders/:orderId/fail');
    expect(error?.log.level).toBe('error');
    const [perf] = exporter.ofKind('performance');
    expect(perf?.http?.response?.status_code).toBe(500);
    expect(perf?.http?.route).toBe('/orders/:orderId/fail');
    expect(perf?.log.level).toBe('error');
    expect(perf?.event.outcome).toBe('failure');
    // Both undefined would compare equal: the trace id must be there first.
    expect(perf?.trace?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(perf?.trace?.id).toBe(error?.trace?.id);
  });

  it(`records asynchronous errors (${name})`, async () => {
    const exporter = createMemoryExporter();
    running = await listen(appWith(exporter));
    expect((await send(running.port, '/orders/1/async')).status).toBe(500);
    await exporter.waitFor(2);
    const [error] = exporter.ofKind('error');
    expect(error?.error?.type).toBe('RangeError');
    expect(error?.error?.message).toBe(`async failure in ${name}`);
  });

  it('records client errors at the configured level, or not at all', async () => {
    const exporter = createMemoryExporter();
    running = await listen(appWith(exporter, { clientErrors: 'info' }));
    expect((await send(running.port, '/orders/1/stock')).status).toBe(409);
    await exporter.waitFor(2);
    const [error] = exporter.ofKind('error');
    expect(error?.error?.type).toBe('OutOfStockError');
    expect(error?.log.level).toBe('info');
    expect(error?.shop?.error.kind).toBe('http');
    await running.close();

    const quiet = createMemoryExporter();
    running = await listen(appWith(quiet, { clientErrors: false }));
    expect((await send(running.port, '/orders/1/stock')).status).toBe(409);
    expect((await send(running.port, '/nothing-here')).status).toBe(404);
    await quiet.waitFor(2);
    expect(quiet.ofKind('error')).toHaveLength(0);
    expect(quiet.ofKind('performance').map((e) => e.http?.response?.status_code)).toEqual([409, 404]);
  });

  it('records a request the client abandoned as aborted', async () => {
    const exporter = createMemoryExporter();
    running = await listen(appWith(exporter));
    await sendAndAbort(running.port, '/orders/5/slow', 50);
    await exporter.waitFor(2);
    allValid(exporter.events);
    const [error] = exporter.ofKind('error');
    expect(error?.shop?.error.kind).toBe('aborted');
    expect(error?.http?.route).toBe('/orders/:orderId/slow');
    const [perf] = exporter.ofKind('performance');
    expect(perf?.event.outcome).toBe('unknown');
    expect(perf?.http?.response?.status_code).toBeUndefined();
  });

  it('records a request that outlives the timeout, and can answer it with a status', async () => {
    const exporter = createMemoryExporter();
    running = await listen(appWith(exporter, { timeoutMs: 60 }));
    const reply = await send(running.port, '/orders/5/slow');
    // Observe-only by default: the handler's late answer still goes out.
    expect(reply.body).toBe('late');
    await exporter.waitFor(2);
    const [timeout] = exporter.ofKind('error');
    expect(timeout?.shop?.error.kind).toBe('timeout');
    expect(timeout?.error?.message).toBe('no response within 60 ms');
    expect(exporter.ofKind('error')).toHaveLength(1);
    await running.close();

    const answered = createMemoryExporter();
    running = await listen(appWith(answered, { timeoutMs: 60, timeoutStatus: 503 }));
    expect((await send(running.port, '/orders/5/slow')).status).toBe(503);
    await answered.waitFor(2);
    allValid(answered.events);
    expect(answered.ofKind('error').map((e) => e.shop?.error.kind)).toEqual(['timeout']);
    expect(answered.ofKind('performance')[0]?.http?.response?.status_code).toBe(503);
  });

  it('works as a standalone error handler when given its own exporter', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.get('/x', () => {
      throw new SyntaxError('bad json in upstream reply');
    });
    app.use(shoplogErrorHandler({ exporter, service: { name: 'standalone' } }));
    running = await listen(app);
    expect((await send(running.port, '/x')).status).toBe(500);
    const [error] = await exporter.waitFor(1);
    allValid(exporter.events);
    expect(error?.error?.type).toBe('SyntaxError');
    expect(error?.http?.route).toBe('/x');
    expect(error?.service?.name).toBe('standalone');
  });

  it('keeps every error when successful requests are sampled away', async () => {
    const exporter = createMemoryExporter();
    const app = express();
    app.use(shoplog({ exporter, sampleRate: 0 }));
    app.get('/ok', (_req, res) => res.send('ok'));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.use(shoplogErrorHandler());
    running = await listen(app);
    for (let i = 0; i < 10; i++) await send(running.port, '/ok');
    for (let i = 0; i < 5; i++) await send(running.port, '/boom');
    await exporter.waitFor(10);
    expect(exporter.ofKind('error')).toHaveLength(5);
    expect(exporter.ofKind('performance').map((e) => e.http?.response?.status_code)).toEqual([500, 500, 500, 500, 500]);
  });
});
