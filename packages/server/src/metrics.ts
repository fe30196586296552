import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DiskGuard } from './disk-guard.js';
import type { Ingestor } from './ingest/ingestor.js';
import type { LogStore } from './ports.js';

/** The database files whose size `/metrics` reports (`shoplog_store_bytes{file}`), each with its WAL. */
const STORE_FILES = ['events.db', 'events.index.db', 'events.timeline.db', 'meta.db'];

/** Routes whose 4xx/5xx answers count as ingest rejects, and the reason each status stands for. */
const INGEST_ROUTES = new Set([
  '/api/logs/ingest',
  '/api/logs/_bulk',
  '/api/logs/upload',
  '/_bulk',
  '/:index/_bulk',
  '/v1/logs',
]);
const REJECT_REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'store_unavailable',
  507: 'insufficient_storage',
};
const AUTH_REASONS: Record<number, string> = { 401: 'unauthenticated', 403: 'forbidden' };

/** The server's Prometheus metrics (prom-client), served at `GET /metrics`. */
export interface ServerMetrics {
  /** The registry (`/metrics` renders it); plugins may register their own metrics in it. */
  readonly registry: Registry;
  /** Counts a plugin failure (the hook the plugin framework reports through): `shoplog_plugin_failures_total{plugin}`. */
  pluginFailure(plugin: string): void;
  /** Counts events deleted by retention. */
  expired(count: number): void;
  /** Counts events erased on request. */
  erased(count: number): void;
}

/** What the metrics read at each scrape. */
export interface MetricsSources {
  logs: LogStore;
  /** The data folder of the embedded stores (file sizes), when they are used. */
  dataDir?: string | undefined;
  disk?: DiskGuard | undefined;
}

/** Creates the registry with the server's metrics and the process's default ones (prefix `shoplog_`). */
export function createServerMetrics(sources: MetricsSources): ServerMetrics & {
  observeIngest(items: readonly { result: string }[]): void;
  hook(app: FastifyInstance): void;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shoplog_' });
  const ingested = new Counter({
    name: 'shoplog_ingest_events_total',
    help: 'Events received by ingest, by result (created, duplicate, error).',
    labelNames: ['result'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'shoplog_ingest_rejected_requests_total',
    help: 'Ingest requests answered with an error, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'shoplog_auth_failures_total',
    help: 'Requests refused for missing, wrong or insufficient credentials.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'shoplog_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const plugins = new Counter({
    name: 'shoplog_plugin_failures_total',
    help: 'Plugin failures, by plugin.',
    labelNames: ['plugin'],
    registers: [registry],
  });
  const expired = new Counter({
    name: 'shoplog_retention_deleted_events_total',
    help: 'Events deleted by retention.',
    registers: [registry],
  });
  const erased = new Counter({
    name: 'shoplog_erased_events_total',
    help: 'Events erased on request (GDPR art. 17).',
    registers: [registry],
  });
  new Gauge({
    name: 'shoplog_index_lag_events',
    help: 'Stored events not yet searchable, per indexer.',
    labelNames: ['part'],
    registers: [registry],
    collect() {
      this.reset();
      const status = sources.logs.indexStatus?.();
      for (const part of status?.parts ?? [])
        this.set({ part: part.name }, Math.max(0, status!.committed - part.indexed));
    },
  });
  new Gauge({
    name: 'shoplog_store_bytes',
    help: 'Size of each database file of the data folder, its WAL included.',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      this.reset();
      if (!sources.dataDir) return;
      for (const file of STORE_FILES) {
        let bytes = 0;
        let found = false;
        for (const suffix of ['', '-wal']) {
          try {
            bytes += statSync(join(sources.dataDir, file + suffix)).size;
            found = true;
          } catch {
            // absent
          }
        }
        if (found) this.set({ file }, bytes);
      }
    },
  });
  new Gauge({
    name: 'shoplog_disk_free_bytes',
    help: "Free bytes on the data folder's disk (as last measured by the disk guard).",
    registers: [registry],
    collect() {
      const free = sources.disk?.state.freeBytes;
      if (free !== undefined) this.set(free);
    },
  });
  new Gauge({
    name: 'shoplog_ingest_paused',
    help: '1 while the disk guard refuses ingest (low free space, full or read-only disk), else 0.',
    registers: [registry],
    collect() {
      this.set(sources.disk && sources.disk.state.status !== 'ok' ? 1 : 0);
    },
  });
  return {
    registry,
    pluginFailure: (plugin) => plugins.inc({ plugin }),
    expired: (count) => expired.inc(count),
    erased: (count) => erased.inc(count),
    observeIngest(items) {
      const counts: Record<string, number> = {};
      for (const item of items) counts[item.result] = (counts[item.result] ?? 0) + 1;
      for (const [result, count] of Object.entries(counts)) ingested.inc({ result }, count);
    },
    hook(app) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        const status = reply.statusCode;
        duration.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
        const auth = AUTH_REASONS[status];
        if (auth) authFailures.inc({ reason: auth });
        if (status === 429 && route === '/api/auth/login') authFailures.inc({ reason: 'login_rate_limited' });
        if (status >= 400 && INGEST_ROUTES.has(route))
          rejected.inc({ reason: REJECT_REASONS[status] ?? String(status) });
      });
    },
  };
}

/** The ingest path with its results counted (`shoplog_ingest_events_total`), for every transport. */
export function countedIngestor(
  ingestor: Ingestor,
  metrics: { observeIngest(items: readonly { result: string }[]): void },
): Ingestor {
  const counted = Object.create(ingestor) as Ingestor;
  counted.ingest = async (...args) => {
    const items = await ingestor.ingest(...args);
    metrics.observeIngest(items);
    return items;
  };
  counted.ingestLines = async (...args) => {
    const items = await ingestor.ingestLines(...args);
    metrics.observeIngest(items);
    return items;
  };
  return counted;
}
