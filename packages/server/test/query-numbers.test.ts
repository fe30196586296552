import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, txEvent, type TestServer } from './helpers.js';

// Every numeric query parameter of every route is checked before it reaches a store: a value that is not a number
// (or out of its range, where the seed's rules do not clamp it) is a 400 naming the parameter, never a 500.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  const res = await t.call('/api/logs/ingest', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([txEvent(), txEvent()]),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t.close();
});

const get = async (
  path: string,
): Promise<{ status: number; body: { error?: { code: string; issues?: { path: string; message: string }[] } } }> => {
  const res = await t.call(path, { key: t.keys.read });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; issues?: { path: string; message: string }[] } },
  };
};

describe('numeric query parameters', () => {
  it.each([
    ['/api/search/?range=all&page=2e18', 'page'],
    ['/api/search/?range=all&page=abc', 'page'],
    ['/api/search/?range=all&size=1.5', 'size'],
    ['/api/search/?range=all&limit=Infinity', 'limit'],
    ['/api/search/?range=all&min_amount=lots', 'min_amount'],
    ['/api/search/autocomplete?q=pay&limit=1e400', 'limit'],
    ['/api/search/fields?range=all&size=NaN', 'size'],
    ['/api/search/histogram?range=24h&interval=1e300', 'interval'],
    ['/api/search/histogram?range=24h&interval=10', 'interval'],
    ['/api/search/history?limit=-', 'limit'],
    ['/api/logs/recent?limit=ten', 'limit'],
    ['/api/logs/uploads/recent?limit=0x', 'limit'],
    ['/api/fraud/alerts?limit=2.5', 'limit'],
    ['/api/performance/metrics?slow_request_ms=slow', 'slow_request_ms'],
    ['/api/performance/metrics?slow_query_ms=-1', 'slow_query_ms'],
  ])('%s → 400 naming %s', async (path, name) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('bad_request');
    expect(body.error?.issues?.[0]?.path).toBe(name);
  });

  it("keeps the seed's clamps for numbers it clamps, and answers the deepest page allowed", async () => {
    type Page = { data: { page: number; page_size: number; total: number; results: unknown[] } };
    const read = (qs: string) => t.read<Page>(`/api/search/?range=all&${qs}`);
    expect((await read('size=5000')).data.page_size).toBe(1000);
    expect((await read('page=-3')).data.page).toBe(1);
    expect((await read('page=100000')).data.results).toEqual([]);
    expect((await get('/api/search/histogram?range=24h&interval=3600000')).status).toBe(200);
    expect((await get('/api/search/histogram?range=24h&interval=auto')).status).toBe(200); // the dashboard's
    expect((await get('/api/logs/recent?limit=5000')).status).toBe(200);
  });
});
