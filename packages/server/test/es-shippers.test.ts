import type { ShoplogEvent } from '@shoplog/core';
import pino from 'pino';
import pinoElastic from 'pino-elasticsearch';
import winston from 'winston';
import { ElasticsearchTransport } from 'winston-elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from './helpers.js';

// The peers' own Elasticsearch transports, unchanged, pointed at the Shoplog server by URL and key only.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ingestPort: -1 });
});
afterAll(async () => {
  await t.close();
});

/** Stored events of a service (its label `seq` per event), once `expected` of them are there. */
async function storedOf(service: string, expected: number): Promise<ShoplogEvent[]> {
  await eventually(async () => {
    await t.server.stores.logs.refresh();
    return (await t.server.stores.logs.count({ services: [service] })) >= expected ? true : undefined;
  }, 20_000);
  // The count may come from one indexer ahead of the other: refresh again before reading the page.
  await t.server.stores.logs.refresh();
  const events = await t.server.stores.logs.recent({ limit: expected + 100 });
  return events.filter((e) => e.service?.name === service);
}

const seqs = (events: ShoplogEvent[]) => events.map((e) => Number(e.labels?.seq)).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('pino-elasticsearch', () => {
  it('ships every line once, levels and errors mapped', async () => {
    const N = 1500;
    // The destination stream of its README (in a pino.transport worker its end() blocks for 10 s: a peer defect).
    const stream = pinoElastic({
      node: t.url,
      auth: { apiKey: t.keys.ingest },
      index: 'app-logs-%{DATE}',
      esVersion: 8,
      flushBytes: 20_000,
      flushInterval: 200,
    });
    const failures: unknown[] = [];
    stream.on('insertError', (error: unknown) => failures.push(error));
    stream.on('error', (error: unknown) => failures.push(error));
    const inserted = new Promise<{ successful: number }>((resolve) => stream.on('insert', resolve));
    const logger = pino({ base: { service: 'pino-shop' } }, stream);
    for (let i = 0; i < N; i++) logger.info({ seq: i, order_id: `o-${i}` }, `order ${i} placed`);
    logger.error({ seq: N, err: new TypeError('cart is undefined') }, 'checkout failed');
    stream.end();
    expect((await inserted).successful).toBe(N + 1);
    expect(failures).toEqual([]);
    const events = await storedOf('pino-shop', N + 1);
    expect(events).toHaveLength(N + 1);
    expect(seqs(events)).toEqual(range(N + 1));
    const info = events.find((e) => e.labels?.seq === '3');
    expect(info).toMatchObject({
      event: { dataset: 'shoplog.log' },
      log: { level: 'info' },
      message: 'order 3 placed',
      labels: { order_id: 'o-3' },
    });
    const error = events.find((e) => e.labels?.seq === String(N));
    expect(error).toMatchObject({
      event: { dataset: 'shoplog.error' },
      log: { level: 'error' },
      message: 'checkout failed',
      error: { type: 'TypeError', message: 'cart is undefined' },
    });
    expect(error?.error?.stack_trace).toMatch(/TypeError: cart is undefined/);
  });

  it('with opType create, a resent line is a 409 that pino-elasticsearch does not store twice', async () => {
    const dropped: unknown[] = [];
    const line = JSON.stringify({ level: 30, time: Date.now(), service: 'pino-create', seq: 0, msg: 'sent twice' });
    for (let round = 0; round < 2; round++) {
      const stream = pinoElastic({
        node: t.url,
        auth: { apiKey: t.keys.ingest },
        index: 'logs-shoplog.log-default',
        esVersion: 8,
        opType: 'create',
        flushInterval: 100,
      });
      stream.on('insertError', (error: unknown) => dropped.push(error));
      const done = new Promise<void>((resolve) => stream.on('insert', () => resolve()));
      stream.end(`${line}\n`);
      await done;
    }
    expect(dropped).toHaveLength(1); // the second round's create: 409, reported by the client as not inserted
    expect(await storedOf('pino-create', 1)).toHaveLength(1);
  });
});

describe('winston-elasticsearch', () => {
  it('ships every line once (its template check at start answered), meta fields as labels', async () => {
    const N = 500;
    const transport = new ElasticsearchTransport({
      level: 'info',
      clientOpts: { node: t.url, auth: { apiKey: t.keys.ingest } },
      indexPrefix: 'winston-shop',
      flushInterval: 100,
      source: 'winston-shop',
    });
    const warnings: unknown[] = [];
    transport.on('warning', (w: unknown) => warnings.push(w));
    const logger = winston.createLogger({ transports: [transport] });
    for (let i = 0; i < N; i++)
      logger.info(`cart ${i} updated`, { seq: i, service: 'winston-shop', cart: { items: i % 7 } });
    logger.warn('stock low', { seq: N, service: 'winston-shop' });
    const events = await storedOf('winston-shop', N + 1);
    expect(events).toHaveLength(N + 1);
    expect(seqs(events)).toEqual(range(N + 1));
    expect(events.find((e) => e.labels?.seq === '5')).toMatchObject({
      log: { level: 'info' },
      message: 'cart 5 updated',
      labels: { cart: '{"items":5}' },
    });
    expect(events.find((e) => e.labels?.seq === String(N))).toMatchObject({
      log: { level: 'warn' },
      message: 'stock low',
    });
    expect(warnings).toEqual([]);
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
    });
  });
});
