import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFraudScorer,
  FRAUD_SCENARIOS,
  LEGIT_SCENARIOS,
  SEASONING,
  validate,
  type FraudEvent,
  type TransactionEvent,
} from '@shoplog/core';
import { generateTraffic, loadConfig } from '../src/index.js';
import { errorEvent, startTestServer, txEvent, uploadFile, type TestServer } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ uploadLimit: 200_000 });
});
afterAll(async () => {
  await t.close();
});

const upload = (body: Blob | Buffer | string, filename: string, raw = false) => uploadFile(t, body, filename, raw);

describe('upload jobs', () => {
  it('ingests CSV with a header, reports bad rows and keeps the last line without a newline', async () => {
    const csv =
      'log_type,timestamp,level,service,user_id,transaction_id,amount,currency,status,error_message\ntransaction,2026-02-01 10:00:00,INFO,shop,u1,T1,12.5,EUR,completed,\ntransaction,2026-02-01 10:01:00,INFO,shop,u2,T2,abc,EUR,completed,\ntransaction,2026-02-01 10:02:00,INFO,shop,u3,T3,"1,5",EUR,completed,\nerror,2026-02-01 10:03:00,ERROR,shop,u4,,,,,"db down, retrying"';
    const { job, accepted } = await upload(csv, 'logs.csv');
    expect(accepted?.file_type).toBe('csv');
    expect(job).toMatchObject({ status: 'completed', total_lines: 4, accepted: 2, rejected: 2 });
    expect(job?.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(job?.errors[0]?.issues[0]?.path).toBe('amount');
    expect(job?.preview).toHaveLength(2);
  });

  it('ingests a gzipped JSON array streamed, and NDJSON raw bodies; duplicates are counted', async () => {
    const events = [txEvent(), errorEvent('502', 'Gateway')];
    const { job } = await upload(gzipSync(JSON.stringify(events)), 'batch.json.gz');
    expect(job).toMatchObject({ status: 'completed', accepted: 2, file_type: 'json' });
    const again = await upload(events.map((e) => JSON.stringify(e)).join('\n'), 'again.ndjson', true);
    expect(again.job).toMatchObject({ status: 'completed', accepted: 0, duplicates: 2, file_type: 'ndjson' });
    const recent = (await (await t.call('/api/logs/uploads/recent', { key: t.keys.read })).json()) as {
      uploads: unknown[];
    };
    expect(recent.uploads.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses an upload over the size limit with 413', async () => {
    expect((await upload('x'.repeat(300_000), 'big.ndjson')).status).toBe(413);
    expect((await upload('x'.repeat(300_000), 'big.ndjson', true)).status).toBe(413);
  });
});

describe('live tail', () => {
  it('streams newly stored events matching the filters over SSE', async () => {
    const controller = new AbortController();
    const res = await t.call('/api/logs/tail?log_type=error&q=tailprobe', {
      key: t.keys.read,
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const wanted = errorEvent('500', 'Tail', 'tailprobe matched');
    await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([txEvent({ message: 'tailprobe but a transaction' }), wanted]),
    });
    let text = '';
    const complete = (): boolean => text.includes('event: log') && text.includes('\n\n', text.indexOf('event: log'));
    while (!complete()) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const frames = text.split('\n\n').filter((f) => f.includes('event: log'));
    expect(frames).toHaveLength(1);
    const data = JSON.parse(
      frames[0]!
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    ) as { event: { id: string } };
    expect(data.event.id).toBe(wanted.event.id);
  });
});

describe('alert rules', () => {
  it('creates a rule, evaluates it and lists it with its last firing', async () => {
    const create = await t.call('/api/alerts/rules', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'db errors',
        metric: 'count',
        filters: { log_type: 'error' },
        window: '1h',
        threshold: 1,
      }),
    });
    expect(create.status).toBe(201);
    const bad = await t.call('/api/alerts/rules', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', metric: 'nope', window: '1s', threshold: 'a' }),
    });
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([
      'metric',
      'window',
      'threshold',
    ]);
    await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([errorEvent('500', 'A'), errorEvent('500', 'B')]),
    });
    await t.server.stores.logs.refresh();
    await t.call('/api/alerts/evaluate', { method: 'POST' });
    const list = (await (await t.call('/api/alerts', { key: t.keys.read })).json()) as {
      alerts: { name: string; state: string; last_value: number; last_fired_at: string | null }[];
    };
    const rule = list.alerts.find((a) => a.name === 'db errors');
    expect(rule?.state).toBe('firing');
    expect(rule?.last_value).toBeGreaterThanOrEqual(2);
    expect(rule?.last_fired_at).not.toBeNull();
  });
});

describe('OpenAPI and settings', () => {
  it('serves an OpenAPI 3.1 document built from the core schemas', async () => {
    const doc = (await (await t.call('/api/docs/openapi.json', { key: null })).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/logs/_bulk');
    const bulk = (
      doc.paths['/api/logs/_bulk'] as {
        post: { responses: Record<string, { content?: Record<string, { schema: { required: string[] } }> }> };
      }
    ).post;
    expect(bulk.responses['200']?.content?.['application/json']?.schema.required).toEqual([
      'took',
      'errors',
      'created',
      'duplicates',
      'failed',
      'items',
    ]);
    expect(doc.components.schemas.transaction_event).toBeDefined();
    expect((await t.call('/api/docs', { key: null })).headers.get('content-type')).toMatch(/html/);
  });

  it('loads settings from the environment and names a bad one', () => {
    expect(
      loadConfig({ SHOPLOG_PORT: '6001', SHOPLOG_CORS_ORIGINS: 'https://a.example, https://b.example' }),
    ).toMatchObject({
      port: 6001,
      host: '127.0.0.1',
      corsOrigins: ['https://a.example', 'https://b.example'],
      dataDir: './.shoplog-data',
    });
    expect(() => loadConfig({ SHOPLOG_PORT: 'http' })).toThrow(/port \(SHOPLOG_PORT\)/);
    expect(() => loadConfig({ SHOPLOG_BOOTSTRAP_KEY: 'short' })).toThrow(/SHOPLOG_BOOTSTRAP_KEY/);
  });
});

describe('traffic generator', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const events = [...generateTraffic({ count: 5000, days: 7, now, seed: 3 })];

  it('produces valid events of all five kinds, spread over the days', () => {
    expect(events).toHaveLength(5000);
    const invalid = events.map((e) => validate(e)).filter((r) => !r.ok);
    expect(invalid).toEqual([]);
    expect(new Set(events.map((e) => e.event.dataset)).size).toBe(5);
    const times = events.map((e) => Date.parse(e['@timestamp']));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now - 7 * 86_400_000);
    expect(Math.max(...times)).toBeLessThan(now);
    const days = new Set(times.map((t) => Math.floor((now - 1 - t) / 86_400_000)));
    expect([...days].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
  });

  it("draws the payments from core's labelled traffic, each judged by core's scorer, inside its shopper's session", () => {
    const scenarios = new Set<string>([...FRAUD_SCENARIOS, ...LEGIT_SCENARIOS, SEASONING]);
    const transactions = events.filter((e) => e.event.dataset === 'shoplog.transaction');
    expect(transactions.length).toBeGreaterThan(50);
    const verdicts = new Map(
      events.filter((e) => e.event.dataset === 'shoplog.fraud').map((e) => [(e as FraudEvent).shop.transaction.id, e]),
    );
    expect(verdicts.size).toBe(transactions.length);
    const { rulesetVersion } = createFraudScorer();
    for (const tx of transactions as TransactionEvent[]) {
      expect(scenarios.has(tx.labels?.['scenario'] ?? '')).toBe(true);
      const verdict = verdicts.get(tx.shop.transaction.id) as FraudEvent;
      expect(verdict.labels).toEqual(tx.labels);
      expect(verdict.trace).toEqual(tx.trace);
      expect(verdict.shop.fraud.ruleset_version).toBe(rulesetVersion);
      // The session's other events are the same shopper's.
      const session = events.filter((e) => e.trace?.id === tx.trace?.id && e.event.dataset !== 'shoplog.performance');
      expect(session.length).toBeGreaterThan(1);
      for (const e of session) expect(e.user?.id).toBe(tx.user?.id);
    }
    // Injected fraud, some of it caught.
    const fraud = transactions.filter((tx) =>
      (FRAUD_SCENARIOS as readonly string[]).includes(tx.labels?.['scenario'] ?? ''),
    );
    expect(fraud.length).toBeGreaterThan(0);
    const caught = fraud.filter(
      (tx) =>
        (verdicts.get((tx as TransactionEvent).shop.transaction.id) as FraudEvent).shop.fraud.decision !== 'allow',
    );
    expect(caught.length).toBeGreaterThan(0);
  });

  it('is the same traffic for the same seed, and names a bad option', () => {
    // Ids (event, trace, session) are minted fresh; what happens, when and to whom is the seed's.
    const facts = (seed: number) =>
      [...generateTraffic({ count: 300, days: 2, now, seed })].map((e) => [e['@timestamp'], e.message, e.user?.id]);
    expect(facts(9)).toEqual(facts(9));
    expect(facts(10)).not.toEqual(facts(9));
    expect(() => [...generateTraffic({ count: 0 })]).toThrow(/count/);
    expect(() => [...generateTraffic({ count: 10, days: -1 })]).toThrow(/days/);
  });
});
