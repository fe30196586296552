import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createScaleOut } from '../adapters/scale-out.js';
import { fromSharedRateLimiter } from '../auth/rate-limit.js';
import { bootstrap } from '../bootstrap.js';
import { ingestAuthRequired } from '../config.js';
import { DEMO_CHANNEL, withDemoChannel } from '../notifications.js';
import { scaleOutHealthCheck } from '../health.js';
import { createServer } from '../server.js';
import { lockDataDir } from './data-dir-lock.js';
import { loadCliConfig, type CliArgs } from './args.js';

/** `shoplog serve`: starts the server on a data folder no other shoplog process holds. */
export async function serve(args: CliArgs): Promise<void> {
  const { config: loaded, file, baseDir } = await loadCliConfig(args);
  const demo = args.values.demo === true;
  // The demo prints its notifications on this console unless channels are configured (no network by default), and
  // runs GeoIP (with the database that installs with it) when it is installed and no plugin is configured.
  const geoip = demo && loaded.plugins.length === 0 && installed('@shoplog/plugin-geoip', baseDir);
  const config = demo
    ? {
        ...loaded,
        notifications: withDemoChannel(loaded.notifications),
        ...(geoip ? { plugins: ['@shoplog/plugin-geoip'] } : {}),
      }
    : loaded;
  const lock = lockDataDir(resolve(config.dataDir), 'serve');
  // Scale-out stores from SHOPLOG_STORE / ELASTICSEARCH_URL / REDIS_URL / MONGODB_URL (none set: embedded stores).
  const retention = Object.entries(config.retentionByDataset)
    .map(([kind, days]) => `${kind}=${days}`)
    .join(',');
  const scaleOut = await createScaleOut({
    ...process.env,
    SHOPLOG_DATA_DIR: config.dataDir,
    SHOPLOG_RETENTION_DAYS: String(config.retentionDays),
    SHOPLOG_RETENTION_BY_DATASET: retention,
  });
  await scaleOut.ready;
  // Limits shared by every instance when Redis is configured, with the windows of the settings.
  const redisUrl = process.env['REDIS_URL'];
  const keyPrefix = process.env['SHOPLOG_REDIS_PREFIX'] ?? 'shoplog:';
  let shared:
    | {
        auth: ReturnType<typeof fromSharedRateLimiter>;
        ingest: ReturnType<typeof fromSharedRateLimiter>;
        close(): Promise<unknown>;
      }
    | undefined;
  if (redisUrl) {
    // createScaleOut has loaded ioredis (or said which package to install) by now.
    const { createRedisRateLimiter } = await import('../adapters/redis/rate-limiter.js');
    const auth = createRedisRateLimiter({
      url: redisUrl,
      keyPrefix: `${keyPrefix}auth:`,
      limit: config.authRateLimit,
      windowMs: 60_000,
    });
    const ingest = createRedisRateLimiter({
      url: redisUrl,
      keyPrefix: `${keyPrefix}ingest:`,
      limit: config.ingestRateLimit,
      windowMs: 1_000,
    });
    shared = {
      auth: fromSharedRateLimiter(auth),
      ingest: fromSharedRateLimiter(ingest),
      close: () => Promise.all([auth.close(), ingest.close()]),
    };
  }
  const server = createServer({
    ...config,
    configDir: baseDir,
    stores: scaleOut.stores,
    ...(scaleOut.eventBus ? { eventBus: scaleOut.eventBus } : {}),
    health: scaleOutHealthCheck(() => scaleOut.health()),
    ...(scaleOut.velocity ? { velocity: scaleOut.velocity } : {}),
    ...(scaleOut.fraudState ? { fraudState: scaleOut.fraudState } : {}),
    ...(shared ? { rateLimiters: { auth: shared.auth, ingest: shared.ingest } } : {}),
  });
  const setup = await bootstrap(server, { demo });
  const url = await server.start();
  lock.setUrl(url);
  const lines = [`Shoplog is running: ${url}/  (API docs: ${url}/api/docs)`];
  if (file) lines.push(`Settings from ${file}.`);
  if (config.plugins.length > 0)
    lines.push(`Plugins: ${config.plugins.map((p) => (typeof p === 'string' ? p : p.module)).join(', ')}.`);
  else if (demo)
    lines.push('GeoIP is off: install @shoplog/plugin-geoip beside the config to fill client.geo from client.ip.');
  if (server.ingestPort !== null) {
    const auth = ingestAuthRequired(config)
      ? 'first line "AUTH <ingest key>" required'
      : 'no key required: SHOPLOG_INGEST_AUTH=off';
    lines.push(`TCP/UDP JSON-lines ingest on ${config.ingestHost}:${server.ingestPort} (${auth})`);
  }
  if (setup.demoEvents) lines.push(`Loaded ${setup.demoEvents} sample events (7 days).`);
  const channels = config.notifications.channels.map((c) => `${c.name} (${c.type ?? c.module})`);
  if (channels.length > 0)
    lines.push(
      `Notification channels: ${channels.join(', ')}${channels.length === 1 && config.notifications.channels[0]?.name === DEMO_CHANNEL ? ': alerts and fraud blocks are printed here' : ''}.`,
    );
  if (setup.adminPassword) lines.push(`Admin login: admin / ${setup.adminPassword}   (shown once)`);
  if (setup.adminKey) lines.push(`Admin API key: ${setup.adminKey}   (shown once; Authorization: Bearer <key>)`);
  lines.push(
    `Data folder: ${resolve(config.dataDir)}  (an ingest key for your app: shoplog keys create --scope ingest --data-dir ${resolve(config.dataDir)})`,
  );
  console.log(lines.join('\n'));
  const stop = (): void => {
    server
      .close()
      .then(() => shared?.close())
      .then(() => scaleOut.close())
      .finally(() => lock.release())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Whether a package can be resolved from `dir` or from the server itself. */
function installed(name: string, dir: string): boolean {
  for (const from of [`${dir}/shoplog.config.js`, import.meta.url]) {
    try {
      createRequire(from).resolve(name);
      return true;
    } catch {
      // not there
    }
  }
  return false;
}
