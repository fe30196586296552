import {
  parseOptions,
  type BreakerState,
  type CircuitBreakerOptions,
  type Notification,
  type Notifier,
} from '@shoplog/core';
import { z } from 'zod';
import { systemClock, type NotifyClock } from './clock.js';
import { Channel, describe, report, type ChannelSettings } from './channel.js';

/** Options of `createNotificationDispatcher`. */
export interface NotificationDispatcherOptions {
  /** The channels by name: notifiers, or promises of them (a plugin's factory may be async). */
  channels: Record<string, Notifier | PromiseLike<Notifier>>;
  /** A group's first notification waits this long for others of its group, then all are sent as one digest. @default 10000 */
  groupWindowMs?: number;
  /** After a group's problem message (anything but `alert.resolved`), the next waits at least this long. @default 300000 */
  cooldownMs?: number;
  /** Notifications waiting per channel (grouped, queued or retrying); more are dropped and counted. @default 1000 */
  maxQueued?: number;
  /** Attempts of one message before it counts as failed. @default 8 */
  maxAttempts?: number;
  /** First retry delay; it doubles per attempt, with full jitter, and never undercuts `Retry-After`. @default 1000 */
  retryInitialDelayMs?: number;
  /** Largest retry delay (a longer `Retry-After` is honoured up to 5 minutes). @default 60000 */
  retryMaxDelayMs?: number;
  /** One attempt is aborted after this long (and counted as a time-out). @default 10000 */
  attemptTimeoutMs?: number;
  /**
   * After this many failed attempts in a row a channel's breaker opens: nothing is sent to it for `cooldownMs`, then
   * one attempt tries again; `false` never opens it. @default { failures: 5, cooldownMs: 30000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Time and timers (tests pass `createManualClock()`). @default systemClock */
  clock?: NotifyClock;
  /** A number in [0, 1) for the jitter. @default Math.random */
  random?: () => number;
  /** Receives the outcome of every message (sent, failed after its attempts, or dropped); errors it throws are ignored. */
  onResult?: (result: DeliveryResult) => void;
}

/** What became of one message to one channel. */
export interface DeliveryResult {
  readonly channel: string;
  /** The message as sent: the notification itself, or a digest standing for several. */
  readonly notification: Notification;
  /** Ids of the notifications it carried (one, or a digest's members). */
  readonly notificationIds: readonly string[];
  readonly outcome: 'sent' | 'failed' | 'dropped';
  readonly attempts: number;
  /** Why it failed or was dropped. */
  readonly error?: string;
  /** When it ended, epoch milliseconds (the dispatcher's clock). */
  readonly at: number;
}

/** Delivery counters of one channel. */
export interface ChannelMetrics {
  /** Notifications waiting: in a group window or cooldown, queued, or between retries. */
  queued: number;
  sent: number;
  failed: number;
  /** Attempts that failed and were tried again. */
  retried: number;
  /** Refused: queue full, unknown channel, dispatcher closed. */
  dropped: number;
  /** State messages that changed nothing (superseded while waiting, or equal to the last one sent). */
  suppressed: number;
  lastError: { message: string; at: string } | null;
  /** Calls of the notifier (attempts that reached it). */
  calls: number;
  /** Attempts that ran out of `attemptTimeoutMs`. */
  timeouts: number;
  /** Time spent in the notifier's calls, in milliseconds. */
  totalMs: number;
  /** The channel's circuit breaker: `open` while attempts wait for its cooldown. */
  breaker: BreakerState;
}

/** Sends notifications to channels with grouping, cooldowns, retries and metrics. */
export interface NotificationDispatcher {
  /**
   * Hands a notification to channels (all of them when `channels` is omitted); never throws for delivery problems,
   * which end in `onResult` and the metrics. Throws a `TypeError` for a malformed notification.
   */
  dispatch(notification: Notification, channels?: readonly string[]): void;
  /** Resolves once every channel is created; rejects naming the first channel whose creation failed. */
  ready(): Promise<void>;
  /** Counters per channel name. */
  metrics(): Record<string, ChannelMetrics>;
  /** Sends what groups and cooldowns hold now, and resolves when every queue is empty (retries included). */
  flush(): Promise<void>;
  /** Stops accepting, sends what is held with one last attempt each, then closes the channels. Idempotent. */
  close(): Promise<void>;
}

const fn = <F>() => z.custom<F>((v) => typeof v === 'function', 'must be a function');
const isNotifierLike = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  (typeof (v as Notifier).notify === 'function' || typeof (v as PromiseLike<unknown>).then === 'function');

const OptionsSchema = z.strictObject({
  channels: z.record(
    z.string().min(1),
    z.custom<Notifier | PromiseLike<Notifier>>(isNotifierLike, 'must be a notifier or a promise of one'),
  ),
  groupWindowMs: z.int().min(0).default(10_000),
  cooldownMs: z.int().min(0).default(300_000),
  maxQueued: z.int().positive().default(1000),
  maxAttempts: z.int().min(1).max(100).default(8),
  retryInitialDelayMs: z.int().positive().default(1000),
  retryMaxDelayMs: z.int().positive().default(60_000),
  attemptTimeoutMs: z.int().positive().default(10_000),
  circuitBreaker: z
    .union([
      z.literal(false),
      z.strictObject({ failures: z.int().min(1).default(5), cooldownMs: z.int().min(0).default(30_000) }),
    ])
    .default({ failures: 5, cooldownMs: 30_000 }),
  clock: z
    .custom<NotifyClock>(
      (v) => typeof (v as NotifyClock)?.now === 'function' && typeof (v as NotifyClock)?.setTimer === 'function',
      'must have now() and setTimer()',
    )
    .optional(),
  random: fn<() => number>().optional(),
  onResult: fn<(result: DeliveryResult) => void>().optional(),
});

function checkNotification(n: Notification): void {
  for (const field of ['id', 'type', 'group', 'title', 'text', 'at'] as const) {
    if (typeof n?.[field] !== 'string' || n[field] === '')
      throw new TypeError(`dispatch: notification.${field} must be a non-empty string`);
  }
}

/**
 * Creates the dispatcher every channel shares: per channel and group it waits `groupWindowMs` and sends what
 * arrived as one message (a digest when several), keeps `cooldownMs` between a group's problem messages, sends
 * only state changes of alert rules (a firing superseded by its resolution while waiting is never sent), retries
 * retryable failures with backoff and jitter, bounds what waits, and counts everything.
 */
export function createNotificationDispatcher(options: NotificationDispatcherOptions): NotificationDispatcher {
  const parsed = parseOptions('createNotificationDispatcher', OptionsSchema, options);
  const settings: ChannelSettings = {
    ...parsed,
    clock: parsed.clock ?? systemClock,
    random: parsed.random ?? Math.random,
  };
  const channels = new Map<string, Channel>();
  const created: Promise<void>[] = [];
  for (const [name, given] of Object.entries(parsed.channels)) {
    const notifier = Promise.resolve(given);
    created.push(
      notifier.then(
        () => undefined,
        (error: unknown) =>
          Promise.reject(new Error(`notification channel ${name}: ${describe(error)}`, { cause: error })),
      ),
    );
    channels.set(name, new Channel(name, notifier, settings));
  }
  // Creation failures surface through ready() and each delivery; never as an unhandled rejection.
  for (const promise of created) promise.catch(() => {});
  let closing: Promise<void> | undefined;

  return {
    dispatch(notification, names) {
      checkNotification(notification);
      for (const name of names ?? [...channels.keys()]) {
        const channel = channels.get(name);
        if (!channel) {
          report(settings, {
            channel: name,
            notification,
            notificationIds: [notification.id],
            outcome: 'dropped',
            attempts: 0,
            error: `no channel named ${name}`,
            at: settings.clock.now(),
          });
        } else if (closing) {
          channel.drop(notification, 'the dispatcher is closed');
        } else {
          channel.hold(notification);
        }
      }
    },
    async ready() {
      await Promise.all(created);
    },
    metrics() {
      return Object.fromEntries(
        [...channels].map(([name, c]) => {
          const stats = c.guard.stats();
          return [
            name,
            {
              ...c.counters,
              lastError: c.lastError,
              calls: stats.calls,
              timeouts: stats.timeouts,
              totalMs: stats.totalMs,
              breaker: stats.state,
            },
          ];
        }),
      );
    },
    async flush() {
      await Promise.all([...channels.values()].map((c) => c.drain()));
    },
    close() {
      closing ??= Promise.all([...channels.values()].map((c) => c.close())).then(() => undefined);
      return closing;
    },
  };
}
