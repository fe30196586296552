import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoMetaStore } from '../../src/adapters/mongodb/index.js';
import { createSqliteMetaStore } from '../../src/index.js';
import { runMetaStoreContract } from '../contracts/meta-store-contract.js';
import { createMongoWireServer } from './mongo-wire.js';

const MONGODB_URL = process.env['MONGODB_URL'];
if (!MONGODB_URL) console.warn('MongoDB contract against a real server skipped: set MONGODB_URL (the Compose stack provides one).');

runMetaStoreContract('sqlite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-meta-'));
  return { store: createSqliteMetaStore({ path: join(dir, 'meta.db') }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('MongoDB MetaStore through the official driver (in-test wire-protocol responder)', () => {
  const wire = createMongoWireServer();
  beforeAll(() => wire.start());
  afterAll(() => wire.stop());

  runMetaStoreContract('mongodb (wire responder)', async () => {
    const database = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const store = createMongoMetaStore({ url: wire.url, database });
    await store.ready;
    return { store };
  });

  it('creates unique and TTL indexes at start', async () => {
    const store = createMongoMetaStore({ url: wire.url, database: 'indexes', historyTtlDays: 30 });
    await store.ready;
    expect(wire.indexSpecs.get('indexes.users')).toEqual([{ key: { username: 1 }, name: 'username_unique', unique: true }]);
    expect(wire.indexSpecs.get('indexes.api_keys')).toEqual([{ key: { keyHash: 1 }, name: 'key_hash_unique', unique: true }]);
    expect(wire.indexSpecs.get('indexes.sessions')).toEqual([{ key: { _expires: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 }]);
    expect(wire.indexSpecs.get('indexes.search_history')?.[1]).toEqual({ key: { _created: 1 }, name: 'created_ttl', expireAfterSeconds: 30 * 86_400 });
    await store.close();
  });

  it('stores the session expiry as a date for the TTL monitor, and never returns storage fields', async () => {
    const store = createMongoMetaStore({ url: wire.url, database: 'ttl' });
    await store.createSession({ idHash: 'h', userId: 'u', csrfToken: 'c', createdAt: 1, expiresAt: Date.parse('2030-01-01T00:00:00Z') });
    const [stored] = wire.data.get('ttl.sessions') ?? [];
    expect(stored?.['_id']).toBe('h');
    expect(stored?.['_expires']).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(await store.getSession('h', 0)).toEqual({ idHash: 'h', userId: 'u', csrfToken: 'c', createdAt: 1, expiresAt: Date.parse('2030-01-01T00:00:00Z') });
    await store.close();
  });

  it('does not close a client it was given', async () => {
    const client = new MongoClient(wire.url);
    const store = createMongoMetaStore({ client, database: 'shared' });
    await store.setSetting('k', 'v');
    await store.close();
    expect(await client.db('shared').collection('settings').countDocuments()).toBe(1);
    await client.close();
  });

  it('rejects bad options by name', () => {
    expect(() => createMongoMetaStore({ url: 'http://x' })).toThrow(/option `url`/);
    expect(() => createMongoMetaStore({ url: 'mongodb://127.0.0.1:1', historyTtlDays: 0 })).toThrow(/option `historyTtlDays`/);
  });
});

describe.skipIf(!MONGODB_URL)('MongoDB MetaStore against a real server', () => {
  runMetaStoreContract('mongodb', async () => {
    const database = `shoplog_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const store = createMongoMetaStore({ url: MONGODB_URL, database });
    await store.ready;
    return {
      store,
      cleanup: async () => {
        const client = new MongoClient(MONGODB_URL!);
        await client.db(database).dropDatabase();
        await client.close();
      },
    };
  });
});
