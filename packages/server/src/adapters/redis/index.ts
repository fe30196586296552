export { createRedisCache } from './cache.js';
export type { RedisCacheOptions } from './cache.js';
export { createRedisVelocityStore, isErasable } from './velocity-store.js';
export type { RedisVelocityStore, RedisVelocityStoreOptions, ErasableVelocityStore, VelocitySubject } from './velocity-store.js';
export { createRedisRateLimiter } from './rate-limiter.js';
export type { SharedRateLimiter, RateLimitDecision, RedisRateLimiterOptions } from './rate-limiter.js';
export { createRedisEventBus, withEventBus } from './event-bus.js';
export type { EventBus, RedisEventBusOptions } from './event-bus.js';
export type { RedisConnectionOptions } from './connection.js';
