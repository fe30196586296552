import type { FastifyInstance } from 'fastify';
import { EVENT_KINDS, eventJsonSchema } from '@shoplog/core';

type Op = [method: string, path: string, summary: string, permission: string];

// The endpoints that read the shared filters of `parseFilter` (query-params.ts).
const FILTERED = new Set(['/api/search/', '/api/search/fields', '/api/search/histogram', '/api/logs/tail']);
const list = (description: string) => ({ in: 'query', schema: { type: 'string' }, description: `${description}, comma-separated` });
const FILTER_PARAMETERS = [
  { name: 'q', in: 'query', schema: { type: 'string' }, description: 'Free text (whole words, all required; `word*` for a prefix)' },
  { name: 'range', in: 'query', schema: { type: 'string' }, description: '1h, 24h, 7d, 30d, all, or any Nm/Nh/Nd' },
  { name: 'from', in: 'query', schema: { type: 'string' }, description: 'Start (ISO 8601 or YYYY-MM-DD[ HH:MM:SS]); with `to`, replaces `range`' },
  { name: 'to', in: 'query', schema: { type: 'string' }, description: 'End (exclusive; a bare date means the whole day)' },
  { name: 'log_type', ...list(`Log types (${EVENT_KINDS.join(', ')})`) },
  { name: 'level', ...list('Levels, case-insensitive (seed names accepted)') },
  { name: 'service', ...list('service.name values') },
  { name: 'user_id', ...list('user.id values') },
  { name: 'route', ...list('http.route values') },
  { name: 'status', ...list('HTTP statuses when numeric, else transaction statuses') },
  { name: 'payment_method', ...list('shop.payment.method values, case as stored (e.g. card,paypal)') },
  { name: 'min_amount', in: 'query', schema: { type: 'number' }, description: 'Lower bound (inclusive) on the amount in major units' },
  { name: 'max_amount', in: 'query', schema: { type: 'number' }, description: 'Upper bound (inclusive) on the amount in major units' },
];

const OPERATIONS: Op[] = [
  ['get', '/health', 'Health check', 'public'],
  ['post', '/api/auth/login', 'Log in (sets the session cookie, returns the CSRF token)', 'public'],
  ['post', '/api/auth/logout', 'Log out', 'session'],
  ['get', '/api/auth/me', 'The current user and CSRF token', 'session'],
  ['post', '/api/logs/ingest', 'Ingest one event or an array (envelope or seed shapes)', 'ingest'],
  ['post', '/api/logs/_bulk', 'Bulk ingest NDJSON (gzip accepted): counts, and an item per rejected line; idempotent on event.id', 'ingest'],
  ['post', '/api/logs/upload', 'Upload a JSON array, NDJSON or CSV file (gzip accepted) → job', 'ingest or analyst'],
  ['post', '/_bulk', 'Elasticsearch bulk API (index/create; ApiKey or Basic auth too), Elasticsearch-shaped reply; see the README', 'ingest'],
  ['post', '/{index}/_bulk', 'Elasticsearch bulk API with a default index', 'ingest'],
  ['get', '/', 'Elasticsearch version banner (x-elastic-product) for Elasticsearch clients (see the README); the dashboard otherwise', 'ingest'],
  ['post', '/v1/logs', 'OTLP/HTTP logs (protobuf or JSON, gzip accepted), partial success per the OTLP spec', 'ingest'],
  ['get', '/api/logs/uploads/recent', 'Recent upload jobs', 'read'],
  ['get', '/api/logs/uploads/{id}', 'Upload job status', 'read'],
  ['get', '/api/logs/recent', 'Newest events', 'read'],
  ['get', '/api/logs/types', 'The five log types', 'read'],
  ['get', '/api/logs/tail', 'Live tail (Server-Sent Events) with the search filters', 'read'],
  ['get', '/api/logs/{id}', 'One event by event.id', 'read'],
  ['get', '/api/search/', 'Full-text search with filters, highlights, exact totals, page or cursor paging', 'read'],
  ['get', '/api/search/autocomplete', 'Suggestions for messages, routes, products and users', 'read'],
  ['get', '/api/search/fields', 'Top values of the sidebar fields', 'read'],
  ['get', '/api/search/histogram', 'Events per time bucket', 'read'],
  ['get', '/api/search/history', "The caller's search history", 'read'],
  ['get', '/api/searches', 'Saved searches', 'read'],
  ['post', '/api/searches', 'Save a search', 'analyst'],
  ['delete', '/api/searches/{id}', 'Delete a saved search', 'analyst'],
  ['get', '/api/dashboard/overview', 'KPIs and overview (range=1h|24h|7d|30d)', 'read'],
  ['get', '/api/dashboard/kpis', 'Alias of the overview', 'read'],
  ['get', '/api/dashboard/health', 'State of each dependency (logs, meta, cache, velocity, …): ok, degraded or down', 'read'],
  ['get', '/api/analytics/transactions', 'Transactions timeline, payment methods, statuses', 'read'],
  ['get', '/api/analytics/errors', 'Errors by code, type and time', 'read'],
  ['get', '/api/analytics/user-behavior', 'Actions, funnel and cart abandonment', 'read'],
  ['get', '/api/performance/metrics', 'Latency percentiles by route and DB operation, slow requests', 'read'],
  ['get', '/api/fraud/alerts', 'Fraud alerts (review or block) with reasons', 'read'],
  ['get', '/api/fraud/stats', 'Fraud statistics', 'read'],
  ['post', '/api/fraud/detect', 'Score a transaction (recorded into the velocity windows, as on ingest)', 'ingest'],
  ['get', '/api/alerts/rules', 'Alert rules', 'read'],
  ['post', '/api/alerts/rules', 'Create an alert rule (with the channels it notifies)', 'analyst'],
  ['delete', '/api/alerts/rules/{id}', 'Delete an alert rule', 'analyst'],
  ['get', '/api/alerts', 'Alert rules with their state and last firing', 'read'],
  ['post', '/api/alerts/evaluate', 'Evaluate the alert rules now, notifying their state changes', 'analyst'],
  ['get', '/api/alerts/channels', 'Notification channels (name, type, fraud) with their delivery counters', 'read'],
  ['get', '/api/alerts/history', 'Notifications sent, failed or dropped, newest first (rule, channel, limit)', 'read'],
  ['post', '/api/keys', 'Create an API key (shown once)', 'admin'],
  ['get', '/api/keys', 'List API keys', 'admin'],
  ['delete', '/api/keys/{id}', 'Revoke an API key', 'admin'],
  ['post', '/api/users', 'Create a user', 'admin'],
  ['get', '/api/users', 'List users', 'admin'],
  ['post', '/api/admin/erase', 'Erase every event of a person ({ user_id } or { email }), GDPR art. 17; returns the audit record', 'admin'],
  ['get', '/api/admin/audit', 'Audit records of erasures (who, when, how many; a keyed hash, never the identifier)', 'admin'],
  ['get', '/metrics', 'Prometheus metrics (text exposition)', 'metrics'],
];

const INGEST_BODY = new Set(['/api/logs/ingest']);

// `POST /api/logs/_bulk`'s reply: counts first (created + duplicates + failed = non-blank lines), then one item per
// rejected line (a line not listed was stored, or already was).
const BULK_REPLY = {
  type: 'object',
  required: ['took', 'errors', 'created', 'duplicates', 'failed', 'items'],
  properties: {
    took: { type: 'integer', description: 'Milliseconds spent' },
    errors: { type: 'boolean', description: 'Some line was rejected (`failed` > 0)' },
    created: { type: 'integer', description: 'Lines stored now' },
    duplicates: { type: 'integer', description: 'Lines whose event.id was already stored (not an error)' },
    failed: { type: 'integer', description: 'Lines rejected (status 400, see their issues)' },
    items: {
      type: 'array',
      description: 'The rejected lines only, in line order',
      items: {
        type: 'object',
        required: ['line', 'status', 'result', 'issues'],
        properties: {
          line: { type: 'integer', description: '1-based line of the body (blank lines counted)' },
          id: { type: ['string', 'null'] },
          status: { type: 'integer', enum: [400] },
          result: { type: 'string', enum: ['error'] },
          issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
} as const;

/** The OpenAPI 3.1 document, with the event schemas generated from the core zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = { ShoplogEvent: eventJsonSchema() };
  for (const kind of EVENT_KINDS) schemas[`${kind}_event`] = eventJsonSchema(kind);
  schemas.Error = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, path, summary, permission] of OPERATIONS) {
    const op: Record<string, unknown> = {
      summary,
      description: `Permission: ${permission}.`,
      ...(permission === 'public' ? { security: [] } : {}),
      responses: {
        '200': { description: 'OK' },
        ...(permission === 'public' ? {} : { '401': { description: 'No credentials', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }),
        ...(permission === 'public' ? {} : { '403': { description: 'Not allowed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }),
      },
    };
    if (path.includes('{id}')) op.parameters = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
    if (path.includes('{index}')) op.parameters = [{ name: 'index', in: 'path', required: true, schema: { type: 'string' } }];
    if (FILTERED.has(path)) op.parameters = FILTER_PARAMETERS;
    if (INGEST_BODY.has(path)) {
      op.requestBody = {
        content: {
          'application/json': {
            schema: { oneOf: [{ $ref: '#/components/schemas/ShoplogEvent' }, { type: 'array', items: { $ref: '#/components/schemas/ShoplogEvent' } }] },
          },
        },
      };
    }
    if (path === '/api/logs/_bulk') {
      op.requestBody = { content: { 'application/x-ndjson': { schema: { type: 'string', description: 'One ShoplogEvent (or seed shape) per line' } } } };
      op.responses = {
        ...(op.responses as Record<string, unknown>),
        '200': { description: 'Counts, then the rejected lines', content: { 'application/json': { schema: BULK_REPLY } } },
        '413': { description: 'Body over bodyLimit, or more lines than maxRequestLines', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      };
    }
    (paths[path] ??= {})[method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Shoplog reference server', version },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (slk_…)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        session: { type: 'apiKey', in: 'cookie', name: 'shoplog_session' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }, { session: [] }],
    paths,
  };
}

// The docs page is plain HTML with one link: no script, style, image or frame may load, it may not be framed
// (clickjacking) and it submits nothing.
const DOCS_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `GET /api/docs` (a small HTML page) and `GET /api/docs/openapi.json`. */
export function registerDocsRoutes(app: FastifyInstance, version: string): void {
  const doc = openApiDocument(version);
  app.get('/api/docs/openapi.json', async () => doc);
  app.get('/api/docs', async (_request, reply) => {
    const rows = OPERATIONS.map(([m, p, s, perm]) => `<tr><td>${m.toUpperCase()}</td><td><code>${p}</code></td><td>${s}</td><td>${perm}</td></tr>`).join('');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(`<!doctype html><meta charset="utf-8"><title>Shoplog API</title><h1>Shoplog API ${version}</h1><p>OpenAPI 3.1: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a></p><table>${rows}</table>`);
  });
}
