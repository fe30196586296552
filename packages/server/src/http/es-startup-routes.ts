import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import { esErrorBody, useEsConventions } from './es-compat.js';
import { queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const CatQuery = z.looseObject({ format: queryText('json for JSON, else text') });
const IndexParams = z.object({ index: z.string() });

/** Kinds of Elasticsearch set-up resource that shippers create at start; Shoplog accepts them and keeps none. */
const SETUP_RESOURCES = [
  '_index_template',
  '_template',
  '_component_template',
  '_ilm/policy',
  '_ingest/pipeline',
  '_data_stream',
] as const;

const SHARDS = { total: 1, successful: 1, failed: 0 };

/**
 * The Elasticsearch endpoints shippers call before their first bulk request, answered so that they start:
 * - `GET /_license`, `GET /_xpack`: a basic licence;
 * - `GET /_cluster/health[/<index>]`, `GET /_cat/health`: green;
 * - index templates (`_index_template`, legacy `_template`, `_component_template`), ILM policies
 *   (`_ilm/policy`), ingest pipelines (`_ingest/pipeline`) and data streams (`_data_stream`): `PUT`/`POST`/`DELETE`
 *   acknowledged, `GET`/`HEAD` 404 (Shoplog keeps none: its storage has its own schema), so a shipper that checks
 *   first then creates them does both without failing;
 * - `HEAD /<index>`: 200 (any name is accepted), `PUT /<index>`: acknowledged;
 * - `POST|GET /_refresh`, `/<index>/_refresh`: answered once everything acknowledged so far is searchable.
 * All behind an `ingest` key (Bearer, X-API-Key, ApiKey or Basic).
 */
export function registerEsStartupRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const canIngest = guard(ctx, 'ingest', true);
  void app.register(async (scope) => {
    useEsConventions(scope);
    const es = scope.withTypeProvider<ZodTypeProvider>();
    es.addHook('preHandler', canIngest);
    es.get('/_license', async () => ({
      license: {
        status: 'active',
        uid: 'shoplog',
        type: 'basic',
        issue_date_in_millis: 0,
        max_nodes: 1000,
        issued_to: 'shoplog',
        issuer: 'shoplog',
        start_date_in_millis: -1,
      },
    }));
    es.get('/_xpack', async () => ({
      build: { hash: `shoplog-${ctx.version}` },
      license: { uid: 'shoplog', type: 'basic', mode: 'basic', status: 'active' },
      features: {},
    }));
    const health = async () => ({
      cluster_name: 'shoplog',
      status: 'green',
      timed_out: false,
      number_of_nodes: 1,
      number_of_data_nodes: 1,
      active_primary_shards: 1,
      active_shards: 1,
      relocating_shards: 0,
      initializing_shards: 0,
      unassigned_shards: 0,
      delayed_unassigned_shards: 0,
      number_of_pending_tasks: 0,
      number_of_in_flight_fetch: 0,
      active_shards_percent_as_number: 100,
    });
    es.get('/_cluster/health', health);
    es.get('/_cluster/health/:index', health);
    // rsyslog's omelasticsearch checks this at start (text, or JSON with ?format=json).
    es.get('/_cat/health', { schema: { querystring: CatQuery } }, async (request, reply) => {
      const now = new Date();
      const row = {
        epoch: String(Math.floor(now.getTime() / 1000)),
        timestamp: now.toISOString().slice(11, 19),
        cluster: 'shoplog',
        status: 'green',
      };
      if (request.query.format === 'json') return [row];
      return reply
        .type('text/plain; charset=utf-8')
        .send(`${row.epoch} ${row.timestamp} shoplog green 1 1 1 1 0 0 0 0 - 100.0%\n`);
    });

    const absent = async (request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(404)
        .send(
          esErrorBody(
            404,
            'resource_not_found_exception',
            `${request.url.split('?')[0]} is not kept by Shoplog (set-up calls are accepted and ignored)`,
          ),
        );
    const acknowledged = async () => ({ acknowledged: true });
    for (const resource of SETUP_RESOURCES) {
      const path = `/${resource}/:name`;
      // `exposeHeadRoute: false`: HEAD gets its own route (404 too, without a body).
      es.get(path, { exposeHeadRoute: false }, absent);
      es.head(path, async (_request, reply) => reply.code(404).send());
      es.put(path, acknowledged);
      es.post(path, acknowledged);
      es.delete(path, acknowledged);
    }
    es.head('/:index', async (_request, reply) => reply.code(200).send());
    es.put('/:index', { schema: { params: IndexParams } }, async (request) => ({
      acknowledged: true,
      shards_acknowledged: true,
      index: request.params.index,
    }));
    const refresh = async () => {
      await ctx.logs.refresh();
      return { _shards: SHARDS };
    };
    for (const path of ['/_refresh', '/:index/_refresh']) {
      es.post(path, refresh);
      es.get(path, refresh);
    }
  });
}
