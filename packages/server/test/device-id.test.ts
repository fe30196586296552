import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_CATALOG, validate, type ShoplogEvent } from '@shoplog/core';
import { createElasticsearchLogStore } from '../src/adapters/elasticsearch/index.js';
import { EVENT_MAPPINGS } from '../src/adapters/elasticsearch/mappings.js';
import { matchesFilter } from '../src/http/event-match.js';
import { parseFilter } from '../src/http/query-params.js';
import { mockCluster } from './adapters/es-mock.js';
import { ingestAll, startTestServer, txEvent, type TestServer } from './helpers.js';

// `device.id` (the shop's own device fingerprint, which core's fraud scorer reads) is a field of the event schema
// (validated, at most 128 characters) and of the field catalog: "every event of this device", across accounts.

type Json = Record<string, unknown>;
const onDevice = (device: string, user: string, ts: string): ShoplogEvent =>
  ({ ...txEvent({ user, ts }), device: { id: device } }) as ShoplogEvent;

let t: TestServer;
const base = Date.parse('2026-03-10T10:30:00.000Z');
const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
// dev-A: 5 events over 3 accounts; dev-B: 2 events; 3 events without a device.
const events: ShoplogEvent[] = [
  ...['u-1', 'u-2', 'u-3', 'u-1', 'u-2'].map((user, i) => onDevice('dev-A', user, at(i * 17))),
  ...['u-4', 'u-4'].map((user, i) => onDevice('dev-B', user, at(i * 29 + 3))),
  ...[0, 1, 2].map((i) => txEvent({ user: 'u-9', ts: at(i * 41 + 5) })),
];

beforeAll(async () => {
  t = await startTestServer();
  await ingestAll(t, events);
});
afterAll(async () => {
  await t.close();
});

describe('device.id in the event schema', () => {
  it('is validated: an empty or over-long id is refused naming device.id, a good one is kept', () => {
    const good = onDevice('fp_3a9c', 'u-1', at(0));
    expect(validate(good)).toMatchObject({ ok: true });
    for (const id of ['', 'x'.repeat(129), 'x'.repeat(10_000), 42]) {
      const result = validate({ ...good, device: { id } });
      expect(result.ok, String(id).slice(0, 10)).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.path)).toContain('device.id');
    }
  });

  it('the server answers a 10 kB device id with a 400 naming the path, and keeps the valid events beside it', async () => {
    const bad = onDevice('x'.repeat(10_000), 'u-7', at(1));
    const lone = await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bad),
    });
    expect(lone.status).toBe(400);
    const body = (await lone.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path)).toContain('device.id');
    const good = onDevice('dev-C', 'u-8', at(2));
    const bulk = await t.call('/api/logs/_bulk', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(bad)}\n${JSON.stringify(good)}\n`,
    });
    const out = (await bulk.json()) as { created: number; items: { line: number; issues?: { path: string }[] }[] };
    expect(out.created).toBe(1);
    expect(out.items.map((i) => [i.line, i.issues?.[0]?.path])).toEqual([[1, 'device.id']]);
    await t.server.stores.logs.refresh();
    expect((await t.server.stores.logs.get(good.event.id))?.device).toEqual({ id: 'dev-C' });
  });
});

describe('device_id filter (catalog field)', () => {
  const search = async (qs: string) =>
    (await t.read<{ data: { total: number; results: { source: ShoplogEvent }[] } }>(`/api/search/?range=all&${qs}`))
      .data;

  it('finds every event of one device, across accounts, in the embedded store', async () => {
    const a = await search('device_id=dev-A&size=100');
    expect(a.total).toBe(5);
    expect(new Set(a.results.map((r) => r.source.user?.id))).toEqual(new Set(['u-1', 'u-2', 'u-3']));
    expect((await search('device_id=dev-A,dev-B')).total).toBe(7);
    expect((await search('device_id=dev-a')).total).toBe(0); // as stored, case-sensitive
    expect((await search('device_id=dev-B&user_id=u-1')).total).toBe(0);
    expect((await t.server.stores.logs.terms({ deviceIds: ['dev-A'] }, 'device_id', { size: 5 })).length).toBe(1);
    expect((await t.server.stores.logs.terms({}, 'device_id', { size: 5 })).slice(0, 2)).toEqual([
      { value: 'dev-A', count: 5 },
      { value: 'dev-B', count: 2 },
    ]);
  });

  it('parses the query parameter once, and the live tail matches it the same way', () => {
    const { filter, echo } = parseFilter({ device_id: 'dev-A, dev-B', range: 'all' }, Date.now());
    expect(filter.deviceIds).toEqual(['dev-A', 'dev-B']);
    expect(echo['device_id']).toEqual(['dev-A', 'dev-B']);
    expect(events.filter((e) => matchesFilter(e, { deviceIds: ['dev-A'] }))).toHaveLength(5);
    expect(events.filter((e) => matchesFilter(e, { deviceIds: ['dev-B', 'never'] }))).toHaveLength(2);
  });

  it('is a keyword in the Elasticsearch mapping, filtered with a terms query', async () => {
    const props = EVENT_MAPPINGS.properties as Json;
    expect((props['device'] as { properties: Json }).properties['id']).toMatchObject({ type: 'keyword' });
    expect(FIELD_CATALOG.find((f) => f.name === 'device_id')).toMatchObject({ path: 'device.id', type: 'keyword' });
    const cluster = mockCluster();
    cluster.on('POST', '/:index/_count', () => ({ count: 5 }));
    const es = createElasticsearchLogStore({ client: cluster.client, install: false });
    expect(await es.count({ deviceIds: ['dev-A'] })).toBe(5);
    const query = (cluster.requests[0]!.body as { query: { bool: { filter: unknown[] } } }).query;
    expect(query.bool.filter).toEqual([{ terms: { 'device.id': ['dev-A'] } }]);
  });
});
