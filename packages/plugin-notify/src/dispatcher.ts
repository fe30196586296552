import { backoffDelay, parseOptions, type Notification, type Notifier, type NotifyFailure } from '@shoplog/core';
import { z } from 'zod';
import { systemClock, type NotifyClock } from './clock.js';
import { digestOf } from './digest.js';
import { oneLine } from './errors.js';
import { AttemptSignal } from './signal.js';

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
  /** One attempt is aborted after this long. @default 10000 */
  attemptTimeoutMs?: number;
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
  typeof v === 'object' && v !== null && (typeof (v as Notifier).notify === 'function' || typeof (v as PromiseLike<unknown>).then === 'function');

const OptionsSchema = z.strictObject({
  channels: z.record(z.string().min(1), z.custom<Notifier | PromiseLike<Notifier>>(isNotifierLike, 'must be a notifier or a promise of one')),
  groupWindowMs: z.int().min(0).default(10_000),
  cooldownMs: z.int().min(0).default(300_000),
  maxQueued: z.int().positive().default(1000),
  maxAttempts: z.int().min(1).max(100).default(8),
  retryInitialDelayMs: z.int().positive().default(1000),
  retryMaxDelayMs: z.int().positive().default(60_000),
  attemptTimeoutMs: z.int().positive().default(10_000),
  clock: z.custom<NotifyClock>((v) => typeof (v as NotifyClock)?.now === 'function' && typeof (v as NotifyClock)?.setTimer === 'function', 'must have now() and setTimer()').optional(),
  random: fn<() => number>().optional(),
  onResult: fn<(result: DeliveryResult) => void>().optional(),
});
type Settings = z.output<typeof OptionsSchema> & { clock: NotifyClock; random: () => number };

/** Groups whose state is kept per channel; the oldest idle one is forgotten beyond this. */
const MAX_GROUPS = 10_000;
const isState = (n: Notification): boolean => n.type === 'alert.firing' || n.type === 'alert.resolved';

interface Group {
  readonly key: string;
  pending: Notification[];
  /** When the oldest pending notification arrived. */
  since: number;
  cancel: (() => void) | undefined;
  lastProblemAt: number | undefined;
  lastState: Notification['type'] | undefined;
}

interface Message {
  readonly notification: Notification;
  readonly ids: readonly string[];
  attempts: number;
}

/** A first-in first-out list whose `shift()` does not move the whole array. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): void {
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** One channel: its groups, its FIFO queue (one message in flight, so a group's order is kept) and its counters. */
class Channel {
  private readonly groups = new Map<string, Group>();
  private readonly queue = new Fifo<Message>();
  private created: Notifier | undefined;
  private busy = false;
  private closing = false;
  private cancelRetry: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  readonly counters = { queued: 0, sent: 0, failed: 0, retried: 0, dropped: 0, suppressed: 0 };
  lastError: ChannelMetrics['lastError'] = null;

  constructor(
    readonly name: string,
    private readonly notifier: Promise<Notifier>,
    private readonly s: Settings,
  ) {}

  hold(n: Notification): void {
    if (this.counters.queued >= this.s.maxQueued) return this.drop(n, `the queue of ${this.name} is full (${this.s.maxQueued})`);
    const group = this.group(n.group);
    if (isState(n)) {
      const before = group.pending.length;
      group.pending = group.pending.filter((p) => !isState(p));
      this.counters.suppressed += before - group.pending.length;
      this.counters.queued -= before - group.pending.length;
      if (n.type === group.lastState) {
        this.counters.suppressed++;
        return this.schedule(group);
      }
    }
    if (group.pending.length === 0) group.since = this.s.clock.now();
    group.pending.push(n);
    this.counters.queued++;
    this.schedule(group);
  }

  drop(n: Notification, reason: string): void {
    this.counters.dropped++;
    this.report({ channel: this.name, notification: n, notificationIds: [n.id], outcome: 'dropped', attempts: 0, error: reason, at: this.s.clock.now() });
  }

  /** Releases every held group now, then resolves when the queue is empty. */
  drain(): Promise<void> {
    for (const group of this.groups.values()) if (group.pending.length > 0) this.release(group);
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.cancelRetry) {
      // The message waiting for a retry gets its last attempt now.
      this.cancelRetry();
      this.cancelRetry = undefined;
      const head = this.queue.peek();
      if (head) void this.attempt(head);
    }
    await this.drain();
    const notifier = await this.notifier.catch(() => undefined);
    await notifier?.close?.().catch(() => {});
  }

  private group(key: string): Group {
    let group = this.groups.get(key);
    if (group) return group;
    if (this.groups.size >= MAX_GROUPS) {
      for (const [k, g] of this.groups) {
        if (g.pending.length === 0) {
          this.groups.delete(k);
          break;
        }
      }
    }
    group = { key, pending: [], since: 0, cancel: undefined, lastProblemAt: undefined, lastState: undefined };
    this.groups.set(key, group);
    return group;
  }

  private schedule(group: Group): void {
    group.cancel?.();
    group.cancel = undefined;
    if (group.pending.length === 0) return;
    let due = group.since + this.s.groupWindowMs;
    // A resolved message is never held back by the cooldown: it ends the problem the last message announced.
    if (group.lastProblemAt !== undefined && group.pending.some((n) => n.type !== 'alert.resolved')) {
      due = Math.max(due, group.lastProblemAt + this.s.cooldownMs);
    }
    const wait = due - this.s.clock.now();
    if (wait <= 0) return this.release(group);
    group.cancel = this.s.clock.setTimer(() => {
      group.cancel = undefined;
      this.release(group);
    }, wait);
  }

  private release(group: Group): void {
    group.cancel?.();
    group.cancel = undefined;
    const items = group.pending;
    group.pending = [];
    const events: Notification[] = [];
    for (const n of items) {
      if (isState(n)) {
        group.lastState = n.type;
        this.queue.push({ notification: n, ids: [n.id], attempts: 0 });
      } else {
        events.push(n);
      }
    }
    if (events.length > 0) {
      this.queue.push({ notification: events.length === 1 ? (events[0] as Notification) : digestOf(events), ids: events.map((n) => n.id), attempts: 0 });
    }
    if (items.some((n) => n.type !== 'alert.resolved')) group.lastProblemAt = this.s.clock.now();
    this.pump();
  }

  private pump(): void {
    const head = this.queue.peek();
    if (this.busy || !head) return;
    this.busy = true;
    void this.attempt(head);
  }

  private async attempt(message: Message): Promise<void> {
    message.attempts++;
    let failure: unknown;
    let created = true;
    // The attempt's timeout runs on real time whatever the clock: it bounds I/O, it is not a schedule.
    const abort = new AttemptSignal();
    const timeout = setTimeout(() => abort.abort(), this.s.attemptTimeoutMs);
    try {
      this.created ??= await this.notifier.catch((error: unknown) => {
        created = false;
        throw error;
      });
      await this.created.notify(message.notification, abort);
    } catch (error) {
      failure = error ?? new Error('rejected without a reason');
    } finally {
      clearTimeout(timeout);
    }
    if (failure === undefined) {
      this.counters.sent++;
      return this.finish(message, 'sent');
    }
    const reason = created ? describe(failure) : `${this.name} could not be created: ${describe(failure)}`;
    this.lastError = { message: reason, at: new Date(this.s.clock.now()).toISOString() };
    const { retryable, retryAfterMs } = (typeof failure === 'object' ? failure : {}) as NotifyFailure;
    if (created && retryable !== false && message.attempts < this.s.maxAttempts && !this.closing) {
      this.counters.retried++;
      // A third-party notifier's `retryAfterMs` is only believed when it is a duration.
      const asked = typeof retryAfterMs === 'number' && retryAfterMs >= 0 && Number.isFinite(retryAfterMs) ? retryAfterMs : undefined;
      const delay = backoffDelay(message.attempts, { initialDelayMs: this.s.retryInitialDelayMs, maxDelayMs: this.s.retryMaxDelayMs, random: this.s.random }, asked);
      this.cancelRetry = this.s.clock.setTimer(() => {
        this.cancelRetry = undefined;
        void this.attempt(message);
      }, delay);
      return;
    }
    this.counters.failed++;
    this.finish(message, 'failed', reason);
  }

  private finish(message: Message, outcome: 'sent' | 'failed', error?: string): void {
    this.queue.shift();
    this.counters.queued -= message.ids.length;
    this.busy = false;
    this.report({
      channel: this.name,
      notification: message.notification,
      notificationIds: message.ids,
      outcome,
      attempts: message.attempts,
      ...(error !== undefined ? { error } : {}),
      at: this.s.clock.now(),
    });
    if (this.queue.length > 0) return this.pump();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private report(result: DeliveryResult): void {
    report(this.s, result);
  }
}

function report(settings: Settings, result: DeliveryResult): void {
  try {
    settings.onResult?.(result);
  } catch {
    // The caller's bookkeeping must not stop deliveries.
  }
}

/** A failure as one line for metrics, logs and the history (channels keep secrets out of their messages). */
function describe(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error), 300);
}

function checkNotification(n: Notification): void {
  for (const field of ['id', 'type', 'group', 'title', 'text', 'at'] as const) {
    if (typeof n?.[field] !== 'string' || n[field] === '') throw new TypeError(`dispatch: notification.${field} must be a non-empty string`);
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
  const settings: Settings = { ...parsed, clock: parsed.clock ?? systemClock, random: parsed.random ?? Math.random };
  const channels = new Map<string, Channel>();
  const created: Promise<void>[] = [];
  for (const [name, given] of Object.entries(parsed.channels)) {
    const notifier = Promise.resolve(given);
    created.push(notifier.then(() => undefined, (error: unknown) => Promise.reject(new Error(`notification channel ${name}: ${describe(error)}`, { cause: error }))));
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
          report(settings, { channel: name, notification, notificationIds: [notification.id], outcome: 'dropped', attempts: 0, error: `no channel named ${name}`, at: settings.clock.now() });
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
      return Object.fromEntries([...channels].map(([name, c]) => [name, { ...c.counters, lastError: c.lastError }]));
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
