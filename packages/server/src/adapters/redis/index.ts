export { createRedisCache } from './cache.js';
export type { RedisCacheOptions } from './cache.js';
export { createRedisVelocityStore } from './velocity-store.js';
export type { RedisVelocityStore, RedisVelocityStoreOptions } from './velocity-store.js';
export { createRedisRateLimiter } from './rate-limiter.js';
export type { SharedRateLimiter, RateLimitDecision, RedisRateLimiterOptions } from './rate-limiter.js';
export { createRedisEventBus } from './event-bus.js';
export type { RedisEventBusOptions } from './event-bus.js';
export type { RedisConnectionOptions } from './connection.js';
