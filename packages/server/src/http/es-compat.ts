import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import type { HttpError } from './errors.js';
import { toHttpError } from './errors.js';

/** The header the official Elasticsearch clients check on every 2xx answer before trusting it. */
export const ES_PRODUCT_HEADER = { 'x-elastic-product': 'Elasticsearch' } as const;

/** The body of an Elasticsearch error: `{ error: { root_cause, type, reason }, status }`. */
export function esErrorBody(status: number, type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** Sends an HttpError in Elasticsearch's error shape (the Shoplog code as `type`, the message as `reason`). */
export function sendEsError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.headers) void reply.headers(error.headers);
  if (error.status === 413) void reply.header('connection', 'close');
  const issues = error.issues?.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return reply
    .code(error.status)
    .send(esErrorBody(error.status, error.code, issues ? `${error.message} (${issues})` : error.message));
}

/**
 * Makes an encapsulated Fastify scope speak Elasticsearch: errors in its shape and the `x-elastic-product` header
 * on every answer (the official clients refuse a 2xx answer without it).
 */
export function useEsConventions(scope: FastifyInstance): void {
  // Bodies come as any content type (`application/x-ndjson`, `application/vnd.elasticsearch+x-ndjson; compatible-with=9`,
  // text/plain…): raw bytes, read by the route (the body limit still applies).
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  scope.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) =>
    sendEsError(reply, toHttpError(error, request)),
  );
  scope.addHook('onSend', async (_request, reply, payload) => {
    void reply.headers(ES_PRODUCT_HEADER);
    return payload;
  });
}

/**
 * Whether a request identifies as an Elasticsearch client rather than a browser or a plain HTTP client: the official
 * clients' `x-elastic-client-meta` header, an `Accept` of `application/vnd.elasticsearch+json` or
 * `application/json`, or the `ApiKey` / `Basic` credentials shippers send (browsers send none of these on a page
 * load, and the server never asks them for Basic credentials).
 */
export function isElasticsearchClient(request: FastifyRequest): boolean {
  if (request.headers['x-elastic-client-meta'] !== undefined) return true;
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/vnd.elasticsearch+json') || accept.includes('application/json')) return true;
  return /^(?:apikey|basic) /i.test(request.headers.authorization ?? '');
}

/**
 * The `GET /` (and `HEAD /`) answer of the Elasticsearch-compatible API to Elasticsearch clients
 * (`isElasticsearchClient`): a version banner with `x-elastic-product`, behind an `ingest` key (so a shipper with a
 * wrong key fails at start, as against Elasticsearch with security on).
 */
export function createEsRoot(ctx: ServerContext): {
  claims(request: FastifyRequest): boolean;
  answer(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
} {
  const canIngest = guard(ctx, 'ingest', true);
  const [major = '9', minor = '0'] = ctx.config.esCompatVersion.split('.');
  return { claims: isElasticsearchClient, answer: esInfo };
  async function esInfo(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      await canIngest(request);
    } catch (error) {
      return sendEsError(reply.headers(ES_PRODUCT_HEADER), toHttpError(error as Error, request));
    }
    return reply.headers(ES_PRODUCT_HEADER).send({
      name: 'shoplog',
      cluster_name: 'shoplog',
      cluster_uuid: 'shoplog',
      version: {
        number: ctx.config.esCompatVersion,
        build_flavor: 'default',
        build_type: 'shoplog',
        build_hash: `shoplog-${ctx.version}`,
        build_snapshot: false,
        minimum_wire_compatibility_version: `${Number(major) - 1}.${minor}.0`,
        minimum_index_compatibility_version: `${Number(major) - 1}.0.0`,
      },
      tagline: `Shoplog ${ctx.version}: an Elasticsearch-compatible ingest API (bulk only)`,
    });
  }
}
