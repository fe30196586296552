/** A token-bucket limiter per key: `rate` tokens per `periodMs`, bursts up to `rate`. */
export interface RateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number;
}

/** Creates an in-process token-bucket limiter (buckets idle for a period are dropped). */
export function createRateLimiter(rate: number, periodMs: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = rate / periodMs;
  return {
    take(key) {
      const now = Date.now();
      if (buckets.size > 10_000) {
        for (const [k, b] of buckets) if (now - b.at > periodMs) buckets.delete(k);
      }
      const bucket = buckets.get(key) ?? { tokens: rate, at: now };
      bucket.tokens = Math.min(rate, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    },
  };
}
