// Scale-out: what moving fraud state (velocity; the model's profiles, links and shop-wide records) and the cache to
// Redis costs, against the in-process defaults, measured in one run on this machine. No peer library offers a shared fraud velocity store, so the reference is
// the same work on core's in-memory store (and the embedded LRU cache).
// Usage: REDIS_URL=redis://127.0.0.1:6390 pnpm bench scaleout [transactions=20000] [concurrency=64]
import { randomUUID } from 'node:crypto';
import {
  createFraudScorer,
  createMemoryFraudStateStore,
  createMemoryVelocityStore,
  createTrafficGenerator,
} from '@shoplog/core';
import { createMemoryCache } from '@shoplog/server';
import { createRedisCache, createRedisFraudStateStore, createRedisVelocityStore } from '@shoplog/server/redis';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL;
if (!url) {
  console.log('scaleout bench skipped: set REDIS_URL');
  process.exit(0);
}
const N = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = Number(process.argv[3] ?? 64);
const prefix = `shoplog-bench:${randomUUID()}:`;
const inputs = createTrafficGenerator({ seed: 7 })
  .take(N)
  .map((t) => t.input);

async function drive(label, n, task) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await task(next++);
    }),
  );
  const ms = performance.now() - t0;
  const rate = (n / ms) * 1000;
  console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en').padStart(10)} /s`);
  return rate;
}

// 1. Fraud scoring by the rules alone (every default rule, noisy-OR: the server's scorer) with the velocity state
// in memory vs in Redis (one Lua script per score).
const memoryScorer = createFraudScorer({ store: createMemoryVelocityStore(), combine: 'noisy-or' });
const redisStore = createRedisVelocityStore({ url, keyPrefix: prefix });
const redisScorer = createFraudScorer({ store: redisStore, combine: 'noisy-or' });
await drive('warm-up', 2_000, (i) => redisScorer.score(inputs[i]));
const memRate = await drive('fraud score, in-memory velocity (async API)', N, (i) => memoryScorer.score(inputs[i]));
const redisRate = await drive(`fraud score, Redis velocity (${CONCURRENCY} in flight)`, N, (i) =>
  redisScorer.score(inputs[i]),
);
console.log(`ratio Redis / in-memory: ${(redisRate / memRate).toFixed(3)}`);

// 2. The server's scorer (core's default: rules + profiles + learned model) with every store in memory (scoreSync, as
// ingest runs it then) vs every store in Redis (profiles: one MGET and one pipeline per turn for all scorings in
// flight; velocity: one script per scoring), as `shoplog serve` with REDIS_URL. Commands and MGETs per decision
// from Redis's own counters; latency of one decision at a time.
const stats = new Redis(url);
const counters = async () => {
  const info = await stats.info('commandstats');
  const calls = (name) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    all: [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0),
    mget: calls('mget'),
    evalsha: calls('evalsha'),
  };
};
const modelMemory = createFraudScorer({
  store: createMemoryVelocityStore(),
  profileStore: createMemoryFraudStateStore(),
});
const profiles = createRedisFraudStateStore({ url, keyPrefix: prefix });
const modelVelocity = createRedisVelocityStore({ url, keyPrefix: prefix });
const modelRedis = createFraudScorer({ store: modelVelocity, profileStore: profiles });
await drive('warm-up', 2_000, (i) => modelRedis.score(inputs[i]));
const modelMemRate = await drive('model, in-memory stores (scoreSync)', N, (i) => modelMemory.scoreSync(inputs[i]));
const before = await counters();
const modelRedisRate = await drive(`model, Redis profiles + velocity (${CONCURRENCY} in flight)`, N, (i) =>
  modelRedis.score(inputs[i]),
);
const after = await counters();
console.log(`ratio Redis / in-memory: ${(modelRedisRate / modelMemRate).toFixed(3)}`);
console.log(
  `Redis commands per decision ${((after.all - before.all) / N).toFixed(2)} (MGET ${((after.mget - before.mget) / N).toFixed(3)}, EVALSHA ${((after.evalsha - before.evalsha) / N).toFixed(2)}; the INFO calls included)`,
);
const latencies = [];
for (let i = 0; i < 2_000; i++) {
  const t0 = performance.now();
  await modelRedis.score(inputs[i]);
  latencies.push((performance.now() - t0) * 1000);
}
latencies.sort((a, b) => a - b);
console.log(
  `one decision at a time on Redis: p50 ${latencies[1000].toFixed(0)} µs, p99 ${latencies[1980].toFixed(0)} µs`,
);
await Promise.all([profiles.close(), modelVelocity.close(), stats.quit()]);

// 3. Cache: get of a 2 KB analytics answer, LRU vs Redis.
const answer = {
  total_logs: 123_456,
  logs_per_hour: Array.from({ length: 24 }, (_, h) => ({ hour: h, total: 1000 + h, errors: h })),
};
const lru = createMemoryCache();
const redisCache = createRedisCache({ url, keyPrefix: prefix });
await lru.set('overview', answer, 60_000);
await redisCache.set('overview', answer, 60_000);
const lruRate = await drive('cache get, embedded LRU', N, () => lru.get('overview'));
const redisGet = await drive(`cache get, Redis (${CONCURRENCY} in flight)`, N, () => redisCache.get('overview'));
console.log(`ratio Redis / LRU: ${(redisGet / lruRate).toFixed(4)}`);

await redisStore.close();
await redisCache.close();
const cleaner = new Redis(url);
let cursor = '0';
do {
  const [nextCursor, keys] = await cleaner.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = nextCursor;
  if (keys.length) await cleaner.unlink(...keys);
} while (cursor !== '0');
await cleaner.quit();
