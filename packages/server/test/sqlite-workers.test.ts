/**
 * The embedded store's read workers: queries answer exactly as on the caller's thread, a worker that dies leaves no
 * query waiting, and close stops every thread. Workers are reached through the inspector, as a
 * debugger would, so the store runs its own code unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type LogStore, type SearchQuery } from '../src/index.js';
import { evaluateInWorkers, holdUntil, threadNames } from './worker-threads.js';

const dirs: string[] = [];
const stores: LogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 1_234_567;

/** A store on a data dir holding `count` generated events (7 days up to NOW), all indexed. */
async function storeWithTraffic(
  count: number,
  options: { readers?: number } = {},
): Promise<{ store: LogStore; path: string; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-workers-'));
  dirs.push(dir);
  const path = join(dir, 'events.db');
  const store = createSqliteLogStore({ path, ...options });
  stores.push(store);
  const events = [...generateTraffic({ count, days: 7, now: NOW, seed: 5 })];
  await store.appendBatch(events);
  await store.refresh();
  return { store, path, ids: events.map((event) => event.event.id) };
}

/** Every query method, over whole hours (rollups) and partial ones (facts), with text, sorts and pages. */
function queries(ids: string[]): [string, (store: LogStore) => Promise<unknown>][] {
  const week = { from: NOW - 7 * DAY, to: NOW + 1 };
  const partial = { from: NOW - 3 * DAY + 123_457, to: NOW - DAY - 7_654 };
  const byTime = (filter: SearchQuery['filter'], page = 1): SearchQuery => ({
    filter,
    sort: { field: '@timestamp', order: 'desc' },
    page,
    size: 20,
  });
  return [
    ['count all', (s) => s.count()],
    ['count partial hours', (s) => s.count({ range: partial })],
    ['count text in range', (s) => s.count({ range: week, text: 'payment' })],
    ['count amount bound', (s) => s.count({ kinds: ['transaction'], minAmount: 50 })],
    ['search text', (s) => s.search(byTime({ text: 'payment', range: week }))],
    [
      'search errors by response time, page 2',
      (s) =>
        s.search({
          filter: { levels: ['error', 'warn'] },
          sort: { field: 'response_time', order: 'asc' },
          page: 2,
          size: 15,
        }),
    ],
    [
      'search amount, then its cursor',
      async (s) => {
        const first = await s.search({
          filter: { kinds: ['transaction'] },
          sort: { field: 'amount', order: 'desc' },
          page: 1,
          size: 10,
        });
        return [
          first,
          first.nextCursor
            ? await s.search({
                filter: { kinds: ['transaction'] },
                sort: { field: 'amount', order: 'desc' },
                page: 1,
                size: 10,
                cursor: first.nextCursor,
              })
            : null,
        ];
      },
    ],
    [
      'search services, partial hours, page 3',
      (s) => s.search(byTime({ services: ['payments', 'checkout'], range: partial }, 3)),
    ],
    ['terms route', (s) => s.terms({ range: week }, 'route', { size: 5 })],
    ['terms service with sum', (s) => s.terms({ range: partial }, 'service', { sum: 'amount' })],
    ['terms action, distinct sessions', (s) => s.terms({}, 'action', { distinct: 'session_id' })],
    ['terms fraud reasons', (s) => s.terms({}, 'fraud_reason')],
    ['cardinality users', (s) => s.cardinality({ range: week }, 'user_id')],
    ['cardinality sessions, partial hours', (s) => s.cardinality({ range: partial }, 'session_id')],
    ['histogram hourly with errors', (s) => s.histogram({ range: week }, { intervalMs: HOUR, errors: true })],
    [
      'histogram 10 min with sum',
      (s) => s.histogram({ range: partial, kinds: ['transaction'] }, { intervalMs: 600_000, sum: 'amount' }),
    ],
    ['stats response time', (s) => s.stats({ range: week, kinds: ['performance'] }, 'response_time_ms')],
    ['stats amount, partial hours', (s) => s.stats({ range: partial }, 'amount')],
    ['latency per route (sketches)', (s) => s.latency({ range: week }, 'route')],
    [
      'latency per interval (exact)',
      (s) => s.latency({ range: week, services: ['storefront'] }, 'interval', { intervalMs: 6 * HOUR }),
    ],
    ['latency per DB operation', (s) => s.latency({ range: week }, 'db_operation')],
    ['autocomplete message', (s) => s.autocomplete('message', 'pay', 5)],
    ['autocomplete route', (s) => s.autocomplete('route', '/c', 5)],
    ['autocomplete product', (s) => s.autocomplete('product', 'SKU-10', 5)],
    ['field tops', (s) => s.fieldTops({ range: week }, ['kind', 'level', 'route', 'payment_method'], 5)],
    ['recent', (s) => s.recent({ limit: 7 })],
    ['recent errors', (s) => s.recent({ limit: 3, kinds: ['error'] })],
    ['get', (s) => s.get(ids[17] as string)],
    ['get missing', (s) => s.get('missing')],
  ];
}

describe('the embedded store on worker threads', () => {
  it('answers every query on the read workers as on the caller’s thread', async () => {
    const { store, path, ids } = await storeWithTraffic(3000);
    const onWorkers: Record<string, unknown> = {};
    for (const [name, run] of queries(ids)) onWorkers[name] = await run(store);
    // Not vacuous: the data set answers.
    expect(onWorkers['count all']).toBe(3000);
    expect((onWorkers['search text'] as { total: number }).total).toBeGreaterThan(0);
    expect(onWorkers['get']).toMatchObject({ event: { id: ids[17] } });
    await store.close();

    const inline = createSqliteLogStore({ path, readers: 0 });
    stores.push(inline);
    for (const [name, run] of queries(ids))
      expect({ name, answer: await run(inline) }).toEqual({ name, answer: onWorkers[name] });
  });

  it('answers every query when a read worker dies with a query in hand: it is retried on a new worker', async () => {
    const { store, ids } = await storeWithTraffic(500);
    const cases = queries(ids).slice(0, 8);
    const want = await Promise.all(cases.map(([, run]) => run(store)));
    const dir = dirs[0] as string;
    // Each reader is held (as by a long query), then told to exit: the queries sent meanwhile are in its hands.
    expect(await evaluateInWorkers('shoplog-reader', holdUntil(join(dir, 'go')))).toBe(2);
    expect(await evaluateInWorkers('shoplog-reader', 'process.exit(1)')).toBe(2);
    const answers = Promise.all(cases.map(([, run]) => run(store)));
    writeFileSync(join(dir, 'go'), '');
    expect(await answers).toEqual(want);
    expect(store.status?.()).toMatchObject({ status: 'ok' });
    expect(threadNames().filter((name) => name.startsWith('shoplog-reader'))).toHaveLength(2);
  });

  it('closes cleanly: the queries in hand are answered, queued ones fail, and no thread of the store is left', async () => {
    const before = threadNames().filter((name) => name.startsWith('shoplog-')).length;
    const { store, ids } = await storeWithTraffic(200, { readers: 1 });
    expect(threadNames().filter((name) => name.startsWith('shoplog-reader'))).toHaveLength(1);
    const dir = dirs[0] as string;
    expect(await evaluateInWorkers('shoplog-reader', holdUntil(join(dir, 'go')))).toBe(1);
    const inHand = store.get(ids[3] as string);
    const queued = store.count().then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const closing = store.close();
    writeFileSync(join(dir, 'go'), '');
    expect(await inHand).toMatchObject({ event: { id: ids[3] } });
    expect(await queued).toBe('the log store is closed');
    await closing;
    await expect(store.count()).rejects.toThrow(/closed/);
    expect(store.status?.()).toEqual({ status: 'down', error: 'the log store is closed' });
    expect(threadNames().filter((name) => name.startsWith('shoplog-'))).toHaveLength(before);
  });
});
