import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AutocompleteField, TermsField } from '../ports.js';
import { guard, ownerId, principalOf } from './auth.js';
import { cached, queryKey } from './cached.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { numberParam, param, parseFilter, parsePaging, type Query } from './query-params.js';
import { FILTER_QUERY, PAGING_QUERY } from './query-schemas.js';
import { IdParams, jsonBody, queryNumber, queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const FACET_FIELDS: TermsField[] = [
  'kind',
  'level',
  'service',
  'route',
  'http_status',
  'transaction_status',
  'user_id',
  'payment_method',
];
const FACET_NAMES: Partial<Record<TermsField, string>> = {
  kind: 'log_type',
  http_status: 'status',
  transaction_status: 'transaction_status',
};
const AUTOCOMPLETE_FIELDS: AutocompleteField[] = ['message', 'route', 'product', 'user'];

/** Most buckets a histogram answers, and its longest interval (a year). */
const MAX_BUCKETS = 10_000;
const MAX_INTERVAL = 366 * 86_400_000;

const flatParams = (query: Query): Record<string, string> =>
  Object.fromEntries(
    Object.entries(query).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, String(Array.isArray(v) ? (v[0] ?? '') : v)]],
    ),
  );

const SearchQuery = z.looseObject({
  ...FILTER_QUERY,
  ...PAGING_QUERY,
  cursor: queryText('Cursor of the next page (`next_cursor` of the previous one)'),
});
const SavedSearchBody = jsonBody({
  name: z
    .string({ error: 'must be a non-empty string of at most 200 characters' })
    .max(200, 'must be a non-empty string of at most 200 characters')
    .trim()
    .min(1, 'must be a non-empty string of at most 200 characters'),
  params: z
    .record(z.string(), z.unknown(), { error: 'must be an object of search parameters' })
    .describe('Search parameters (as in the query of GET /api/search/)'),
});

/** Search, autocomplete, field tops, histogram, search history and saved searches. */
export function registerSearchRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const canRead = guard(ctx, 'read');
  const canSave = guard(ctx, 'analyst');

  const search = async (query: Query) => {
    const now = Date.now();
    const { filter, echo } = parseFilter(query, now);
    const paging = parsePaging(query);
    const cursor = param(query, 'cursor');
    const minute = Math.floor(now / 60_000);
    const data = await cached(ctx, `search:${minute}:${queryKey(query)}`, async () => {
      const page = await ctx.logs.search({
        filter,
        sort: paging.sort,
        page: paging.page,
        size: paging.size,
        ...(cursor ? { cursor } : {}),
      });
      return {
        total: page.total,
        page: paging.page,
        page_size: paging.size,
        total_pages: Math.ceil(page.total / paging.size),
        results: page.hits.map((hit) => ({
          id: hit.id,
          score: hit.score,
          source: hit.event,
          highlight: hit.highlight ?? {},
        })),
        next_cursor: page.nextCursor,
        query: filter.text ?? '',
        filters: echo,
        sort: paging.sort,
      };
    });
    return data;
  };

  for (const path of ['/api/search', '/api/search/']) {
    // One of the two is documented.
    const summary =
      path === '/api/search/'
        ? {
            summary: 'Full-text search with filters, highlights, exact totals, page or cursor paging',
            permission: 'read' as const,
          }
        : {};
    app.get(path, { preValidation: canRead, schema: { ...summary, querystring: SearchQuery } }, async (request) => {
      const query = request.query;
      const data = await search(query);
      const principal = principalOf(request);
      if (!data.cached && !param(query, 'cursor')) {
        // History is bookkeeping: a search still answers when it cannot be written (a full or read-only disk).
        await ctx.meta
          .addSearchHistory(
            {
              id: randomUUID(),
              userId: ownerId(principal),
              params: flatParams(query),
              total: data.total,
              createdAt: Date.now(),
            },
            100,
          )
          .catch((error: unknown) => request.log.warn({ err: error }, 'could not record the search in the history'));
      }
      return { success: true, data };
    });
  }

  const AutocompleteQuery = z.looseObject({
    q: queryText('The text typed (2 characters at least; `query` too)'),
    field: z
      .enum(AUTOCOMPLETE_FIELDS, { error: `must be one of ${AUTOCOMPLETE_FIELDS.join(', ')}` })
      .optional()
      .describe('Suggest from this field only'),
    limit: queryNumber('Most suggestions (1 to 50, clamped)', { fallback: 10, min: 1, max: 50, clamp: true }),
  });
  app.get(
    '/api/search/autocomplete',
    {
      preValidation: canRead,
      schema: {
        summary: 'Suggestions for messages, routes, products and users',
        permission: 'read',
        querystring: AutocompleteQuery,
      },
    },
    async (request) => {
      const query = request.query;
      const q = (param(query, 'q', 'query') ?? '').trim().slice(0, 100);
      if (q.length < 2) return { suggestions: [] };
      const fields = query.field ? [query.field] : AUTOCOMPLETE_FIELDS;
      const limit = query.limit;
      const lists = await Promise.all(fields.map((field) => ctx.logs.autocomplete(field, q, limit)));
      return {
        suggestions: lists
          .flat()
          .sort((a, b) => (b.count ?? 0) - (a.count ?? 0))
          .slice(0, limit),
      };
    },
  );

  const FieldsQuery = z.looseObject({
    ...FILTER_QUERY,
    size: queryNumber('Top values per field (1 to 50, clamped)', { fallback: 10, min: 1, max: 50, clamp: true }),
  });
  app.get(
    '/api/search/fields',
    {
      preValidation: canRead,
      schema: { summary: 'Top values of the sidebar fields', permission: 'read', querystring: FieldsQuery },
    },
    async (request) => {
      const query = request.query;
      const { filter } = parseFilter(query, Date.now());
      const size = query.size;
      return cached(ctx, `fields:${Math.floor(Date.now() / 60_000)}:${queryKey(query)}`, async () => {
        const tops = await ctx.logs.fieldTops(filter, FACET_FIELDS, size);
        return { fields: tops.map((t) => ({ field: FACET_NAMES[t.field] ?? t.field, top: t.top })) };
      });
    },
  );

  const HistogramQuery = z.looseObject({
    ...FILTER_QUERY,
    interval: queryText(
      'Bucket width in ms (an integer, 1 s at least, at most 10000 buckets), or `auto` (about 60 buckets)',
    ),
  });
  app.get(
    '/api/search/histogram',
    {
      preValidation: canRead,
      schema: { summary: 'Events per time bucket', permission: 'read', querystring: HistogramQuery },
    },
    async (request) => {
      const query = request.query;
      const now = Date.now();
      const { filter } = parseFilter(query, now);
      const from = filter.range?.from ?? now - 86_400_000;
      const to = filter.range?.to ?? now;
      // `auto` (the dashboard's) or none: about 60 buckets; else at least a second, and at most MAX_BUCKETS buckets.
      const interval =
        param(query, 'interval') === 'auto'
          ? autoInterval(to - from)
          : numberParam(query, 'interval', {
              fallback: autoInterval(to - from),
              min: Math.max(1000, Math.ceil((to - from) / MAX_BUCKETS)),
              max: MAX_INTERVAL,
            });
      const buckets = await ctx.logs.histogram(filter, { intervalMs: interval });
      return { interval_ms: interval, buckets: buckets.map((b) => ({ ts: b.ts, count: b.count })) };
    },
  );

  const HistoryQuery = z.looseObject({
    limit: queryNumber('Most entries (1 to 100, clamped)', { fallback: 20, min: 1, max: 100, clamp: true }),
  });
  app.get(
    '/api/search/history',
    {
      preValidation: canRead,
      schema: { summary: "The caller's search history", permission: 'read', querystring: HistoryQuery },
    },
    async (request) => {
      const limit = request.query.limit;
      const history = await ctx.meta.listSearchHistory(ownerId(principalOf(request)), limit);
      return {
        history: history.map((h) => ({
          id: h.id,
          params: h.params,
          total: h.total,
          created_at: new Date(h.createdAt).toISOString(),
        })),
      };
    },
  );

  const savedView = (s: { id: string; name: string; params: Record<string, string>; createdAt: number }) => ({
    id: s.id,
    name: s.name,
    params: s.params,
    created_at: new Date(s.createdAt).toISOString(),
  });
  app.get(
    '/api/searches',
    { preValidation: canRead, schema: { summary: 'Saved searches', permission: 'read' } },
    async (request) => ({
      searches: (await ctx.meta.listSavedSearches(ownerId(principalOf(request)))).map(savedView),
    }),
  );
  app.post(
    '/api/searches',
    { preValidation: canSave, schema: { summary: 'Save a search', permission: 'analyst', body: SavedSearchBody } },
    async (request, reply) => {
      const body = request.body;
      const params = Object.fromEntries(Object.entries(body.params).map(([k, v]) => [k, String(v)]));
      const record = {
        id: randomUUID(),
        userId: ownerId(principalOf(request)),
        name: body.name,
        params,
        createdAt: Date.now(),
      };
      await ctx.meta.createSavedSearch(record);
      return reply.code(201).send(savedView(record));
    },
  );
  app.delete(
    '/api/searches/:id',
    { preValidation: canSave, schema: { summary: 'Delete a saved search', permission: 'analyst', params: IdParams } },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await ctx.meta.deleteSavedSearch(ownerId(principalOf(request)), id)))
        throw new HttpError(404, 'not_found', 'no such saved search');
      return reply.code(204).send();
    },
  );
}

/** About 60 buckets over the span, rounded to a friendly interval. */
export function autoInterval(spanMs: number): number {
  const steps = [
    60_000,
    300_000,
    600_000,
    1_800_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
  ];
  return steps.find((step) => spanMs / step <= 60) ?? 30 * 86_400_000;
}
