import type { NotifyFailure } from '@shoplog/core';

/** A failed delivery to a channel, saying whether a retry can help (the dispatcher reads `retryable`). */
export class NotifyError extends Error implements NotifyFailure {
  /** `false` when the same message would fail again (a 4xx answer, refused credentials, a bad certificate). */
  readonly retryable: boolean;
  /** The receiver asked to wait this long before the next attempt (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status or SMTP reply code, when the receiver answered. */
  readonly status: number | undefined;

  /** Creates the error; the message must not carry secrets (it reaches logs, metrics and the alert history). */
  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; status?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'NotifyError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Replaces control characters (line breaks included) so a value cannot forge lines or headers. */
export function oneLine(value: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
