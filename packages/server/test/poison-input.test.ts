import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INGEST_LIMITS } from '../src/index.js';
import { startTestServer, txEvent, type TestServer } from './helpers.js';

// Hostile inputs on the HTTP ingest paths: each bad input costs itself alone (a 400 item naming the field), never the
// request; a request over the line cap is refused before it is parsed.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** JSON text of `levels` arrays nested inside each other: JSON.parse reads it, JSON.stringify of it overflows. */
const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** An event's JSON with the extra key `custom` holding the raw JSON text `raw`. */
const withExtra = (raw: string, event = txEvent()): string =>
  JSON.stringify({ ...event, custom: 'RAW' }).replace('"RAW"', raw);

interface BulkReply {
  errors: boolean;
  created: number;
  duplicates: number;
  failed: number;
  items: {
    line: number;
    id: string | null;
    status: number;
    result: string;
    issues: { path: string; message: string }[];
  }[];
}

const bulk = async (body: string): Promise<{ status: number; text: string }> => {
  const res = await t.call('/api/logs/_bulk', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  return { status: res.status, text: await res.text() };
};
const ingest = (body: string) =>
  t.call('/api/logs/ingest', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
const stored = async (id: string): Promise<boolean> =>
  (await t.call(`/api/logs/${id}`, { key: t.keys.read })).status === 200;

describe('a value nested thousands deep', () => {
  it('costs its own line in a bulk body (a 400 item naming the path), not the lines beside it', async () => {
    const good = [txEvent({ user: 'deep-a' }), txEvent({ user: 'deep-b' })];
    const lines = [
      JSON.stringify(good[0]),
      withExtra(deep(6000)), // an envelope's extra key
      JSON.stringify({ log_type: 'transaction', amount: 1, currency: 'EUR', metadata: { x: 'X' } }).replace(
        '"X"',
        deep(6000),
      ), // core's labels
      JSON.stringify({ log_type: 'transaction', amount: 1, currency: 'EUR', timestamp: 'X' }).replace(
        '"X"',
        deep(6000),
      ), // the seed's content id
      JSON.stringify(good[1]),
    ];
    const { status, text } = await bulk(lines.join('\n'));
    expect(status).toBe(200);
    const reply = JSON.parse(text) as BulkReply;
    expect(reply).toMatchObject({ created: 2, duplicates: 0, failed: 3 });
    expect(reply.items.map((i) => [i.line, i.status, i.issues[0]?.message])).toEqual([
      [2, 400, 'is nested deeper than 64 levels'],
      [3, 400, 'is nested deeper than 64 levels'],
      [4, 400, 'is nested deeper than 64 levels'],
    ]);
    expect(reply.items.map((i) => i.issues[0]?.path.split('[')[0])).toEqual(['custom', 'metadata.x', 'timestamp']);
    for (const event of good) expect(await stored(event.event.id)).toBe(true);
  });

  it('costs its own event on /api/logs/ingest; alone it is a 400 naming the path', async () => {
    const good = txEvent({ user: 'deep-ingest' });
    const res = await ingest(`[${JSON.stringify(good)},${withExtra(deep(6000))}]`);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      records_processed: number;
      results: { result: string; issues?: { path: string }[] }[];
    };
    expect(body.records_processed).toBe(1);
    expect(body.results.map((r) => r.result)).toEqual(['created', 'error']);
    expect(body.results[1]?.issues?.[0]?.path).toMatch(/^custom(\[0\])+$/);
    expect(await stored(good.event.id)).toBe(true);
    const alone = await ingest(withExtra(deep(6000)));
    expect(alone.status).toBe(400);
    expect(((await alone.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toMatch(
      /^custom\[0\]/,
    );
  });
});

describe('unvalidated extras', () => {
  it('rejects an 8 MB extra field and a 200 000-key labels object with the path, and keeps the event beside them', async () => {
    const good = [txEvent({ user: 'extras-good' }), txEvent({ user: 'extras-good' })];
    const bigField = withExtra(JSON.stringify('x'.repeat(8 * 1024 * 1024)));
    const manyLabels = JSON.stringify({
      ...txEvent(),
      labels: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, 'v'])),
    });
    const results = [];
    for (const [bad, ok] of [
      [bigField, good[0]],
      [manyLabels, good[1]],
    ] as const) {
      const res = await ingest(`[${bad},${JSON.stringify(ok)}]`);
      expect(res.status).toBe(201);
      results.push(
        ...((await res.json()) as { results: { result: string; issues?: { path: string; message: string }[] }[] })
          .results,
      );
    }
    expect(results.map((r) => [r.result, r.issues?.[0]?.path])).toEqual([
      ['error', 'custom'],
      ['created', undefined],
      ['error', 'labels'],
      ['created', undefined],
    ]);
    expect(results[0]?.issues?.[0]?.message).toBe(
      `is longer than ${DEFAULT_INGEST_LIMITS.maxFieldLength} characters (8388608)`,
    );
    expect(results[2]?.issues?.[0]?.message).toMatch(/over 1000 fields/);
    // The same through bulk, where a line over the line length (the 8 MB field) is not parsed at all.
    const labels = JSON.stringify({
      ...txEvent(),
      labels: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v'])),
    });
    const lines = [(await bulk(labels)).text, (await bulk(`${JSON.stringify(txEvent())}\n${bigField}`)).text].map(
      (text) => JSON.parse(text) as BulkReply,
    );
    expect(lines.map((reply) => [reply.created, reply.items.map((i) => [i.line, i.issues[0]?.path])])).toEqual([
      [0, [[1, 'labels']]],
      [1, [[2, '(line)']]],
    ]);
  });
});

describe('the size of a bulk request and of its reply', () => {
  it('refuses more lines than maxRequestLines with 413 before parsing any, and keeps answering meanwhile', async () => {
    const tiny = '{}\n'.repeat(DEFAULT_INGEST_LIMITS.maxRequestLines + 1);
    const [over, health] = await Promise.all([bulk(tiny), t.call('/health', { key: null })]);
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text)).toEqual({
      error: {
        code: 'too_many_lines',
        message: `${DEFAULT_INGEST_LIMITS.maxRequestLines + 1} lines in one request; the limit is ${DEFAULT_INGEST_LIMITS.maxRequestLines} (split the batch)`,
      },
    });
    expect(health.status).toBe(200);
    // At the limit the body is read: every line is accounted for.
    const atLimit = await bulk('{}\n'.repeat(DEFAULT_INGEST_LIMITS.maxRequestLines));
    expect(atLimit.status).toBe(200);
    expect(JSON.parse(atLimit.text)).toMatchObject({
      created: 0,
      duplicates: 0,
      failed: DEFAULT_INGEST_LIMITS.maxRequestLines,
    });
  });

  it('lists only the rejected lines after the counts: 5 000 good lines and one bad one answer one item', async () => {
    const good = Array.from({ length: 5000 }, () => JSON.stringify(txEvent({ user: 'compact' })));
    const { status, text } = await bulk([...good.slice(0, 2500), '{"broken"', ...good.slice(2500)].join('\n'));
    expect(status).toBe(200);
    const reply = JSON.parse(text) as BulkReply;
    expect(reply).toMatchObject({ errors: true, created: 5000, duplicates: 0, failed: 1 });
    expect(reply.items).toEqual([
      {
        line: 2501,
        id: null,
        status: 400,
        result: 'error',
        issues: [{ path: '(line)', message: expect.stringMatching(/^not JSON/) as string }],
      },
    ]);
    expect(text.length).toBeLessThan(1000);
  });

  it('refuses an ingest array over maxRequestLines with 413', async () => {
    const small = await startTestServer({ maxRequestLines: 10 });
    try {
      const res = await small.call('/api/logs/ingest', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: 11 }, () => txEvent())),
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_many_lines');
    } finally {
      await small.close();
    }
  });
});

describe("the shippers' protocols share the limits", () => {
  it('OTLP: a record nested thousands deep is refused alone (partial success), the record beside it is stored', async () => {
    // A kvlist body 2 000 levels deep, as OTLP/JSON nests it: { kvlistValue: { values: [{ key, value: … }] } }.
    let value = '{"stringValue":"bottom"}';
    for (let i = 0; i < 2000; i++) value = `{"kvlistValue":{"values":[{"key":"k","value":${value}}]}}`;
    const record = (body: string) => `{"timeUnixNano":"${Date.now()}000000","severityNumber":9,"body":${body}}`;
    const request = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otlp-poison"}}]},"scopeLogs":[{"logRecords":[${record(value)},${record('{"stringValue":"kept"}')}]}]}]}`;
    const res = await t.call('/v1/logs', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess?: { rejectedLogRecords: string; errorMessage: string } };
    expect(body.partialSuccess?.rejectedLogRecords).toBe('1');
    expect(body.partialSuccess?.errorMessage).toMatch(/logRecords\[0\].*nested deeper than 1000 levels/);
    await t.server.stores.logs.refresh();
    expect(await t.server.stores.logs.count({ services: ['otlp-poison'] })).toBe(1);
  });

  it('Elasticsearch bulk: a body over maxRequestLines is refused with 413 before it is parsed', async () => {
    const small = await startTestServer({ maxRequestLines: 10, ingestPort: -1 });
    try {
      const lines = Array.from({ length: 6 }, () => `{"create":{}}\n${JSON.stringify(txEvent())}`).join('\n');
      const res = await small.call('/_bulk', {
        key: small.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines}\n`,
      });
      expect(res.status).toBe(413);
      const fewer = Array.from({ length: 5 }, () => `{"create":{}}\n${JSON.stringify(txEvent())}`).join('\n');
      const ok = await small.call('/_bulk', {
        key: small.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${fewer}\n`,
      });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { errors: boolean }).errors).toBe(false);
    } finally {
      await small.close();
    }
  });
});
