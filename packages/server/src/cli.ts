#!/usr/bin/env node
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRedisRateLimiter } from './adapters/redis/rate-limiter.js';
import { createScaleOut } from './adapters/scale-out.js';
import { fromSharedRateLimiter } from './auth/rate-limit.js';
import { bootstrap } from './bootstrap.js';
import { OPS_COMMANDS, OPS_USAGE } from './cli-ops.js';
import { ingestAuthRequired, SETTINGS } from './config.js';
import { loadServerConfig } from './config-file.js';
import { scaleOutHealthCheck } from './health.js';
import { generateTraffic } from './generator.js';
import { createApiKey } from './http/admin-routes.js';
import { fileRecords, fileTypeOf, openUpload } from './ingest/file-records.js';
import { createIngestor } from './ingest/ingestor.js';
import { ingestLimitsOf } from './ingest/limits.js';
import { createServerFraudScorer } from './fraud.js';
import { sniffFileType } from './ingest/upload-job.js';
import type { KeyScope } from './ports.js';
import { DEMO_CHANNEL, withDemoChannel } from './notifications.js';
import { createServer } from './server.js';
import { createMemoryCache } from './store/memory-cache.js';
import { createSqliteLogStore } from './store/sqlite-log-store.js';
import { createSqliteMetaStore } from './store/sqlite-meta-store.js';

const USAGE = `usage: shoplog <command>
  serve [--demo]                               start the server (settings from SHOPLOG_* variables, see below)
  generate -n N [-o FILE] [--rate R] [--days D] write realistic NDJSON traffic (stdout without -o)
  keys create --scope ingest|read|metrics|admin [--name NAME]   create an API key (printed once)
  import FILE                                  ingest a JSON array, NDJSON or CSV file (gzip accepted)
${OPS_USAGE}

settings:
${SETTINGS.map((s) => `  ${s.env.padEnd(32)} ${s.default.padEnd(18)} ${s.description}`).join('\n')}`;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean', default: false } } });
  const { config: loaded, file, baseDir } = await loadServerConfig();
  // The demo prints its notifications on this console unless channels are configured (no network by default), and
  // runs GeoIP (with the database that installs with it) when it is installed and no plugin is configured.
  const geoip = values.demo && loaded.plugins.length === 0 && installed('@shoplog/plugin-geoip', baseDir);
  const config = values.demo
    ? { ...loaded, notifications: withDemoChannel(loaded.notifications), ...(geoip ? { plugins: ['@shoplog/plugin-geoip'] } : {}) }
    : loaded;
  // Scale-out stores from SHOPLOG_STORE / ELASTICSEARCH_URL / REDIS_URL / MONGODB_URL (none set: embedded stores).
  const retention = Object.entries(config.retentionByDataset).map(([kind, days]) => `${kind}=${days}`).join(',');
  const scaleOut = createScaleOut({ ...process.env, SHOPLOG_DATA_DIR: config.dataDir, SHOPLOG_RETENTION_DAYS: String(config.retentionDays), SHOPLOG_RETENTION_BY_DATASET: retention });
  await scaleOut.ready;
  // Limits shared by every instance when Redis is configured, with the windows of the settings.
  const redisUrl = process.env['REDIS_URL'];
  const keyPrefix = process.env['SHOPLOG_REDIS_PREFIX'] ?? 'shoplog:';
  const shared = redisUrl
    ? {
        auth: createRedisRateLimiter({ url: redisUrl, keyPrefix: `${keyPrefix}auth:`, limit: config.authRateLimit, windowMs: 60_000 }),
        ingest: createRedisRateLimiter({ url: redisUrl, keyPrefix: `${keyPrefix}ingest:`, limit: config.ingestRateLimit, windowMs: 1_000 }),
      }
    : undefined;
  const server = createServer({
    ...config,
    configDir: baseDir,
    stores: scaleOut.stores,
    ...(scaleOut.eventBus ? { eventBus: scaleOut.eventBus } : {}),
    health: scaleOutHealthCheck(() => scaleOut.health()),
    ...(scaleOut.velocity ? { velocity: scaleOut.velocity } : {}),
    ...(shared ? { rateLimiters: { auth: fromSharedRateLimiter(shared.auth), ingest: fromSharedRateLimiter(shared.ingest) } } : {}),
  });
  const setup = await bootstrap(server, { demo: values.demo });
  const url = await server.start();
  const lines = [`Shoplog is running: ${url}/  (API docs: ${url}/api/docs)`];
  if (file) lines.push(`Settings from ${file}.`);
  if (config.plugins.length > 0) lines.push(`Plugins: ${config.plugins.map((p) => (typeof p === 'string' ? p : p.module)).join(', ')}.`);
  else if (values.demo) lines.push('GeoIP is off: install @shoplog/plugin-geoip beside the config to fill client.geo from client.ip.');
  if (server.ingestPort !== null) {
    const auth = ingestAuthRequired(config) ? 'first line "AUTH <ingest key>" required' : 'no key required: SHOPLOG_INGEST_AUTH=off';
    lines.push(`TCP/UDP JSON-lines ingest on ${config.ingestHost}:${server.ingestPort} (${auth})`);
  }
  if (setup.demoEvents) lines.push(`Loaded ${setup.demoEvents} sample events (7 days).`);
  const channels = config.notifications.channels.map((c) => `${c.name} (${c.type})`);
  if (channels.length > 0) lines.push(`Notification channels: ${channels.join(', ')}${channels.length === 1 && config.notifications.channels[0]?.name === DEMO_CHANNEL ? ': alerts and fraud blocks are printed here' : ''}.`);
  if (setup.adminPassword) lines.push(`Admin login: admin / ${setup.adminPassword}   (shown once)`);
  if (setup.adminKey) lines.push(`Admin API key: ${setup.adminKey}   (shown once; Authorization: Bearer <key>)`);
  console.log(lines.join('\n'));
  const stop = (): void => {
    server
      .close()
      .then(() => Promise.all([shared?.auth.close(), shared?.ingest.close()]))
      .then(() => scaleOut.close())
      .then(() => process.exit(0), () => process.exit(1));
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

async function generate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { n: { type: 'string', short: 'n', default: '1000' }, o: { type: 'string', short: 'o' }, rate: { type: 'string' }, days: { type: 'string', default: '7' } },
  });
  const count = Number(values.n);
  const days = Number(values.days);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (!Number.isInteger(count) || count < 1) throw new Error('-n must be a positive integer');
  if (!Number.isFinite(days) || days <= 0) throw new Error('--days must be a positive number');
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0)) throw new Error('--rate must be a positive number of events per second');
  const out = values.o ? createWriteStream(values.o) : process.stdout;
  const started = Date.now();
  let written = 0;
  for (const event of generateTraffic({ count, days, seed: Date.now() % 1_000_000 })) {
    if (!out.write(`${JSON.stringify(event)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    written++;
    if (rate !== undefined) {
      const ahead = (written / rate) * 1000 - (Date.now() - started);
      if (ahead > 5) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  }
  if (values.o) await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
}

async function keys(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new Error('usage: shoplog keys create --scope ingest|read|metrics|admin [--name NAME]');
  const { values } = parseArgs({ args: rest, options: { scope: { type: 'string' }, name: { type: 'string', default: 'cli' } } });
  if (!['ingest', 'read', 'metrics', 'admin'].includes(values.scope ?? '')) throw new Error('--scope must be ingest, read, metrics or admin');
  const { config } = await loadServerConfig();
  const meta = createSqliteMetaStore({ path: join(config.dataDir, 'meta.db') });
  try {
    const key = await createApiKey(meta, values.name ?? 'cli', values.scope as KeyScope);
    console.log(key.key);
  } finally {
    await meta.close();
  }
}

async function importFile(args: string[]): Promise<void> {
  const [file] = args;
  if (!file) throw new Error('usage: shoplog import FILE');
  const { config } = await loadServerConfig();
  const logs = createSqliteLogStore({ path: join(config.dataDir, 'events.db'), synchronous: config.synchronous, indexNice: config.indexNice });
  const limits = ingestLimitsOf(config);
  const ingestor = createIngestor({
    logs,
    cache: createMemoryCache(),
    limits,
    ...(config.fraudScoring === 'on' ? { fraudScorer: createServerFraudScorer() } : {}),
  });
  const counts = { created: 0, duplicate: 0, error: 0 };
  const started = performance.now();
  const at = { stored: Number.NaN };
  try {
    const type = fileTypeOf(file) ?? (await sniffFileType(file));
    let batch: unknown[] = [];
    // The NDJSON lines as read: a valid event is stored as is, not serialized again (as the HTTP bulk ingest does).
    let texts: (string | undefined)[] = [];
    const flush = async (): Promise<void> => {
      for (const item of await ingestor.ingest(batch, texts)) counts[item.result]++;
      batch = [];
      texts = [];
    };
    for await (const record of fileRecords(await openUpload(file), type, limits.maxLineLength)) {
      if ('error' in record) {
        counts.error++;
        console.error(`line ${record.line}: ${record.error}`);
        continue;
      }
      batch.push(record.value);
      texts.push(record.text);
      if (batch.length >= 5000) await flush();
    }
    await flush();
    at.stored = performance.now();
  } finally {
    await logs.close();
  }
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  const rate = Math.round((counts.created + counts.duplicate) / ((at.stored - started) / 1000));
  console.log(`imported ${file}: ${counts.created} created, ${counts.duplicate} duplicates, ${counts.error} rejected`);
  console.log(`stored in ${seconds(at.stored - started)} s (${rate} events/s), indexed ${seconds(performance.now() - at.stored)} s later`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === 'serve') return serve(args);
  if (command === 'generate') return generate(args);
  if (command === 'keys') return keys(args);
  if (command === 'import') return importFile(args);
  const ops = command !== undefined && Object.hasOwn(OPS_COMMANDS, command) ? OPS_COMMANDS[command] : undefined;
  if (ops) return ops(args);
  console.log(USAGE);
  if (command && command !== 'help' && command !== '--help') process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`shoplog: ${error.message}`);
  process.exit(1);
});
