import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryExporter } from '@shoplog/core';
import { shoplog, shoplogErrorHandler } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid, listen, send, type Running } from './harness.js';

const CARD = '4242424242424242';
const SECRET_HEADERS = {
  authorization: 'Bearer sk_live_abcdef123456',
  cookie: 'session=s3cr3t; theme=dark',
  'x-shop-id': 'shop-7',
  'content-type': 'application/json',
};

describe.each(EXPRESS_VERSIONS)('redaction and trace context (%s)', (_name, express) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  function checkoutApp(
    exporter: ReturnType<typeof createMemoryExporter>,
    options: Partial<Parameters<typeof shoplog>[0]> = {},
  ) {
    const app = express();
    app.use(express.json());
    app.use(shoplog({ exporter, ...options }));
    app.post('/checkout', (req, res) => {
      res.setHeader('set-cookie', 'session=new-secret');
      res.json({ ok: true, trace: req.shoplog?.traceparent });
    });
    app.get('/pay/:ref', () => {
      throw new Error(`card ${CARD} was declined`);
    });
    app.use(shoplogErrorHandler());
    return app;
  }

  const body = JSON.stringify({
    email: 'a@example.com',
    password: 'hunter2',
    card: { number: CARD },
    note: `pay with ${CARD}`,
  });

  it('captures no header and no body by default, and masks secrets in the URL', async () => {
    const exporter = createMemoryExporter();
    running = await listen(checkoutApp(exporter));
    await send(running.port, `/checkout?token=abc123&q=${CARD}&page=2`, {
      method: 'POST',
      headers: SECRET_HEADERS,
      body,
    });
    await send(running.port, `/pay/${CARD}`);
    await exporter.waitFor(3);
    allValid(exporter.events);
    const text = JSON.stringify(exporter.events);
    for (const secret of ['sk_live_abcdef123456', 's3cr3t', 'new-secret', 'hunter2', 'abc123', CARD])
      expect(text).not.toContain(secret);
    const [perf] = exporter.ofKind('performance');
    expect(perf?.http?.request?.headers).toBeUndefined();
    expect(perf?.http?.request?.body).toBeUndefined();
    expect(perf?.url?.query).toBe('token=[REDACTED]&q=************4242&page=2');
    const pay = exporter.ofKind('performance').find((e) => e.http?.route === '/pay/:ref');
    expect(pay?.url?.path).toBe('/pay/************4242');
    const [error] = exporter.ofKind('error');
    expect(error?.error?.message).toBe('card ************4242 was declined');
  });

  it('captures allow-listed headers and the body only when asked, still redacted', async () => {
    const exporter = createMemoryExporter();
    const options = {
      captureHeaders: { request: ['Authorization', 'Cookie', 'X-Shop-Id'], response: ['set-cookie', 'content-type'] },
      captureBody: true,
    };
    running = await listen(checkoutApp(exporter, options));
    await send(running.port, '/checkout', { method: 'POST', headers: SECRET_HEADERS, body });
    const [perf] = await exporter.waitFor(1);
    allValid(exporter.events);
    expect(perf?.http?.request?.headers).toEqual({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'x-shop-id': 'shop-7',
    });
    expect(perf?.http?.response?.headers?.['set-cookie']).toBe('[REDACTED]');
    expect(perf?.http?.response?.headers?.['content-type']).toMatch(/^application\/json/);
    const captured = perf?.http?.request?.body?.content as Record<string, unknown>;
    expect(captured.email).toBe('a@example.com');
    expect(captured.password).toBe('[REDACTED]');
    expect(JSON.stringify(captured)).not.toContain(CARD);
    expect(captured.note).toBe('pay with ************4242');
  });

  it('drops credentials of an absolute-form request target', async () => {
    const exporter = createMemoryExporter();
    running = await listen(checkoutApp(exporter));
    await send(running.port, 'http://admin:pa55word@127.0.0.1/nope?api_key=k-123&next=https://shop.example/a');
    const events = await exporter.waitFor(2);
    expect(JSON.stringify(exporter.events)).not.toMatch(/pa55word|admin|k-123/);
    for (const e of events)
      expect(e.url).toEqual({ path: '/nope', query: 'api_key=[REDACTED]&next=https://shop.example/a' });
  });

  it('continues an incoming W3C traceparent and exposes it to handlers', async () => {
    const exporter = createMemoryExporter();
    running = await listen(checkoutApp(exporter));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const reply = await send(running.port, '/checkout', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${parent}-01`, 'content-type': 'application/json' },
      body: '{}',
    });
    const [perf] = await exporter.waitFor(1);
    expect(perf?.trace?.id).toBe(traceId);
    expect((perf as { parent?: { id: string } }).parent?.id).toBe(parent);
    expect(perf?.span?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(perf?.span?.id).not.toBe(parent);
    // The handler gets a traceparent for downstream calls: same trace, this request's span.
    expect(JSON.parse(reply.body).trace).toBe(`00-${traceId}-${perf?.span?.id}-01`);
  });

  it('starts a new trace when the incoming traceparent is invalid', async () => {
    const exporter = createMemoryExporter();
    running = await listen(checkoutApp(exporter));
    for (const bad of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'garbage',
    ]) {
      await send(running.port, '/checkout', {
        method: 'POST',
        headers: { traceparent: bad, 'content-type': 'application/json' },
        body: '{}',
      });
    }
    const events = await exporter.waitFor(3);
    const ids = new Set(events.map((e) => e.trace?.id));
    expect(ids.size).toBe(3);
    for (const e of events) {
      expect(e.trace?.id).toMatch(/^[0-9a-f]{32}$/);
      expect(e.trace?.id).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect((e as { parent?: unknown }).parent).toBeUndefined();
    }
  });
});
