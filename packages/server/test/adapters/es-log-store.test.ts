import { performance as perfEvent, transaction } from '@shoplog/core';
import type { ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { EsRejectedEventError, createElasticsearchLogStore } from '../../src/adapters/elasticsearch/index.js';
import { StoreUnavailableError } from '../../src/ports.js';
import { esError, mockCluster } from './es-mock.js';
import type { Recorded } from './es-mock.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading recorded request bodies

const tx = (minor: number): ShoplogEvent =>
  transaction({
    shop: {
      transaction: { id: `tx-${minor}`, type: 'purchase', status: 'completed' },
      amount: { currency: 'EUR', minor },
    },
  });

/** A store on an intercepted client; `install: false` keeps the installer's requests out of these tests. */
function storeOn(cluster: ReturnType<typeof mockCluster>) {
  return createElasticsearchLogStore({ client: cluster.client, install: false, namespace: 'shop1', bulkBackoffMs: 1 });
}

/** The bulk request's (action, document) pairs. */
const pairs = (request: Recorded): [Json, Json][] => {
  const lines = request.body as Json[];
  const out: [Json, Json][] = [];
  for (let i = 0; i < lines.length; i += 2) out.push([lines[i]!, lines[i + 1]!]);
  return out;
};

const item = (status: number, error?: { type: string; reason: string }) => ({
  create: { _index: 'x', _id: 'x', status, ...(error ? { error } : {}) },
});

describe('Elasticsearch LogStore: writes (intercepted transport)', () => {
  it("writes create actions keyed on event.id into the kind's data stream; 201 → created, 409 → duplicate", async () => {
    const cluster = mockCluster();
    cluster.on('POST', '/_bulk', () => ({
      errors: true,
      took: 1,
      items: [item(201), item(409, { type: 'version_conflict_engine_exception', reason: 'exists' }), item(201)],
    }));
    const store = storeOn(cluster);
    const perf = perfEvent({
      event: { duration: 5_000_000 },
      shop: { performance: { kind: 'http' } },
      http: { route: '/cart' },
    });
    const events = [tx(100), tx(200), perf];
    const seen: string[] = [];
    store.subscribe((event) => seen.push(event.event.id));
    expect(await store.appendBatch(events)).toEqual(['created', 'duplicate', 'created']);
    const sent = pairs(cluster.requests[0]!);
    expect(sent.map(([action]) => action)).toEqual([
      { create: { _index: 'logs-shoplog.transaction-shop1', _id: events[0]!.event.id } },
      { create: { _index: 'logs-shoplog.transaction-shop1', _id: events[1]!.event.id } },
      { create: { _index: 'logs-shoplog.performance-shop1', _id: perf.event.id } },
    ]);
    expect(sent[0]![1]).toEqual(events[0]); // the event itself is the document
    // Live tail: only what was newly stored.
    expect(seen).toEqual([events[0]!.event.id, perf.event.id]);
  });

  it('retries only the items answered 429, then reports them stored', async () => {
    const cluster = mockCluster();
    let call = 0;
    cluster.on('POST', '/_bulk', () => {
      call += 1;
      return call === 1
        ? {
            errors: true,
            took: 1,
            items: [item(201), item(429, { type: 'es_rejected_execution_exception', reason: 'queue full' }), item(201)],
          }
        : { errors: false, took: 1, items: [item(201)] };
    });
    const store = storeOn(cluster);
    const events = [tx(1), tx(2), tx(3)];
    expect(await store.appendBatch(events)).toEqual(['created', 'created', 'created']);
    expect(cluster.requests).toHaveLength(2);
    expect(pairs(cluster.requests[1]!).map(([action]) => action['create']['_id'])).toEqual([events[1]!.event.id]);
  });

  it('fails as unavailable (retryable) when items stay refused with 429, and a resend then counts duplicates', async () => {
    const cluster = mockCluster();
    let overloaded = true;
    cluster.on('POST', '/_bulk', (request) => {
      const n = (request.body as Json[]).length / 2;
      const busy = item(429, { type: 'es_rejected_execution_exception', reason: 'busy' });
      // First attempt: the first event is stored, the second refused; every retry of the second is refused too.
      if (overloaded) return { errors: true, took: 1, items: n === 2 ? [item(201), busy] : [busy] };
      return {
        errors: true,
        took: 1,
        items: Array.from({ length: n }, (_, i) =>
          i === 0 ? item(409, { type: 'version_conflict_engine_exception', reason: 'exists' }) : item(201),
        ),
      };
    });
    const store = storeOn(cluster);
    const events = [tx(1), tx(2)];
    await expect(store.appendBatch(events)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(cluster.requests).toHaveLength(4); // bulkAttempts (default 4)
    overloaded = false;
    expect(await store.appendBatch(events)).toEqual(['duplicate', 'created']);
  });

  it('reports events Elasticsearch rejects (400) by id, without hiding the stored ones behind a retry', async () => {
    const cluster = mockCluster();
    cluster.on('POST', '/_bulk', () => ({
      errors: true,
      took: 1,
      items: [
        item(201),
        item(400, { type: 'document_parsing_exception', reason: 'failed to parse field [shop.amount.minor]' }),
      ],
    }));
    const store = storeOn(cluster);
    const events = [tx(1), tx(2)];
    const failure = await store.appendBatch(events).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EsRejectedEventError);
    expect((failure as EsRejectedEventError).rejected).toEqual([
      { id: events[1]!.event.id, status: 400, reason: 'failed to parse field [shop.amount.minor]' },
    ]);
    expect(cluster.requests).toHaveLength(1); // a 400 is not retried
  });

  it('maps a refused or unreachable cluster to StoreUnavailableError (503 at the HTTP layer)', async () => {
    const cluster = mockCluster();
    cluster.on('POST', '/_bulk', () => esError(429, 'circuit_breaking_exception', 'too many requests'));
    cluster.on('POST', '/:index/_count', () => esError(503, 'cluster_block_exception', 'no master'));
    const store = storeOn(cluster);
    await expect(store.appendBatch([tx(1)])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.count()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('waits for the installer before writing, and surfaces its failure', async () => {
    const cluster = mockCluster();
    cluster.on('GET', '/_ilm/policy/:name', () => esError(401, 'security_exception', 'bad credentials'));
    cluster.on('POST', '/_bulk', () => ({ errors: false, took: 1, items: [item(201)] }));
    const store = createElasticsearchLogStore({ client: cluster.client });
    await expect(store.ready).rejects.toThrow(/ILM policy shoplog-logs \(HTTP 401\)/);
    await expect(store.appendBatch([tx(1)])).rejects.toThrow(/HTTP 401/);
    expect(cluster.requests.some((r) => r.path === '/_bulk')).toBe(false);
  });

  it('rejects bad options by name', () => {
    expect(() => createElasticsearchLogStore({ url: 'ftp://x' })).toThrow(
      /createElasticsearchLogStore: invalid options: url: /,
    );
    expect(() => createElasticsearchLogStore({ url: 'http://127.0.0.1:9200', namespace: 'Bad-Name' })).toThrow(
      /invalid options: namespace: /,
    );
  });
});
