import {
  backoffDelay,
  PluginTimeoutError,
  StageGuard,
  type CircuitBreakerOptions,
  type Notification,
  type Notifier,
  type NotifyFailure,
} from '@shoplog/core';
import type { NotifyClock } from './clock.js';
import { digestOf } from './digest.js';
import type { ChannelMetrics, DeliveryResult } from './dispatcher.js';
import { oneLine } from './errors.js';
import { AttemptSignal } from './signal.js';

/** The dispatcher's options after defaults, as every channel reads them. */
export interface ChannelSettings {
  readonly groupWindowMs: number;
  readonly cooldownMs: number;
  readonly maxQueued: number;
  readonly maxAttempts: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly attemptTimeoutMs: number;
  readonly circuitBreaker: Required<CircuitBreakerOptions> | false;
  readonly clock: NotifyClock;
  readonly random: () => number;
  readonly onResult?: ((result: DeliveryResult) => void) | undefined;
}

/**
 * How long a notifier that ignores the abort signal may go on after its attempt's time is up before the attempt is
 * abandoned anyway (a notifier that honours the signal fails first, with its own reason).
 */
const ABANDON_AFTER_ABORT_MS = 1000;

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
export class Channel {
  private readonly groups = new Map<string, Group>();
  private readonly queue = new Fifo<Message>();
  private created: Notifier | undefined;
  private busy = false;
  private closing = false;
  private cancelRetry: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  readonly counters = { queued: 0, sent: 0, failed: 0, retried: 0, dropped: 0, suppressed: 0 };
  lastError: ChannelMetrics['lastError'] = null;
  /** Calls of the notifier: their time, time-outs and the circuit breaker, as for every other plugin. */
  readonly guard: StageGuard;

  constructor(
    readonly name: string,
    private readonly notifier: Promise<Notifier>,
    private readonly s: ChannelSettings,
  ) {
    const breaker = s.circuitBreaker;
    this.guard = new StageGuard(
      () => name,
      () => s.clock.now(),
      breaker === false ? 0 : breaker.failures,
      breaker === false ? 0 : breaker.cooldownMs,
    );
  }

  hold(n: Notification): void {
    if (this.counters.queued >= this.s.maxQueued)
      return this.drop(n, `the queue of ${this.name} is full (${this.s.maxQueued})`);
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
    this.report({
      channel: this.name,
      notification: n,
      notificationIds: [n.id],
      outcome: 'dropped',
      attempts: 0,
      error: reason,
      at: this.s.clock.now(),
    });
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
      this.queue.push({
        notification: events.length === 1 ? (events[0] as Notification) : digestOf(events),
        ids: events.map((n) => n.id),
        attempts: 0,
      });
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
    // An open breaker holds the channel's queue until it lets one call try again; the last attempts at close go on.
    if (!this.closing && !this.guard.admit()) {
      this.cancelRetry = this.s.clock.setTimer(
        () => {
          this.cancelRetry = undefined;
          void this.attempt(message);
        },
        Math.max(1, this.guard.openForMs()),
      );
      return;
    }
    message.attempts++;
    let failure: unknown;
    let created = true;
    // The attempt's timeout runs on real time whatever the clock: it bounds I/O, it is not a schedule.
    const abort = new AttemptSignal();
    const timeout = setTimeout(() => abort.abort(), this.s.attemptTimeoutMs);
    let started: number | undefined;
    try {
      this.created ??= await this.notifier.catch((error: unknown) => {
        created = false;
        throw error;
      });
      started = this.guard.start();
      // A notifier that ignores the signal is abandoned a little after it: it cannot hold the channel forever.
      await this.guard.budget(
        this.created.notify(message.notification, abort),
        this.s.attemptTimeoutMs + ABANDON_AFTER_ABORT_MS,
      );
    } catch (error) {
      failure = error ?? new Error('rejected without a reason');
    } finally {
      clearTimeout(timeout);
    }
    if (started !== undefined) {
      if (failure === undefined) this.guard.succeeded(started);
      // An attempt that ran out of its time counts as a time-out, whatever error the notifier gave for it.
      else
        this.guard.failed(
          started,
          abort.aborted && !(failure instanceof PluginTimeoutError)
            ? new PluginTimeoutError(describe(failure))
            : failure,
        );
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
      const asked =
        typeof retryAfterMs === 'number' && retryAfterMs >= 0 && Number.isFinite(retryAfterMs)
          ? retryAfterMs
          : undefined;
      const delay = backoffDelay(
        message.attempts,
        { initialDelayMs: this.s.retryInitialDelayMs, maxDelayMs: this.s.retryMaxDelayMs, random: this.s.random },
        asked,
      );
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

/** Hands a result to `onResult`; what it throws is ignored. */
export function report(settings: ChannelSettings, result: DeliveryResult): void {
  try {
    settings.onResult?.(result);
  } catch {
    // The caller's bookkeeping must not stop deliveries.
  }
}

/** A failure as one line for metrics, logs and the history (channels keep secrets out of their messages). */
export function describe(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error), 300);
}
