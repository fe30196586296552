import type { LogStore } from '../src/index.js';

/** The answers of every query shape that reads a keyword column of `facts`: filters, groups, decoding, prefixes. */
export async function answers(store: LogStore): Promise<unknown> {
  const page = (filter: Parameters<LogStore['search']>[0]['filter']) =>
    store
      .search({ filter, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: 30, highlight: false })
      .then((r) => ({ total: r.total, ids: r.hits.map((hit) => hit.id) }));
  return {
    count: await store.count(),
    kinds: await store.count({ kinds: ['transaction', 'error'] }),
    levels: await page({ levels: ['error', 'warn'] }),
    services: await page({ services: ['it\'s "odd"', 'café-☕', 'payments'] }),
    text: await page({ text: 'payment', kinds: ['transaction'] }),
    sorted: await store
      .search({ filter: { kinds: ['transaction'] }, sort: { field: 'amount', order: 'desc' }, page: 1, size: 10 })
      .then((r) => r.hits.map((hit) => hit.id)),
    terms: await Promise.all(
      (['kind', 'level', 'service', 'route', 'product', 'payment_method', 'currency'] as const).map((field) =>
        store.terms({ levels: ['info', 'error'] }, field, { size: 20 }),
      ),
    ),
    distinct: await store.terms({}, 'service', { distinct: 'user_id' }),
    summed: await store.terms({ kinds: ['transaction'] }, 'payment_method', { sum: 'amount' }),
    cardinality: await store.cardinality({ kinds: ['performance'] }, 'route'),
    histogram: await store.histogram({ services: ['payments'] }, { intervalMs: 3_600_000, errors: true }),
    stats: await store.stats({ kinds: ['transaction'] }, 'amount'),
    latencyRoute: await store.latency({ services: ['payments', 'catalog'] }, 'route'),
    latencyDb: await store.latency({ levels: ['info'] }, 'db_operation'),
    routes: await store.autocomplete('route', '/', 10),
    products: await store.autocomplete('product', '', 10),
    users: await store.autocomplete('user', 'u', 5),
    recent: (await store.recent({ limit: 5, kinds: ['error'] })).map((event) => event.event.id),
  };
}
