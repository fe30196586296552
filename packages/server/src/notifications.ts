import { randomUUID } from 'node:crypto';
import {
  createPluginInstance,
  loadPlugin,
  OptionsError,
  type FraudEvent,
  type Notification,
  type Notifier,
  type PluginLoaderOptions,
  type ShoplogEvent,
} from '@shoplog/core';
import {
  createNotificationDispatcher,
  NOTIFIERS,
  systemClock,
  VERSION as NOTIFY_VERSION,
  type ChannelMetrics,
  type DeliveryResult,
} from '@shoplog/plugin-notify';
import type { ServerConfig } from './config.js';
import type { AlertRuleRecord, MetaStore, NotificationRecord } from './ports.js';

/** Notification records kept in the meta store (the alert history); older ones are removed. */
export const HISTORY_KEEP = 10_000;

/** What the server's notifications need. */
export interface ServerNotificationsOptions {
  settings: ServerConfig['notifications'];
  meta: Pick<MetaStore, 'addNotification'>;
  /** Where failures and channel warnings are reported. */
  log: { warn(message: string): void; error(details: object, message: string): void };
  /** How a channel's `module` (a notifier plugin) is loaded; without it, such a channel is refused. */
  loader?: PluginLoaderOptions;
  /** Where `{ "env": "NAME" }` options are read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Current time in epoch ms (the server's clock). @default Date.now */
  now?: () => number;
}

/** A configured channel as the API shows it: never its options (they hold secrets). */
export interface ChannelView {
  name: string;
  /** The channel type of @shoplog/plugin-notify, or the module of a notifier plugin. */
  type: string;
  /** The notifier plugin's version (`unknown` until a module channel has loaded). */
  version: string;
  /** Told about fraud blocks. */
  fraud: boolean;
  metrics: ChannelMetrics;
}

/** The server's alert and fraud notifications over the configured channels. */
export interface ServerNotifications {
  /** Names of the configured channels. */
  readonly channelNames: readonly string[];
  /** Resolves once every channel is created; rejects naming the channel whose options are wrong. */
  ready(): Promise<void>;
  /** Tells a rule's channels that it started firing (`since` = now) or stopped (`since` = when it started). */
  alertChanged(rule: AlertRuleRecord, change: 'firing' | 'resolved', since: number, now: number): void;
  /** Tells the fraud channels about the `block` verdicts among fraud events the server's scoring stored. */
  fraudScored(events: readonly ShoplogEvent[]): void;
  channels(): ChannelView[];
  /** Sends what is held (one last attempt each), then waits for the history to be written. */
  close(): Promise<void>;
}

/** The channel `serve --demo` adds when none is configured: notifications printed on the server's console. */
export const DEMO_CHANNEL = 'demo-console';

/** The settings with the demo's console channel (also told of fraud blocks) when they configure no channel. */
export function withDemoChannel(settings: ServerConfig['notifications']): ServerConfig['notifications'] {
  if (settings.channels.length > 0) return settings;
  return { ...settings, channels: [{ name: DEMO_CHANNEL, type: 'log', options: {} }], fraudChannels: [DEMO_CHANNEL] };
}

/** Replaces every `{ "env": "NAME" }` in channel options by the variable's value; a missing one is an error. */
function resolveEnv(value: unknown, env: Record<string, string | undefined>, path: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => resolveEnv(item, env, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]?.[0] === 'env' && typeof entries[0][1] === 'string') {
    const found = env[entries[0][1]];
    if (found === undefined || found === '')
      throw new OptionsError(`${path}: the environment variable ${entries[0][1]} is not set`);
    return found;
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveEnv(item, env, `${path}.${key}`)]));
}

const METRIC: Record<AlertRuleRecord['metric'], (value: number) => string> = {
  error_rate: (v) => `error rate ${v}%`,
  p95_ms: (v) => `p95 latency ${v} ms`,
  fraud_alerts: (v) => `${v} fraud alerts`,
  count: (v) => `${v} events`,
};
/** A duration as people write it: 7d, 3h, 5m. */
const duration = (ms: number): string =>
  ms >= 86_400_000 && ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms >= 3_600_000 && ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : `${Math.max(1, Math.round(ms / 60_000))}m`;

/** The message of an alert rule's state change; its id is the same for every instance and retry of that change. */
export function alertNotification(
  rule: AlertRuleRecord,
  change: 'firing' | 'resolved',
  since: number,
  now: number,
  publicUrl?: string,
): Notification {
  const value = METRIC[rule.metric](rule.lastValue ?? 0);
  const window = `over the last ${duration(rule.windowMs)}`;
  return {
    id: `alert:${rule.id}:${since}:${change}`,
    type: change === 'firing' ? 'alert.firing' : 'alert.resolved',
    group: `alert:${rule.id}`,
    title: `${change === 'firing' ? 'Firing' : 'Resolved'}: ${rule.name}`,
    text:
      change === 'firing'
        ? `${value} ${window}, above the threshold of ${rule.threshold}.`
        : `${value} ${window}, back to the threshold of ${rule.threshold} or below, after ${duration(now - since)} firing.`,
    severity: change === 'firing' ? 'warning' : 'info',
    at: new Date(now).toISOString(),
    details: {
      ruleId: rule.id,
      rule: rule.name,
      metric: rule.metric,
      value: rule.lastValue,
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      filters: rule.filters,
      firingSince: new Date(since).toISOString(),
    },
    ...(publicUrl ? { link: `${publicUrl.replace(/\/$/, '')}/#/alerts` } : {}),
  };
}

/** The message of a blocked transaction: ids, score, reasons and amount; no other personal data. */
export function fraudNotification(event: FraudEvent, publicUrl?: string): Notification {
  const { fraud, transaction, amount } = event.shop;
  const codes = fraud.reasons.map((r) => r.code);
  return {
    id: `fraud:${event.event.id}`,
    type: 'fraud.block',
    group: `fraud:${codes[0] ?? 'UNSPECIFIED'}`,
    title: `Fraud block: transaction ${transaction.id}`,
    text: [
      `Score ${fraud.score} (${fraud.risk_level} risk).`,
      `Reasons: ${codes.join(', ') || 'none'}.`,
      ...(amount ? [`Amount ${amount.value} ${amount.currency}.`] : []),
      ...(event.user?.id ? [`User ${event.user.id}.`] : []),
    ].join(' '),
    severity: 'warning',
    at: event['@timestamp'],
    details: {
      eventId: event.event.id,
      transactionId: transaction.id,
      userId: event.user?.id ?? null,
      score: fraud.score,
      riskLevel: fraud.risk_level,
      reasons: fraud.reasons.map((r) => ({ code: r.code, contribution: r.contribution })),
      ...(amount ? { amount: { value: amount.value, currency: amount.currency } } : {}),
    },
    ...(publicUrl ? { link: `${publicUrl.replace(/\/$/, '')}/#/event/${encodeURIComponent(event.event.id)}` } : {}),
  };
}

const recordOf = (result: DeliveryResult): NotificationRecord => {
  const ruleId = result.notification.details['ruleId'];
  return {
    id: randomUUID(),
    notificationId: result.notification.id,
    channel: result.channel,
    type: result.notification.type,
    group: result.notification.group,
    ruleId: typeof ruleId === 'string' ? ruleId : null,
    title: result.notification.title,
    outcome: result.outcome,
    attempts: result.attempts,
    error: result.error ?? null,
    count: result.notificationIds.length,
    at: result.at,
  };
};

/**
 * Creates the channels of the `notifications` setting (options with `{ "env": NAME }` resolved now: a missing
 * variable throws an `OptionsError`) and the dispatcher they share; every outcome is recorded in the alert history.
 */
export function createServerNotifications(options: ServerNotificationsOptions): ServerNotifications {
  const { settings, meta, log } = options;
  const env = options.env ?? process.env;
  const context = { host: 'server' as const, warn: (message: string) => log.warn(message) };
  const versions = new Map<string, string>();
  const create = (
    channel: ServerConfig['notifications']['channels'][number],
    i: number,
  ): Notifier | Promise<Notifier> => {
    const channelOptions = resolveEnv(channel.options, env, `notifications.channels[${i}].options`);
    if (channel.type !== undefined) {
      versions.set(channel.name, NOTIFY_VERSION);
      return createPluginInstance(NOTIFIERS[channel.type], channelOptions, context);
    }
    const { loader } = options;
    if (!loader || channel.module === undefined)
      throw new OptionsError(`notifications.channels[${i}].module: this host loads no modules`);
    // A notifier plugin by specifier: its API version, kind and options are checked as any plugin's are.
    const spec = {
      module: channel.module,
      ...(channel.export ? { export: channel.export } : {}),
      options: channelOptions,
    };
    return loadPlugin(spec, { ...loader, kinds: ['notifier'] }).then((loaded) => {
      versions.set(channel.name, loaded.info.version);
      return loaded.instance as Notifier;
    });
  };
  const channels = Object.fromEntries(settings.channels.map((channel, i) => [channel.name, create(channel, i)]));
  const writes = new Set<Promise<void>>();
  const dispatcher = createNotificationDispatcher({
    channels,
    groupWindowMs: settings.groupWindowSeconds * 1000,
    cooldownMs: settings.cooldownSeconds * 1000,
    attemptTimeoutMs: settings.attemptTimeoutSeconds * 1000,
    clock: { now: options.now ?? Date.now, setTimer: systemClock.setTimer },
    onResult(result) {
      if (result.outcome !== 'sent')
        log.warn(
          `notification "${result.notification.title}" to ${result.channel} ${result.outcome}: ${result.error ?? ''}`,
        );
      const write = meta
        .addNotification(recordOf(result), HISTORY_KEEP)
        .catch((error: unknown) => log.error({ err: error }, 'could not record a notification in the alert history'));
      writes.add(write);
      void write.finally(() => writes.delete(write));
    },
  });
  const fraud = new Set(settings.fraudChannels);
  // A notification problem is reported, never thrown into ingest or the alert evaluation.
  const guarded = (send: () => void): void => {
    try {
      send();
    } catch (error) {
      log.error({ err: error }, 'could not send a notification');
    }
  };
  return {
    channelNames: settings.channels.map((c) => c.name),
    ready: () => dispatcher.ready(),
    alertChanged(rule, change, since, now) {
      if (!rule.channels || rule.channels.length === 0) return;
      guarded(() =>
        dispatcher.dispatch(alertNotification(rule, change, since, now, settings.publicUrl), rule.channels),
      );
    },
    fraudScored(events) {
      if (fraud.size === 0) return;
      for (const event of events) {
        if (event.event.dataset === 'shoplog.fraud' && (event as FraudEvent).shop.fraud.decision === 'block') {
          guarded(() => dispatcher.dispatch(fraudNotification(event as FraudEvent, settings.publicUrl), [...fraud]));
        }
      }
    },
    channels() {
      const metrics = dispatcher.metrics();
      return settings.channels.map((c) => ({
        name: c.name,
        type: c.type ?? c.module ?? 'unknown',
        version: versions.get(c.name) ?? 'unknown',
        fraud: fraud.has(c.name),
        metrics: metrics[c.name] as ChannelMetrics,
      }));
    },
    async close() {
      await dispatcher.close();
      await Promise.all(writes);
    },
  };
}
