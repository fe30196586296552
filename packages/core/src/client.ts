import { z } from 'zod';
import { createEvent, type EventInput, type ServiceInfo } from './builders.js';
import { parseOptions } from './options.js';
import { createPipeline } from './pipeline/pipeline.js';
import type { Pipeline, PipelineErrorHandler, PipelineMetrics } from './pipeline/types.js';
import type { PluginErrorPolicy, ShoplogPlugin } from './plugin.js';
import { PluginSpecSchema, pluginStages, type PluginEntry } from './plugin-loader.js';
import { warn, workingDirUrl } from './runtime.js';
import { createRedactor, type RedactorOptions } from './redact/redactor.js';
import { createIpAnonymizer, type IpAnonymizerOptions } from './enrich/ip-anonymizer.js';
import type { EventKind } from './schema/common.js';

/** Options of `createShoplog()`. */
export interface ShoplogOptions {
  /** `service.name`, or the whole `service.*` of every event. */
  service: string | ServiceInfo;
  /** `service.environment` (e.g. `production`). @default undefined */
  environment?: string;
  /** `service.version`. @default undefined */
  version?: string;
  /** The last stage: where events go (the memory exporter, a transport's exporter, …). */
  exporter: ShoplogPlugin;
  /**
   * Stages between redaction and the exporter (enrichers, fraud scoring, …): processor instances, or module
   * specifiers as a config file names them (`'@acme/shoplog-plugin'`, `{ module: './plugin.mjs', options }`),
   * loaded when the client starts (events wait for them). @default []
   */
  plugins?: PluginEntry[];
  /**
   * Imports a plugin's module specifier. Pass `(s) => import(s)` from your own code so package names resolve from
   * your app's `node_modules` (pnpm does not hoist them where core can see). @default core's own `import()`
   */
  importPlugin?: (specifier: string) => Promise<unknown>;
  /** What relative plugin paths (`./x.mjs`) resolve against, as a URL (`import.meta.url`). @default the working folder */
  pluginBaseUrl?: string;
  /** Redaction, first stage after validation: `false` turns it off, an object configures it. @default true */
  redact?: boolean | RedactorOptions;
  /** Anonymise client IPs (`createIpAnonymizer`) just before the exporter, after plugins that need the full address. @default false */
  anonymizeIp?: boolean | IpAnonymizerOptions;
  /** Error handler of the pipeline. @default a console warning, at most one per plugin per minute */
  onError?: PipelineErrorHandler;
  /** What happens to an event when a plugin throws. @default 'continue' (the redactor always fails closed) */
  onPluginError?: PluginErrorPolicy;
  /** Clock in Unix milliseconds. @default Date.now */
  now?: () => number;
}

/** The Shoplog client: builds events of the five kinds and runs them through the pipeline. Never throws. */
export interface ShoplogClient {
  /** Logs a transaction (order, payment, refund); returns its `event.id`. */
  transaction(input: EventInput<'transaction'>): string;
  /** Logs an application error, from event fields or from an `Error` (plus optional fields); returns its `event.id`. */
  error(input: EventInput<'error'> | Error, extra?: Partial<EventInput<'error'>>): string;
  /** Logs a user behaviour event; returns its `event.id`. */
  userBehavior(input: EventInput<'user_behavior'>): string;
  /** Logs a performance measurement (`event.duration` in nanoseconds); returns its `event.id`. */
  performance(input: EventInput<'performance'>): string;
  /** Logs a fraud event; returns its `event.id`. */
  fraud(input: EventInput<'fraud'>): string;
  /** Logs an event of any kind; returns its `event.id`. */
  event<K extends EventKind>(kind: K, input: EventInput<K>): string;
  /** Resolves when every event logged so far has reached the exporter and every plugin has flushed. */
  flush(): Promise<void>;
  /** Flushes and closes every plugin; idempotent. */
  close(): Promise<void>;
  /** The pipeline's counters. */
  metrics(): PipelineMetrics;
  /** The pipeline the client feeds. */
  readonly pipeline: Pipeline;
}

const fn = (f: unknown) => typeof f === 'function';
const OptionsSchema = z.strictObject({
  service: z.union([
    z.string().min(1),
    z.looseObject({ name: z.string().min(1), version: z.string().optional(), environment: z.string().optional() }),
  ]),
  environment: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
  exporter: z.custom<ShoplogPlugin>(
    (p) => typeof p === 'object' && p !== null && fn((p as ShoplogPlugin).process),
    'must be a plugin (e.g. createMemoryExporter())',
  ),
  plugins: z
    .array(
      z.custom<PluginEntry>(
        (p) =>
          (typeof p === 'object' && p !== null && fn((p as ShoplogPlugin).process)) ||
          PluginSpecSchema.safeParse(p).success,
        "must be a processor ({ name, process }) or a module specifier ('pkg' or { module, options })",
      ),
    )
    .optional(),
  importPlugin: z.custom<(specifier: string) => Promise<unknown>>(fn, 'must be a function').optional(),
  pluginBaseUrl: z.url().optional(),
  redact: z.union([z.boolean(), z.custom<RedactorOptions>((o) => typeof o === 'object' && o !== null)]).optional(),
  anonymizeIp: z
    .union([z.boolean(), z.custom<IpAnonymizerOptions>((o) => typeof o === 'object' && o !== null)])
    .optional(),
  onError: z.custom<PipelineErrorHandler>(fn, 'must be a function').optional(),
  onPluginError: z.enum(['continue', 'drop']).optional(),
  now: z.custom<() => number>(fn, 'must be a function').optional(),
});

function errorInput(err: Error): EventInput<'error'> {
  return {
    message: err.message,
    error: { type: err.name, message: err.message, ...(err.stack ? { stack_trace: err.stack } : {}) },
    shop: { error: { kind: 'exception' } },
  };
}

/**
 * Creates a Shoplog client: `log.transaction({...})` and friends build events (id, timestamp, service), then the
 * pipeline validates, redacts (on by default), runs the plugins and hands them to the exporter.
 */
export function createShoplog(options: ShoplogOptions): ShoplogClient {
  const opts = parseOptions('createShoplog', OptionsSchema, options);
  const base: ServiceInfo = typeof opts.service === 'string' ? { name: opts.service } : { ...opts.service };
  if (opts.environment !== undefined) base.environment = opts.environment;
  if (opts.version !== undefined) base.version = opts.version;
  const now = opts.now ?? Date.now;
  const stages: ShoplogPlugin[] = [];
  if (opts.redact !== false)
    stages.push(createRedactor(opts.redact === true || opts.redact === undefined ? {} : opts.redact));
  // Specifiers go through the one plugin loader, as on every other surface.
  const baseUrl = opts.pluginBaseUrl ?? workingDirUrl();
  const loader = {
    import: opts.importPlugin ?? ((specifier: string) => import(specifier)),
    host: 'sdk' as const,
    warn: (message: string) => warn(message),
    ...(baseUrl === undefined ? {} : { baseUrl }),
  };
  stages.push(...pluginStages(opts.plugins ?? [], loader));
  if (opts.anonymizeIp) stages.push(createIpAnonymizer(opts.anonymizeIp === true ? {} : opts.anonymizeIp));
  stages.push(opts.exporter);
  const pipeline = createPipeline({
    plugins: stages,
    now,
    ...(opts.onError ? { onError: opts.onError } : {}),
    ...(opts.onPluginError ? { onPluginError: opts.onPluginError } : {}),
  });
  const buildOptions = { service: base, now };

  function log<K extends EventKind>(kind: K, input: EventInput<K>): string {
    const safe = (typeof input === 'object' && input !== null ? input : {}) as EventInput<K>;
    const event = createEvent(kind, safe, buildOptions);
    void pipeline.process(event);
    return event.event.id;
  }

  return {
    pipeline,
    transaction: (input) => log('transaction', input),
    error: (input, extra) => {
      const base = input instanceof Error ? errorInput(input) : input;
      return log('error', extra ? ({ ...base, ...extra } as EventInput<'error'>) : base);
    },
    userBehavior: (input) => log('user_behavior', input),
    performance: (input) => log('performance', input),
    fraud: (input) => log('fraud', input),
    event: log,
    flush: () => pipeline.flush(),
    close: () => pipeline.close(),
    metrics: () => pipeline.metrics(),
  };
}
