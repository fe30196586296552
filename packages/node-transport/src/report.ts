import type { Counters } from './metrics.js';
import { DeliveryError } from './sink.js';
import { createThrottledPrinter } from './warnings.js';

/** Errors that are not a failed delivery: they do not make the engine unhealthy. */
export type NoticeKind = 'spool' | 'close' | 'enqueue';

/**
 * Where an engine's errors go: `metrics().lastError` and `healthy`, then the app's `onError`, or, without one, a
 * warning on stderr naming the cause, each kind once a minute at most, and one line when delivery works again.
 */
export class Reporter {
  private readonly printer = createThrottledPrinter();
  /** A delivery failure was printed since the last recovery (so the recovery is printed too). */
  private warned = false;
  /** The message of the last failed delivery (for the summary at close). */
  lastFailure: string | undefined;

  constructor(
    private readonly c: Counters,
    private readonly onError: ((error: Error) => void) | undefined,
    private readonly sinkName: string,
  ) {}

  /** A delivery attempt failed (the data is kept). */
  failure(err: unknown): void {
    const e = toError(err);
    this.c.healthy = false;
    this.lastFailure = e.message;
    if (this.record(e)) return;
    this.warned = true;
    const status = e instanceof DeliveryError ? e.status : undefined;
    const kind =
      status === 401 || status === 403 ? 'auth' : status !== undefined ? `status-${status}` : (errorCode(e) ?? 'error');
    this.printer.print(
      kind,
      `delivery failed: ${e.message}. Events are kept and retried (spooled to disk while it lasts); ` +
        'metrics().healthy stays false until a delivery succeeds. Further errors like this one are counted, not printed, for a minute.',
    );
  }

  /** A delivery succeeded. */
  success(): void {
    this.c.healthy = true;
    if (!this.warned) return;
    this.warned = false;
    this.printer.reset();
    this.printer.print('recovered', `delivery works again (${this.sinkName} sink)`);
  }

  /** Anything else worth telling: the spool, a close that had to spool, an event that could not be serialised. */
  notice(kind: NoticeKind, err: unknown): void {
    const e = toError(err);
    if (!this.record(e)) this.printer.print(kind, e.message);
  }

  /** Records the error; `true` when the app's `onError` took it. */
  private record(e: Error): boolean {
    const status = e instanceof DeliveryError ? e.status : undefined;
    const code = errorCode(e);
    this.c.lastError = {
      message: e.message,
      at: new Date().toISOString(),
      ...(status !== undefined ? { status } : {}),
      ...(code ? { code } : {}),
    };
    if (!this.onError) return false;
    try {
      this.onError(e);
    } catch {
      // The app's error handler must not break delivery.
    }
    return true;
  }
}

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** The first `code` along the error's causes (`ECONNREFUSED`, …). */
function errorCode(e: Error): string | undefined {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The error for `enqueue()` given something that is not a Shoplog event. */
export function notAnEvent(value: unknown): TypeError {
  let got: string;
  if (value === null || typeof value !== 'object') got = value === null ? 'null' : `a ${typeof value}`;
  else {
    const head = (value as { event?: unknown }).event;
    got =
      head === null || typeof head !== 'object'
        ? `an object without \`event\` (keys: ${Object.keys(value).slice(0, 5).join(', ') || 'none'})`
        : 'an object whose `event.id` / `event.dataset` are not strings';
  }
  return new TypeError(
    `enqueue() takes a Shoplog event (made by the @shoplog/core builders, e.g. transaction({...}), with string \`event.id\` and \`event.dataset\`); got ${got}`,
  );
}
