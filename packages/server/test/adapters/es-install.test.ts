import { describe, expect, it } from 'vitest';
import { EsInstallError, ES_RESOURCES_VERSION, installEsResources } from '../../src/adapters/elasticsearch/index.js';
import { esError, mockCluster } from './es-mock.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading recorded request bodies

/** A cluster that stores what is PUT and answers GETs from it, like Elasticsearch. */
function statefulCluster() {
  const cluster = mockCluster();
  const stored = new Map<string, Json>();
  const name = (path: string) => decodeURIComponent(path.split('/').pop()!);
  cluster.on(
    'PUT',
    '/_ilm/policy/:name',
    (r) => (stored.set(`ilm:${name(r.path)}`, r.body as Json), { acknowledged: true }),
  );
  cluster.on('GET', '/_ilm/policy/:name', (r) => {
    const body = stored.get(`ilm:${name(r.path)}`);
    return body
      ? { [name(r.path)]: { version: 1, modified_date: '', policy: body['policy'] } }
      : esError(404, 'resource_not_found_exception');
  });
  cluster.on(
    'PUT',
    '/_component_template/:name',
    (r) => (stored.set(`ct:${name(r.path)}`, r.body as Json), { acknowledged: true }),
  );
  cluster.on('GET', '/_component_template/:name', (r) => {
    const body = stored.get(`ct:${name(r.path)}`);
    return body
      ? { component_templates: [{ name: name(r.path), component_template: body }] }
      : esError(404, 'resource_not_found_exception');
  });
  cluster.on(
    'PUT',
    '/_index_template/:name',
    (r) => (stored.set(`it:${name(r.path)}`, r.body as Json), { acknowledged: true }),
  );
  cluster.on('GET', '/_index_template/:name', (r) => {
    const body = stored.get(`it:${name(r.path)}`);
    return body
      ? { index_templates: [{ name: name(r.path), index_template: body }] }
      : esError(404, 'resource_not_found_exception');
  });
  return { ...cluster, stored };
}

describe('Elasticsearch resources installer (intercepted transport)', () => {
  it('installs the policy, component templates and one data stream template per kind, with explicit mappings', async () => {
    const cluster = statefulCluster();
    const steps = await installEsResources(cluster.client, { namespace: 'prod' });
    expect(steps.map((s) => `${s.kind}:${s.name}:${s.action}`)).toEqual([
      'ilm_policy:shoplog-logs:created',
      'component_template:shoplog@settings:created',
      'component_template:shoplog@mappings:created',
      'index_template:logs-shoplog.transaction:created',
      'index_template:logs-shoplog.error:created',
      'index_template:logs-shoplog.user_behavior:created',
      'index_template:logs-shoplog.performance:created',
      'index_template:logs-shoplog.fraud:created',
      'index_template:logs-shoplog.log:created',
    ]);
    const mappings = cluster.stored.get('ct:shoplog@mappings')!['template']['mappings'];
    const p = mappings.properties;
    expect(mappings.dynamic).toBe(false);
    expect(p['@timestamp']).toEqual({ type: 'date_nanos' });
    expect(p.shop.properties.amount.properties.minor).toEqual({ type: 'long' });
    expect(p.shop.properties.amount.properties.value).toEqual({ type: 'scaled_float', scaling_factor: 10_000 });
    expect(p.client.properties.geo.properties.location.type).toBe('geo_point');
    expect(p.labels).toEqual({ type: 'flattened' });
    expect(p.message.type).toBe('text');
    expect(p.log.properties.level.type).toBe('keyword');
    expect(p.shop.properties.product.properties.name.type).toBe('search_as_you_type');
    const settings = cluster.stored.get('ct:shoplog@settings')!['template']['settings'];
    expect(settings.index.lifecycle.name).toBe('shoplog-logs');
    const tx = cluster.stored.get('it:logs-shoplog.transaction')!;
    expect(tx['index_patterns']).toEqual(['logs-shoplog.transaction-*']);
    expect(tx['data_stream']).toEqual({});
    expect(tx['priority']).toBeGreaterThan(100); // above the built-in logs-*-* template
    expect(tx['composed_of']).toEqual(['shoplog@settings', 'shoplog@mappings']);
    expect(tx['template']['mappings']['properties']['event']['properties']['dataset']).toEqual({
      type: 'constant_keyword',
      value: 'shoplog.transaction',
    });
    const policy = cluster.stored.get('ilm:shoplog-logs')!['policy'];
    expect(policy.phases.hot.actions.rollover).toMatchObject({ max_age: '1d' });
    expect(policy.phases.delete.min_age).toBe('30d');
  });

  it('is idempotent: a second start reads each resource and writes nothing', async () => {
    const cluster = statefulCluster();
    const first = await installEsResources(cluster.client);
    cluster.requests.length = 0;
    const steps = await installEsResources(cluster.client);
    // Every resource of the first run is read again and found unchanged (an empty list would prove nothing).
    expect(first.length).toBeGreaterThan(0);
    expect(steps.map((s) => s.action)).toEqual(first.map(() => 'unchanged'));
    expect(cluster.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('replaces a resource installed by an older version', async () => {
    const cluster = statefulCluster();
    await installEsResources(cluster.client);
    cluster.stored.get('ct:shoplog@mappings')!['version'] = ES_RESOURCES_VERSION - 1;
    const steps = await installEsResources(cluster.client);
    expect(steps.filter((s) => s.action !== 'unchanged')).toEqual([
      { kind: 'component_template', name: 'shoplog@mappings', action: 'updated' },
    ]);
  });

  it('fails loudly, naming the resource, when Elasticsearch rejects a mapping', async () => {
    const cluster = mockCluster();
    cluster.on('GET', '/_ilm/policy/:name', () => esError(404, 'resource_not_found_exception'));
    cluster.on('PUT', '/_ilm/policy/:name', () => ({ acknowledged: true }));
    cluster.on('GET', '/_component_template/:name', () => esError(404, 'resource_not_found_exception'));
    cluster.on('PUT', '/_component_template/:name', (r) =>
      r.path.includes('mappings')
        ? esError(400, 'mapper_parsing_exception', 'unknown parameter [scaling_factor]')
        : { acknowledged: true },
    );
    const failure = await installEsResources(cluster.client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EsInstallError);
    expect((failure as EsInstallError).resource).toBe('component template shoplog@mappings');
    expect((failure as EsInstallError).statusCode).toBe(400);
    expect((failure as Error).message).toMatch(/mapper_parsing_exception/);
    // Nothing after the failed resource was attempted.
    expect(cluster.requests.some((r) => r.path.startsWith('/_index_template'))).toBe(false);
  });

  it('does not mistake a refused read (401) for a missing resource', async () => {
    const cluster = mockCluster();
    cluster.on('GET', '/_ilm/policy/:name', () =>
      esError(401, 'security_exception', 'missing authentication credentials'),
    );
    cluster.on('PUT', '/_ilm/policy/:name', () => ({ acknowledged: true }));
    const failure = await installEsResources(cluster.client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EsInstallError);
    expect((failure as EsInstallError).statusCode).toBe(401);
    expect(cluster.requests.map((r) => r.method)).toEqual(['GET']);
  });
});
