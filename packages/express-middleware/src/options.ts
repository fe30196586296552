import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  LOG_LEVELS,
  createPipeline,
  createRedactor,
  createThrottledWarning,
  exporterPaths,
  parseOptions,
  performance,
  pluginStages,
  validate,
  type CircuitBreakerOptions,
  type EventExporter,
  type ExporterPaths,
  type LogLevel,
  type Pipeline,
  type PluginEntry,
  type ServiceInfo,
  type ShoplogEvent,
} from '@shoplog/core';
import type { SendLine } from './fast-line.js';
import type { FraudScorerLike, ShoplogRequest, ShoplogResponse } from './types.js';
import type { RedactorLike } from './url.js';

/** Status classes that `levels` maps to a log level. */
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

/** Options of `shoplog()`. */
export interface ShoplogMiddlewareOptions {
  /** Where events go (core's `EventExporter`): core's memory exporter or pipeline (`process`), a core client (`createShoplog()`), or the transport's engine (`enqueue`). A returned promise is not awaited; a rejection goes to `onError`. */
  exporter: EventExporter;
  /** `service.name` (a string, as `createShoplog` of @shoplog/core takes it), or the whole `service.*` of every event. @default undefined */
  service?: string | ServiceInfo;
  /** Requests to leave unlogged (health checks, static files): return `true` to skip. @default undefined */
  skip?: (req: ShoplogRequest) => boolean;
  /** Paths (exact strings, or RegExps tested on the path) never logged, e.g. `['/health']`. @default [] */
  skipPaths?: (string | RegExp)[];
  /** Share of successful requests (status < 400) whose performance event is kept; errors are always kept. @default 1 */
  sampleRate?: number;
  /** Log level of the performance event per status class. @default { '2xx': 'info', '3xx': 'info', '4xx': 'warn', '5xx': 'error' } */
  levels?: Partial<Record<StatusClass, LogLevel>>;
  /** Level of the error event recorded for a 4xx response, or `false` to record none. @default 'warn' */
  clientErrors?: LogLevel | false;
  /** Header carrying the request id, read (when valid) and echoed; `false` disables the echo. @default 'x-request-id' */
  requestIdHeader?: string | false;
  /** After this many ms without a response, a `timeout` error event is recorded; `0` disables. @default 30000 */
  timeoutMs?: number;
  /** Answer a timed-out request with this status (when nothing was sent yet); unset: only record it. @default undefined */
  timeoutStatus?: number;
  /** Header names (any case) captured on the events; every other header is left out. Captured headers are still redacted. @default { request: [], response: [] } */
  captureHeaders?: { request?: string[]; response?: string[] };
  /** Capture the parsed request body (`req.body`, from your body parser), redacted, on the request's events. @default false */
  captureBody?: boolean;
  /** Redaction: core's redactor (`createRedactor()`), or options for one. @default createRedactor() with Authorization headers added */
  redactor?: RedactorLike;
  /** The user id of a request when the handler did not call `req.shoplog.setUser()`. @default req.user?.id */
  userId?: (req: ShoplogRequest) => string | undefined;
  /** The session id used by `track()` when the fields give none. @default req.sessionID, else the request id */
  sessionId?: (req: ShoplogRequest) => string | undefined;
  /** Custom fields added to every event of the request as ECS `labels` (string values); read once, when the request's first event is built. @default undefined */
  customFields?: (
    req: ShoplogRequest,
    res: ShoplogResponse,
  ) => Record<string, string | number | boolean | undefined> | undefined;
  /** Scores transactions from `req.shoplog.transaction()`, e.g. core's `createFraudScorer()`. @default undefined */
  fraudScorer?: FraudScorerLike;
  /** Emit a fraud event for every scored transaction, not only for `review` and `block` decisions. @default false */
  fraudEventsForAllowed?: boolean;
  /** Receives errors of the exporter or of option callbacks; never throws into the app. @default a throttled console warning */
  onError?: (error: unknown) => void;
  /**
   * Processors every event runs before it reaches the exporter: instances, or plugins named by module specifier
   * (`'pkg'`, `{ module, options }`) from the application's `node_modules` or a path relative to the current
   * directory, loaded when the middleware is created. A configured plugin always runs: the direct line writer of
   * the performance event is off while any plugin is configured. @default []
   */
  plugins?: PluginEntry[];
  /** Time budget of one call of an async plugin, in milliseconds (`0`: none). @default 5000 */
  pluginTimeoutMs?: number;
  /** When a failing plugin is skipped and retried (core's `circuitBreaker`). @default { failures: 5, cooldownMs: 30000 } */
  circuitBreaker?: CircuitBreakerOptions | false;
}

/** Options parsed once, with defaults applied. */
export interface ResolvedConfig {
  /** Hands one event to the configured sink. */
  send: (event: ShoplogEvent) => unknown;
  /** Hands a request event that is valid by construction to a core pipeline without validating it again; unset when the sink does not validate (exporter, engine) or the options could make it invalid. */
  sendTrusted: ((event: ShoplogEvent) => unknown) | undefined;
  /** The exporter's `enqueueLine` (core's `LineExporter`), when the performance event may be written as JSON directly (see `lineSendOf`). */
  sendLine: SendLine | undefined;
  /** `JSON.stringify` of `service.*` as the events carry it, for the direct line. */
  serviceJson: string | undefined;
  service: ServiceInfo | undefined;
  skip: ((req: ShoplogRequest) => boolean) | undefined;
  skipExact: Set<string>;
  skipPatterns: RegExp[];
  sampleRate: number;
  levels: Record<StatusClass, LogLevel>;
  clientErrors: LogLevel | false;
  requestIdHeader: string | undefined;
  timeoutMs: number;
  timeoutStatus: number | undefined;
  requestHeaders: string[];
  responseHeaders: string[];
  captureBody: boolean;
  redactor: RedactorLike;
  userId: ((req: ShoplogRequest) => string | undefined) | undefined;
  sessionId: ((req: ShoplogRequest) => string | undefined) | undefined;
  customFields: ShoplogMiddlewareOptions['customFields'];
  fraudScorer: FraudScorerLike | undefined;
  fraudEventsForAllowed: boolean;
  onError: (error: unknown) => void;
  /** The plugins' pipeline in front of the exporter, when `plugins` are configured. */
  plugins: Pipeline | undefined;
}

const fn = <T>() => z.custom<T>((v) => typeof v === 'function', 'must be a function');
const Level = z.enum(LOG_LEVELS);
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

const OptionsSchema = z.strictObject({
  exporter: z.custom<EventExporter>(
    (v) => exporterPaths(v) !== undefined,
    'is required: an exporter or pipeline (process), a client (pipeline) or an engine (enqueue)',
  ),
  service: z
    .union(
      [
        z
          .string()
          .min(1)
          .transform((name): ServiceInfo => ({ name })),
        z.strictObject({ name: z.string().min(1), version: z.string().optional(), environment: z.string().optional() }),
      ],
      { error: 'must be a service name or { name, version?, environment? }' },
    )
    .optional(),
  skip: fn<(req: ShoplogRequest) => boolean>().optional(),
  skipPaths: z.array(z.union([z.string().min(1), z.instanceof(RegExp)])).optional(),
  sampleRate: z.number().min(0).max(1).optional(),
  levels: z
    .strictObject({
      '2xx': Level.optional(),
      '3xx': Level.optional(),
      '4xx': Level.optional(),
      '5xx': Level.optional(),
    })
    .optional(),
  clientErrors: z.union([Level, z.literal(false)]).optional(),
  requestIdHeader: z.union([HeaderName, z.literal(false)]).optional(),
  timeoutMs: z.int().min(0).optional(),
  timeoutStatus: z.int().min(400).max(599).optional(),
  captureHeaders: z
    .strictObject({ request: z.array(HeaderName).optional(), response: z.array(HeaderName).optional() })
    .optional(),
  captureBody: z.boolean().optional(),
  redactor: z
    .custom<RedactorLike>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as RedactorLike).redact === 'function' &&
        typeof (v as RedactorLike).redactUrl === 'function',
      'must be a redactor from createRedactor()',
    )
    .optional(),
  userId: fn<(req: ShoplogRequest) => string | undefined>().optional(),
  sessionId: fn<(req: ShoplogRequest) => string | undefined>().optional(),
  customFields: fn<NonNullable<ShoplogMiddlewareOptions['customFields']>>().optional(),
  fraudScorer: z
    .custom<FraudScorerLike>(
      (v) => typeof v === 'object' && v !== null && typeof (v as FraudScorerLike).score === 'function',
      'must have score(transaction)',
    )
    .optional(),
  fraudEventsForAllowed: z.boolean().optional(),
  onError: fn<(error: unknown) => void>().optional(),
  plugins: z.array(z.unknown()).optional(),
  pluginTimeoutMs: z.int().min(0).optional(),
  circuitBreaker: z
    .union([
      z.literal(false),
      z.strictObject({ failures: z.int().min(1).optional(), cooldownMs: z.int().min(0).optional() }),
    ])
    .optional(),
});

// Core's deny-list covers cookies, tokens, keys and card data; credentials headers are added here because the
// middleware is where headers are captured.
const HEADER_SECRETS = ['authorization', 'proxy-authorization', 'x-api-key', 'x-auth-token', 'x-csrf-token'];

// The request events are valid by construction except for what comes from the options: `service` (the option schema
// here is looser than core's) and response headers (a handler may set non-string values). Checked once.
function trustable(service: ServiceInfo | undefined, responseHeaders: string[]): boolean {
  if (responseHeaders.length > 0) return false;
  const sample = performance(
    { event: { duration: 0 }, shop: { performance: { kind: 'http' } } },
    service ? { service } : {},
  );
  return validate(sample).ok;
}

// The performance event can go to a line exporter (core's `LineExporter`: the delivery engine) as a line written
// straight from the request's values when no option adds a field the line writer does not know: captured headers or
// body, custom labels. Everything else the event carries (service, levels, redaction, user id) the writer honours;
// sampling and skipping are decided before either path.
function lineSendOf(
  paths: ExporterPaths,
  o: { captureHeaders?: { request?: string[]; response?: string[] }; captureBody?: boolean; customFields?: unknown },
): SendLine | undefined {
  if ((o.captureHeaders?.request?.length ?? 0) > 0 || (o.captureHeaders?.response?.length ?? 0) > 0) return undefined;
  if (o.captureBody === true || o.customFields !== undefined) return undefined;
  return paths.sendLine;
}

/**
 * The exporter behind the configured plugins: a core pipeline whose last stage hands each event to the exporter.
 * It validates what `process()` gets and trusts what `processTrusted()` gets, as a core pipeline sink does.
 */
function pluginPipeline(
  plugins: PluginEntry[],
  send: (event: ShoplogEvent) => unknown,
  o: { pluginTimeoutMs?: number | undefined; circuitBreaker?: CircuitBreakerOptions | false | undefined },
  onError: (error: unknown) => void,
): Pipeline {
  const loader = {
    import: (specifier: string) => import(specifier),
    baseUrl: pathToFileURL(`${process.cwd()}/`).href,
    host: 'sdk' as const,
    warn: (message: string) => onError(new Error(message)),
  };
  const exporter = {
    name: 'shoplog-exporter',
    process(event: ShoplogEvent) {
      const out = send(event);
      if (out instanceof Promise) out.catch(onError);
      return event;
    },
  };
  return createPipeline({
    plugins: [...pluginStages(plugins, loader), exporter],
    ...(o.pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs: o.pluginTimeoutMs }),
    ...(o.circuitBreaker === undefined ? {} : { circuitBreaker: o.circuitBreaker }),
    onError: (error) => onError(error),
  });
}

/** Parses middleware options once: one `OptionsError` naming every bad option. */
export function resolveOptions(name: string, options: ShoplogMiddlewareOptions): ResolvedConfig {
  const o = parseOptions(name, OptionsSchema, options);
  const warn = createThrottledWarning();
  const skipPaths = o.skipPaths ?? [];
  const responseHeaders = (o.captureHeaders?.response ?? []).map((h) => h.toLowerCase());
  const onError = o.onError ?? ((error: unknown) => warn(error, { plugin: name }));
  const paths = exporterPaths(o.exporter) as ExporterPaths;
  const send = paths.send;
  const plugins =
    (o.plugins?.length ?? 0) > 0 ? pluginPipeline(o.plugins as PluginEntry[], send, o, onError) : undefined;
  const trusted = trustable(o.service, responseHeaders);
  return {
    send: plugins ? (event) => plugins.process(event) : send,
    sendTrusted: plugins
      ? trusted
        ? (event) => plugins.processTrusted(event)
        : undefined
      : trusted
        ? paths.sendTrusted
        : undefined,
    // The line writer skips every event object, so it is only taken when no plugin needs one.
    sendLine: plugins ? undefined : lineSendOf(paths, o),
    plugins,
    // Core copies the service object onto each event (`{ ...service }`): the same keys, in the same order.
    serviceJson: o.service ? JSON.stringify({ ...o.service }) : undefined,
    service: o.service,
    skip: o.skip,
    skipExact: new Set(skipPaths.filter((p): p is string => typeof p === 'string')),
    skipPatterns: skipPaths.filter((p): p is RegExp => p instanceof RegExp),
    sampleRate: o.sampleRate ?? 1,
    levels: { '2xx': 'info', '3xx': 'info', '4xx': 'warn', '5xx': 'error', ...o.levels } as Record<
      StatusClass,
      LogLevel
    >,
    clientErrors: o.clientErrors ?? 'warn',
    requestIdHeader: o.requestIdHeader === false ? undefined : (o.requestIdHeader ?? 'x-request-id').toLowerCase(),
    timeoutMs: o.timeoutMs ?? 30_000,
    timeoutStatus: o.timeoutStatus,
    requestHeaders: (o.captureHeaders?.request ?? []).map((h) => h.toLowerCase()),
    responseHeaders,
    captureBody: o.captureBody ?? false,
    redactor: o.redactor ?? createRedactor({ keys: HEADER_SECRETS }),
    userId: o.userId,
    sessionId: o.sessionId,
    customFields: o.customFields,
    fraudScorer: o.fraudScorer,
    fraudEventsForAllowed: o.fraudEventsForAllowed ?? false,
    onError,
  };
}
