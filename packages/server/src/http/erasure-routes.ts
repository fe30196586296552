import type { FastifyInstance } from 'fastify';
import { ErasureError, eraseSubject, parseErasureSubject } from '../erasure.js';
import type { AuditRecord } from '../ports.js';
import { guard, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody, queryNumber, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

// `parseErasureSubject` checks the values (exactly one of them, an e-mail address…): the schema types and documents them.
const EraseBody = jsonBody({
  user_id: z.string().optional().describe('user.id of the person'),
  email: z.string().optional().describe('E-mail address of the person'),
});
const AuditQuery = z.looseObject({
  limit: queryNumber('Most records (1 to 1000, clamped)', { fallback: 100, min: 1, max: 1000, clamp: true }),
});

const view = (record: AuditRecord) => ({
  id: record.id,
  action: record.action,
  actor: record.actor,
  at: new Date(record.at).toISOString(),
  subject: record.subject,
  counts: { events: record.counts.events, fraud_state: record.counts.fraudState },
});

/** `POST /api/admin/erase` (GDPR art. 17) and `GET /api/admin/audit` (its records), admin only. */
export function registerErasureRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const admin = guard(ctx, 'admin');

  const erase = {
    summary: 'Erase every event of a person ({ user_id } or { email }), GDPR art. 17; returns the audit record',
    permission: 'admin',
    body: EraseBody,
  } as const;
  app.post('/api/admin/erase', { preValidation: admin, schema: erase }, async (request) => {
    const body = request.body;
    let subject;
    try {
      subject = parseErasureSubject({ userId: body.user_id, email: body.email });
    } catch (error) {
      if (error instanceof ErasureError)
        throw new HttpError(400, 'bad_request', 'invalid erasure request', [
          { path: error.field ?? 'user_id', message: error.message },
        ]);
      throw error;
    }
    const principal = principalOf(request);
    const actor = principal.type === 'user' ? `user:${principal.username}` : `key:${principal.name}`;
    try {
      const record = await eraseSubject(
        {
          logs: ctx.logs,
          meta: ctx.meta,
          cache: ctx.cache,
          velocity: ctx.velocity ? [ctx.velocity] : [],
          fraudState: ctx.fraudState ? [ctx.fraudState] : [],
        },
        subject,
        actor,
      );
      ctx.metrics.erased(record.counts.events);
      return view(record);
    } catch (error) {
      if (error instanceof ErasureError) throw new HttpError(501, 'not_supported', error.message);
      throw error;
    }
  });

  const audit = {
    summary: 'Audit records of erasures (who, when, how many; a keyed hash, never the identifier)',
    permission: 'admin',
    querystring: AuditQuery,
  } as const;
  app.get('/api/admin/audit', { preValidation: admin, schema: audit }, async (request) => {
    const limit = request.query.limit;
    return { records: (await ctx.meta.listAuditRecords(limit)).map(view) };
  });
}
