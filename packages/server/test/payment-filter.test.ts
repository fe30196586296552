import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { matchesFilter } from '../src/http/event-match.js';
import { parseFilter } from '../src/http/query-params.js';
import { errorEvent, ingestAll, startTestServer, txEvent, type TestServer } from './helpers.js';

let t: TestServer;
// Spans several whole hours, so fields/histogram are answered from the rollups plus the partial-hour edges.
const base = Date.parse('2026-03-10T10:30:00.000Z');
const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
const events: ShoplogEvent[] = [];

beforeAll(async () => {
  t = await startTestServer();
  // 12 card (amounts 1..12), 7 paypal (amounts 101..107), 1 error without any payment method.
  for (let i = 0; i < 12; i++) events.push(txEvent({ method: 'card', amount: `${i + 1}.00`, ts: at(i * 20) }));
  for (let i = 0; i < 7; i++) events.push(txEvent({ method: 'paypal', amount: `${101 + i}.00`, ts: at(i * 25 + 3) }));
  events.push(errorEvent('500', 'DatabaseError', 'database connection refused', at(5)));
  await ingestAll(t, events);
});
afterAll(async () => {
  await t.close();
});

const get = <T>(path: string): Promise<T> => t.read<T>(path);
type SearchData = { data: { total: number; results: { source: ShoplogEvent }[]; filters: Record<string, unknown> } };
const search = async (qs: string) => (await get<SearchData>(`/api/search/?range=all&size=1000&${qs}`)).data;

describe('payment_method filter (GET /api/search/ and friends, embedded store)', () => {
  it('returns exactly the events of the given methods, with exact totals', async () => {
    const card = await search('payment_method=card');
    expect(card.total).toBe(12);
    expect(
      card.results.map((r) => (r.source.shop as { payment?: { method?: string } } | undefined)?.payment?.method),
    ).toEqual(Array(12).fill('card'));
    expect(card.filters['payment_method']).toEqual(['card']);
    expect((await search('payment_method=paypal')).total).toBe(7);
    expect((await search('payment_method=card,paypal')).total).toBe(19);
    expect((await search('')).total).toBe(20);
  });

  it('matches the value as stored (case-sensitive) and combines with the other filters', async () => {
    expect((await search('payment_method=PayPal')).total).toBe(0);
    expect((await search('payment_method=bitcoin')).total).toBe(0);
    expect((await search('payment_method=paypal&min_amount=105')).total).toBe(3);
    expect((await search('payment_method=card&log_type=error')).total).toBe(0);
  });

  it('narrows the fields sidebar and the histogram the same way', async () => {
    type Fields = { fields: { field: string; top: { value: string; count: number }[] }[] };
    const fields = await get<Fields>('/api/search/fields?range=all&payment_method=paypal');
    expect(fields.fields.find((f) => f.field === 'payment_method')?.top).toEqual([{ value: 'paypal', count: 7 }]);
    expect(fields.fields.find((f) => f.field === 'log_type')?.top).toEqual([{ value: 'transaction', count: 7 }]);
    const from = new Date(base - 30 * 60_000).toISOString();
    const to = new Date(base + 6 * 3_600_000).toISOString();
    const histogram = await get<{ buckets: { count: number }[] }>(
      `/api/search/histogram?from=${from}&to=${to}&interval=3600000&payment_method=card`,
    );
    expect(histogram.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(12);
  });

  it('is listed in the OpenAPI parameters of the search endpoint', async () => {
    type Spec = { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    const spec = await get<Spec>('/api/docs/openapi.json');
    expect(spec.paths['/api/search/']?.get?.parameters?.map((p) => p.name)).toContain('payment_method');
  });

  it('applies in the live-tail matcher with the same semantics', () => {
    const { filter } = parseFilter({ payment_method: 'paypal, card' }, Date.now(), 'all');
    expect(filter.paymentMethods).toEqual(['paypal', 'card']);
    expect(events.filter((e) => matchesFilter(e, filter))).toHaveLength(19);
    expect(events.filter((e) => matchesFilter(e, { paymentMethods: ['paypal'] }))).toHaveLength(7);
  });
});
