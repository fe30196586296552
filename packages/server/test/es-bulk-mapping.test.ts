import { normalize, uuidv7, type ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { bulkDocumentInput, eventIdOf, kindOfIndex, parseBulkBody, type BulkOperation } from '../src/ingest/es-bulk.js';
import { withContentId } from '../src/ingest/content-id.js';

// The mapping of packages/server/README.md ("Elasticsearch-compatible bulk API"), one case per documented rule, run
// as the ingest path runs it: bulkDocumentInput, then the content id and normalize() of the shared ingest path.
const op = (index?: string, id?: string, action: BulkOperation['action'] = 'index'): BulkOperation => ({
  action,
  index,
  id,
});
function ingestAs(doc: unknown, operation: BulkOperation = op('app-logs')): ShoplogEvent {
  const result = normalize(withContentId(bulkDocumentInput(doc, operation)));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}
const ts = '2026-11-26T10:00:00.000Z';

describe('Elasticsearch bulk: index names and ids', () => {
  it('reads the kind from logs-shoplog.<kind>-<namespace> and nothing else', () => {
    expect(kindOfIndex('logs-shoplog.error-default')).toBe('error');
    expect(kindOfIndex('logs-shoplog.user_behavior-eu')).toBe('user_behavior');
    expect(kindOfIndex('logs-shoplog.log')).toBe('log');
    for (const other of [
      'logs-shoplog.errors-default',
      'shoplog.error',
      'filebeat-9.1.0',
      'logs-app-default',
      undefined,
    ])
      expect(kindOfIndex(other)).toBeUndefined();
  });

  it('keeps a UUID or ULID _id as event.id and derives a stable UUID from any other', () => {
    const uuid = uuidv7();
    expect(eventIdOf(uuid)).toBe(uuid);
    expect(eventIdOf('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(eventIdOf('order-42')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdOf('order-42')).toBe(eventIdOf('order-42'));
    expect(eventIdOf('order-42')).not.toBe(eventIdOf('order-43'));
  });

  it('pairs actions and documents: op_type create, numeric _id, extra keys and blank lines', () => {
    const ops = parseBulkBody(
      '{"index":{"_index":"a","_id":7,"op_type":"create"},"attempts":1}\n\n{"m":1}\n{"delete":{"_id":"x"}}\n{"create":{}}\n{"m":2}\n',
      'path-index',
    );
    expect(ops).toEqual([
      { action: 'create', index: 'a', id: '7', source: '{"m":1}' },
      { action: 'delete', index: 'path-index', id: 'x' },
      { action: 'create', index: 'path-index', id: undefined, source: '{"m":2}' },
    ]);
    expect(() => parseBulkBody('{"index":{}}\n')).toThrow(/line 1: the index action has no document line/);
    expect(() => parseBulkBody('{"upsert":{}}\n{}\n')).toThrow(/line 1: expected an action line/);
  });
});

describe('Elasticsearch bulk: documents', () => {
  it('a Shoplog envelope passes as sent, _id as its event.id', () => {
    const id = uuidv7();
    const envelope = {
      '@timestamp': ts,
      event: { id: uuidv7(), dataset: 'shoplog.log' },
      log: { level: 'info' },
      message: 'hi',
    };
    expect(bulkDocumentInput(envelope, op('x'))).toBe(envelope);
    expect(ingestAs(envelope, op('x', id)).event.id).toBe(id);
  });

  it('pino (pino-elasticsearch): msg, time, numeric level, other fields as labels; a plain line is a log', () => {
    const e = ingestAs({
      level: 30,
      time: ts,
      pid: 42,
      hostname: 'web-1',
      msg: 'order placed',
      orderId: 'ord_1',
      amount: 12.5,
    });
    expect(e).toMatchObject({
      '@timestamp': ts,
      event: { dataset: 'shoplog.log' },
      log: { level: 'info' },
      message: 'order placed',
      labels: { pid: '42', hostname: 'web-1', orderId: 'ord_1', amount: '12.5' },
    });
  });

  it('pino with err: an error event with its type, message and stack; `time` beside `@timestamp` is dropped', () => {
    const e = ingestAs({
      level: 50,
      time: ts,
      '@timestamp': ts,
      msg: 'checkout failed',
      err: { type: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f' },
    });
    expect(e).toMatchObject({
      event: { dataset: 'shoplog.error' },
      log: { level: 'error' },
      error: { type: 'TypeError', message: 'x is undefined', stack_trace: 'TypeError: x is undefined\n    at f' },
    });
    expect(e.labels?.time).toBeUndefined();
  });

  it('winston-elasticsearch: severity and fields (one label per field)', () => {
    const e = ingestAs({ '@timestamp': ts, message: 'stock low', severity: 'warn', fields: { sku: 'A-1', left: 2 } });
    expect(e).toMatchObject({ log: { level: 'warn' }, message: 'stock low', labels: { sku: 'A-1', left: '2' } });
  });

  it('Fluent Bit: the raw line in `log`', () => {
    expect(ingestAs({ '@timestamp': ts, log: 'GET /cart 200' }).message).toBe('GET /cart 200');
  });

  it('ECS (Filebeat, Vector, ecs loggers): log.level, service, trace and span ids, the rest as dotted labels', () => {
    const e = ingestAs({
      '@timestamp': ts,
      message: 'GET /cart',
      'log.level': 'INFO',
      log: { file: { path: '/var/log/shop.log' }, offset: 10 },
      service: { name: 'api', version: '1.2' },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      span: { id: '00f067aa0ba902b7' },
      event: { dataset: 'nginx.access' },
      host: { name: 'web-1' },
      http: { request: { method: 'get' }, response: { status_code: 200 } },
      url: { path: '/cart' },
    });
    expect(e).toMatchObject({
      log: { level: 'info' },
      service: { name: 'api' },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      span: { id: '00f067aa0ba902b7' },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      url: { path: '/cart' },
      labels: {
        service_version: '1.2',
        log_file_path: '/var/log/shop.log',
        log_offset: '10',
        event_dataset: 'nginx.access',
        host_name: 'web-1',
      },
    });
    expect(e.event.dataset).toBe('shoplog.log');
  });

  it('the index gives the kind of seed-shaped documents; their own log_type wins', () => {
    expect(
      ingestAs({ '@timestamp': ts, response_time: 120, endpoint: '/cart' }, op('logs-shoplog.performance-default')),
    ).toMatchObject({ event: { dataset: 'shoplog.performance', duration: 120_000_000 } });
    expect(
      ingestAs({ '@timestamp': ts, log_type: 'error', error_message: 'boom' }, op('logs-shoplog.log-default')).event
        .dataset,
    ).toBe('shoplog.error');
  });

  it('the seed README shape { type, data } with _id', () => {
    const id = uuidv7();
    const e = ingestAs(
      { type: 'transaction', data: { transaction_id: 'T-1', amount: 10, currency: 'EUR', timestamp: ts } },
      op('x', id),
    );
    expect(e).toMatchObject({ event: { id, dataset: 'shoplog.transaction' }, shop: { transaction: { id: 'T-1' } } });
  });

  it('without _id, the same document sent again gets the same id (a duplicate, not a second event)', () => {
    const doc = { level: 30, time: ts, msg: 'same line' };
    expect(ingestAs(doc).event.id).toBe(ingestAs({ ...doc }).event.id);
  });
});
