import { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { EVENT_KINDS, OptionsError, parseOptions, type EventKind, type ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { EventListener, LogFilter, LogStore } from '../../ports.js';
import { bulkAppend, toStoreError } from './bulk.js';
import { eraseFromElasticsearch } from './erase.js';
import { installEsResources } from './install.js';
import type { EsInstallStep } from './install.js';
import { NANOS_FORMAT, filterQuery } from './queries.js';
import { createEsReads } from './reads.js';
import { dataStreamPattern, REFRESH_INTERVAL_MS } from './resources.js';

/** Options of `createElasticsearchLogStore`. */
export interface ElasticsearchLogStoreOptions {
  /** An official client (9.x) to use; the store then never closes it. */
  client?: Client;
  /** Cluster URL when no client is given. @default process.env.ELASTICSEARCH_URL */
  url?: string;
  /** Basic auth when no client is given. */
  auth?: { username: string; password: string } | { apiKey: string };
  /** Data stream namespace: `logs-shoplog.<type>-<namespace>`. @default 'default' */
  namespace?: string;
  /** Install the templates and ILM policy at start (idempotent; failures reject `ready`). @default true */
  install?: boolean;
  /** Days of retention of the ILM policy (0: never deleted); `shoplog serve` passes `SHOPLOG_RETENTION_DAYS`. @default 30 */
  retentionDays?: number;
  /** Per-kind retention overriding `retentionDays` (a policy per such kind); from `SHOPLOG_RETENTION_BY_DATASET`. @default {} */
  retentionByKind?: Partial<Record<EventKind, number>>;
  /** Attempts for bulk items answered 429/5xx. @default 4 */
  bulkAttempts?: number;
  /** First bulk retry delay in milliseconds. @default 200 */
  bulkBackoffMs?: number;
}

const Schema = z.strictObject({
  client: z.custom<Client>((value) => value instanceof Client, 'must be a @elastic/elasticsearch Client').optional(),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  auth: z
    .union([
      z.strictObject({ username: z.string().min(1), password: z.string() }),
      z.strictObject({ apiKey: z.string().min(1) }),
    ])
    .optional(),
  namespace: z
    .string()
    .regex(/^[a-z0-9_.]{1,100}$/, 'must be 1 to 100 characters of a-z, 0-9, `_` and `.`')
    .default('default'),
  install: z.boolean().default(true),
  retentionDays: z.int().min(0).default(30),
  retentionByKind: z.partialRecord(z.enum(EVENT_KINDS), z.int().min(0)).default({}),
  bulkAttempts: z.int().min(1).max(20).default(4),
  bulkBackoffMs: z.int().min(0).default(200),
});

/** The Elasticsearch log store: the `LogStore` port plus what only Elasticsearch offers. */
export interface ElasticsearchLogStore extends LogStore {
  /** Resolves with what the installer did once the templates are in place; rejects loudly when it failed. */
  readonly ready: Promise<EsInstallStep[]>;
  /**
   * Every matching event, oldest first, through a point-in-time and `search_after` (a consistent snapshot that
   * ingest does not shift, without the 10 000 hits window). For exports.
   */
  export(filter: LogFilter, options?: { batchSize?: number }): AsyncIterable<ShoplogEvent>;
}

/**
 * Creates the Elasticsearch `LogStore`: bulk `create` writes keyed on `event.id` into the data streams, queries
 * and aggregations computed by Elasticsearch (terms, date_histogram, stats, cardinality, HDR percentiles),
 * exact totals, `search_after` cursors, and point-in-time exports. `subscribe` sees the events appended through
 * this instance; wrap the store with `withEventBus` (Redis) for a live tail across instances.
 */
export function createElasticsearchLogStore(options: ElasticsearchLogStoreOptions = {}): ElasticsearchLogStore {
  const settings = parseOptions('createElasticsearchLogStore', Schema, options);
  const url = settings.url ?? process.env['ELASTICSEARCH_URL'];
  if (!settings.client && !url) {
    throw new OptionsError(
      'createElasticsearchLogStore: invalid options: url: no URL given and ELASTICSEARCH_URL is not set',
      [{ path: 'url', message: 'no URL given and ELASTICSEARCH_URL is not set' }],
    );
  }
  const owned = !settings.client;
  const client = settings.client ?? new Client({ node: url!, ...(settings.auth ? { auth: settings.auth } : {}) });
  const index = dataStreamPattern(settings.namespace);
  const listeners = new Set<EventListener>();
  let closed = false;

  const ready: Promise<EsInstallStep[]> = settings.install
    ? installEsResources(client, {
        namespace: settings.namespace,
        retentionDays: settings.retentionDays,
        retentionByKind: settings.retentionByKind,
      })
    : Promise.resolve([]);
  // Callers await `ready` (or the first write does); never an unhandled rejection in between.
  ready.catch(() => {});

  const reads = createEsReads(client, index);

  return {
    ready,
    ...reads,
    async appendBatch(events) {
      if (events.length === 0) return [];
      await ready;
      const results = await bulkAppend(client, events, {
        namespace: settings.namespace,
        attempts: settings.bulkAttempts,
        backoffMs: settings.bulkBackoffMs,
      });
      if (listeners.size > 0) {
        events.forEach((event, i) => {
          if (results[i] !== 'created') return;
          for (const listener of listeners) listener(event);
        });
      }
      return results;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    // Documents acknowledged now are searchable after the next periodic refresh: wait one interval, ask nothing.
    whenSearchable: () => new Promise<void>((resolve) => setTimeout(resolve, REFRESH_INTERVAL_MS + 100).unref()),
    async refresh() {
      try {
        await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
      } catch (error) {
        throw toStoreError(error, 'refresh');
      }
    },
    erase: (subject) => eraseFromElasticsearch(client, index, subject),
    async *export(filter, exportOptions = {}) {
      const batchSize = exportOptions.batchSize ?? 1000;
      let pit: estypes.OpenPointInTimeResponse;
      try {
        pit = await client.openPointInTime({ index, keep_alive: '1m', ignore_unavailable: true });
      } catch (error) {
        throw toStoreError(error, 'export');
      }
      let pitId = pit.id;
      try {
        let after: estypes.SortResults | undefined;
        for (;;) {
          const page: estypes.SearchResponse<ShoplogEvent> = await client.search<ShoplogEvent>({
            pit: { id: pitId, keep_alive: '1m' },
            query: filterQuery(filter),
            size: batchSize,
            sort: [{ '@timestamp': { order: 'asc', format: NANOS_FORMAT } }, { _shard_doc: { order: 'asc' } }],
            track_total_hits: false,
            ...(after ? { search_after: after } : {}),
          });
          pitId = page.pit_id ?? pitId;
          for (const hit of page.hits.hits) if (hit._source) yield hit._source;
          if (page.hits.hits.length < batchSize) break;
          after = page.hits.hits[page.hits.hits.length - 1]?.sort;
        }
      } finally {
        await client.closePointInTime({ id: pitId }).catch(() => {});
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      if (owned) await client.close();
    },
  };
}
