import type { FastifyInstance } from 'fastify';
import { EVENT_KINDS, type EventKind } from '@shoplog/core';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import type { IngestItem } from '../ingest/ingestor.js';
import { matchesFilter } from './event-match.js';
import { gunzipBody } from './gunzip.js';
import { assertRequestLines, countLines } from '../ingest/limits.js';
import { createIngestGuard } from './ingest-guard.js';
import { numberParam, param, parseFilter, type Query } from './query-params.js';

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
    assertRequestLines(ctx.ingestor.limits, inputs.length, 'events');
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
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      assertRequestLines(ctx.ingestor.limits, countLines(body), 'lines');
      const items = await ctx.ingestor.ingestLines(body.toString('utf8').split('\n'));
      return bulkReply(items, started);
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
    const limit = numberParam(query, 'limit', { fallback: 100, min: 1, max: 1000, clamp: true });
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

/** An error item of the bulk reply: the line (1-based, blank lines counted), its id when it had one, and why. */
interface BulkError {
  line: number;
  id: string | null;
  status: 400;
  result: 'error';
  issues: IngestItem['issues'];
}

/**
 * The `_bulk` reply: the counts (created + duplicates + failed = the non-blank lines), then an item for each rejected
 * line only: a line not listed was stored (or already was). The counts come first: a client that finds
 * `errors: false` and counts matching what it sent can stop reading there (the transport's HTTP sink does).
 */
export function bulkReply(items: readonly (IngestItem & { line: number })[], started: number) {
  let created = 0;
  let duplicates = 0;
  const errors: BulkError[] = [];
  for (const item of items) {
    if (item.result === 'created') created++;
    else if (item.result === 'duplicate') duplicates++;
    else errors.push({ line: item.line, id: item.id, status: 400, result: 'error', issues: item.issues ?? [] });
  }
  return { took: Math.round(performance.now() - started), errors: errors.length > 0, created, duplicates, failed: errors.length, items: errors };
}
