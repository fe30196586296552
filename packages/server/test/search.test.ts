import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { errorEvent, ingestAll, perfEvent, startTestServer, txEvent, type TestServer } from './helpers.js';

let t: TestServer;
const base = Date.parse('2026-03-10T12:00:00.000Z');
const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
const events: ShoplogEvent[] = [];

beforeAll(async () => {
  t = await startTestServer();
  for (let i = 0; i < 30; i++)
    events.push(
      txEvent({
        amount: `${10 + i}.00`,
        user: `u${i % 3}`,
        ts: at(i),
        message: i % 10 === 0 ? 'refund requested for order' : 'payment accepted',
      }),
    );
  events.push(errorEvent('500', 'DatabaseError', 'database connection refused', at(40)));
  events.push({
    ...errorEvent('404', 'NotFound', 'product not found <b>x</b>', at(41)),
    log: { level: 'warn' },
  } as ShoplogEvent);
  events.push(perfEvent('/checkout', 250, at(42)));
  await ingestAll(t, events);
});
afterAll(async () => {
  await t.close();
});

type SearchBody = {
  success: boolean;
  data: {
    total: number;
    page: number;
    page_size: number;
    total_pages: number;
    next_cursor: string | null;
    results: { id: string; source: ShoplogEvent; highlight: { message?: string } }[];
    sort: { field: string; order: string };
    query: string;
    filters: Record<string, unknown>;
  };
};
const search = async (qs: string): Promise<SearchBody['data']> => {
  const res = await t.call(`/api/search/?range=all&${qs}`, { key: t.keys.read });
  expect(res.status).toBe(200);
  return ((await res.json()) as SearchBody).data;
};

describe('search (seed query rules)', () => {
  it('clamps size to 1..1000 and page < 1 to 1; page 3 of size 5 starts at offset 10', async () => {
    expect((await search('size=5000')).page_size).toBe(1000);
    expect((await search('size=0')).page_size).toBe(1);
    expect((await search('page=-3')).page).toBe(1);
    const all = await search('size=1000&sort_field=@timestamp&sort_order=asc');
    const page3 = await search('size=5&page=3&sort_field=@timestamp&sort_order=asc');
    expect(page3.results.map((r) => r.id)).toEqual(all.results.slice(10, 15).map((r) => r.id));
    expect(page3.total_pages).toBe(Math.ceil(all.total / 5));
  });

  it('falls back to @timestamp for an unknown sort field and keeps the order; sorts by amount', async () => {
    const data = await search('sort_field=drop_table&sort_order=asc&size=3');
    expect(data.sort).toEqual({ field: '@timestamp', order: 'asc' });
    expect(data.results[0]?.id).toBe(events[0]?.event.id);
    const byAmount = await search('sort_field=amount&sort_order=desc&size=2&log_type=transaction');
    expect(
      byAmount.results.map((r) => (r.source as { shop: { amount: { value: string } } }).shop.amount.value),
    ).toEqual(['39.00', '38.00']);
  });

  it('filters levels case-insensitively, dropping invalid ones (WARNING is warn, CRITICAL is fatal)', async () => {
    expect((await search('level=ERROR')).total).toBe(1);
    expect((await search('level=warning,ERROR,bogus')).total).toBe(2);
    expect((await search('level=bogus')).total).toBe(events.length);
  });

  it('accepts the seed date formats and counts exactly in a time range', async () => {
    for (const from of [
      '2026-03-10T12:10:00',
      '2026-03-10T12:10:00Z',
      '2026-03-10T12:10:00.000Z',
      '2026-03-10 12:10:00',
    ]) {
      expect(
        (await search(`from=${encodeURIComponent(from)}&to=${encodeURIComponent('2026-03-10T12:20:00Z')}`)).total,
      ).toBe(10);
    }
    expect((await search('from=2026-03-10&to=2026-03-10')).total).toBe(events.length);
    const bad = await t.call('/api/search/?from=yesterday', { key: t.keys.read });
    expect(bad.status).toBe(400);
  });

  it('matches free text with <mark> highlights, strips <script> and caps the text at 500 characters', async () => {
    const data = await search('q=refund');
    expect(data.total).toBe(3);
    expect(data.results[0]?.highlight.message).toBe('<mark>refund</mark> requested for order');
    expect((await search('q=datab')).total).toBe(0);
    expect((await search('q=datab*')).total).toBe(1);
    expect((await search('q=database')).total).toBe(1);
    const escaped = await search('q=product');
    expect(escaped.results[0]?.highlight.message).toBe('<mark>product</mark> not found &#60;b&#62;x&#60;/b&#62;');
    expect((await search(`q=${encodeURIComponent('<script>alert(1)</script>refund')}`)).query).toBe('refund');
    expect((await search(`q=${'a'.repeat(600)}`)).query).toHaveLength(500);
  });

  it('filters by user, amount range, status, route and service', async () => {
    expect((await search('user_id=u1')).total).toBe(10);
    expect((await search('min_amount=20&max_amount=24.5')).total).toBe(5);
    expect((await search('status=500')).total).toBe(1);
    expect((await search('status=completed')).total).toBe(30);
    expect((await search('route=/checkout')).total).toBe(1);
    expect((await search('service=checkout')).total).toBe(2);
  });

  it('pages with cursors through every result exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let guard = 0;
    while (cursor !== null && guard++ < 20) {
      const data = await search(`size=7&sort_field=amount&sort_order=desc${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...data.results.map((r) => r.id));
      cursor = data.next_cursor;
    }
    expect(seen).toHaveLength(events.length);
    expect(new Set(seen).size).toBe(events.length);
  });

  it('autocompletes (q shorter than 2 gives []), tops fields and draws a histogram', async () => {
    const short = await (await t.call('/api/search/autocomplete?q=r', { key: t.keys.read })).json();
    expect(short).toEqual({ suggestions: [] });
    const words = (await (
      await t.call('/api/search/autocomplete?q=ref&field=message', { key: t.keys.read })
    ).json()) as { suggestions: { text: string; count: number }[] };
    expect(words.suggestions[0]).toMatchObject({ text: 'refund', count: 3 });
    const routes = (await (
      await t.call('/api/search/autocomplete?q=/ch&field=route', { key: t.keys.read })
    ).json()) as { suggestions: { text: string }[] };
    expect(routes.suggestions.map((s) => s.text)).toEqual(['/checkout']);
    const fields = (await (await t.call('/api/search/fields?range=all', { key: t.keys.read })).json()) as {
      fields: { field: string; top: { value: string; count: number }[] }[];
    };
    expect(fields.fields.find((f) => f.field === 'log_type')?.top).toEqual([
      { value: 'transaction', count: 30 },
      { value: 'error', count: 2 },
      { value: 'performance', count: 1 },
    ]);
    const histogram = (await (
      await t.call(`/api/search/histogram?from=${at(0)}&to=${at(60)}&interval=600000`, { key: t.keys.read })
    ).json()) as { interval_ms: number; buckets: { count: number }[] };
    expect(histogram.interval_ms).toBe(600_000);
    expect(histogram.buckets.map((b) => b.count)).toEqual([10, 10, 10, 0 + 3].filter((n) => n > 0));
  });

  it('serves recent, types and one event by id, 404 when absent', async () => {
    const recent = (await (await t.call('/api/logs/recent?limit=2&log_type=error', { key: t.keys.read })).json()) as {
      logs: ShoplogEvent[];
      count: number;
    };
    expect(recent.count).toBe(2);
    expect(recent.logs[0]?.event.id).toBe(events[31]?.event.id);
    const types = (await (await t.call('/api/logs/types', { key: t.keys.read })).json()) as {
      log_types: { id: string }[];
    };
    expect(types.log_types.map((x) => x.id)).toEqual(['transaction', 'error', 'user_behavior', 'performance', 'fraud']);
    expect((await t.call('/api/logs/00000000-0000-7000-8000-000000000000', { key: t.keys.read })).status).toBe(404);
  });

  it('records the search history of the caller', async () => {
    await search('q=history-probe');
    const history = (await (await t.call('/api/search/history', { key: t.keys.read })).json()) as {
      history: { params: Record<string, string> }[];
    };
    expect(history.history[0]?.params.q).toBe('history-probe');
  });
});
