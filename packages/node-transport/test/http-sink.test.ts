import { afterEach, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { createHttpSink, DeliveryError, type QueuedEntry, type SendOutcome } from '../src/index.js';
import { startBulkServer, type BulkReplyShape, type BulkServer } from './fixtures/bulk-server.js';
import { makeEvents } from './fixtures/events.js';

// The sink reads the reply with core's BulkReplySchema (http-sink.ts). These tests run
// the same batches against a server that lists only the rejected lines after its counts (the reference server), one
// that lists every line after them, and one without counts (the replies before): the outcomes must be the same,
// duplicates counted and failures placed on their lines with their issues.

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

const entries = (events: readonly ShoplogEvent[]): QueuedEntry[] =>
  events.map((e) => ({ line: JSON.stringify(e), id: e.event.id, dataset: e.event.dataset, at: Date.now() }));

async function sinkOn(reply: BulkReplyShape) {
  const server = await startBulkServer({ reply });
  const sink = createHttpSink({ url: server.url });
  cleanup.push(async () => {
    await sink.close?.();
    await server.close();
  });
  return { server, sink };
}

// One sequence of batches: new, partly resent, with rejected lines, and a reply that answers for a line fewer.
async function scenario(server: BulkServer, send: (batch: QueuedEntry[]) => Promise<SendOutcome>): Promise<unknown[]> {
  const events = makeEvents(12);
  const out: unknown[] = [];
  out.push(await send(entries(events.slice(0, 6))));
  out.push(await send(entries(events.slice(2, 8))));
  server.rejectIds.add(events[9]?.event.id ?? '').add(events[10]?.event.id ?? '');
  out.push(await send(entries(events.slice(7, 12))));
  server.faults.push({ kind: 'short-reply' });
  out.push(await send(entries(events.slice(0, 3))).catch((err: unknown) => err));
  out.push(await send(entries(events.slice(0, 3))));
  return out;
}

describe('HTTP sink: the _bulk reply', () => {
  it('gives the same outcomes from the leading counts as from the items: duplicates counted, failures listed', async () => {
    const results: unknown[][] = [];
    for (const shape of ['errors', 'all', 'items'] as const) {
      const { server, sink } = await sinkOn(shape);
      const signal = new AbortController().signal;
      results.push(await scenario(server, (batch) => sink.send(batch, signal)));
      expect(server.stored).toHaveLength(10);
    }
    const [errorsOnly, withCounts, itemsOnly] = results as [unknown[], unknown[], unknown[]];
    expect(withCounts[0]).toEqual({ duplicates: 0, failures: [] });
    expect(withCounts[1]).toEqual({ duplicates: 4, failures: [] });
    const failure = {
      retryable: false,
      reason: '400 rejected by the server',
      issues: [{ path: 'shop.amount', message: 'invalid' }],
    };
    expect(withCounts[2]).toEqual({
      duplicates: 1,
      failures: [
        { index: 2, ...failure },
        { index: 3, ...failure },
      ],
    });
    // Counts that do not cover the batch are not trusted: the batch is retried.
    expect(withCounts[3]).toBeInstanceOf(DeliveryError);
    expect(withCounts[3]).toMatchObject({ retryable: true, message: 'bulk ingest answered for 2 lines of 3' });
    expect(withCounts[4]).toEqual({ duplicates: 3, failures: [] });
    expect(errorsOnly).toEqual(withCounts);
    expect(withCounts).toEqual(itemsOnly);
  });
});

// A real HTTP server on 127.0.0.1 that answers every `_bulk` request with `body` (200), whatever was sent.
async function fixedReply(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('HTTP sink: the _bulk reply is read with the core schema', () => {
  const three = entries(makeEvents(3));
  const sendTo = async (body: string): Promise<SendOutcome | unknown> => {
    const server = await fixedReply(body);
    const sink = createHttpSink({ url: server.url });
    cleanup.push(async () => {
      await sink.close?.();
      await server.close();
    });
    return sink.send(three, new AbortController().signal).catch((err: unknown) => err);
  };

  it('reads the counts whatever the order of the keys', async () => {
    const reordered = {
      items: [
        { issues: [{ message: 'invalid', path: 'shop.amount' }], result: 'error', status: 400, id: null, line: 2 },
      ],
      failed: 1,
      duplicates: 1,
      created: 1,
      errors: true,
      took: 4,
    };
    expect(await sendTo(JSON.stringify(reordered))).toEqual({
      duplicates: 1,
      failures: [
        {
          index: 1,
          retryable: false,
          reason: '400 rejected by the server',
          issues: [{ path: 'shop.amount', message: 'invalid' }],
        },
      ],
    });
    expect(await sendTo('{"items":[],"duplicates":2,"failed":0,"created":1,"errors":false,"took":0}')).toEqual({
      duplicates: 2,
      failures: [],
    });
  });

  it('does not trust leading counts that say nothing failed when the items list a rejected line', async () => {
    const body =
      '{"took":1,"errors":false,"created":3,"duplicates":0,"failed":0,"items":[{"line":2,"id":null,"status":400,"result":"error","issues":[]}]}';
    expect(await sendTo(body)).toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      message: 'bulk ingest counted 0 rejected lines and listed 1',
    });
  });

  it.each([
    [
      'counts that are not numbers',
      '{"took":1,"errors":false,"created":"3","duplicates":0,"failed":0,"items":[]}',
      'created',
    ],
    ['items that are not a list', '{"took":1,"errors":false,"items":"abc"}', 'items'],
    [
      'an item without its line',
      '{"took":1,"errors":true,"created":2,"duplicates":0,"failed":1,"items":[{"id":null,"status":400,"result":"error"}]}',
      'items[0].line',
    ],
  ])('retries a 2xx reply with %s, naming the field', async (_name, body, path) => {
    const err = await sendTo(body);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toContain(`not a bulk reply (${path}:`);
  });
});
