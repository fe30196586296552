import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

// The OpenAPI document is generated from the schemas the routes declare (http/openapi.ts), not written by hand.
interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: Record<string, unknown>;
}
interface Operation {
  summary: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

// Every operation the hand-written document listed.
const OPERATIONS =
  `get /health|post /api/auth/login|post /api/auth/logout|get /api/auth/me|post /api/logs/ingest|post /api/logs/_bulk
post /api/logs/upload|post /_bulk|post /{index}/_bulk|get /|post /v1/logs|get /api/logs/uploads/recent|get /api/logs/uploads/{id}
get /api/logs/recent|get /api/logs/types|get /api/logs/tail|get /api/logs/{id}|get /api/search/|get /api/search/autocomplete
get /api/search/fields|get /api/search/histogram|get /api/search/history|get /api/searches|post /api/searches|delete /api/searches/{id}
get /api/dashboard/overview|get /api/dashboard/kpis|get /api/dashboard/health|get /api/analytics/transactions|get /api/analytics/errors
get /api/analytics/user-behavior|get /api/performance/metrics|get /api/fraud/alerts|get /api/fraud/stats|post /api/fraud/detect
get /api/alerts/rules|post /api/alerts/rules|delete /api/alerts/rules/{id}|get /api/alerts|post /api/alerts/evaluate|get /api/alerts/channels
get /api/alerts/history|post /api/keys|get /api/keys|delete /api/keys/{id}|post /api/users|get /api/users|post /api/admin/erase
get /api/admin/audit|get /metrics`
    .split(/[|\n]/)
    .map((op) => op.split(' ') as [string, string]);

let t: TestServer;
let doc: Doc;
beforeAll(async () => {
  t = await startTestServer();
  doc = (await (await t.call('/api/docs/openapi.json', { key: null })).json()) as Doc;
});
afterAll(async () => {
  await t.close();
});

const op = (method: string, path: string): Operation => {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method} ${path} is not in the document`);
  return found;
};
const params = (method: string, path: string) =>
  Object.fromEntries((op(method, path).parameters ?? []).map((p) => [`${p.in}:${p.name}`, p]));

describe('OpenAPI document generated from the route schemas', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every operation, each path parameter declared', () => {
    expect(OPERATIONS).toHaveLength(50);
    for (const [method, path] of OPERATIONS) expect(op(method, path).summary, `${method} ${path}`).toBeTruthy();
    for (const [path, methods] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(methods)) {
        expect(
          (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          path,
        ).toEqual(names);
      }
    }
  });

  it("declares each route's own query parameters with their types and bounds", () => {
    expect(Object.keys(params('get', '/api/search/'))).toEqual(
      expect.arrayContaining([
        'query:q',
        'query:range',
        'query:payment_method',
        'query:country',
        'query:min_amount',
        'query:page',
        'query:size',
        'query:cursor',
      ]),
    );
    expect(params('get', '/api/fraud/alerts')['query:limit']?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
    });
    expect(params('get', '/api/performance/metrics')['query:slow_request_ms']?.schema).toMatchObject({
      type: 'number',
      minimum: 0,
    });
    expect(params('get', '/api/alerts/history')['query:limit']).toBeDefined();
    expect(params('get', '/api/admin/audit')['query:limit']).toBeDefined();
    expect(params('post', '/{index}/_bulk')['path:index']?.required).toBe(true);
  });

  it('describes request bodies (validated by the route, or by core for events) and replies', () => {
    const key = op('post', '/api/keys').requestBody?.content['application/json']?.schema as {
      properties: Record<string, { enum?: string[] }>;
      required: string[];
    };
    expect(key.properties.scope?.enum).toEqual(['ingest', 'read', 'metrics', 'admin']);
    expect(key.required).toEqual(['name', 'scope']);
    expect(op('post', '/api/logs/ingest').requestBody?.content['application/json']?.schema).toMatchObject({
      oneOf: [{ $ref: '#/components/schemas/ShoplogEvent' }, { type: 'array' }],
    });
    const esReply = (
      op('post', '/_bulk').responses['200'] as { content: Record<string, { schema: { required: string[] } }> }
    ).content['application/json']?.schema;
    expect(esReply?.required).toEqual(['took', 'errors', 'items']);
    expect(Object.keys(op('post', '/api/users').responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
  });

  it('lists the documented operations on the docs page', async () => {
    const page = await (await t.call('/api/docs', { key: null })).text();
    expect(page).toContain('<code>/api/fraud/detect</code>');
    expect(page.match(/<tr>/g)).toHaveLength(
      Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0),
    );
  });
});

describe('route schemas answer the project errors', () => {
  const json = { 'content-type': 'application/json' };
  it('names each field of an invalid body (400 bad_request), and checks credentials first', async () => {
    const res = await t.call('/api/keys', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 7, scope: 'root' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.issues.map((i) => i.path)).toEqual(['name', 'scope']);
    expect((await t.call('/api/keys', { key: null, method: 'POST', headers: json, body: '{}' })).status).toBe(401);
  });

  it('refuses a numeric parameter that is not a number instead of ignoring it (GET /api/admin/audit?limit=)', async () => {
    const res = await t.call('/api/admin/audit?limit=lots');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('limit');
    expect((await t.call('/api/admin/audit?limit=5000')).status).toBe(200);
  });
});
