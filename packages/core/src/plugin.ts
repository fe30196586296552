import type { ShoplogEvent } from './schema/kinds.js';

/** What happens to an event when a plugin throws on it. */
export type PluginErrorPolicy = 'continue' | 'drop';

/** What a plugin receives at setup. */
export interface PluginContext {
  /** Emits a new event (e.g. a fraud event derived from a transaction); it enters the pipeline after the emitting stage. */
  emit(event: ShoplogEvent): void;
  /** Reports an error without throwing; the pipeline routes it to its `onError` handler. */
  report(error: unknown): void;
  /** Clock in Unix milliseconds (injectable for deterministic tests). */
  now(): number;
}

/**
 * A pipeline stage. Every stage after validation is a plugin: enrichers, redactors, fraud rules, exporters.
 * `process` returns the (possibly changed) event, or `null` to drop it.
 */
export interface ShoplogPlugin {
  /** Unique name, used in error reports and metrics. */
  readonly name: string;
  /**
   * What happens to an event when this plugin throws, unless the pipeline overrides it by name: `continue` passes
   * the event on unchanged, `drop` drops it (fail closed, as the redactor does). @default the pipeline's policy
   */
  readonly errorPolicy?: PluginErrorPolicy;
  setup?(ctx: PluginContext): void | Promise<void>;
  process(event: ShoplogEvent): ShoplogEvent | null | Promise<ShoplogEvent | null>;
  /** Resolves when everything this plugin holds has been passed on. */
  flush?(): void | Promise<void>;
  /** Releases the plugin's resources; called once. */
  close?(): void | Promise<void>;
}
