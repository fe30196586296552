import type { z } from 'zod';
import type { BuiltinFraudRule } from './fraud/rules/define.js';
import { parseOptions } from './options.js';
import type { ShoplogPlugin } from './plugin.js';

/** The plugin API version this core implements; a plugin written for another version is refused when loaded. */
export const PLUGIN_API_VERSION = 1;

/** What a plugin provides: a pipeline stage, the last stage (where events leave), a fraud rule or an alert channel. */
export type PluginKind = 'processor' | 'exporter' | 'rule' | 'notifier';

/** What a processor may do to events; the pipeline's fast paths are taken only when every stage allows them. */
export interface PluginCapabilities {
  /** Changes, replaces or drops events (a read-only stage, such as a metrics counter, says `false`). @default true */
  readonly mutates?: boolean;
  /** `process` may return a promise. @default false */
  readonly async?: boolean;
}

/** One message to an alert channel. */
export interface Notification {
  /** Idempotency key: a retried or repeated send of the same notification carries the same id. */
  readonly id: string;
  /** An alert rule starts or keeps firing, stops firing, or the fraud scorer blocked a transaction. */
  readonly type: 'alert.firing' | 'alert.resolved' | 'fraud.block';
  /** Notifications of one group (an alert rule, a fraud reason) are grouped and share a cooldown. */
  readonly group: string;
  readonly title: string;
  /** Plain text; channels escape it for their own format. */
  readonly text: string;
  readonly severity: 'info' | 'warning' | 'critical';
  /** When it happened, ISO 8601. */
  readonly at: string;
  /** Structured details (rule, counts, event ids, reason codes); never personal data beyond ids. */
  readonly details: Readonly<Record<string, unknown>>;
  /** A link to the dashboard page that shows it. */
  readonly link?: string;
}

/** The part of an `AbortSignal` a notifier needs (core has no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
}

/** What a notifier's rejection may carry to steer retries; a rejection without it is retried with backoff. */
export interface NotifyFailure {
  /** `false` when retrying cannot help (a 4xx answer, refused credentials, a bad certificate). @default true */
  readonly retryable?: boolean;
  /** The receiver asked to wait this long before the next attempt (`Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
}

/** An alert channel (signed webhook, Slack, e-mail, …). */
export interface Notifier {
  readonly name: string;
  /**
   * Delivers one notification; rejects when it could not, with an error that may say whether to retry
   * (`NotifyFailure`). The caller retries with backoff, sending the same `notification.id`.
   */
  notify(notification: Notification, signal?: AbortSignalLike): Promise<void>;
  close?(): Promise<void>;
}

/** What each kind of plugin creates. */
export interface PluginInstances {
  processor: ShoplogPlugin;
  exporter: ShoplogPlugin;
  rule: BuiltinFraudRule;
  notifier: Notifier;
}

/** What a plugin's factory receives besides its options. */
export interface PluginCreateContext {
  /** Where the plugin runs: a shop process (`sdk`), a logger transport's worker (`worker`) or the reference server. */
  readonly host: 'sdk' | 'worker' | 'server';
  /** Reports a problem once, without throwing (a missing database file, a channel that refuses credentials). */
  warn(message: string): void;
}

/** A plugin as a package or a local module exports it: metadata, an options schema and a factory. */
export interface PluginDefinition<K extends PluginKind = PluginKind, S extends z.ZodType = z.ZodType> {
  /** Unique name, usually the npm package name. */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** The plugin API version it was written for (`PLUGIN_API_VERSION`). */
  readonly apiVersion: number;
  readonly kind: K;
  /** One line for listings (dashboard, health). */
  readonly description?: string;
  /** Options, parsed once when the plugin is created; a bad option is one error naming the plugin and the option. */
  readonly options: S;
  readonly capabilities?: PluginCapabilities;
  create(options: z.output<S>, context: PluginCreateContext): PluginInstances[K] | Promise<PluginInstances[K]>;
}

const SEMVER = /^\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/;

/** Declares a plugin; checks its metadata so a malformed plugin fails where it is written, not where it is loaded. */
export function definePlugin<K extends PluginKind, S extends z.ZodType>(
  definition: PluginDefinition<K, S>,
): PluginDefinition<K, S> {
  const problems: string[] = [];
  if (typeof definition.name !== 'string' || definition.name.length === 0)
    problems.push('name must be a non-empty string');
  if (typeof definition.version !== 'string' || !SEMVER.test(definition.version))
    problems.push('version must be semver (1.2.3)');
  if (!Number.isInteger(definition.apiVersion)) problems.push('apiVersion must be an integer (PLUGIN_API_VERSION)');
  if (!['processor', 'exporter', 'rule', 'notifier'].includes(definition.kind))
    problems.push(`kind '${String(definition.kind)}' is not one of processor, exporter, rule, notifier`);
  if (typeof definition.create !== 'function') problems.push('create must be a function');
  if (problems.length > 0) throw new TypeError(`definePlugin(${String(definition.name)}): ${problems.join('; ')}`);
  return Object.freeze(definition);
}

/**
 * Creates a plugin's instance: refuses a plugin written for another API version, parses its options (one error
 * naming the plugin and every bad option), then calls its factory.
 */
export async function createPluginInstance<K extends PluginKind, S extends z.ZodType>(
  definition: PluginDefinition<K, S>,
  options: unknown,
  context: PluginCreateContext,
): Promise<PluginInstances[K]> {
  if (definition.apiVersion !== PLUGIN_API_VERSION) {
    throw new TypeError(
      `plugin ${definition.name}@${definition.version} was written for plugin API ${definition.apiVersion}; this Shoplog implements ${PLUGIN_API_VERSION}`,
    );
  }
  const parsed = parseOptions(`plugin ${definition.name}`, definition.options, options);
  return definition.create(parsed, context);
}
