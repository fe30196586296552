/**
 * The server's contract suites, run unchanged against the scale-out adapters: the Cache contract against Redis
 * (and the embedded LRU, so both are held to the same rules), the LogStore contract against the embedded store
 * whose live tail goes through Redis, and against Elasticsearch when ELASTICSEARCH_URL points at a cluster.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { describe } from 'vitest';
import { createElasticsearchLogStore } from '../../src/adapters/elasticsearch/index.js';
import { createRedisEventBus } from '../../src/adapters/redis/index.js';
import { createMemoryCache, createSqliteLogStore, withEventBus } from '../../src/index.js';
import { runCacheContract } from '../contracts/cache-contract.js';
import { runLogStoreContract } from '../contracts/log-store-contract.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

const ELASTICSEARCH_URL = process.env['ELASTICSEARCH_URL'];
if (!ELASTICSEARCH_URL)
  console.warn('Elasticsearch contract tests skipped: set ELASTICSEARCH_URL (the Compose stack provides one).');

runCacheContract('memory (embedded)', async () => ({ cache: createMemoryCache() }));

describe.skipIf(!REDIS_URL)('with Redis', () => {
  let dir = '';
  let prefix = '';
  runLogStoreContract(
    'sqlite + Redis live tail',
    () => {
      dir = mkdtempSync(join(tmpdir(), 'shoplog-bus-'));
      prefix = uniquePrefix();
      return withEventBus(
        createSqliteLogStore({ path: join(dir, 'events.db') }),
        createRedisEventBus({ url: REDIS_URL, keyPrefix: prefix }),
      );
    },
    async () => {
      rmSync(dir, { recursive: true, force: true });
      await deletePrefix(prefix);
    },
  );
});

describe.skipIf(!ELASTICSEARCH_URL)('with Elasticsearch', () => {
  let namespace = '';
  runLogStoreContract(
    'elasticsearch',
    async () => {
      namespace = `test${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const store = createElasticsearchLogStore({ url: ELASTICSEARCH_URL, namespace });
      await store.ready;
      return store;
    },
    async () => {
      const client = new Client({ node: ELASTICSEARCH_URL! });
      await client.indices.deleteDataStream({ name: `logs-shoplog.*-${namespace}` }).catch(() => {});
      await client.close();
    },
  );
});
