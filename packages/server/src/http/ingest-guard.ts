import type { FastifyRequest } from 'fastify';
import { createRateLimiter } from '../auth/rate-limit.js';
import { guard, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';

/**
 * The preValidation hook of every ingest route (Shoplog's own, Elasticsearch bulk, OTLP): the `ingest` permission, then one
 * token of the key's ingest budget (`ctx.rateLimiters.ingest`, shared by all these routes), else 429 + Retry-After.
 * `shipperAuth` also takes the key from the `ApiKey` / `Basic` schemes that Elasticsearch shippers send.
 */
export function createIngestGuard(ctx: ServerContext, shipperAuth = false): (request: FastifyRequest) => Promise<void> {
  const limiter = ctx.rateLimiters.ingest ?? createRateLimiter(ctx.config.ingestRateLimit, 1000);
  const canIngest = guard(ctx, 'ingest', shipperAuth);
  return async function ingestGuard(request) {
    await canIngest(request);
    const wait = await limiter.take(principalOf(request).id);
    if (wait > 0)
      throw new HttpError(429, 'rate_limited', 'ingest rate limit reached', undefined, { 'retry-after': String(wait) });
  };
}
