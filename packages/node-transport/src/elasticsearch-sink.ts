import type { Client } from '@elastic/elasticsearch';
import { parseOptions } from '@shoplog/core';
import { z } from 'zod';
import {
  DeliveryError,
  isConnectionError,
  isRetryableStatus,
  parseRetryAfter,
  type ItemFailure,
  type QueuedEntry,
  type SendOutcome,
  type Sink,
} from './sink.js';

/**
 * What the sink needs of an `@elastic/elasticsearch` `Client`, typed structurally so that these declarations never
 * import `@elastic/elasticsearch`: an app that does not use this sink needs neither the package nor its types.
 */
export interface ElasticsearchClientLike {
  helpers: { bulk(...args: never[]): unknown };
  close(): Promise<unknown>;
}

/** Options of `createElasticsearchSink`. */
export interface ElasticsearchSinkOptions {
  /** An `@elastic/elasticsearch` client (inject yours, e.g. with auth, TLS or a mocked transport). */
  client?: ElasticsearchClientLike;
  /** Elasticsearch URL, used to create a client when `client` is not given. */
  node?: string;
  /** API key for the client created from `node`. */
  apiKey?: string;
  /** Data stream namespace: documents go to `logs-<event.dataset>-<namespace>`. @default 'default' */
  namespace?: string;
}

const ElasticsearchSinkOptionsSchema = z
  .object({
    // The schema checks the shape the sink calls; the sink then uses the client through its real type.
    client: z
      .custom<Client>(
        (v) => v === undefined || typeof (v as Client | null)?.helpers?.bulk === 'function',
        'must be an @elastic/elasticsearch Client',
      )
      .optional(),
    node: z.url().optional(),
    apiKey: z.string().min(1).optional(),
    namespace: z
      .string()
      .regex(/^[a-z0-9_.]{1,100}$/, 'must be lower case letters, digits, `_` or `.` (a data stream namespace)')
      .default('default'),
  })
  .refine((o) => o.client !== undefined || o.node !== undefined, {
    path: ['client'],
    message: 'give `client` or `node`',
  });

interface ResponseErrorLike {
  name?: string;
  meta?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> };
  message?: string;
}

/**
 * Creates a sink writing to Elasticsearch data streams through the official client's bulk helper, with
 * `create` actions keyed on `event.id`: a 409 means the document is already there and counts as delivered.
 */
export function createElasticsearchSink(options: ElasticsearchSinkOptions): Sink {
  const o = parseOptions('createElasticsearchSink', ElasticsearchSinkOptionsSchema, options);
  let client: Client | undefined = o.client;
  const owned = o.client === undefined;
  const index = (dataset: string) => `logs-${dataset || 'shoplog.unknown'}-${o.namespace}`;

  async function getClient(): Promise<Client> {
    if (client) return client;
    const { Client: ClientCtor } = await import('@elastic/elasticsearch');
    client = new ClientCtor({ node: o.node as string, ...(o.apiKey ? { auth: { apiKey: o.apiKey } } : {}) });
    return client;
  }

  async function send(batch: readonly QueuedEntry[], signal: AbortSignal): Promise<SendOutcome> {
    const es = await getClient();
    let byId: Map<string, number> | undefined;
    const failures: ItemFailure[] = [];
    let duplicates = 0;
    const indexOf = (op: unknown): number => {
      if (!byId) {
        byId = new Map();
        for (let i = 0; i < batch.length; i++) byId.set((batch[i] as QueuedEntry).id, i);
      }
      const action = (Array.isArray(op) ? op[0] : op) as { create?: { _id?: string } };
      return byId.get(action.create?._id ?? '') ?? -1;
    };
    const helper = es.helpers.bulk<QueuedEntry>(
      {
        datasource: batch as QueuedEntry[],
        // The line was serialised once on enqueue; the helper sends it as is.
        onDocument: (entry) => [{ create: { _index: index(entry.dataset), _id: entry.id } }, entry.line],
        flushBytes: Number.MAX_SAFE_INTEGER,
        flushInterval: 2 ** 31 - 1,
        concurrency: 1,
        // Retries are the engine's job (backoff, spool): one attempt here.
        retries: 0,
        onDrop: (drop) => {
          const i = indexOf(drop.operation);
          if (i < 0) return;
          if (drop.status === 409) {
            duplicates++;
            return;
          }
          const reason = drop.error
            ? `${drop.status} ${drop.error.type}: ${drop.error.reason ?? ''}`.trim()
            : `${drop.status}`;
          failures.push({ index: i, retryable: isRetryableStatus(drop.status), reason });
        },
      },
      { signal },
    );
    const onAbort = () => void helper.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await helper;
    } catch (err) {
      throw toDeliveryError(err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return { duplicates, failures };
  }

  return {
    name: 'elasticsearch',
    send,
    async close() {
      if (owned && client) await client.close();
    },
  };
}

function toDeliveryError(err: unknown): DeliveryError {
  const e = err as ResponseErrorLike;
  const status = e.meta?.statusCode;
  if (status !== undefined && status > 0) {
    return new DeliveryError(`Elasticsearch bulk answered ${status}: ${e.message ?? ''}`, {
      retryable: isRetryableStatus(status) || status === 401 || status === 403,
      status,
      tooLarge: status === 413,
      retryAfterMs: parseRetryAfter(e.meta?.headers?.['retry-after']),
      cause: err,
    });
  }
  return new DeliveryError(`Elasticsearch unreachable: ${e.message ?? String(err)}`, {
    retryable: isConnectionError(err) || true,
    cause: err,
  });
}
