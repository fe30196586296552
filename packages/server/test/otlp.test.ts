import { context, diag, DiagLogLevel, SeverityNumber, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
} from '@opentelemetry/sdk-logs';
import { uuidv7, type ShoplogEvent } from '@shoplog/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError, createSqliteLogStore } from '../src/index.js';
import { eventually, startTestServer, type TestServer } from './helpers.js';

// The official OpenTelemetry JS logs SDK and its OTLP/HTTP exporters (JSON and protobuf) as the client.
const ENCODINGS = [
  [
    'protobuf',
    (url: string, key: string) =>
      new ProtobufLogExporter({
        url: `${url}/v1/logs`,
        headers: { authorization: `Bearer ${key}` },
        compression: CompressionAlgorithm.GZIP,
      }),
  ],
  [
    'JSON',
    (url: string, key: string) =>
      new JsonLogExporter({ url: `${url}/v1/logs`, headers: { authorization: `Bearer ${key}` } }),
  ],
] as const;

// What the SDK reports through its diagnostic logger: warnings (partial success) and retries (verbose).
const warnings: string[] = [];
const retries: string[] = [];
const line = (m: string, a: unknown[]) => [m, ...a].join(' ');
diag.setLogger(
  {
    error: (m: string, ...a: unknown[]) => warnings.push(line(m, a)),
    warn: (m: string, ...a: unknown[]) => warnings.push(line(m, a)),
    info: () => {},
    debug: () => {},
    verbose: (m: string, ...a: unknown[]) => (m.includes('retry') ? retries.push(line(m, a)) : undefined),
  },
  DiagLogLevel.ALL,
);
afterEach(() => {
  warnings.length = 0;
  retries.length = 0;
});

function provider(exporter: LogRecordExporter, service: string, batch = true): LoggerProvider {
  return new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': service,
      'service.version': '2.4.1',
      'deployment.environment.name': 'staging',
      'host.name': 'shop-1',
    }),
    processors: [
      batch
        ? new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 50 })
        : new SimpleLogRecordProcessor({ exporter }),
    ],
  });
}

async function storedOf(t: TestServer, service: string, expected: number): Promise<ShoplogEvent[]> {
  await eventually(async () => {
    await t.server.stores.logs.refresh();
    return (await t.server.stores.logs.count({ services: [service] })) >= expected ? true : undefined;
  }, 20_000);
  // The count may come from one indexer ahead of the other: refresh again before reading the page.
  await t.server.stores.logs.refresh();
  return (await t.server.stores.logs.recent({ limit: 1000 })).filter((e) => e.service?.name === service);
}

describe('OTLP/HTTP logs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ingestPort: -1 });
  });
  afterAll(async () => {
    await t.close();
  });

  for (const [encoding, exporterFor] of ENCODINGS) {
    it(`maps ${encoding} records to events: severity, body, attributes, resource, trace and span ids`, async () => {
      const service = `otel-${encoding}`;
      const logs = provider(exporterFor(t.url, t.keys.ingest), service);
      const logger = logs.getLogger('checkout-module', '1.0.0');
      const spanContext = {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.SAMPLED,
      };
      const inSpan = trace.setSpanContext(context.active(), spanContext);
      for (let i = 0; i < 50; i++) {
        logger.emit({
          severityNumber: SeverityNumber.INFO,
          severityText: 'INFO',
          body: `cart ${i} priced`,
          attributes: { seq: i, 'http.route': '/cart/:id', 'user.id': `u-${i}` },
          context: inSpan,
        });
      }
      logger.emit({
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: 'payment failed',
        context: inSpan,
        attributes: {
          seq: 50,
          'exception.type': 'GatewayTimeout',
          'exception.message': 'psp timed out',
          'http.response.status_code': 504,
          'shop.order': { id: 'o-9', items: 2 },
        },
      });
      await logs.forceFlush();
      await logs.shutdown();
      const events = await storedOf(t, service, 51);
      expect(events).toHaveLength(51);
      expect(new Set(events.map((e) => e.labels?.seq)).size).toBe(51);
      const info = events.find((e) => e.labels?.seq === '7');
      expect(info).toMatchObject({
        event: { dataset: 'shoplog.log', severity: 9 },
        log: { level: 'info', logger: 'checkout-module' },
        message: 'cart 7 priced',
        service: { name: service, version: '2.4.1', environment: 'staging' },
        trace: { id: spanContext.traceId },
        span: { id: spanContext.spanId },
        http: { route: '/cart/:id' },
        user: { id: 'u-7' },
      });
      expect((info as { host?: unknown }).host).toEqual({ name: 'shop-1' });
      const error = events.find((e) => e.labels?.seq === '50');
      expect(error).toMatchObject({
        event: { dataset: 'shoplog.error' },
        log: { level: 'error' },
        message: 'payment failed',
        error: { type: 'GatewayTimeout', message: 'psp timed out' },
        http: { response: { status_code: 504 } },
        labels: { shop_order: '{"id":"o-9","items":2}' },
      });
      expect(warnings).toEqual([]);
    });

    it(`answers ${encoding} partial success for records it refuses and stores the others`, async () => {
      const service = `otel-partial-${encoding}`;
      const logs = provider(exporterFor(t.url, t.keys.ingest), service);
      const logger = logs.getLogger('partial');
      logger.emit({ severityNumber: SeverityNumber.WARN, body: 'kept' });
      logger.emit({ severityNumber: SeverityNumber.WARN, attributes: { note: 'no body, no event name' } });
      await logs.shutdown();
      const events = await storedOf(t, service, 1);
      expect(events.map((e) => e.message)).toEqual(['kept']);
      // The SDK read the partial success from the answer (in the request's encoding) and reported it.
      expect(warnings.join('\n')).toMatch(/Partial Success.*"rejectedLogRecords":"?1"?.*message/);
    });
  }

  it('gives an OTel log the trace of the request events it was written in (same trace.id as the middleware writes)', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    // An Express middleware request event carries the W3C trace id of the incoming traceparent.
    const request = {
      '@timestamp': new Date().toISOString(),
      event: { id: uuidv7(), dataset: 'shoplog.performance', duration: 12_000_000 },
      log: { level: 'info' },
      service: { name: 'otel-trace' },
      trace: { id: traceId },
      span: { id: 'b7ad6b7169203331' },
      http: { route: '/checkout' },
      shop: { performance: { kind: 'http' } },
    };
    expect(
      (
        await t.call('/api/logs/ingest', {
          key: t.keys.ingest,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request),
        })
      ).status,
    ).toBe(201);
    const logs = provider(
      new ProtobufLogExporter({ url: `${t.url}/v1/logs`, headers: { authorization: `Bearer ${t.keys.ingest}` } }),
      'otel-trace',
    );
    logs.getLogger('app').emit({
      body: 'inventory reserved',
      context: trace.setSpanContext(context.active(), {
        traceId,
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.SAMPLED,
      }),
    });
    await logs.shutdown();
    const events = await storedOf(t, 'otel-trace', 2);
    expect(events.map((e) => e.trace?.id)).toEqual([traceId, traceId]);
  });

  it('refuses a request without an ingest key (401) and a body that is not OTLP (400, Status in the same encoding)', async () => {
    const anonymous = await fetch(`${t.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 16 });
    const junk = await t.call('/v1/logs', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0xff, 0xff, 0xff, 0x01]),
    });
    expect(junk.status).toBe(400);
    expect(junk.headers.get('content-type')).toMatch(/application\/x-protobuf/);
    const notLogs = await t.call('/v1/logs', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceLogs":{"x":1}}',
    });
    expect(notLogs.status).toBe(400);
    expect(((await notLogs.json()) as { message: string }).message).toMatch(/resourceLogs must be an array/);
  });
});

describe('OTLP/HTTP logs retries', () => {
  it('the exporter retries after 429 (rate limit, Retry-After): every record stored once', async () => {
    const t = await startTestServer({ ingestPort: -1, ingestRateLimit: 1 });
    try {
      const logs = provider(
        new JsonLogExporter({ url: `${t.url}/v1/logs`, headers: { authorization: `Bearer ${t.keys.ingest}` } }),
        'otel-429',
        false,
      );
      const logger = logs.getLogger('retry');
      for (let i = 0; i < 3; i++) logger.emit({ body: `retried ${i}` });
      await logs.forceFlush();
      const events = await storedOf(t, 'otel-429', 3);
      expect(events.map((e) => e.message).sort()).toEqual(['retried 0', 'retried 1', 'retried 2']);
      expect(retries.some((r) => /Scheduling export retry in (9\d\d|1\d\d\d)ms/.test(r))).toBe(true); // after Retry-After: 1
      await logs.shutdown();
    } finally {
      await t.close();
    }
  });

  it('the exporter retries after 503 (store unavailable, Retry-After): every record stored once', async () => {
    let failures = 2;
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-otlp-'));
    const real = createSqliteLogStore({ path: join(dir, 'events.db') });
    // The real embedded store, whose first two appends fail as an unreachable backend would.
    const flaky = new Proxy(real, {
      get(target, key, receiver) {
        if (key === 'appendBatch' && failures > 0) {
          return async () => {
            failures--;
            throw new StoreUnavailableError('injected outage');
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const t = await startTestServer({ ingestPort: -1, stores: { logs: flaky } });
    try {
      const logs = provider(
        new ProtobufLogExporter({ url: `${t.url}/v1/logs`, headers: { authorization: `Bearer ${t.keys.ingest}` } }),
        'otel-503',
      );
      logs.getLogger('retry').emit({ body: 'survived an outage' });
      await logs.forceFlush();
      const events = await storedOf(t, 'otel-503', 1);
      expect(events.map((e) => e.message)).toEqual(['survived an outage']);
      expect(failures).toBe(0);
      expect(retries.filter((r) => r.includes('Scheduling export retry'))).toHaveLength(2);
      await logs.shutdown();
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
