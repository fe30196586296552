import type { SeriesStats, VelocityHit, VelocityStore } from '@shoplog/core';
import { z } from 'zod';
import { parseOptions } from '@shoplog/core';
import { connectionShape, openRedis, runScript } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';
import type { VelocitySubject } from '../../erasure.js';

/**
 * The fraud velocity store on Redis: core's `VelocityStore` with `sync: false` (every method returns a promise),
 * plus `close`. Several scorers (server instances, shop processes) share the same windows.
 */
export interface RedisVelocityStore extends VelocityStore {
  readonly sync: false;
  hit(hits: readonly VelocityHit[], now: number): Promise<number[]>;
  stats(key: string): Promise<SeriesStats | undefined>;
  observe(key: string, value: number, now: number): Promise<void>;
  /**
   * Deletes the velocity counters of the given user ids and e-mails and the amount history of the user ids (an
   * erasure); resolves with the keys deleted.
   */
  erase(subject: VelocitySubject): Promise<number>;
  /** Closes the connection when the store opened it. */
  close(): Promise<void>;
}

// A glob pattern matching the value literally (SCAN MATCH).
const literal = (value: string): string => value.replace(/[*?[\\]/g, (c) => `\\${c}`);

/** Options of `createRedisVelocityStore`. */
export interface RedisVelocityStoreOptions extends RedisConnectionOptions {
  /** Sub-buckets per window, as in core's in-memory store: a hit counts for (1 − 1/slots) to 1 window. @default 10 */
  slots?: number;
  /** A series (a user's amount history) expires this long after its last observation. @default 7776000000 (90 days) */
  seriesTtlMs?: number;
}

const Schema = z.object({
  ...connectionShape,
  slots: z.int().min(2).max(1000).default(10),
  seriesTtlMs: z
    .int()
    .positive()
    .default(90 * 24 * 3_600_000),
});

// Each counter is a hash { bucket epoch → summed weight } holding at most `slots` live buckets; old buckets are
// deleted as they are met and the key expires one window after its last hit. Numbers go back as strings because
// Redis truncates Lua numbers to integers.
const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local slots = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  local weight = tonumber(ARGV[2 + 2 * i])
  local width = math.max(1, window / slots)
  local epoch = math.floor(now / width)
  local fields = redis.call('HGETALL', key)
  local total = 0
  for j = 1, #fields, 2 do
    local e = tonumber(fields[j])
    if e > epoch - slots and e <= epoch then
      total = total + tonumber(fields[j + 1])
    elseif e <= epoch - slots then
      redis.call('HDEL', key, fields[j])
    end
  end
  if weight ~= 0 then
    redis.call('HINCRBYFLOAT', key, string.format('%.0f', epoch), weight)
    redis.call('PEXPIRE', key, math.ceil(window + width))
  end
  out[i] = string.format('%.17g', total)
end
return out
`;

const OBSERVE_SCRIPT = `
local s = redis.call('HMGET', KEYS[1], 'count', 'mean', 'm2')
local count = (tonumber(s[1]) or 0) + 1
local mean = tonumber(s[2]) or 0
local m2 = tonumber(s[3]) or 0
local value = tonumber(ARGV[1])
local delta = value - mean
mean = mean + delta / count
m2 = m2 + delta * (value - mean)
redis.call('HSET', KEYS[1], 'count', count, 'mean', string.format('%.17g', mean), 'm2', string.format('%.17g', m2))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return count
`;

/**
 * Creates the Redis velocity store: several server instances (or shop processes) share the same windows, and
 * the check-then-add of each hit is one atomic script, so two concurrent scorers never both miss a burst.
 */
export function createRedisVelocityStore(options: RedisVelocityStoreOptions = {}): RedisVelocityStore {
  const parsed = parseOptions('createRedisVelocityStore', Schema, options);
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis velocity store');
  const counters = `${keyPrefix}velocity:c:`;
  const series = `${keyPrefix}velocity:s:`;
  let closed = false;
  return {
    sync: false,
    async hit(hits, now) {
      if (hits.length === 0) return [];
      const args: (string | number)[] = [now, parsed.slots];
      for (const hit of hits) args.push(hit.windowMs, hit.weight);
      // One key per (counter, value): `<prefix>velocity:c:<counter>|<value>`.
      const keys = hits.map((hit) => `${counters}${hit.counter}|${hit.value}`);
      const result = (await runScript(redis, HIT_SCRIPT, keys, args)) as string[];
      return result.map(Number);
    },
    async stats(key) {
      const [count, mean, m2] = await redis.hmget(series + key, 'count', 'mean', 'm2');
      if (count === null || count === undefined) return undefined;
      return { count: Number(count), mean: Number(mean), m2: Number(m2) };
    },
    async observe(key, value) {
      await runScript(redis, OBSERVE_SCRIPT, [series + key], [value, parsed.seriesTtlMs]);
    },
    async erase(subject) {
      // Counters are `<counter>|<value>` (the counter names are the scorer's), histories `amount|<currency>|<user id>`.
      const patterns = [
        ...subject.userIds.flatMap((id) => [`${counters}*|${literal(id)}`, `${series}amount|*|${literal(id)}`]),
        ...subject.emails.map((email) => `${counters}*|${literal(email.toLowerCase())}`),
      ];
      let deleted = 0;
      for (const match of patterns) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) deleted += await redis.unlink(...keys);
        } while (cursor !== '0');
      }
      return deleted;
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
