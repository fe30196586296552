// The reference server answers 507 Insufficient Storage (with Retry-After) while its disk is below the free-space
// floor: the delivery engine must treat it as retryable — keep the events, spool them at close — and deliver them
// exactly once when the server takes writes again.
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryEngine, createHttpSink } from '../src/index.js';
import { startBulkServer } from './fixtures/bulk-server.js';
import { makeEvents, tempDir } from './fixtures/events.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

describe('HTTP sink: 507 from a server whose disk is full', () => {
  it('retries, spools at close and replays once the server accepts writes again, losing and duplicating nothing', async () => {
    const server = await startBulkServer();
    cleanup.push(() => server.close());
    const spoolDir = tempDir();
    for (let i = 0; i < 10_000; i++) server.faults.push({ kind: 'status', status: 507, retryAfter: '0' });
    const first = createDeliveryEngine({
      sink: createHttpSink({ url: server.url }),
      spoolDir,
      exitHooks: false,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
    });
    const before = makeEvents(300, 'full');
    for (const e of before) first.enqueue(e);
    // Wait (bounded) until the server has refused a send: the engine keeps the events and retries.
    for (let i = 0; i < 200 && !/507/.test(first.metrics().lastError?.message ?? ''); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(first.metrics().lastError?.message).toMatch(/507/);
    expect(first.metrics().deadLettered).toBe(0);
    await first.close({ deadlineMs: 300 });
    expect(first.metrics().spooled).toBe(300);
    expect(server.stored).toEqual([]);

    server.faults.splice(0);
    const second = createDeliveryEngine({ sink: createHttpSink({ url: server.url }), spoolDir, exitHooks: false });
    const after = makeEvents(20, 'room-again');
    for (const e of after) second.enqueue(e);
    await second.flush();
    await server.waitFor(320);
    await second.close();
    expect(server.stored).toEqual([...before, ...after].map((e) => e.event.id));
    expect(second.metrics().replayed).toBe(300);
  });
});
