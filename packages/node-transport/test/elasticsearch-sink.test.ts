import { Client, errors } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryEngine, createElasticsearchSink } from '../src/index.js';
import { makeEvents, tempDir, until } from './fixtures/events.js';

type Op = { create: { _index: string; _id: string } };

/** A tiny in-memory "cluster" behind the official client's intercepted transport. */
function fakeCluster(
  script: (req: number, ops: Op[], docs: Record<string, unknown>[]) => 'ok' | 'items-429' | Error | undefined,
) {
  const mock = new Mock();
  const stored = new Map<string, { index: string; doc: Record<string, unknown> }>();
  const order: string[] = [];
  let requests = 0;
  mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
    const body = params.body as unknown as Record<string, unknown>[];
    const ops: Op[] = [];
    const docs: Record<string, unknown>[] = [];
    for (let i = 0; i < body.length; i += 2) {
      ops.push(body[i] as Op);
      docs.push(body[i + 1] as Record<string, unknown>);
    }
    const verdict = script(requests++, ops, docs);
    if (verdict instanceof Error) return verdict;
    const items = ops.map((op, i) => {
      const id = op.create._id;
      if (verdict === 'items-429')
        return {
          create: {
            _index: op.create._index,
            _id: id,
            status: 429,
            error: { type: 'es_rejected_execution_exception', reason: 'queue full' },
          },
        };
      if ((docs[i]?.labels as { bad?: string } | undefined)?.bad) {
        return {
          create: {
            _index: op.create._index,
            _id: id,
            status: 400,
            error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [labels.bad]' },
          },
        };
      }
      if (stored.has(id))
        return {
          create: {
            _index: op.create._index,
            _id: id,
            status: 409,
            error: { type: 'version_conflict_engine_exception', reason: 'document already exists' },
          },
        };
      stored.set(id, { index: op.create._index, doc: docs[i] as Record<string, unknown> });
      order.push(id);
      return { create: { _index: op.create._index, _id: id, status: 201, result: 'created' } };
    });
    return { took: 1, errors: items.some((it) => it.create.status >= 300), items };
  });
  const client = new Client({ node: 'http://127.0.0.1:9200', Connection: mock.getConnection(), maxRetries: 0 });
  return { client, stored, order, requests: () => requests };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function engineFor(client: Client, spoolDir = tempDir()) {
  const engine = createDeliveryEngine({
    sink: createElasticsearchSink({ client, namespace: 'shop1' }),
    spoolDir,
    exitHooks: false,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
    maxRetries: 50,
    maxBatchCount: 20,
  });
  closers.push(() => engine.close());
  return engine;
}

describe('Elasticsearch sink (official client, intercepted transport)', () => {
  it('writes create actions keyed on event.id into the data stream of the dataset', async () => {
    const es = fakeCluster(() => 'ok');
    const engine = engineFor(es.client);
    const events = makeEvents(45);
    for (const e of events) engine.enqueue(e);
    await engine.flush();
    expect(es.order).toEqual(events.map((e) => e.event.id));
    expect([...es.stored.values()].every((s) => s.index === 'logs-shoplog.error-shop1')).toBe(true);
    expect(es.stored.get(events[0]?.event.id as string)?.doc).toEqual(JSON.parse(JSON.stringify(events[0])));
  });

  it('dead-letters mapping errors, counts 409 as delivered, and stores the rest', async () => {
    const es = fakeCluster(() => 'ok');
    const spoolDir = tempDir();
    const engine = engineFor(es.client, spoolDir);
    const events = makeEvents(10);
    const bad = makeEvents(1, 'bad')[0] as (typeof events)[number];
    (bad.labels as Record<string, string>).bad = 'yes';
    engine.enqueue(events[0] as (typeof events)[number]);
    await engine.flush();
    // The same event again (a retry from another process, say) plus new ones and one the mapping rejects.
    for (const e of [...events, bad]) engine.enqueue(e);
    await engine.flush();
    expect(es.order).toEqual(events.map((e) => e.event.id));
    const m = engine.metrics();
    expect(m.duplicates).toBe(1);
    expect(m.sent).toBe(11);
    expect(m.deadLettered).toBe(1);
    const dead = JSON.parse(readFileSync(join(spoolDir, 'dead-letter.ndjson'), 'utf8').trim());
    expect(dead.reason).toMatch(/400 mapper_parsing_exception/);
    expect(JSON.parse(dead.line).event.id).toBe(bad.event.id);
  });

  it('rides out a 429 storm, whole-request 429/503 and connection errors without losing or duplicating', async () => {
    const es = fakeCluster((req) => {
      if (req < 4) return 'items-429';
      if (req === 4)
        return new errors.ResponseError({
          body: { error: 'too many' },
          statusCode: 429,
          headers: { 'retry-after': '0' },
          warnings: null,
          meta: {} as never,
        });
      if (req === 5)
        return new errors.ResponseError({
          body: { error: 'unavailable' },
          statusCode: 503,
          headers: {},
          warnings: null,
          meta: {} as never,
        });
      if (req === 6) return new errors.ConnectionError('socket hang up');
      return 'ok';
    });
    const engine = engineFor(es.client);
    const events = makeEvents(100);
    for (const e of events) engine.enqueue(e);
    // No flush() here: flush() stops waiting for a failing backend after a few attempts and spools.
    await until(() => es.order.length >= 100 && engine.metrics().queued === 0 && engine.metrics().inFlight === 0);
    expect(es.order).toEqual(events.map((e) => e.event.id));
    const m = engine.metrics();
    expect(m).toMatchObject({ sent: 100, duplicates: 0, deadLettered: 0, spooled: 0 });
    expect(m.retried).toBeGreaterThanOrEqual(7 * 20);
  });
});
