/**
 * Retention and erasure through the Elasticsearch adapter, on the official client with its transport intercepted:
 * the retention settings drive the ILM policies (one per kind with its own retention, rewritten when the setting
 * changes), and an erasure is a `_delete_by_query` over the data streams, also through the server's admin route.
 */
import { describe, expect, it } from 'vitest';
import { createElasticsearchLogStore, installEsResources } from '../../src/adapters/elasticsearch/index.js';
import { createScaleOut } from '../../src/index.js';
import { ADMIN_KEY, startTestServer } from '../helpers.js';
import { esError, mockCluster } from './es-mock.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading recorded request bodies

/** A cluster that stores the resources PUT and answers GETs from them. */
function statefulCluster() {
  const cluster = mockCluster();
  const stored = new Map<string, Json>();
  const name = (path: string) => decodeURIComponent(path.split('/').pop()!);
  for (const [kind, prefix] of [
    ['ilm', '/_ilm/policy'],
    ['ct', '/_component_template'],
    ['it', '/_index_template'],
  ] as const) {
    cluster.on(
      'PUT',
      `${prefix}/:name`,
      (r) => (stored.set(`${kind}:${name(r.path)}`, r.body as Json), { acknowledged: true }),
    );
    cluster.on('GET', `${prefix}/:name`, (r) => {
      const body = stored.get(`${kind}:${name(r.path)}`);
      if (!body) return esError(404, 'resource_not_found_exception');
      if (kind === 'ilm') return { [name(r.path)]: { version: 1, modified_date: '', policy: body['policy'] } };
      if (kind === 'ct') return { component_templates: [{ name: name(r.path), component_template: body }] };
      return { index_templates: [{ name: name(r.path), index_template: body }] };
    });
  }
  return { ...cluster, stored };
}

describe('Elasticsearch retention (ILM driven by the retention settings)', () => {
  it("installs a policy per kind with its own retention and points that kind's template at it", async () => {
    const cluster = statefulCluster();
    const steps = await installEsResources(cluster.client, {
      retentionDays: 90,
      retentionByKind: { fraud: 365, performance: 7, error: 90 },
    });
    expect(steps.filter((s) => s.kind === 'ilm_policy').map((s) => s.name)).toEqual([
      'shoplog-logs',
      'shoplog-logs.performance',
      'shoplog-logs.fraud',
    ]);
    expect(cluster.stored.get('ilm:shoplog-logs')!['policy'].phases.delete.min_age).toBe('90d');
    expect(cluster.stored.get('ilm:shoplog-logs.fraud')!['policy'].phases.delete.min_age).toBe('365d');
    expect(cluster.stored.get('ilm:shoplog-logs.performance')!['policy'].phases.delete.min_age).toBe('7d');
    expect(cluster.stored.get('it:logs-shoplog.fraud')!['template']['settings']['index']['lifecycle']['name']).toBe(
      'shoplog-logs.fraud',
    );
    // Same as the default (error: 90) or not overridden: the settings component's default policy.
    expect(cluster.stored.get('it:logs-shoplog.error')!['template']['settings']).toBeUndefined();
    expect(cluster.stored.get('it:logs-shoplog.transaction')!['template']['settings']).toBeUndefined();
  });

  it('rewrites the policy and templates when the retention setting changes, and keeps data forever at 0', async () => {
    const cluster = statefulCluster();
    await installEsResources(cluster.client, { retentionDays: 30 });
    const steps = await installEsResources(cluster.client, { retentionDays: 14, retentionByKind: { fraud: 0 } });
    expect(steps.filter((s) => s.action !== 'unchanged').map((s) => `${s.kind}:${s.name}:${s.action}`)).toEqual([
      'ilm_policy:shoplog-logs:updated',
      'ilm_policy:shoplog-logs.fraud:created',
      'index_template:logs-shoplog.fraud:updated',
    ]);
    expect(cluster.stored.get('ilm:shoplog-logs')!['policy'].phases.delete.min_age).toBe('14d');
    expect(cluster.stored.get('ilm:shoplog-logs.fraud')!['policy'].phases.delete).toBeUndefined();
    // Back to the default for fraud: its template drops the override.
    const back = await installEsResources(cluster.client, { retentionDays: 14 });
    expect(back.filter((s) => s.action !== 'unchanged').map((s) => s.name)).toEqual(['logs-shoplog.fraud']);
  });

  it('takes SHOPLOG_RETENTION_DAYS / SHOPLOG_RETENTION_BY_DATASET through createScaleOut', async () => {
    await expect(
      createScaleOut({
        SHOPLOG_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: 'http://127.0.0.1:9',
        SHOPLOG_RETENTION_BY_DATASET: 'orders=1',
      }),
    ).rejects.toThrow(/SHOPLOG_RETENTION_BY_DATASET/);
  });
});

describe('Elasticsearch erasure (delete by query)', () => {
  function erasingCluster(deleted: number) {
    const cluster = mockCluster();
    cluster.on('POST', '/:index/_search', () => ({
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: 3, relation: 'eq' }, hits: [] },
      aggregations: {
        users: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [{ key: 'ines-1', doc_count: 3 }] },
        emails: {
          doc_count_error_upper_bound: 0,
          sum_other_doc_count: 0,
          buckets: [{ key: 'Ines@Example.org', doc_count: 2 }],
        },
      },
    }));
    cluster.on('POST', '/:index/_delete_by_query', () => ({
      took: 5,
      timed_out: false,
      total: deleted,
      deleted,
      batches: 1,
      version_conflicts: 0,
      noops: 0,
      failures: [],
    }));
    return cluster;
  }

  it('deletes by e-mail (case-insensitive, or in the message) and by the user ids seen with it, across the data streams', async () => {
    const cluster = erasingCluster(5);
    const store = createElasticsearchLogStore({ client: cluster.client, install: false, namespace: 'shop1' });
    const result = await store.erase!({ email: 'ines@example.org' });
    expect(result).toEqual({ events: 5, userIds: ['ines-1'], emails: ['ines@example.org'] });
    const [search, del] = cluster.requests;
    expect(search!.path).toBe('/logs-shoplog.*-shop1/_search');
    expect((search!.body as Json)['query']).toEqual({
      bool: {
        should: [
          { term: { 'user.email': { value: 'ines@example.org', case_insensitive: true } } },
          { match_phrase: { message: 'ines@example.org' } },
        ],
        minimum_should_match: 1,
      },
    });
    expect(del!.path).toBe('/logs-shoplog.*-shop1/_delete_by_query');
    expect(del!.querystring).toMatchObject({ conflicts: 'proceed', refresh: 'true' });
    expect((del!.body as Json)['query']['bool']['should'][1]).toEqual({ terms: { 'user.id': ['ines-1'] } });
  });

  it("erases through the server's admin route on an Elasticsearch store, with the audit record in the meta store", async () => {
    const cluster = erasingCluster(3);
    const logs = createElasticsearchLogStore({ client: cluster.client, install: false, namespace: 'shop1' });
    const t = await startTestServer({ stores: { logs } });
    try {
      const res = await t.call('/api/admin/erase', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'ines-1' }),
        key: ADMIN_KEY,
      });
      expect(res.status).toBe(200);
      const record = (await res.json()) as { counts: { events: number }; subject: { type: string } };
      expect(record.counts.events).toBe(3);
      expect(record.subject.type).toBe('user_id');
      const del = cluster.requests.find((r) => r.path.endsWith('/_delete_by_query'));
      expect((del!.body as Json)['query']).toEqual({ term: { 'user.id': 'ines-1' } });
      expect((await t.server.stores.meta.listAuditRecords(5)).map((r) => r.counts.events)).toEqual([3]);
    } finally {
      await t.close();
    }
  });
});
