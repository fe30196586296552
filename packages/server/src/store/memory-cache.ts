import { LRUCache } from 'lru-cache';
import type { Cache } from '../ports.js';

/** Options of the in-process cache. */
export interface MemoryCacheOptions {
  /** Maximum number of entries. @default 1000 */
  max?: number;
}

/** The in-process LRU cache (the embedded default). Values are stored as given: callers must not mutate them. */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const lru = new LRUCache<string, { value: unknown }>({ max: options.max ?? 1000, ttlAutopurge: false });
  return {
    get: async <T>(key: string) => lru.get(key)?.value as T | undefined,
    async set(key, value, ttlMs) {
      lru.set(key, { value }, { ttl: Math.max(1, ttlMs) });
    },
    async delete(key) {
      lru.delete(key);
    },
    async invalidatePrefix(prefix) {
      for (const key of [...lru.keys()]) if (key.startsWith(prefix)) lru.delete(key);
    },
    async close() {
      lru.clear();
    },
  };
}
