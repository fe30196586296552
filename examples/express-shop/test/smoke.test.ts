import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryExporter, validate } from '@shoplog/core';
import { createShopApp } from '../src/app.mjs';

describe('express-shop example', () => {
  const exporter = createMemoryExporter();
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer(createShopApp({ exporter }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const call = (path: string, init: RequestInit & { session?: string; user?: string } = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        'user-agent':
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
        ...(init.session ? { 'x-session-id': init.session } : {}),
        ...(init.user ? { 'x-user-id': init.user } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  it('serves a shopping journey and emits all five kinds of event, every one valid', async () => {
    const shopper = { session: 'sess-ann', user: 'user-ann' };
    expect((await call('/health')).status).toBe(200);
    expect((await call('/api/products', shopper)).status).toBe(200);
    expect((await call('/api/products/sku-1002', shopper)).status).toBe(200);
    expect((await call('/api/products/sku-9999', shopper)).status).toBe(404);
    expect((await call('/api/search?q=jacket', shopper)).status).toBe(200);
    const add = (productId: string, quantity: number, who = shopper) =>
      call('/api/cart/items', { ...who, method: 'POST', body: JSON.stringify({ productId, quantity }) });
    expect((await add('sku-1002', 1)).status).toBe(201);
    expect((await add('sku-2001', 2)).status).toBe(201);
    expect((await call('/api/cart/items/sku-2001', { ...shopper, method: 'DELETE' })).status).toBe(200);
    const ok = await call('/api/checkout', {
      ...shopper,
      method: 'POST',
      body: JSON.stringify({ email: 'ann@example.com', billingCountry: 'FR' }),
    });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { decision: string }).decision).toBe('allow');

    // A suspicious buyer: automation user agent and a disposable e-mail domain.
    const bot = { session: 'sess-bot', user: 'user-bot', headers: { 'user-agent': 'python-requests/2.31.0' } };
    expect((await add('sku-3001', 4, bot)).status).toBe(201);
    const flagged = await call('/api/checkout', {
      ...bot,
      method: 'POST',
      body: JSON.stringify({ email: 'x@mailinator.com' }),
    });
    expect(['review', 'block']).toContain(((await flagged.json()) as { decision: string }).decision);

    const failed = await call('/api/orders/ord-1/invoice', shopper);
    expect(failed.status).toBe(500);
    const requestId = failed.headers.get('x-request-id');
    expect(((await failed.json()) as { requestId: string }).requestId).toBe(requestId);

    await expect.poll(() => exporter.ofKind('performance').length).toBe(11);
    for (const event of exporter.events) expect(validate(event)).toMatchObject({ ok: true });
    const kinds = new Set(exporter.events.map((e) => e.event.dataset));
    expect([...kinds].sort()).toEqual([
      'shoplog.error',
      'shoplog.fraud',
      'shoplog.performance',
      'shoplog.transaction',
      'shoplog.user_behavior',
    ]);

    const perf = exporter.ofKind('performance');
    expect(perf.some((e) => e.url?.path === '/health')).toBe(false);
    expect(perf.map((e) => e.http?.route)).toContain('/api/products/:id');
    expect(perf.map((e) => e.http?.route)).toContain('/api/cart/items/:productId');
    const [invoiceError] = exporter.ofKind('error').filter((e) => e.shop?.error.kind === 'exception');
    expect(invoiceError?.http?.route).toBe('/api/orders/:orderId/invoice');
    expect(invoiceError?.http?.request?.id).toBe(requestId);
    expect(exporter.ofKind('user_behavior').map((e) => e.shop.action)).toEqual(
      expect.arrayContaining([
        'page_view',
        'search',
        'add_to_cart',
        'remove_from_cart',
        'checkout_started',
        'checkout_completed',
      ]),
    );
    const [fraud] = exporter.ofKind('fraud');
    expect(fraud?.user?.id).toBe('user-bot');
    // Core's learned model explains with the features that raised the score: the script and the throwaway mailbox.
    const reasons = fraud?.shop.fraud.reasons.map((r) => r.code) ?? [];
    expect(reasons).toContain('BOT_USER_AGENT');
    expect(reasons.some((code) => code === 'DISPOSABLE_EMAIL' || code === 'EMAIL_DOMAIN_SUSPICIOUS')).toBe(true);
    const statuses = exporter.ofKind('transaction').map((e) => `${e.user?.id}:${e.shop.transaction.status}`);
    expect(statuses).toContain('user-ann:completed');
  });
});
