/**
 * Retry decisions shared by every Shoplog component that talks to a remote endpoint (the delivery engine's
 * sinks, the notification channels): which failures are worth retrying and how long to wait.
 */

/** Whether an HTTP status is worth retrying: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) to milliseconds; `undefined` when absent or invalid. */
export function parseRetryAfter(
  value: string | string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error from a socket or a client is a transient connection problem. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  return (
    name === 'ConnectionError' ||
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (typeof code === 'string' &&
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'EPIPE',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'EAI_AGAIN',
        'UND_ERR_SOCKET',
      ].includes(code))
  );
}

/** How `backoffDelay` grows and where it stops. */
export interface BackoffOptions {
  /** Upper bound of the first delay. */
  readonly initialDelayMs: number;
  /** Largest delay before a `Retry-After` is considered. */
  readonly maxDelayMs: number;
  /** Largest `Retry-After` honoured. @default 300000 */
  readonly maxRetryAfterMs?: number;
  /** A number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * The wait before retry number `failures` (1 = after the first failure): exponential, with full jitter so that
 * clients that failed together do not retry together, and never shorter than the server's `Retry-After`.
 */
export function backoffDelay(failures: number, options: BackoffOptions, retryAfterMs?: number): number {
  const exp = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const jittered = (options.random ?? Math.random)() * exp;
  return retryAfterMs === undefined
    ? jittered
    : Math.min(options.maxRetryAfterMs ?? 300_000, Math.max(retryAfterMs, jittered));
}
