import type { ServerContext } from './context.js';

/**
 * Returns the cached value of `key` (prefix `q:`, dropped on every ingest that stores something) or computes and
 * caches it. `cached` tells whether the answer came from the cache.
 */
export async function cached<T extends object>(
  ctx: ServerContext,
  key: string,
  compute: () => Promise<T>,
): Promise<T & { cached: boolean }> {
  const full = `q:${key}`;
  const hit = await ctx.cache.get<T>(full);
  if (hit !== undefined) return { ...hit, cached: true };
  const value = await compute();
  await ctx.cache.set(full, value, ctx.config.cacheTtlSeconds * 1000);
  return { ...value, cached: false };
}

/** A stable cache key of a query string (sorted keys). */
export function queryKey(query: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(query)
      .sort()
      .map((key) => [key, query[key]]),
  );
}
