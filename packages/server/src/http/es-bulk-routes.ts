import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestItem } from '../ingest/ingestor.js';
import { assertRequestLines, countLines } from '../ingest/limits.js';
import { bulkDocumentInput, BulkSyntaxError, parseBulkBody, type BulkOperation } from '../ingest/es-bulk.js';
import type { ServerContext } from './context.js';
import { useEsConventions } from './es-compat.js';
import { HttpError } from './errors.js';
import { gunzipBody } from './gunzip.js';
import { createIngestGuard } from './ingest-guard.js';
import { queryText, type ZodTypeProvider } from './route-schema.js';
import { EsBulkReplySchema, type EsBulkItemResult, type EsBulkReply } from '@shoplog/core';
import { z } from 'zod';

const BulkQuery = z.looseObject({ refresh: queryText('true or wait_for: answer once the documents are searchable') });
const IndexParams = z.object({ index: z.string().min(1).describe('Default index of the operations that name none') });
const NDJSON_BODY = {
  contentType: 'application/x-ndjson',
  schema: {
    type: 'string',
    description: 'Action lines ({"index"|"create": {"_index", "_id"}}) each followed by its document',
  },
};

/** `_index` answered for an operation that named none (neither in its action nor in the URL). */
const DEFAULT_INDEX = 'shoplog';
const SHARDS = { total: 1, successful: 1, failed: 0 };

type BulkItem = EsBulkReply['items'][number];

/**
 * The official JavaScript client's bulk helper (used by pino-elasticsearch) retries the items answered 429 and
 * gives up for good on a whole request answered 429: its requests carry `h=bp` in `x-elastic-client-meta`.
 */
function isBulkHelper(request: FastifyRequest): boolean {
  const meta = request.headers['x-elastic-client-meta'];
  return typeof meta === 'string' && /(?:^|,)h=bp(?:,|$)/.test(meta);
}

function item(op: BulkOperation, id: string, status: number, extra: Partial<EsBulkItemResult>): BulkItem {
  return { [op.action]: { _index: op.index ?? DEFAULT_INDEX, _id: id, status, ...extra } };
}

function error(type: string, reason: string, op: BulkOperation): Pick<EsBulkItemResult, 'error'> {
  return { error: { type, reason, index: op.index ?? DEFAULT_INDEX } };
}

/** The bulk item of a stored (or refused) document. */
function documentItem(op: BulkOperation, result: IngestItem | undefined): BulkItem {
  const id = op.id ?? result?.id ?? '';
  if (result?.result === 'created') return item(op, id, 201, { _version: 1, result: 'created', _shards: SHARDS });
  if (result?.result === 'duplicate') {
    // Events are immutable: a `create` of a stored id is a conflict (clients count 409 as delivered); an `index`
    // of it keeps the stored event, as a no-op.
    if (op.action === 'create')
      return item(
        op,
        id,
        409,
        error(
          'version_conflict_engine_exception',
          `[${id}]: version conflict, document already exists (current version [1])`,
          op,
        ),
      );
    return item(op, id, 200, { _version: 1, result: 'noop', _shards: SHARDS });
  }
  const reason =
    (result?.issues ?? []).map((issue) => `${issue.path}: ${issue.message}`).join('; ') ||
    'the document is not a valid event';
  return item(op, id, 400, error('document_parsing_exception', reason, op));
}

/**
 * The Elasticsearch bulk API: `POST|PUT /_bulk` and `/<index>/_bulk`. `index` and `create` documents go through
 * the shared ingest path (`ingestLines`, so its limits apply) after `bulkDocumentInput` maps them; a body of more
 * than `maxRequestLines` lines is refused (413) before it is parsed; `update` and `delete` are answered per item
 * with an error. The answer has Elasticsearch's shape (`took`, `errors`, `items`). `?refresh=true|wait_for`
 * answers once the documents are searchable.
 */
export function registerEsBulkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const ingestGuard = createIngestGuard(ctx, true);
  const throttled = new WeakMap<FastifyRequest, HttpError>();
  const guardBulk = async (request: FastifyRequest): Promise<void> => {
    try {
      await ingestGuard(request);
    } catch (caught) {
      if (caught instanceof HttpError && caught.status === 429 && isBulkHelper(request)) throttled.set(request, caught);
      else throw caught;
    }
  };

  const bulk = async (
    request: FastifyRequest<{ Params: { index?: string }; Querystring: { refresh?: unknown } }>,
    reply: FastifyReply,
  ): Promise<EsBulkReply> => {
    const started = performance.now();
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    assertRequestLines(ctx.ingestor.limits, countLines(body), 'lines');
    const text = body.toString('utf8');
    let operations: BulkOperation[];
    try {
      operations = parseBulkBody(text, request.params.index);
    } catch (caught) {
      if (caught instanceof BulkSyntaxError)
        throw new HttpError(400, 'illegal_argument_exception', `Malformed bulk body, ${caught.message}`);
      throw caught;
    }
    if (operations.length === 0)
      throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    const took = () => Math.round(performance.now() - started);

    const limited = throttled.get(request);
    if (limited) {
      void reply.headers(limited.headers ?? {});
      const items = operations.map((op) =>
        item(op, op.id ?? '', 429, error('es_rejected_execution_exception', limited.message, op)),
      );
      return { took: took(), errors: true, items };
    }

    const documents = operations.filter((op) => op.action === 'index' || op.action === 'create');
    const results = new Array<IngestItem | undefined>(documents.length);
    if (documents.length > 0) {
      const lines = documents.map((op) => op.source ?? '');
      const ingested = await ctx.ingestor.ingestLines(lines, (parsed, index) =>
        bulkDocumentInput(parsed, documents[index] as BulkOperation),
      );
      for (const result of ingested) results[result.line - 1] = result;
    }
    let next = 0;
    let errors = false;
    const items = operations.map((op) => {
      const answer =
        op.action === 'index' || op.action === 'create'
          ? documentItem(op, results[next++])
          : item(
              op,
              op.id ?? '',
              400,
              error(
                'illegal_argument_exception',
                `Shoplog events are immutable: "${op.action}" is not supported (send "index" or "create")`,
                op,
              ),
            );
      if ((answer[op.action]?.status ?? 500) >= 300) errors = true;
      return answer;
    });
    const refresh = request.query.refresh;
    if (refresh === 'true' || refresh === '' || refresh === 'wait_for') await ctx.logs.refresh();
    return { took: took(), errors, items };
  };

  void app.register(async (scope) => {
    useEsConventions(scope);
    const es = scope.withTypeProvider<ZodTypeProvider>();
    const reply = { 200: EsBulkReplySchema.describe("One item per operation, in order (Elasticsearch's shape)") };
    const root = {
      querystring: BulkQuery,
      documentedBody: NDJSON_BODY,
      response: reply,
      permission: 'ingest',
    } as const;
    const indexed = { ...root, params: IndexParams } as const;
    const summary =
      'Elasticsearch bulk API (index/create; ApiKey or Basic auth too), Elasticsearch-shaped reply; see the README';
    for (const method of ['POST', 'PUT'] as const) {
      // POST documented; PUT is the same operation.
      const doc = method === 'POST';
      es.route({
        method,
        url: '/_bulk',
        preValidation: guardBulk,
        preParsing: gunzipBody,
        schema: { ...root, ...(doc ? { summary } : {}) },
        handler: bulk,
      });
      es.route({
        method,
        url: '/:index/_bulk',
        preValidation: guardBulk,
        preParsing: gunzipBody,
        schema: { ...indexed, ...(doc ? { summary: 'Elasticsearch bulk API with a default index' } : {}) },
        handler: bulk,
      });
    }
  });
}
