import type { FastifyInstance } from 'fastify';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';

/** `GET /api/dashboard/health`: the state of each store and service the server depends on (never cached). */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const schema = {
    summary: 'State of each dependency (logs, meta, cache, velocity, …): ok, degraded or down',
    permission: 'read',
  } as const;
  app.get('/api/dashboard/health', { preValidation: guard(ctx, 'read'), schema }, async () => ctx.health());
}
