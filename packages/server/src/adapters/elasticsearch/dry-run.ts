import { BaseConnection, Client } from '@elastic/elasticsearch';
import { installEsResources } from './install.js';
import type { EsResourceOptions } from './resources.js';

/** One HTTP request the client sent. */
export interface RecordedEsRequest {
  method: string;
  path: string;
  /** Parsed JSON body, when there is one. */
  body?: unknown;
}

type ConnectionParams = Parameters<BaseConnection['request']>[0];

/**
 * Runs the start-up installer against an empty cluster simulated in process (every GET answers 404, every PUT
 * is acknowledged) and returns the requests the real client built, in order: what the server sends at its
 * first start. Nothing leaves the process.
 */
export async function dryRunEsInstall(options: EsResourceOptions = {}): Promise<RecordedEsRequest[]> {
  const recorded: RecordedEsRequest[] = [];
  class RecordingConnection extends BaseConnection {
    // The overloads of `request` (stream vs buffer) cannot both be implemented by one plain override.
    override request(params: ConnectionParams): Promise<never> {
      const body =
        typeof params.body === 'string' && params.body !== '' ? (JSON.parse(params.body) as unknown) : undefined;
      recorded.push({ method: params.method, path: params.path, ...(body === undefined ? {} : { body }) });
      const missing = params.method === 'GET';
      const answer = missing
        ? { error: { type: 'resource_not_found_exception', reason: 'dry run' }, status: 404 }
        : { acknowledged: true };
      const response = {
        body: JSON.stringify(answer),
        statusCode: missing ? 404 : 200,
        headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
      };
      return Promise.resolve(response as never);
    }

    override close(): Promise<void> {
      return Promise.resolve();
    }
  }
  const client = new Client({ node: 'http://127.0.0.1:9200', Connection: RecordingConnection, maxRetries: 0 });
  try {
    await installEsResources(client, options);
  } finally {
    await client.close();
  }
  return recorded;
}
