import type { FastifyInstance } from 'fastify';
import { BulkReplySchema, EVENT_KINDS, type BulkItem, type BulkReply, type EventKind } from '@shoplog/core';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import type { IngestItem } from '../ingest/ingestor.js';
import { matchesFilter } from './event-match.js';
import { gunzipBody } from './gunzip.js';
import { assertRequestLines, countLines } from '../ingest/limits.js';
import { createIngestGuard } from './ingest-guard.js';
import { param, parseFilter } from './query-params.js';
import { FILTER_QUERY } from './query-schemas.js';
import { IdParams, queryNumber, queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const EVENT_REF = { $ref: '#/components/schemas/ShoplogEvent' };
const RecentQuery = z.looseObject({
  limit: queryNumber('Most events (1 to 1000, clamped)', { fallback: 100, min: 1, max: 1000, clamp: true }),
  log_type: queryText(`Log types, comma-separated`),
});
const TailQuery = z.looseObject({
  ...FILTER_QUERY,
  range: queryText('Only events with a timestamp in this window (default: all)'),
});

/** The five log types, as the seed listed them. */
export const LOG_TYPES: { id: EventKind; name: string; description: string }[] = [
  { id: 'transaction', name: 'Transactions', description: 'Orders, payments and refunds with amount and currency' },
  { id: 'error', name: 'Application errors', description: 'HTTP errors, exceptions and timeouts' },
  { id: 'user_behavior', name: 'User behaviour', description: 'Page views, searches, carts and checkouts' },
  { id: 'performance', name: 'Performance', description: 'Request, database, cache and external call latencies' },
  { id: 'fraud', name: 'Fraud', description: 'Fraud scores with their reasons and decisions' },
];

/** Ingest (JSON, bulk NDJSON), recent, types, get by id and the live tail. */
export function registerLogRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const ingestGuard = createIngestGuard(ctx);

  // Events are validated by core in the ingest path, once: the body is documented here, not validated twice.
  const ingestSchema = {
    summary: 'Ingest one event or an array (envelope or seed shapes)',
    permission: 'ingest',
    documentedBody: {
      contentType: 'application/json',
      schema: { oneOf: [EVENT_REF, { type: 'array', items: EVENT_REF }] },
    },
  } as const;
  app.post(
    '/api/logs/ingest',
    { preValidation: ingestGuard, preParsing: gunzipBody, schema: ingestSchema },
    async (request, reply) => {
      const body = request.body;
      const inputs = Array.isArray(body) ? body : [body];
      if (body === undefined || body === null || inputs.length === 0) {
        throw new HttpError(400, 'bad_request', 'send one event or a non-empty array of events');
      }
      assertRequestLines(ctx.ingestor.limits, inputs.length, 'events');
      const results = await ctx.ingestor.ingest(inputs);
      const stored = results.filter((r) => r.result !== 'error').length;
      if (stored === 0) {
        const issues = results.flatMap((r, i) =>
          (r.issues ?? []).map((issue) => ({
            path: inputs.length > 1 ? `[${i}].${issue.path}` : issue.path,
            message: issue.message,
          })),
        );
        throw new HttpError(400, 'invalid_event', 'no valid event in the request', issues);
      }
      return reply
        .code(201)
        .send({ message: `${stored} of ${inputs.length} events stored`, records_processed: stored, results });
    },
  );

  // Bulk takes any content type as raw bytes (NDJSON is often sent as text/plain or application/json).
  const bulkSchema = {
    summary: 'Bulk ingest NDJSON (gzip accepted): counts, and an item per rejected line; idempotent on event.id',
    permission: 'ingest',
    documentedBody: {
      contentType: 'application/x-ndjson',
      schema: { type: 'string', description: 'One ShoplogEvent (or seed shape) per line' },
    },
    response: { 200: BulkReplySchema.describe('Counts, then the rejected lines') },
  } as const;
  void app.register(async (scope) => {
    const bulk = scope.withTypeProvider<ZodTypeProvider>();
    bulk.removeAllContentTypeParsers();
    bulk.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    bulk.post(
      '/api/logs/_bulk',
      { preValidation: ingestGuard, preParsing: gunzipBody, schema: bulkSchema },
      async (request) => {
        const started = performance.now();
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        assertRequestLines(ctx.ingestor.limits, countLines(body), 'lines');
        const items = await ctx.ingestor.ingestLines(body.toString('utf8').split('\n'));
        return bulkReply(items, started);
      },
    );
  });

  const canRead = guard(ctx, 'read');
  const tails = new Set<{ end(): void }>();
  // Hijacked SSE responses would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const res of tails) res.end();
  });

  app.get(
    '/api/logs/types',
    { preValidation: canRead, schema: { summary: 'The five log types', permission: 'read' } },
    async () => ({ log_types: LOG_TYPES }),
  );

  app.get(
    '/api/logs/recent',
    { preValidation: canRead, schema: { summary: 'Newest events', permission: 'read', querystring: RecentQuery } },
    async (request) => {
      const query = request.query;
      const limit = query.limit;
      const kinds = (param(query, 'log_type')?.split(',') ?? []).filter((k): k is EventKind =>
        (EVENT_KINDS as readonly string[]).includes(k),
      );
      const logs = await ctx.logs.recent({ limit, ...(kinds.length ? { kinds } : {}) });
      return { logs, count: logs.length };
    },
  );

  app.get(
    '/api/logs/tail',
    {
      preValidation: canRead,
      schema: {
        summary: 'Live tail (Server-Sent Events) with the search filters',
        permission: 'read',
        querystring: TailQuery,
      },
    },
    async (request, reply) => {
      const { filter } = parseFilter(request.query, Date.now(), 'all');
      // A tail follows new events: the time window only bounds their timestamps when given explicitly.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      tails.add(res);
      const unsubscribe = ctx.logs.subscribe((event) => {
        if (matchesFilter(event, filter))
          res.write(`event: log\nid: ${event.event.id}\ndata: ${JSON.stringify(event)}\n\n`);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      request.raw.on('close', () => {
        clearInterval(ping);
        unsubscribe();
        tails.delete(res);
      });
    },
  );

  app.get(
    '/api/logs/:id',
    { preValidation: canRead, schema: { summary: 'One event by event.id', permission: 'read', params: IdParams } },
    async (request) => {
      const { id } = request.params;
      const event = await ctx.logs.get(id);
      if (!event) throw new HttpError(404, 'not_found', `no event with id ${id}`);
      return event;
    },
  );
}

/**
 * The `_bulk` reply: the counts (created + duplicates + failed = the non-blank lines), then an item for each rejected
 * line only: a line not listed was stored (or already was). The counts come first: a client that finds
 * `errors: false` and counts matching what it sent can stop reading there (the transport's HTTP sink does).
 */
export function bulkReply(items: readonly (IngestItem & { line: number })[], started: number): BulkReply {
  let created = 0;
  let duplicates = 0;
  const errors: BulkItem[] = [];
  for (const item of items) {
    if (item.result === 'created') created++;
    else if (item.result === 'duplicate') duplicates++;
    else errors.push({ line: item.line, id: item.id, status: 400, result: 'error', issues: item.issues ?? [] });
  }
  return {
    took: Math.round(performance.now() - started),
    errors: errors.length > 0,
    created,
    duplicates,
    failed: errors.length,
    items: errors,
  };
}
