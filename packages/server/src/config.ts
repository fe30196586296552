import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { PluginSpecSchema } from '@shoplog/core';
import { NOTIFIERS } from '@shoplog/plugin-notify';
import { z } from 'zod';
import { DEFAULT_INGEST_LIMITS } from './ingest/limits.js';
import { OptionsError, parseOptions } from '@shoplog/core';
import { RetentionOverridesSchema } from './retention.js';

const port = z.coerce.number().int().min(0).max(65_535);
const positive = z.coerce.number().int().positive();
/** A comma-separated list (from the environment) or an array (from the config file) of `item`. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((entry) => entry.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );

/** An IP address, a CIDR range (`10.0.0.0/8`) or one of proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`). */
const proxyAddress = z.string().refine((value) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}, 'must be an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal');

/** A channel name alert rules refer to. */
const channelName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lower-case letters, digits, - or _');

/**
 * Notification channels and how they are shared (`notifications`, `SHOPLOG_NOTIFICATIONS` as JSON). A channel's
 * `type` is one of @shoplog/plugin-notify's channels; its `options` are that channel's, checked when the server
 * starts, and any `{ "env": "NAME" }` among them is replaced by the environment variable NAME (for secrets).
 */
export const NotificationsSchema = z
  .strictObject({
    channels: z
      .array(
        z
          .strictObject({
            name: channelName,
            /** One of @shoplog/plugin-notify's channels. */
            type: z.enum(Object.keys(NOTIFIERS) as [keyof typeof NOTIFIERS]).optional(),
            /** Or a notifier plugin: an npm package name, or a path relative to the config file. */
            module: z.string().min(1).optional(),
            /** The export of `module` holding the plugin. @default 'default' */
            export: z.string().min(1).optional(),
            options: z.record(z.string(), z.unknown()).default({}),
          })
          .refine((c) => (c.type === undefined) !== (c.module === undefined), {
            path: ['type'],
            message: `give either type (${Object.keys(NOTIFIERS).join(', ')}) or module (a notifier plugin), not both`,
          }),
      )
      .max(50)
      .default([]),
    /** Channels told about every transaction the server's fraud scoring blocks. */
    fraudChannels: z.array(channelName).default([]),
    groupWindowSeconds: z.int().min(0).max(3600).default(10),
    cooldownSeconds: z.int().min(0).max(86_400).default(300),
    /** One delivery attempt is aborted (and counted as a time-out on the channel's health) after this long. */
    attemptTimeoutSeconds: z.int().min(1).max(300).default(10),
    /** The dashboard's address as people reach it, for links in notifications (none without it). */
    publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  })
  .superRefine((n, ctx) => {
    const names = n.channels.map((c) => c.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `${name} is defined twice` });
    });
    n.fraudChannels.forEach((name, i) => {
      if (!names.includes(name))
        ctx.addIssue({ code: 'custom', path: ['fraudChannels', i], message: `no channel named ${name}` });
    });
  });

/** The JSON of an environment variable, or the value as the config file gives it. */
const jsonText = (value: unknown, ctx: z.RefinementCtx): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    // Only the position: the parser's message quotes the text, which may hold a secret.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    ctx.addIssue({ code: 'custom', message: `must be JSON${at ? ` (error at position ${at})` : ''}` });
    return z.NEVER;
  }
};

/** Schema of the server settings; every setting has a safe default (see SETTINGS for the table). */
export const ServerConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(5001),
    ingestHost: z.string().min(1).default('127.0.0.1'),
    ingestAuth: z.enum(['required', 'off']).optional(),
    ingestPort: z.coerce.number().int().min(-1).max(65_535).default(5000),
    udpReceiveBuffer: positive.default(8 * 1024 * 1024),
    dataDir: z.string().min(1).default('./.shoplog-data'),
    synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    indexNice: z.coerce.number().int().min(0).max(19).default(10),
    readers: z.coerce.number().int().min(0).max(64).default(2),
    bodyLimit: positive.default(10 * 1024 * 1024),
    uploadLimit: positive.default(100 * 1024 * 1024),
    maxEventDepth: positive.max(1000).default(DEFAULT_INGEST_LIMITS.maxEventDepth),
    maxEventFields: positive.default(DEFAULT_INGEST_LIMITS.maxEventFields),
    maxFieldLength: positive.default(DEFAULT_INGEST_LIMITS.maxFieldLength),
    maxLineLength: positive.default(DEFAULT_INGEST_LIMITS.maxLineLength),
    maxRequestLines: positive.default(DEFAULT_INGEST_LIMITS.maxRequestLines),
    corsOrigins: listOf(z.string().min(1)).default([]),
    trustedProxies: listOf(proxyAddress).default([]),
    sessionIdleMinutes: positive.max(7 * 24 * 60).default(30),
    sessionMaxHours: positive.max(365 * 24).default(12),
    secureCookies: z
      .preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean())
      .default(false),
    ingestRateLimit: positive.default(500),
    authRateLimit: positive.default(10),
    cacheTtlSeconds: positive.default(30),
    alertIntervalSeconds: positive.default(30),
    bootstrapKey: z
      .string()
      .regex(/^slk_[A-Za-z0-9_-]{20,}$/, 'must start with slk_ followed by at least 20 characters')
      .optional(),
    bootstrapPassword: z.string().min(12, 'must be at least 12 characters').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('warn'),
    fraudScoring: z.enum(['on', 'off']).default('on'),
    fraudRefitHours: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 366)
      .default(24),
    retentionDays: z.coerce.number().int().min(0).max(36_500).default(30),
    retentionByDataset: RetentionOverridesSchema.default({}),
    minFreeDiskMb: z.coerce.number().int().min(0).default(1024),
    esCompatVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be a version such as 9.1.0')
      .default('9.1.0'),
    notifications: z.preprocess(jsonText, NotificationsSchema).prefault({}),
    plugins: z.preprocess(jsonText, z.array(PluginSpecSchema).max(50)).default([]),
    fraudRules: z.preprocess(jsonText, z.array(PluginSpecSchema).max(50)).default([]),
  })
  // An idle timeout longer than the absolute lifetime would never apply: that is a typo, not a choice.
  .refine((c) => c.sessionIdleMinutes <= c.sessionMaxHours * 60, {
    path: ['sessionIdleMinutes'],
    message: 'must not be longer than sessionMaxHours',
  });

/** The parsed server settings. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;
/** Server settings as given (all optional). */
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Every setting: config-file key, environment variable, default and meaning (the documented table). */
export const SETTINGS: readonly { key: keyof ServerConfig; env: string; default: string; description: string }[] = [
  { key: 'host', env: 'SHOPLOG_HOST', default: '127.0.0.1', description: 'HTTP listen address.' },
  { key: 'port', env: 'SHOPLOG_PORT', default: '5001', description: 'HTTP port (0 = any free port).' },
  {
    key: 'ingestHost',
    env: 'SHOPLOG_INGEST_HOST',
    default: '127.0.0.1',
    description:
      'TCP/UDP JSON-lines listen address: loopback unless opened explicitly (not SHOPLOG_HOST: opening the HTTP port does not open this one).',
  },
  {
    key: 'ingestAuth',
    env: 'SHOPLOG_INGEST_AUTH',
    default: 'required unless ingestHost is loopback',
    description:
      'TCP/UDP JSON lines need a first line "AUTH <ingest API key>" (per connection on TCP, per datagram on UDP): required or off.',
  },
  {
    key: 'ingestPort',
    env: 'SHOPLOG_INGEST_PORT',
    default: '5000',
    description: 'TCP and UDP JSON-lines port (0 = any free port, -1 = off).',
  },
  {
    key: 'udpReceiveBuffer',
    env: 'SHOPLOG_UDP_RECEIVE_BUFFER',
    default: '8388608',
    description:
      'UDP receive buffer to ask the kernel for, in bytes (Linux caps it at net.core.rmem_max); datagrams arriving while it is full are lost (counted in the health route). UDP is lossy: send what must not be lost over TCP or HTTP.',
  },
  {
    key: 'dataDir',
    env: 'SHOPLOG_DATA_DIR',
    default: './.shoplog-data',
    description: 'Folder of the embedded databases.',
  },
  {
    key: 'synchronous',
    env: 'SHOPLOG_SYNCHRONOUS',
    default: 'NORMAL',
    description: 'SQLite synchronous: NORMAL survives kill -9, FULL also power loss (slower).',
  },
  {
    key: 'indexNice',
    env: 'SHOPLOG_INDEX_NICE',
    default: '10',
    description:
      'Niceness added to the two index worker threads (Linux, 0-19): acks, queries and other processes get the cores first and the index catches up after; 0 indexes at the server priority (faster index, slower acks under a burst).',
  },
  {
    key: 'readers',
    env: 'SHOPLOG_READERS',
    default: '2',
    description:
      'Worker threads that answer the queries of the embedded event store, each with its own read-only connection (0-64): queries run beside the request thread and each other; 0 runs them on the request thread, where each holds every other request.',
  },
  {
    key: 'bodyLimit',
    env: 'SHOPLOG_BODY_LIMIT',
    default: '10485760',
    description: 'Maximum JSON / NDJSON request body in bytes (after gunzip); 413 above.',
  },
  {
    key: 'uploadLimit',
    env: 'SHOPLOG_UPLOAD_LIMIT',
    default: '104857600',
    description: 'Maximum upload size in bytes (after gunzip); the job fails above.',
  },
  {
    key: 'maxEventDepth',
    env: 'SHOPLOG_MAX_EVENT_DEPTH',
    default: String(DEFAULT_INGEST_LIMITS.maxEventDepth),
    description:
      'Objects and arrays nested inside each other in one event, the event being level 1 (1-1000); a deeper event is rejected alone (400 item naming the path).',
  },
  {
    key: 'maxEventFields',
    env: 'SHOPLOG_MAX_EVENT_FIELDS',
    default: String(DEFAULT_INGEST_LIMITS.maxEventFields),
    description:
      'Object keys plus array items of one event, counted over the whole event (labels included); more: the event is rejected alone.',
  },
  {
    key: 'maxFieldLength',
    env: 'SHOPLOG_MAX_FIELD_LENGTH',
    default: String(DEFAULT_INGEST_LIMITS.maxFieldLength),
    description: 'Characters of one string value or key of an event; longer: the event is rejected alone.',
  },
  {
    key: 'maxLineLength',
    env: 'SHOPLOG_MAX_LINE_LENGTH',
    default: String(DEFAULT_INGEST_LIMITS.maxLineLength),
    description:
      'Characters of one event as text (an NDJSON, TCP or UDP line, an item of a JSON-array upload, a CSV record); longer: rejected alone, not parsed.',
  },
  {
    key: 'maxRequestLines',
    env: 'SHOPLOG_MAX_REQUEST_LINES',
    default: String(DEFAULT_INGEST_LIMITS.maxRequestLines),
    description:
      'Lines of one bulk body (blank ones included) or events of one ingest array; more: 413 before anything is parsed.',
  },
  {
    key: 'corsOrigins',
    env: 'SHOPLOG_CORS_ORIGINS',
    default: '(empty: CORS off)',
    description: 'Comma-separated origins allowed by CORS.',
  },
  {
    key: 'sessionIdleMinutes',
    env: 'SHOPLOG_SESSION_IDLE_MINUTES',
    default: '30',
    description: 'A web session unused this long expires (renewed on use, at most once a minute; 1 to 10080).',
  },
  {
    key: 'sessionMaxHours',
    env: 'SHOPLOG_SESSION_MAX_HOURS',
    default: '12',
    description: 'A web session expires this long after login, however much it is used (1 to 8760).',
  },
  {
    key: 'secureCookies',
    env: 'SHOPLOG_SECURE_COOKIES',
    default: 'false',
    description: 'Mark the session cookie Secure (set true behind HTTPS).',
  },
  {
    key: 'ingestRateLimit',
    env: 'SHOPLOG_INGEST_RATE_LIMIT',
    default: '500',
    description: 'Ingest requests per second per API key (token bucket; 429 + Retry-After).',
  },
  {
    key: 'trustedProxies',
    env: 'SHOPLOG_TRUSTED_PROXIES',
    default: '(empty: none)',
    description:
      'Comma-separated addresses or CIDR ranges of the reverse proxies in front of the server (e.g. 127.0.0.1 for a TLS proxy on the same host): the client IP (login limits, logs) is read from X-Forwarded-For only when the connection comes from one of them.',
  },
  {
    key: 'authRateLimit',
    env: 'SHOPLOG_AUTH_RATE_LIMIT',
    default: '10',
    description:
      'Login attempts per minute per client IP and per account (a browser where the user logged in before has its own bucket, so a flood against the account does not lock them out).',
  },
  {
    key: 'cacheTtlSeconds',
    env: 'SHOPLOG_CACHE_TTL_SECONDS',
    default: '30',
    description: 'Analytics and search cache lifetime (also invalidated on ingest).',
  },
  {
    key: 'alertIntervalSeconds',
    env: 'SHOPLOG_ALERT_INTERVAL_SECONDS',
    default: '30',
    description: 'How often alert rules are evaluated.',
  },
  {
    key: 'bootstrapKey',
    env: 'SHOPLOG_BOOTSTRAP_KEY',
    default: '(none: generated)',
    description: 'Admin API key to register at start instead of generating one.',
  },
  {
    key: 'bootstrapPassword',
    env: 'SHOPLOG_BOOTSTRAP_PASSWORD',
    default: '(none: generated)',
    description: 'Password of the first admin user instead of a generated one.',
  },
  { key: 'logLevel', env: 'SHOPLOG_LOG_LEVEL', default: 'warn', description: 'Server log level.' },
  {
    key: 'fraudScoring',
    env: 'SHOPLOG_FRAUD_SCORING',
    default: 'on',
    description:
      'Score ingested transactions that carry no client-side fraud verdict (core rules, in-memory velocity) and store a fraud event for each review/block (on|off).',
  },
  {
    key: 'fraudRefitHours',
    env: 'SHOPLOG_FRAUD_REFIT_HOURS',
    default: '24',
    description:
      'How often the fraud model is refitted on the stored labels when labels were added since the last refit (0 = only on demand).',
  },
  {
    key: 'retentionDays',
    env: 'SHOPLOG_RETENTION_DAYS',
    default: '30',
    description:
      'Days events are kept; older ones are deleted continuously in small steps, with what was derived from them (0 = keep forever). Elasticsearch: the ILM delete phase.',
  },
  {
    key: 'retentionByDataset',
    env: 'SHOPLOG_RETENTION_BY_DATASET',
    default: '(none)',
    description:
      'Per-dataset retention in days overriding retentionDays, e.g. fraud=365,performance=7 (0 = keep forever).',
  },
  {
    key: 'minFreeDiskMb',
    env: 'SHOPLOG_MIN_FREE_DISK_MB',
    default: '1024',
    description:
      'Free space floor of the data folder in MiB: below it ingest answers 507 (clients spool and retry) while queries keep working (0 = off).',
  },
  {
    key: 'esCompatVersion',
    env: 'SHOPLOG_ES_COMPAT_VERSION',
    default: '9.1.0',
    description:
      'Elasticsearch version the compatible API reports at GET / (shippers that refuse an older Elasticsearch than themselves, such as Beats, need at least their own).',
  },
  {
    key: 'notifications',
    env: 'SHOPLOG_NOTIFICATIONS',
    default: '(none)',
    description:
      'Alert channels as JSON: {"channels":[{"name":"ops","type":"webhook|slack|email|log","options":{…}}, {"name":"pager","module":"@acme/shoplog-notifier","options":{…}}],"fraudChannels":["ops"],"groupWindowSeconds":10,"cooldownSeconds":300,"attemptTimeoutSeconds":10,"publicUrl":"https://…"}; {"env":"NAME"} in options reads a secret from NAME (server README, Notifications).',
  },
  {
    key: 'plugins',
    env: 'SHOPLOG_PLUGINS',
    default: '(none)',
    description:
      'Processor plugins run on every ingested event before it is stored and scored, in order, as JSON: ["@acme/shoplog-plugin", {"module":"./my-plugin.mjs","options":{…}}]; package names from node_modules (the config file\'s folder first), paths relative to the config file (server README, Plugins). A plugin that cannot be loaded stops the start.',
  },
  {
    key: 'fraudRules',
    env: 'SHOPLOG_FRAUD_RULES',
    default: '(none)',
    description:
      'Fraud rule plugins the server\'s scoring runs beside its own rules, as JSON: ["@acme/shoplog-rule", {"module":"./my-rule.mjs","options":{…}}], found as `plugins` are. A rule plugin that cannot be loaded is refused (logged, and on the health page) without stopping the start; until it is fixed, as while one fails, transactions are judged "review" (reason SCORER_ERROR), never "allow".',
  },
];

/**
 * Loads the settings: the optional JSON config file (path argument or `SHOPLOG_CONFIG`), overridden by
 * environment variables. Throws an `OptionsError` naming the bad setting and its variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, file?: string): ServerConfig {
  const path = file ?? env.SHOPLOG_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (path) {
    try {
      fromFile = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new OptionsError(`cannot read the config file ${path}: ${(error as Error).message}`);
    }
  }
  return configFrom(fromFile, env);
}

/** The settings from a config file's values, overridden by environment variables; one `OptionsError` naming what is wrong. */
export function configFrom(fromFile: Record<string, unknown>, env: Record<string, string | undefined>): ServerConfig {
  // A setting that was replaced must not be ignored silently: the lifetime it set would change without a word.
  if (env.SHOPLOG_SESSION_TTL_MINUTES !== undefined) {
    throw new OptionsError(
      'SHOPLOG_SESSION_TTL_MINUTES is replaced by SHOPLOG_SESSION_IDLE_MINUTES and SHOPLOG_SESSION_MAX_HOURS',
    );
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const setting of SETTINGS) {
    const value = env[setting.env];
    if (value !== undefined && value !== '') merged[setting.key] = value;
  }
  try {
    return parseOptions('settings', ServerConfigSchema, merged);
  } catch (error) {
    // Name the environment variable next to the key so the person knows what to fix.
    const message = (error as Error).message.replace(
      /(\w+)((?:\.\w+|\[\d+\])*): /g,
      (match, key: string, rest: string) => {
        const setting = SETTINGS.find((s) => s.key === key);
        return setting ? `${key}${rest} (${setting.env}): ` : match;
      },
    );
    throw new OptionsError(message, error instanceof OptionsError ? error.issues : []);
  }
}

/** Whether `host` is a loopback listen address (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether the TCP/UDP lines need an AUTH line: as configured, else required unless the listener is loopback. */
export function ingestAuthRequired(config: Pick<ServerConfig, 'ingestHost' | 'ingestAuth'>): boolean {
  return (config.ingestAuth ?? (isLoopbackHost(config.ingestHost) ? 'off' : 'required')) === 'required';
}
