/** One queued event: its NDJSON line (serialised once, on enqueue), its id and dataset. */
export interface QueuedEntry {
  /** The event serialised as one JSON line, without the trailing newline. */
  readonly line: string;
  /** `event.id`: the document id, the idempotency key end to end. */
  readonly id: string;
  /** `event.dataset`, e.g. `shoplog.transaction` (routes the document to its data stream). */
  readonly dataset: string;
  /** When it was enqueued (ms since epoch), for the delivery latency metric. */
  readonly at: number;
}

/** A problem with one field of a rejected document. */
export interface ItemIssue {
  path: string;
  message: string;
}

/** What happened to one entry of a batch that was not plainly stored. */
export interface ItemFailure {
  /** Index of the entry in the batch sent. */
  index: number;
  /** `true` for throttling or server trouble (retry it); `false` for a bad document (dead-letter it). */
  retryable: boolean;
  /** Short reason, e.g. `mapper_parsing_exception` or `400 invalid event`. */
  reason: string;
  issues?: ItemIssue[];
}

/** Outcome of a batch the sink accepted as a whole: everything not listed in `failures` is stored. */
export interface SendOutcome {
  /** Entries the backend already had (same id): they count as delivered. */
  duplicates: number;
  failures: ItemFailure[];
}

/** A destination for batches of events. Implementations must be idempotent on `QueuedEntry.id`. */
export interface Sink {
  /** Name used in metrics and error messages. */
  readonly name: string;
  /**
   * Sends a batch. Resolves with per-item outcomes, or rejects with a `DeliveryError` saying whether the whole
   * batch may be retried. Must stop promptly when `signal` aborts.
   */
  send(batch: readonly QueuedEntry[], signal: AbortSignal): Promise<SendOutcome>;
  /** Releases sockets and clients. */
  close?(): Promise<void>;
}

/** A batch-level delivery failure, with what the engine needs to decide what to do next. */
export class DeliveryError extends Error {
  /** Retry later (connection errors, timeouts, 408, 429, 5xx). */
  readonly retryable: boolean;
  /** Server-requested delay (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** The body was over the backend's size limit (413): split the batch. */
  readonly tooLarge: boolean;

  constructor(
    message: string,
    opts: { retryable: boolean; retryAfterMs?: number; status?: number; tooLarge?: boolean; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
    this.tooLarge = opts.tooLarge ?? false;
  }
}

// The retry decisions live in core, shared with the notification channels.
export { isConnectionError, isRetryableStatus, parseRetryAfter } from '@shoplog/core';
