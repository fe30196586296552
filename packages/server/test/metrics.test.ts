/**
 * `GET /metrics` scraped with a real HTTP request by a key of the `metrics` scope, the text exposition format
 * parsed line by line: ingest results and rejects, per-route latency histograms, auth failures, index lag, store
 * size, process metrics and the plugin-failure hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, txEvent, type TestServer } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (0.0.4): `# HELP`/`# TYPE` comments and `name{labels} value` samples. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

let t: TestServer;
let metricsKey = '';
beforeAll(async () => {
  t = await startTestServer();
  const res = await t.call('/api/keys', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'prometheus', scope: 'metrics' }),
  });
  expect(res.status).toBe(201);
  metricsKey = ((await res.json()) as { key: string }).key;
});
afterAll(() => t.close());

describe('GET /metrics', () => {
  it('needs a metrics (or admin) key', async () => {
    expect((await t.call('/metrics', { key: null })).status).toBe(401);
    expect((await t.call('/metrics', { key: t.keys.read })).status).toBe(403);
    expect((await t.call('/metrics', { key: t.keys.ingest })).status).toBe(403);
    expect((await t.call('/metrics')).status).toBe(200);
    // A metrics key reads nothing else.
    expect((await t.call('/api/search/', { key: metricsKey })).status).toBe(403);
  });

  it('exposes ingest, rejects, latency histograms, auth failures, index lag, store size and the plugin hook', async () => {
    const events = Array.from({ length: 7 }, (_, i) => txEvent({ message: `metered ${i}` }));
    const body = [...events.map((e) => JSON.stringify(e)), '{"not": "an event"}'].join('\n');
    expect((await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body })).status).toBe(200);
    const invalid = await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    expect(invalid.status).toBe(400);
    expect((await t.call('/api/logs/_bulk', { key: null, method: 'POST', body })).status).toBe(401);
    await t.read('/api/search/?q=metered&range=24h');
    expect((await t.call('/api/keys', { key: t.keys.read })).status).toBe(403);
    t.server.metrics.pluginFailure('geo-lookup');

    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${metricsKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(await res.text());

    expect(value(samples, 'shoplog_ingest_events_total', { result: 'created' })).toBe(7);
    expect(value(samples, 'shoplog_ingest_events_total', { result: 'error' })).toBe(2);
    expect(value(samples, 'shoplog_ingest_rejected_requests_total', { reason: 'invalid' })).toBe(1);
    expect(value(samples, 'shoplog_ingest_rejected_requests_total', { reason: 'unauthorized' })).toBe(1);
    expect(types.get('shoplog_http_request_duration_seconds')).toBe('histogram');
    const search = { method: 'GET', route: '/api/search/', status: '200' };
    expect(value(samples, 'shoplog_http_request_duration_seconds_count', search)).toBe(1);
    expect(value(samples, 'shoplog_http_request_duration_seconds_bucket', { ...search, le: '+Inf' })).toBe(1);
    expect(value(samples, 'shoplog_http_request_duration_seconds_sum', search)).toBeGreaterThan(0);
    expect(value(samples, 'shoplog_auth_failures_total', { reason: 'unauthenticated' })).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'shoplog_auth_failures_total', { reason: 'forbidden' })).toBeGreaterThanOrEqual(4);
    for (const part of ['facts', 'timeline'])
      expect(value(samples, 'shoplog_index_lag_events', { part })).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'shoplog_store_bytes', { file: 'events.db' })).toBeGreaterThan(0);
    expect(value(samples, 'shoplog_store_bytes', { file: 'meta.db' })).toBeGreaterThan(0);
    expect(value(samples, 'shoplog_disk_free_bytes')).toBeGreaterThan(0);
    expect(value(samples, 'shoplog_ingest_paused')).toBe(0);
    expect(value(samples, 'shoplog_plugin_failures_total', { plugin: 'geo-lookup' })).toBe(1);
    expect(value(samples, 'shoplog_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
