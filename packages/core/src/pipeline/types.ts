import type { PluginErrorPolicy, ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import type { CircuitBreakerOptions, PluginStats } from './stage-guard.js';

/** How `process()` treats its input: validate it as an envelope, normalise seed shapes first, or trust it. */
export type PipelineInput = 'validate' | 'normalize' | 'trusted';

/** Where an error happened: the plugin's name (`validate` for invalid input) and the event, when there is one. */
export interface PipelineErrorInfo {
  plugin: string;
  event?: unknown;
}

/** Receives every error of the pipeline and its plugins. Must not throw (if it does, the error is swallowed). */
export type PipelineErrorHandler = (error: unknown, info: PipelineErrorInfo) => void;

/** Options of `createPipeline()`. */
export interface PipelineOptions {
  /** The stages after validation, in order; the exporter is the last. Names must be unique. @default [] */
  plugins?: ShoplogPlugin[];
  /** `validate`: drop invalid envelopes; `normalize`: also accept the seed platform's flat shapes; `trusted`: the caller already validated. @default 'validate' */
  input?: PipelineInput;
  /** Error handler. @default a console warning, at most one per plugin per minute */
  onError?: PipelineErrorHandler;
  /** What happens to an event when a plugin throws on it, unless the plugin or `pluginErrorPolicy` says otherwise. @default 'continue' */
  onPluginError?: PluginErrorPolicy;
  /** Per-plugin error policy by plugin name; wins over the plugin's own `errorPolicy`. @default {} */
  pluginErrorPolicy?: Record<string, PluginErrorPolicy>;
  /** Clock in Unix milliseconds, given to plugins and to `normalize` (and the breaker's cooldown). @default Date.now */
  now?: () => number;
  /**
   * Time budget of one call of an async plugin, in milliseconds: a promise that takes longer counts as a failure
   * (`PluginTimeoutError`, the error policy applies; a late result is ignored). `0`: no budget. @default 5000
   */
  pluginTimeoutMs?: number;
  /**
   * A plugin that fails `failures` times in a row is skipped for `cooldownMs` (each event goes on unchanged, or is
   * dropped under the `drop` policy, without calling it); then one call tries again: success closes the breaker,
   * failure opens it for another cooldown. `false`: always call. @default { failures: 5, cooldownMs: 30000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false;
}

/** Counters of a pipeline. */
export interface PipelineMetrics {
  /** Inputs given to `process()`. */
  received: number;
  /** Events emitted by plugins. */
  emitted: number;
  /** Events (received or emitted) that went through every stage. */
  processed: number;
  /** Events dropped, by reason: invalid input, a throwing plugin with the `drop` policy, a plugin returning `null`, or after `close()`. */
  dropped: { invalid: number; plugin: number; filtered: number; closed: number };
  /** Errors per plugin name (`validate` for invalid input). */
  errors: Record<string, number>;
  /** Per stage, in order: calls, errors, timeouts, skipped events, time and breaker state. */
  plugins: PluginStats[];
}

/** A running pipeline: validate (or normalise) → plugins in order. */
export interface Pipeline {
  /** Runs one input through the pipeline; the final event, or `null` when dropped. A promise only when a plugin is async. Never throws. */
  process(input: unknown): ShoplogEvent | null | Promise<ShoplogEvent | null>;
  /** `process()` for an event its producer built valid by construction (the Express middleware's request events): skips validation, runs every plugin. */
  processTrusted(event: ShoplogEvent): ShoplogEvent | null | Promise<ShoplogEvent | null>;
  /** Resolves when every event in flight has been processed and every plugin has flushed, in stage order. */
  flush(): Promise<void>;
  /** Flushes, then closes every plugin once, in stage order. Idempotent; later inputs are dropped. */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  metrics(): PipelineMetrics;
  /** Resolves when every plugin's `setup` has settled. */
  readonly ready: Promise<void>;
}
