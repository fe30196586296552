import { monotonicNow, startTimer } from '../runtime.js';

/** A stage's circuit breaker: closed (runs), open (skipped per its error policy), half-open (one call tries again). */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Per-stage counters, as `metrics().plugins` reports them. */
export interface PluginStats {
  /** The stage's plugin name. */
  name: string;
  /** Calls of `process` (skipped events are not calls). */
  calls: number;
  /** Calls that threw, rejected, broke the contract or ran out of time. */
  errors: number;
  /** Calls of an async plugin that did not settle within the time budget (also counted in `errors`). */
  timeouts: number;
  /** Events that went past the stage without calling it, while its breaker was open. */
  skipped: number;
  /** Failures since the last success (the breaker opens at its `failures`). */
  consecutiveErrors: number;
  /** Time spent in `process`, in milliseconds (until the promise settled, for an async plugin). */
  totalMs: number;
  state: BreakerState;
  /** The message of the latest error. */
  lastError?: string;
}

/** When a failing plugin stops being called. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  failures?: number;
  /** How long it stays open before one call is let through to try again (half-open). @default 30000 */
  cooldownMs?: number;
}

/** Raised (reported, never thrown at the caller) when an async plugin did not settle within its time budget. */
export class PluginTimeoutError extends Error {
  override readonly name = 'PluginTimeoutError';
}

/**
 * The isolation of one plugin (a pipeline stage, a notification channel): its counters, its time budget and its
 * circuit breaker. Every host that calls plugins accounts for them through it.
 */
export class StageGuard {
  private calls = 0;
  private errors = 0;
  private timeouts = 0;
  private skipped = 0;
  private totalMs = 0;
  private consecutive = 0;
  private openedAt: number | undefined;
  private probing = false;
  private lastError: string | undefined;

  constructor(
    private readonly name: () => string,
    private readonly now: () => number,
    private readonly threshold: number,
    private readonly cooldownMs: number,
  ) {}

  /** Whether to call the plugin for the next event; `false` while the breaker is open (the event is skipped). */
  admit(): boolean {
    if (this.openedAt === undefined) return true;
    if (!this.probing && this.now() - this.openedAt >= this.cooldownMs) {
      this.probing = true;
      return true;
    }
    this.skipped++;
    return false;
  }

  /** Starts timing a call; returns the start. */
  start(): number {
    this.calls++;
    return monotonicNow();
  }

  succeeded(started: number): void {
    this.totalMs += monotonicNow() - started;
    this.consecutive = 0;
    if (this.probing) {
      this.probing = false;
      this.openedAt = undefined;
    }
  }

  failed(started: number | undefined, error: unknown): void {
    if (started !== undefined) this.totalMs += monotonicNow() - started;
    this.errors++;
    if (error instanceof PluginTimeoutError) this.timeouts++;
    this.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.consecutive++;
    if (this.threshold > 0 && (this.probing || this.consecutive >= this.threshold)) this.openedAt = this.now();
    this.probing = false;
  }

  /** The promise of an async call, rejected with a `PluginTimeoutError` when it takes longer than `budgetMs`. */
  budget<T>(pending: PromiseLike<T>, budgetMs: number): Promise<T> {
    if (budgetMs <= 0) return Promise.resolve(pending);
    return new Promise<T>((resolve, reject) => {
      const cancel = startTimer(
        () => reject(new PluginTimeoutError(`plugin "${this.name()}" did not settle within ${budgetMs} ms`)),
        budgetMs,
      );
      pending.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  /** Milliseconds until the open breaker lets one call through again; 0 when a call may go now. */
  openForMs(): number {
    if (this.openedAt === undefined || this.probing) return 0;
    return Math.max(0, this.openedAt + this.cooldownMs - this.now());
  }

  state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.probing || this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  stats(): PluginStats {
    const out: PluginStats = {
      name: this.name(),
      calls: this.calls,
      errors: this.errors,
      timeouts: this.timeouts,
      skipped: this.skipped,
      consecutiveErrors: this.consecutive,
      totalMs: Math.round(this.totalMs * 1000) / 1000,
      state: this.state(),
    };
    if (this.lastError !== undefined) out.lastError = this.lastError;
    return out;
  }
}
