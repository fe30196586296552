import { z } from 'zod';
import { parseOptions } from '@shoplog/core';
import { connectionShape, openRedis, runScript } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';
import type { RateLimitDecision, SharedRateLimiter } from '../../auth/rate-limit.js';

export type { RateLimitDecision, SharedRateLimiter };

/** Options of `createRedisRateLimiter`. */
export interface RedisRateLimiterOptions extends RedisConnectionOptions {
  /** Requests allowed per window and key. @default 1000 */
  limit?: number;
  /** Window length in milliseconds. @default 60000 */
  windowMs?: number;
  /** Sub-buckets of the sliding window. @default 10 */
  slots?: number;
}

const Schema = z.object({
  ...connectionShape,
  limit: z.int().positive().default(1000),
  windowMs: z.int().min(10).default(60_000),
  slots: z.int().min(2).max(1000).default(10),
});

// Sliding window of `slots` sub-buckets in one hash, clocked by the Redis server (TIME) so that instances with
// skewed clocks share one window. Returns { allowed, remaining, retryAfterMs }.
const CONSUME_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local slots = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local width = math.max(1, math.floor(window / slots))
local epoch = math.floor(now / width)
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
local oldest = epoch
for j = 1, #fields, 2 do
  local e = tonumber(fields[j])
  if e > epoch - slots then
    total = total + tonumber(fields[j + 1])
    if e < oldest then oldest = e end
  else
    redis.call('HDEL', KEYS[1], fields[j])
  end
end
if total + cost > limit then
  local retry = (oldest + slots) * width - now
  if retry < 1 then retry = 1 end
  return {0, limit - total, retry}
end
redis.call('HINCRBY', KEYS[1], string.format('%.0f', epoch), cost)
redis.call('PEXPIRE', KEYS[1], window + width)
return {1, limit - total - cost, 0}
`;

/**
 * Creates a sliding-window rate limiter on Redis (for `429` + `Retry-After` on ingest and search): atomic per
 * key, shared by all instances. When Redis is down, `consume` rejects; the caller decides whether to fail open.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions = {}): SharedRateLimiter {
  const parsed = parseOptions('createRedisRateLimiter', Schema, options);
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis rate limiter');
  const ns = `${keyPrefix}ratelimit:`;
  let closed = false;
  return {
    async consume(key, cost = 1) {
      const [allowed, remaining, retryAfterMs] = (await runScript(
        redis,
        CONSUME_SCRIPT,
        [ns + key],
        [parsed.limit, parsed.windowMs, parsed.slots, cost],
      )) as [number, number, number];
      return { allowed: allowed === 1, remaining: Math.max(0, remaining), retryAfterMs };
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
