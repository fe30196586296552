import { describe, expect, it } from 'vitest';
import { createMemoryExporter, createPipeline, type ShoplogEvent } from '@shoplog/core';
import { shoplog, type ShoplogMiddlewareOptions } from '../src/index.js';
import { allValid, listen, send, sendAndAbort, sleep } from './harness.js';

// A core pipeline validates what process() gets; the middleware hands it its performance events through
// processTrusted() (no second validation). Every event sent that way must be one validation would have passed,
// and anything that could be invalid (from app code or options) must still go through process().
function countingPipeline() {
  const memory = createMemoryExporter();
  const pipeline = createPipeline({ plugins: [memory], onError: () => {} });
  const calls = { process: 0, trusted: 0 };
  const sink = {
    process: (event: unknown) => (calls.process++, pipeline.process(event)),
    processTrusted: (event: ShoplogEvent) => (calls.trusted++, pipeline.processTrusted(event)),
  };
  return { memory, pipeline, calls, sink };
}

async function appWith(sink: ShoplogMiddlewareOptions['exporter'], options: Partial<ShoplogMiddlewareOptions> = {}) {
  const express = (await import('express')).default;
  const a = express();
  a.use(express.json());
  a.use(shoplog({ exporter: sink, service: { name: 'shop', version: '1.2.3' }, ...options }));
  a.get('/p/:id', (req, res) => {
    req.shoplog?.setUser(String(req.query.user ?? 'u_1'));
    res.json({ id: req.params.id });
  });
  a.post('/orders', (_req, res) => res.status(201).send('created'));
  a.get('/status/:code', (req, res) => {
    res.statusCode = Number(req.params.code);
    res.end();
  });
  a.get('/user/:kind', (req, res) => {
    if (req.params.kind === 'number') req.shoplog?.setUser(42 as never);
    if (req.params.kind === 'empty') req.shoplog?.setUser('');
    res.send('ok');
  });
  a.get('/slow', async (_req, res) => {
    await sleep(200);
    res.send('late');
  });
  a.get('/boom', () => {
    throw new Error('boom');
  });
  return listen(a);
}

describe('request events into a core pipeline', () => {
  it('sends performance events through processTrusted, and every one of them is valid', async () => {
    const { memory, pipeline, calls, sink } = countingPipeline();
    const running = await appWith(sink, {
      captureHeaders: { request: ['x-tenant', 'authorization'] },
      captureBody: true,
      customFields: (req) => ({ tenant: req.headers['x-tenant'] as string | undefined, n: 1 }),
    });
    try {
      await send(running.port, '/p/1?token=secret&q=shoes', {
        headers: { 'x-tenant': 'acme', authorization: 'Bearer abc', 'user-agent': 'x'.repeat(5000) },
      });
      await send(running.port, '/p/2', {
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-request-id': 'req-1' },
      });
      await send(running.port, '/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"card":"4242424242424242"}',
      });
      await send(running.port, '/nowhere');
      await send(running.port, '/status/599');
      await send(running.port, '/boom');
      await sendAndAbort(running.port, '/slow', 50);
      await memory.waitFor(7 + 3); // 7 performance events, 3 error events (404, 599, thrown)
      await sleep(250);
      await pipeline.flush();
      const performance = memory.events.filter((e) => e.event.dataset === 'shoplog.performance');
      expect(performance).toHaveLength(7);
      expect(calls.trusted).toBe(7);
      allValid(memory.events);
      expect(pipeline.metrics().dropped.invalid).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('validates what app code or options can make invalid, and drops it as before', async () => {
    const { memory, pipeline, calls, sink } = countingPipeline();
    const running = await appWith(sink);
    try {
      await send(running.port, '/user/number'); // user.id must be a string
      await send(running.port, '/user/empty'); // ... and not empty
      await send(running.port, '/status/999'); // Node accepts it, core's schema stops at 599
      await send(running.port, '/p/3');
      await memory.waitFor(1);
      await sleep(50);
      await pipeline.flush();
      expect(calls.trusted).toBe(1);
      expect(pipeline.metrics().dropped.invalid).toBe(4); // 3 performance events and the 999 error event
      expect(memory.events.map((e) => e.url?.path)).toEqual(['/p/3']);
    } finally {
      await running.close();
    }
  });

  it('trusts nothing when the service option is one core would reject', async () => {
    const { memory, pipeline, calls, sink } = countingPipeline();
    const running = await appWith(sink, { service: { name: 'x'.repeat(300) } });
    try {
      await send(running.port, '/p/1');
      await sleep(50);
      await pipeline.flush();
      expect(calls.trusted).toBe(0);
      expect(pipeline.metrics().dropped.invalid).toBe(1);
      expect(memory.events).toHaveLength(0);
    } finally {
      await running.close();
    }
  });
});
