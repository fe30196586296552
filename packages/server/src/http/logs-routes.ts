import type { FastifyInstance } from 'fastify';
import { EVENT_KINDS, type EventKind } from '@shoplog/core';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { matchesFilter } from './event-match.js';
import { gunzipBody } from './gunzip.js';
import { createIngestGuard } from './ingest-guard.js';
import { param, parseFilter, type Query } from './query-params.js';

/** The five log types, as the seed listed them. */
export const LOG_TYPES: { id: EventKind; name: string; description: string }[] = [
  { id: 'transaction', name: 'Transactions', description: 'Orders, payments and refunds with amount and currency' },
  { id: 'error', name: 'Application errors', description: 'HTTP errors, exceptions and timeouts' },
  { id: 'user_behavior', name: 'User behaviour', description: 'Page views, searches, carts and checkouts' },
  { id: 'performance', name: 'Performance', description: 'Request, database, cache and external call latencies' },
  { id: 'fraud', name: 'Fraud', description: 'Fraud scores with their reasons and decisions' },
];

/** Ingest (JSON, bulk NDJSON), recent, types, get by id and the live tail. */
export function registerLogRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const ingestGuard = createIngestGuard(ctx);

  app.post('/api/logs/ingest', { preHandler: ingestGuard, preParsing: gunzipBody }, async (request, reply) => {
    const body = request.body;
    const inputs = Array.isArray(body) ? body : [body];
    if (body === undefined || body === null || inputs.length === 0) {
      throw new HttpError(400, 'bad_request', 'send one event or a non-empty array of events');
    }
    const results = await ctx.ingestor.ingest(inputs);
    const stored = results.filter((r) => r.result !== 'error').length;
    if (stored === 0) {
      const issues = results.flatMap((r, i) => (r.issues ?? []).map((issue) => ({ path: inputs.length > 1 ? `[${i}].${issue.path}` : issue.path, message: issue.message })));
      throw new HttpError(400, 'invalid_event', 'no valid event in the request', issues);
    }
    return reply.code(201).send({ message: `${stored} of ${inputs.length} events stored`, records_processed: stored, results });
  });

  // Bulk takes any content type as raw bytes (NDJSON is often sent as text/plain or application/json).
  void app.register(async (bulk) => {
    bulk.removeAllContentTypeParsers();
    bulk.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    bulk.post('/api/logs/_bulk', { preHandler: ingestGuard, preParsing: gunzipBody }, async (request) => {
      const started = performance.now();
      const body = request.body;
      const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
      const lines = text.split('\n');
      const items = await ctx.ingestor.ingestLines(lines);
      let created = 0;
      let duplicates = 0;
      const out = items.map((item) => {
        if (item.result === 'created') created++;
        else if (item.result === 'duplicate') duplicates++;
        return {
          line: item.line,
          id: item.id,
          status: item.result === 'created' ? 201 : item.result === 'duplicate' ? 200 : 400,
          result: item.result,
          ...(item.issues ? { issues: item.issues } : {}),
        };
      });
      const failed = out.length - created - duplicates;
      // The counts come before `items`: a client that finds `errors: false` and counts matching what it sent can stop
      // reading there instead of parsing an item per line (the transport's HTTP sink does).
      return { took: Math.round(performance.now() - started), errors: failed > 0, created, duplicates, failed, items: out };
    });
  });

  const canRead = guard(ctx, 'read');
  const tails = new Set<{ end(): void }>();
  // Hijacked SSE responses would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const res of tails) res.end();
  });

  app.get('/api/logs/types', { preHandler: canRead }, async () => ({ log_types: LOG_TYPES }));

  app.get('/api/logs/recent', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const limit = Math.min(1000, Math.max(1, Math.trunc(Number(param(query, 'limit') ?? 100)) || 100));
    const kinds = (param(query, 'log_type')?.split(',') ?? []).filter((k): k is EventKind => (EVENT_KINDS as readonly string[]).includes(k));
    const logs = await ctx.logs.recent({ limit, ...(kinds.length ? { kinds } : {}) });
    return { logs, count: logs.length };
  });

  app.get('/api/logs/tail', { preHandler: canRead }, async (request, reply) => {
    const { filter } = parseFilter(request.query as Query, Date.now(), 'all');
    // A tail follows new events: the time window only bounds their timestamps when given explicitly.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    tails.add(res);
    const unsubscribe = ctx.logs.subscribe((event) => {
      if (matchesFilter(event, filter)) res.write(`event: log\nid: ${event.event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    request.raw.on('close', () => {
      clearInterval(ping);
      unsubscribe();
      tails.delete(res);
    });
  });

  app.get('/api/logs/:id', { preHandler: canRead }, async (request) => {
    const { id } = request.params as { id: string };
    const event = await ctx.logs.get(id);
    if (!event) throw new HttpError(404, 'not_found', `no event with id ${id}`);
    return event;
  });
}
