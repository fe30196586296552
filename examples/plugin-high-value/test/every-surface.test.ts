import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import winston from 'winston';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeliveryEngine, createHttpSink } from '@shoplog/node-transport';
import { createWinstonTransport } from '@shoplog/node-transport/winston';
import { shoplog } from '@shoplog/express-middleware';
import { bootstrap, createServer, loadServerConfig, type ShoplogServer } from '@shoplog/server';
import { createMemoryExporter, createShoplog, type ShoplogEvent } from '@shoplog/core';

// One shop: a config file naming the plugin by its package name for the server, and the same specifier given to the
// pino transport (loaded inside its worker thread), winston and the Express middleware. Each host labels what it ran.
const PLUGIN = { module: 'shoplog-plugin-high-value', options: { minAmount: 100 } };
const KEY = 'slk_every_surface_admin_key_0123456789';
// pino's worker loads the built transport, as in an application (the workspace's source condition stops at the thread).
const PINO_TARGET = join(
  dirname(createRequire(import.meta.url).resolve('@shoplog/node-transport/package.json')),
  'dist',
  'pino.js',
);
const dir = mkdtempSync(join(tmpdir(), 'shoplog-every-surface-'));
let server: ShoplogServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const labelsOf = (event: ShoplogEvent | undefined) => event?.labels ?? {};

describe('an npm plugin named in the configuration', () => {
  it('runs in the server, the pino worker, winston and Express, and shows in the server health', async () => {
    writeFileSync(
      join(dir, 'shoplog.config.mjs'),
      `export default ${JSON.stringify({ port: 0, ingestPort: -1, dataDir: join(dir, 'data'), bootstrapKey: KEY, logLevel: 'silent', minFreeDiskMb: 0, plugins: [PLUGIN] })};\n`,
    );
    const loaded = await loadServerConfig({}, dir);
    expect(loaded.file).toBe(join(dir, 'shoplog.config.mjs'));
    server = createServer({ ...loaded.config, configDir: loaded.baseDir });
    await bootstrap(server);
    const url = await server.start();
    const spoolDir = (name: string) => join(dir, `spool-${name}`);

    // The server itself: a sale sent straight to ingest.
    const sale = {
      '@timestamp': new Date().toISOString(),
      event: {
        id: '0190a0a0-0000-7000-8000-00000000a001',
        dataset: 'shoplog.transaction',
        kind: 'event',
        category: ['web'],
        type: ['info'],
      },
      log: { level: 'info' },
      shop: {
        transaction: { id: 'order-1', type: 'purchase', status: 'completed' },
        amount: { value: '250.00', currency: 'EUR' },
      },
    };
    const ingest = await fetch(`${url}/api/logs/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(sale),
    });
    expect(ingest.status).toBeLessThan(300);

    // pino, with the transport in its worker thread: the plugin is loaded there from its name.
    const stream = pino.transport({
      target: PINO_TARGET,
      options: { url, apiKey: KEY, spoolDir: spoolDir('pino'), plugins: [PLUGIN] },
    });
    const logger = pino(stream);
    logger.info('from pino');
    await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));

    // winston.
    const transport = createWinstonTransport({
      url,
      apiKey: KEY,
      spoolDir: spoolDir('winston'),
      exitHooks: false,
      plugins: [PLUGIN],
    });
    const wlogger = winston.createLogger({ transports: [transport] });
    wlogger.info('from winston');
    await transport.flush();

    // Express, in front of the delivery engine (whose direct line writer would otherwise skip the event object).
    const engine = createDeliveryEngine({
      sink: createHttpSink({ url, apiKey: KEY }),
      spoolDir: spoolDir('express'),
      exitHooks: false,
    });
    const middleware = shoplog({ exporter: engine, service: { name: 'shop' }, plugins: [PLUGIN] });
    const app = express();
    app.use(middleware);
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    const http = app.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const port = (http.address() as { port: number }).port;
    expect((await fetch(`http://127.0.0.1:${port}/hello`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await middleware.flush();
    await engine.flush();
    http.close();

    await server.stores.logs.refresh();
    const stored = await server.stores.logs.recent({ limit: 50 });
    const byMessage = (m: string) => stored.find((e) => e.message === m);
    const fromServer = await server.stores.logs.get(sale.event.id);
    expect(fromServer?.tags).toEqual(['high-value']);
    expect(labelsOf(fromServer)).toMatchObject({ high_value_server: 'yes' });
    expect(labelsOf(byMessage('from pino'))).toEqual({ high_value_worker: 'yes', high_value_server: 'yes' });
    expect(labelsOf(byMessage('from winston'))).toEqual({ high_value_sdk: 'yes', high_value_server: 'yes' });
    const request = stored.find((e) => e.event.dataset === 'shoplog.performance' && e.url?.path === '/hello');
    expect(labelsOf(request)).toEqual({ high_value_sdk: 'yes', high_value_server: 'yes' });

    // Every surface counts the plugin's calls.
    expect(transport.metrics().plugins.find((p) => p.name === 'shoplog-plugin-high-value')).toMatchObject({
      calls: 1,
      errors: 0,
      state: 'closed',
    });
    expect(middleware.metrics().plugins.find((p) => p.name === 'shoplog-plugin-high-value')?.calls).toBe(1);
    const health = (await (
      await fetch(`${url}/api/dashboard/health`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as { plugins: unknown[] };
    expect(health.plugins).toContainEqual({
      name: 'shoplog-plugin-high-value',
      version: '1.0.0',
      kind: 'processor',
      stage: 'ingest',
      state: 'ok',
      calls: 4,
      errors: 0,
      timeouts: 0,
      total_ms: expect.any(Number),
    });

    stream.end();
    await once(stream, 'close');
    wlogger.close();
    await middleware.close();
    await engine.close();
  });

  it('runs in the in-process client, named by package the same way', async () => {
    const exporter = createMemoryExporter();
    const log = createShoplog({
      service: 'shop',
      exporter,
      plugins: [PLUGIN],
      importPlugin: (specifier) => import(specifier),
    });
    log.transaction({
      shop: {
        transaction: { id: 'order-2', type: 'purchase', status: 'completed' },
        amount: { value: '120.00', currency: 'EUR' },
      },
    });
    await log.flush();
    expect(exporter.events[0]?.tags).toEqual(['high-value']);
    expect(labelsOf(exporter.events[0])).toEqual({ high_value_sdk: 'yes' });
    expect(log.metrics().plugins.find((p) => p.name === 'shoplog-plugin-high-value')).toMatchObject({
      calls: 1,
      errors: 0,
    });
    await log.close();
  });
});
