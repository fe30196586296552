import type { PluginStats } from '@shoplog/core';
/** Why events were dropped: a full queue (only with the `drop-oldest` / `drop-newest` policies), or a spool that cannot be written. */
export type DropReason = 'queue-full-oldest' | 'queue-full-newest' | 'spool-unwritable';

/** The last error: delivery (with the HTTP `status` or the socket error `code` when there was one), spool or close. */
export interface LastError {
  message: string;
  /** ISO time. */
  at: string;
  status?: number;
  code?: string;
}

/** Delivery metrics, readable by the application at any time (`engine.metrics()`). */
export interface DeliveryMetrics {
  /** Events waiting in memory. */
  queued: number;
  /** Bytes of NDJSON waiting in memory, plus the batch in flight. */
  queuedBytes: number;
  /** Events in the batch being sent. */
  inFlight: number;
  /** Events stored by the backend (including `duplicates`). */
  sent: number;
  /** Events the backend already had (a retry of a batch that had in fact been stored): counted as delivered. */
  duplicates: number;
  /** Event sends repeated after a retryable failure. */
  retried: number;
  /** Events written to the spool. */
  spooled: number;
  /** Spooled events since delivered. */
  replayed: number;
  /** Bytes waiting in the spool. */
  spoolBytes: number;
  /** Events the backend rejected for good, written to `dead-letter.ndjson`. */
  deadLettered: number;
  /** Events dropped, by reason. */
  dropped: Record<DropReason, number>;
  /** `false` from a failed delivery attempt (a refused key, a server down or failing) until a delivery succeeds. */
  healthy: boolean;
  /** The last error, if any (it stays after a recovery: see `healthy`). */
  lastError: LastError | null;
  /** Per processor stage when the engine has `plugins`: calls, errors, timeouts, time and breaker state. */
  plugins?: PluginStats[];
  /** Time from enqueue to acknowledgement of the oldest event of each delivered batch, in milliseconds. */
  latencyMs: { last: number; max: number; mean: number };
}

/** Mutable counters behind `DeliveryMetrics`. */
export class Counters {
  sent = 0;
  duplicates = 0;
  retried = 0;
  spooled = 0;
  replayed = 0;
  deadLettered = 0;
  droppedOldest = 0;
  droppedNewest = 0;
  droppedSpool = 0;
  healthy = true;
  lastError: LastError | null = null;
  private latencySum = 0;
  private latencyCount = 0;
  private latencyLast = 0;
  private latencyMax = 0;

  latency(ms: number): void {
    this.latencyLast = ms;
    if (ms > this.latencyMax) this.latencyMax = ms;
    this.latencySum += ms;
    this.latencyCount++;
  }

  snapshot(queued: number, queuedBytes: number, inFlight: number, spoolBytes: number): DeliveryMetrics {
    return {
      queued,
      queuedBytes,
      inFlight,
      sent: this.sent,
      duplicates: this.duplicates,
      retried: this.retried,
      spooled: this.spooled,
      replayed: this.replayed,
      spoolBytes,
      deadLettered: this.deadLettered,
      dropped: {
        'queue-full-oldest': this.droppedOldest,
        'queue-full-newest': this.droppedNewest,
        'spool-unwritable': this.droppedSpool,
      },
      healthy: this.healthy,
      lastError: this.lastError,
      latencyMs: {
        last: this.latencyLast,
        max: this.latencyMax,
        mean: this.latencyCount ? this.latencySum / this.latencyCount : 0,
      },
    };
  }
}
