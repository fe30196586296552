import { normalize, uuidv7 } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { otlpLogInputs } from '../src/ingest/otlp.js';

// The OTLP mapping of packages/server/README.md, on requests in the OTLP/JSON encoding (what the protobuf decoder
// also produces); the SDK-driven end-to-end cases are in otlp.test.ts.
const request = (
  records: unknown[],
  resource: unknown[] = [{ key: 'service.name', value: { stringValue: 'api' } }],
) => ({
  resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'app' }, logRecords: records }] }],
});
const one = (record: unknown) => otlpLogInputs(request([record])).inputs[0] as Record<string, unknown>;

describe('OTLP logs mapping', () => {
  it.each([
    [1, 'trace'],
    [4, 'trace'],
    [5, 'debug'],
    [9, 'info'],
    [12, 'info'],
    [13, 'warn'],
    [17, 'error'],
    [21, 'fatal'],
    [24, 'fatal'],
  ])('severity number %i → %s', (severityNumber, level) => {
    expect(one({ severityNumber, body: { stringValue: 'x' } }).log).toMatchObject({ level });
  });

  it('severity text when the number is unset; info when neither says', () => {
    expect(one({ severityText: 'WARN2', body: { stringValue: 'x' } }).log).toMatchObject({ level: 'warn' });
    expect(one({ body: { stringValue: 'x' } }).log).toMatchObject({ level: 'info' });
  });

  it('a structured body is the message as JSON; no body → the event name; neither → refused by validation', () => {
    expect(
      one({
        body: {
          kvlistValue: {
            values: [
              { key: 'a', value: { intValue: '1' } },
              { key: 'b', value: { arrayValue: { values: [{ boolValue: true }] } } },
            ],
          },
        },
      }).message,
    ).toBe('{"a":1,"b":[true]}');
    expect(one({ eventName: 'checkout.started' }).message).toBe('checkout.started');
    const refused = normalize(one({ attributes: [{ key: 'a', value: { stringValue: 'b' } }] }));
    expect(refused.ok ? [] : refused.issues.map((i) => i.path)).toEqual(['message']);
  });

  it('timestamps: time, else observed time, else now; nanoseconds to milliseconds', () => {
    expect(one({ timeUnixNano: '1764151200123456789', body: { stringValue: 'x' } })['@timestamp']).toBe(
      '2025-11-26T10:00:00.123Z',
    );
    expect(
      one({ timeUnixNano: '0', observedTimeUnixNano: '1764151200000000000', body: { stringValue: 'x' } })['@timestamp'],
    ).toBe('2025-11-26T10:00:00.000Z');
    expect(
      otlpLogInputs(request([{ body: { stringValue: 'x' } }]), '2026-01-01T00:00:00.000Z').inputs[0]?.['@timestamp'],
    ).toBe('2026-01-01T00:00:00.000Z');
  });

  it('ids: W3C trace/span ids kept (all-zero dropped), log.record.uid as event.id, a stable id otherwise', () => {
    const uid = uuidv7();
    const e = one({
      body: { stringValue: 'x' },
      traceId: '00000000000000000000000000000000',
      spanId: '00F067AA0BA902B7',
      attributes: [{ key: 'log.record.uid', value: { stringValue: uid } }],
    });
    expect(e.trace).toBeUndefined();
    expect(e.span).toEqual({ id: '00f067aa0ba902b7' });
    expect(e.event).toMatchObject({ id: uid });
    const record = { timeUnixNano: '1764151200000000000', body: { stringValue: 'same' } };
    const twice = otlpLogInputs(request([record, record])).inputs.map((i) => (i.event as { id: string }).id);
    expect(twice[0]).not.toBe(twice[1]); // two records of one request stay two events
    expect(otlpLogInputs(request([record, record])).inputs.map((i) => (i.event as { id: string }).id)).toEqual(twice); // a resent request dedupes
  });

  it('attributes: semantic conventions to ECS fields, an out-of-range status and the rest to labels', () => {
    const e = one({
      body: { stringValue: 'x' },
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'POST' } },
        { key: 'http.response.status_code', value: { intValue: '700' } },
        { key: 'client.address', value: { stringValue: '192.0.2.1' } },
        { key: 'shop.cart.items', value: { intValue: '3' } },
      ],
    });
    expect(e).toMatchObject({
      http: { request: { method: 'POST' } },
      client: { ip: '192.0.2.1' },
      labels: { http_response_status_code: '700', shop_cart_items: '3' },
    });
  });

  it('resource: service name, version and environment (new and old attribute names), host name; the rest is not stored', () => {
    const inputs = otlpLogInputs(
      request(
        [{ body: { stringValue: 'x' } }],
        [
          { key: 'service.name', value: { stringValue: 'api' } },
          { key: 'service.version', value: { stringValue: '2.0' } },
          { key: 'deployment.environment', value: { stringValue: 'prod' } },
          { key: 'host.name', value: { stringValue: 'web-1' } },
          { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
        ],
      ),
    ).inputs;
    expect(inputs[0]).toMatchObject({
      service: { name: 'api', version: '2.0', environment: 'prod' },
      host: { name: 'web-1' },
    });
    expect(inputs[0]?.labels).toBeUndefined();
  });

  it('counts what cannot be read as a record and refuses a request of another shape', () => {
    const out = otlpLogInputs({
      resourceLogs: [{ scopeLogs: [{ logRecords: [5, { body: { stringValue: 'ok' } }] }, 'x'] }, null],
    });
    expect(out.inputs).toHaveLength(1);
    expect(out.unreadable).toEqual([
      'resourceLogs[0].scopeLogs[0].logRecords[0]: must be an object',
      'resourceLogs[0].scopeLogs[1]: must be an object',
      'resourceLogs[1]: must be an object',
    ]);
    expect(() => otlpLogInputs([])).toThrow(/ExportLogsServiceRequest/);
    expect(() => otlpLogInputs({ resourceLogs: 'x' })).toThrow(/resourceLogs must be an array/);
    expect(otlpLogInputs({}).inputs).toEqual([]);
  });
});
