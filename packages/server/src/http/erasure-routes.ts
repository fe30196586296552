import type { FastifyInstance } from 'fastify';
import { ErasureError, eraseSubject, parseErasureSubject } from '../erasure.js';
import type { AuditRecord } from '../ports.js';
import { guard, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';

const view = (record: AuditRecord) => ({
  id: record.id,
  action: record.action,
  actor: record.actor,
  at: new Date(record.at).toISOString(),
  subject: record.subject,
  counts: { events: record.counts.events, fraud_state: record.counts.fraudState },
});

/** `POST /api/admin/erase` (GDPR art. 17) and `GET /api/admin/audit` (its records), admin only. */
export function registerErasureRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const admin = guard(ctx, 'admin');

  app.post('/api/admin/erase', { preHandler: admin }, async (request) => {
    const body = (request.body ?? {}) as { user_id?: unknown; email?: unknown };
    let subject;
    try {
      subject = parseErasureSubject({ userId: body.user_id, email: body.email });
    } catch (error) {
      if (error instanceof ErasureError) throw new HttpError(400, 'bad_request', 'invalid erasure request', [{ path: error.field ?? 'user_id', message: error.message }]);
      throw error;
    }
    const principal = principalOf(request);
    const actor = principal.type === 'user' ? `user:${principal.username}` : `key:${principal.name}`;
    try {
      const record = await eraseSubject({ logs: ctx.logs, meta: ctx.meta, cache: ctx.cache, velocity: ctx.velocity ? [ctx.velocity] : [] }, subject, actor);
      ctx.metrics.erased(record.counts.events);
      return view(record);
    } catch (error) {
      if (error instanceof ErasureError) throw new HttpError(501, 'not_supported', error.message);
      throw error;
    }
  });

  app.get('/api/admin/audit', { preHandler: admin }, async (request) => {
    const limit = Math.min(1000, Math.max(1, Math.trunc(Number((request.query as { limit?: string }).limit ?? 100)) || 100));
    return { records: (await ctx.meta.listAuditRecords(limit)).map(view) };
  });
}
