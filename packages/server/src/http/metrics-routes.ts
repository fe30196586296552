import type { FastifyInstance } from 'fastify';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';

/** `GET /metrics`: the Prometheus text exposition, for an API key with the `metrics` (or `admin`) scope. */
export function registerMetricsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/metrics',
    {
      preValidation: guard(ctx, 'metrics'),
      schema: { summary: 'Prometheus metrics (text exposition)', permission: 'metrics' },
    },
    async (_request, reply) => {
      const body = await ctx.metrics.registry.metrics();
      return reply
        .header('content-type', ctx.metrics.registry.contentType)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
