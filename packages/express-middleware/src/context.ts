import {
  completeEvent,
  ShoplogValidationError,
  validate,
  type EventKind,
  type FraudResult,
  type FraudVerdict,
  type LogLevel,
  type ShoplogEvent,
} from '@shoplog/core';
import { randomIdHex, randomRequestId, randomTraceSpanHex } from './ids.js';
import type { ResolvedConfig } from './options.js';
import { resolveRouteTemplate } from './route-template.js';
import { copyVerdict, fraudShopOf, verdictOf } from './verdict.js';
import { acceptRequestId, formatTraceparent, parseTraceparent } from './trace.js';
import type {
  RequestShoplog,
  ShoplogRequest,
  ShoplogResponse,
  TrackAction,
  TrackFields,
  TransactionInput,
  TransactionOutcome,
} from './types.js';
import { pickHeaders, splitTarget } from './url.js';

/** Longest `user_agent.original` kept. */
export const MAX_UA = 2048;
/** Longest `client.ip` kept. */
export const MAX_IP = 64;
const MAX_STACK = 65_536;
const MAX_MESSAGE = 32_768;
const MAX_ID = 256;

type Fields = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function errorFields(err: unknown): { type: string; message: string; stack_trace?: string; code?: string } {
  if (err instanceof Error) {
    const code = str((err as { code?: unknown }).code);
    return {
      type: err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? 'Error'),
      message: err.message.slice(0, MAX_MESSAGE),
      ...(err.stack ? { stack_trace: err.stack.slice(0, MAX_STACK) } : {}),
      ...(code ? { code: code.slice(0, 64) } : {}),
    };
  }
  const plain = err as { name?: unknown; message?: unknown } | null | undefined;
  if (plain && typeof plain === 'object' && typeof plain.message === 'string') {
    return {
      type: typeof plain.name === 'string' ? plain.name : 'Error',
      message: plain.message.slice(0, MAX_MESSAGE),
    };
  }
  return { type: typeof err, message: String(err).slice(0, MAX_MESSAGE) };
}

// Express's `req.ip` re-parses X-Forwarded-For on every read; with `trust proxy` off (the default) it is the socket
// address anyway, so read that directly and only ask Express when a proxy is trusted.
/** The client address: the socket's, or Express's `req.ip` when a proxy is trusted. */
export function clientIp(req: ShoplogRequest): string | undefined {
  const app = req.app as { get?: (setting: string) => unknown } | undefined;
  const trusted = typeof app?.get === 'function' ? app.get('trust proxy') : true;
  return (trusted ? req.ip : undefined) ?? req.socket?.remoteAddress;
}

/** HTTP status an error asks for (`status`/`statusCode` as http-errors sets them), else 500. */
export function statusOf(err: unknown): number {
  const e = err as { status?: unknown; statusCode?: unknown } | null | undefined;
  const s = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  return Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
}

/**
 * Per-request state and the `req.shoplog` helpers. Built once per request with plain fields (no closures);
 * trace ids are minted on first use and the events are built only when the response ends.
 */
export class RequestContext implements RequestShoplog {
  /** `performance.now()` at the start: a double, where `process.hrtime.bigint()` allocated a BigInt per read. */
  readonly startedAt: number;
  readonly startMs: number;
  readonly requestId: string;
  readonly parentSpanId: string | undefined;
  readonly bytesAtStart: number;
  /** An error event already describes this request's failure (no extra `http` error event at the end). */
  errorRecorded = false;
  timedOut = false;
  /** The response closed and its events were written (the `close` listener runs once per request). */
  closed = false;
  /** Links of the middleware's list of requests in flight (see in-flight.ts). */
  prevInFlight: RequestContext | undefined = undefined;
  nextInFlight: RequestContext | undefined = undefined;
  private traceIdValue: string | undefined;
  private spanIdValue: string | undefined;
  private traceFlags: string;
  private userIdValue: string | undefined;
  private common: Fields | undefined;
  /** Verdicts of the transactions judged in this request, by transaction id (their follow-ups carry them). */
  private verdicts: Map<string, FraudVerdict> | undefined;

  constructor(
    readonly config: ResolvedConfig,
    readonly req: ShoplogRequest,
    readonly res: ShoplogResponse,
  ) {
    this.startedAt = performance.now();
    this.startMs = Date.now();
    const headers = req.headers;
    const incoming = headers.traceparent === undefined ? undefined : parseTraceparent(headers.traceparent);
    this.traceIdValue = incoming?.traceId;
    this.parentSpanId = incoming?.parentSpanId;
    this.traceFlags = incoming?.flags ?? '01';
    const header = config.requestIdHeader;
    this.requestId = (header && acceptRequestId(headers[header])) || randomRequestId();
    this.bytesAtStart = req.socket?.bytesWritten ?? 0;
  }

  get traceId(): string {
    if (this.traceIdValue === undefined) this.startTrace();
    return this.traceIdValue as string;
  }

  get spanId(): string {
    if (this.spanIdValue === undefined) {
      if (this.traceIdValue === undefined) this.startTrace();
      else this.spanIdValue = randomIdHex(8);
    }
    return this.spanIdValue as string;
  }

  // No incoming trace: both ids are minted together (the performance event needs both).
  private startTrace(): void {
    const hex = randomTraceSpanHex();
    this.traceIdValue = hex.slice(0, 32);
    this.spanIdValue ??= hex.slice(32);
  }

  get traceparent(): string {
    return formatTraceparent(this.traceId, this.spanId, this.traceFlags);
  }

  setUser(id: string | undefined): void {
    this.userIdValue = id;
  }

  /** The user id: set by the handler, else from the `userId` option, else `req.user.id`. */
  userId(): string | undefined {
    if (this.userIdValue !== undefined) return this.userIdValue;
    const fromOption = this.config.userId;
    if (fromOption) {
      try {
        return fromOption(this.req);
      } catch (err) {
        this.config.onError(err);
        return undefined;
      }
    }
    const user = this.req.user as { id?: unknown } | undefined;
    return user && typeof user === 'object' ? str(user.id) : undefined;
  }

  /** Route template, once routing is done. */
  route(statusCode: number): string | undefined {
    return resolveRouteTemplate(this.req, statusCode);
  }

  /** The shared fields if an event of this request already built them (the fast line then reuses them). */
  builtFields(): Fields | undefined {
    return this.common;
  }

  /** ECS fields shared by every event of this request (trace, client, user agent, url), built once. */
  fields(): Fields {
    if (this.common) return this.common;
    const { req, config } = this;
    const ua = req.headers['user-agent'];
    const url = splitTarget(req.originalUrl ?? req.url ?? '/', config.redactor);
    const ip = clientIp(req);
    const c: Fields = {
      trace: { id: this.traceId },
      span: { id: this.spanId },
      url: url.query === undefined ? { path: url.path } : { path: url.path, query: url.query },
    };
    if (this.parentSpanId) c.parent = { id: this.parentSpanId };
    if (ip) c.client = { ip: ip.slice(0, MAX_IP) };
    if (typeof ua === 'string') c.user_agent = { original: ua.length > MAX_UA ? ua.slice(0, MAX_UA) : ua };
    const labels = this.labels();
    if (labels) c.labels = labels;
    this.common = c;
    return c;
  }

  private labels(): Record<string, string> | undefined {
    const custom = this.config.customFields;
    if (!custom) return undefined;
    try {
      const fields = custom(this.req, this.res);
      if (!fields) return undefined;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = String(v);
      return out;
    } catch (err) {
      this.config.onError(err);
      return undefined;
    }
  }

  /** `http.request.*` of this request. */
  requestFields(): Fields {
    const { req, config } = this;
    const request: Fields = { id: this.requestId, method: (req.method ?? 'GET').slice(0, 16) };
    const length = Number(req.headers['content-length']);
    if (length >= 0 && Number.isInteger(length)) request.bytes = length;
    if (config.requestHeaders.length > 0) {
      const headers = pickHeaders(req.headers, config.requestHeaders, config.redactor);
      if (headers) request.headers = headers;
    }
    if (config.captureBody && req.body !== undefined) request.body = { content: config.redactor.redact(req.body) };
    return request;
  }

  /**
   * Builds an event with this request's common fields and hands it to the exporter. `trusted`: every field came
   * from the middleware within core's limits (a performance event whose status and route were checked), so a core
   * pipeline need not validate it again, unless the user id (from app code) is not a valid id.
   */
  emit<K extends EventKind>(kind: K, input: Fields, http?: Fields, trusted = false): ShoplogEvent {
    const user = this.userId();
    const event = this.build(kind, input, http, user);
    const validId = user === undefined || (typeof user === 'string' && user.length > 0 && user.length <= MAX_ID);
    this.export(event, trusted && validId);
    return event;
  }

  /** Builds an event with this request's common fields, without exporting it. */
  private build(kind: EventKind, input: Fields, http: Fields | undefined, user = this.userId()): ShoplogEvent {
    const body: Fields = { ...this.fields(), ...input, http: { request: this.requestFields(), ...http } };
    if (user !== undefined) body.user = { ...(body.user as Fields | undefined), id: user };
    // `body` is ours and new: core fills the envelope in place (same result as createEvent, one copy less).
    return completeEvent(kind, body, { service: this.config.service }) as ShoplogEvent;
  }

  /** Hands an event to the exporter without awaiting; errors go to `onError`, never to the app. */
  export(event: ShoplogEvent, trusted = false): void {
    try {
      const send = trusted ? (this.config.sendTrusted ?? this.config.send) : this.config.send;
      const result = send(event) as { then?: unknown } | undefined;
      if (result && typeof result.then === 'function')
        (result as Promise<unknown>).then(undefined, this.config.onError);
    } catch (err) {
      this.config.onError(err);
    }
  }

  /** Records an error for this request: uncaught (`handled: false`) from the error handler, or from a helper. */
  recordError(
    err: unknown,
    kind: 'http' | 'exception' | 'timeout' | 'aborted' | 'validation' | 'dependency',
    level: LogLevel,
    status?: number,
    handled = false,
  ): void {
    const e = errorFields(err);
    // Messages and stacks quote user input (ids, card numbers): they go through the redactor like everything else.
    e.message = this.config.redactor.redact(e.message);
    if (e.stack_trace !== undefined) e.stack_trace = this.config.redactor.redact(e.stack_trace);
    const http: Fields = {};
    if (status !== undefined) http.response = { status_code: status };
    const route = this.route(status ?? this.res.statusCode);
    if (route !== undefined) http.route = route;
    this.emit('error', { message: e.message, error: e, log: { level }, shop: { error: { kind, handled } } }, http);
  }

  track(action: TrackAction, fields: TrackFields = {}): void {
    const { message, session, ...shop } = fields;
    const sessionId = session?.id ?? this.sessionId();
    const input: Fields = { shop: { action, session: { id: sessionId }, ...shop } };
    if (message !== undefined) input.message = message;
    const event = this.build('user_behavior', input, undefined);
    // Checked here, where the handler's typo can be named (an inexact cart value, an unknown action), not dropped
    // later by the server into a dead-letter file; reported, not thrown: tracking must never break the page.
    const checked = validate(event);
    if (checked.ok) this.export(event);
    else this.config.onError(new ShoplogValidationError(checked.issues));
  }

  private sessionId(): string {
    let id: string | undefined;
    try {
      id = this.config.sessionId ? this.config.sessionId(this.req) : this.req.sessionID;
    } catch (err) {
      this.config.onError(err);
    }
    return id || this.requestId;
  }

  async transaction(input: TransactionInput, options: { score?: boolean } = {}): Promise<TransactionOutcome> {
    const { message, email, ...shop } = input;
    const extra: Fields = { shop };
    if (message !== undefined) extra.message = message;
    if (email !== undefined) extra.user = { email };
    const event = this.build('transaction', extra, undefined) as TransactionOutcome['event'];
    // A sale is decided on: a transaction the server would refuse (a typo, an amount that is not exact) is refused
    // here, by field, before it is scored or shipped, rather than judged on garbage and dead-lettered later.
    const checked = validate(event);
    if (!checked.ok) throw new ShoplogValidationError(checked.issues);
    const scorer = this.config.fraudScorer;
    if (!scorer || options.score === false) {
      // The capture or decline of a sale judged earlier in this request (`parent_id`) carries that sale's verdict.
      const parent = shop.transaction.parent_id;
      const judged = parent === undefined ? undefined : this.verdicts?.get(parent);
      if (judged) event.shop.fraud = copyVerdict(judged);
      this.export(event);
      return { event, decision: judged?.decision ?? 'allow' };
    }
    let fraud: FraudResult;
    try {
      fraud = await scorer.score(event);
    } catch (err) {
      // A broken scorer must not block sales: report it and let the transaction through, without a verdict (so
      // the server, if it scores, judges it).
      this.config.onError(err);
      this.export(event);
      return { event, decision: 'allow' };
    }
    // One sale, one verdict: the transaction carries the decision the handler acts on, and the server respects it.
    const verdict = verdictOf(fraud);
    event.shop.fraud = verdict;
    (this.verdicts ??= new Map()).set(event.shop.transaction.id, verdict);
    this.export(event);
    if (fraud.decision === 'allow' && !this.config.fraudEventsForAllowed)
      return { event, fraud, decision: fraud.decision };
    this.emit('fraud', {
      message: `fraud score ${fraud.score} (${fraud.decision}) for transaction ${shop.transaction.id}`,
      shop: fraudShopOf(verdict, event.shop),
    });
    return { event, fraud, decision: fraud.decision };
  }

  error(
    err: unknown,
    options: { kind?: 'exception' | 'validation' | 'dependency'; level?: 'warn' | 'error' | 'fatal' } = {},
  ): void {
    this.recordError(err, options.kind ?? 'exception', options.level ?? 'error', undefined, true);
  }
}
