/**
 * The official client with its transport intercepted by `@elastic/elasticsearch-mock`: requests are routed to
 * resolvers in the test instead of a cluster, and recorded with their parsed bodies.
 */
import { createRequire } from 'node:module';
import { Client } from '@elastic/elasticsearch';
import type { errors } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import type { MockPattern, ResolverFn } from '@elastic/elasticsearch-mock';

/** A recorded request. */
export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  querystring: Record<string, unknown>;
}

/** A client whose transport answers from `on(...)` routes and records every request. */
export function mockCluster(): {
  client: Client;
  requests: Recorded[];
  on: (method: string, path: string, resolve: (request: Recorded) => unknown) => void;
} {
  const mock = new Mock();
  const requests: Recorded[] = [];
  const client = new Client({ node: 'http://127.0.0.1:9200', Connection: mock.getConnection(), maxRetries: 0 });
  return {
    client,
    requests,
    on(method, path, resolve) {
      const resolver: ResolverFn = (params: MockPattern) => {
        const request: Recorded = {
          method: String(params.method),
          path: String(params.path),
          body: params.body,
          querystring: (params.querystring ?? {}) as Record<string, unknown>,
        };
        requests.push(request);
        return resolve(request) as Record<string, unknown>;
      };
      mock.add({ method, path }, resolver);
    },
  };
}

// The mock is CommonJS and recognises an error answer with `instanceof` against the CommonJS build's class.
const cjs = createRequire(import.meta.url)('@elastic/elasticsearch') as { errors: typeof errors };

/** An Elasticsearch error answer with `status` (for 404s, 409s, 429s, 400s). */
export function esError(status: number, type: string, reason = type): errors.ResponseError {
  return new cjs.errors.ResponseError({
    body: { error: { type, reason }, status },
    statusCode: status,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}
