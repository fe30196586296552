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

/** Whether an HTTP status is worth retrying: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) to milliseconds; `undefined` when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined | null, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error from a socket or the client is a transient connection problem. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  return (
    name === 'ConnectionError' ||
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (typeof code === 'string' &&
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code))
  );
}
