import Fastify, { type FastifyInstance } from 'fastify';
import {
  createMemoryFraudStateStore,
  OptionsError,
  parseOptions,
  pluginReady,
  pluginStages,
  type FraudScorer,
  type FraudStateStore,
  type ShoplogPlugin,
  type VelocityStore,
} from '@shoplog/core';
import { join } from 'node:path';
import { editAlertRule, evaluateAlertRules, type AlertRuleChange } from './alerts.js';
import { createRateLimiter, type ServerRateLimiters } from './auth/rate-limit.js';
import { createSessionManager } from './auth/sessions.js';
import {
  ingestAuthRequired,
  isLoopbackHost,
  ServerConfigSchema,
  type ServerConfig,
  type ServerConfigInput,
} from './config.js';
import { createDiskGuard, guardAppends, type DiskGuard } from './disk-guard.js';
import { healthReport, type HealthCheck } from './health.js';
import { createIngestor, type IngestItem } from './ingest/ingestor.js';
import { ingestLimitsOf } from './ingest/limits.js';
import { createServerFraudScorer, scorerWhenLoaded } from './fraud.js';
import { loadRulePlugins, type RulePlugin } from './fraud-rules.js';
import { createBacktests } from './fraud-backtest.js';
import { createFraudLearning } from './fraud-learning.js';
import { createLineAuth } from './ingest/line-auth.js';
import { startSocketIngest, type SocketIngest } from './ingest/socket-ingest.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerAlertRoutes } from './http/alert-routes.js';
import { registerAnalyticsRoutes } from './http/analytics-routes.js';
import { registerFraudRoutes } from './http/fraud-routes.js';
import { registerFraudLearningRoutes } from './http/fraud-learning-routes.js';
import { registerAuthRoutes } from './http/auth.js';
import type { ServerContext } from './http/context.js';
import { registerDocsRoutes } from './http/docs-routes.js';
import { createRouteCatalog } from './http/openapi.js';
import { useZodSchemas } from './http/route-schema.js';
import { registerEsBulkRoutes } from './http/es-bulk-routes.js';
import { createEsRoot } from './http/es-compat.js';
import { registerEsStartupRoutes } from './http/es-startup-routes.js';
import { registerOtlpRoutes } from './http/otlp-routes.js';
import { registerErasureRoutes } from './http/erasure-routes.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { HttpError, installErrorHandler } from './http/errors.js';
import { registerLogRoutes } from './http/logs-routes.js';
import { registerSearchRoutes } from './http/search-routes.js';
import { registerUploadRoutes } from './http/upload-routes.js';
import { registerWeb } from './http/web.js';
import { countedIngestor, createServerMetrics, type ServerMetrics } from './metrics.js';
import { createServerNotifications } from './notifications.js';
import { channelHealth, processorHealth, serverPluginLoader } from './plugins.js';
import type { AlertRuleRecord, Cache, LogStore, MetaStore } from './ports.js';
import { startRetention, type Retention } from './retention.js';
import { createMemoryCache } from './store/memory-cache.js';
import { withEventBus, type EventBus } from './event-bus.js';
import { createSqliteLogStore } from './store/sqlite-log-store.js';
import { createSqliteMetaStore } from './store/sqlite-meta-store.js';

/** Package version, reported by `/health` and the OpenAPI document. */
export const VERSION = '0.0.0';

/** The stores a server runs on. */
export interface ServerStores {
  logs: LogStore;
  meta: MetaStore;
  cache: Cache;
}

/** Options of `createServer`: the settings, and optionally the stores (default: the embedded ones in `dataDir`). */
export interface ServerOptions extends ServerConfigInput {
  /** Stores to use instead of the embedded ones (scale-out adapters). The server closes them on `close()`. */
  stores?: Partial<ServerStores>;
  /** Checks the scale-out dependencies (`scaleOutHealthCheck(scaleOut.health)`); stores it does not cover are probed directly. */
  health?: HealthCheck;
  /** The live tail across instances (`scaleOut.eventBus`): wraps the log store; closed with it. @default this process only */
  eventBus?: EventBus;
  /** Fraud velocity shared by instances (`scaleOut.velocity`); the caller closes it. @default in-process memory */
  velocity?: VelocityStore;
  /** Fraud profiles, entity links and shop-wide signals shared by instances (`scaleOut.fraudState`); the caller closes it. @default in-process memory */
  fraudState?: FraudStateStore;
  /** Limiters replacing the in-process ones (`fromSharedRateLimiter(createRedisRateLimiter(…))`); the caller closes them. */
  rateLimiters?: ServerRateLimiters;
  /**
   * Scorer of ingested transactions without a client verdict (used when `fraudScoring` is on) and of
   * `POST /api/fraud/detect`, instead of the server's own (then `velocity` and `fraudState` are not used, an erasure
   * cannot reach the profiles it keeps, and the `fraudRules` setting must be empty).
   * @default core's learned model and rules over `velocity` and `fraudState`
   */
  fraudScorer?: FraudScorer;
  /**
   * Processors run on every ingested event before it is stored and scored, e.g. `createGeoIpProcessor()` of
   * `@shoplog/plugin-geoip`, so fraud scoring reads the country of the IP rather than the one the client claimed.
   * The server flushes and closes them on `close()`. @default []
   */
  processors?: readonly ShoplogPlugin[];
  /** Folder that relative paths in `plugins` are resolved against, and whose `node_modules` is searched first (the config file's). @default process.cwd() */
  configDir?: string;
  /** Current time in epoch ms for web session expiry, alert evaluation and notifications (tests move it instead of sleeping). @default Date.now */
  clock?: () => number;
}

/** A created server. */
export interface ShoplogServer {
  app: FastifyInstance;
  config: ServerConfig;
  stores: ServerStores;
  /** The Prometheus metrics served at `GET /metrics`; plugins report failures through `pluginFailure`. */
  metrics: ServerMetrics;
  /** Starts HTTP (and TCP/UDP ingest unless `ingestPort` is -1); resolves with the HTTP URL. */
  start(): Promise<string>;
  /** Stops listening, drains pending ingests and closes the stores. Idempotent. */
  close(): Promise<void>;
  /** The HTTP URL once started. */
  readonly url: string;
  /** The TCP/UDP ingest port once started (`null` when off). */
  readonly ingestPort: number | null;
  /**
   * Ingests events in-process exactly as the ingest routes do (limits, the processors and plugins, fraud scoring,
   * storage); resolves with one item per input once the valid ones are committed.
   */
  ingest(inputs: readonly unknown[]): Promise<IngestItem[]>;
}

/** Creates the reference server: Fastify routes over the storage ports, TCP/UDP ingest and the alert evaluator. */
export function createServer(options: ServerOptions = {}): ShoplogServer {
  const {
    stores: given,
    eventBus,
    health,
    velocity,
    fraudState,
    rateLimiters,
    fraudScorer,
    processors,
    configDir,
    clock,
    ...settings
  } = options;
  const config = parseOptions('createServer', ServerConfigSchema, settings);
  if (fraudScorer && config.fraudRules.length > 0) {
    throw new OptionsError(
      "createServer: fraudRules: rule plugins run in the server's own scorer; give them to your fraudScorer instead",
    );
  }
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // X-Forwarded-For is believed only from the configured reverse proxies (the login limits key on the client IP).
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // close() must not wait for a browser's idle keep-alive or pre-connected socket.
    forceCloseConnections: true,
  });
  const now = clock ?? Date.now;
  const loader = serverPluginLoader(configDir ?? process.cwd(), (message) => app.log.warn(message));
  const notifications = createServerNotifications({
    settings: config.notifications,
    // The stores are opened below, once everything that can refuse the settings has run (nothing to close then).
    meta: { addNotification: (record, keep) => stores.meta.addNotification(record, keep) },
    log: { warn: (message) => app.log.warn(message), error: (details, message) => app.log.error(details, message) },
    loader,
    now,
  });
  const stores: ServerStores = {
    logs:
      given?.logs ??
      createSqliteLogStore({
        path: join(config.dataDir, 'events.db'),
        synchronous: config.synchronous,
        indexNice: config.indexNice,
        readers: config.readers,
      }),
    meta: given?.meta ?? createSqliteMetaStore({ path: join(config.dataDir, 'meta.db') }),
    cache: given?.cache ?? createMemoryCache(),
  };
  if (eventBus) stores.logs = withEventBus(stores.logs, eventBus);
  // The embedded store's folder is watched: below the floor (or read-only) ingest answers 507, queries go on.
  const disk: DiskGuard | undefined = given?.logs
    ? undefined
    : createDiskGuard({
        dir: config.dataDir,
        minFreeBytes: config.minFreeDiskMb * 1_048_576,
        onChange: (state) => app.log.warn({ disk: state }, 'data folder disk'),
      });
  // One scorer for ingest and `POST /api/fraud/detect`, so both build the same state; a store gone is said once.
  const profiles = fraudScorer ? undefined : (fraudState ?? createMemoryFraudStateStore());
  const metrics = createServerMetrics({
    logs: stores.logs,
    dataDir: given?.logs && given.meta ? undefined : config.dataDir,
    disk,
  });
  // Rule plugins load now: the scorer is made once they are (scoring waits for it, and so does `start()`).
  const rulePlugins: RulePlugin[] = [];
  const ownScorer = (extraRules: RulePlugin[]): FraudScorer =>
    createServerFraudScorer({
      velocity,
      profiles,
      extraRules: extraRules.map((plugin) => plugin.rule),
      onFailure: (message) =>
        app.log.error(`fraud scoring is failing (${message}): transactions are judged "review" until it recovers`),
      onRecovery: () => app.log.warn('fraud scoring recovered'),
    });
  const loadingScorer =
    fraudScorer || config.fraudRules.length === 0
      ? undefined
      : loadRulePlugins(config.fraudRules, {
          loader,
          onRefused: (message) =>
            app.log.error(`${message}: transactions are judged "review" (SCORER_ERROR) until it is fixed`),
          onFailure: (plugin) => metrics.pluginFailure(plugin),
        }).then((loaded) => {
          rulePlugins.push(...loaded);
          return ownScorer(loaded);
        });
  const scorer = fraudScorer ?? (loadingScorer ? scorerWhenLoaded(loadingScorer) : ownScorer([]));
  // Plugins named in the settings run after the given processors; they load now, and `start()` waits for them.
  const configured = pluginStages(config.plugins, loader);
  const allProcessors = [...(processors ?? []), ...configured];
  const ingestor = countedIngestor(
    createIngestor({
      logs: disk ? guardAppends(stores.logs, disk) : stores.logs,
      cache: stores.cache,
      limits: ingestLimitsOf(config),
      ...(config.fraudScoring === 'on'
        ? { fraudScorer: scorer, onFraudEvents: (events) => notifications.fraudScored(events) }
        : {}),
      processors: allProcessors,
      onProcessorError: (error, info) => {
        metrics.pluginFailure(info.plugin);
        app.log.warn({ err: error, plugin: info.plugin }, `processor ${info.plugin} failed on an event`);
      },
    }),
    metrics,
  );
  // One evaluation at a time (timer and `POST /api/alerts/evaluate`), so a state change is seen, and notified, once.
  // Edits of a rule take their turn in the same queue, so an evaluation never writes back a rule edited meanwhile.
  let evaluating: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(job: () => Promise<T>): Promise<T> => {
    const run = evaluating.then(job);
    evaluating = run.catch(() => undefined);
    return run;
  };
  const fraudLearning = createFraudLearning({
    logs: stores.logs,
    meta: stores.meta,
    scorer,
    warn: (message) => app.log.warn(message),
    now,
  });
  const backtests = createBacktests({
    logs: stores.logs,
    meta: stores.meta,
    onError: (error) => app.log.error({ err: error }, 'fraud backtest failed'),
  });
  const evaluateAlerts = (): Promise<AlertRuleRecord[]> =>
    inTurn(() => evaluateAlertRules(stores.logs, stores.meta, now(), notifications.alertChanged));
  const editRule = (id: string, change: AlertRuleChange) =>
    inTurn(() => editAlertRule(stores.meta, id, change, now(), notifications.alertChanged));
  let sockets: SocketIngest | undefined;
  const kinds = {
    logs: given?.logs ? 'other' : 'sqlite',
    meta: given?.meta ? 'other' : 'sqlite',
    cache: given?.cache ? 'other' : 'memory',
    velocity: velocity ? 'other' : 'memory',
  } as const;
  const ctx: ServerContext = {
    config,
    ...stores,
    ingestor,
    version: VERSION,
    velocity,
    fraudState: profiles,
    fraudScorer: scorer,
    fraudLearning,
    backtests,
    // One ingest budget per key across the ingest routes (Shoplog, Elasticsearch bulk, OTLP).
    rateLimiters: { ...rateLimiters, ingest: rateLimiters?.ingest ?? createRateLimiter(config.ingestRateLimit, 1000) },
    sessions: createSessionManager({
      meta: stores.meta,
      idleMs: config.sessionIdleMinutes * 60_000,
      maxMs: config.sessionMaxHours * 3_600_000,
      ...(clock ? { now: clock } : {}),
    }),
    health: async () => {
      const report = await healthReport({ stores, kinds, check: health, disk: disk?.state });
      const plugins = [
        ...ingestor.processorStats().map(({ stage, stats }) => processorHealth(stage, stats)),
        ...rulePlugins.map((plugin) => plugin.health()),
        ...notifications.channels().map((channel) => channelHealth(channel)),
      ];
      // A plugin skipped by its breaker changes what is stored (no enrichment), a refused one how it is judged: faults to see.
      const status =
        report.status === 'ok' && plugins.some((p) => p.state === 'open' || p.state === 'refused')
          ? 'degraded'
          : report.status;
      return { ...report, status, plugins, ...(sockets ? { ingest: await sockets.stats() } : {}) };
    },
    metrics,
    notifications,
    evaluateAlerts,
    editAlertRule: editRule,
  };

  installErrorHandler(app);
  // Before any route: zod is the schema language of the routes, and the OpenAPI document is generated from them.
  useZodSchemas(app);
  const catalog = createRouteCatalog(app);
  metrics.hook(app);
  // An empty body with a JSON content type (common on DELETE) is "no body", not a 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpError(400, 'bad_json', `the body is not JSON: ${(error as Error).message}`), undefined);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    const origin = request.headers.origin;
    if (origin && config.corsOrigins.includes(origin)) {
      void reply.header('access-control-allow-origin', origin);
      void reply.header('vary', 'Origin');
      void reply.header(
        'access-control-allow-headers',
        'authorization, content-type, x-api-key, x-csrf-token, content-encoding',
      );
      void reply.header('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
    }
    return payload;
  });
  if (config.corsOrigins.length > 0) {
    app.options('/*', async (request, reply) => {
      const origin = request.headers.origin;
      return reply.code(origin && config.corsOrigins.includes(origin) ? 204 : 403).send();
    });
  }
  app.get('/health', { schema: { summary: 'Health check', permission: 'public' } }, async () => ({
    status: 'healthy',
    service: 'shoplog',
    version: VERSION,
  }));
  registerAuthRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerUploadRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerAnalyticsRoutes(app, ctx);
  registerFraudRoutes(app, ctx);
  registerFraudLearningRoutes(app, ctx);
  registerAlertRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerErasureRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  registerDocsRoutes(app, catalog, VERSION);
  registerEsBulkRoutes(app, ctx);
  registerEsStartupRoutes(app, ctx);
  registerOtlpRoutes(app, ctx);
  registerWeb(app, { rootApi: createEsRoot(ctx) });

  let url = '';
  let alertTimer: NodeJS.Timeout | undefined;
  let refitTimer: NodeJS.Timeout | undefined;
  let retention: Retention | undefined;
  let closing: Promise<void> | undefined;

  return {
    app,
    config,
    stores,
    metrics,
    get url() {
      return url;
    },
    get ingestPort() {
      return sockets?.tcpPort ?? null;
    },
    ingest: (inputs) => ingestor.ingest(inputs),
    async start() {
      // A channel with wrong options, or a plugin that cannot be loaded, stops the start, naming it.
      await notifications.ready();
      await Promise.all(configured.map((stage) => pluginReady(stage)));
      await loadingScorer;
      // The active fraud model version survives a restart; a broken record is reported, never a failed start.
      await fraudLearning
        .restore()
        .catch((error: unknown) => app.log.error({ err: error }, 'could not restore the active fraud model'));
      const address = await app.listen({ host: config.host, port: config.port });
      url = address.replace('[::1]', 'localhost');
      if (config.ingestPort >= 0) {
        const required = ingestAuthRequired(config);
        if (!required && !isLoopbackHost(config.ingestHost)) {
          app.log.warn(
            `TCP/UDP ingest on ${config.ingestHost} accepts lines without a key (SHOPLOG_INGEST_AUTH=off): anyone who can reach it can write events`,
          );
        }
        const auth = createLineAuth({
          meta: stores.meta,
          required,
          onRefused: (reason, count) =>
            app.log.warn(
              `TCP/UDP ingest refused ${count} connection(s) or datagram(s) since its last report, the latest: ${reason}`,
            ),
        });
        sockets = await startSocketIngest(
          ingestor,
          config.ingestHost,
          config.ingestPort,
          (error) => app.log.error({ err: error }, 'socket ingest failed'),
          {
            auth,
            udpReceiveBufferBytes: config.udpReceiveBuffer,
          },
        );
      }
      alertTimer = setInterval(() => {
        evaluateAlerts().catch((error: Error) => app.log.error({ err: error }, 'alert evaluation failed'));
      }, config.alertIntervalSeconds * 1000);
      alertTimer.unref();
      if (config.fraudRefitHours > 0) {
        refitTimer = setInterval(() => {
          fraudLearning
            .scheduledRefit()
            .catch((error: unknown) => app.log.error({ err: error }, 'scheduled fraud model refit failed'));
        }, config.fraudRefitHours * 3_600_000);
        refitTimer.unref();
      }
      retention = startRetention({
        logs: stores.logs,
        policy: { days: config.retentionDays, byDataset: config.retentionByDataset },
        onDeleted: (count) => {
          metrics.expired(count);
          void stores.cache.invalidatePrefix('q:').catch(() => {});
        },
        onError: (error) => app.log.error({ err: error }, 'retention failed'),
      });
      return url;
    },
    close() {
      closing ??= (async () => {
        if (alertTimer) clearInterval(alertTimer);
        if (refitTimer) clearInterval(refitTimer);
        disk?.close();
        retention?.stop();
        await sockets?.close();
        await app.close();
        await evaluating;
        await backtests.close();
        await notifications.close();
        await ingestor.close();
        await stores.logs.close();
        await stores.meta.close();
        await stores.cache.close();
      })();
      return closing;
    },
  };
}
