import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScaleOut } from '../../src/adapters/scale-out.js';
import { startTestServer, txEvent } from '../helpers.js';
import { createMongoWireServer } from './mongo-wire.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

describe('createScaleOut (selection by environment variables)', () => {
  it('rejects a bad or missing variable by name', async () => {
    await expect(createScaleOut({ SHOPLOG_STORE: 'elasticsearch' })).rejects.toThrow(/ELASTICSEARCH_URL: required/);
    await expect(createScaleOut({ SHOPLOG_STORE: 'postgres' })).rejects.toThrow(/SHOPLOG_STORE/);
    await expect(createScaleOut({ REDIS_URL: 'http://127.0.0.1' })).rejects.toThrow(/REDIS_URL/);
  });

  it('selects nothing without variables: the server keeps its embedded stores', async () => {
    const scaleOut = await createScaleOut({});
    expect(scaleOut.stores).toEqual({});
    await scaleOut.ready;
    expect(await scaleOut.health()).toEqual({});
  });

  it('reports an unreachable Elasticsearch as down, and its setup failure loudly', async () => {
    const scaleOut = await createScaleOut({ SHOPLOG_STORE: 'elasticsearch', ELASTICSEARCH_URL: 'http://127.0.0.1:1' });
    expect(scaleOut.stores.logs).toBeDefined();
    await expect(scaleOut.ready).rejects.toThrow(/Elasticsearch setup failed at ILM policy shoplog-logs/);
    expect((await scaleOut.health())['elasticsearch']?.status).toBe('down');
    await scaleOut.stores.logs?.close();
    await scaleOut.close();
  });
});

describe.skipIf(!REDIS_URL)('createScaleOut with Redis and MongoDB', () => {
  const wire = createMongoWireServer();
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-scaleout-'));
  beforeAll(() => wire.start());
  afterAll(async () => {
    await wire.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a server on Redis (cache, tail) and MongoDB (metadata), and reports both healthy', async () => {
    const prefix = uniquePrefix();
    const scaleOut = await createScaleOut({
      REDIS_URL,
      MONGODB_URL: wire.url,
      SHOPLOG_DATA_DIR: dir,
      SHOPLOG_REDIS_PREFIX: prefix,
    });
    await scaleOut.ready;
    expect(scaleOut.velocity?.sync).toBe(false);
    expect(await scaleOut.health()).toMatchObject({ redis: { status: 'up' }, mongodb: { status: 'up' } });
    expect(scaleOut.stores.logs).toBeUndefined(); // the server opens its embedded store and wraps it with the bus
    const server = await startTestServer({
      stores: scaleOut.stores,
      ...(scaleOut.eventBus ? { eventBus: scaleOut.eventBus } : {}),
    });
    // The admin user and keys were written to MongoDB.
    expect(wire.commands.some((c) => c.name === 'insert' && c.body['insert'] === 'users')).toBe(true);
    const event = txEvent({ message: 'stored through the scale-out stores' });
    expect(
      (
        await server.call('/api/logs/ingest', {
          method: 'POST',
          body: JSON.stringify(event),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(201);
    await server.server.stores.logs.refresh();
    const found = (await (await server.call(`/api/logs/${event.event.id}`)).json()) as { event: { id: string } };
    expect(found.event.id).toBe(event.event.id);
    await server.close();
    await scaleOut.close();
    await deletePrefix(prefix);
  });
});
