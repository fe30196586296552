import { transaction } from '@shoplog/core';
import type { ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createElasticsearchLogStore } from '../../src/adapters/elasticsearch/index.js';
import { mockCluster } from './es-mock.js';
import type { Recorded } from './es-mock.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading recorded request bodies

const tx = (minor: number, message = 'payment accepted'): ShoplogEvent =>
  transaction({
    message,
    shop: {
      transaction: { id: `tx-${minor}`, type: 'purchase', status: 'completed' },
      amount: { currency: 'EUR', minor },
    },
  });

function setup(answer: (request: Recorded) => unknown) {
  const cluster = mockCluster();
  cluster.on('POST', '/:index/_search', answer);
  cluster.on('POST', '/:index/_count', answer);
  const store = createElasticsearchLogStore({ client: cluster.client, install: false });
  const body = (i = 0): Json => cluster.requests[i]!.body as Json;
  return { cluster, store, body };
}

const hit = (event: ShoplogEvent, sort: unknown[], extra: Json = {}) => ({
  _index: 'i',
  _id: event.event.id,
  _score: 1.5,
  _source: event,
  sort,
  ...extra,
});

describe('Elasticsearch LogStore: queries built and answers read (intercepted transport)', () => {
  it('searches every Shoplog data stream with the filters, exact totals, highlights and a search_after cursor', async () => {
    const events = [tx(500, 'Payment declined by bank'), tx(400)];
    const { cluster, store, body } = setup(() => ({
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        total: { value: 12_345, relation: 'eq' },
        max_score: 2,
        hits: [
          hit(events[0]!, [1700000000000, events[0]!.event.id], {
            highlight: { message: ['Payment <mark>declined</mark> by bank'] },
          }),
          hit(events[1]!, [1699999999000, events[1]!.event.id]),
        ],
      },
    }));
    const page = await store.search({
      filter: {
        kinds: ['transaction'],
        levels: ['info', 'warn'],
        range: { from: 1_000, to: 2_000 },
        minAmount: 1,
        maxAmount: 10,
        text: 'Declin* bank',
      },
      sort: { field: 'amount', order: 'desc' },
      page: 2,
      size: 2,
    });
    expect(cluster.requests[0]!.path).toBe('/logs-shoplog.*-default/_search');
    const sent = body();
    expect(sent['track_total_hits']).toBe(true);
    expect(sent['from']).toBe(2);
    expect(sent['size']).toBe(2);
    expect(sent['sort']).toEqual([
      { 'shoplog.amount': { order: 'desc', missing: '_last', unmapped_type: 'long' } },
      { 'event.id': { order: 'desc' } },
    ]);
    const filters = sent['query']['bool']['filter'];
    expect(filters).toContainEqual({ terms: { 'event.dataset': ['shoplog.transaction'] } });
    expect(filters).toContainEqual({ terms: { 'log.level': ['info', 'warn'] } });
    expect(filters).toContainEqual({ range: { '@timestamp': { gte: 1_000, lt: 2_000, format: 'epoch_millis' } } });
    expect(filters).toContainEqual({ range: { 'shoplog.amount': { gte: 1, lte: 10 } } });
    // Whole words by default; a trailing * makes a prefix (the embedded store's rule).
    expect(sent['query']['bool']['must'][0]['bool']['filter']).toEqual([
      { prefix: { 'shoplog.text': { value: 'declin' } } },
      { term: { 'shoplog.text': { value: 'bank' } } },
    ]);
    expect(sent['highlight']).toMatchObject({ pre_tags: ['<mark>'], post_tags: ['</mark>'], encoder: 'html' });

    expect(page.total).toBe(12_345); // exact, past the 10 000 default
    expect(page.hits.map((h) => h.id)).toEqual(events.map((e) => e.event.id));
    expect(page.hits[0]!.highlight).toEqual({ message: 'Payment <mark>declined</mark> by bank' });
    expect(page.nextCursor).not.toBeNull();

    await store.search({
      filter: {},
      sort: { field: 'amount', order: 'desc' },
      page: 1,
      size: 2,
      cursor: page.nextCursor!,
    });
    expect(body(1)['search_after']).toEqual([1699999999000, events[1]!.event.id]);
    expect(body(1)['from']).toBeUndefined();
  });

  it('filters by payment method with a terms filter on shop.payment.method, in searches and counts', async () => {
    const { cluster, store, body } = setup((request) =>
      request.path.endsWith('/_count') ? { count: 7 } : { hits: { total: { value: 7, relation: 'eq' }, hits: [] } },
    );
    const page = await store.search({
      filter: { paymentMethods: ['card', 'paypal'], kinds: ['transaction'] },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 10,
    });
    expect(page.total).toBe(7);
    const filters = body()['query']['bool']['filter'];
    expect(filters).toContainEqual({ terms: { 'shop.payment.method': ['card', 'paypal'] } });
    expect(filters).toContainEqual({ terms: { 'event.dataset': ['shoplog.transaction'] } });
    expect(await store.count({ paymentMethods: ['paypal'] })).toBe(7);
    expect(cluster.requests[1]!.path).toBe('/logs-shoplog.*-default/_count');
    expect(body(1)['query']['bool']['filter']).toEqual([{ terms: { 'shop.payment.method': ['paypal'] } }]);
  });

  it('sorts by @timestamp as a formatted date_nanos, so a cursor round-trips exactly (no 2^53 rounding)', async () => {
    const event = tx(1);
    const nanos = '2026-11-26T10:00:00.123456789Z';
    const { store, body } = setup(() => ({
      hits: { total: { value: 3, relation: 'eq' }, hits: [hit(event, [nanos, event.event.id])] },
    }));
    const page = await store.search({ filter: {}, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: 1 });
    expect(body(0)['sort']).toEqual([
      { '@timestamp': { order: 'desc', format: 'strict_date_optional_time_nanos' } },
      { 'event.id': { order: 'desc' } },
    ]);
    await store.search({
      filter: {},
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 1,
      cursor: page.nextCursor!,
    });
    expect(body(1)['search_after']).toEqual([nanos, event.event.id]);
  });

  it('computes terms with sums and distinct counts, histograms, stats and cardinality in Elasticsearch', async () => {
    const { store, body } = setup((request) => {
      const aggs = (request.body as Json)['aggs'];
      if (aggs['top']) {
        return {
          hits: { hits: [] },
          aggregations: {
            top: {
              buckets: [
                { key: 'shoplog.transaction', doc_count: 7, sum: { value: 120.5 }, distinct: { value: 3 } },
                { key: 'shoplog.error', doc_count: 2, sum: { value: 0 }, distinct: { value: 2 } },
              ],
            },
          },
        };
      }
      if (aggs['h'])
        return {
          hits: { hits: [] },
          aggregations: { h: { buckets: [{ key: 3_600_000, doc_count: 4, errors: { doc_count: 1 } }] } },
        };
      if (aggs['s'])
        return { hits: { hits: [] }, aggregations: { s: { count: 2, sum: 30, min: 10, max: 20, avg: 15 } } };
      return { hits: { hits: [] }, aggregations: { n: { value: 42 } } };
    });
    expect(await store.terms({}, 'kind', { size: 5, sum: 'amount', distinct: 'session_id' })).toEqual([
      { value: 'transaction', count: 3, sum: 120.5, distinct: 3 },
      { value: 'error', count: 2, sum: 0, distinct: 2 },
    ]);
    expect(body(0)['aggs']['top']).toEqual({
      terms: { field: 'event.dataset', size: 5, order: [{ distinct: 'desc' }, { _key: 'asc' }] },
      aggs: {
        sum: { sum: { field: 'shoplog.amount' } },
        distinct: { cardinality: { field: 'shop.session.id', precision_threshold: 40_000 } },
      },
    });
    expect(body(0)['size']).toBe(0);

    expect(await store.histogram({}, { intervalMs: 3_600_000, errors: true })).toEqual([
      { ts: 3_600_000, count: 4, errors: 1 },
    ]);
    expect(body(1)['aggs']['h']['date_histogram']).toEqual({
      field: '@timestamp',
      fixed_interval: '3600000ms',
      min_doc_count: 1,
    });
    expect(body(1)['aggs']['h']['aggs']['errors']).toEqual({ filter: { terms: { 'log.level': ['error', 'fatal'] } } });

    expect(await store.stats({ kinds: ['transaction'] }, 'amount')).toEqual({
      count: 2,
      sum: 30,
      min: 10,
      max: 20,
      avg: 15,
    });
    expect(await store.cardinality({}, 'user_id')).toBe(42);
    expect(body(3)['aggs']['n']).toEqual({ cardinality: { field: 'user.id', precision_threshold: 40_000 } });
  });

  it('computes latency percentiles with HDR histograms (0.1 % relative error), overall and per route', async () => {
    const pct = (p50: number) => ({ values: { '50.0': p50, '90.0': p50 * 2, '95.0': p50 * 3, '99.0': p50 * 4 } });
    const { store, body } = setup(() => ({
      hits: { hits: [] },
      aggregations: {
        stats: { count: 10, avg: 12, max: 90, min: 1, sum: 120 },
        pct: pct(10),
        groups: {
          buckets: [{ key: '/cart', doc_count: 6, stats: { count: 6, avg: 8, max: 40, min: 1, sum: 48 }, pct: pct(7) }],
        },
      },
    }));
    const report = await store.latency({ range: { from: 0 } }, 'route', { size: 5 });
    expect(report).toEqual({
      approximate: true,
      relativeError: 0.001,
      overall: { count: 10, mean: 12, max: 90, p50: 10, p90: 20, p95: 30, p99: 40 },
      groups: [{ key: '/cart', count: 6, mean: 8, max: 40, p50: 7, p90: 14, p95: 21, p99: 28 }],
    });
    const sent = body();
    expect(sent['aggs']['pct']).toEqual({
      percentiles: {
        field: 'shoplog.response_ms',
        percents: [50, 90, 95, 99],
        hdr: { number_of_significant_value_digits: 3 },
      },
    });
    expect(sent['aggs']['groups']['terms']).toMatchObject({ field: 'shoplog.route', size: 5 });
    expect(sent['query']['bool']['filter']).toContainEqual({ term: { 'shop.performance.kind': 'http' } });
  });

  it('autocompletes by prefix with counts, and gets the facet sidebar in one request', async () => {
    const { cluster, store, body } = setup((request) => {
      const aggs = (request.body as Json)['aggs'];
      if (aggs['s'])
        return {
          hits: { hits: [] },
          aggregations: {
            s: {
              buckets: [
                { key: '/checkout', doc_count: 9 },
                { key: '/cart', doc_count: 3 },
              ],
            },
          },
        };
      return {
        hits: { hits: [] },
        aggregations: {
          level: { buckets: [{ key: 'info', doc_count: 5 }] },
          http_status: { buckets: [{ key: 500, doc_count: 2 }] },
        },
      };
    });
    expect(await store.autocomplete('route', '/c', 10)).toEqual([
      { text: '/checkout', field: 'route', count: 9 },
      { text: '/cart', field: 'route', count: 3 },
    ]);
    expect(body(0)['query']).toEqual({ prefix: { 'http.route': { value: '/c' } } });
    expect(await store.fieldTops({}, ['level', 'http_status'], 5)).toEqual([
      { field: 'level', top: [{ value: 'info', count: 5 }] },
      { field: 'http_status', top: [{ value: '500', count: 2 }] },
    ]);
    expect(cluster.requests).toHaveLength(2);
  });

  it('exports every match through a point in time and search_after, then closes the point in time', async () => {
    const events = [tx(1), tx(2), tx(3)];
    const cluster = mockCluster();
    cluster.on('POST', '/:index/_pit', () => ({ id: 'pit-1' }));
    cluster.on('DELETE', '/_pit', () => ({ succeeded: true, num_freed: 1 }));
    cluster.on('POST', '/_search', (request) => {
      const after = (request.body as Json)['search_after'] as unknown[] | undefined;
      const from = after ? Number(after[0]) + 1 : 0;
      const page = events.slice(from, from + 2);
      return { pit_id: 'pit-1', hits: { hits: page.map((e, i) => hit(e, [from + i, 0])) } };
    });
    const store = createElasticsearchLogStore({ client: cluster.client, install: false });
    const exported: string[] = [];
    for await (const event of store.export({ kinds: ['transaction'] }, { batchSize: 2 })) exported.push(event.event.id);
    expect(exported).toEqual(events.map((e) => e.event.id));
    const searches = cluster.requests.filter((r) => r.path === '/_search').map((r) => r.body as Json);
    expect(searches[0]!['pit']).toEqual({ id: 'pit-1', keep_alive: '1m' });
    expect(searches[0]!['sort']).toEqual([
      { '@timestamp': { order: 'asc', format: 'strict_date_optional_time_nanos' } },
      { _shard_doc: { order: 'asc' } },
    ]);
    expect(searches[1]!['search_after']).toEqual([1, 0]);
    expect(cluster.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/_pit', body: { id: 'pit-1' } });
  });
});
