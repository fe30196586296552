import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AutocompleteField, TermsField } from '../ports.js';
import { guard, ownerId, principalOf } from './auth.js';
import { cached, queryKey } from './cached.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { numberParam, param, parseFilter, parsePaging, type Query } from './query-params.js';

const FACET_FIELDS: TermsField[] = ['kind', 'level', 'service', 'route', 'http_status', 'transaction_status', 'user_id', 'payment_method'];
const FACET_NAMES: Partial<Record<TermsField, string>> = { kind: 'log_type', http_status: 'status', transaction_status: 'transaction_status' };
const AUTOCOMPLETE_FIELDS: AutocompleteField[] = ['message', 'route', 'product', 'user'];

/** Most buckets a histogram answers, and its longest interval (a year). */
const MAX_BUCKETS = 10_000;
const MAX_INTERVAL = 366 * 86_400_000;

const flatParams = (query: Query): Record<string, string> =>
  Object.fromEntries(Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? (v[0] ?? '') : v]])));

/** Search, autocomplete, field tops, histogram, search history and saved searches. */
export function registerSearchRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const canRead = guard(ctx, 'read');
  const canSave = guard(ctx, 'analyst');

  const search = async (query: Query) => {
    const now = Date.now();
    const { filter, echo } = parseFilter(query, now);
    const paging = parsePaging(query);
    const cursor = param(query, 'cursor');
    const minute = Math.floor(now / 60_000);
    const data = await cached(ctx, `search:${minute}:${queryKey(query)}`, async () => {
      const page = await ctx.logs.search({ filter, sort: paging.sort, page: paging.page, size: paging.size, ...(cursor ? { cursor } : {}) });
      return {
        total: page.total,
        page: paging.page,
        page_size: paging.size,
        total_pages: Math.ceil(page.total / paging.size),
        results: page.hits.map((hit) => ({ id: hit.id, score: hit.score, source: hit.event, highlight: hit.highlight ?? {} })),
        next_cursor: page.nextCursor,
        query: filter.text ?? '',
        filters: echo,
        sort: paging.sort,
      };
    });
    return data;
  };

  for (const path of ['/api/search', '/api/search/']) {
    app.get(path, { preHandler: canRead }, async (request) => {
      const query = request.query as Query;
      const data = await search(query);
      const principal = principalOf(request);
      if (!data.cached && !param(query, 'cursor')) {
        // History is bookkeeping: a search still answers when it cannot be written (a full or read-only disk).
        await ctx.meta
          .addSearchHistory({ id: randomUUID(), userId: ownerId(principal), params: flatParams(query), total: data.total, createdAt: Date.now() }, 100)
          .catch((error: unknown) => request.log.warn({ err: error }, 'could not record the search in the history'));
      }
      return { success: true, data };
    });
  }

  app.get('/api/search/autocomplete', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const q = (param(query, 'q', 'query') ?? '').trim().slice(0, 100);
    if (q.length < 2) return { suggestions: [] };
    const fieldParam = param(query, 'field');
    const fields = fieldParam ? AUTOCOMPLETE_FIELDS.filter((f) => f === fieldParam) : AUTOCOMPLETE_FIELDS;
    if (fields.length === 0) throw new HttpError(400, 'bad_request', 'invalid field', [{ path: 'field', message: `must be one of ${AUTOCOMPLETE_FIELDS.join(', ')}` }]);
    const limit = numberParam(query, 'limit', { fallback: 10, min: 1, max: 50, clamp: true });
    const lists = await Promise.all(fields.map((field) => ctx.logs.autocomplete(field, q, limit)));
    return { suggestions: lists.flat().sort((a, b) => (b.count ?? 0) - (a.count ?? 0)).slice(0, limit) };
  });

  app.get('/api/search/fields', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const { filter } = parseFilter(query, Date.now());
    const size = numberParam(query, 'size', { fallback: 10, min: 1, max: 50, clamp: true });
    return cached(ctx, `fields:${Math.floor(Date.now() / 60_000)}:${queryKey(query)}`, async () => {
      const tops = await ctx.logs.fieldTops(filter, FACET_FIELDS, size);
      return { fields: tops.map((t) => ({ field: FACET_NAMES[t.field] ?? t.field, top: t.top })) };
    });
  });

  app.get('/api/search/histogram', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const now = Date.now();
    const { filter } = parseFilter(query, now);
    const from = filter.range?.from ?? now - 86_400_000;
    const to = filter.range?.to ?? now;
    // `auto` (the dashboard's) or none: about 60 buckets; else at least a second, and at most MAX_BUCKETS buckets.
    const interval =
      param(query, 'interval') === 'auto'
        ? autoInterval(to - from)
        : numberParam(query, 'interval', { fallback: autoInterval(to - from), min: Math.max(1000, Math.ceil((to - from) / MAX_BUCKETS)), max: MAX_INTERVAL });
    const buckets = await ctx.logs.histogram(filter, { intervalMs: interval });
    return { interval_ms: interval, buckets: buckets.map((b) => ({ ts: b.ts, count: b.count })) };
  });

  app.get('/api/search/history', { preHandler: canRead }, async (request) => {
    const limit = numberParam(request.query as Query, 'limit', { fallback: 20, min: 1, max: 100, clamp: true });
    const history = await ctx.meta.listSearchHistory(ownerId(principalOf(request)), limit);
    return { history: history.map((h) => ({ id: h.id, params: h.params, total: h.total, created_at: new Date(h.createdAt).toISOString() })) };
  });

  const savedView = (s: { id: string; name: string; params: Record<string, string>; createdAt: number }) => ({
    id: s.id,
    name: s.name,
    params: s.params,
    created_at: new Date(s.createdAt).toISOString(),
  });
  app.get('/api/searches', { preHandler: canRead }, async (request) => ({
    searches: (await ctx.meta.listSavedSearches(ownerId(principalOf(request)))).map(savedView),
  }));
  app.post('/api/searches', { preHandler: canSave }, async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown; params?: unknown };
    const issues = [
      ...(typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200 ? [{ path: 'name', message: 'must be a non-empty string of at most 200 characters' }] : []),
      ...(typeof body.params !== 'object' || body.params === null || Array.isArray(body.params) ? [{ path: 'params', message: 'must be an object of search parameters' }] : []),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid saved search', issues);
    const params = Object.fromEntries(Object.entries(body.params as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const record = { id: randomUUID(), userId: ownerId(principalOf(request)), name: (body.name as string).trim(), params, createdAt: Date.now() };
    await ctx.meta.createSavedSearch(record);
    return reply.code(201).send(savedView(record));
  });
  app.delete('/api/searches/:id', { preHandler: canSave }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await ctx.meta.deleteSavedSearch(ownerId(principalOf(request)), id))) throw new HttpError(404, 'not_found', 'no such saved search');
    return reply.code(204).send();
  });
}

/** About 60 buckets over the span, rounded to a friendly interval. */
export function autoInterval(spanMs: number): number {
  const steps = [60_000, 300_000, 600_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000];
  return steps.find((step) => spanMs / step <= 60) ?? 30 * 86_400_000;
}
