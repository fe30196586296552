import { StoreUnavailableError } from '../ports.js';

/** The answer of a rate limiter for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** When refused: milliseconds until a request of this cost would be allowed (for `Retry-After`). */
  retryAfterMs: number;
}

/** A rate limiter shared by every server instance. */
export interface SharedRateLimiter {
  /** Takes `cost` (default 1) from `key`'s budget when it fits; refuses without taking anything otherwise. */
  consume(key: string, cost?: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

/** A limiter per key (login attempts per IP, ingest requests per API key). */
export interface RateLimiter {
  /** Takes one token for `key`; returns (or resolves to) 0 when allowed, else the seconds to wait. */
  take(key: string): number | Promise<number>;
}

/** The limiters a server uses; absent ones are in-process token buckets built from the settings. */
export interface ServerRateLimiters {
  /** Login attempts per client IP (`authRateLimit` per minute). */
  auth?: RateLimiter;
  /** Ingest requests per API key (`ingestRateLimit` per second). */
  ingest?: RateLimiter;
}

/** Creates an in-process token-bucket limiter: `rate` tokens per `periodMs`, bursts up to `rate` (idle buckets are dropped). */
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

/**
 * Adapts a limiter shared by every instance (`createRedisRateLimiter`) to the server's `RateLimiter`. When the
 * shared store cannot answer, the request gets a retryable 503 rather than passing unlimited (a login limit that
 * fails open would invite brute force during a Redis outage).
 */
export function fromSharedRateLimiter(shared: SharedRateLimiter): RateLimiter {
  return {
    async take(key) {
      let decision;
      try {
        decision = await shared.consume(key);
      } catch (error) {
        throw new StoreUnavailableError('the rate limiter is unavailable', { cause: error });
      }
      return decision.allowed ? 0 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    },
  };
}
