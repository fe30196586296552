import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScaleOut } from '../../src/adapters/scale-out.js';
import { createMongoMetaStore, databaseOfUrl } from '../../src/adapters/mongodb/index.js';
import { createSqliteMetaStore } from '../../src/index.js';
import { runMetaStoreContract } from '../contracts/meta-store-contract.js';
import { startTestServer } from '../helpers.js';
import { createMongoWireServer } from './mongo-wire.js';

const MONGODB_URL = process.env['MONGODB_URL'];
if (!MONGODB_URL)
  console.warn('MongoDB contract against a real server skipped: set MONGODB_URL (the Compose stack provides one).');

runMetaStoreContract('sqlite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-meta-'));
  return {
    store: createSqliteMetaStore({ path: join(dir, 'meta.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
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
    expect(wire.indexSpecs.get('indexes.users')).toEqual([
      { key: { username: 1 }, name: 'username_unique', unique: true },
    ]);
    expect(wire.indexSpecs.get('indexes.api_keys')).toEqual([
      { key: { keyHash: 1 }, name: 'key_hash_unique', unique: true },
    ]);
    expect(wire.indexSpecs.get('indexes.sessions')).toEqual([
      { key: { _expires: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 },
    ]);
    expect(wire.indexSpecs.get('indexes.search_history')?.[1]).toEqual({
      key: { _created: 1 },
      name: 'created_ttl',
      expireAfterSeconds: 30 * 86_400,
    });
    await store.close();
  });

  it('stores the session expiry as a date for the TTL monitor, and never returns storage fields', async () => {
    const store = createMongoMetaStore({ url: wire.url, database: 'ttl' });
    await store.createSession({
      idHash: 'h',
      userId: 'u',
      csrfToken: 'c',
      createdAt: 1,
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    const [stored] = wire.data.get('ttl.sessions') ?? [];
    expect(stored?.['_id']).toBe('h');
    expect(stored?.['_expires']).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(await store.getSession('h', 0)).toEqual({
      idHash: 'h',
      userId: 'u',
      csrfToken: 'c',
      createdAt: 1,
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
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

  it("uses the database 'shoplog' when the URL names none, directly and through createScaleOut", async () => {
    const bare = wire.url.replace('/shoplog?', '/?');
    expect(databaseOfUrl(bare)).toBeUndefined();
    expect(databaseOfUrl(wire.url)).toBe('shoplog');
    expect(databaseOfUrl('mongodb+srv://u:p%2F@a.example.net,b.example.net:27018/shop%2Dprod?authSource=admin')).toBe(
      'shop-prod',
    );
    expect(databaseOfUrl('mongodb://u:p@a:1,b:2')).toBeUndefined();
    const before = new Set(wire.data.keys());
    const direct = createMongoMetaStore({ url: bare });
    await direct.setSetting('from', 'direct');
    await direct.close();
    const scaleOut = await createScaleOut({ MONGODB_URL: bare.replace('?', '?appName=scaleout&') });
    await scaleOut.ready;
    await scaleOut.stores.meta?.setSetting('from', 'scale-out');
    await scaleOut.stores.meta?.close();
    await scaleOut.close();
    const added = [...wire.data.keys()].filter((ns) => !before.has(ns));
    expect(added).toEqual(['shoplog.settings']);
    expect(wire.data.get('shoplog.settings')).toEqual([{ _id: 'from', value: 'scale-out' }]);
    // A URL that names a database keeps it; with a client of its own, the option or 'shoplog'.
    const named = await createScaleOut({ MONGODB_URL: wire.url.replace('/shoplog?', '/shop_eu?') });
    await named.stores.meta?.setSetting('k', 'v');
    await named.stores.meta?.close();
    await named.close();
    expect(wire.data.get('shop_eu.settings')).toEqual([{ _id: 'k', value: 'v' }]);
    expect(wire.commands.filter((c) => c.db === 'test')).toEqual([]);
  });

  it('changes the history TTL of an existing database with collMod (re-creating it is refused with code 85)', async () => {
    const database = `ttl${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const first = createMongoMetaStore({ url: wire.url, database, historyTtlDays: 90 });
    await first.ready;
    await first.close();
    const ttl = () =>
      wire.indexSpecs.get(`${database}.search_history`)?.find((spec) => spec['name'] === 'created_ttl')?.[
        'expireAfterSeconds'
      ];
    expect(ttl()).toBe(90 * 86_400);
    // The same settings again: every index is already there as asked, nothing to change.
    const same = createMongoMetaStore({ url: wire.url, database, historyTtlDays: 90 });
    await same.ready;
    await same.close();
    expect(wire.commands.filter((c) => c.name === 'collMod')).toEqual([]);
    const changed = createMongoMetaStore({ url: wire.url, database, historyTtlDays: 30 });
    await changed.ready;
    await changed.close();
    expect(ttl()).toBe(30 * 86_400);
    expect(
      wire.commands.filter((c) => c.name === 'collMod').map((c) => [c.db, c.body['collMod'], c.body['index']]),
    ).toEqual([[database, 'search_history', { name: 'created_ttl', expireAfterSeconds: 30 * 86_400 }]]);
    expect(wire.indexSpecs.get(`${database}.search_history`)).toHaveLength(2);
  });

  it('answers POST /api/users raced four times with one 201 and three 409', async () => {
    const meta = createMongoMetaStore({
      url: wire.url,
      database: `users${randomUUID().replaceAll('-', '').slice(0, 8)}`,
    });
    await meta.ready;
    const t = await startTestServer({ stores: { meta } });
    try {
      const create = () =>
        t.call('/api/users', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'erin', password: 'a long password!', role: 'viewer' }),
        });
      expect((await Promise.all([create(), create(), create(), create()])).map((r) => r.status).sort()).toEqual([
        201, 409, 409, 409,
      ]);
    } finally {
      await t.close();
    }
  });

  it('rejects bad options by name', () => {
    expect(() => createMongoMetaStore({ url: 'http://x' })).toThrow(/createMongoMetaStore: invalid options: url: /);
    expect(() => createMongoMetaStore({ url: 'mongodb://127.0.0.1:1', historyTtlDays: 0 })).toThrow(
      /invalid options: historyTtlDays: /,
    );
  });
});

describe.skipIf(!MONGODB_URL)('MongoDB MetaStore against a real server', () => {
  it('starts after historyTtlDays changed on an existing database', async () => {
    const database = `shoplog_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    try {
      for (const historyTtlDays of [90, 30]) {
        const store = createMongoMetaStore({ url: MONGODB_URL, database, historyTtlDays });
        await store.ready;
        await store.close();
      }
      const client = new MongoClient(MONGODB_URL!);
      const indexes = await client.db(database).collection('search_history').indexes();
      expect(indexes.find((index) => index.name === 'created_ttl')?.expireAfterSeconds).toBe(30 * 86_400);
      await client.close();
    } finally {
      const client = new MongoClient(MONGODB_URL!);
      await client.db(database).dropDatabase();
      await client.close();
    }
  });

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
