import { EVENT_KINDS, type EventKind } from '@shoplog/core';
import { z } from 'zod';
import type { LogStore, RetentionCutoffs } from './ports.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How often the server looks for expired events (each pass deletes them in bounded steps). */
export const RETENTION_INTERVAL_MS = 5 * 60_000;

const days = z.coerce.number().int().min(0).max(36_500);

/**
 * Per-dataset retention in days, as `fraud=365,performance=7` (an environment variable) or `{ "fraud": 365 }` (the
 * config file); a dataset is a kind (`transaction`, …) or its `event.dataset` (`shoplog.transaction`); 0 keeps forever.
 */
export const RetentionOverridesSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const out: Record<string, string> = {};
    for (const item of value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [name = '', count = ''] = item.split('=').map((part) => part.trim());
      out[name] = count;
    }
    return out;
  },
  z
    .record(z.string(), days)
    .superRefine((value, ctx) => {
      for (const name of Object.keys(value)) {
        if (!(EVENT_KINDS as readonly string[]).includes(name.replace(/^shoplog\./, ''))) {
          ctx.addIssue({ code: 'custom', path: [name], message: `unknown dataset: use ${EVENT_KINDS.join(', ')}` });
        }
      }
    })
    .transform(
      (value) =>
        Object.fromEntries(
          Object.entries(value).map(([name, count]) => [name.replace(/^shoplog\./, ''), count]),
        ) as Partial<Record<EventKind, number>>,
    ),
);

/** Retention in days: the default and the per-dataset overrides (0 keeps forever). */
export interface RetentionPolicy {
  /** @default 30 */
  days: number;
  byDataset: Partial<Record<EventKind, number>>;
}

/** The days each kind is kept (0: forever). */
export function retentionDays(policy: RetentionPolicy, kind: EventKind): number {
  return policy.byDataset[kind] ?? policy.days;
}

/**
 * The cutoff of each kind at `now`: the start of the hour `days` ago, so whole hours expire at once and the hourly
 * rollups stay exact (an event goes within an hour and a pass after it is `days` old). Kinds kept forever are absent.
 */
export function retentionCutoffs(policy: RetentionPolicy, now: number): RetentionCutoffs {
  const out: RetentionCutoffs = {};
  for (const kind of EVENT_KINDS) {
    const keep = retentionDays(policy, kind);
    if (keep > 0) out[kind] = Math.floor((now - keep * DAY) / HOUR) * HOUR;
  }
  return out;
}

/** Options of `startRetention`. */
export interface RetentionOptions {
  logs: LogStore;
  policy: RetentionPolicy;
  /** @default RETENTION_INTERVAL_MS */
  intervalMs?: number;
  /** Current time (tests move it). @default Date.now */
  now?: () => number;
  /** Called after a pass with the events it deleted (when any). */
  onDeleted?(count: number): void;
  /** Called when a pass fails (the next one retries). */
  onError(error: Error): void;
}

/** The running retention of a server. */
export interface Retention {
  /** Runs a pass now (or waits for the one running); resolves with the events it deleted. */
  run(): Promise<number>;
  /** Stops the timer; a pass in progress stops between two steps when the store closes. */
  stop(): void;
}

/**
 * Deletes expired events continuously: a pass at start, then one every `intervalMs`, each through the store's
 * `expire` (bounded steps off the request thread). A store without `expire` (Elasticsearch: ILM) is left alone.
 */
export function startRetention(options: RetentionOptions): Retention {
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  let stopped = false;
  const run = (): Promise<number> => {
    if (running) return running;
    const expire = options.logs.expire?.bind(options.logs);
    const cutoffs = retentionCutoffs(options.policy, now());
    if (!expire || stopped || Object.keys(cutoffs).length === 0) return Promise.resolve(0);
    running = expire(cutoffs)
      .then((count) => {
        if (count > 0) options.onDeleted?.(count);
        return count;
      })
      .catch((error: unknown) => {
        // A pass cut short by the shutdown is not a failure.
        if (!stopped) options.onError(error instanceof Error ? error : new Error(String(error)));
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void run(), options.intervalMs ?? RETENTION_INTERVAL_MS);
  timer.unref();
  void run();
  return {
    run,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
