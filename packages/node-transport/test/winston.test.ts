import type { ErrorEvent } from '@shoplog/core';
import { readdirSync } from 'node:fs';
import winston from 'winston';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWinstonTransport, type ShoplogWinstonTransport } from '../src/winston.js';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { makeEvents, tempDir, until } from './fixtures/events.js';
import { runChild } from './fixtures/run-child.js';

const servers: BulkServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server() {
  const s = await startBulkServer();
  servers.push(s);
  return s;
}

function ended(logger: winston.Logger, transport: ShoplogWinstonTransport): Promise<void> {
  return new Promise((resolve) => {
    transport.on('finish', () => resolve());
    logger.end();
  });
}

describe('winston transport with a real winston logger', () => {
  it('delivers typed events and plain lines exactly once and in order; finish comes after delivery', async () => {
    const s = await server();
    s.faults.push(
      { kind: 'status', status: 500 },
      { kind: 'store-then-reset' },
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'reset' },
    );
    const transport = createWinstonTransport({
      url: s.url,
      spoolDir: tempDir(),
      exitHooks: false,
      retryInitialDelayMs: 5,
      maxBatchCount: 100,
      maxRetries: 50,
    });
    const logger = winston.createLogger({
      format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp()),
      transports: [transport],
    });
    const events = makeEvents(1000);
    for (const e of events) logger.info(e as never);
    logger.error(new Error('stock service unreachable'));
    logger.warn('http call failed', { error: { name: 'FetchError', message: 'ECONNRESET' }, route: '/cart' });
    logger.info('cache warmed'); // a plain line: shipped as shoplog.log
    await until(() => s.stored.length >= 1003, 20_000, 'delivery');
    await ended(logger, transport);
    expect(s.stored.slice(0, 1000)).toEqual(events.map((e) => e.event.id));
    expect(s.stored).toHaveLength(1003);
    const err = s.docs.get(s.stored[1000] as string) as unknown as ErrorEvent;
    expect(err.error).toMatchObject({ type: 'Error', message: 'stock service unreachable' });
    expect(err.error?.stack_trace).toContain('stock service unreachable');
    const warn = s.docs.get(s.stored[1001] as string) as unknown as ErrorEvent;
    expect(warn).toMatchObject({
      log: { level: 'warn' },
      message: 'http call failed',
      error: { type: 'FetchError', message: 'ECONNRESET' },
      labels: { route: '/cart' },
    });
    const plain = s.docs.get(s.stored[1002] as string) as unknown as { event: { dataset: string }; message: string };
    expect(plain).toMatchObject({ event: { dataset: 'shoplog.log' }, message: 'cache warmed' });
    expect(transport.metrics()).toMatchObject({ sent: 1003, unmapped: 0, spooled: 0 });
  });

  it('finish waits for the last batch: nothing logged before end() is missing when it fires', async () => {
    const s = await server();
    const transport = createWinstonTransport({ url: s.url, spoolDir: tempDir(), exitHooks: false });
    const logger = winston.createLogger({ transports: [transport] });
    const events = makeEvents(300);
    for (const e of events) logger.info(e as never);
    await ended(logger, transport);
    expect(s.stored).toEqual(events.map((e) => e.event.id));
  });

  it('keeps memory bounded by the byte queue while the server is down, then delivers everything in order', async () => {
    const s = await server();
    await s.stop();
    const maxQueueBytes = 256 * 1024;
    const transport = createWinstonTransport({
      url: s.url,
      spoolDir: tempDir(),
      exitHooks: false,
      maxQueueBytes,
      maxBatchBytes: 32 * 1024,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 50,
      maxRetries: 1000,
    });
    const logger = winston.createLogger({ transports: [transport] });
    const events = makeEvents(10_000);
    let peak = 0;
    for (const e of events) {
      logger.info(e as never);
      peak = Math.max(peak, transport.metrics().queuedBytes);
    }
    await until(
      () => transport.metrics().queued + transport.metrics().spooled >= 10_000 - transport.metrics().inFlight,
    );
    expect(peak).toBeLessThanOrEqual(maxQueueBytes);
    expect(transport.metrics().spooled).toBeGreaterThan(5000);
    await s.start();
    await s.waitFor(10_000);
    await ended(logger, transport);
    expect(s.stored).toEqual(events.map((e) => e.event.id));
  });
});

describe('winston transport never throws into the app', () => {
  it('calls back for records it cannot map or serialise, and counts them', async () => {
    const s = await server();
    const spoolDir = tempDir();
    const transport = createWinstonTransport({
      url: s.url,
      spoolDir,
      exitHooks: false,
      mapRecord: (r) => {
        if (r.message === 'explode') throw new Error('mapper bug');
        return undefined;
      },
    });
    const circular: Record<string, unknown> = { message: 'loop' };
    circular.self = circular;
    let calls = 0;
    expect(() => transport.log({ level: 'info', message: 'explode' }, () => calls++)).not.toThrow();
    expect(() => transport.log(circular, () => calls++)).not.toThrow();
    expect(calls).toBe(2);
    await transport.flush();
    expect(transport.metrics()).toMatchObject({ unmapped: 1, deadLettered: 1 });
    expect(readdirSync(spoolDir)).toContain('dead-letter.ndjson');
  });
});

describe('winston transport across process endings', () => {
  beforeAll(() => {
    distFile('winston');
  });

  it.each(['end', 'beforeExit', 'sigterm'] as const)(
    'delivers everything when the app ends with %s',
    async (ending) => {
      const s = await server();
      const run = await runChild({
        logger: 'winston',
        url: s.url,
        spoolDir: tempDir(),
        count: 2000,
        producer: ending,
        ending,
      });
      expect(s.stored).toEqual(run.ids);
    },
  );

  it('process.exit(): the exit hook spools synchronously and the next start replays it', async () => {
    const s = await server();
    const spoolDir = tempDir();
    const run = await runChild({ logger: 'winston', url: s.url, spoolDir, count: 3000, producer: 'x', ending: 'exit' });
    expect(run.code).toBe(0);
    const next = await runChild({ logger: 'winston', url: s.url, spoolDir, count: 5, producer: 'x2', ending: 'end' });
    expect(s.stored).toEqual([...run.ids, ...next.ids]);
  });

  it('a crash (SIGKILL) loses nothing that was spooled: the next start replays it', async () => {
    const s = await server();
    await s.stop();
    const spoolDir = tempDir();
    const run = await runChild({
      logger: 'winston',
      url: s.url,
      spoolDir,
      count: 1500,
      producer: 'k',
      ending: 'sigkill',
      waitSpooled: 1500,
    });
    expect(run.signal).toBe('SIGKILL');
    expect(readdirSync(spoolDir).some((f) => f.startsWith('seg-'))).toBe(true);
    await s.start();
    const next = await runChild({ logger: 'winston', url: s.url, spoolDir, count: 5, producer: 'k2', ending: 'end' });
    expect(s.stored).toEqual([...run.ids, ...next.ids]);
  });
});
