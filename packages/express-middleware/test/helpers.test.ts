import { afterEach, describe, expect, it } from 'vitest';
import { createFraudScorer, createMemoryExporter, createShoplog, OptionsError } from '@shoplog/core';
import { shoplog } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid, listen, send, sleep, type Running } from './harness.js';

// Core's scorer with low thresholds, so one rule (a disposable e-mail domain, 35 points) blocks a checkout. A fresh
// scorer per app: its velocity state must not leak between tests.
// The rules alone (noisy-OR): exact scores this test can state (core's default is now the learned model).
const newScorer = () => createFraudScorer({ combine: 'noisy-or', thresholds: { review: 20, block: 30 } });

describe.each(EXPRESS_VERSIONS)('req.shoplog helpers (%s)', (_name, express) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  function app(exporter: ReturnType<typeof createMemoryExporter>, scorer = newScorer()) {
    const a = express();
    a.use(express.json());
    a.use(
      shoplog({ exporter, fraudScorer: scorer, sessionId: (req) => req.headers['x-session'] as string | undefined }),
    );
    a.post('/cart', (req, res) => {
      req.shoplog?.setUser('user-12');
      req.shoplog?.track('add_to_cart', { product: { id: 'sku-1', quantity: 2 }, cart: { items: 2 } });
      res.status(201).json({ ok: true });
    });
    a.post('/checkout', async (req, res) => {
      req.shoplog?.setUser('user-12');
      const outcome = await req.shoplog!.transaction({
        transaction: { id: `tx-${req.body.n}`, type: 'purchase', status: 'completed' },
        amount: { currency: 'EUR', minor: 4_999 },
        email: req.body.email,
        payment: { method: 'card', card: { last4: '4242', brand: 'visa' } },
        billing: { country: 'FR' },
      });
      res
        .status(outcome.decision === 'block' ? 402 : 200)
        .json({ decision: outcome.decision, score: outcome.fraud?.score });
    });
    a.get('/inventory', (req, res) => {
      req.shoplog?.error(new Error('inventory service slow, served from cache'), { kind: 'dependency', level: 'warn' });
      res.json([]);
    });
    return a;
  }

  it('track() emits a user behaviour event tied to the request', async () => {
    const exporter = createMemoryExporter();
    running = await listen(app(exporter));
    await send(running.port, '/cart', {
      method: 'POST',
      headers: { 'x-session': 'sess-9', 'content-type': 'application/json' },
      body: '{}',
    });
    await exporter.waitFor(2);
    allValid(exporter.events);
    const [track] = exporter.ofKind('user_behavior');
    const [perf] = exporter.ofKind('performance');
    expect(track?.shop).toEqual({
      action: 'add_to_cart',
      session: { id: 'sess-9' },
      product: { id: 'sku-1', quantity: 2 },
      cart: { items: 2 },
    });
    expect(track?.user?.id).toBe('user-12');
    expect(perf?.user?.id).toBe('user-12');
    // Both undefined would compare equal: the ids must be there first.
    expect(perf?.trace?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(track?.trace?.id).toBe(perf?.trace?.id);
    expect(perf?.http?.request?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(track?.http?.request?.id).toBe(perf?.http?.request?.id);
  });

  it('transaction() scores with the fraud scorer and hands the decision to the handler', async () => {
    const exporter = createMemoryExporter();
    const scorer = newScorer();
    running = await listen(app(exporter, scorer));
    const ok = await send(running.port, '/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1, email: 'ann@example.com' }),
    });
    const blocked = await send(running.port, '/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 2, email: 'bot@mailinator.com' }),
    });
    expect(JSON.parse(ok.body)).toEqual({ decision: 'allow', score: 0 });
    expect(blocked.status).toBe(402);
    expect(JSON.parse(blocked.body)).toEqual({ decision: 'block', score: 35 });
    await exporter.waitFor(5);
    allValid(exporter.events);
    expect(exporter.ofKind('transaction').map((e) => e.shop.transaction.id)).toEqual(['tx-1', 'tx-2']);
    // Fraud events are alerts: only flagged decisions produce one (fraudEventsForAllowed: false).
    const fraud = exporter.ofKind('fraud');
    expect(fraud).toHaveLength(1);
    expect(fraud[0]?.shop.fraud).toMatchObject({
      score: 35,
      decision: 'block',
      risk_level: 'low',
      ruleset_version: scorer.rulesetVersion,
    });
    expect(fraud[0]?.shop.fraud.reasons.map((r) => r.code)).toEqual(['DISPOSABLE_EMAIL']);
    expect(fraud[0]?.shop.transaction.id).toBe('tx-2');
    expect(fraud[0]?.user?.id).toBe('user-12');
    expect(fraud[0]?.log.level).toBe('error');
  });

  it('error() records a handled error without failing the request', async () => {
    const exporter = createMemoryExporter();
    running = await listen(app(exporter));
    expect((await send(running.port, '/inventory')).status).toBe(200);
    await exporter.waitFor(2);
    allValid(exporter.events);
    const [error] = exporter.ofKind('error');
    expect(error?.shop?.error).toEqual({ kind: 'dependency', handled: true });
    expect(error?.log.level).toBe('warn');
    expect(error?.error?.message).toBe('inventory service slow, served from cache');
  });
});

describe('options', () => {
  it('fails at construction with one error naming the bad option', () => {
    const exporter = createMemoryExporter();
    expect(() => shoplog({} as never)).toThrow(/invalid options: exporter: is required/);
    expect(() => shoplog({ exporter, sampleRate: 2 })).toThrow(/^shoplog\(\): invalid options: sampleRate: /);
    expect(() => shoplog({ exporter, sampleRate: 2 })).toThrow(OptionsError);
    expect(() => shoplog({ exporter, levels: { '2xx': 'loud' as never } })).toThrow(/invalid options: levels\.2xx: /);
    expect(() => shoplog({ exporter, captureHeaders: { request: ['bad header'] } })).toThrow(
      /invalid options: captureHeaders\.request\[0\]: /,
    );
  });

  it('ships through a core client: its pipeline validates every event and drops none', async () => {
    const memory = createMemoryExporter();
    const client = createShoplog({ service: 'shop', exporter: memory });
    const express = (await import('express')).default;
    const a = express();
    a.use(shoplog({ exporter: client }));
    a.get('/p/:id', (req, res) => {
      req.shoplog?.track('page_view', { page: { name: 'product' } });
      res.send('ok');
    });
    a.get('/boom', () => {
      throw new Error('boom');
    });
    const running = await listen(a);
    try {
      await send(running.port, '/p/1?password=x');
      await send(running.port, '/boom');
      await memory.waitFor(3);
      await client.flush();
      expect(client.metrics().dropped).toEqual({ invalid: 0, plugin: 0, filtered: 0, closed: 0 });
      expect(memory.events.map((e) => e.event.dataset).sort()).toEqual([
        'shoplog.error',
        'shoplog.performance',
        'shoplog.performance',
        'shoplog.user_behavior',
      ]);
    } finally {
      await running.close();
    }
  });

  it('feeds a delivery engine through enqueue(event), the shape of the transport engine', async () => {
    const queued: unknown[] = [];
    const engineShaped = { enqueue: (event: unknown) => queued.push(event) > 0 };
    const express = (await import('express')).default;
    const a = express();
    a.use(shoplog({ exporter: engineShaped }));
    a.get('/', (_req, res) => res.send('ok'));
    const running = await listen(a);
    try {
      await send(running.port, '/');
      await expect.poll(() => queued.length).toBe(1);
      expect(allValid(queued as never)[0]?.event.dataset).toBe('shoplog.performance');
    } finally {
      await running.close();
    }
  });

  // The close listener finds the request's state through `res.req.shoplog` (nothing of ours on the response).
  it('writes one performance event per request on a plain node:http server, without Express', async () => {
    const exporter = createMemoryExporter();
    const mw = shoplog({ exporter });
    const running = await listen(((req: never, res: { end(body: string): void }) =>
      mw(req, res as never, () => res.end('plain'))) as never);
    try {
      expect((await send(running.port, '/plain/7?q=1')).body).toBe('plain');
      await expect.poll(() => exporter.events.length).toBe(1);
      expect(allValid(exporter.events)[0]).toMatchObject({
        url: { path: '/plain/7', query: 'q=1' },
        http: { response: { status_code: 200 } },
      });
    } finally {
      await running.close();
    }
  });

  it('writes one performance event per request when shoplog() is installed twice (app and router), and no timeout', async () => {
    // The outer one tracks the request; the router's sees it already tracked and stays out (its options unused).
    const first = createMemoryExporter();
    const second = createMemoryExporter();
    const express = (await import('express')).default;
    const a = express();
    const router = express.Router();
    a.use(shoplog({ exporter: first, timeoutMs: 100 }));
    router.use(shoplog({ exporter: second, timeoutMs: 100 }));
    router.get('/x', (req, res) => res.json({ traceId: req.shoplog?.traceId }));
    a.use('/r', router);
    const running = await listen(a);
    try {
      const reply = JSON.parse((await send(running.port, '/r/x')).body) as { traceId: string };
      await expect.poll(() => first.events.length).toBe(1);
      // Past the timeout and a few sweeps of both: a state left behind would now be recorded as a timed-out request.
      await sleep(400);
      expect(second.events).toEqual([]);
      expect(first.events).toHaveLength(1);
      expect(first.events[0]?.event.dataset).toBe('shoplog.performance');
      expect(first.events[0]?.trace?.id).toBe(reply.traceId);
    } finally {
      await running.close();
    }
  });

  it('never throws into the app when the exporter fails', async () => {
    const errors: unknown[] = [];
    const failing = { process: () => Promise.reject(new Error('sink down')) };
    const express = (await import('express')).default;
    const a = express();
    a.use(shoplog({ exporter: failing, onError: (e) => errors.push(e) }));
    a.get('/', (_req, res) => res.send('fine'));
    const running = await listen(a);
    try {
      expect((await send(running.port, '/')).body).toBe('fine');
      await expect.poll(() => errors.length).toBe(1);
      expect((errors[0] as Error).message).toBe('sink down');
    } finally {
      await running.close();
    }
  });
});
