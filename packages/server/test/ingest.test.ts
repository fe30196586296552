import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, txEvent, type TestServer } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const stored = async (id: string) => {
  const res = await t.call(`/api/logs/${id}`, { key: t.keys.read });
  return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
};

describe('ingest paths', () => {
  it('stores the same event once, with the same fields, through HTTP, bulk, upload, TCP and UDP', async () => {
    const event = txEvent({ amount: '42.50', user: 'paths-user' });
    const id = event.event.id;
    const http = await t.call('/api/logs/ingest', { key: t.keys.ingest, ...json(event) });
    expect(http.status).toBe(201);
    expect(((await http.json()) as { results: { result: string }[] }).results[0]?.result).toBe('created');

    const bulk = await t.call('/api/logs/_bulk', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(event)}\n`,
    });
    expect(await bulk.json()).toMatchObject({ errors: false, created: 0, duplicates: 1, failed: 0, items: [] });

    const form = new FormData();
    form.append('file', new Blob([`${JSON.stringify(event)}\n`]), 'one.ndjson');
    const upload = await t.call('/api/logs/upload', { key: t.keys.ingest, method: 'POST', body: form });
    expect(upload.status).toBe(202);
    const { job_id } = (await upload.json()) as { job_id: string };
    const job = await eventually(async () => {
      const body = (await (await t.call(`/api/logs/uploads/${job_id}`)).json()) as {
        status: string;
        duplicates: number;
      };
      return body.status === 'completed' ? body : undefined;
    });
    expect(job.duplicates).toBe(1);

    await new Promise<void>((resolve, reject) => {
      const socket = connect(t.server.ingestPort ?? 0, '127.0.0.1', () => socket.end(`${JSON.stringify(event)}\n`));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) =>
      udp.send(JSON.stringify(event), t.server.ingestPort ?? 0, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
    udp.close();

    // A new event sent after the duplicates over the same socket kinds proves the socket lines were processed.
    const marker = txEvent({ user: 'paths-marker' });
    await new Promise<void>((resolve, reject) => {
      const socket = connect(t.server.ingestPort ?? 0, '127.0.0.1', () => socket.end(`${JSON.stringify(marker)}\n`));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await eventually(() => stored(marker.event.id));
    await t.server.stores.logs.refresh();
    const copy = await stored(id);
    expect(copy).toEqual(JSON.parse(JSON.stringify(event)));
    expect(await t.server.stores.logs.count({ userIds: ['paths-user'] })).toBe(1);
  });

  it('accepts the seed shapes and gives a seed event without id the same id when re-sent', async () => {
    const seed = {
      type: 'transaction',
      data: {
        transaction_id: 'T-1',
        user_id: 'seed-user',
        amount: 99.99,
        currency: 'EUR',
        payment_method: 'paypal',
        status: 'completed',
        timestamp: '2026-01-02 10:00:00',
      },
    };
    const first = await t.call('/api/logs/ingest', { key: t.keys.ingest, ...json(seed) });
    expect(first.status).toBe(201);
    const [item] = ((await first.json()) as { results: { id: string; result: string }[] }).results;
    expect(item?.result).toBe('created');
    const again = await t.call('/api/logs/ingest', { key: t.keys.ingest, ...json([seed]) });
    expect(((await again.json()) as { results: { id: string; result: string }[] }).results[0]).toEqual({
      id: item?.id,
      result: 'duplicate',
    });
    const event = (await stored(item?.id ?? '')) as {
      shop: { amount: unknown; payment: unknown };
      '@timestamp': string;
    };
    expect(event.shop.amount).toMatchObject({ currency: 'EUR', value: '99.99' });
    expect(event['@timestamp']).toBe('2026-01-02T10:00:00.000Z');
  });

  it('reports a bad line in a bulk batch and stores the good ones; a retry duplicates nothing', async () => {
    const good = [txEvent({ user: 'bulk-a' }), txEvent({ user: 'bulk-b' })];
    const bad = {
      ...txEvent(),
      shop: {
        transaction: { id: 'x', type: 'purchase', status: 'completed' },
        amount: { currency: 'euro', value: '1' },
      },
    };
    const body = [JSON.stringify(good[0]), '{not json', JSON.stringify(bad), JSON.stringify(good[1]), ''].join('\n');
    const send = () =>
      t.call('/api/logs/_bulk', {
        key: t.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        body: gzipSync(body),
      });
    const res = await send();
    expect(res.status).toBe(200);
    const out = (await res.json()) as {
      errors: boolean;
      items: { line: number; status: number; result: string; issues?: { path: string }[] }[];
    };
    expect(out.errors).toBe(true);
    // Only the rejected lines are listed, by line; the stored ones are in the counts.
    expect(out.items.map((i) => [i.line, i.status, i.result])).toEqual([
      [2, 400, 'error'],
      [3, 400, 'error'],
    ]);
    expect(out.items[1]?.issues?.[0]?.path).toBe('shop.amount.currency');
    // Summary counts, before the items (a client may stop reading at `items` when nothing failed).
    expect(out).toMatchObject({ created: 2, duplicates: 0, failed: 2 });
    const retryRes = await send();
    const retryText = await retryRes.text();
    expect(retryText).toMatch(/^\{"took":\d+,"errors":true,"created":0,"duplicates":2,"failed":2,"items":\[/);
    const retry = JSON.parse(retryText) as { items: { line: number }[] };
    expect(retry.items.map((i) => i.line)).toEqual([2, 3]);
    for (const event of good) expect(await stored(event.event.id)).toBeDefined();
    // Duplicates alone are no error.
    const again = await t.call('/api/logs/_bulk', {
      key: t.keys.ingest,
      method: 'POST',
      body: `${JSON.stringify(good[0])}\n${JSON.stringify(good[1])}`,
    });
    expect(await again.text()).toMatch(/^\{"took":\d+,"errors":false,"created":0,"duplicates":2,"failed":0,"items":\[/);
  });

  it('answers 400 with issues when nothing is valid, and 413 over the body limit', async () => {
    const res = await t.call('/api/logs/ingest', { key: t.keys.ingest, ...json({ hello: 'world' }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.issues[0]?.path).toBe('log_type');
    const small = await startTestServer({ bodyLimit: 1024 });
    try {
      const big = await small.call('/api/logs/_bulk', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: 'x'.repeat(4096),
      });
      expect(big.status).toBe(413);
      // The limit applies after gunzip: a small gzip body that inflates over the limit is refused too.
      const bomb = await small.call('/api/logs/_bulk', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        body: gzipSync('\n'.repeat(100_000)),
      });
      expect(bomb.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});
