import type { ErrorEvent, PerformanceEvent } from '@shoplog/core';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import shoplogPino from '../src/pino.js';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { tempDir } from './fixtures/events.js';
import { runChild } from './fixtures/run-child.js';

// pino's `end()` blocks its main thread until the worker is done, so the logger runs in a child process and the
// server here, as in production (a server in the logging thread could not answer).
const servers: BulkServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
beforeAll(() => {
  distFile('pino');
});

async function server(opts: { apiKey?: string } = {}) {
  const s = await startBulkServer(opts);
  servers.push(s);
  return s;
}

describe('pino transport in pino’s worker thread', () => {
  it('delivers every event exactly once and in order through a server that fails, resets, stalls and loses replies', async () => {
    const s = await server({ apiKey: 'k1' });
    s.faults.push(
      { kind: 'status', status: 500 },
      { kind: 'store-then-reset' },
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'reset' },
      { kind: 'stall' },
      { kind: 'status', status: 503 },
    );
    const spoolDir = tempDir();
    // Under load (issue #20) the faults could outlast the linger: the close then keeps trying for its grace period
    // (the most pino's worker allows) instead of spooling after three failures, and so does the next start's.
    const options = {
      apiKey: 'k1',
      maxBatchCount: 500,
      maxRetries: 50,
      closeDeadlineMs: 8000,
      http: { url: s.url, apiKey: 'k1', timeoutMs: 300 },
    };
    const run = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 5000,
      producer: 'a',
      ending: 'end',
      lingerMs: 1500,
      options,
    });
    expect(run.code).toBe(0);
    // On a loaded machine the close may still have spooled a tail: the next start delivers it, once.
    const next = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 1,
      producer: 'a2',
      ending: 'end',
      options,
    });
    expect(s.stored).toEqual([...run.ids, ...next.ids]);
    // The faults were really ridden out: batches were re-sent (store-then-reset makes a resend of stored ids).
    expect(s.faults).toHaveLength(0);
    expect(s.received.length).toBeGreaterThan(s.stored.length);
  });

  it('delivers plain lines (raw-line path) and nested ones (full path) exactly once and in order through a failing server', async () => {
    const s = await server();
    s.faults.push(
      { kind: 'status', status: 500 },
      { kind: 'store-then-reset' },
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'reset' },
    );
    const spoolDir = tempDir();
    const options = { maxBatchCount: 300, maxRetries: 50, http: { url: s.url, timeoutMs: 300 } };
    const run = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 3000,
      producer: 'p',
      ending: 'end',
      lingerMs: 1500,
      options,
      plain: true,
    });
    expect(run.code).toBe(0);
    // A tail spooled at close on a loaded machine is delivered by the next start, once.
    await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 1,
      producer: 'p2',
      ending: 'end',
      options,
      plain: true,
    });
    const docs = s.stored.map(
      (id) => s.docs.get(id) as Record<string, unknown> & { labels: Record<string, string>; event: { id: string } },
    );
    const mine = docs.filter((d) => d.labels.producer === 'p');
    expect(mine.map((d) => Number(d.labels.seq))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(s.faults).toHaveLength(0);
    expect(s.received.length).toBeGreaterThan(s.stored.length);
    const { '@timestamp': at, ...plain } = mine[1] as Record<string, unknown>;
    expect(Number.isNaN(Date.parse(at as string))).toBe(false);
    expect(plain).toEqual({
      log: { level: 'info' },
      message: 'order 1',
      labels: { producer: 'p', seq: '1', amount: '0.01' },
      event: {
        id: (mine[1] as { event: { id: string } }).event.id,
        dataset: 'shoplog.log',
        kind: 'event',
        category: ['process'],
        type: ['info'],
      },
    });
    expect((mine[9] as { labels: Record<string, string> }).labels).toEqual({
      producer: 'p',
      seq: '9',
      cart: '{"items":2}',
    });
  });

  it('keeps delivering at close while the server is still failing, and loses or repeats nothing across the next start', async () => {
    const s = await server();
    s.faults.push(
      { kind: 'status', status: 500 },
      { kind: 'store-then-reset' },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
    );
    const spoolDir = tempDir();
    const options = { maxBatchCount: 500 };
    // The app ends at once, while the faults are being ridden out.
    const run = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 3000,
      producer: 'd',
      ending: 'end',
      options,
    });
    expect(run.code).toBe(0);
    const next = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 5,
      producer: 'd2',
      ending: 'end',
      lingerMs: 500,
      options,
    });
    expect(s.stored).toEqual([...run.ids, ...next.ids]);
    expect(s.received.length).toBeGreaterThan(3005);
  });

  it('spools what it cannot deliver at close, and the next start replays it first, in order', async () => {
    const s = await server();
    await s.stop();
    const spoolDir = tempDir();
    const first = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 1000,
      producer: 'b',
      ending: 'end',
      options: { closeDeadlineMs: 500 },
    });
    expect(first.code).toBe(0);
    expect(readdirSeg(spoolDir)).toBe(1000);
    await s.start();
    const second = await runChild({ logger: 'pino', url: s.url, spoolDir, count: 10, producer: 'c', ending: 'end' });
    expect(s.stored).toEqual([...first.ids, ...second.ids]);
  });

  it.each(['exit', 'beforeExit', 'sigterm'] as const)('loses nothing when the app ends with %s', async (ending) => {
    const s = await server();
    const run = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir: tempDir(),
      count: 2000,
      producer: ending,
      ending,
    });
    expect(s.stored).toEqual(run.ids);
  });
});

/** Lines spooled in `dir`. */
function readdirSeg(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith('seg-'))
    .reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
}

describe('pino transport as a main-thread destination', () => {
  function endStream(dest: ReturnType<typeof shoplogPino>): Promise<void> {
    return new Promise((resolve) => {
      dest.once('close', () => resolve());
      dest.end();
    });
  }

  it('maps plain error, pino-http and plain info lines, and redacts by default', async () => {
    const s = await server();
    const dest = shoplogPino({ url: s.url, spoolDir: tempDir(), exitHooks: false });
    const logger = pino({ base: { service: 'shop-api' } }, dest);
    logger.error({ err: new Error('card 4111 1111 1111 1111 declined'), password: 'hunter2' }, 'checkout failed');
    logger.info(
      {
        req: { id: 'r1', method: 'GET', url: '/cart?x=1', headers: { 'user-agent': 'UA' }, remoteAddress: '10.0.0.1' },
        res: { statusCode: 200 },
        responseTime: 12,
      },
      'request completed',
    );
    logger.info('server started');
    await endStream(dest);
    expect(s.stored).toHaveLength(3);
    expect(s.docs.get(s.stored[2] as string)).toMatchObject({
      event: { dataset: 'shoplog.log' },
      message: 'server started',
      service: { name: 'shop-api' },
    });
    const err = s.docs.get(s.stored[0] as string) as unknown as ErrorEvent;
    expect(err.event.dataset).toBe('shoplog.error');
    expect(err.log.level).toBe('error');
    expect(err.message).toBe('checkout failed');
    expect(err.error?.type).toBe('Error');
    expect(err.error?.stack_trace).toContain('declined');
    expect(err.service?.name).toBe('shop-api');
    const text = JSON.stringify(err);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('4111 1111 1111 1111');
    const perf = s.docs.get(s.stored[1] as string) as unknown as PerformanceEvent;
    expect(perf.event).toMatchObject({ dataset: 'shoplog.performance', duration: 12_000_000 });
    expect(perf).toMatchObject({
      url: { path: '/cart', query: 'x=1' },
      client: { ip: '10.0.0.1' },
      user_agent: { original: 'UA' },
    });
    expect(perf.http).toMatchObject({ request: { id: 'r1', method: 'GET' }, response: { status_code: 200 } });
  });

  it('logger.flush(cb) calls back once the lines are delivered', async () => {
    const s = await server();
    const dest = shoplogPino({ url: s.url, spoolDir: tempDir(), exitHooks: false });
    const logger = pino(dest);
    for (let i = 0; i < 20; i++) logger.info({ seq: i }, 'order placed');
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
    expect(s.stored).toHaveLength(20);
    await endStream(dest);
  });

  it('with validate: true, writes events the pipeline rejects to the dead-letter file with their issues', async () => {
    const s = await server();
    const spoolDir = tempDir();
    const dest = shoplogPino({ url: s.url, spoolDir, exitHooks: false, validate: true });
    const logger = pino(dest);
    logger.info({
      '@timestamp': new Date().toISOString(),
      event: { id: 'not-a-uuid', dataset: 'shoplog.transaction' },
      log: { level: 'info' },
      shop: {},
    });
    await endStream(dest);
    expect(s.stored).toHaveLength(0);
    const dead = JSON.parse(readFileSync(join(spoolDir, 'dead-letter.ndjson'), 'utf8').trim().split('\n')[0] as string);
    expect(dead.reason).toBe('invalid event');
    expect(dead.issues.map((i: { path: string }) => i.path)).toContain('event.id');
  });
});
