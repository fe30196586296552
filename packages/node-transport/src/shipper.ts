import {
  createPipeline,
  createRedactor,
  OptionsError,
  pluginStages,
  ShoplogValidationError,
  type CircuitBreakerOptions,
  type Pipeline,
  type PluginEntry,
  type PluginStats,
  type RedactorOptions,
  type ShoplogEvent,
  type ShoplogPlugin,
} from '@shoplog/core';
import { createDeliveryEngine } from './engine.js';
import type { CloseOptions, DeliveryEngine } from './engine-options.js';
import type { DeliveryEngineOptions } from './engine-options.js';
import { createElasticsearchSink, type ElasticsearchSinkOptions } from './elasticsearch-sink.js';
import { createHttpSink, type HttpSinkOptions } from './http-sink.js';
import type { DeliveryMetrics } from './metrics.js';
import { mapRecord, type LogRecord, type RecordMapper } from './record.js';
import type { Sink } from './sink.js';
import { createFastLine, ENVELOPE_KEYS } from './pino-fast-line.js';
import { createThrottledPrinter } from './warnings.js';
import { transportPluginLoader } from './plugin-host.js';

/** Options shared by the pino and winston transports: where to send, how to deliver, what runs on each event. */
export interface ShipperOptions extends Omit<DeliveryEngineOptions, 'sink'> {
  /** Base URL of the Shoplog server (`POST <url>/api/logs/_bulk`); shorthand for `http: { url }`. */
  url?: string;
  /** API key with the `ingest` scope (with `url`). */
  apiKey?: string;
  /** Full HTTP sink options (wins over `url` / `apiKey`). */
  http?: HttpSinkOptions;
  /** Write to Elasticsearch data streams instead. */
  elasticsearch?: ElasticsearchSinkOptions;
  /** Any other sink (wins over `http` and `elasticsearch`). */
  sink?: Sink;
  /** Redaction options, or `false` to turn redaction off (not recommended). @default {} (the core defaults) */
  redact?: RedactorOptions | false;
  /**
   * Processors run after redaction and before delivery: instances, or plugins named by module specifier (`'pkg'`,
   * `{ module, options }`: plain data, so they also cross into pino's worker thread, where they are loaded) from the
   * application's `node_modules` or a path relative to the current directory. A configured plugin always runs: the
   * raw-line path of the pino transport is off while any plugin is configured. @default []
   */
  plugins?: PluginEntry[];
  /** Time budget of one call of an async plugin, in milliseconds (`0`: none). @default 5000 */
  pluginTimeoutMs?: number;
  /** When a failing plugin is skipped and retried (core's `circuitBreaker`). @default { failures: 5, cooldownMs: 30000 } */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Maps a log record to a Shoplog envelope. @default mapRecord */
  mapRecord?: RecordMapper;
  /**
   * Validate every event against the core schemas here (invalid ones go to the dead-letter file with their issues).
   * Off by default for the HTTP sink: the Shoplog server validates each event with the same schemas and answers a
   * per-item 400 that lands in the same dead-letter file, and validating twice costs about 30 µs an event.
   * @default false with `url` / `http`, true with `elasticsearch` or a custom `sink`
   */
  validate?: boolean;
}

/** Shipper metrics: the engine's, plus records that were not events and events the pipeline rejected. */
export interface ShipperMetrics extends DeliveryMetrics {
  /** Plain records with no Shoplog kind (see `mapRecord`). */
  unmapped: number;
  /** Records that failed validation (written to the dead-letter file with their issues). */
  invalid: number;
  /** Per pipeline stage (redaction, your plugins, delivery): calls, errors, timeouts, time and breaker state. */
  plugins: PluginStats[];
}

/** A log record → pipeline → delivery engine chain, shared by the logger transports. */
export interface Shipper {
  /** Maps, processes and queues one record. Never throws. */
  write(record: LogRecord): void;
  /** Resolves when every record written before is delivered, dead-lettered or spooled. */
  flush(): Promise<void>;
  /** Flushes the pipeline, then closes the engine (drain or spool by the deadline). */
  close(options?: CloseOptions): Promise<void>;
  /** A snapshot of the metrics. */
  metrics(): ShipperMetrics;
  /** The engine underneath. */
  readonly engine: DeliveryEngine;
}

const ID_PATHS = [
  'event.id',
  'trace.id',
  'span.id',
  'transaction.id',
  'http.request.id',
  'user.id',
  'shop.*.id',
  'shop.transaction.parent_id',
];

function sinkOf(options: ShipperOptions): Sink {
  if (options.sink) return options.sink;
  if (options.http) return createHttpSink(options.http);
  if (options.elasticsearch) return createElasticsearchSink(options.elasticsearch);
  if (options.url) return createHttpSink({ url: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
  throw new OptionsError('shoplog transport: invalid options: url: give `url`, `http`, `elasticsearch` or `sink`', [
    { path: 'url', message: 'give `url`, `http`, `elasticsearch` or `sink`' },
  ]);
}

/** Creates the chain behind a transport: redaction on by default, then your plugins, then delivery. */
export function createShipper(options: ShipperOptions): Shipper {
  return buildShipper(options).shipper;
}

/**
 * The shipper, and (internal, for the pino transport) its raw-line path when the chain allows one: the default
 * mapping, no extra plugins, no validation here, no redaction `paths` and no envelope key the redactor would hide.
 * The raw path declines every line once closing starts, so those take the pipeline, which drops them as before.
 */
export function buildShipper(options: ShipperOptions): {
  shipper: Shipper;
  fastLine: ((text: string) => boolean) | undefined;
} {
  const {
    url: _u,
    apiKey: _k,
    http: _h,
    elasticsearch: _e,
    sink: _s,
    redact,
    plugins = [],
    pluginTimeoutMs,
    circuitBreaker,
    mapRecord: map = mapRecord,
    validate,
    ...engineOptions
  } = options;
  const serverValidates = options.sink === undefined && options.elasticsearch === undefined;
  const engine = createDeliveryEngine({ ...engineOptions, sink: sinkOf(options) });
  let unmapped = 0;
  let invalid = 0;
  const warnings = createThrottledPrinter();
  const exporter: ShoplogPlugin = {
    name: 'shoplog-delivery',
    process(event: ShoplogEvent) {
      engine.enqueue(event);
      return event;
    },
  };
  // Ids are never secrets, and a masked `event.id` would break idempotent delivery: the card-number masker can
  // match a run of digits inside a UUID.
  const redactor =
    redact === false ? undefined : createRedactor({ ...redact, allow: [...ID_PATHS, ...(redact?.allow ?? [])] });
  const report = (e: Error, key: string, text: string) =>
    engineOptions.onError ? engineOptions.onError(e) : warnings.print(key, text);
  const loader = transportPluginLoader((message) => report(new Error(message), `plugin-warning:${message}`, message));
  const stages: ShoplogPlugin[] = [...(redactor ? [redactor] : []), ...pluginStages(plugins, loader), exporter];
  const pipeline: Pipeline = createPipeline({
    plugins: stages,
    ...(pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs }),
    ...(circuitBreaker === undefined ? {} : { circuitBreaker }),
    input: (validate ?? !serverValidates) ? 'validate' : 'trusted',
    onError(error, info) {
      if (error instanceof ShoplogValidationError) {
        invalid++;
        engine.deadLetter(info.event, 'invalid event', error.issues);
        return;
      }
      const e = error instanceof Error ? error : new Error(String(error));
      report(
        e,
        `plugin:${info.plugin}`,
        `pipeline plugin "${info.plugin}" failed: ${e.message} (printed once a minute at most)`,
      );
    },
  });

  let closing = false;
  let fastLine: ((text: string) => boolean) | undefined;
  const plainChain =
    map === mapRecord &&
    plugins.length === 0 &&
    !(validate ?? !serverValidates) &&
    (redact === false || (redact?.paths ?? []).length === 0) &&
    !(redactor && ENVELOPE_KEYS.some((key) => redactor.isSensitiveKey(key)));
  if (plainChain) {
    const raw = createFastLine({
      isSensitiveKey: redactor?.isSensitiveKey,
      redactString: redactor ? (text) => redactor.redact(text) : undefined,
      enqueueLine: (line, id, dataset) => engine.enqueueLine(line, id, dataset),
    });
    fastLine = (text) => !closing && raw(text);
  }

  const shipper: Shipper = {
    engine,
    write(record) {
      let input: Record<string, unknown> | undefined;
      try {
        input = map(record);
      } catch (err) {
        engine.deadLetter(record, `mapRecord threw: ${(err as Error).message}`);
        return;
      }
      if (input === undefined) {
        unmapped++;
        return;
      }
      const out = pipeline.process(input);
      // Only async plugins return a promise; the pipeline never rejects, this only keeps the promise handled.
      if (out instanceof Promise) out.catch(() => undefined);
    },
    async flush() {
      await pipeline.flush();
      await engine.flush();
    },
    async close(closeOptions) {
      closing = true;
      await pipeline.close();
      await engine.close(closeOptions);
    },
    metrics() {
      return { ...engine.metrics(), unmapped, invalid, plugins: pipeline.metrics().plugins };
    },
  };
  return { shipper, fastLine };
}
