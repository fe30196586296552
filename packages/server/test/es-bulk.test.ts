import type { errors } from '@elastic/elasticsearch';
import { Client } from '@elastic/elasticsearch';
import { uuidv7 } from '@shoplog/core';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, txEvent, type TestServer } from './helpers.js';

// The official client against the real server on 127.0.0.1 (not the mock transport): what a shop's code or a
// shipper built on it sends, byte for byte.
let t: TestServer;
let client: Client;
beforeAll(async () => {
  t = await startTestServer();
  client = new Client({ node: t.url, auth: { apiKey: t.keys.ingest } });
});
afterAll(async () => {
  await client.close();
  await t.close();
});

const stored = async (id: string) => t.server.stores.logs.get(id);

describe('Elasticsearch handshake', () => {
  it('answers the client with a version banner and x-elastic-product (GET / and HEAD /)', async () => {
    const info = await client.info();
    expect(info.version.number).toBe('9.1.0');
    expect(await client.ping()).toBe(true);
    const res = await fetch(`${t.url}/`, { headers: { authorization: `ApiKey ${t.keys.ingest}` } });
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
  });

  it('still serves the dashboard page at GET / to browsers and plain HTTP clients', async () => {
    for (const headers of [
      { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      {},
      { accept: '*/*', authorization: `Bearer ${t.keys.ingest}` },
    ]) {
      const res = await fetch(`${t.url}/`, { headers });
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('x-elastic-product')).toBeNull();
    }
  });

  it('answers GET / with the banner to every Elasticsearch client signal, and 401 without a key', async () => {
    for (const headers of [
      { accept: 'application/json' },
      { 'x-elastic-client-meta': 'es=9.1.0' },
      { accept: 'application/vnd.elasticsearch+json; compatible-with=8' },
    ]) {
      const anonymous = await fetch(`${t.url}/`, { headers });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('unauthorized');
      const res = await fetch(`${t.url}/`, { headers: { ...headers, authorization: `Bearer ${t.keys.ingest}` } });
      expect(((await res.json()) as { version: { number: string } }).version.number).toBe('9.1.0');
    }
    const basic = await fetch(`${t.url}/`, {
      headers: { authorization: `Basic ${Buffer.from(`filebeat:${t.keys.ingest}`).toString('base64')}` },
    });
    expect(basic.headers.get('x-elastic-product')).toBe('Elasticsearch');
  });

  it('answers the start-up calls of shippers (licence, health, templates, ILM, pipelines, refresh)', async () => {
    expect((await client.license.get()).license.type).toBe('basic');
    expect((await client.cluster.health()).status).toBe('green');
    expect(await client.indices.existsIndexTemplate({ name: 'shop' })).toBe(false);
    expect((await client.indices.putIndexTemplate({ name: 'shop', index_patterns: ['logs-*'] })).acknowledged).toBe(
      true,
    );
    expect((await client.ilm.putLifecycle({ name: 'shop', policy: { phases: {} } })).acknowledged).toBe(true);
    expect((await client.ingest.putPipeline({ id: 'shop', processors: [] })).acknowledged).toBe(true);
    expect(await client.indices.exists({ index: 'logs-shop' })).toBe(true);
    expect((await client.indices.refresh({ index: 'logs-shop' }))._shards?.failed).toBe(0);
  });
});

describe('Elasticsearch auth', () => {
  const bulkWith = (auth: ConstructorParameters<typeof Client>[0]['auth']) => {
    const c = new Client({ node: t.url, auth });
    const id = uuidv7();
    return c
      .bulk({
        operations: [
          { create: { _index: 'logs-app', _id: id } },
          { '@timestamp': new Date().toISOString(), message: 'auth check' },
        ],
      })
      .then((res) => ({ res, id }))
      .finally(() => c.close());
  };

  it('takes an ingest key as ApiKey (raw and base64 id:key) and as the Basic auth password', async () => {
    const encoded = Buffer.from(`shipper:${t.keys.ingest}`).toString('base64');
    for (const auth of [
      { apiKey: t.keys.ingest },
      { apiKey: encoded },
      { apiKey: { id: 'shipper', api_key: t.keys.ingest } },
      { username: 'shoplog', password: t.keys.ingest },
    ]) {
      const { res, id } = await bulkWith(auth);
      expect(res.errors).toBe(false);
      expect(await stored(id)).toMatchObject({ event: { id }, message: 'auth check' });
    }
  });

  it('refuses a wrong key (401), a read key (403) and a user password over Basic auth (401)', async () => {
    await expect(bulkWith({ apiKey: 'slk_wrong_wrong_wrong_wrong' })).rejects.toMatchObject({
      meta: { statusCode: 401 },
    });
    await expect(bulkWith({ apiKey: t.keys.read })).rejects.toMatchObject({ meta: { statusCode: 403 } });
    await expect(bulkWith({ username: 'admin', password: 'correct horse battery staple' })).rejects.toMatchObject({
      meta: { statusCode: 401 },
    });
    const anonymous = await fetch(`${t.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"index":{}}\n{"message":"x"}\n',
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('unauthorized');
  });
});

describe('Elasticsearch bulk', () => {
  it('stores what the bulk helper sends, once: _id is event.id, a second create of it is a 409', async () => {
    const docs = Array.from({ length: 300 }, (_, i) => ({
      id: uuidv7(),
      '@timestamp': new Date().toISOString(),
      level: 'error',
      message: `gateway timeout ${i}`,
      service: 'checkout',
    }));
    const first = await client.helpers.bulk({
      datasource: docs,
      flushBytes: 8_000,
      onDocument: (doc) => ({ create: { _index: 'logs-shoplog.error-default', _id: doc.id } }),
    });
    expect(first).toMatchObject({ total: 300, successful: 300, failed: 0 });
    const one = await stored(docs[7]?.id ?? '');
    expect(one).toMatchObject({
      event: { dataset: 'shoplog.error' },
      message: 'gateway timeout 7',
      error: { message: 'gateway timeout 7' },
      service: { name: 'checkout' },
    });

    const dropped: number[] = [];
    const again = await client.helpers.bulk({
      datasource: docs.slice(0, 10),
      onDocument: (doc) => ({ create: { _index: 'logs-shoplog.error-default', _id: doc.id } }),
      onDrop: (d) => dropped.push(d.status),
    });
    expect(again.failed).toBe(10);
    expect(dropped).toEqual(Array(10).fill(409));
    await t.server.stores.logs.refresh();
    expect(await t.server.stores.logs.count({ services: ['checkout'] })).toBe(300);
  });

  it('maps _index to the dataset and normalises anything else as the other ingest paths do', async () => {
    const envelope = txEvent({ user: 'es-envelope' });
    const logId = uuidv7();
    const res = await client.bulk({
      operations: [
        { index: { _index: 'logs-shoplog.transaction-default' } },
        envelope,
        { index: { _index: 'filebeat-9.1.0', _id: logId } },
        {
          '@timestamp': '2026-11-26T10:00:00Z',
          message: 'disk 91% full',
          log: { level: 'WARNING' },
          host: { name: 'web-1' },
        },
        { create: { _index: 'logs-shoplog.transaction-default', _id: 'order-42' } },
        { log_type: 'transaction', transaction_id: 'T-42', amount: 12.5, currency: 'EUR' },
      ],
    });
    expect(res.errors).toBe(false);
    expect(res.items.map((i) => Object.values(i)[0]?.status)).toEqual([201, 201, 201]);
    expect(await stored(envelope.event.id)).toMatchObject({
      event: { dataset: 'shoplog.transaction' },
      user: { id: 'es-envelope' },
    });
    expect(await stored(logId)).toMatchObject({
      event: { dataset: 'shoplog.log' },
      log: { level: 'warn' },
      message: 'disk 91% full',
      labels: { host_name: 'web-1' },
    });
    const orderId = res.items[2]?.create?._id;
    expect(orderId).toBe('order-42');
    await t.server.stores.logs.refresh(); // recent() reads the index, which follows the ack
    const byDerivedId = (await t.server.stores.logs.recent({ limit: 20, kinds: ['transaction'] })).find(
      (e) => (e as { shop?: { transaction?: { id?: string } } }).shop?.transaction?.id === 'T-42',
    );
    expect(byDerivedId?.shop).toMatchObject({ amount: { value: '12.50', currency: 'EUR' } });
    // The same non-UUID _id again is the same event.
    const retry = await client.bulk({
      operations: [
        { create: { _index: 'logs-shoplog.transaction-default', _id: 'order-42' } },
        { log_type: 'transaction', transaction_id: 'T-42', amount: 12.5, currency: 'EUR' },
      ],
    });
    expect(retry.items[0]?.create?.status).toBe(409);
  });

  it('answers update and delete per item with an error and stores the documents beside them', async () => {
    const id = uuidv7();
    const res = await client.bulk({
      operations: [
        { update: { _index: 'logs-app', _id: id } },
        { doc: { message: 'changed' } },
        { delete: { _index: 'logs-app', _id: id } },
        { index: { _index: 'logs-app', _id: id } },
        { '@timestamp': new Date().toISOString(), message: 'kept beside the refused ones' },
        { index: { _index: 'logs-app' } },
        { '@timestamp': new Date().toISOString(), level: 'LOUD', message: 'bad level' },
      ],
    });
    expect(res.errors).toBe(true);
    const [update, del, index, bad] = res.items;
    expect(update?.update).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    expect(update?.update?.error?.reason).toMatch(/immutable.*update/);
    expect(del?.delete).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    expect(index?.index).toMatchObject({ status: 201, _id: id, result: 'created' });
    expect(bad?.index).toMatchObject({ status: 400, error: { type: 'document_parsing_exception' } });
    expect(bad?.index?.error?.reason).toMatch(/^level: /);
    expect(await stored(id)).toMatchObject({ message: 'kept beside the refused ones' });
  });

  it('answers each hostile document line on its own and stores the valid ones beside them', async () => {
    const ok = uuidv7();
    const proto = uuidv7();
    const deep = uuidv7();
    let nested: unknown = 'bottom';
    for (let i = 0; i < 50; i++) nested = { level: nested };
    const ts = new Date().toISOString();
    const body = [
      '{"index":{"_index":"logs-app"}}',
      '[1,2,3]',
      '{"index":{"_index":"logs-app"}}',
      '"just a string"',
      '{"index":{"_index":"logs-app"}}',
      '{"message": "unterminated',
      `{"index":{"_index":"logs-app","_id":"${proto}"}}`,
      `{"@timestamp":"${ts}","message":"proto","__proto__":["polluted"],"constructor":{"prototype":{"x":1}}}`,
      `{"index":{"_index":"logs-app","_id":"${deep}"}}`,
      JSON.stringify({ '@timestamp': ts, message: 'deep', nested }),
      `{"index":{"_index":"logs-app","_id":"${ok}"}}`,
      `{"@timestamp":"${ts}","message":"fine"}`,
    ].join('\n');
    const res = await fetch(`${t.url}/_bulk`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${t.keys.ingest}`, 'content-type': 'application/x-ndjson' },
      body: `${body}\n`,
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      errors: boolean;
      items: { index: { status: number; error?: { reason: string } } }[];
    };
    expect(answer.errors).toBe(true);
    expect(answer.items.map((i) => i.index.status)).toEqual([400, 400, 400, 201, 201, 201]);
    expect(answer.items[2]?.index.error?.reason).toMatch(/not JSON/);
    expect(await stored(ok)).toMatchObject({ message: 'fine' });
    expect(await stored(deep)).toMatchObject({ message: 'deep' });
    expect(await stored(proto)).toMatchObject({ message: 'proto' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('accepts a gzipped body (Content-Encoding: gzip, as Filebeat, Vector and Fluent Bit send it)', async () => {
    const id = uuidv7();
    const body = gzipSync(
      `{"create":{"_index":"logs-app","_id":"${id}"}}\n{"@timestamp":"${new Date().toISOString()}","message":"compressed"}\n`,
    );
    const res = await fetch(`${t.url}/_bulk`, {
      method: 'POST',
      headers: {
        authorization: `ApiKey ${t.keys.ingest}`,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      },
      body,
    });
    expect(((await res.json()) as { errors: boolean }).errors).toBe(false);
    expect(await stored(id)).toMatchObject({ message: 'compressed' });
  });

  it('refuses a body whose action lines cannot be read, naming the line (400, nothing stored)', async () => {
    const id = uuidv7();
    const body = `{"index":{"_id":"${id}"}}\n{"message":"first"}\nnot an action\n{"message":"second"}\n`;
    const res = await fetch(`${t.url}/logs-app/_bulk`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${t.keys.ingest}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { reason: string } }).error.reason).toMatch(/line 3/);
    expect(await stored(id)).toBeUndefined();
  });
});

describe('Elasticsearch bulk limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ ingestRateLimit: 1, bodyLimit: 64 * 1024, ingestPort: -1 });
  });
  afterAll(async () => {
    await limited.close();
  });

  it('answers 413 above the body limit, also when it is only reached once inflated (gzip)', async () => {
    const c = new Client({ node: limited.url, auth: { apiKey: limited.keys.ingest } });
    const big = 'x'.repeat(70 * 1024);
    await expect(c.bulk({ operations: [{ index: { _index: 'logs-app' } }, { message: big }] })).rejects.toMatchObject({
      meta: { statusCode: 413 },
    });
    await c.close();
    const bomb = gzipSync(`{"index":{}}\n{"message":"${'y'.repeat(1024 * 1024)}"}\n`);
    const res = await fetch(`${limited.url}/_bulk`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${limited.keys.ingest}`, 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('payload_too_large');
  });

  it('answers 429 with Retry-After under the rate limit, and per item to the bulk helper, which then retries', async () => {
    const c = new Client({ node: limited.url, auth: { apiKey: limited.keys.ingest }, maxRetries: 0 });
    const op = () => [
      { index: { _index: 'logs-app' } },
      { '@timestamp': new Date().toISOString(), message: `m ${uuidv7()}` },
    ];
    const responses = await Promise.allSettled([c.bulk({ operations: op() }), c.bulk({ operations: op() })]);
    const refused = responses.find((r) => r.status === 'rejected');
    expect(refused?.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as errors.ResponseError;
    expect(error.meta.statusCode).toBe(429);
    expect(Number(error.meta.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);

    const docs = Array.from({ length: 40 }, (_, i) => ({
      '@timestamp': new Date().toISOString(),
      message: `helper ${i}`,
      service: 'rate-limited',
    }));
    const stats = await c.helpers.bulk({
      datasource: docs,
      flushBytes: 1_000,
      concurrency: 2,
      wait: 1_100,
      retries: 20,
      onDocument: () => ({ index: { _index: 'logs-app' } }),
    });
    expect(stats.failed).toBe(0);
    expect(stats.retry).toBeGreaterThan(0);
    await limited.server.stores.logs.refresh();
    expect(await limited.server.stores.logs.count({ services: ['rate-limited'] })).toBe(40);
    await c.close();
  });
});
