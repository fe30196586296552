import { OptionsError, parseOptions, type FraudStateStore, type VelocityStore } from '@shoplog/core';
import { z } from 'zod';
import { RetentionOverridesSchema } from '../retention.js';
import type { Cache, LogStore, MetaStore } from '../ports.js';
import { loadOptional } from './optional.js';
import type { SharedRateLimiter } from '../auth/rate-limit.js';
import { withEventBus, type EventBus } from '../event-bus.js';

/** Health of one dependency, for `GET /api/dashboard/health`. */
export interface DependencyHealth {
  status: 'up' | 'down';
  /** Elasticsearch cluster status, Redis/MongoDB round trip, or the error. */
  detail: string;
  /** Round trip of the check in milliseconds (when it answered). */
  latencyMs?: number;
}

/** The stores and services selected by configuration. Absent entries mean "use the embedded default". */
export interface ScaleOut {
  stores: { logs?: LogStore; meta?: MetaStore; cache?: Cache };
  /** Fraud velocity shared by every instance (core's `VelocityStore`), when Redis is configured. */
  velocity?: VelocityStore & { close(): Promise<void> };
  /** Fraud profiles, entity links and shop-wide signals shared by every instance (core's `FraudStateStore`), when Redis is configured. */
  fraudState?: FraudStateStore & { close(): Promise<void> };
  /** Ingest rate limiting shared by every instance, when Redis is configured. */
  rateLimiter?: SharedRateLimiter;
  /**
   * The live tail across instances, when Redis is configured and the events stay in the embedded store: pass it to
   * `createServer({ eventBus })`, which wraps its own store with it (on Elasticsearch, `stores.logs` is wrapped already).
   */
  eventBus?: EventBus;
  /** Resolves once Elasticsearch templates and MongoDB indexes are installed; rejects loudly otherwise. */
  ready: Promise<void>;
  /** Pings each configured dependency. */
  health(): Promise<Record<string, DependencyHealth>>;
  /** Closes what `stores` does not own (velocity, rate limiter, health clients). The server closes the stores. */
  close(): Promise<void>;
}

const EnvSchema = z.object({
  SHOPLOG_STORE: z.enum(['sqlite', 'elasticsearch']).default('sqlite'),
  SHOPLOG_ES_NAMESPACE: z.string().default('default'),
  ELASTICSEARCH_URL: z.url().optional(),
  ELASTICSEARCH_USERNAME: z.string().optional(),
  ELASTICSEARCH_PASSWORD: z.string().optional(),
  ELASTICSEARCH_API_KEY: z.string().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  MONGODB_URL: z
    .string()
    .regex(/^mongodb(?:\+srv)?:\/\//, 'must be a mongodb:// URL')
    .optional(),
  SHOPLOG_REDIS_PREFIX: z.string().max(128).default('shoplog:'),
  // Retention: the ILM policies of Elasticsearch (the embedded store applies it itself).
  SHOPLOG_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  SHOPLOG_RETENTION_BY_DATASET: RetentionOverridesSchema.default({}),
});

const down = (error: unknown): DependencyHealth => ({
  status: 'down',
  detail: error instanceof Error ? error.message : String(error),
});

/**
 * Builds the scale-out stores from environment variables: `SHOPLOG_STORE=elasticsearch` (+ `ELASTICSEARCH_URL`,
 * `ELASTICSEARCH_USERNAME`/`_PASSWORD` or `_API_KEY`, `SHOPLOG_ES_NAMESPACE`) for events, `REDIS_URL` (+ `SHOPLOG_REDIS_PREFIX`) for
 * the cache, fraud velocity and profiles, rate limits and the live tail across instances, `MONGODB_URL` for metadata. Pass the
 * result's `stores` to `createServer({ stores })`. Rejects with one error naming a bad variable, or naming the
 * optional package a selected backend needs when it is not installed (`@elastic/elasticsearch`, `ioredis`,
 * `mongodb`: each is loaded only when its variable selects it).
 */
export async function createScaleOut(env: Record<string, string | undefined> = process.env): Promise<ScaleOut> {
  const e = parseOptions('createScaleOut', EnvSchema, env);
  if (e.SHOPLOG_STORE === 'elasticsearch' && !e.ELASTICSEARCH_URL) {
    const issue = { path: 'ELASTICSEARCH_URL', message: 'required when SHOPLOG_STORE=elasticsearch' };
    throw new OptionsError(`createScaleOut: invalid options: ${issue.path}: ${issue.message}`, [issue]);
  }
  // Every selected client package is loaded before any connection opens, so a missing one leaves nothing open.
  const es =
    e.SHOPLOG_STORE === 'elasticsearch'
      ? await loadOptional(
          '@elastic/elasticsearch',
          'SHOPLOG_STORE=elasticsearch',
          () => import('@elastic/elasticsearch'),
        )
      : undefined;
  const ioredis = e.REDIS_URL ? await loadOptional('ioredis', 'REDIS_URL', () => import('ioredis')) : undefined;
  const mongodb = e.MONGODB_URL ? await loadOptional('mongodb', 'MONGODB_URL', () => import('mongodb')) : undefined;
  const out: ScaleOut['stores'] = {};
  const waits: Promise<unknown>[] = [];
  const checks: Record<string, () => Promise<DependencyHealth>> = {};
  const closers: (() => Promise<unknown>)[] = [];
  const services: Pick<ScaleOut, 'velocity' | 'fraudState' | 'rateLimiter' | 'eventBus'> = {};

  if (es && e.ELASTICSEARCH_URL) {
    const auth = e.ELASTICSEARCH_API_KEY
      ? { apiKey: e.ELASTICSEARCH_API_KEY }
      : e.ELASTICSEARCH_USERNAME
        ? { username: e.ELASTICSEARCH_USERNAME, password: e.ELASTICSEARCH_PASSWORD ?? '' }
        : undefined;
    const { createElasticsearchLogStore } = await import('./elasticsearch/log-store.js');
    const client = new es.Client({ node: e.ELASTICSEARCH_URL, ...(auth ? { auth } : {}) });
    const store = createElasticsearchLogStore({
      client,
      namespace: e.SHOPLOG_ES_NAMESPACE,
      retentionDays: e.SHOPLOG_RETENTION_DAYS,
      retentionByKind: e.SHOPLOG_RETENTION_BY_DATASET,
    });
    out.logs = store;
    waits.push(store.ready);
    checks['elasticsearch'] = async () => {
      try {
        const started = Date.now();
        const health = await client.cluster.health();
        return {
          status: health.status === 'red' ? 'down' : 'up',
          detail: `cluster ${health.cluster_name} ${health.status}`,
          latencyMs: Date.now() - started,
        };
      } catch (error) {
        return down(error);
      }
    };
    closers.push(() => client.close());
  }

  if (ioredis && e.REDIS_URL) {
    const {
      createRedisCache,
      createRedisEventBus,
      createRedisFraudStateStore,
      createRedisRateLimiter,
      createRedisVelocityStore,
    } = await import('./redis/index.js');
    const redis = new ioredis.Redis(e.REDIS_URL, {
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    });
    redis.on('error', () => {});
    const keyPrefix = e.SHOPLOG_REDIS_PREFIX;
    out.cache = createRedisCache({ client: redis, keyPrefix });
    const velocity = createRedisVelocityStore({ client: redis, keyPrefix });
    const fraudState = createRedisFraudStateStore({ client: redis, keyPrefix });
    const rateLimiter = createRedisRateLimiter({ client: redis, keyPrefix });
    const bus = createRedisEventBus({ client: redis, keyPrefix });
    // The embedded store is the server's own (it opens it with its settings): the server wraps it with the bus.
    if (out.logs) out.logs = withEventBus(out.logs, bus);
    else services.eventBus = bus;
    checks['redis'] = async () => {
      const started = Date.now();
      try {
        await redis.ping();
        return { status: 'up', detail: `ping ${Date.now() - started} ms`, latencyMs: Date.now() - started };
      } catch (error) {
        return down(error);
      }
    };
    closers.push(() => redis.quit().catch(() => redis.disconnect()));
    services.velocity = velocity;
    services.fraudState = fraudState;
    services.rateLimiter = rateLimiter;
  }

  if (mongodb && e.MONGODB_URL) {
    const { createMongoMetaStore, databaseOfUrl } = await import('./mongodb/meta-store.js');
    const client = new mongodb.MongoClient(e.MONGODB_URL, { serverSelectionTimeoutMS: 10_000 });
    // The database the URL names, else 'shoplog' (the client alone would say `test`).
    const database = databaseOfUrl(e.MONGODB_URL);
    const meta = createMongoMetaStore({ client, ...(database ? { database } : {}) });
    out.meta = meta;
    waits.push(meta.ready);
    checks['mongodb'] = async () => {
      const started = Date.now();
      try {
        await client.db().command({ ping: 1 });
        return { status: 'up', detail: `ping ${Date.now() - started} ms`, latencyMs: Date.now() - started };
      } catch (error) {
        return down(error);
      }
    };
    closers.push(() => client.close());
  }

  const ready = Promise.all(waits).then(() => undefined);
  ready.catch(() => {});
  return {
    stores: out,
    ...services,
    ready,
    async health() {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => [name, await check()] as const),
      );
      return Object.fromEntries(entries);
    },
    async close() {
      // The server closes the stores first; the shared clients go last.
      for (const close of closers) await close().catch(() => {});
    },
  };
}
