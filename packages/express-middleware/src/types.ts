import type { EventExporter, EventInput, FraudResult, FraudScorer, TransactionEvent } from '@shoplog/core';

// Express is typed structurally here so the package needs express only as an optional peer dependency and works
// with Express 4 and 5 alike.

/** Header values as Node parses them. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** The parts of an Express (or Node) request the middleware reads. */
export interface ShoplogRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  baseUrl?: string;
  headers: HeaderBag;
  /** Set by Express once a route matched (`Route` object; `path` is its template). */
  route?: { path?: unknown } | undefined;
  /** Client address as Express computes it (honours the `trust proxy` setting). */
  ip?: string | undefined;
  socket?: { remoteAddress?: string | undefined; bytesWritten?: number } | null | undefined;
  /** The Express application handling the request (its router is walked to resolve route templates). */
  app?: unknown;
  body?: unknown;
  user?: unknown;
  sessionID?: string | undefined;
  shoplog?: RequestShoplog | undefined;
}

/** The parts of an Express (or Node) response the middleware uses. */
export interface ShoplogResponse {
  statusCode: number;
  headersSent: boolean;
  writableFinished?: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): string | number | string[] | undefined;
  on(event: 'close', listener: () => void): unknown;
  /** Ends the response (used only when `timeoutStatus` asks the middleware to answer a timed-out request). */
  end?(chunk?: string): unknown;
}

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;

/** Where events go: core's `EventExporter`. @deprecated Use `EventExporter` from `@shoplog/core`. */
export type EventSink = EventExporter;

/** What the middleware needs of core's fraud scorer (`createFraudScorer()`): `score(transactionEvent)`. */
export type FraudScorerLike = Pick<FraudScorer, 'score'>;

/** What `req.shoplog.transaction()` resolves to. */
export interface TransactionOutcome {
  /** The transaction event that was emitted. */
  event: TransactionEvent;
  /** The scorer's result, when a `fraudScorer` is configured. */
  fraud?: FraudResult;
  /**
   * The decision for the handler to act on: the scorer's; for a `score: false` follow-up (capture, decline) of a sale
   * judged earlier in the same request (its `parent_id`), that sale's; else `allow`.
   */
  decision: 'allow' | 'review' | 'block';
}

/** Helpers available as `req.shoplog` inside handlers. */
export interface RequestShoplog {
  /** W3C trace id (32 hex) of this request: continued from `traceparent` or new. */
  readonly traceId: string;
  /** Span id (16 hex) of this request's server span. */
  readonly spanId: string;
  /** Span id of the caller when a valid `traceparent` came in. */
  readonly parentSpanId: string | undefined;
  /** Request id: the incoming `x-request-id` when valid, else a new UUID; echoed in a response header. */
  readonly requestId: string;
  /** `traceparent` header value to send to downstream services so they join this trace. */
  readonly traceparent: string;
  /** Sets the user id carried by every event of this request. */
  setUser(id: string | undefined): void;
  /** Emits a user behaviour event (`shoplog.user_behavior`) for this request; an invalid one goes to `onError` (a `ShoplogValidationError` naming each field) instead. */
  track(action: TrackAction, fields?: TrackFields): void;
  /**
   * Validates a transaction, scores it when a fraud scorer is configured (unless `score: false`), emits it with the
   * verdict in `shop.fraud` (and a fraud event when flagged), and returns the decision. Rejects with a
   * `ShoplogValidationError` naming each bad field (e.g. `shop.amount.value`) instead of scoring or shipping it.
   */
  transaction(input: TransactionInput, options?: { score?: boolean }): Promise<TransactionOutcome>;
  /** Emits an application error event for an error the handler caught (`handled: true`). */
  error(
    err: unknown,
    options?: { kind?: 'exception' | 'validation' | 'dependency'; level?: 'warn' | 'error' | 'fatal' },
  ): void;
}

/** User behaviour actions `track()` accepts. */
export type TrackAction =
  | 'page_view'
  | 'search'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'checkout_started'
  | 'checkout_completed'
  | 'cart_abandoned';

// As the core builders take them: money may be a number, converted when exact (core's `numberToDecimal`).
type UserBehaviorShop = EventInput<'user_behavior'>['shop'];
// The verdict (`shop.fraud`) is the middleware's to attach, from the configured scorer.
type TransactionShop = Omit<EventInput<'transaction'>['shop'], 'fraud'>;

/** `shop.*` fields of a tracked action; `session` defaults to the request's session (see `sessionId`). */
export type TrackFields = Partial<Omit<UserBehaviorShop, 'action'>> & { message?: string };

/**
 * A transaction as given to `req.shoplog.transaction()`: its `shop.*` fields, plus an optional message. An amount may
 * be a number when it is exact in its currency (`{ value: 99.99, currency: 'EUR' }`).
 */
export type TransactionInput = TransactionShop & { message?: string; email?: string };

declare global {
  // Express's own merging point for request properties: `req.shoplog` is typed in handlers when @types/express is used.
  // It is not optional, as express-session types `req.session`: `shoplog()` sets it on every request it sees, the ones
  // it skips included, so handlers behind it use `req.shoplog.track(…)` under `strict` without a check. A handler
  // mounted before `shoplog()` (or on an app without it) has no `req.shoplog`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Shoplog helpers for this request, set by `shoplog()` (see above). */
      shoplog: RequestShoplog;
    }
  }
}
