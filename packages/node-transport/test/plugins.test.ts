import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ShoplogEvent, ShoplogPlugin } from '@shoplog/core';
import { createDeliveryEngine, createHttpSink } from '../src/index.js';
import shoplogPino from '../src/pino.js';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { makeEvents, tempDir } from './fixtures/events.js';

const servers: BulkServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server() {
  const s = await startBulkServer();
  servers.push(s);
  return s;
}
/** A read-only plugin that counts what it sees (the kind the fast paths used to skip). */
function counter(): ShoplogPlugin & { seen: string[] } {
  const seen: string[] = [];
  return { name: 'counter', seen, process: (e: ShoplogEvent) => (seen.push(e.event.id), e) };
}
const tag = (name: string): ShoplogPlugin => ({
  name,
  process: (e) => ({ ...e, labels: { ...e.labels, [name]: 'yes' } }),
});

describe('plugins on the delivery engine', () => {
  it('runs every event through them, also the lines given to enqueueLine (the direct line writers)', async () => {
    const s = await server();
    const plugin = counter();
    const engine = createDeliveryEngine({
      sink: createHttpSink({ url: s.url }),
      spoolDir: tempDir(),
      exitHooks: false,
      plugins: [plugin, tag('tagged')],
    });
    const [a, b] = makeEvents(2);
    engine.enqueue(a as ShoplogEvent);
    engine.enqueueLine(JSON.stringify(b), (b as ShoplogEvent).event.id, (b as ShoplogEvent).event.dataset);
    await engine.flush();
    expect(plugin.seen).toEqual([a?.event.id, b?.event.id]);
    expect(s.stored.map((id) => (s.docs.get(id)?.labels as Record<string, string>).tagged)).toEqual(['yes', 'yes']);
    expect(engine.metrics().plugins?.map((p) => [p.name, p.calls])).toEqual([
      ['counter', 2],
      ['tagged', 2],
      ['shoplog-delivery', 2],
    ]);
    await engine.close();
  });

  it('loads a plugin by specifier relative to the current directory, and reports one that cannot load, without throwing or losing the event', async () => {
    const s = await server();
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-plugin-mod-'));
    writeFileSync(
      join(dir, 'stamp.mjs'),
      `export default { name: 'stamp', version: '1.0.0', apiVersion: 1, kind: 'processor', options: { safeParse: (v) => ({ success: true, data: v }) },
        create: (o, ctx) => ({ name: 'stamp', process: (e) => ({ ...e, labels: { ...e.labels, stamp: o.value + '@' + ctx.host } }) }) };`,
    );
    const errors: Error[] = [];
    const cwd = process.cwd();
    process.chdir(dir);
    let engine;
    try {
      engine = createDeliveryEngine({
        sink: createHttpSink({ url: s.url }),
        spoolDir: tempDir(),
        exitHooks: false,
        onError: (e) => errors.push(e),
        plugins: [{ module: './stamp.mjs', options: { value: 'v1' } }, './missing.mjs'],
      });
    } finally {
      process.chdir(cwd);
    }
    const [event] = makeEvents(1);
    expect(engine.enqueue(event as ShoplogEvent)).toBe(true);
    await engine.flush();
    expect((s.docs.get(s.stored[0] as string)?.labels as Record<string, string>).stamp).toBe('v1@sdk');
    // At start, then for the event it failed (onError hears every error; the default printer says it once a minute).
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.message).toMatch(/cannot load plugin module "\.\/missing\.mjs"/);
    expect(engine.metrics().plugins?.find((p) => p.name === './missing.mjs')).toMatchObject({
      errors: 1,
      lastError: expect.stringMatching(/missing\.mjs/),
    });
    await engine.close();
  });
});

describe('plugins on the pino transport (main-thread destination)', () => {
  it('runs a configured plugin on plain lines, which otherwise take the raw-line path that skips the event object', async () => {
    const s = await server();
    const plugin = counter();
    const dest = shoplogPino({ url: s.url, spoolDir: tempDir(), exitHooks: false, plugins: [plugin] });
    const logger = pino(dest);
    logger.info('plain line one');
    logger.info('plain line two');
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.end();
    });
    expect(s.stored).toHaveLength(2);
    expect(plugin.seen).toEqual(s.stored);
  });

  it('skips a plugin whose breaker is open and still delivers every line', async () => {
    const s = await server();
    let calls = 0;
    const broken: ShoplogPlugin = {
      name: 'broken',
      process: () => {
        calls++;
        throw new Error('always');
      },
    };
    const errors: Error[] = [];
    const dest = shoplogPino({
      url: s.url,
      spoolDir: tempDir(),
      exitHooks: false,
      plugins: [broken],
      circuitBreaker: { failures: 2, cooldownMs: 60_000 },
      onError: (e) => errors.push(e),
    });
    const logger = pino(dest);
    for (let i = 0; i < 5; i++) logger.info(`line ${i}`);
    await (dest as typeof dest & { flush(): Promise<void> }).flush();
    expect(s.stored).toHaveLength(5);
    expect(calls).toBe(2);
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.end();
    });
    expect(errors).toHaveLength(2);
  });
});

describe("plugins on the pino transport in pino's worker thread", () => {
  it('loads a plugin named by specifier inside the worker (options cross the thread as data) and runs it on every line', async () => {
    const s = await server();
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-worker-plugin-'));
    const module = join(dir, 'stamp.mjs');
    writeFileSync(
      module,
      `export default { name: 'stamp', version: '1.0.0', apiVersion: 1, kind: 'processor', options: { safeParse: (v) => ({ success: true, data: v }) },
        create: (o, ctx) => ({ name: 'stamp', process: (e) => ({ ...e, labels: { ...e.labels, stamp: o.value + '@' + ctx.host } }) }) };`,
    );
    const stream = pino.transport({
      target: distFile('pino'),
      options: { url: s.url, spoolDir: tempDir(), plugins: [{ module, options: { value: 'w1' } }] },
    });
    const logger = pino(stream);
    logger.info('a plain line');
    logger.info({ nested: { a: 1 } }, 'a nested one');
    // The server answers from this thread: wait for it to hold both before ending (end() blocks this thread).
    for (let i = 0; i < 400 && s.stored.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    stream.end();
    await once(stream, 'close');
    expect(s.stored).toHaveLength(2);
    for (const id of s.stored) expect((s.docs.get(id)?.labels as Record<string, string>).stamp).toBe('w1@worker');
  });
});
