/**
 * One sale, one verdict, end to end: the example shop (the real Express middleware with core's scorer) ships through
 * the transport's delivery engine to a real reference server whose own scorer would flag every sale it judged. The
 * server must keep the shop's verdicts: no alert for a sale the shop approved, the shop's alert for the one it
 * flagged, and every stored transaction carrying the verdict its handler acted on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFraudScorer, createMemoryVelocityStore } from '@shoplog/core';
import { createDeliveryEngine, createHttpSink, type DeliveryEngine } from '@shoplog/node-transport';
import { bootstrap, createApiKey, createServer, type ShoplogServer } from '@shoplog/server';
import { createShopApp } from '../src/app.mjs';

const ADMIN_KEY = `slk_${'e'.repeat(40)}`;

describe('the express shop shipping to the reference server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-one-verdict-'));
  let server: ShoplogServer;
  let engine: DeliveryEngine;
  let shop: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer({
      port: 0,
      ingestPort: -1,
      dataDir: join(dir, 'server'),
      logLevel: 'silent',
      bootstrapKey: ADMIN_KEY,
      bootstrapPassword: 'correct horse battery staple',
      // Flags every transaction it judges: any server-side alert for the shop's sales would show.
      fraudScorer: createFraudScorer({ store: createMemoryVelocityStore(), thresholds: { review: 0, block: 100 } }),
    });
    await bootstrap(server);
    const { key } = await createApiKey(server.stores.meta, 'shop', 'ingest');
    const url = await server.start();
    engine = createDeliveryEngine({
      sink: createHttpSink({ url, apiKey: key }),
      spoolDir: join(dir, 'spool'),
      exitHooks: false,
    });
    shop = createHttpServer(createShopApp({ exporter: engine }));
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    shop?.closeAllConnections();
    await new Promise<void>((resolve) => shop?.close(() => resolve()));
    await engine?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (path: string, who: Record<string, string>, body?: unknown) =>
    fetch(`${base}/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...who },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const read = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as T;

  it('keeps the shop’s verdicts: no server alert for an approved sale, the shop’s own for a flagged one', async () => {
    const ann = {
      'x-session-id': 'sess-ann',
      'x-user-id': 'user-ann',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36',
    };
    const bot = { 'x-session-id': 'sess-bot', 'x-user-id': 'user-bot', 'user-agent': 'python-requests/2.31.0' };
    expect((await call('/cart/items', ann, { productId: 'sku-1002', quantity: 1 })).status).toBe(201);
    const approved = await call('/checkout', ann, { email: 'ann@example.com', billingCountry: 'FR' });
    expect(approved.status).toBe(201);
    const { orderId: annOrder, decision } = (await approved.json()) as { orderId: string; decision: string };
    expect(decision).toBe('allow');
    expect((await call('/cart/items', bot, { productId: 'sku-3001', quantity: 4 })).status).toBe(201);
    const flagged = await call('/checkout', bot, { email: 'x@mailinator.com' });
    const botOutcome = (await flagged.json()) as { orderId: string; decision: string };
    expect(['review', 'block']).toContain(botOutcome.decision);

    await engine.flush();
    await server.stores.logs.refresh();

    type Alert = { transaction_id: string; decision: string };
    const alerts = (await read<{ alerts: Alert[] }>('/api/fraud/alerts?range=24h')).alerts;
    // Only the shop's alert for the bot's attempt; nothing for Ann's order nor its capture.
    expect(alerts.map((a) => [a.transaction_id, a.decision])).toEqual([[botOutcome.orderId, botOutcome.decision]]);

    type Tx = { shop: { transaction: { id: string; parent_id?: string }; fraud?: { decision: string } } };
    const stored = (
      await read<{ data: { results: { source: Tx }[] } }>('/api/search/?range=24h&log_type=transaction&size=100')
    ).data.results.map((r) => r.source);
    const verdicts = Object.fromEntries(stored.map((tx) => [tx.shop.transaction.id, tx.shop.fraud?.decision]));
    expect(verdicts).toEqual({
      [annOrder]: 'allow',
      [`${annOrder}-c`]: 'allow', // the capture carries its sale's verdict
      [botOutcome.orderId]: botOutcome.decision,
      ...(botOutcome.decision === 'block'
        ? { [`${botOutcome.orderId}-r`]: 'block' }
        : { [`${botOutcome.orderId}-c`]: 'review' }),
    });
  });
});
